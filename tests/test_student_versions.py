"""Student versions: solutions stubbed by nbgrader, everything else runs, every check rejects."""

from __future__ import annotations

import nbformat
import pytest
from conftest import NOTEBOOKS
from notebook_tools import execute

from helpers.student_versions import write_student_versions


@pytest.fixture(scope="module")
def student_notebooks(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return write_student_versions(NOTEBOOKS, out)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.name for p in NOTEBOOKS])
def test_student_version_hides_solutions_and_runs(student_notebooks, index):
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

    execute(nb, cwd=NOTEBOOKS[index].parent, allow_errors=True)
    checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if cell.metadata.get("nbgrader", {}).get("grade"):
            checks += 1
            assert errors, f"a check cell accepted the stub:\n{_source(cell)}"
            assert errors[0].ename == "ExerciseFailed" and "not written yet" in errors[0].evalue
        else:
            assert not errors, f"cell failed in the student version:\n{_source(cell)}\n{errors}"
    assert checks >= 3


def test_links_out_of_the_lesson_folder_still_work_one_level_down():
    from helpers.student_versions import student_version

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("[list](../README.md) [next](02_x.ipynb)")])
    nb.metadata["kernelspec"] = {"language": "python", "name": "python3", "display_name": "Python 3"}
    text = student_version(nb, depth=1).cells[1].source
    assert text == "[list](../../README.md) [next](02_x.ipynb)"
