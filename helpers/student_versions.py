"""Write student versions of the lessons: solutions replaced by stubs, outputs cleared.

Usage (``make student`` runs this)::

    python -m helpers.student_versions                # notebooks/*.ipynb -> notebooks/student/
    python -m helpers.student_versions --out DIR A.ipynb B.ipynb

Solutions are marked in the full notebooks nbgrader-style, inside cells whose metadata marks them
as nbgrader solution cells::

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

nbgrader's own ``ClearSolutions`` preprocessor replaces each such block with
``raise NotImplementedError()``; the exercise's check cell then rejects the stub with a reminder.
nbgrader is the ``teacher`` extra of pyproject.toml, not a student's requirement.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["student_version", "write_student_versions", "main"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

BANNER = (
    "> **Student version.** The solutions to the exercises at the end have been replaced by "
    "`raise NotImplementedError()`. Write your own code there, run the cell, then run the check "
    "cell below it: it tells you what is right and, if not, hints at what to fix."
)


def student_version(nb: NotebookNode, depth: int = 1) -> NotebookNode:
    """A copy of ``nb`` with solution regions stubbed out and every output cleared.

    ``depth``: how many folders deeper than the lessons the student version will live, so that
    links out of the lesson folder (``../README.md``) still work; links between lessons do not
    change, because the student versions sit together.

    Used by: `make student` and the nbgrader course test (the teacher's guide, 'Student versions').
    """
    try:
        from nbgrader.preprocessors import ClearOutput, ClearSolutions  # heavy import: only here
    except ImportError as err:
        raise ImportError(
            "student versions are made by nbgrader, a teacher's tool that `make lab` does not install. "
            'Install it with `pip install -e ".[teacher]"` (or run `make student`, which does).'
        ) from err

    nb = copy.deepcopy(nb)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearOutput().preprocess(nb, {})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
        elif depth:
            cell.source = cell.source.replace("](../", "](" + "../" * (depth + 1))
    nb.metadata.pop("widgets", None)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(BANNER))
    return nb


def write_student_versions(notebooks: list[Path], out_dir: Path) -> list[Path]:
    """Write the student version of each notebook into ``out_dir``; return the paths written.

    Used by: `make student` (the teacher's guide, 'Student versions').
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        lessons, out = path.parent.resolve(), out_dir.resolve()
        depth = len(out.relative_to(lessons).parts) if out.is_relative_to(lessons) else 0
        nbformat.write(student_version(nb, depth), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    """The command line: write the student version of each lesson (``python -m helpers.student_versions``).

    Used by: `make student` (the teacher's guide, "Student versions").
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--out", type=Path, default=NOTEBOOKS / "student", help="output folder")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    for target in write_student_versions(notebooks, args.out):
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
