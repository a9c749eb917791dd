"""Student versions: solutions stubbed by nbgrader's ClearSolutions, outputs cleared, links kept.

(That they run to the end, with every check rejecting its stub, is tested on nbgrader's own release
of each lesson, whose code cells are the same: tests/test_nbgrader_course.py.)
"""

from __future__ import annotations

import re
import sys
import tomllib

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT

from helpers.student_versions import write_student_versions


@pytest.fixture(scope="module")
def student_notebooks(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return write_student_versions(NOTEBOOKS, out)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.name for p in NOTEBOOKS])
def test_student_version_hides_solutions(student_notebooks, index):
    full = nbformat.read(NOTEBOOKS[index], as_version=4)
    path = student_notebooks[index]
    nb = nbformat.read(path, as_version=4)
    assert "Student version" in _source(nb.cells[0])
    solution_lines = {
        line.strip()
        for c in full.cells
        if c.metadata.get("nbgrader", {}).get("solution")
        for line in _source(c).split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].splitlines()
        if line.strip()
    }
    student_text = "\n".join(_source(c) for c in nb.cells)
    assert "BEGIN SOLUTION" not in student_text
    leaked = [line for line in solution_lines if line in {l.strip() for l in student_text.splitlines()}]
    assert not leaked, f"solution lines left in the student version: {leaked}"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")

    stubs = [c for c in nb.cells if c.cell_type == "code" and "raise NotImplementedError()" in _source(c)]
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert len(stubs) == len(graded) >= 2, "every checked exercise is left for the student"
    written = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "markdown"]
    assert len(graded) + len(written) >= 3, "at least three exercises (a written answer counts)"
    # Running it is tests/test_nbgrader_course.py's job: nbgrader's release has the same code cells,
    # and the autograder runs it to the end with every check cell rejecting its stub.


def test_links_out_of_the_lesson_folder_still_work_one_level_down():
    from helpers.student_versions import student_version

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("[list](../README.md) [next](02_x.ipynb)")])
    nb.metadata["kernelspec"] = {"language": "python", "name": "python3", "display_name": "Python 3"}
    text = student_version(nb, depth=1).cells[1].source
    assert text == "[list](../../README.md) [next](02_x.ipynb)"


def test_without_nbgrader_the_error_says_how_to_install_it(monkeypatch):
    from helpers.student_versions import student_version

    monkeypatch.setitem(sys.modules, "nbgrader.preprocessors", None)  # as if nbgrader were absent
    with pytest.raises(ImportError, match=r'pip install -e "\.\[teacher\]"'):
        student_version(nbformat.v4.new_notebook())


def test_nbgrader_is_a_teachers_extra_not_a_students_requirement():
    for path in (ROOT / "requirements.txt", ROOT / "binder" / "requirements.txt"):
        lines = [line for line in path.read_text().lower().splitlines() if not line.startswith("#")]
        assert not [line for line in lines if "nbgrader" in line], f"{path} installs nbgrader for students"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["teacher"] == ["nbgrader==0.9.6"], "the teacher extra pins nbgrader"
    rules = _make_prerequisites()
    assert "TEACHER_STAMP" in rules["test"] and "TEACHER_STAMP" in rules["student"]
    assert "TEACHER_STAMP" not in rules["lab"], "students' JupyterLab comes without nbgrader"


def _make_prerequisites() -> dict[str, str]:
    """Each Makefile target's prerequisites, as written (e.g. {'lab': '$(STAMP)'})."""
    rules = {}
    for line in (ROOT / "Makefile").read_text().splitlines():
        if m := re.match(r"^([a-z]+):(?!=)\s*(.*)$", line):
            rules[m[1]] = m[2]
    return rules
