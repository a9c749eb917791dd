"""The teacher's guide (notebooks/teachers_guide.md) stays in step with the lessons."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT

GUIDE = ROOT / "notebooks" / "teachers_guide.md"


def test_the_teachers_guide_table_is_the_one_lesson_memory_writes():
    """The guide's time and memory figures are written by `benchmarks/lesson_memory.py --update-guide`."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lesson_memory", ROOT / "benchmarks" / "lesson_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    text = bench.GUIDE.read_text()
    table = text.split(bench.BEGIN, 1)[1].split(bench.END, 1)[0].strip()
    rows = [line.split("|")[1:4] for line in table.splitlines()[2:]]
    parsed = {name.strip(): {"seconds": int(s), "peak_rss_mb": int(m)} for name, s, m in rows}
    assert list(parsed) == [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))]
    assert bench.guide_table(parsed) == table, "edit the table only through lesson_memory.py --update-guide"



@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_guide_covers_every_exercise_and_its_points(path):
    guide = GUIDE.read_text()
    assert f"]({path.name})" in guide, "the guide links the lesson"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            name = re.match(r"\s*check\.(\w+)\(", cell.source)[1]
            assert f"`{name}` ({meta['points']})" in guide, f"the guide's grading table lacks {name} ({meta['points']} points)"


def test_the_readme_links_the_guide():
    assert "(notebooks/teachers_guide.md)" in (ROOT / "README.md").read_text()
