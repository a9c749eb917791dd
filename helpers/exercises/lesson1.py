"""Lesson 1's exercises (01_softmax_and_temperature.ipynb, "Exercises"): a softmax with temperature,
which characters gain as T rises, and the temperature that gives a perplexity.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line.
"""

from __future__ import annotations

import numpy as np

from ..softmax import perplexity
from ..softmax import softmax_with_temperature as _tempered
from .runner import Exercise, Mistake, case, close, number, numbers, shown, unreadable


def _softmax(z, axis=-1):
    """A plain stable softmax, for writing the wrong answers below."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _renormalised(p):
    return p / p.sum(axis=-1, keepdims=True)


# --- Exercise 1: softmax with temperature ------------------------------------------------------

_Z = np.array([2.0, 1.0, 0.1])

softmax_with_temperature = Exercise(
    name="softmax_with_temperature",
    reference=_tempered,
    params=("logits", "T"),
    cases=[
        case(_Z, 1.0), case(_Z, 0.5), case(_Z, 2.0),
        case(np.array([1000.0, 999.0, -1000.0]), 1.0, kind="large logits"),
        case(np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 3.0]]), 1.0, kind="a batch"),
        case(_Z, 0.0),
    ],
    read=numbers,
    same=close(atol=1e-6, rtol=1e-5),
    quotes={
        "logits_shown": lambda a: shown(a.logits),
        "got_sum": lambda a: float(np.sum(a.got)),
        "direction": lambda a: "sharper" if a.T > 1 else "flatter",
        "row_sums": lambda a: (f"; your rows sum to {np.round(a.got.sum(axis=-1), 3).tolist()}"
                               if np.shape(a.got) == a.want.shape else ""),
    },
    mistakes=[
        Mistake("wrong_shape", lambda z, t: _softmax(np.asarray(z) / t).reshape(1, -1),
                "for logits of shape {logits.shape} the result should have that shape too, got {got.shape}.",
                spot=lambda a: a.readable and a.got.shape != a.want.shape),
        Mistake("returns_nothing", lambda z, t: None,  # the function prints its answer, or forgets `return`
                "your function should return numbers (a numpy array), got {raw!r}.", spot=unreadable),
        Mistake("no_max_subtraction", lambda z, t: _renormalised(np.exp(np.asarray(z) / t)),
                "for logits {logits_shown} you return {got_shown}. exp(1000) overflows to inf and inf/inf is "
                "NaN: subtract the largest logit first (softmax(z) = softmax(z - max z)); it changes nothing "
                "mathematically and keeps every exponent <= 0.",
                spot=lambda a: a.case.info.get("kind") == "large logits" and not np.isfinite(a.got).all()),
        Mistake("wrong_axis", lambda z, t: _softmax(np.asarray(z) / t, axis=0),
                "for a batch of shape (2, 3) (two distributions, one per row) each *row* must sum to 1{row_sums}. "
                "Take the max and the sum along the last axis: axis=-1, keepdims=True.",
                spot=lambda a: a.case.info.get("kind") == "a batch"),
        Mistake("zero_division_at_T0", lambda z, t: _softmax(np.asarray(z) * (1 / t)),
                "T = 0 raised ZeroDivisionError. T = 0 is allowed and means greedy: handle it before dividing, "
                "by putting all the probability on the largest logit."),
        Mistake("nan_at_T0", lambda z, t: _softmax(np.asarray(z) / t),
                "at T = 0 expected {want_shown} (all mass on the largest logit), got {got_shown}. Dividing by 0 "
                "gives inf/NaN: treat T = 0 as its own case (greedy).",
                spot=lambda a: a.T == 0 and a.readable),
        Mistake("divides_the_probabilities", lambda z, t: _renormalised(_softmax(z) / t),
                "at T = {T} you return the same probabilities as at T = 1. Dividing the *probabilities* by T "
                "changes nothing once you renormalise: divide the *logits* by T, then take the softmax."),
        Mistake("divides_the_output", lambda z, t: _softmax(z) / t,
                "at T = {T} your probabilities sum to {got_sum:.3g}: you divided the softmax output by T. "
                "Divide the logits by T *before* the softmax."),
        Mistake("probabilities_to_the_power_T", lambda z, t: _renormalised(_softmax(z) ** t),
                "at T = {T} your distribution is {direction} than at T = 1, the wrong way round: you multiplied "
                "the logits by T (or raised the probabilities to the power T). Divide the logits by T: a higher "
                "T must flatten the distribution."),
        Mistake("not_normalised", lambda z, t: np.exp((np.asarray(z) - np.max(z)) / t),
                "at T = {T} your probabilities sum to {got_sum:.6g}, not 1: normalise by the sum of exp.",
                spot=lambda a: not np.isclose(a.got.sum(), 1.0, atol=1e-6)),
    ],
    general="for logits {logits_shown} at T = {T} expected {want_shown}, got {got_shown}.",
    success="Your softmax divides the logits by T, is stable for large logits, works on batches and handles T = 0.",
)


# --- Exercise 2: which characters gain as T rises ----------------------------------------------

def gains_reference(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``fn(logits, T) -> mask``, shape ``(V,)``: True where ``p_i`` rises as ``T`` rises a little.

    That is where ``p_i < 1 / perplexity`` (``d log p_i / dT = (E_p[z] - z_i) / T**2``), so the
    runner-up can lose and characters above the uniform ``1/V`` can gain. Every case keeps each
    ``log p_i`` at least 0.05 from that threshold, so a finite step such as ``T * 1.001`` agrees.

    Used by: lesson 1, exercise 2's check (``check.gains_when_heated``).
    """
    p = _tempered(logits, temperature)
    return logits < float(np.sum(p * logits))


def _p(z, t):
    return _tempered(z, t)


gains_when_heated = Exercise(
    name="gains_when_heated",
    reference=gains_reference,
    params=("logits", "T"),
    cases=[
        (np.array([1.6, 1.4, 1.0, 0.9, -0.4, -1.8, -2.3, -2.9]), 1.0),
        (np.array([3.0, 2.2, 2.0, 1.1, 0.3, 0.0, -0.8, -1.5, -2.6, -4.0]), 0.7),
        (np.array([2.5, 2.4, 0.5, -0.2, -1.0, -1.1]), 2.5),
    ],
    read=numbers,
    same=lambda a, b: np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a, bool), np.asarray(b, bool)),
    quotes={
        "where": lambda a: (f"for logits {a.logits.tolist()} at T = {a.T} "
                            f"(probabilities {np.round(_p(a.logits, a.T), 3).tolist()})"),
        "marked": lambda a: (f"you marked {a.got.astype(bool).astype(int).tolist()}, the right answer is "
                             f"{a.want.astype(int).tolist()} (1 = gains)"),
        "runner_up": lambda a: float(np.sort(_p(a.logits, a.T))[-2]),
        "uniform": lambda a: 1 / a.logits.size,
    },
    mistakes=[
        Mistake("indices_not_a_mask", lambda z, t: np.flatnonzero(_p(z, t * 1.001) > _p(z, t)),
                "for {logits.size} logits return a True/False array of shape ({logits.size},), one entry per "
                "character; got shape {got.shape}. (np.flatnonzero gives indices; return the mask itself, e.g. "
                "`p_warmer > p_now`.)",
                spot=lambda a: a.readable and a.got.shape != a.want.shape),
        Mistake("differences_not_true_false", lambda z, t: _p(z, 1.001 * t) - _p(z, t),
                "return True or False for each character (e.g. `p_warmer > p_now`), not numbers such as "
                "probabilities or their differences; got {got_shown}.",
                spot=lambda a: not np.isin(a.got, (0.0, 1.0)).all()),
        Mistake("gains_when_T_falls", lambda z, t: _p(z, t / 1.001) > _p(z, t),
                "{where} {marked}: you marked the characters that gain when T *falls*. Compare the "
                "probabilities at a temperature just *above* T with those at T."),
        Mistake("all_but_the_favourite", lambda z, t: _p(z, t) < _p(z, t).max(),
                "{where} {marked}: you marked every character except the most likely one. But the runner-up "
                "(p = {runner_up:.3f}) loses too: raising T takes probability from all the leading characters, "
                "not only from the favourite. Compute the probabilities at T and at a slightly higher T (say "
                "T * 1.001) and compare."),
        Mistake("below_uniform", lambda z, t: _p(z, t) < 1 / len(z),
                "{where} {marked}: you marked the characters below the uniform probability 1/V = {uniform:.3f}. "
                "That is where every character ends as T -> infinity, not the line between gaining and losing "
                "now: some characters above 1/V gain as well. Compare the probabilities at T and at a slightly "
                "higher T (say T * 1.001)."),
        Mistake("compared_with_a_much_higher_T", lambda z, t: _p(z, 2 * t) > _p(z, t),
                "{where} {marked}: you compared T with a much higher temperature (2T, or T + 1). A character "
                "can gain at first and lose later (after 'th', '␣' has 0.071 at T = 0.5, 0.136 at T = 1 and "
                "0.111 at T = 2: lesson 1's table). Ask what a *small* rise does: compare with T * 1.001."),
    ],
    general="{where} {marked}. Compare the probabilities at T and at a slightly higher T (say T * 1.001).",
    success="Raising T takes probability from the leading characters (not only the favourite) and gives it "
            "to the rest, whatever their place against 1/V.",
)


# --- Exercise 3: the temperature for a perplexity ----------------------------------------------

def temperature_reference(logits: np.ndarray, target: float) -> float:
    """``fn(logits, target) -> T`` such that ``perplexity(softmax(logits / T)) == target``: bisection
    on log T (perplexity rises steadily with T).

    Used by: lesson 1, exercise 3's check (``check.temperature_for_perplexity``).
    """
    lo, hi = 1e-3, 1e3
    for _ in range(80):
        mid = float(np.sqrt(lo * hi))
        lo, hi = (mid, hi) if perplexity(_p(logits, mid)) < target else (lo, mid)
    return mid


def _perplexity_at(a) -> float:
    return float(perplexity(_p(a.logits, a.got)))


def _bisection_the_wrong_way(z, target):
    lo, hi = 1e-3, 1e3
    for _ in range(60):
        mid = float(np.sqrt(lo * hi))
        lo, hi = (lo, mid) if perplexity(_p(z, mid)) < target else (mid, hi)  # moves away from the target
    return mid


_HOW = ("Perplexity rises steadily with T, so bisection works: keep an interval [lo, hi] whose perplexities "
        "bracket the target and halve it ~50 times.")

temperature_for_perplexity = Exercise(
    name="temperature_for_perplexity",
    reference=temperature_reference,
    params=("logits", "target"),
    cases=[
        (np.array([3.0, 2.0, 1.0, 0.0, -1.0]), 2.0),
        (np.array([3.0, 2.0, 1.0, 0.0, -1.0]), 4.0),
        (np.round(np.random.default_rng(7).normal(0, 2, 30), 2), 10.0),
    ],
    read=number,
    accept=lambda a: a.got > 0 and np.isfinite(a.got) and abs(_perplexity_at(a) - a.target) / a.target <= 0.01,
    quotes={"ppl": _perplexity_at},
    mistakes=[
        Mistake("not_a_number", lambda z, target: "warm",
                "return one temperature (a float), got {raw!r}.", spot=unreadable),
        Mistake("not_positive", lambda z, target: -1.0,
                "for target perplexity {target} you returned T = {got}; the answer is a finite T > 0.",
                spot=lambda a: not (a.got > 0 and np.isfinite(a.got))),
        Mistake("bisection_the_wrong_way", _bisection_the_wrong_way,
                "at your T = {got:.4g} the perplexity is {ppl:.3f}, target {target}: too high: lower T. " + _HOW,
                spot=lambda a: _perplexity_at(a) > a.target),
        Mistake("a_guess_too_cold", lambda z, target: 0.01,
                "at your T = {got:.4g} the perplexity is {ppl:.3f}, target {target}: too low: raise T. " + _HOW,
                spot=lambda a: _perplexity_at(a) < a.target),
    ],
    success="Because perplexity rises monotonically with T, each target has exactly one T.",
)

EXERCISES = [softmax_with_temperature, gains_when_heated, temperature_for_perplexity]
