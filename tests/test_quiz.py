"""The concept quiz (helpers/quiz.py, helpers/quiz_widget.py, notebooks/class/quiz.ipynb).

Right answers get full marks in every lesson; every wrong option, and every typical wrong number or
word, gets its own explanation; a blank quiz gets zero; answers of the wrong kind get a message, not
an exception; unknown lessons and ids raise ValueError naming the valid ones; numeric tolerances hold
on both sides. The widget is driven in Python (set a value, press Check, read the feedback). Last,
the quiz notebook goes through nbgrader's own command line: released, handed in three ways (all
right, blank, one wrong answer per lesson), autograded, and the points must be full, zero, and
exactly one lost per lesson.
"""

from __future__ import annotations

import html
import math
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT, lesson_id, timed
from nbgrader import api as nbgrader_api  # the teacher extra, which `make test` installs
from test_nbgrader_course import nbgrader, new_course  # the same course set-up as the lessons'

from helpers import quiz, quiz_widget

QUIZ = ROOT / "notebooks" / "class" / "quiz.ipynb"
ALL = [q for lesson in quiz.lessons() for q in quiz.questions(lesson)]
WRONG_OPTIONS = [(q, o) for q in ALL if q.kind == quiz.CHOICE for o in q.options if not o.correct]
TRAPS = [(q, t) for q in ALL if q.kind != quiz.CHOICE for t in q.traps]
NUMERIC = [q for q in ALL if q.kind == quiz.NUMBER]


def _id(item) -> str:
    q, x = item if isinstance(item, tuple) else (item, None)
    return q.id if x is None else f"{q.id}:{getattr(x, 'key', None) or x.answer}"


# ---------------------------------------------------------------------------------------------
# The questions
# ---------------------------------------------------------------------------------------------

# Decimals a question works out in its own small example (its logits, its probabilities), which its
# lesson does not print; every other decimal in a question quotes its lesson.
WORKED_EXAMPLES = {
    "01-prob-half": {"0.506", "0.867"},
    "01-perplexity": {"1.040", "1.50", "2.83", "4.48"},
    "02-counts": {"0.002"},  # exercise 1's checker message, not a stored output
    "02-not-top": {"0.243", "0.400", "0.757"},
    "03-untrained-loss": {"6.02"},
    "03-greedy-loop": {"0.001"},
    "03-perplexity": {"0.135", "7.39"},
    "04-bits": {"0.521"},
    "04-temper-probs": {"0.473", "0.783"},
    "05-arithmetic": {"0.343"},
    "05b-delta": {"0.050", "0.25"},
    "06-renormalise": {"0.526", "0.625"},
}
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{2,}(?!\d)")  # 0.665, 1.126, 23.5: two decimals or more


def _lesson_text(lesson: str) -> str:
    """Every cell's source and every stored text output of the lesson's notebook, as one string."""
    path = next(p for p in NOTEBOOKS if lesson_id(p) == lesson)
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@pytest.mark.parametrize("lesson", quiz.lessons())
def test_figures_a_question_quotes_are_what_its_lesson_prints(lesson: str):
    """A question that quotes a lesson's figure (0.665, T* = 1.126, …) finds it in the lesson's stored
    notebook: a lesson re-run with other figures fails here until the quiz is brought up to date."""
    printed = _lesson_text(lesson)
    stale = {}
    for q in quiz.questions(lesson):
        texts = [q.prompt, q.explanation, q.otherwise, *(o.text for o in q.options),
                 *(o.explanation for o in q.options), *(t.explanation for t in q.traps)]
        quoted = {n for text in texts for n in DECIMAL.findall(text)} - WORKED_EXAMPLES.get(q.id, set())
        if missing := sorted(n for n in quoted if n not in printed):
            stale[q.id] = missing
    assert not stale, f"lesson {lesson} no longer prints these figures its quiz quotes: {stale}"


def test_each_lesson_title_is_the_lessons_own():
    """quiz.LESSONS names each lesson as its notebook's title does ("# Lesson 6 — <title>")."""
    for path in NOTEBOOKS:
        heading = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
        assert heading.split(" — ", 1)[1] == quiz.LESSONS[lesson_id(path)], path.name
    assert sorted(quiz.LESSONS) == sorted(lesson_id(p) for p in NOTEBOOKS), "a quiz for every lesson"


def test_every_lesson_has_about_eight_questions():
    assert list(quiz.lessons()) == [lesson_id(p) for p in NOTEBOOKS], "every lesson needs a quiz"
    for lesson in quiz.lessons():
        qs = quiz.questions(lesson)
        assert 8 <= len(qs) <= 10, (lesson, len(qs))
        assert {q.kind for q in qs} == {quiz.CHOICE, quiz.NUMBER, quiz.TEXT}, f"lesson {lesson}: all three kinds"
        assert all(q.lesson == lesson and q.id.startswith(lesson + "-") for q in qs)
    assert len({q.id for q in ALL}) == len(ALL), "question ids must be unique"


@pytest.mark.parametrize("q", ALL, ids=_id)
def test_each_question_names_its_section_and_explains_its_answer(q: quiz.Question):
    lesson_name = "lesson " + q.lesson.lstrip("0")
    assert q.section.startswith(lesson_name + ","), q.section
    assert len(q.explanation) > 40 and q.prompt.strip()
    if q.kind == quiz.CHOICE:
        assert [o.key for o in q.options] == list("abcd")[: len(q.options)] and len(q.options) >= 3
        assert sum(o.correct for o in q.options) == 1
        assert len({o.explanation for o in q.options}) == len(q.options), "each option its own explanation"
    else:
        assert q.traps, "numeric and short-answer questions carry their typical wrong answers"
        assert len(q.otherwise) > 20, "and a generic explanation for the others"


def test_the_right_letter_varies():
    letters = [q.answer for q in ALL if q.kind == quiz.CHOICE]
    assert len(set(letters)) >= 3 and max(letters.count(k) for k in set(letters)) < 0.5 * len(letters)


# ---------------------------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", quiz.lessons())
def test_right_answers_get_full_marks(lesson: str):
    result = quiz.grade(lesson, quiz.answer_key(lesson))
    assert result.points == result.max_points == len(quiz.questions(lesson))
    assert all(fb.correct and fb.mark == "✓" for fb in result.feedback.values())
    assert f"{result.max_points} of {result.max_points} points" in result.report()


@pytest.mark.parametrize("lesson", quiz.lessons())
def test_a_blank_quiz_gets_zero(lesson: str):
    qs = quiz.questions(lesson)
    for answers in ({}, {q.id: None for q in qs}, {q.id: "" for q in qs}, {q.id: "   " for q in qs}):
        result = quiz.grade(lesson, answers)
        assert result.points == 0 and result.max_points == len(qs)
        assert all(not fb.answered and quiz.NOT_ANSWERED in fb.explanation for fb in result.feedback.values())


@pytest.mark.parametrize("item", WRONG_OPTIONS, ids=_id)
def test_each_wrong_option_gets_its_own_explanation(item):
    q, option = item
    for answer in (option.key, option.key.upper(), f"({option.key})", f" {option.key}. "):
        fb = quiz.check(q, answer)
        assert not fb.correct and fb.valid and fb.answered and fb.points == 0
        assert option.explanation in fb.explanation
    right = next(o for o in q.options if o.correct)
    assert right.explanation not in quiz.check(q, option.key).explanation


@pytest.mark.parametrize("item", TRAPS, ids=_id)
def test_each_typical_wrong_answer_gets_its_explanation(item):
    q, trap = item
    fb = quiz.check(q, trap.answer)
    assert not fb.correct and fb.valid
    assert trap.explanation in fb.explanation and q.otherwise not in fb.explanation


@pytest.mark.parametrize("q", [q for q in ALL if q.kind != quiz.CHOICE], ids=_id)
def test_other_wrong_answers_get_the_generic_explanation(q: quiz.Question):
    wrong = float(q.answer) * 7 + 123.4 if q.kind == quiz.NUMBER else "zebra crossing"
    fb = quiz.check(q, wrong)
    assert not fb.correct and fb.valid and q.otherwise in fb.explanation


@pytest.mark.parametrize("q", NUMERIC, ids=_id)
def test_numeric_tolerance_on_both_sides(q: quiz.Question):
    answer, tol = float(q.answer), q.tolerance
    for inside in (answer - 0.9 * tol, answer + 0.9 * tol, q.shown_answer, str(q.shown_answer)):
        assert quiz.check(q, inside).correct, inside
    for outside in (answer - 1.1 * tol, answer + 1.1 * tol):
        assert not quiz.check(q, outside).correct, outside


def test_numbers_may_be_typed_as_text():
    assert quiz.check("05b-length", "6,400").correct and quiz.check("05b-length", " 6400 ").correct
    for decimal_comma in ("0,867", "2,83"):
        fb = quiz.check("01-prob-half", decimal_comma)
        assert not fb.valid and "with a point" in fb.explanation


def test_short_answers_are_normalised():
    assert quiz.check("03-autoregressive", "Auto-Regressive").correct
    assert quiz.check("04-gate-order", "I F G O").correct and quiz.check("04-gate-order", "i, f, g, o").correct
    assert quiz.check("07-nucleus", " Top-P ").correct
    assert quiz.normalise("Fisher's  Information!") == "fishersinformation"


@pytest.mark.parametrize("qid, answer, message", [
    ("01-ranking", "e", "is not an option"),
    ("01-ranking", "zz", "is not an option"),
    ("01-ranking", 2, "the letter of one option"),
    ("01-prob-half", "about a half", "wants a number"),
    ("01-prob-half", float("nan"), "NaN is not an answer"),
    ("01-prob-half", math.inf, "infinity is not an answer"),
    ("01-prob-half", True, "wants a number"),
    ("01-prob-half", [0.867], "wants a number"),
    ("01-boltzmann", 3.5, "short text"),
    ("01-boltzmann", "!!!", "no letters or digits"),
])
def test_answers_of_the_wrong_kind_get_a_message(qid, answer, message):
    fb = quiz.check(qid, answer)
    assert not fb.correct and not fb.valid and fb.answered and fb.mark == "?"
    assert message in fb.explanation


def test_unknown_lessons_and_ids_raise_naming_the_valid_ones():
    with pytest.raises(ValueError, match=r"'01', '02', '03', '04', '05', '05b', '06', '07'"):
        quiz.questions("08")
    with pytest.raises(ValueError, match="the lessons with a quiz"):
        quiz.grade("lesson one", {})
    with pytest.raises(ValueError, match=r"unknown question id\(s\) \['01-nope'\].*'01-ranking'"):
        quiz.grade("01", {"01-ranking": "a", "01-nope": "b"})
    with pytest.raises(ValueError, match="'02-gumbel'"):
        quiz.check("02-gumbell", "a")
    with pytest.raises(ValueError, match="ids start with a lesson"):
        quiz.question("nothing")
    assert quiz.questions("1") == quiz.questions(1) == quiz.questions("01")
    assert quiz.questions("5b") == quiz.questions("05b")


# ---------------------------------------------------------------------------------------------
# The widget, in Python
# ---------------------------------------------------------------------------------------------

def test_the_widget_checks_answers_and_keeps_the_score():
    ui = quiz_widget.QuizWidget("01")
    q = ui.questions[0]
    wrong = next(o for o in q.options if not o.correct)
    ui.controls[q.id].value = wrong.key
    ui.buttons[q.id].click()
    assert "✗" in ui.feedback[q.id].value and wrong.explanation in html.unescape(ui.feedback[q.id].value)
    assert "Score: 0 of 9" in ui.score.value and "(1 checked)" in ui.score.value
    ui.controls[q.id].value = q.answer
    ui.buttons[q.id].click()
    assert "✓" in ui.feedback[q.id].value and "Score: 1 of 9" in ui.score.value

    number = next(q for q in ui.questions if q.kind == quiz.NUMBER)
    ui.controls[number.id].value = "half"
    ui.buttons[number.id].click()
    assert "wants a number" in ui.feedback[number.id].value
    ui.controls[number.id].value = str(number.shown_answer)
    ui.buttons[number.id].click()
    assert "✓" in ui.feedback[number.id].value and "Score: 2 of 9" in ui.score.value


def test_the_widget_is_readable_and_stands_in_as_text():
    ui = quiz_widget.QuizWidget("05b")
    css = ui.root.children[0].value
    sizes = [int(px) for px in re.findall(r"font-size:\s*(\d+)px", css)]
    assert sizes and min(sizes) >= 16, "12-pt (16 px) text or larger"
    assert all(len(ui.controls[q.id].options) == len(q.options) for q in ui.questions if q.kind == quiz.CHOICE)
    assert ui._repr_mimebundle_()["text/plain"].startswith("Concept quiz, lesson 5b: 8 questions")
    with pytest.raises(ValueError, match="05b"):
        quiz_widget.QuizWidget("5c")


# ---------------------------------------------------------------------------------------------
# The notebook, and the nbgrader round trip
# ---------------------------------------------------------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _solution(source: str) -> str:
    return source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]


def test_the_notebook_has_a_section_per_lesson_with_graded_cells():
    nb = nbformat.read(QUIZ, as_version=4)
    assert nb.cells[0].source.startswith("# Concept quiz — one per lesson\n")
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for lesson in quiz.lessons():
        qs = quiz.questions(lesson)
        head = next(i for i, c in enumerate(nb.cells) if c.source.startswith(f"## Lesson {lesson.lstrip('0')} — "))
        assert quiz.LESSONS[lesson] in nb.cells[head].source
        widget, answers, graded = nb.cells[head + 1 : head + 4]
        assert widget.source == f'quiz_widget.QuizWidget("{lesson}")'
        assert _nbgrader(answers) == {"grade": False, "grade_id": f"quiz{lesson}_answers", "locked": False,
                                      "schema_version": 3, "solution": True}
        blank = {}
        exec(answers.source.split("### BEGIN SOLUTION")[0], {}, blank)  # noqa: S102 - our own notebook
        assert blank[f"answers_{lesson}"] == {q.id: None for q in qs}, "the student version: every id, None"
        namespace = dict(blank)
        exec(_solution(answers.source), {}, namespace)  # noqa: S102
        assert quiz.grade(lesson, namespace[f"answers_{lesson}"]).points == len(qs)
        assert _nbgrader(graded)["grade"] and _nbgrader(graded)["points"] == len(qs)
        assert _nbgrader(graded)["grade_id"] == f"quiz{lesson}_grade"
        shown = [o for o in graded.outputs if o.output_type == "execute_result"]
        assert shown and shown[-1].data["text/plain"] == str(len(qs)), "stored outputs show full marks"


def _with_one_wrong_answer_per_lesson(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, dict]:
    """The full notebook with, in each lesson, its first multiple-choice answer changed to a wrong letter."""
    changed = {}
    for cell in nb.cells:
        gid = _nbgrader(cell).get("grade_id", "")
        if not gid.endswith("_answers"):
            continue
        lesson = gid.removeprefix("quiz").removesuffix("_answers")
        q = next(q for q in quiz.questions(lesson) if q.kind == quiz.CHOICE)
        wrong = next(o.key for o in q.options if not o.correct)
        solution = _solution(cell.source)
        line = re.search(rf'"{re.escape(q.id)}":\s*"{q.answer}",', solution)
        assert line, f"{q.id}'s answer not found in the solution of {gid}"
        cell.source = cell.source.replace(line.group(0), line.group(0).replace(f'"{q.answer}"', f'"{wrong}"'))
        changed[lesson] = (q, wrong)
    return nb, changed


HAND_INS = ("right", "blank", "one_wrong")
_COURSE: list = []  # a Future of prepare_course(), when the session started it in the background


def prepare_course(root: Path, niceness: int = 0) -> Path:
    """nbgrader's share of the round trip, in a new course under ``root``: release the quiz, hand it in
    three ways, autograde, write the one-wrong hand-in's feedback. Returns the course folder.

    tests/conftest.py starts this in the background with the lessons' courses (at their lower
    priority), so that the test below only reads the results; run alone, the test calls it itself."""
    timed("nbgrader: the concept quiz released, handed in three ways, autograded")
    course = new_course(root / "quiz-course")
    assignment = "quiz"
    source = course / "source" / assignment / QUIZ.name
    source.parent.mkdir(parents=True)
    shutil.copy(QUIZ, source)
    nbgrader(course, "generate_assignment", assignment, "--force", niceness=niceness)
    release = nbformat.read(course / "release" / assignment / QUIZ.name, as_version=4)
    hand_ins = {"right": nbformat.read(QUIZ, as_version=4), "blank": release,
                "one_wrong": _with_one_wrong_answer_per_lesson(nbformat.read(QUIZ, as_version=4))[0]}
    for student, nb in hand_ins.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / QUIZ.name)
    nbgrader(course, "autograde", assignment, niceness=niceness)
    nbgrader(course, "generate_feedback", assignment, "--student", "one_wrong", niceness=niceness)
    timed("nbgrader: the concept quiz released, handed in three ways, autograded")
    return course


def start_course(pool, root: Path, niceness: int) -> None:
    """Queue :func:`prepare_course` on the lessons' background pool (tests/conftest.py calls this)."""
    _COURSE.append(pool.submit(prepare_course, root, niceness))


def test_nbgrader_round_trip(tmp_path):
    course = _COURSE[0].result() if _COURSE else prepare_course(tmp_path)
    assignment = "quiz"
    release = nbformat.read(course / "release" / assignment / QUIZ.name, as_version=4)
    text = "".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
    assert not any(c.get("outputs") for c in release.cells if c.cell_type == "code")
    _, changed = _with_one_wrong_answer_per_lesson(nbformat.read(QUIZ, as_version=4))

    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            student: {g.name: (g.score, g.max_score) for g in
                      gradebook.find_submission_notebook(QUIZ.stem, assignment, student).grades if g.max_score}
            for student in HAND_INS
        }
    for lesson in quiz.lessons():
        gid, n = f"quiz{lesson}_grade", len(quiz.questions(lesson))
        assert scores["right"][gid] == (n, n), (gid, scores["right"][gid])
        assert scores["blank"][gid] == (0, n), (gid, scores["blank"][gid])
        assert scores["one_wrong"][gid] == (n - 1, n), (gid, scores["one_wrong"][gid])
    assert len(scores["right"]) == len(quiz.lessons()), "only the grade cells carry points"

    # The blank hand-in ran to the end: only the answer cells' stubs failed, and every grade cell
    # printed "not answered". The one-wrong hand-in's feedback shows each wrong option's explanation.
    graded = nbformat.read(course / "autograded" / "blank" / assignment / QUIZ.name, as_version=4)
    for cell in (c for c in graded.cells if c.cell_type == "code"):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if _nbgrader(cell).get("solution"):
            assert errors and errors[0].ename == "NotImplementedError"
        else:
            assert not errors, cell.source
    feedback = (course / "feedback" / "one_wrong" / assignment / f"{QUIZ.stem}.html").read_text()
    shown = html.unescape(re.sub(r"<[^>]+>", "", feedback))
    for q, wrong in changed.values():
        explanation = next(o.explanation for o in q.options if o.key == wrong)
        assert explanation in shown.replace("\n", " ") or explanation[:60] in shown, q.id
