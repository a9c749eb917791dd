"""The concept quiz: about eight questions per lesson that test understanding, not code, and their grading.

No widgets here (``helpers.quiz_widget`` shows a lesson's questions in JupyterLab); this module holds
the questions and grades answers, so that the widget, the notebook's nbgrader cells and the tests
all grade the same way.

Three kinds of question:

- ``"choice"``: multiple choice, answered with an option's letter (``"a"``, ``"b"``, …). Every wrong
  option carries the explanation of the misconception it stands for: the trap's name, why it is
  wrong, and what is right.
- ``"number"``: a number, right within the question's tolerance (on both sides). Typical wrong
  answers (``p ** T`` instead of ``exp(z / T)``, ``log2`` instead of ``ln``, the head instead of the
  tail, …) are computed here with the series' helpers and get their own explanation; any other
  wrong number gets a generic one.
- ``"text"``: a short answer. Spellings are normalised before they are compared (lower case, only
  letters and digits kept, so ``"Auto-regressive"`` is ``"autoregressive"``); typical wrong
  answers get their own explanation.

Every fact is one the lessons print or state; each question names the lesson section it draws on.
Numbers a question asks for are computed with the helpers (``softmax``, ``sampling``,
``token_logits``), never typed by hand.

The API::

    questions("01")                       # the lesson's questions, a tuple of Question
    check(question, "b")                  # Feedback(correct, explanation, answered, valid)
    grade("01", {"01-ranking": "b", …})   # QuizResult(points, max_points, per-question feedback)
    answer_key("01")                      # {question id: a right answer}

A blank answer (``None`` or ``""``) scores 0 with "not answered"; an answer of the wrong kind (a
letter that is not an option, text for a numeric question, NaN) gets a message saying what is
expected; an unknown lesson or question id raises :class:`ValueError` naming the valid ones.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Real

import numpy as np

from . import sampling, softmax, token_logits

__all__ = [
    "LESSONS",
    "Option",
    "Trap",
    "Question",
    "Feedback",
    "QuizResult",
    "lessons",
    "questions",
    "question",
    "check",
    "grade",
    "answer_key",
    "normalise",
]

CHOICE, NUMBER, TEXT = "choice", "number", "text"
NOT_ANSWERED = "not answered"

LESSONS: dict[str, str] = {
    "01": "Logits, softmax and temperature",
    "02": "Sampling: from probabilities to a choice",
    "03": "A tiny RNN, written by hand in numpy",
    "04": "A character LSTM in PyTorch, and the live temperature dashboard",
    "05": "What temperature does to text, measured",
    "05b": "Reading the temperature off a text: temperature scaling and the detective",
    "06": "Beyond temperature: top-k, top-p, min-p, and the order of the knobs",
    "07": "From characters to tokens: temperature where LLMs use it",
}


@dataclass(frozen=True)
class Option:
    """One option of a multiple-choice question: its letter, its text, whether it is right, and
    the explanation shown when it is chosen (for a wrong option: the misconception it stands for).

    Used in: the concept quiz (notebooks/class/quiz.ipynb).
    """

    key: str
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Trap:
    """A typical wrong answer of a numeric or short-answer question and the misconception behind it.

    ``answer`` is a number (matched within the question's tolerance) or a normalised spelling.

    Used in: the concept quiz (notebooks/class/quiz.ipynb).
    """

    answer: float | str
    explanation: str


@dataclass(frozen=True)
class Question:
    """One quiz question.

    Attributes:
        id: unique over the quiz, starting with the lesson, e.g. ``"01-ranking"``.
        lesson: ``"01"`` … ``"07"``, ``"05b"``.
        section: where the lesson teaches it, e.g. ``"lesson 1, section 4 (…)"``.
        prompt: the question.
        kind: ``"choice"``, ``"number"`` or ``"text"``.
        answer: the right option's letter, the right number (float), or the canonical text.
        explanation: shown with a right answer (why it is right).
        options: ``"choice"`` only, in the order shown (letters ``a``, ``b``, …).
        tolerance: ``"number"`` only: an answer within ``± tolerance`` of ``answer`` is right.
        accepted: ``"text"`` only: the normalised spellings accepted as right.
        traps: ``"number"`` and ``"text"``: typical wrong answers, each with its explanation.
        otherwise: ``"number"`` and ``"text"``: the explanation for any other wrong answer.

    Used in: the concept quiz (notebooks/class/quiz.ipynb).
    """

    id: str
    lesson: str
    section: str
    prompt: str
    kind: str
    answer: str | float
    explanation: str
    options: tuple[Option, ...] = ()
    tolerance: float = 0.0
    accepted: tuple[str, ...] = ()
    traps: tuple[Trap, ...] = ()
    otherwise: str = ""

    @property
    def shown_answer(self) -> str | float:
        """A right answer as a student would write it: the letter, the number rounded to a precision
        the tolerance accepts, or the canonical text."""
        if self.kind == NUMBER:
            digits = max(0, math.ceil(-math.log10(self.tolerance))) if self.tolerance < 1 else 0
            value = round(float(self.answer), digits)
            return int(value) if digits == 0 else value
        return self.answer

    @property
    def hint(self) -> str:
        """What kind of answer is expected, in words (shown by the widget and in messages)."""
        if self.kind == CHOICE:
            return "the letter of one option: " + ", ".join(o.key for o in self.options)
        if self.kind == NUMBER:
            return "a number (decimals with a point, e.g. 0.25)"
        return "a short text (a word or a few)"


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    ``correct``: it scores. ``answered``: it was not blank. ``valid``: it was of the right kind (a
    letter of an option, a finite number, a text). ``explanation``: what to tell the student.

    Used in: the concept quiz (notebooks/class/quiz.ipynb).
    """

    correct: bool
    explanation: str
    answered: bool = True
    valid: bool = True

    @property
    def points(self) -> int:
        """1 for a right answer, else 0."""
        return int(self.correct)

    @property
    def mark(self) -> str:
        """✓ for right, ✗ for wrong, – for blank, ? for an answer of the wrong kind."""
        if self.correct:
            return "✓"
        if not self.answered:
            return "–"
        return "✗" if self.valid else "?"


@dataclass(frozen=True)
class QuizResult:
    """A graded quiz: points scored, points possible, and the feedback on each question (by id).

    Used in: the concept quiz (notebooks/class/quiz.ipynb), the grade cell of each lesson.
    """

    lesson: str
    points: int
    max_points: int
    feedback: dict[str, Feedback] = field(default_factory=dict)

    def report(self) -> str:
        """The per-question feedback and the score, one paragraph per question."""
        title = LESSONS[self.lesson]
        lines = [f"Concept quiz, lesson {_lesson_number(self.lesson)} ({title}): {self.points} of {self.max_points} points"]
        for number, (qid, fb) in enumerate(self.feedback.items(), start=1):
            lines.append(f"{fb.mark} {number}. [{qid}] {fb.explanation}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


# ---------------------------------------------------------------------------------------------
# Normalising and checking answers
# ---------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """A short answer as it is compared: Unicode-normalised, lower case, only letters and digits.

    ``"Auto-regressive"`` → ``"autoregressive"``, ``"i, f, g, o"`` → ``"ifgo"``, ``" Top-P "`` → ``"topp"``.

    Used in: the concept quiz (notebooks/class/quiz.ipynb): how short answers are compared.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _is_blank(answer: object) -> bool:
    return answer is None or (isinstance(answer, str) and answer.strip() == "")


_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$")  # 6,400 (not 0,867: a decimal comma)


def _as_number(answer: object) -> tuple[float | None, str]:
    """``(value, "")`` for a usable number, else ``(None, why not)``."""
    if isinstance(answer, bool):
        return None, f"this question wants a number, not {answer!r}"
    if isinstance(answer, Real):
        value = float(answer)
    elif isinstance(answer, str):
        cleaned = answer.strip().replace("_", "").replace(" ", "")
        if _THOUSANDS.match(cleaned):
            cleaned = cleaned.replace(",", "")
        try:
            value = float(cleaned)
        except ValueError:
            hint = " (write decimals with a point: 0.5, not 0,5)" if re.fullmatch(r"[+-]?\d+,\d+", cleaned) else ""
            return None, f"this question wants a number, and {answer!r} is not one{hint}"
    else:
        return None, f"this question wants a number, got {type(answer).__name__} {answer!r}"
    if math.isnan(value):
        return None, "NaN is not an answer: give a finite number"
    if math.isinf(value):
        return None, "infinity is not an answer: give a finite number"
    return value, ""


def _option_key(answer: str) -> str:
    """``"B"``, ``"(b)"``, ``"b)"``, ``"b."`` → ``"b"``."""
    return answer.strip().strip("()[].:").strip().lower()


def check(question: Question | str, answer: object) -> Feedback:
    """Grade one answer to one question.

    Args:
        question: a :class:`Question` or its id (``"01-ranking"``).
        answer: a letter for ``"choice"``, a number (or a numeric string) for ``"number"``, a string
            for ``"text"``. ``None`` or ``""``: not answered.

    Returns:
        A :class:`Feedback`. A blank answer scores 0 with "not answered"; an answer of the wrong
        kind scores 0 with a message saying what is expected (never an exception).

    Raises:
        ValueError: for an unknown question id (the message names the lesson's valid ids).

    Used in: the concept quiz (notebooks/class/quiz.ipynb) and its widget's "Check" buttons.
    """
    q = question if isinstance(question, Question) else _find(question)
    if _is_blank(answer):
        return Feedback(False, f"{NOT_ANSWERED} (expected {q.hint})", answered=False, valid=False)
    if q.kind == CHOICE:
        return _check_choice(q, answer)
    if q.kind == NUMBER:
        return _check_number(q, answer)
    return _check_text(q, answer)


def _check_choice(q: Question, answer: object) -> Feedback:
    keys = [o.key for o in q.options]
    if not isinstance(answer, str):
        return Feedback(False, f"answer with {q.hint} (got {answer!r})", valid=False)
    key = _option_key(answer)
    if key not in keys:
        return Feedback(False, f"{answer.strip()!r} is not an option of this question: answer with {q.hint}", valid=False)
    option = q.options[keys.index(key)]
    if option.correct:
        return Feedback(True, f"Right ({option.key}). {option.explanation}")
    return Feedback(False, f"Not {option.key}. {option.explanation}")


def _check_number(q: Question, answer: object) -> Feedback:
    value, why_not = _as_number(answer)
    if value is None:
        return Feedback(False, why_not, valid=False)
    if abs(value - float(q.answer)) <= q.tolerance:
        return Feedback(True, f"Right ({_fmt(value)}). {q.explanation}")
    for trap in q.traps:
        if abs(value - float(trap.answer)) <= q.tolerance:
            return Feedback(False, f"Not {_fmt(value)}. {trap.explanation} The answer is {_fmt(q.shown_answer)}.")
    return Feedback(False, f"Not {_fmt(value)}. {q.otherwise} The answer is {_fmt(q.shown_answer)}.")


def _check_text(q: Question, answer: object) -> Feedback:
    if not isinstance(answer, str):
        return Feedback(False, f"this question wants {q.hint}, got {answer!r}", valid=False)
    said = normalise(answer)
    if not said:
        return Feedback(False, f"{answer!r} has no letters or digits: this question wants {q.hint}", valid=False)
    if said in q.accepted:
        return Feedback(True, f"Right ({answer.strip()}). {q.explanation}")
    for trap in q.traps:
        if said == trap.answer:
            return Feedback(False, f"Not {answer.strip()!r}. {trap.explanation} The answer is {q.answer!r}.")
    return Feedback(False, f"Not {answer.strip()!r}. {q.otherwise} The answer is {q.answer!r}.")


def _fmt(value: float | int | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:.6g}"


def grade(lesson: str, answers: Mapping[str, object]) -> QuizResult:
    """Grade a lesson's quiz: one point per right answer.

    Args:
        lesson: ``"01"`` … ``"07"`` or ``"05b"`` (``"1"`` and ``1`` are read as ``"01"``).
        answers: question id → answer; a missing id counts as not answered.

    Returns:
        A :class:`QuizResult` with the points, the maximum, and the feedback on every question in
        the quiz's order.

    Raises:
        ValueError: for an unknown lesson, or an id in ``answers`` that is not one of the lesson's
            questions (the message names the valid ones).

    Used in: the concept quiz (notebooks/class/quiz.ipynb), the grade cell of each lesson.
    """
    qs = questions(lesson)
    valid = [q.id for q in qs]
    if not isinstance(answers, Mapping):
        raise ValueError(f"answers must be a dict of question id -> answer, got {type(answers).__name__}")
    unknown = [key for key in answers if key not in valid]
    if unknown:
        raise ValueError(f"unknown question id(s) {unknown} for lesson {qs[0].lesson}; its questions are {valid}")
    feedback = {q.id: check(q, answers.get(q.id)) for q in qs}
    return QuizResult(qs[0].lesson, sum(fb.points for fb in feedback.values()), len(qs), feedback)


def answer_key(lesson: str) -> dict[str, str | float]:
    """Question id → a right answer, for every question of ``lesson`` (the notebook's solutions).

    Used in: the concept quiz (notebooks/class/quiz.ipynb): its answer cells hold these answers.
    """
    return {q.id: q.shown_answer for q in questions(lesson)}


def lessons() -> tuple[str, ...]:
    """The lessons with a quiz, in order: ``("01", "02", "03", "04", "05", "05b", "06", "07")``.

    Used in: the concept quiz (notebooks/class/quiz.ipynb).
    """
    return tuple(LESSONS)


def _lesson_id(lesson: object) -> str:
    text = str(lesson).strip().lower()
    if re.fullmatch(r"\d[a-z]?", text):
        text = "0" + text
    if text not in LESSONS:
        raise ValueError(f"no quiz for lesson {lesson!r}: the lessons with a quiz are {list(LESSONS)}")
    return text


def _lesson_number(lesson: str) -> str:
    return lesson.lstrip("0")


def questions(lesson: str) -> tuple[Question, ...]:
    """The questions of ``lesson``'s quiz, in order (about eight).

    Raises:
        ValueError: for an unknown lesson (the message names the lessons with a quiz).

    Used in: the concept quiz (notebooks/class/quiz.ipynb) and its widget.
    """
    return _all()[_lesson_id(lesson)]


def question(question_id: str) -> Question:
    """The question with id ``question_id`` (e.g. ``"01-ranking"``).

    Raises:
        ValueError: for an unknown id (the message names the valid ids of its lesson, or the lessons).

    Used in: the concept quiz (notebooks/class/quiz.ipynb).
    """
    return _find(question_id)


def _find(question_id: object) -> Question:
    by_id = {q.id: q for qs in _all().values() for q in qs}
    if question_id in by_id:
        return by_id[question_id]
    lesson = str(question_id).split("-")[0]
    if lesson in LESSONS:
        raise ValueError(f"no question {question_id!r}; lesson {lesson}'s questions are {[q.id for q in _all()[lesson]]}")
    raise ValueError(f"no question {question_id!r}: ids start with a lesson, one of {list(LESSONS)}")


# ---------------------------------------------------------------------------------------------
# Building questions
# ---------------------------------------------------------------------------------------------

def _choice(qid: str, section: str, prompt: str, right: tuple[str, str],
            wrong: Sequence[tuple[str, str]]) -> Question:
    """A multiple-choice question. ``right`` and each of ``wrong`` are (option text, explanation);
    the options are put in an order fixed by the id (so the right letter varies between questions)."""
    items = [(right[0], True, right[1])] + [(text, False, why) for text, why in wrong]
    shift = zlib.crc32(qid.encode()) % len(items)
    items = items[shift:] + items[:shift]
    options = tuple(Option(chr(ord("a") + i), text, ok, why) for i, (text, ok, why) in enumerate(items))
    key = next(o.key for o in options if o.correct)
    return Question(qid, qid.split("-")[0], section, prompt, CHOICE, key, right[1], options=options)


def _number(qid: str, section: str, prompt: str, answer: float, tolerance: float, explanation: str,
            traps: Sequence[tuple[float, str]], otherwise: str) -> Question:
    """A numeric question, right within ``± tolerance``; ``traps`` are (typical wrong value, explanation)."""
    answer = float(answer)
    kept = []
    for value, why in traps:
        value = float(value)
        if abs(value - answer) <= 2 * tolerance:
            raise ValueError(f"{qid}: the trap {value} is too close to the answer {answer} to be told apart")
        kept.append(Trap(value, why))
    return Question(qid, qid.split("-")[0], section, prompt, NUMBER, answer, explanation, tolerance=tolerance,
                    traps=tuple(kept), otherwise=otherwise)


def _text(qid: str, section: str, prompt: str, answer: str, accepted: Sequence[str], explanation: str,
          traps: Sequence[tuple[Sequence[str], str]], otherwise: str) -> Question:
    """A short-answer question; ``accepted`` and each trap's spellings are normalised."""
    ok = tuple(dict.fromkeys(normalise(a) for a in (answer, *accepted)))
    kept = [Trap(normalise(s), why) for spellings, why in traps for s in spellings]
    if any(t.answer in ok for t in kept):
        raise ValueError(f"{qid}: a trap's spelling is also accepted")
    return Question(qid, qid.split("-")[0], section, prompt, TEXT, answer, explanation, accepted=ok,
                    traps=tuple(kept), otherwise=otherwise)


def _p(logits: Sequence[float], temperature: float) -> np.ndarray:
    return softmax.softmax_with_temperature(np.asarray(logits, dtype=float), temperature)


def _power_t(probs: Sequence[float], temperature: float) -> np.ndarray:
    """The fastai #1264 mistake: probabilities raised to the power T, renormalised."""
    q = np.asarray(probs, dtype=float) ** temperature
    return q / q.sum()


@lru_cache(maxsize=1)
def _all() -> dict[str, tuple[Question, ...]]:
    built = {
        "01": _lesson_01(), "02": _lesson_02(), "03": _lesson_03(), "04": _lesson_04(),
        "05": _lesson_05(), "05b": _lesson_05b(), "06": _lesson_06(), "07": _lesson_07(),
    }
    ids = [q.id for qs in built.values() for q in qs]
    if len(ids) != len(set(ids)):
        raise RuntimeError("question ids must be unique")
    return built


# ---------------------------------------------------------------------------------------------
# Lesson 1 — Logits, softmax and temperature
# ---------------------------------------------------------------------------------------------

def _lesson_01() -> tuple[Question, ...]:
    z = [2.0, 1.0, 0.0]
    p_half = _p(z, 0.5)[0]
    p_one = _p(z, 1.0)[0]
    p_pow = _power_t(_p(z, 1.0), 0.5)[0]          # = softmax(z / 2): the way round reversed
    dist = np.array([0.5, 0.25, 0.25])
    ppl = softmax.perplexity(dist)
    bits = softmax.entropy(dist, unit="bits")
    nats = softmax.entropy(dist, unit="nats")
    return (
        _choice(
            "01-ranking", "lesson 1, section 4 (temperature never changes the ranking)",
            "After 'th' the model ranks 'e' first, the space second and 'a' third at T = 1. "
            "What happens to this ranking when T doubles, from 1 to 2?",
            ("The ranking stays exactly the same; only the probabilities move closer together.",
             "Dividing every logit by the same positive T keeps their order (z_i > z_j gives z_i/T > z_j/T), "
             "and softmax is increasing: the whole ranking of the 65 characters stays (section 4 checks it at "
             "25 temperatures). T changes how much more likely, never which."),
            [("The ranking reverses: the least likely character becomes the most likely.",
              "That is what a NEGATIVE temperature would do (dividing by T < 0 flips every comparison), which is "
              "why the helper refuses it. A positive T, even a large one, keeps the order; the ranking stays."),
             ("The top characters keep their places, but the rare ones change places among themselves.",
              "No pair of characters can swap: z_i > z_j means z_i/T > z_j/T for every positive T, rare characters "
              "included. All 65 keep their places; only the gaps between their probabilities shrink."),
             ("'e' is no longer the most likely character: the 'other' bar overtakes it.",
              "The trap of the pooled bar: 'other' is 53 characters added together (it overtakes 'e' near T = 2.09, "
              "section 7). Each of them alone stays far below 'e'. 'e' is the single most likely character at every "
              "T; the ranking stays.")]),
        _choice(
            "01-divide-what", "lesson 1, section 3 (temperature: divide the logits by T)",
            "Where does temperature act in softmax with temperature?",
            ("It divides the logits by T, before the softmax: p_i ∝ exp(z_i / T).",
             "Temperature is one division of the logits before the softmax: T < 1 stretches the gaps (the "
             "favourite gains), T > 1 shrinks them (the outsiders gain)."),
            [("It raises the probabilities to the power T and renormalises: p_i ** T.",
              "The trap of fastai #1264: p ** T equals softmax(z · T), which is dividing by 1/T, the wrong way "
              "round, so variety FALLS as T rises. Raising to the power 1/T would be right; the course divides "
              "the logits by T."),
             ("It divides the probabilities by T after the softmax.",
              "Dividing every probability by the same T and renormalising gives back the same distribution (and "
              "without renormalising they no longer sum to 1). Temperature divides the LOGITS, before the "
              "exponential, which is what changes the shape."),
             ("It multiplies the logits by T.",
              "That is the wrong way round: multiplying by T is dividing by 1/T, so T = 2 would sharpen the "
              "distribution instead of flattening it (char-rnn #124 asks exactly which way T goes). The logits "
              "are divided by T.")]),
        _number(
            "01-prob-half", "lesson 1, section 3 (divide the logits by T), and lesson 4's exercise 3 table",
            "Three tokens have logits z = [2, 1, 0]. What is the probability of the first token at T = 0.5? "
            "(three decimals)",
            p_half, 0.005,
            f"softmax(z / 0.5) = exp([4, 2, 0]) / (e⁴ + e² + 1), so the first token gets {p_half:.3f} "
            f"(it had {p_one:.3f} at T = 1: a low T sharpens).",
            [(p_one, f"{p_one:.3f} is the probability at T = 1: the logits were not divided by T = 0.5."),
             (p_pow, f"{p_pow:.3f} is softmax(z / 2): you raised the probabilities to the power T (fastai "
                     "#1264) or multiplied the logits by T, the wrong way round. Divide the logits by T.")],
            "Divide the logits by T first (z / 0.5 = [4, 2, 0]), then take exp and normalise."),
        _choice(
            "01-regimes", "lesson 1, section 4 (the three regimes)",
            "As T → ∞, what does the distribution over the 65 characters become?",
            ("Uniform: every character gets 1/65.",
             "Every logit divided by a huge T is about 0, so every character gets the same probability 1/V "
             "(section 4 prints 1/65 = 0.0154)."),
            [("One-hot: all the probability on the most likely character.",
              "That is the other end: T → 0 is greedy (argmax). Which way T goes is a classic confusion "
              "(char-rnn #124): a HIGH T flattens, towards uniform."),
             ("The model's own distribution, unchanged.",
              "That is T = 1, the middle regime. As T grows without bound every difference between logits "
              "vanishes and the distribution becomes uniform."),
             ("The corpus frequencies of the characters.",
              "Those are what softmax of the log-count logits gives at T = 1 (section 2). At T → ∞ the "
              "frequencies no longer matter: uniform, 1/65 each.")]),
        _choice(
            "01-t-zero", "lesson 1, section 4 (a trap: T = 0 and negative temperatures)",
            "Code computes exp(z / T) / sum(exp(z / T)) with numpy at T = 0. What happens, and what does this "
            "course do instead?",
            ("0/0 and inf/inf give NaN, and a sampler fed NaN crashes or picks garbage; the course's helper "
             "returns the limit instead: T = 0 is greedy.",
             "Dividing by zero blindly breaks (nanoGPT #738); some libraries forbid T = 0 with sampling. Here "
             "T = 0 means greedy: all the probability on the largest logit, ties sharing it."),
            [("Python raises ZeroDivisionError, so T = 0 can never be used.",
              "numpy arrays do not raise: they warn and return inf and NaN, which flow on silently into the "
              "sampler (nanoGPT #738). And T = 0 is usable: in this course it means greedy."),
             ("It returns the uniform distribution.",
              "Uniform is the T → ∞ limit. T → 0 is the opposite end, greedy; computed blindly at T = 0 the "
              "formula gives NaN, not uniform."),
             ("It works: floating point handles a division by zero exactly.",
              "Section 4's cell prints what the blind formula gives at T = 0: [nan nan nan …]. The helper "
              "returns the greedy limit instead.")]),
        _choice(
            "01-overflow", "lesson 1, section 2 (why subtract the maximum?)",
            "Logits [1000, 999, 998]: naive softmax returns [nan, nan, nan]. Why, and what is the fix?",
            ("exp(1000) overflows to inf and inf / inf is NaN; subtract the largest logit first, which changes "
             "nothing in the result.",
             "Adding the same number to every logit multiplies top and bottom by the same e^c, so subtracting "
             "the max is free and keeps every exponent ≤ 0 (section 2 prints [0.665 0.245 0.09])."),
            [("Logits must lie between 0 and 1: divide them by the largest one first.",
              "Logits can be any real numbers. Dividing them by 1000 is a temperature of 1000 and flattens the "
              "distribution to nearly uniform. SUBTRACTING the max changes nothing; dividing changes everything."),
             ("Compute in float16, which GPUs use: it has more room.",
              "The reverse: float16's exp already overflows at 12 (section 2 prints inf), and very small T makes "
              "it worse (vllm #890). Subtract the max first; that is safe in any precision."),
             ("Softmax is undefined when logits are close together; add a little random noise.",
              "Softmax is defined for any logits; close logits give close probabilities. The NaN comes only from "
              "exp overflowing; subtract the max.")]),
        _number(
            "01-perplexity", "lesson 1, section 5 (entropy and the effective number of choices)",
            "A distribution over three characters is [0.5, 0.25, 0.25]. What is its perplexity, the effective "
            "number of choices? (two decimals)",
            ppl, 0.02,
            f"Its entropy is {bits:.2f} bits = {nats:.3f} nats, and perplexity = 2 ** bits = e ** nats = {ppl:.2f}: "
            "as uncertain as a fair choice among 2.83 characters.",
            [(3.0, "3 counts the characters that are possible. Perplexity counts how evenly the probability is "
                   "spread: 3 only for a uniform choice among three; 2 ** entropy here."),
             (bits, f"{bits:.2f} is the entropy in bits. The effective number of choices is its exponential, "
                    f"2 ** {bits:.2f}."),
             (nats, f"{nats:.3f} is the entropy in nats (natural log). Perplexity is e ** nats (or 2 ** bits)."),
             (math.exp(bits), f"{math.exp(bits):.2f} is e ** (entropy in BITS): a base mixed up. Use 2 ** bits "
                              "or e ** nats, which agree.")],
            "Perplexity = exp(entropy in nats) = 2 ** (entropy in bits), with entropy −Σ p log p."),
        _choice(
            "01-who-gains", "lesson 1, exercise 2 (who gains when T rises?) and question 3",
            "After 'th' at T = 1, T rises a little. Which characters LOSE probability?",
            ("Only the characters more likely than 1 / (effective number of choices): at T = 1 after 'th', only "
             "'e'.",
             "d log p_i / dT = −(z_i − E_p[z]) / T², so a character loses exactly when its p_i exceeds "
             "exp(−H) = 1 / perplexity (0.167 at T = 1: only 'e', 0.461; exercise 2 prints it)."),
            [("Every character except the favourite.",
              "The favourite is not alone: at T = 2 the six leaders 'e␣aioy' all lose (exercise 2 prints them). "
              "The dividing line is 1 / (effective number of choices), not first place."),
             ("Every character above the uniform 1/V = 1/65 loses; every one below gains.",
              "The space has 0.136 at T = 1, far above 1/65, yet it gains as T rises (section 3's table: 0.071, "
              "0.136, then 0.111). The line is 1 / perplexity, not 1/V."),
             ("All of them: a higher T gives every character more.",
              "Probabilities always add up to 1, so some must lose what others gain. The leaders lose: those "
              "above 1 / (effective number of choices).")]),
        _text(
            "01-boltzmann", "lesson 1, section 6 (where the name comes from: Boltzmann's distribution)",
            "In Boltzmann's distribution p_i ∝ exp(−E_i / kT), a logit z_i plays the role of the NEGATIVE of "
            "which physical quantity? (one word)",
            "energy", ["the energy", "energies", "state energy"],
            "z_i = −E_i (with k = 1): a cold system sits in its lowest-energy state (greedy), a hot one visits "
            "all states equally (uniform).",
            [(["temperature", "the temperature"],
              "T is the temperature in both formulas; the logit corresponds to the energy, with a minus sign."),
             (["entropy"],
              "Entropy measures how spread the distribution is (section 5); the logit corresponds to the "
              "energy of a state, with a minus sign.")],
            "Compare exp(−E_i / kT) with exp(z_i / T): the logit is minus the energy."),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 2 — Sampling
# ---------------------------------------------------------------------------------------------

def _lesson_02() -> tuple[Question, ...]:
    cdf_probs, u = [0.2, 0.5, 0.3], 0.75
    chosen = "abc"[sampling.sample_inverse_cdf(cdf_probs, u)]
    z = [3.0, 1.0, 1.0, 0.0]
    p = _p(z, 1.0)
    other = 1 - p.max()
    linear = 1 - z[0] / sum(z)
    return (
        _choice(
            "02-not-favourite", "lesson 2, section 1 (why wasn't the most likely character picked?)",
            "After 'th' at T = 1, P('e') = 0.461. Sampling 30 times gave 'e' only 14 times. Is the sampler broken?",
            ("No: sampling picks something other than the favourite with probability 1 − p_max = 0.539, more "
             "than half the time.",
             "Sampling draws each character with its probability: 'e' about 46 % of the time. The others "
             "together are more likely than 'e' (section 1)."),
            [("Yes: a correct sampler always picks the most likely character.",
              "That is greedy decoding (argmax, T = 0), not sampling: the common surprise of "
              "transformer-explainer #29. Sampling picks 'e' only with its probability, 0.461."),
             ("No, but only because 30 draws are few: with 10,000 draws 'e' would win nearly every draw.",
              "More draws make the share of 'e' settle near 0.461 (section 3: 10,000 draws sit on the exact "
              "probabilities), not near 1."),
             ("Yes: at T = 1 sampling should equal greedy; only T > 1 adds randomness.",
              "Only T = 0 is greedy. At T = 1 the sampler draws from the model's own distribution, so other "
              "characters come out more than half the time.")]),
        _choice(
            "02-greedy-buys", "lesson 2, section 1 (greedy versus sampling)",
            "Greedy decoding gives the same output for the same input every time. What does that buy?",
            ("Consistency, not accuracy: always the model's favourite, whether the favourite is right or wrong.",
             "Deterministic is not correct: greedy repeats the model's most likely answer, so a wrong favourite "
             "is repeated just as reliably."),
            [("The correct answer, since the most likely character is the most probably right.",
              "The trap of consistency read as correctness. The favourite is the model's belief; greedy repeats "
              "it every time, right or wrong. It buys consistency, not accuracy."),
             ("The most varied text.",
              "The reverse: greedy always takes the same choice, and on a model that feeds itself it loops "
              "(lesson 3). It buys consistency."),
             ("The average of all the samples the model could give.",
              "Greedy takes the single most likely choice at each step; it is not an average of samples. It "
              "buys consistency, not accuracy.")]),
        _text(
            "02-inverse-cdf", "lesson 2, section 2 (inverse-CDF sampling)",
            "Characters a, b, c have probabilities [0.2, 0.5, 0.3] (in that order). Inverse-CDF sampling draws "
            "u = 0.75. Which character is chosen? (one letter)",
            chosen, [f"'{chosen}'", f"character {chosen}"],
            f"The cumulative sums are [0.2, 0.7, 1.0]: a owns [0, 0.2), b owns [0.2, 0.7), c owns [0.7, 1.0). "
            f"u = 0.75 lands in {chosen}'s piece.",
            [(["b"], "b is the most likely, but sampling does not pick the favourite: b owns the piece [0.2, 0.7) "
                     "of the cumulative sums, and u = 0.75 lies beyond it, in c's [0.7, 1.0)."),
             (["a"], "a owns [0, 0.2), the start of the line. Lay the pieces end to end in order: u = 0.75 "
                     "lands in c's [0.7, 1.0).")],
            "Lay the probabilities end to end on [0, 1) in order and see whose piece u falls in."),
        _choice(
            "02-counts", "lesson 2, section 3 and exercise 1 (testing a sampler: counts, not frequencies)",
            "You test a sampler with 1,000 draws and compute Pearson's chi-square on FREQUENCIES (counts / 1,000) "
            "instead of counts. What happens?",
            ("The statistic is 1,000 times too small, so a broken sampler passes (exercise 1: p = 0.994 instead "
             "of 0.002).",
             "χ² = Σ (O − E)² / E is defined on counts; dividing O and E by n divides it by n. Test on counts."),
            [("Nothing: chi-square does not depend on the scale.",
              "It does: on frequencies it is n times smaller (exercise 1: 12.4 on counts, 0.0124 on "
              "frequencies), and the broken sampler passes. Use counts."),
             ("The statistic is 1,000 times too LARGE, so a correct sampler fails.",
              "The wrong direction: frequencies make the statistic n times too SMALL, so a broken sampler "
              "passes. Use counts."),
             ("The p-value becomes exactly 0.",
              "The reverse: the tiny statistic gives a p-value near 1 (0.994 in exercise 1), so the bug "
              "passes. Use counts.")]),
        _choice(
            "02-gumbel", "lesson 2, section 4 (the Gumbel-max trick)",
            "The Gumbel-max trick picks argmax_i (z_i / T + g_i), with Gumbel noise g_i. Which statement is right?",
            ("It draws an exact sample of softmax(z / T) without computing the softmax, and the noise can be "
             "drawn once and reused at every T.",
             "The maximum of z_i/T + g_i lands on i with probability softmax(z/T)_i (chi-square tests in section "
             "4 agree); the noise and the temperature are separate, which section 6 exploits."),
            [("It is an approximation that becomes exact only for a large vocabulary.",
              "It is exact for any vocabulary: 10,000 draws over 65 characters give chi-square p = 0.657 "
              "(section 4)."),
             ("The noise must be added before dividing: argmax((z + g) / T).",
              "Dividing the sum by a positive T does not change its argmax, so that is argmax(z + g) at every "
              "T: temperature would do nothing. Divide the logits, then add the noise."),
             ("It always picks the most likely character, because the noise averages out.",
              "Each draw has its own noise, which often lifts another character above the favourite: the "
              "sampling versus argmax confusion. It samples; argmax of z alone is greedy.")]),
        _choice(
            "02-seed-every-step", "lesson 2, section 5 and exercise 2 (seeds, one generator per text)",
            "A generation loop calls sampling.sample(z, T, seed) with seed = 0 at EVERY step. What goes wrong?",
            ("Every step restarts the stream and gets the same random number; make the generator once "
             "(np.random.default_rng(seed)) and pass it to every step.",
             "A seed passed to every step makes a fresh generator each time, so each step draws the same "
             "uniform number; one generator per text gives each step its own."),
            [("Nothing: the same seed makes the text reproducible, which is what we want.",
              "Reproducible, yes, but every step gets the same random number, so the choices are not "
              "independent draws. One generator per text is reproducible too, with a new number at each step."),
             ("The text becomes greedy.",
              "Not greedy: each step still samples, but always with the same uniform number, so the choices are "
              "tied together. Make the generator once."),
             ("Nothing: numpy moves its global random state on between the calls.",
              "default_rng(seed) builds a fresh generator from the seed each time; the global state is not "
              "involved. Every step gets the same number; make the generator once.")]),
        _choice(
            "02-shared-noise", "lesson 2, section 6 (common random numbers)",
            "With the same Gumbel noise reused at every temperature, what happens as T moves from 0.05 to 3?",
            ("The choice changes only where the temperature tips the balance: 1.3 changes on average over 60 "
             "temperatures, against 42.1 with fresh noise.",
             "Shared noise keeps choices stable where T barely matters (section 6), and each T still gives an "
             "exact sample of its own distribution."),
            [("The choices are no longer exact samples of softmax(z / T).",
              "Each is still exact: the noise is still Gumbel. What changes is only that neighbouring "
              "temperatures give related samples."),
             ("Every temperature gives the same choice.",
              "No: the choice flips where some other character's z/T + g overtakes the favourite's (seed 0 "
              "keeps 'e' up to T = 1.5, then 'N' from 1.75). It changes rarely, not never."),
             ("The same as with fresh noise at each T.",
              "Fresh noise changes the choice at most steps (42.1 changes on average), shared noise rarely "
              "(1.3). That is the point of sharing it.")]),
        _number(
            "02-not-top", "lesson 2, section 1 (sampling picks the favourite with probability p_max)",
            "Four tokens have logits z = [3, 1, 1, 0]. Sampling at T = 1: what is the probability that the "
            "token picked is NOT the most likely one? (three decimals)",
            other, 0.005,
            f"softmax(z) gives the favourite {p.max():.3f}, so something else is picked with 1 − {p.max():.3f} = "
            f"{other:.3f}.",
            [(p.max(), f"{p.max():.3f} is the probability of the favourite itself; the question asks for "
                       "everything else, 1 − p_max."),
             (0.0, "0 would be greedy decoding. Sampling draws each token with its probability, so the others "
                   "come out with 1 − p_max."),
             (linear, f"{linear:.3f} comes from dividing the logits by their sum; probabilities come from "
                      "exp(z) normalised (softmax).")],
            "Compute softmax(z) and take 1 − its largest probability."),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 3 — A tiny RNN
# ---------------------------------------------------------------------------------------------

def _lesson_03() -> tuple[Question, ...]:
    uniform = np.full(65, 1 / 65)
    loss_nats = softmax.entropy(uniform)
    loss_bits = softmax.entropy(uniform, unit="bits")
    mean_loss = 2.0
    ppl = math.exp(mean_loss)
    return (
        _choice(
            "03-hidden-state", "lesson 3, section 1 (recurrence: a running summary)",
            "What does the tiny RNN's hidden state h_t hold?",
            ("A vector of H numbers summarising everything read so far, updated one character at a time with "
             "the same weights at every step.",
             "h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h): the new character is mixed into the summary; only h "
             "changes from step to step."),
            [("The last 25 characters, word for word.",
              "25 is the length of a training chunk, not a memory. The state is a learned summary of numbers, "
              "carried from chunk to chunk."),
             ("A separate set of weights for each position in the text.",
              "The same weights serve every step; that sharing is what makes it recurrent. The hidden state is "
              "a vector that changes, not weights."),
             ("The probabilities of the next character.",
              "Those come from h_t: z_t = W_hy h_t + b_y, then softmax. The state itself is the summary they are "
              "computed from.")]),
        _number(
            "03-untrained-loss", "lesson 3, section 2 (the forward pass: an untrained network's loss)",
            "An untrained network predicts about uniformly over V = 65 characters. What is its loss, "
            "−log p(next character), in nats per character? (two decimals)",
            loss_nats, 0.02,
            f"With p = 1/65 for every character, −ln(1/65) = ln 65 = {loss_nats:.3f} nats: the number to beat.",
            [(loss_bits, f"{loss_bits:.2f} is log2 65, the loss in BITS. Nats use the natural log: ln 65."),
             (65.0, "65 is the perplexity of the uniform guess (its effective number of choices), e ** loss; "
                    "the loss is ln 65."),
             (1 / 65, "1/65 is the probability of each character; the loss is −ln of it, ln 65."),
             (math.log10(65), "That is log10 65; the loss in nats uses the natural log: ln 65.")],
            "The loss is −ln(1/65) = ln 65 nats."),
        _choice(
            "03-dz", "lesson 3, section 3 (softmax and cross-entropy, backwards)",
            "For p = softmax(z) and the loss L = −log p_y (y the right character), what is dL/dz?",
            ("p − onehot(y): the predicted probabilities, minus 1 at the right answer.",
             "L = −z_y + log Σ exp(z_j), so ∂L/∂z_k = p_k − [k = y] (section 3 derives it)."),
            [("−1/p_y at y and 0 elsewhere.",
              "That is dL/dp, the gradient with respect to the probabilities. The chain rule through softmax, "
              "where every logit moves every probability, gives dL/dz = p − onehot(y)."),
             ("onehot(y) − p.",
              "The sign is flipped: that is the direction that LOWERS the loss (minus the gradient). The gradient "
              "itself is p − onehot(y)."),
             ("p itself.",
              "The target is missing: the loss depends on which character was right. dL/dz = p − onehot(y).")]),
        _choice(
            "03-gradient-check", "lesson 3, section 3 and exercise 2 (the gradient check and the bug hunt)",
            "A gradient check gives a relative error near 1 for Wxh, Whh and bh, and 1e-7 for Why and by. "
            "Where is the bug?",
            ("Between the output layer and the recurrence: in the step back through tanh (the factor 1 − h²).",
             "Why and by are right, so the output layer is; every parameter before the tanh is wrong, so the "
             "bug is where the gradient crosses it (exercise 2's planted bug forgets 1 − h²)."),
            [("In the output layer: the gradient of Why.",
              "Why and by pass the check (1e-7). The bug is upstream of them, where the gradient goes back "
              "through the tanh."),
             ("Nowhere: a relative error of 1 is small.",
              "A correct backward pass gives relative errors far below 1e-5 (section 3: 1e-7); an error near 1 "
              "means the gradient is wrong. The bug is in the step back through tanh."),
             ("In the gradient check itself: its ε is too large.",
              "The same check gives 1e-7 on the correct backward pass, so it works. The buggy one is wrong, in "
              "the step back through tanh.")]),
        _choice(
            "03-greedy-loop", "lesson 3, section 5 (temperature on a model that feeds itself) and question 1",
            "Why does greedy decoding of the tiny RNN end in 'the shall the shall the shall …'?",
            ("It always takes the most likely character; once its state comes back to where it was, every "
             "choice after it repeats.",
             "A deterministic model with a finite state that revisits a state must repeat what followed it; "
             "sampling can escape the loop."),
            [("Because T = 0 divides by zero and the sampler returns garbage.",
              "In this course T = 0 is defined as greedy (the argmax), with no division. The loop is real "
              "greedy behaviour, the same as nanoGPT #233's repeated line at T = 0.001."),
             ("A bug in the random number generator.",
              "Greedy decoding uses no random numbers at all. The loop comes from always taking the favourite."),
             ("The training text repeats that phrase many times.",
              "It does not; the loop is made by the decoding. Each most-likely choice leads back to the same "
              "state, and greedy never leaves it.")]),
        _choice(
            "03-surprise", "lesson 3, section 5 (the trade-off in numbers)",
            "Over 20 seeds, the surprise of the samples, −log2 p under the model's own T = 1 distribution, rises "
            "steadily from 1.35 bits/char at T = 0 to 5.01 at T = 2. What does that say?",
            ("Temperature decides how far the samples stray from what the model learned.",
             "The model is the same at every T; a higher T picks characters the model itself finds less likely."),
            [("The model gets worse at high T.",
              "The weights are the same at every temperature; only the sampling changed. The samples stray "
              "further from what the model learned."),
             ("High-T text is more creative.",
              "Surprise measures unlikeliness under the model, not quality or creativity (lesson 5: novel is "
              "not creative). It says how far the samples stray."),
             ("Nothing: the surprise is measured at each sample's own T, so it must rise.",
              "It is measured at T = 1 for every sample, so it compares like with like: higher T really picks "
              "less likely characters.")]),
        _number(
            "03-perplexity", "lesson 3, exercise 3 (the perplexity of a text)",
            "A model's mean loss on a line is 2.0 nats per character. What is its perplexity on that line? "
            "(two decimals)",
            ppl, 0.05,
            f"Perplexity = exp(mean loss in nats) = e² = {ppl:.2f} effective choices per character.",
            [(2 ** mean_loss, "4 is 2 ** 2: the loss was read as bits. In nats, perplexity is e ** loss."),
             (mean_loss, "2.0 is the mean loss in nats; perplexity is exp of it (the hint of exercise 3's check)."),
             (math.exp(-mean_loss), f"{math.exp(-mean_loss):.3f} is e ** −2, the geometric mean probability; "
                                    "perplexity is its inverse, e ** 2.")],
            "Perplexity is e ** (mean loss in nats)."),
        _choice(
            "03-echo", "lesson 3, section 6 (one choice echoes through what follows)",
            "With the same noise, one character is forced at step 20. What happens to the text after it?",
            ("The next choices change strongly, and the echo fades over a few dozen characters without "
             "vanishing: after 50 characters the choices still differ in 15 % of the samples.",
             "Each choice is the next step's context, so the forced one steers the following ones; with shared "
             "noise many continuations fall back in step (distance 0.64 one character later, 0.16 fifty later)."),
            [("Only that character changes; the rest is the same, because the noise is shared.",
              "Every generated character is fed back in as the next input: one change moves the hidden state "
              "and so the following probabilities (68 % of the next characters differ)."),
             ("Everything after it is different, in every sample, for good.",
              "With shared noise many continuations fall back in step: the distance between the distributions "
              "falls from 0.64 to 0.16 over 50 characters. Without shared noise they would part for good."),
             ("The same as with fresh noise.",
              "Fresh noise makes the texts part at once (a shared prefix of under one character on average, "
              "section 6's table); shared noise lets them fall back in step.")]),
        _text(
            "03-autoregressive", "lesson 3, section 5 (the text is autoregressive)",
            "Generation feeds each sampled character back in as the next input. What is this kind of "
            "generation called? (one word)",
            "autoregressive", ["auto-regressive", "auto regressive", "autoregression"],
            "Each step's output becomes the next step's input, so the text depends on its own earlier choices.",
            [(["recurrent", "recurrence"],
              "Recurrent describes the network (its hidden state feeds the next step). Feeding the OUTPUT back "
              "in is autoregressive, and a GPT, which is not recurrent, is autoregressive too."),
             (["greedy"],
              "Greedy is one way to choose (the argmax). Feeding choices back in happens at any T: it is "
              "autoregressive generation.")],
            "Generation that feeds its own outputs back in as inputs is called autoregressive."),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 4 — The character LSTM
# ---------------------------------------------------------------------------------------------

def _lesson_04() -> tuple[Question, ...]:
    loss = 1.435                                           # the pretrained LSTM's loss, printed in section 4
    bits = loss / math.log(2)
    probs = np.array([0.6, 0.3, 0.1])
    tempered = _p(np.log(probs), 0.5)[0]                   # softmax(log p / T) = p ** (1/T), renormalised
    wrong_power = _power_t(probs, 0.5)[0]
    return (
        _choice(
            "04-vanish", "lesson 4, sections 1 and 5 (vanishing and exploding gradients; how far back it looks)",
            "Lesson 3's trained RNN has a spectral radius of 6.7, far above 1, yet its gradient VANISHES with "
            "distance. Why?",
            ("Its units are saturated: the mean tanh slope is 0.09, so ρ times the slope is below 1.",
             "Each step multiplies the gradient by about ρ times a typical slope 1 − h²; saturated units pass "
             "almost nothing back (section 5 prints 6.7 and 0.09)."),
            [("A spectral radius above 1 always makes the gradient vanish.",
              "The reverse: with ρ > 1 and unsaturated units it EXPLODES (section 1: 5.5e+03 after 100 steps). "
              "Here it vanishes because the units are saturated."),
             ("Gradient clipping removed it.",
              "Clipping caps gradient entries during training; the measured sensitivity is of the trained "
              "model. It vanishes because the saturated units' tanh slopes are near 0."),
             ("The radius grew by mistake: 6.7 is a bug of the measurement.",
              "Training really grew it from 0.13 to 6.7. By ρ alone the gradient would explode; the saturated "
              "units (slope 0.09) make it vanish.")]),
        _choice(
            "04-forget-gate", "lesson 4, sections 1 and 5 (gates as learned switches)",
            "An LSTM unit's forget gate is near 1 at some step. What does that mean?",
            ("The unit keeps its memory cell almost untouched into the next step (and the gradient passes "
             "back through it).",
             "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t: f near 1 carries the memory on, f near 0 wipes it (section 5: "
             "the same units do both, as switches)."),
            [("The unit forgets everything.",
              "The name reads backwards: the forget gate multiplies the old memory, so 1 KEEPS it and 0 wipes "
              "it."),
             ("The unit writes its whole new input into the memory.",
              "That is the input gate i_t (how much of the candidate g_t to write). A forget gate near 1 keeps "
              "the old memory."),
             ("The unit hides its memory from the output.",
              "That is the output gate o_t near 0. A forget gate near 1 keeps the memory for the next step.")]),
        _number(
            "04-bits", "lesson 4, section 4 (what bits per character mean)",
            "The pretrained LSTM's validation loss is 1.435 nats per character. How many BITS per character is "
            "that? (two decimals)",
            bits, 0.01,
            f"L nats = L / ln 2 bits: 1.435 / 0.693 = {bits:.2f} bits per character (section 4 prints 2.070).",
            [(loss * math.log(2), f"{loss * math.log(2):.3f} multiplies by ln 2; to go from nats to bits, "
                                  "DIVIDE by ln 2 (a bit is a smaller unit: more of them)."),
             (math.exp(loss), f"{math.exp(loss):.2f} is the perplexity, e ** loss, the effective number of "
                              "choices, not a number of bits."),
             (math.log2(loss), f"{math.log2(loss):.3f} is log2 of the loss; the conversion is a division by ln 2.")],
            "Divide the loss in nats by ln 2 ≈ 0.693."),
        _choice(
            "04-five-gram", "lesson 4, section 4 (why the 5-gram loses to the 4-gram)",
            "The 5-gram count model (2.005 nats/char) does worse than the 4-gram (1.870). Why?",
            ("Its 4-character contexts are seen too rarely: for 30 % of the validation characters fewer than "
             "32.5 times, so the add-0.5 smoothing pulls its estimates towards the uniform guess.",
             "Longer contexts are counted more thinly; where counts are thin the made-up counts dominate, and "
             "that costs more than the extra character gains (real n-gram models back off)."),
            [("A longer context always carries less information.",
              "More context can only help given enough data; the 5-gram loses because its counts are sparse "
              "(30 % of contexts seen fewer than 32.5 times)."),
             ("It memorised the validation text.",
              "The counts come from the training text only; the validation text is never counted. The 5-gram "
              "loses because its counts are too thin."),
             ("It is a bug: with more context the 5-gram must be better.",
              "No bug: with add-0.5 smoothing a rarely seen context gets an estimate near uniform. Sparse "
              "counts make the 5-gram worse.")]),
        _choice(
            "04-nanogpt", "lesson 4, section 4 (and nanoGPT?)",
            "Our LSTM's validation loss is 1.435 nats/char; nanoGPT reports 1.47 on the same split. What may "
            "you conclude?",
            ("Nothing about which model is better: the models and training budgets differ, and each number is "
             "one run on one split, with no error bar.",
             "A gap of 0.04 between single runs of different models trained differently ranks nothing."),
            [("The LSTM is the better architecture.",
              "Two single runs, different models (10.7 M parameters and 256 characters of context against ours), "
              "different budgets, no error bar: a 0.04 gap ranks nothing."),
             ("nanoGPT is better, because transformers always beat LSTMs.",
              "The numbers do not say that either; and nothing here is 'always'. The gap ranks nothing."),
             ("The LSTM overfitted the validation text.",
              "It never trained on the validation text, and its loss is measured there. The comparison simply "
              "ranks nothing.")]),
        _choice(
            "04-loops", "lesson 4, section 6 (temperature on a real model, over 10 seeds)",
            "Over 10 seeds of 600 characters, at which temperatures did the pretrained LSTM's samples end in a "
            "loop?",
            ("Only near 0: 10 of 10 at T = 0, 1 of 10 at T = 0.05, none from T = 0.1 up to 2.",
             "Greedy decoding loops; for this model even a little randomness breaks the loops (section 6)."),
            [("At every T below 1.",
              "The anecdote 'low temperature loops' measured: for this model only temperatures near 0 loop; "
              "from T = 0.1 none of the 10 seeds did."),
             ("None: a good model never loops.",
              "Greedy decoding of this good model loops in every seed, like Karpathy's Paul Graham LSTM at "
              "T near 0. Only near T = 0, though."),
             ("Only at high T, where the text falls apart.",
              "The wrong end: high T invents words and breaks the form, but never looped here; loops come only "
              "near T = 0.")]),
        _number(
            "04-temper-probs", "lesson 4, exercise 2 (temperature without logits)",
            "A tool gives only the T = 1 probabilities p = [0.6, 0.3, 0.1]. What is the first one's probability "
            "at T = 0.5? (three decimals)",
            tempered, 0.005,
            f"softmax(z / T)_i ∝ p_i ** (1/T) = p_i², so 0.36 / (0.36 + 0.09 + 0.01) = {tempered:.3f}.",
            [(wrong_power, f"{wrong_power:.3f} is p ** T renormalised (fastai #1264's mistake), which is T = 2 "
                           "in our convention. The power is 1/T."),
             (probs[0], "0.6 is unchanged: dividing the probabilities by T and renormalising changes nothing, and "
                        "T = 0.5 must sharpen. Raise them to the power 1/T.")],
            "Since p_i ∝ exp(z_i), softmax(z / T)_i ∝ p_i ** (1/T): square them and renormalise."),
        _choice(
            "04-morph", "lesson 4, section 8 (shared noise: the text morphs)",
            "At T = 0.8 and T = 0.82, with the same seed, the dashboard's texts share their first 80 characters. "
            "Why?",
            ("Shared noise: each step adds the same Gumbel numbers to z / T, so the argmax stays the same until "
             "the first step where a choice flips.",
             "Nearby temperatures give the same choices up to the first flipped one; fresh noise shares 0 "
             "characters (section 8)."),
            [("By chance: two samples usually share a long start.",
              "With fresh noise (seed 1) T = 0.82 shares 0 characters with T = 0.8 (section 8). The shared "
              "start comes from shared noise."),
             ("Temperatures below 1 do not change the text.",
              "T = 0.8 and T = 0.9 share only 5 characters. The texts agree only up to the first flipped "
              "choice, thanks to shared noise."),
             ("The first 80 characters are greedy.",
              "They are sampled at T = 0.8, not greedy; they agree because both temperatures use the same noise.")]),
        _text(
            "04-gate-order", "lesson 4, exercise 1 (one LSTM step by hand)",
            "In PyTorch's layout, the four blocks of W_ih @ x + W_hh @ h + b_ih + b_hh are the gates in which "
            "order? (four letters, e.g. 'a, b, c, d')",
            "i, f, g, o", ["ifgo"],
            "PyTorch stacks the input gate, the forget gate, the candidate g and the output gate: i, f, g, o.",
            [(["ifog"], "i, f, o, g is the order of some other write-ups; PyTorch's nn.LSTM uses i, f, g, o (the "
                        "usual mistake exercise 1's check names)."),
             (["fiog", "figo"], "The forget gate is the second block, not the first: PyTorch's order is i, f, g, o.")],
            "PyTorch's order is input, forget, candidate (g), output: i, f, g, o."),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 5 — What temperature does to text, measured
# ---------------------------------------------------------------------------------------------

def _lesson_05() -> tuple[Question, ...]:
    r = 0.3
    all_real = (1 - r) ** 3
    return (
        _choice(
            "05-real-novelty", "lesson 5, section 1 (real text's scores) and question 1",
            "Real held-out Shakespeare scores a novelty of 0.875 (new word 3-grams) and 6 % invented words. "
            "What does that say?",
            ("Novelty and invented words must be read against real text's level, not against 0: names and rare "
             "words are new too.",
             "Most phrases of new real text are not in the training text, and a few of its words are not "
             "either, so these measures are references, not error rates."),
            [("The metrics are broken: real text should score 0.",
              "They work (section 1 checks them on small examples): real text really contains phrases and words "
              "the training text lacks. Read them against real text's level."),
             ("The validation text is corrupted.",
              "It is the last 10 % of the same plays; new names and rare words are simply new. Read the "
              "measures against this level."),
             ("Shakespeare is more creative than the training text.",
              "Novelty is not creativity (section 6); it only says the phrases are new. Read the measures "
              "against real text's level.")]),
        _choice(
            "05-spearman", "lesson 5, section 5 (two statistics: Spearman's ρ)",
            "Spearman's ρ between temperature and a measurement is +1. What does that mean?",
            ("The measurement rises whenever T rises: the ranks agree perfectly, whatever the curve's shape.",
             "ρ is the correlation of the ranks: +1 for any strictly increasing relation, unitless."),
            [("The measurement rises by 1 unit for each unit of T.",
              "That reads ρ as a slope. ρ has no units; it only says how consistently the ranks go together."),
             ("A straight line fits the points perfectly.",
              "That is Pearson's r = 1. Spearman's ρ = 1 needs only that the measurement always rises with T, "
              "along any curve."),
             ("Temperature causes the measurement to change by 100 %.",
              "ρ says nothing about sizes in percent (nor, alone, about causes): only that the ranks agree "
              "perfectly.")]),
        _choice(
            "05-slope-vs-rho", "lesson 5, section 5 and exercise 4 (a slope beside a correlation)",
            "Their novelty slope is 0.31; our ρ is 0.96. A classmate concludes that temperature matters three "
            "times as much for our model. What is wrong?",
            ("They are different statistics: a slope in rating points per unit of T (on 1–5 scales, with each "
             "rater's intercept taken out) against a unitless rank correlation; on the same statistic their ρ "
             "is +0.11.",
             "Set a number beside another only when both are the same statistic on comparable data (section 5)."),
            [("Nothing: 0.96 / 0.31 is about 3.",
              "Dividing a unitless ρ by a slope in rating points per unit of T means nothing: stretch the "
              "rating scale and the slope grows while ρ stays. Compare ρ with ρ."),
             ("The slope should be compared with 1 − ρ instead.",
              "No formula turns one statistic into the other. Compute the same statistic on both sides: their "
              "ρ is +0.11."),
             ("Their number must first be multiplied by the 36 raters.",
              "The number of raters changes the uncertainty, not the units. Compare like with like: their ρ "
              "is +0.11 against our 0.96.")]),
        _choice(
            "05-clusters", "lesson 5, section 5 (bootstrap intervals over pairs and over raters)",
            "Why does the lesson also resample whole RATERS, not only single ratings, for the bootstrap interval "
            "of their ρ?",
            ("One rater's 5 ratings move together (a generous rater is generous five times), so resampling "
             "single ratings counts more independent evidence than there is.",
             "Resampling clusters (their raters; our seed-and-prompt chains) respects the dependence."),
            [("To make the interval narrower.",
              "Resampling clusters is about honesty, not width: it counts the evidence there really is, which "
              "usually gives an interval at least as wide."),
             ("Because the ratings are on 1–5 scales.",
              "The scale does not matter here; the dependence does: one rater's five ratings move together."),
             ("Because the bootstrap needs groups of equal size.",
              "It does not. Raters are resampled because each one's ratings are not independent of each other.")]),
        _number(
            "05-arithmetic", "lesson 5, section 6 (novel is not creative, and what arithmetic forces)",
            "If each word is invented independently with probability r = 0.3, what share of word 3-grams is made "
            "of real words only? (three decimals)",
            all_real, 0.005,
            f"Each of the three words is real with probability 1 − r = 0.7, so all three are with 0.7³ = "
            f"{all_real:.3f}: recombined phrases must shrink as invented words spread.",
            [(1 - r, "0.7 is one word being real; a 3-gram needs all three: (1 − r)³."),
             (r ** 3, f"{r ** 3:.3f} is r³, all three words INVENTED. Real-only is (1 − r)³."),
             (1 - 3 * r, "1 − 3r adds the risks as if they could not overlap; with independent words it is "
                         "(1 − r)³.")],
            "Three independent words are all real with probability (1 − r)³."),
        _choice(
            "05-peak", "lesson 5, section 6 (what is left once the arithmetic is removed)",
            "New phrases of real words (recombined) peak at T = 0.6 as a share of all 3-grams. What does the peak "
            "show?",
            ("Mostly arithmetic: a rising share of new phrases among real-word phrases times a falling (1 − r)³. "
             "Among real-word phrases the share that is new keeps rising.",
             "Removing the shared denominator removes the peak: the claim that survives is that a higher T makes "
             "more of the text new."),
            [("That creativity peaks at a moderate temperature.",
              "The popular claim, measured: the peak is made by the shared denominator, and nothing here "
              "measures whether a new phrase is good. Novel is not creative."),
             ("That above T = 0.6 the model copies more phrases from its training text.",
              "The reverse: among real-word phrases the share that is new keeps rising to 0.97 at T = 2. "
              "Invented words take over the denominator."),
             ("That T = 0.6 is the best temperature for this model.",
              "'Best' needs a task; the peak itself is mostly arithmetic, (1 − r)³.")]),
        _choice(
            "05-turn-down", "lesson 5, section 7 (when to turn it down or up)",
            "Why turn the temperature down (0.2–0.5) for extraction or code?",
            ("For consistency, not accuracy: the same, most likely answer every time, whether it is right or "
             "wrong.",
             "Dividing the logits by a small T only sharpens the distribution the model already has; "
             "temperature never adds knowledge."),
            [("Because a low T makes the model more accurate.",
              "Low T buys consistency, not accuracy: a model whose favourite answer is wrong gives it more "
              "consistently. Temperature never adds knowledge."),
             ("Because low temperatures loop, which suits code.",
              "With this model only greedy decoding loops, and loops suit nothing. Low T buys consistency."),
             ("Because at a low T invented words become impossible.",
              "Rare, not impossible (0.5 % even at T = 0 in section 7's table). The reason is consistency, not "
              "a guarantee.")]),
        _choice(
            "05-their-sampler", "lesson 5, section 5 (their fluent stories have more causes than size)",
            "At T = 2 our LSTM writes 60 % invented words with temperature alone, but only 11 % with Peeperkorn "
            "et al.'s settings (top-k 50, min-p 0.05, temperature last). Why?",
            ("Their sampler cuts the unlikely tail BEFORE temperature, so a high T only reshuffles the tokens "
             "that survived the cut.",
             "With temperature last the survivors are fixed by the model's own distribution (lesson 6)."),
            [("Min-p 0.05 keeps only the 5 % most likely tokens.",
              "The min-p-read-as-top-p trap: min-p 0.05 keeps every token at least 0.05 times as likely as the "
              "top one. It works because the cut comes before temperature."),
             ("Top-k 50 removes most of our 65 characters.",
              "It keeps 50 of 65 and barely cuts (transformers' default top-k 50 gives 58.6 %, lesson 6). The "
              "cut that matters is min-p, applied before temperature."),
             ("llama.cpp's temperature 2 means our temperature 1.",
              "Both divide the logits by T. The difference is the truncation and its order: the tail is cut "
              "before temperature.")]),
        _text(
            "05-prototype-proxy", "lesson 5, section 5 (which measurement resembles which question)",
            "Which of our measurements follows Peeperkorn et al.'s own design for novelty COMPARED WITH THE "
            "PROTOTYPE? (a few words)",
            "distance to the prototype",
            ["distance to prototype", "prototype distance", "edit distance", "edit distance to the prototype",
             "edit distance to prototype"],
            "The edit distance to the greedy sample, divided by the longer length: their own automatic measure, "
            "against the prototype as their question is.",
            [(["novelty", "new word 3-grams", "word novelty", "character novelty"],
              "Novelty counts phrases absent from the TRAINING text, another reference: a loose proxy. Their "
              "question compares with the prototype, as the distance to the prototype does."),
             (["surprise"], "Surprise is how unlikely the model finds the text (typicality for the model), not a "
                            "comparison with the prototype.")],
            "Their question compares with the prototype story; so does the distance to the prototype."),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 5b — Reading the temperature off a text
# ---------------------------------------------------------------------------------------------

def _lesson_05b() -> tuple[Question, ...]:
    se_now, n_now, se_goal = 0.04, 400, 0.01
    needed = n_now * (se_now / se_goal) ** 2
    t_hat, se_beta = 0.5, 0.2
    se_t = t_hat ** 2 * se_beta
    return (
        _choice(
            "05b-t-star", "lesson 5b, sections 2 and 3 (temperature scaling; why T* lands near 1)",
            "Temperature scaling on held-out text gives T* = 1.3. The model was …",
            ("overconfident: its distributions were too sharp, and softening them (T > 1) predicts new text "
             "better.",
             "T* > 1 flattens the predictions to fit real text, so they were too peaked (here T* = 1.126: "
             "slightly overconfident, common for networks trained to a low loss)."),
            [("underconfident.",
              "The direction reversed: an underconfident model spreads its bets too widely and would need "
              "sharpening, T* < 1. T* > 1 softens, so the model was overconfident."),
             ("perfectly calibrated.",
              "That is T* = 1: no change of T fits better. T* = 1.3 means the predictions needed softening: "
              "overconfident."),
             ("best sampled at T = 1.3 when writing.",
              "Two different questions: T* describes how well the model PREDICTS real text, not what writes "
              "best. It says the model was overconfident.")]),
        _choice(
            "05b-near-one", "lesson 5b, section 3 (why T* lands near 1)",
            "Why does T* land near 1?",
            ("Training minimised the same negative log-likelihood at T = 1, so T = 1 is the model's fitted "
             "belief; T* moves away only as far as the model is mis-calibrated on new text.",
             "Any other T distorts the trained belief; the curve is flat near 1 and steep far from it."),
            [("Because the validation text was generated at T = 1.",
              "It is real Shakespeare (the last 10 % of the corpus), not samples. T* lands near 1 because "
              "training fitted T = 1."),
             ("Because APIs default to T = 1.",
              "Defaults do not enter the fit. Training minimised the loss at T = 1, so that is the model's "
              "belief."),
             ("Because softmax is only defined at T = 1.",
              "Softmax with temperature is defined for any T > 0 (lesson 1). T* lands near 1 because training "
              "fitted T = 1.")]),
        _choice(
            "05b-detective", "lesson 5b, section 4 (the temperature detective)",
            "How does the temperature detective read T off a 400-character sample?",
            ("With the model's logits at every step, it finds the T where the log-likelihood "
             "ℓ(T) = Σ log softmax(z_i / T)[c_i] peaks: the maximum-likelihood estimate.",
             "The same one-dimensional search as temperature scaling, on the model's own output (0.678 ± 0.038 "
             "for a sample drawn at 0.7)."),
            [("It counts the invented words and looks the rate up in lesson 5's table.",
              "That is guessing from symptoms, what you can do WITHOUT the model, and it is far less precise. "
              "With the logits, maximum likelihood reads T off directly."),
             ("It finds the T whose samples' surprise equals the validation loss.",
              "That describes nothing about this sample's temperature. The detective maximises the sample's "
              "own likelihood over T."),
             ("It averages the probabilities of the chosen characters.",
              "An average probability depends on the text, not only on T. The detective maximises ℓ(T).")]),
        _number(
            "05b-length", "lesson 5b, section 5 and exercise 1 (how long a sample do you need?)",
            "400 characters gave a standard error of 0.04 on the estimated T. About how many characters of the "
            "same kind of text give 0.01?",
            needed, 50,
            f"The error shrinks like 1/√N, so N grows like 1/SE²: 400 × (0.04 / 0.01)² = {needed:,.0f}. Ten "
            "times the precision costs a hundred times the text.",
            [(n_now * se_now / se_goal, "1,600 is the linear rule (error ∝ 1/N). The error shrinks like 1/√N, "
                                        "so the length grows with the SQUARE of the ratio."),
             (n_now * math.sqrt(se_now / se_goal), "800 uses the square root of the ratio; the length grows "
                                                   "with its square: 400 × 4²."),
             (n_now * (se_now / se_goal) ** 4, "That squares twice. SE ∝ 1/√N gives N ∝ 1/SE²: 400 × 4².")],
            "SE ∝ 1/√N, so N = 400 × (0.04 / 0.01)²."),
        _choice(
            "05b-sure-steps", "lesson 5b, section 5 (how precise is the estimate?)",
            "Steps where one character has over 99 % of the probability make up 22 % of section 4's sample. How "
            "much of the information about T do they carry?",
            ("Almost none, 2 %: there the logits have little variance under p, and any reasonable T gives the "
             "character nearly the same probability.",
             "Each step adds Var_i[z] to the Fisher information; sure steps add almost nothing, open steps most "
             "(29 % of the steps, 37 % of the information)."),
            [("The most, because sure predictions are the most reliable evidence.",
              "A sure step gives its character nearly probability 1 at any reasonable T, so it cannot tell "
              "temperatures apart: 2 % of the information."),
             ("22 %: every step carries the same information.",
              "The information per step is the variance of the logits under that step's distribution, which "
              "is tiny at sure steps: 2 % from 22 % of the steps."),
             ("None can be measured: the information is only defined for the whole sample.",
              "It is a sum over steps (I = Σ Var_i[z]), so each step's share can be counted: 2 % for the sure "
              "ones.")]),
        _number(
            "05b-delta", "lesson 5b, section 5 (the delta method)",
            "At T̂ = 0.5 the standard error of β̂ = 1/T̂ is 0.2. What is the standard error of T̂, by the delta "
            "method? (three decimals)",
            se_t, 0.002,
            f"T = 1/β, |dT/dβ| = 1/β² = T², so SE(T̂) ≈ T² · SE(β̂) = 0.25 × 0.2 = {se_t:.3f}.",
            [(se_beta, "0.2 is SE(β̂) itself: the factor |dT/dβ| = T² is missing."),
             (t_hat * se_beta, "0.1 multiplies by T; the derivative of 1/β is 1/β² = T², so multiply by T²."),
             (se_beta / t_hat ** 2, "0.8 divides by T² (that is multiplying by β²); |dT/dβ| = 1/β² = T², so "
                                    "multiply by T².")],
            "Multiply SE(β̂) by |dT/dβ| = T²."),
        _text(
            "05b-fisher", "lesson 5b, section 5 (the curvature of the log-likelihood)",
            "The curvature of the log-likelihood at its peak, whose inverse square root is the standard error of "
            "the estimate, is called whose information? (one name)",
            "Fisher", ["fisher information", "fisher's", "fishers information", "fisher's information"],
            "The Fisher information I = Σ Var_i[z] (in β); SE(β̂) = 1/√I.",
            [(["shannon", "shannon information", "entropy"],
              "Shannon's information is entropy, a property of one distribution (lesson 1). The curvature of a "
              "log-likelihood is the Fisher information."),
             (["bayes", "bayesian"], "Bayes is not involved: this is the Fisher information, the curvature of "
                                     "the log-likelihood.")],
            "It is the Fisher information."),
        _choice(
            "05b-beta", "lesson 5b, exercise 2 (capstone: the temperature detective)",
            "A student's detective returns 1.9 for a sample that reads as calm, near-greedy Shakespeare (the "
            "hidden T was about 0.5). The most likely mistake?",
            ("It returned β = 1/T instead of T: 1 / 1.9 ≈ 0.53.",
             "Fitting in β = 1/T is convenient (the curvature is simplest there), but the answer asked for is "
             "T (the hint of the capstone's check: beta = 1/T)."),
            [("Nothing: the sample really was hot.",
              "Calm, near-greedy text is the mark of a low T, and the check knows the hidden T. 1.9 is "
              "1/0.53: β returned instead of T."),
             ("The sample is too short: 400 characters cannot tell 0.5 from 1.9.",
              "400 characters pin T down to a few hundredths (section 5). 1.9 is 1/0.53: β instead of T."),
             ("It maximised the log-likelihood; it should have minimised it.",
              "Maximising the log-likelihood (minimising the NLL) is right. 1.9 is 1/0.53: β instead of T.")]),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 6 — Beyond temperature
# ---------------------------------------------------------------------------------------------

def _lesson_06() -> tuple[Question, ...]:
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    min_p = 0.4
    cut = sampling.truncated_probs(probs, 1.0, min_p=min_p)
    top_after = float(cut[0])
    return (
        _choice(
            "06-min-p-trap", "lesson 6, section 2 (a trap: min-p is not top-p)",
            "A user sets min_p = 0.9, thinking of top_p = 0.9. What happens?",
            ("Sampling becomes nearly greedy: only characters at least 90 % as likely as the best survive "
             "(exactly one at 93 % of the steps).",
             "min-p is relative to the top token; usual values are 0.01 to 0.2 (transformers PR #30639 warns "
             "about this mix-up)."),
            [("It keeps the smallest set of characters holding 90 % of the probability.",
              "That is top-p 0.9. min-p 0.9 keeps only what is 90 % as likely as the best: nearly greedy."),
             ("It keeps the 90 % most likely characters of the vocabulary.",
              "No knob counts a share of the vocabulary. min-p 0.9 keeps what is at least 0.9 × the top "
              "probability: nearly always one character."),
             ("It removes the 10 % least likely characters.",
              "That would barely cut anything. min-p 0.9 keeps only characters within 90 % of the best: "
              "nearly greedy.")]),
        _choice(
            "06-which-knob", "lesson 6, section 1 (three ways to cut a distribution)",
            "Which knob keeps exactly the tokens with p ≥ min_p · p_max (a fixed fraction of the top token's "
            "probability)?",
            ("min-p.",
             "min-p compares each token with the most likely one; the survivors are renormalised."),
            [("top-p.",
              "top-p adds up probabilities, most likely first, until the total reaches p: it never compares "
              "with p_max. That rule is min-p's."),
             ("top-k.",
              "top-k keeps a fixed NUMBER of tokens, whatever their probabilities. Comparing with p_max is "
              "min-p."),
             ("temperature.",
              "Temperature cuts nothing: every token keeps a probability above 0 at any T > 0. The cut at "
              "min_p · p_max is min-p's.")]),
        _choice(
            "06-order", "lesson 6, section 3 (the order of the knobs)",
            "After 'ROMEO:\\nI will ', top-p 0.9 at T = 2. Does temperature FIRST keep more characters than "
            "temperature LAST, fewer, or the same?",
            ("More (23 against 15): a hot T flattens the distribution before the cut, so more characters are "
             "needed to reach 0.9.",
             "The order decides which characters survive; with temperature last the set is fixed by the model's "
             "own distribution (section 3)."),
            [("The same: dividing by T never changes the ranking.",
              "The ranking stays, but top-p and min-p look at the probabilities, which T changes: which "
              "characters survive depends on the order (only top-k keeps the same set). First: 23, last: 15."),
             ("Fewer with temperature first.",
              "That happens at T < 1 (at T = 0.5: 8 against 15). At T = 2 the flatter distribution needs more "
              "characters: 23 against 15."),
             ("Temperature last keeps all 65.",
              "Temperature last cuts the model's own distribution: 15 characters at every T.")]),
        _choice(
            "06-top-k", "lesson 6, sections 1 and 2 (how many characters survive, step by step)",
            "Why is top-k a poor fit for a model that is sometimes sure and sometimes not?",
            ("It keeps the same k whatever the shape: when the model is sure it keeps letters with almost no "
             "chance, when it is unsure k may be too few. top-p and min-p adapt.",
             "On held-out text top-k 10 keeps 10 at every step; top-p 0.9 keeps a median of 1 when the model is "
             "sure and 15 when it is not (section 2)."),
            [("Because top-k changes the ranking.",
              "No cut changes the ranking; top-k keeps the k best. Its problem is that k does not adapt to "
              "how sure the model is."),
             ("Because top-k does not renormalise.",
              "Every cut here renormalises its survivors. top-k's problem is the fixed count."),
             ("Because top-k = 0 keeps everything.",
              "In this course top-k 0 is refused (keeping no token leaves nothing to sample; None switches it "
              "off; some tools use 0 or −1 for off). The real problem is the fixed count.")]),
        _number(
            "06-renormalise", "lesson 6, exercise 2 (min-p: the distribution that is actually sampled from)",
            "Probabilities [0.5, 0.3, 0.15, 0.05]; min-p 0.4, so the bar is 0.4 × 0.5 = 0.2. In the distribution "
            "actually sampled from, what probability does the top token have? (three decimals)",
            top_after, 0.005,
            f"0.5 and 0.3 pass the bar of 0.2; renormalised, the top one has 0.5 / 0.8 = {top_after:.3f}.",
            [(probs[0], "0.5 is the survivors not renormalised: they add up to 0.8, not 1 (the mistake exercise "
                        "2's check names: did not renormalise)."),
             (1.0, "1 keeps only probabilities above 0.4 itself, reading min-p as an absolute bar. The bar is "
                   "0.4 × the top's 0.5 = 0.2, so 0.3 survives too."),
             (0.5 / 0.95, f"{0.5 / 0.95:.3f} keeps 0.15 too; it is below the bar 0.2 and is cut.")],
            "Keep what is ≥ 0.2, then divide by the survivors' total."),
        _choice(
            "06-which-fewer", "lesson 6, section 2 (which of top-p and min-p keeps fewer?)",
            "Which keeps fewer characters: top-p 0.9 or min-p 0.1?",
            ("It depends on their values and on the distribution's shape: min-p keeps more on a flat one (21 "
             "against 16 after a blank line), fewer on a peaked one with a long tail (9 against 23).",
             "Neither knob is 'the stricter' as a rule; the answer flips with the values too (section 2's grid)."),
            [("min-p, always: it is the stricter knob.",
              "On a flat distribution min-p keeps more (65 against 59 on a uniform one). 'Stricter' is a "
              "statement about two values on a kind of distribution."),
             ("top-p, always.",
              "On a peaked distribution with a long tail top-p goes deep into the tail (23 against min-p's 9). "
              "It depends on the values and the shape."),
             ("They always keep the same set.",
              "They keep as many characters at only about half the steps (51 %): they follow different rules.")]),
        _choice(
            "06-comparable", "lesson 6, section 4 (what the tools do)",
            "A paper reports that 'temperature 1.5 made the stories more creative'. What must you know before "
            "comparing it with your own temperature 1.5?",
            ("Its truncation knobs and their order (and its model): at T = 2 our LSTM writes 60 % invented "
             "words with temperature alone, about 10 % with llama.cpp's defaults.",
             "A temperature is only comparable between set-ups with the same truncation and order."),
            [("Nothing: temperature means the same in every tool.",
              "The division by T is the same, but the tools' default truncation and its order differ (section "
              "4's table), and they change what 'temperature 2' does: 60 % invented words or 10 %."),
             ("Only its random seed.",
              "A seed changes one sample, not what the temperature means. The truncation and order do."),
             ("Only the size of its vocabulary.",
              "That matters (lesson 7), but even on one model the truncation and its order change what a "
              "temperature does.")]),
        _text(
            "06-llama-order", "lesson 6, section 4 (what the tools do)",
            "In llama.cpp's default sampler chain, does temperature come first or last, relative to top-k, "
            "top-p and min-p? (one word)",
            "last", ["after", "temperature last", "at the end"],
            "llama.cpp applies top-k, top-p, min-p, …, then temperature (min-p's author argued it must be last, "
            "llama.cpp #3841, #4091).",
            [(["first", "before", "temperature first"],
              "Temperature first is what transformers and vLLM do. llama.cpp applies it last.")],
            "llama.cpp's chain ends with temperature: last."),
    )


# ---------------------------------------------------------------------------------------------
# Lesson 7 — From characters to tokens
# ---------------------------------------------------------------------------------------------

def _lesson_07() -> tuple[Question, ...]:
    zipf = token_logits.zipf_logits(200_000)
    tail_hot = token_logits.tail_mass(zipf, 1.5, 100)
    tail_one = token_logits.tail_mass(zipf, 1.0, 100)
    return (
        _choice(
            "07-bpe", "lesson 7, section 1 (tokens instead of characters)",
            "How does byte-pair encoding (BPE) build its vocabulary?",
            ("It starts from the 256 single bytes and repeatedly merges the most frequent adjacent pair into a "
             "new unit, until the vocabulary has the size wanted.",
             "Our tokenizer made 767 merges: 256 bytes + the end-of-text marker + 767 = 1,024 tokens."),
            [("One token per dictionary word.",
              "Rarer words are split into pieces ('yonder' is '␣y' + 'ond' + 'er'); tokens come from merging "
              "frequent pairs, not from a dictionary."),
             ("It splits every word into syllables.",
              "BPE knows nothing of syllables: it merges the most frequent adjacent pairs of units."),
             ("It merges the rarest pairs first.",
              "The most frequent pair is merged first (section 1: '␣' + 't'), so common pieces become single "
              "tokens.")]),
        _choice(
            "07-trailing-space", "lesson 7, section 1 (a trap: the trailing space)",
            "The prompt 'ROMEO:\\nI will ' ends with a space. Why is the next-token distribution odd ('ent' "
            "0.57)?",
            ("The space is already a token of its own, so the next token must be a piece that starts without a "
             "space, which real text rarely gives.",
             "A token carries the space BEFORE its word; a prompt ending with a space leaves no whole word to "
             "choose."),
            [("The tokenizer drops spaces.",
              "Byte-level BPE keeps every byte; the space became a token of its own ('␣'), and the next token "
              "must start without a space."),
             ("The model never saw spaces in training.",
              "Spaces are everywhere in its training text, attached to the word after them. Here it is "
              "detached, a token alone."),
             ("Temperature treats spaces differently from letters.",
              "Temperature treats every token alike. The oddity comes from the tokenization of the prompt.")]),
        _choice(
            "07-per-token", "lesson 7, section 2 (the small GPT) and question 1",
            "The GPT's loss is 3.464 nats per token, the LSTM's 1.435 nats per character. Which is better?",
            ("These numbers cannot say: divide the GPT's total nats by the characters instead, 1.535 nats/char, "
             "and the LSTM is a little better per character.",
             "Losses per token and per character are different statistics; per character both are on the same "
             "validation text."),
            [("The LSTM, since 1.435 < 3.464.",
              "Different units: a token spells about 2.3 characters, so its loss is larger per unit. Per "
              "character the GPT has 1.535, and the LSTM is a little better."),
             ("The GPT, because a token carries more information than a character.",
              "The size of the unit is no measure of quality. Compare both per character: 1.535 against 1.435."),
             ("Neither: a loss says nothing about a model.",
              "The loss on held-out text is exactly the measure; it only needs the same unit on both sides.")]),
        _number(
            "07-tail", "lesson 7, section 4 (the tail, at scale)",
            "A vocabulary of 200,000 tokens with Zipf-shaped probabilities (rank r ∝ 1/r). At T = 1.5, what "
            "share of the probability lies OUTSIDE the 100 most likely tokens? (two decimals)",
            tail_hot, 0.01,
            f"At T = 1.5 the exponent becomes 1/T = 2/3, a much flatter law: {tail_hot:.1%} of the probability "
            "is outside the top 100 (section 4).",
            [(tail_one, f"{tail_one:.2f} is the tail at T = 1. At 1.5 the logits −ln r are divided by 1.5, which "
                        "flattens the law and moves more into the tail."),
             (1 - tail_hot, f"{1 - tail_hot:.2f} is the HEAD, the share inside the top 100; the question asks "
                            "for the tail outside it."),
             (0.0, "0 is our 65 characters' tail (they have no rank beyond 100). A 200,000-token vocabulary "
                   "has a very long one.")],
            "With T, a Zipf law r^−1 becomes r^(−1/T); sum its probabilities beyond rank 100."),
        _choice(
            "07-large-vocab", "lesson 7, section 4 (the tail, at scale)",
            "Why does a hot temperature hurt a 200,000-token model far more than our 65 characters?",
            ("The tail beyond the top tokens grows with the vocabulary (like V^(1 − 1/T) for a Zipf law when "
             "T > 1): every extra token takes a little probability from the good ones.",
             "At T = 1.5 a 200,000-token Zipf vocabulary puts most of its probability outside its top 100; top-p "
             "and min-p matter more there."),
            [("Because large models are less accurate.",
              "Their size is not the problem; the length of the tail is: at T > 1 it takes a share that grows "
              "with V."),
             ("Because large models divide T by the vocabulary size.",
              "Every model divides the logits by T alone. The long tail gains more, because it is longer."),
             ("It does not: temperature acts the same on any distribution.",
              "The same division has very different effects: outside the top 100, 0 % for 65 characters at "
              "T = 1.5 and most of the mass for 200,000 tokens.")]),
        _choice(
            "07-repetition-penalty", "lesson 7, section 6 and exercise 1 (transformers' repetition penalty)",
            "transformers' repetition penalty 1.3 meets a token already seen whose logit is −1. What happens to "
            "that logit?",
            ("It is multiplied by 1.3, to −1.3: the token becomes less likely.",
             "A penalty above 1 divides a positive logit and multiplies a negative one, so both lower the "
             "token's chance (exercise 1)."),
            [("It is divided by 1.3, to −0.77.",
              "Dividing a NEGATIVE logit moves it towards 0 and makes the token MORE likely: transformers "
              "multiplies negative logits by the penalty (exercise 1's usual mistake)."),
             ("Nothing: only positive logits are penalised.",
              "Negative logits are penalised too, by multiplication, so the penalty always lowers a seen "
              "token's chance."),
             ("1.3 is subtracted, to −2.3.",
              "Subtracting is the OpenAI API's frequency and presence penalties. transformers' repetition "
              "penalty divides or multiplies.")]),
        _choice(
            "07-penalty-or-t", "lesson 7, section 6 (penalties against loops) and question 3",
            "Greedy text repeats a phrase. What does a repetition penalty do that a warmer T does not?",
            ("It changes only the tokens already used and keeps the greedy choice everywhere else: distinct "
             "4-grams 0.87 at a surprise of 0.59 nats/char, where T = 0.8 reaches 0.85 at a surprise of 0.89.",
             "A warmer T spreads every choice; a penalty also pushes away what a text should repeat (names, "
             "'my lord')."),
            [("The same thing: both flatten the distribution.",
              "A penalty lowers only seen tokens; a warmer T flattens every step. The penalty keeps the text "
              "far more predictable."),
             ("The presence penalty 0.5 is the strongest cure.",
              "Subtracted once per token whatever its count, it was too weak to break a confident loop: 25 % "
              "of the texts still looped."),
             ("Nothing: raising T is always the better cure.",
              "Warmer T repeats less at a higher surprise everywhere; the penalty breaks loops while keeping "
              "the likely words. Each has its price.")]),
        _choice(
            "07-api-zero", "lesson 7, section 6 (why 'temperature 0' in an API may still vary)",
            "Why can a hosted API give different texts at temperature 0 for the same prompt?",
            ("Batching: the server sums in an order that depends on the batch, the logits differ in their last "
             "bits, and where two tokens are nearly tied the argmax flips.",
             "Floating-point addition is not associative (He et al., 2025: 80 different completions from 1,000 "
             "identical requests, and identical ones after making the kernels batch-invariant)."),
            [("The API adds random noise even at T = 0.",
              "Not randomness: the variation comes from batching and floating-point summation order."),
             ("T = 0 divides by zero, so the API uses a small random T instead.",
              "The T = 0 trap does not explain it: greedy needs no division. The logits themselves vary with "
              "the batch."),
             ("The seed was not set.",
              "Greedy decoding uses no random numbers, so a seed changes nothing. The logits vary with the "
              "batch.")]),
        _text(
            "07-nucleus", "lesson 7, section 6 (beam search, and why top-p was proposed)",
            "Holtzman et al. found beam search's most probable text bland and repetitive and proposed nucleus "
            "sampling. What is nucleus sampling's other name? (short)",
            "top-p", ["top p", "top-p sampling", "topp sampling"],
            "Nucleus sampling keeps the smallest set of most likely tokens holding probability p (lesson 6).",
            [(["top-k", "top k", "topk"],
              "top-k keeps a fixed number of tokens; the nucleus is the smallest set holding probability p: "
              "top-p."),
             (["min-p", "min p", "minp"],
              "min-p (a later knob) compares with the top token; nucleus sampling is top-p."),
             (["beam search", "greedy"], "That is what nucleus sampling was proposed against; it is top-p.")],
            "Nucleus sampling is top-p sampling."),
    )
