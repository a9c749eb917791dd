"""One hop from a lesson to its code and back: every public helper names where the series uses it.

Each public function and class of ``helpers`` has, in its docstring, a line

    Taught in: lesson 4, section 3 (the fused sampler).      (or "Used in: lesson …")
    Used by: the dashboards of lessons 4 and 6.               (a helper no lesson calls by name)

and a helper that a lesson calls by name must name that lesson (one of them, if several do): the
lessons are read here, so a line that goes stale fails this test.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from conftest import CLASS_NOTEBOOKS, NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
LESSONS = NOTEBOOKS + sorted((ROOT / "notebooks" / "presentation").glob("*.ipynb")) + CLASS_NOTEBOOKS
LINE = re.compile(r"^\s*(Taught in|Used in|Used by):\s*(.+)$", re.M)
NOT_PUBLIC_MODULES = {"__init__", "__main__"}


def _lesson_name(path: Path) -> str:
    if path.parent.name == "class":
        return f"notebooks/class/{path.name}"  # named by its path: "Used in: the concept quiz (notebooks/class/quiz.ipynb)"
    return "the presentation" if path.parent.name == "presentation" else "lesson " + path.stem.split("_")[0].lstrip("0")


def public_helpers() -> dict[str, tuple[str, str | None]]:
    """``"module.name"`` -> (module path, docstring) for every public top-level function and class."""
    found = {}
    for path in sorted(HELPERS.rglob("*.py")):
        module = ".".join(path.relative_to(HELPERS).with_suffix("").parts)
        if path.stem in NOT_PUBLIC_MODULES and path.stem != "__init__":
            continue
        module = module.removesuffix(".__init__")
        if path.stem == "__init__" and module == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                found[f"{module}.{node.name}"] = (str(path.relative_to(ROOT)), ast.get_docstring(node))
    return found


def uses_in_lessons() -> dict[str, set[str]]:
    """``"module.name"`` -> the lessons whose code cells call it (as ``module.name`` or an imported alias)."""
    used: dict[str, set[str]] = defaultdict(set)
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        aliases = {}
        for names in re.findall(r"from helpers import ([\w ,]+)", code):
            for part in names.split(","):
                bits = part.split(" as ")
                aliases[bits[-1].strip()] = bits[0].strip()
        for alias, module in re.findall(r"import helpers\.(\w+) as (\w+)", code):
            aliases[module] = alias
        for alias, name in re.findall(r"\b(\w+)\.([A-Za-z]\w*)", code):
            if alias in aliases:
                used[f"{aliases[alias]}.{name}"].add(_lesson_name(path))
        for module, names in re.findall(r"from helpers\.(\w+) import ([\w ,]+)", code):
            for name in names.split(","):
                used[f"{module}.{name.split(' as ')[0].strip()}"].add(_lesson_name(path))
    return used


PUBLIC = public_helpers()


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_helper_names_the_lesson_that_uses_it(name: str):
    path, doc = PUBLIC[name]
    lines = LINE.findall(doc or "")
    assert lines, (f"{name} ({path}): add a line 'Taught in: lesson N, section M (…)' or 'Used by: …' to its "
                   "docstring, so that a reader finds the lesson from the code")
    lessons = uses_in_lessons().get(name, set())
    said = " ".join(text for _, text in lines)
    if lessons:
        assert lessons & lessons_named(said), f"{name} is used in {sorted(lessons)}, but its docstring says {said!r}"


def lessons_named(text: str) -> set[str]:
    """The lessons a provenance line names: "lesson 4", "lessons 4 and 6", "lessons 1, 2 or 5b", "the presentation"."""
    named = {"the presentation"} if "presentation" in text else set()
    named |= set(re.findall(r"notebooks/class/\w+\.ipynb", text))
    for group in re.findall(r"lessons?\s+((?:\d+b?(?:\s*(?:,|and|or|&)\s*)?)+)", text):
        named |= {f"lesson {n}" for n in re.findall(r"\d+b?", group)}
    return named


def test_lessons_named_reads_every_way_of_naming_them():
    assert lessons_named("lesson 4, section 3 (the fused sampler)") == {"lesson 4"}
    assert lessons_named("the dashboards of lessons 4 and 6, and the presentation") == {"lesson 4", "lesson 6", "the presentation"}
    assert lessons_named("lessons 1, 2 or 5b") == {"lesson 1", "lesson 2", "lesson 5b"}
    assert lessons_named("tests and benchmarks only") == set()
    assert lessons_named("Used in: the concept quiz (notebooks/class/quiz.ipynb)") == {"notebooks/class/quiz.ipynb"}
