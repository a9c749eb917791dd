"""The one runner behind every ``check.<name>(your_function)``: an exercise is a reference function,
its cases, and a catalogue of named mistakes.

For each case the runner calls your function and compares its answer with the reference's. At the
first case where they differ, it looks through the exercise's catalogue for the first
:class:`Mistake` whose wrong implementation gives *your* answer on that case, and shows that
mistake's hint; if none does, a message with the case, the expected and the got values.

A teacher adds a mistake in one line, e.g. in :mod:`helpers.exercises.lesson1`::

    Mistake("probabilities_to_the_power_T", lambda z, t: _renormalised(_softmax(z) ** t),
            "at T = {T} your distribution is {direction} than at T = 1, the wrong way round: ..."),

``tests/test_exercises.py`` then feeds that wrong implementation to the runner and checks that its
hint, and no earlier one, comes out. A hint may quote the case's arguments by name (``{T}``), the
answers (``{got}``, ``{want}``) and any of the exercise's ``quotes`` (values computed for hints).
"""

from __future__ import annotations

import contextlib
import copy
import io
import string
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ExerciseFailed", "Mistake", "Case", "Attempt", "Exercise", "Unreadable", "Raised",
           "case", "close", "shown", "number", "numbers", "unreadable"]


class ExerciseFailed(AssertionError):
    """Your answer is not right yet; the message says why and what to try.

    ``mistake`` is the name of the catalogued mistake your answer reproduced (``None`` for the
    general message), so that tests can tell which hint was given.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    def __init__(self, message: str, mistake: str | None = None) -> None:
        super().__init__(message)
        self.mistake = mistake

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows (IPython's hook): the hint alone, not the checker's code.

        A full traceback would print the runner's source around the failing line; the student's
        own errors (a TypeError in their function, say) still show their full traceback, because
        they are not ExerciseFailed.
        """
        return [f"\x1b[0;31mExerciseFailed\x1b[0m: {self}"]


def _failed(message: str, mistake: str | None = None) -> ExerciseFailed:
    return ExerciseFailed(f"❌ {message}", mistake)


class Unreadable(ValueError):
    """Raised by an exercise's ``read`` when an answer is not of the kind asked for (a list where one
    number was asked, say); the answer then stays as it was, and ``Attempt.readable`` is False.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """


@dataclass(frozen=True)
class Raised:
    """What a call gave when it raised instead of returning: equal to another of the same type.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    error: BaseException

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raised) and type(other.error) is type(self.error)

    def __hash__(self) -> int:
        return hash(type(self.error))


@dataclass(frozen=True)
class Mistake:
    """A usual wrong answer: its name, a wrong implementation (with the student's signature) that
    makes it, and the hint a student whose answer it reproduces gets.

    By default the mistake is recognised when the wrong implementation gives the student's answer on
    the case where the student first went wrong (compared as the exercise compares answers, or with
    ``compare`` when given: e.g. only *which* tokens survive). With ``spot`` it is recognised by a
    property of the answer instead (a shape, a sum, a NaN, an interval around 0): ``spot(attempt)``
    returns True; the wrong implementation then shows, in the tests, that the hint is reachable.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    name: str
    wrong: Callable[..., Any]
    hint: str
    spot: Callable[[Attempt], bool] | None = None
    compare: Callable[[Any, Any], bool] | None = None


@dataclass(frozen=True)
class Case:
    """One call of the student's function: its arguments, and named facts hints can quote
    (``info``, e.g. a description of the case).

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    args: tuple
    info: Mapping[str, Any] = field(default_factory=dict)


def case(*args: Any, **info: Any) -> Case:
    """``case(logits, 0.5, kind="batch")``: the arguments of one call, and facts for the hints.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """
    return Case(args, info)


def _fresh(args: tuple) -> tuple:
    """Copies of the arguments, so that a function that edits its input cannot spoil the next call."""
    return tuple(copy.deepcopy(a) if isinstance(a, (np.ndarray, dict, list, set)) else a for a in args)


def _quietly(fn: Callable[..., Any], args: tuple, silent: bool = False) -> Any:
    """``fn(*args)``, with numpy's warnings silenced; an exception is returned as :class:`Raised`.

    A function not written yet (``raise NotImplementedError()``) stops the check with a reminder.
    ``silent``: nothing it prints is shown (for the catalogue's wrong implementations).
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.ExitStack() as stack:
            warnings.simplefilter("ignore")
            if silent:
                stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
            return fn(*_fresh(args))
    except NotImplementedError:
        raise _failed(
            f"`{getattr(fn, '__name__', 'your function')}` is not written yet: replace the line "
            "`raise NotImplementedError()` with your code, run that cell, then run this one again."
        ) from None
    except Exception as error:  # noqa: BLE001 - kept, compared with the catalogue, then re-raised
        return Raised(error)


def shown(x: Any, digits: int = 4) -> Any:
    """A value as a hint prints it: arrays as rounded lists, floats rounded.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """
    if isinstance(x, np.ndarray):
        return np.round(x, digits).tolist() if x.dtype.kind == "f" else x.tolist()
    if isinstance(x, (float, np.floating)):
        return round(float(x), digits)
    if isinstance(x, tuple):
        return tuple(shown(v, digits) for v in x)
    return x


def close(atol: float = 1e-6, rtol: float = 1e-6) -> Callable[[Any, Any], bool]:
    """Compare two answers: numbers and arrays within tolerance (same shape; NaN equals NaN, so a
    student's NaN matches a mistake's), ``None`` only with ``None``, pairs element by element,
    anything else with ``==``.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, Raised) or isinstance(b, Raised):
            return a == b
        if a is None or b is None:
            return a is None and b is None
        if isinstance(a, tuple) and isinstance(b, tuple):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, (set, frozenset, str)) or isinstance(b, (set, frozenset, str)):
            return a == b
        try:
            x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return x.shape == y.shape and bool(np.allclose(x, y, atol=atol, rtol=rtol, equal_nan=True))

    return same


class Attempt:
    """The student's answer on one case, with what hints may quote: the case's arguments by the
    exercise's parameter names, ``got`` (the answer, read), ``want`` (the reference's), ``raw`` (the
    answer as returned), the case's ``info`` and the exercise's ``quotes`` (computed when asked).

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    def __init__(self, exercise: Exercise, fn: Callable[..., Any], the_case: Case, silent: bool = False) -> None:
        self.exercise, self.fn, self.case = exercise, fn, the_case
        self.want = exercise.read(exercise.reference(*_fresh(the_case.args)))
        self.raw = _quietly(fn, the_case.args, silent=silent)
        self.got, self.readable = exercise.read_answer(self.raw)

    def again(self) -> Any:
        """The student's answer to a second, identical call (for reproducibility)."""
        return self.exercise.read_answer(_quietly(self.fn, self.case.args, silent=True))[0]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("exercise", "fn", "case"):
            raise AttributeError(name)
        names = self.exercise.params
        if name in names:
            return self.case.args[names.index(name)]
        if name in self.case.info:
            return self.case.info[name]
        if name in self.exercise.quotes:
            value = self.exercise.quotes[name](self)
            setattr(self, name, value)
            return value
        raise AttributeError(f"{name!r}: not an argument, a case's info nor a quote of {self.exercise.name}")

    def quote(self, template: str) -> str:
        """``template`` with its ``{fields}`` filled from this attempt."""
        return string.Formatter().vformat(template, (), _Quotes(self))


class _Quotes(dict):
    def __init__(self, attempt: Attempt) -> None:
        super().__init__()
        self.attempt = attempt

    def __missing__(self, key: str) -> Any:
        return getattr(self.attempt, key)


def _identity(x: Any) -> Any:
    return x


@dataclass(eq=False)
class Exercise:
    """A checker: ``exercise(student_fn, *extra)`` runs ``student_fn`` on every case, prints the
    success message, or raises :class:`ExerciseFailed` with the hint of the first catalogued
    mistake the answer reproduces.

    - ``reference``: the right answer, with the student's signature;
    - ``cases``: the calls (tuples of arguments or :func:`case`), or a function of the checker's
      extra arguments returning them (evaluated when the check runs);
    - ``params``: the names under which hints quote the arguments;
    - ``mistakes``: the catalogue, in the order it is searched;
    - ``read``: turns an answer into the form compared (e.g. a float array); raises
      :class:`Unreadable` (or TypeError/ValueError) for an answer of the wrong kind;
    - ``same``: whether two read answers agree (and a mistake reproduces the student's answer);
    - ``accept``: a custom check step where "equal to the reference" is not the test (an
      interval, a tolerance of several standard errors): ``accept(attempt) -> bool``;
    - ``quotes``: named values for hints, computed from the attempt only when a hint uses them;
    - ``general``: the message when no catalogued mistake reproduces the answer;
    - ``success``: what a right answer prints (after "✅ Correct! "), may quote the last case.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """

    name: str
    reference: Callable[..., Any]
    cases: Sequence[Case | tuple] | Callable[..., Sequence[Case | tuple]]
    params: tuple[str, ...]
    mistakes: Sequence[Mistake]
    success: str
    general: str = "for {case} expected {want_shown}, got {got_shown}."
    read: Callable[[Any], Any] = _identity
    same: Callable[[Any, Any], bool] = field(default_factory=close)
    accept: Callable[[Attempt], bool] | None = None
    quotes: Mapping[str, Callable[[Attempt], Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.__name__ = self.name
        self.__doc__ = f"Check your ``{self.name}``, which should do what this reference does:\n\n{self.reference.__doc__}"
        self.quotes = {
            "case": lambda a: ", ".join(f"{n} = {shown(v)}" for n, v in zip(self.params, a.case.args)),
            "want_shown": lambda a: shown(a.want),
            "got_shown": lambda a: shown(a.got),
            **self.quotes,
        }
        names = [m.name for m in self.mistakes]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: two mistakes share a name")

    def read_answer(self, raw: Any) -> tuple[Any, bool]:
        """``(read answer, True)``, or ``(raw, False)`` when it is not of the kind asked for."""
        if isinstance(raw, Raised):
            return raw, False
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return self.read(raw), True
        except (Unreadable, TypeError, ValueError):
            return raw, False

    def the_cases(self, *extra: Any) -> list[Case]:
        cases = self.cases(*extra) if callable(self.cases) else self.cases
        return [c if isinstance(c, Case) else Case(tuple(c)) for c in cases]

    def is_right(self, attempt: Attempt) -> bool:
        if not attempt.readable:
            return False
        if self.accept is not None:
            return bool(self.accept(attempt))
        return self.same(attempt.got, attempt.want)

    def _spots(self, mistake: Mistake, attempt: Attempt) -> bool:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return bool(mistake.spot(attempt))
        except Exception:  # noqa: BLE001 - a property that cannot be computed is not there
            return False

    def _reproduces(self, mistake: Mistake, attempt: Attempt, wrong_answer_only: bool = True) -> bool:
        """Whether ``mistake``'s wrong implementation gives the student's answer on this case (and,
        with ``wrong_answer_only``, a wrong one: a mistake that changes nothing here explains nothing)."""
        wrong, readable = self.read_answer(_quietly(mistake.wrong, attempt.case.args, silent=True))
        if readable != attempt.readable:  # (a call that raised counts as not readable)
            return False
        compare = mistake.compare or self.same
        try:
            return (not wrong_answer_only or not compare(wrong, attempt.want)) and bool(compare(attempt.got, wrong))
        except Exception:  # noqa: BLE001 - answers of different kinds do not match
            return False

    def diagnose(self, attempt: Attempt, others: Callable[[], list[Attempt]] = list) -> Mistake | None:
        """The first catalogued mistake that explains a wrong answer, or None.

        Mistakes are tried in the catalogue's order on the case where the answer first went wrong.
        When several wrong implementations give that answer, the first that also gives the
        student's answers on the ``others`` cases is chosen (e.g. "temperature ignored" and "the two
        orders swapped" agree where temperature comes first, and differ where it comes last). A call
        that raised is explained only by a wrong implementation raising the same error (T = 0's
        ZeroDivisionError); otherwise the student sees their own traceback.
        """
        candidates: list[Mistake] = []
        raised = isinstance(attempt.raw, Raised)  # no answer, so no property to spot: only a catalogued error
        for mistake in self.mistakes:
            if mistake.spot is not None:
                if not raised and self._spots(mistake, attempt):
                    return self._best(candidates, others) if candidates else mistake
            elif self._reproduces(mistake, attempt):
                candidates.append(mistake)
        return self._best(candidates, others) if candidates else None

    def _best(self, candidates: list[Mistake], others: Callable[[], list[Attempt]]) -> Mistake | None:
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        elsewhere = others()
        for mistake in candidates:
            if all(self._reproduces(mistake, other, wrong_answer_only=False) for other in elsewhere):
                return mistake
        return candidates[0]

    def __call__(self, fn: Callable[..., Any], *extra: Any) -> None:
        attempt = None
        cases = self.the_cases(*extra)
        for the_case in cases:
            attempt = Attempt(self, fn, the_case)
            if self.is_right(attempt):
                continue
            mistake = self.diagnose(attempt, lambda: [Attempt(self, fn, c, silent=True) for c in cases if c is not the_case])
            if mistake is not None:
                raise _failed(attempt.quote(mistake.hint), mistake.name)
            if isinstance(attempt.raw, Raised):  # the student's own error: its traceback helps
                raise attempt.raw.error
            raise _failed(attempt.quote(self.general))
        print(f"✅ Correct! {attempt.quote(self.success) if attempt is not None else self.success}")


def number(x: Any) -> float:
    """One number (a float, an int, a 0-d array), else :class:`Unreadable`.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """
    if isinstance(x, (str, bytes, bool)) or x is None:
        raise Unreadable(x)
    value = np.asarray(x, dtype=np.float64)
    if value.shape != ():
        raise Unreadable(x)
    return float(value)


def numbers(x: Any) -> np.ndarray:
    """A float array, else :class:`Unreadable`.

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise Unreadable(x)
    return np.asarray(x, dtype=np.float64)


def unreadable(attempt: Attempt) -> bool:
    """A ``spot`` for answers of the wrong kind (not one raised by the student's code).

    Used by: every lesson's checks (the exercises of lessons 1 to 7, through helpers.exercises).
    """
    return not attempt.readable and not isinstance(attempt.raw, Raised)
