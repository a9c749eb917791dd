"""The series as an nbgrader course, driven through nbgrader's own command line, lesson by lesson.

For each lesson, in a temporary course directory:

1. ``nbgrader generate_assignment`` makes the student version (the same code cells as
   ``make student``'s, which uses the same ClearSolutions preprocessor);
2. three students hand in: ``solution`` (the full lesson, as this session's nbval run executed it),
   ``blank`` (the student version, untouched but for ``SKIP_TRAINING = True``) and ``mistake`` (the
   full lesson with one typical mistake in one exercise, and ``SKIP_TRAINING = True``);
3. ``nbgrader autograde`` runs the blank and the mistake top to bottom (in the background from the
   start of the session, one course per lesson: they need nothing of this session's runs) and
   grades the solution as it was run (the lesson is executed once per test session);
4. ``nbgrader generate_feedback`` writes the HTML a student gets back.

The solution must get every automatic point, the blank version none (and still run to the end), the
mistake must lose that exercise's points and no others, and the feedback must show the hint that the
lesson's checker gives for that mistake. The blank and the mistake take the one-line switch a class
on a slow machine uses (lessons 3 and 4 load their shipped training runs), so that switch is tested
here end to end, and they run in seconds instead of minutes.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from notebook_tools import comparable_outputs
from conftest import NOTEBOOKS, executed_lesson, lesson_id, timed
from nbgrader import api as nbgrader_api  # the teacher extra, which `make test` installs

from helpers.student_versions import student_version



@dataclass(frozen=True)
class Mistake:
    """One typical mistake: in solution cell ``cell``, the text ``right`` is replaced by ``wrong``."""

    cell: str  # grade_id of the solution cell
    right: str
    wrong: str
    hint: str  # what the checker's message must say (plain text, as in the lesson)


MISTAKES = {
    "01_softmax_and_temperature": Mistake(
        "ex1_softmax", "np.exp((z - top) / T)", "np.exp(z - top) ** T",  # p ** T: fastai #1264
        "the wrong way round",
    ),
    "02_sampling": Mistake(
        "ex2_sample_steps", "sampling.sample(z, T, rng)", "sampling.sample(z, T, seed)",  # the seed at every step
        "every step got the same random number",
    ),
    "03_tiny_rnn": Mistake(
        "ex3_perplexity", "return float(np.exp(nll.mean()))", "return float(nll.mean())",  # the loss
        "the mean loss in nats; perplexity is exp of it",
    ),
    "04_char_lstm": Mistake(
        "ex1_lstm_step", "i, f, g, o = np.split(gates, 4)", "i, f, o, g = np.split(gates, 4)",  # gate order
        "order i, f, g, o",
    ),
    "05_temperature_measured": Mistake(
        "ex2_crossing",  # the grid point at or above the threshold, not interpolated between grid points
        "return float(t0 + (t1 - t0) * (threshold - v0) / (v1 - v0))", "return float(t1)",
        "interpolate between it and the point before",
    ),
    "05b_temperature_detective": Mistake(
        "ex2_detective", "return float(best_t)", "return float(1 / best_t)",  # beta, not T
        "beta = 1/T",
    ),
    "06_beyond_temperature": Mistake(
        "ex2_min_p_distribution",  # the right survivors, not renormalised: they add up to less than 1
        "return kept / kept.sum()",
        "return kept",
        "did not renormalise",
    ),
    "07_from_characters_to_tokens": Mistake(
        "ex1_repetition_penalty",  # every seen logit divided, negative ones too: those tokens become MORE likely
        "z[seen] * penalty, z[seen] / penalty)",
        "z[seen] / penalty, z[seen] / penalty)",
        "transformers multiplies negative logits by the penalty",
    ),
}

STUDENTS = ("solution", "blank", "mistake")
SKIP = ("SKIP_TRAINING = False", "SKIP_TRAINING = True")  # the one-line switch of lessons 3 and 4


def _skipping_training(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with the training cells switched to the shipped runs (if it has any)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(SKIP[0]):
            cell.source = cell.source.replace(SKIP[0], SKIP[1], 1)
    return nb


def test_every_lesson_has_a_typical_mistake():
    assert sorted(MISTAKES) == [p.stem for p in NOTEBOOKS]
    assert sorted(PREPARATION_ORDER) == [lesson_id(p) for p in NOTEBOOKS], "add the lesson to PREPARATION_ORDER"


def new_course(root: Path) -> Path:
    """An empty nbgrader course in ``root`` (one per lesson: they are prepared side by side)."""
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        'c.CourseDirectory.course_id = "temperature"\n'
        "# Lessons 3 and 4 train their demo models in one cell each (under a minute alone).\n"
        "c.Execute.timeout = 600\n"
    )
    return root


def nbgrader(course: Path, *args: str, niceness: int = 0) -> str:
    """Run ``nbgrader ARGS`` in the course directory (``niceness`` lower in priority than this
    process, with the kernels it starts); fail with its log if it fails."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # it calls alembic
    env["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter")  # no personal nbgrader settings
    lower = (lambda: os.nice(niceness)) if niceness and hasattr(os, "nice") else None
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True,
        preexec_fn=lower,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0 and "[ERROR]" not in log and "| ERROR]" not in log, log
    return log


def _with_mistake(nb: nbformat.NotebookNode, mistake: Mistake) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == mistake.cell]
    assert len(cells) == 1 and cells[0].metadata["nbgrader"]["solution"], mistake.cell
    assert mistake.right in cells[0].source, f"the solution of {mistake.cell} changed: update MISTAKES"
    cells[0].source = cells[0].source.replace(mistake.right, mistake.wrong)
    return nb


def _check_cell_of(nb: nbformat.NotebookNode, solution_id: str) -> str:
    """grade_id of the graded cell that follows the solution cell ``solution_id``."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    following = nb.cells[ids.index(solution_id) + 1]
    assert following.metadata["nbgrader"]["grade"], f"no check cell after {solution_id}"
    return following.metadata["nbgrader"]["grade_id"]


def _text(html_page: str) -> str:
    """The visible text of an HTML page (tags dropped, entities decoded, ANSI colour spans merged)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_page))


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _assignment(lesson: Path) -> str:
    return "lesson" + lesson_id(lesson)


def prepare(lesson: Path, root: Path, niceness: int = 0) -> Path:
    """Steps 1 to 3 for the blank and the mistake (they need no run of this session): a course,
    nbgrader's release, the two hand-ins, autograded. Returns the course directory."""
    course, assignment = new_course(root / lesson.stem), _assignment(lesson)
    timed(f"nbgrader: {assignment}'s release, blank and mistake hand-ins, autograded")
    source = course / "source" / assignment / lesson.name
    source.parent.mkdir(parents=True)
    shutil.copy(lesson, source)
    nbgrader(course, "generate_assignment", assignment, "--force", niceness=niceness)
    release = nbformat.read(course / "release" / assignment / lesson.name, as_version=4)
    hand_ins = {
        "blank": _skipping_training(release),
        "mistake": _skipping_training(_with_mistake(nbformat.read(lesson, as_version=4), MISTAKES[lesson.stem])),
    }
    for student, nb in hand_ins.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / lesson.name)
    nbgrader(course, "autograde", assignment, niceness=niceness)
    timed(f"nbgrader: {assignment}'s release, blank and mistake hand-ins, autograded")
    return course


_PREPARED: dict[Path, Future] = {}
_GRADED: dict[Path, Future] = {}  # lesson -> its solution graded (in the background, once nbval has run it)
_POOL: list[ThreadPoolExecutor] = []
_NICENESS: list[int] = [0]
PREPARATION_ORDER = ["04", "03", "06", "07", "05", "05b", "02", "01"]  # longest first (lesson numbers)


def _longest_first(lessons: list[Path]) -> list[Path]:
    return sorted(lessons, key=lambda p: PREPARATION_ORDER.index(lesson_id(p)))


def start_preparations(root: Path, niceness: int = 0, lessons: list[Path] | None = None) -> None:
    """Prepare every lesson's course in the background, two at a time, from the start of the session
    (tests/conftest.py calls this, at a lower priority): the tests below then wait only for what is
    not done. They run in the same order, so that each one's preparation is the first to be ready."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nbgrader")  # two at a time, longest first
    _POOL.append(pool)
    _NICENESS[0] = niceness
    for lesson in _longest_first(NOTEBOOKS if lessons is None else lessons):
        _PREPARED[lesson] = pool.submit(prepare, lesson, root, niceness)


def grade_solution_later(lesson: Path) -> None:
    """Queue, after the preparations, the grading of ``lesson``'s solution as nbval ran it
    (tests/conftest.py calls this when nbval has run the lesson's last cell): the test below then
    finds it graded. Without the background preparations, the test grades it itself. (Measured: run
    as soon as each preparation is done, the gradings slowed the browser stage more than they saved.)"""
    if _POOL and lesson in _PREPARED and lesson not in _GRADED:
        _GRADED[lesson] = _POOL[0].submit(lambda: grade_solution(_PREPARED[lesson].result(), lesson, _NICENESS[0]))


def grade_solution(course: Path, lesson: Path, niceness: int = 0) -> Path:
    """Step 2 and 3 for the solution: the lesson as nbval ran it (executed once, in this session),
    handed in and autograded as run (no second execution), then everyone's feedback. Returns ``course``."""
    assignment = _assignment(lesson)
    timed(f"nbgrader: {assignment}'s solution (nbval's run) autograded, feedback")
    folder = course / "submitted" / "solution" / assignment
    folder.mkdir(parents=True)
    nbformat.write(executed_lesson(lesson), folder / lesson.name)
    nbgrader(course, "autograde", assignment, "--student", "solution", "--ClearOutput.enabled=False",
             "--Execute.enabled=False", niceness=niceness)
    nbgrader(course, "generate_feedback", assignment, niceness=niceness)
    timed(f"nbgrader: {assignment}'s solution (nbval's run) autograded, feedback")
    return course


@pytest.mark.parametrize("lesson", _longest_first(NOTEBOOKS), ids=[p.stem for p in _longest_first(NOTEBOOKS)])
def test_nbgrader_round_trip(lesson: Path, tmp_path: Path):
    name, mistake, assignment = lesson.stem, MISTAKES[lesson.stem], _assignment(lesson)
    course = _PREPARED[lesson].result() if lesson in _PREPARED else prepare(lesson, tmp_path)

    # 1. The student version, by nbgrader: its code is exactly what `make student` hands out.
    release = nbformat.read(course / "release" / assignment / lesson.name, as_version=4)
    full = nbformat.read(lesson, as_version=4)
    ours = student_version(full)
    assert [c.source for c in release.cells if c.cell_type == "code"] == [
        c.source for c in ours.cells if c.cell_type == "code"
    ], "nbgrader's release and `make student` differ in their code"
    assert "BEGIN SOLUTION" not in "".join(c.source for c in release.cells)

    # 2. Three hand-ins: the blank and the mistake were handed in (and autograded) by prepare();
    # the solution is the lesson as nbval ran it, executed once and graded as run.
    blank = nbformat.read(course / "submitted" / "blank" / assignment / lesson.name, as_version=4)
    assert [c.source for c in blank.cells] == [c.source for c in _skipping_training(release).cells]
    if lesson_id(lesson) in ("03", "04"):
        assert SKIP[1] in "".join(c.source for c in blank.cells), "the training switch is gone"
    solution = executed_lesson(lesson)
    assert [c.source for c in solution.cells] == [c.source for c in full.cells]

    # 3. and 4. Autograde the solution as nbval ran it (no second execution), then the feedback
    # (done in the background as soon as nbval had run the lesson, if it could be).
    _GRADED[lesson].result() if lesson in _GRADED else grade_solution(course, lesson)
    graded = nbformat.read(course / "autograded" / "solution" / assignment / lesson.name, as_version=4)
    assert comparable_outputs(graded) == comparable_outputs(solution), "the solution was graded as run"

    missed = _check_cell_of(full, mistake.cell)
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grades = {
            student: {
                g.name: (g.score, g.max_score, g.cell_type, g.needs_manual_grade)
                for g in gradebook.find_submission_notebook(lesson.stem, assignment, student).grades
            }
            for student in STUDENTS
        }
    auto = [gid for gid, (_, _, kind, _) in grades["solution"].items() if kind == "code"]
    assert len(grades["solution"]) >= 3 and len(auto) >= 2 and missed in auto  # written answers count
    for gid, (score, max_score, kind, needs_person) in grades["solution"].items():
        if kind == "code":
            assert score == max_score > 0, f"the solution lost points on {gid}"
        else:
            assert needs_person, f"{gid}: a written answer is for a person to grade"
    for gid, (score, max_score, _, _) in grades["blank"].items():
        assert score == 0, f"the untouched student version got {score} of {max_score} on {gid}"
    for gid in auto:
        score, max_score, _, _ = grades["mistake"][gid]
        assert score == (0 if gid == missed else max_score), f"the mistake in {mistake.cell} changed {gid}: {score}/{max_score}"

    # The blank version ran to the end: every code cell ran; only the check cells failed, each with
    # the reminder that the exercise is not written yet.
    graded = nbformat.read(course / "autograded" / "blank" / assignment / lesson.name, as_version=4)
    code = [c for c in graded.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "the autograder stopped before the end of the lesson"
    for cell in code:
        errors = _errors(cell)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert errors and errors[0].ename == "ExerciseFailed" and "not written yet" in errors[0].evalue
        else:
            assert not errors, f"a cell failed in the student version:\n{cell.source}\n{errors}"

    # The mistake's feedback shows the checker's hint, in the check cell's output.
    graded = nbformat.read(course / "autograded" / "mistake" / assignment / lesson.name, as_version=4)
    check = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == missed)
    errors = _errors(check)
    assert errors and errors[0].ename == "ExerciseFailed" and mistake.hint in errors[0].evalue, errors
    feedback = _text((course / "feedback" / "mistake" / assignment / f"{lesson.stem}.html").read_text())
    hint_line = errors[0].evalue.splitlines()[0]
    assert hint_line in feedback, f"the feedback does not show the checker's hint {hint_line!r}"
    assert "raise _fail(" not in feedback, "the feedback shows the checker's code, not only its hint"
    assert "not written yet" in _text((course / "feedback" / "blank" / assignment / f"{lesson.stem}.html").read_text())
