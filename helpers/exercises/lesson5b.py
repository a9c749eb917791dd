"""Lesson 5b's exercises (05b_temperature_detective.ipynb, "Exercises"): how long a sample must be
for a given precision, and the capstone, the temperature detective.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line. The
capstone's per-student cases are teaching material: :mod:`helpers.detective`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import detective
from .runner import Exercise, Mistake, case, close, number, unreadable

# --- Exercise 1: how many characters for a given precision ------------------------------------------


def characters_needed_reference(se_measured: float, n_measured: float, se_target: float) -> float:
    """``fn(se_measured, n_measured, se_target) -> N``: the sample length (characters) at which the
    standard error of the estimated temperature falls to ``se_target``, when ``n_measured``
    characters gave ``se_measured``. The error shrinks like ``1 / sqrt(N)``, so
    ``N = n_measured * (se_measured / se_target) ** 2``; any answer within one character passes.

    Used by: lesson 5b, exercise 1's check (``check.characters_needed``).
    """
    return n_measured * (se_measured / se_target) ** 2


_SAID = "{said}; "

characters_needed = Exercise(
    name="characters_needed",
    reference=characters_needed_reference,
    params=("se_measured", "n_measured", "se_target"),
    cases=[(0.038, 400, 0.01), (0.111, 50, 0.028), (0.03, 800, 0.05)],  # the last: a looser target
    read=number,
    same=close(atol=1e-9, rtol=1e-6),
    accept=lambda a: abs(a.got - a.want) <= 1 + 1e-9 * a.want,
    quotes={"said": lambda a: f"from SE {a.se_measured} at {a.n_measured} characters to SE {a.se_target}: "
                              f"you return {a.got:,.1f}"},
    mistakes=[
        Mistake("not_a_number", lambda se, n, target: "a lot",
                "return one number, a length in characters, got {raw!r}", spot=unreadable),
        Mistake("in_proportion", lambda se, n, target: n * se / target,
                _SAID + "that scales the length in proportion to the error, as if the standard error shrank like 1/N. "
                "It shrinks like 1/sqrt(N) (section 5), so N must grow like the SQUARE of the ratio: half the error "
                "takes 4x the characters, not 2x."),
        Mistake("ratio_upside_down", lambda se, n, target: n * (target / se) ** 2,
                _SAID + "a smaller error needs more characters, not fewer: your ratio is upside down "
                "(se_measured / se_target, squared)."),
        Mistake("ratio_upside_down_not_squared", lambda se, n, target: n * target / se,
                _SAID + "a smaller error needs more characters, not fewer: your ratio is upside down, and the error "
                "shrinks like 1/sqrt(N), so square it."),
        Mistake("square_root_of_the_ratio", lambda se, n, target: n * math.sqrt(se / target),
                _SAID + "you took the square root of the ratio. SE is proportional to 1/sqrt(N), so N is proportional "
                "to 1/SE**2: square the ratio."),
        Mistake("characters_to_add", lambda se, n, target: n * (se / target) ** 2 - n,
                _SAID + "that is how many characters to ADD; return the whole length."),
        Mistake("only_the_factor", lambda se, n, target: (se / target) ** 2,
                _SAID + "that is only the factor (se_measured / se_target)**2; multiply the measured length by it."),
    ],
    general=_SAID + "expected about {want:,.1f}. Use SE proportional to 1/sqrt(N).",
    success="A sample's standard error shrinks like 1/sqrt(N): ten times the precision costs a hundred times the text.",
)


# --- Exercise 2, the capstone: the temperature detective ------------------------------------------------

_BOUNDS = (0.02, 20.0)


def detective_reference(logits: np.ndarray, chosen: np.ndarray) -> float:
    """``fn(logits (N, V), chosen (N,)) -> estimated T``: the maximum-likelihood estimate of the
    temperature the characters ``chosen`` were drawn at (:func:`helpers.metrics.fit_temperature`).

    Used by: lesson 5b, exercise 2's check (``check.temperature_detective``, the capstone).
    """
    from ..metrics import fit_temperature

    return fit_temperature(logits, chosen, bounds=_BOUNDS)[0]


def _synthetic_case(temperature: float, steps: int = 300, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Random logits (steps, 12) and characters drawn from softmax(logits / temperature)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (steps, 12))
    chosen = np.argmax(logits / temperature + rng.gumbel(size=logits.shape), axis=1)
    return logits, chosen


def _detective_cases(seed: int, length: int = 400) -> list:
    """Two samples with a known answer, then the student's own case (the hidden temperature and
    the tolerance, 3 standard errors, in its info)."""
    from ..metrics import temperature_standard_error

    cases = [case(*_synthetic_case(t), what=f"on a sample drawn at T = {t}", own=False) for t in (0.6, 1.8)]
    mine = detective.detective_case(seed, length)
    hidden = detective._hidden_temperature(mine.seed)
    cases.append(case(np.array(mine.logits), np.array(mine.chosen), what=f"on your case {mine.seed}", own=True,
                      case_seed=mine.seed, hidden=hidden, n_chars=len(mine.text),
                      tolerance=3 * temperature_standard_error(mine.logits, hidden)))
    return cases


def _agrees_with_mle(a) -> bool:
    """Within 2 % (plus a little) of the library's maximum-likelihood estimate: a grid search passes."""
    return abs(a.got - a.want) <= 0.02 * a.want + 0.005


def _accept_estimate(a) -> bool:
    return _agrees_with_mle(a) or a.own and abs(a.got - a.hidden) <= a.tolerance


temperature_detective = Exercise(
    name="temperature_detective",
    reference=detective_reference,
    params=("logits", "chosen"),
    cases=_detective_cases,
    read=number,
    accept=_accept_estimate,
    mistakes=[
        Mistake("not_a_number", lambda z, c: "warm",
                "return one number, the estimated temperature, got {raw!r}", spot=unreadable),
        Mistake("not_positive", lambda z, c: float("nan"),
                "{what}: your estimate is {got}; a temperature is a positive number.",
                spot=lambda a: not (math.isfinite(a.got) and a.got > 0)),
        Mistake("beta_not_T", lambda z, c: 1 / detective_reference(z, c),
                "{what}: you return {got:.3f} = 1 / {want:.3f}. That is beta = 1/T; return T itself.",
                spot=lambda a: math.isclose(a.got, 1 / a.want, rel_tol=0.03)),
        Mistake("the_model_s_own_T", lambda z, c: 1.0,
                "{what}: you return exactly 1. Evaluate the log-likelihood at many temperatures (e.g. "
                "np.geomspace(0.05, 10, 400)) and return the one where it is largest.",
                spot=lambda a: a.got == 1.0),
        Mistake("near_the_peak", lambda z, c: 1.08 * detective_reference(z, c),
                "{what}: {got:.3f} is close to the maximum ({want:.3f}) but not on it: use a finer grid (steps of "
                "0.01 or less) or scipy.optimize.minimize_scalar on minus the log-likelihood.",
                spot=lambda a: abs(a.got - a.want) <= 0.1 * a.want),
    ],
    general="{what}: expected about {want:.3f}, got {got:.3f}. The log-likelihood is the sum over steps of "
            "log softmax(logits[i] / T)[chosen[i]]: divide the logits (not probabilities) by T, take the log-softmax "
            "of each row, pick each step's chosen entry, sum. It has one peak: *maximise* it over a range wide enough "
            "(0.05 to 10) that the peak is not at an edge.",
    success="Case {case_seed}: the hidden temperature was T = {hidden:g}; you estimated {got:.3f}, within ±{tolerance:.3f} "
            "(3 standard errors for {n_chars} characters). With 4× as many characters the error would halve.",
)

EXERCISES = [characters_needed, temperature_detective]
