"""Lesson notebooks: their shape as lessons, and that a new run gives the stored outputs, images too.

(nbval, run by the same `pytest` command, re-runs every notebook in strict mode and compares its
text outputs with the stored ones; the comparison of images here uses that same run.)
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT, executed_lesson, lesson_id
from notebook_tools import IGNORE_OUTPUT, comparable_outputs

assert NOTEBOOKS, "no lesson notebooks found"


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_has_the_parts_of_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    first = _source(nb.cells[0])
    number = lesson_id(path).lstrip("0")  # "5b" for the second part of lesson 5
    assert nb.cells[0].cell_type == "markdown" and first.startswith(f"# Lesson {number} — ")
    for part in ["**You will learn**", "**Prerequisites:**", "**Time:**", "**Outline:**"]:
        assert part in first, f"the introduction lacks {part}"
    markdown = "\n".join(_source(c) for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in markdown and "**Next:**" in markdown and "## Exercises" in markdown
    headings = re.findall(r"^## (\d+)\. ", markdown, flags=re.M)
    assert headings == [str(i) for i in range(1, len(headings) + 1)] and len(headings) >= 5
    following = NOTEBOOKS.index(path) + 1
    if following < len(NOTEBOOKS):  # "Next" opens the next lesson itself, under its own title
        nxt = NOTEBOOKS[following]
        title = _source(nbformat.read(nxt, as_version=4).cells[0]).splitlines()[0].removeprefix("# ")
        link = re.search(r"\*\*Next:\*\* \[([^\]]+)\]\(([^)]+)\)", markdown)
        assert link and link[2] == nxt.name, f"**Next:** should link {nxt.name}"
        assert title.startswith(" ".join(link[1].split())), f"the link says {link[1]!r}, the lesson is {title!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_have_solutions_and_checks(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    solutions = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(solutions) >= 3, "a lesson ends with at least three exercises"
    for i in solutions:
        src = _source(cells[i])
        assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src
        if cells[i].cell_type == "markdown":  # a written answer, graded by a person (nbgrader's "manually graded answer")
            meta = cells[i].metadata["nbgrader"]
            assert meta.get("grade") is True and meta.get("points", 0) > 0 and cells[i - 1].cell_type == "markdown"
            continue
        following = cells[i + 1]
        assert following.metadata.get("nbgrader", {}).get("grade") is True
        assert _source(following).lstrip().startswith("check."), "a check cell follows each exercise"
    for c in cells:
        if "BEGIN SOLUTION" in _source(c):
            assert c.metadata.get("nbgrader", {}).get("solution"), "solution markers outside a solution cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_read_well(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run top to bottom and save"
    for c in code:
        outputs = json.dumps(c.outputs)
        assert '"output_type": "error"' not in outputs
        assert "<Figure size" not in outputs
        for output in c.outputs:  # every figure: a title and an x label on each panel, a y label somewhere
            summary = output.get("data", {}).get("text/plain", "") if "image/png" in output.get("data", {}) else ""
            if summary.startswith("[figure"):
                panels = summary.split(" — ", 1)[-1].split(" | ")
                assert summary.startswith("[figure: ") and "untitled" not in summary, summary
                assert all("(x: " in panel for panel in panels) and "y: " in summary, f"axis labels missing: {summary}"
        assert not re.search(r"/work/|/root/|/home/\w+/|shared/data", outputs), "a machine path in an output"
        src = _source(c)
        if "plt.subplots" in src:
            assert src.rstrip().splitlines()[-1].startswith("plt.show()") or "plt.show()" in src
        assert not any(f"NBVAL_{marker}" in src for marker in ("SKIP", "IGNORE_OUTPUT", "RAISES_EXCEPTION"))
        assert not set(c.metadata.get("tags", [])) - {IGNORE_OUTPUT}, "the only nbval tag allowed is ignore-output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_training_escapes_the_output_comparison_and_its_claims_are_asserted(path):
    """An output is left uncompared only where it depends on a long training run's floating-point
    path (a loss's digits, a sample printed while training): the cell that trains, with the one-line
    switch to the shipped run, followed by a cell that asserts what the lesson claims about it."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    ignored = [i for i, c in enumerate(code) if IGNORE_OUTPUT in c.metadata.get("tags", [])]
    assert len(ignored) == (1 if lesson_id(path) in ("03", "04") else 0), "one training cell in lessons 3 and 4"
    for i in ignored:
        assert re.search(r"^SKIP_TRAINING = False\b", _source(code[i]), flags=re.M), "the training cell offers the switch"
        claim = _source(code[i + 1])
        assert claim.startswith("# What this lesson claims") and claim.count("assert ") >= 2, claim


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_running_again_gives_the_stored_outputs(path):
    """The stored outputs come from an earlier run; this session's run (nbval's) must give the same
    ones, images included (nbval does not compare images). Two runs that agree: the lesson is
    deterministic. Cells tagged to escape the comparison (the training cells) are left out."""
    stored = nbformat.read(path, as_version=4)
    fresh = executed_lesson(path)
    assert comparable_outputs(fresh) == comparable_outputs(stored), (
        f"a new run differs from the stored outputs: if you changed the lesson, run `make notebooks` "
        f"and commit {path.relative_to(ROOT)}; if not, something in it is not deterministic"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_carry_nbgrader_metadata(path):
    """Instructions and checks are locked (read-only in nbgrader), answers are not; ids are unique."""
    nb = nbformat.read(path, as_version=4)
    graded = [c for c in nb.cells if "nbgrader" in c.metadata]
    ids = [c.metadata["nbgrader"]["grade_id"] for c in graded]
    assert len(ids) == len(set(ids)), "nbgrader grade_ids must be unique"
    exercises = re.findall(r"^### Exercise (\d+)", "\n".join(_source(c) for c in nb.cells if c.cell_type == "markdown"), re.M)
    locked = [c for c in graded if c.metadata["nbgrader"].get("locked")]
    for n in exercises:
        assert any(f"### Exercise {n}" in _source(c) for c in locked if c.cell_type == "markdown"), f"exercise {n}'s instructions are not locked"
    for c in graded:
        meta = c.metadata["nbgrader"]
        assert meta["schema_version"] == 3
        assert meta.get("locked") == (not meta.get("solution")), "answers editable, everything else locked"
        if meta.get("grade"):
            assert meta.get("points", 0) > 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prediction_cells_come_empty(path):
    """A "predict, then check" cell holds no prediction (None), in the lesson and the student version."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        found += re.findall(r"^(my_(?:guess|prediction)\w*) = (.+?)\s*(?:#.*)?$", _source(cell), flags=re.M)
    assert [value for _name, value in found] == ["None"] * len(found), f"a prediction given away: {found}"
    assert len(found) == (1 if lesson_id(path) in ("05", "06", "07") else 0), f"prediction cells: {found}"


def test_figures_compare_by_pixels_up_to_anti_aliasing_only():
    """The stored-figure comparison tolerates edge shading, not a changed figure."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from notebook_tools import Picture

    def png(ys, title="a"):
        fig = Figure(figsize=(4, 3), dpi=100)
        ax = fig.add_subplot()
        ax.plot([0, 1, 2, 3], ys)
        ax.set_title(title)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return Picture(base64.b64encode(buf.getvalue()).decode())

    base = png([0.0, 1.0, 0.5, 2.0])
    assert base == png([0.0, 1.0 + 1e-7, 0.5, 2.0])  # the last bits of a number: edge pixels at most
    assert base != png([0.0, 1.1, 0.5, 2.0])  # a moved point
    assert base != png([0.0, 1.0, 0.5, 2.0], title="b")  # another title
