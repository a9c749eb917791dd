"""Checkers for the lessons' exercises: ``import helpers.exercises as check``.

Each ``check.<name>(your_function)`` runs your function on several cases. If all pass it prints a
short confirmation; otherwise it raises :class:`ExerciseFailed` with a hint aimed at the usual
mistake (dividing probabilities instead of logits, forgetting to subtract the max, the wrong axis,
T = 0, …), not just "wrong". An unwritten exercise (``raise NotImplementedError()``) is rejected
with a reminder to write it.

The reference answers are the tested functions in :mod:`helpers.softmax`, :mod:`helpers.sampling`
and :mod:`helpers.metrics`.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import softmax as _reference
from .sampling import choices_across_temperatures, gumbel_noise

__all__ = [
    "ExerciseFailed",
    "softmax_with_temperature",
    "gains_when_heated",
    "temperature_for_perplexity",
    "chi_square_statistic",
    "sample_steps",
    "first_change_temperature",
    "rnn_step",
    "buggy_loss_and_grads",
    "wrong_gradients",
    "text_perplexity",
    "lstm_step",
    "temper_probabilities",
    "tempered_rows",
    "spearman_interval",
    "crossing_temperature",
    "invented_word_rate",
    "characters_needed",
    "DetectiveCase",
    "detective_case",
    "temperature_detective",
    "top_p_filter",
    "min_p_distribution",
    "nucleus_size",
]


class ExerciseFailed(AssertionError):
    """Your answer is not right yet; the message says why and what to try."""

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows (IPython's hook): the hint alone, not the checker's code.

        A full traceback would print the checker's source around the failing line, reference
        solution calls included; the student's own errors (a TypeError in their function, say)
        still show their full traceback, because they are not ExerciseFailed.
        """
        return [f"\x1b[0;31mExerciseFailed\x1b[0m: {self}"]


def _passed(message: str) -> None:
    print(f"✅ Correct! {message}")


def _fail(message: str) -> ExerciseFailed:
    return ExerciseFailed(f"❌ {message}")


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call the student's function quietly; turn 'not written yet' into a clear failure."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args)
    except NotImplementedError:
        raise _fail(
            f"`{getattr(fn, '__name__', 'your function')}` is not written yet: replace the line "
            "`raise NotImplementedError()` with your code, run that cell, then run this one again."
        ) from None


def _as_index(result: Any) -> int:
    try:
        return int(result)
    except (TypeError, ValueError):
        raise _fail(f"your function should return one index (an int), got {result!r}") from None


def _as_number(result: Any, expected: str) -> float:
    """``result`` as a float, or a failure saying what was ``expected`` instead."""
    try:
        return float(result)
    except (TypeError, ValueError):
        raise _fail(f"return {expected}, got {result!r}") from None


def _as_array(result: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise _fail(f"{what} should return numbers (a numpy array), got {result!r}") from None


# ---------------------------------------------------------------------------------------------
# Lesson 1
# ---------------------------------------------------------------------------------------------

def softmax_with_temperature(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(logits, temperature) -> probabilities`` (numpy array, last axis).

    It must match :func:`helpers.softmax.softmax_with_temperature` on ordinary logits, large
    logits (±1000), a batch of shape ``(2, 3)``, and ``T = 0`` (all mass on the argmax).
    """
    z = np.array([2.0, 1.0, 0.1])
    for t in (1.0, 0.5, 2.0):
        got = _as_array(_call(fn, z.copy(), t), "your function")
        want = _reference.softmax_with_temperature(z, t)
        if got.shape != want.shape:
            raise _fail(f"for logits of shape {z.shape} the result should have that shape too, got {got.shape}.")
        if np.allclose(got, want, atol=1e-6):
            continue
        p1 = _reference.softmax_with_temperature(z, 1.0)
        if t != 1.0 and np.allclose(got, p1, atol=1e-6):
            raise _fail(
                f"at T = {t} you return the same probabilities as at T = 1. Dividing the "
                "*probabilities* by T changes nothing once you renormalise: divide the *logits* "
                "by T, then take the softmax."
            )
        if t != 1.0 and np.allclose(got, p1 / t, atol=1e-6):
            raise _fail(
                f"at T = {t} your probabilities sum to {got.sum():.3g}: you divided the softmax "
                "output by T. Divide the logits by T *before* the softmax."
            )
        if t != 1.0 and np.allclose(got, _reference.softmax_with_temperature(z * t, 1.0), atol=1e-6):
            raise _fail(
                f"at T = {t} your distribution is {'sharper' if t > 1 else 'flatter'} than at T = 1, "
                "the wrong way round: you multiplied the logits by T (or raised the probabilities to "
                "the power T). Divide the logits by T: a higher T must flatten the distribution."
            )
        if not math.isclose(float(got.sum()), 1.0, abs_tol=1e-6):
            raise _fail(f"at T = {t} your probabilities sum to {got.sum():.6g}, not 1: normalise by the sum of exp.")
        raise _fail(f"for logits {z.tolist()} at T = {t} expected {np.round(want, 4).tolist()}, got {np.round(got, 4).tolist()}.")

    big = np.array([1000.0, 999.0, -1000.0])
    got = _as_array(_call(fn, big.copy(), 1.0), "your function")
    want = _reference.softmax_with_temperature(big, 1.0)
    if not np.all(np.isfinite(got)) or not np.allclose(got, want, atol=1e-6):
        raise _fail(
            f"for logits {big.tolist()} you return {got.tolist()}. exp(1000) overflows to inf and "
            "inf/inf is NaN: subtract the largest logit first (softmax(z) = softmax(z - max z)); "
            "it changes nothing mathematically and keeps every exponent <= 0."
        )

    batch = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 3.0]])
    got = _as_array(_call(fn, batch.copy(), 1.0), "your function")
    want = _reference.softmax_with_temperature(batch, 1.0)
    if got.shape != want.shape or not np.allclose(got, want, atol=1e-6):
        sums = got.sum(axis=-1) if got.shape == want.shape else None
        raise _fail(
            "for a batch of shape (2, 3) (two distributions, one per row) each *row* must sum to 1"
            + (f"; your rows sum to {np.round(sums, 3).tolist()}" if sums is not None else "")
            + ". Take the max and the sum along the last axis: axis=-1, keepdims=True."
        )

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got0 = fn(z.copy(), 0.0)
    except ZeroDivisionError:
        raise _fail(
            "T = 0 raised ZeroDivisionError. T = 0 is allowed and means greedy: handle it before "
            "dividing, by putting all the probability on the largest logit."
        ) from None
    got0 = _as_array(got0, "your function")
    want0 = _reference.softmax_with_temperature(z, 0.0)
    if not np.allclose(got0, want0, atol=1e-6):
        raise _fail(
            f"at T = 0 expected {want0.tolist()} (all mass on the largest logit), got {np.round(got0, 4).tolist()}. "
            "Dividing by 0 gives inf/NaN: treat T = 0 as its own case (greedy)."
        )
    _passed("Your softmax divides the logits by T, is stable for large logits, works on batches and handles T = 0.")


def gains_when_heated(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(logits, T) -> mask``, shape ``(V,)``: True where ``p_i`` rises as ``T`` rises a little.

    The right answer is the characters with ``p_i < 1 / perplexity`` at ``T`` (the sign of
    ``d p_i / dT`` is that of ``E_p[z] - z_i``), so the runner-up can lose and characters above
    the uniform ``1/V`` can gain. Every case keeps each ``log p_i`` at least 0.05 away from that
    threshold, so a finite step such as ``T * 1.001`` gives the same answer as the derivative.
    """
    cases = [
        (np.array([1.6, 1.4, 1.0, 0.9, -0.4, -1.8, -2.3, -2.9]), 1.0),
        (np.array([3.0, 2.2, 2.0, 1.1, 0.3, 0.0, -0.8, -1.5, -2.6, -4.0]), 0.7),
        (np.array([2.5, 2.4, 0.5, -0.2, -1.0, -1.1]), 2.5),
    ]
    for z, t in cases:
        p = _reference.softmax_with_temperature(z, t)
        want = z < float(np.sum(p * z))  # d log p_i / dT = (E_p[z] - z_i) / T**2
        got = _as_array(_call(fn, z.copy(), t), "your function")
        if got.shape != want.shape:
            raise _fail(
                f"for {z.size} logits return a True/False array of shape ({z.size},), one entry per "
                f"character; got shape {got.shape}. (np.flatnonzero gives indices; return the mask itself, "
                "e.g. `p_warmer > p_now`.)"
            )
        if not np.all(np.isin(got, (0.0, 1.0))):
            raise _fail(
                f"return True or False for each character (e.g. `p_warmer > p_now`), not numbers such as "
                f"probabilities or their differences; got {np.round(got, 4).tolist()}."
            )
        got_b = got.astype(bool)
        if np.array_equal(got_b, want):
            continue
        where = f"for logits {z.tolist()} at T = {t} (probabilities {np.round(p, 3).tolist()})"
        shown = f"you marked {got_b.astype(int).tolist()}, the right answer is {want.astype(int).tolist()} (1 = gains)"
        cooler = _reference.softmax_with_temperature(z, t / 1.001) > p
        if np.array_equal(got_b, cooler):
            raise _fail(
                f"{where} {shown}: you marked the characters that gain when T *falls*. Compare the "
                "probabilities at a temperature just *above* T with those at T."
            )
        if np.array_equal(got_b, p < p.max()):
            raise _fail(
                f"{where} {shown}: you marked every character except the most likely one. But the "
                f"runner-up (p = {p[np.argsort(-p)[1]]:.3f}) loses too: raising T takes probability "
                "from all the leading characters, not only from the favourite. "
                "Compute the probabilities at T and at a slightly higher T (say T * 1.001) and compare."
            )
        if np.array_equal(got_b, p < 1 / z.size):
            raise _fail(
                f"{where} {shown}: you marked the characters below the uniform probability 1/V = "
                f"{1 / z.size:.3f}. That is where every character ends as T -> infinity, not the line "
                "between gaining and losing now: some characters above 1/V gain as well. Compare the "
                "probabilities at T and at a slightly higher T (say T * 1.001)."
            )
        for far in (2 * t, t + 1):
            if np.array_equal(got_b, _reference.softmax_with_temperature(z, far) > p):
                raise _fail(
                    f"{where} {shown}: you compared T with a much higher temperature ({far:g}). A "
                    "character can gain at first and lose later (after 'th', '␣' has 0.071 at T = 0.5, "
                    "0.136 at T = 1 and 0.111 at T = 2: lesson 1's table). Ask what a *small* rise does: "
                    "compare with T * 1.001."
                )
        raise _fail(f"{where} {shown}. Compare the probabilities at T and at a slightly higher T (say T * 1.001).")
    _passed(
        "Raising T takes probability from the leading characters (not only the favourite) and gives it "
        "to the rest, whatever their place against 1/V."
    )


def temperature_for_perplexity(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(logits, target) -> T`` such that ``perplexity(softmax(logits / T)) == target``."""
    rng = np.random.default_rng(7)
    cases = [
        (np.array([3.0, 2.0, 1.0, 0.0, -1.0]), 2.0),
        (np.array([3.0, 2.0, 1.0, 0.0, -1.0]), 4.0),
        (np.round(rng.normal(0, 2, 30), 2), 10.0),
    ]
    for z, target in cases:
        got = _call(fn, z.copy(), target)
        t = _as_number(got, "one temperature (a float)")
        if not (t > 0 and math.isfinite(t)):
            raise _fail(f"for target perplexity {target} you returned T = {t}; the answer is a finite T > 0.")
        ppl = float(_reference.perplexity(_reference.softmax_with_temperature(z, t)))
        if abs(ppl - target) / target <= 0.01:
            continue
        direction = "too high: lower T" if ppl > target else "too low: raise T"
        raise _fail(
            f"at your T = {t:.4g} the perplexity is {ppl:.3f}, target {target}: {direction}. "
            "Perplexity rises steadily with T, so bisection works: keep an interval [lo, hi] "
            "whose perplexities bracket the target and halve it ~50 times."
        )
    _passed("Because perplexity rises monotonically with T, each target has exactly one T.")


# ---------------------------------------------------------------------------------------------
# Lesson 2
# ---------------------------------------------------------------------------------------------

def chi_square_statistic(fn: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``fn(counts, probs) -> float``: Pearson's ``sum((O - E)**2 / E)`` with ``E = n * probs``.

    ``counts`` are the observed counts of ``n = counts.sum()`` draws, shape ``(V,)``; ``probs`` the
    distribution they should follow. Each usual mistake is recomputed and named.
    """
    cases = [
        (np.array([48.0, 30.0, 22.0]), np.array([0.5, 0.3, 0.2])),
        (np.array([5_210.0, 2_880.0, 1_650.0, 260.0]), np.array([0.5, 0.3, 0.17, 0.03])),
        (np.array([0.0, 7.0, 13.0]), np.array([0.1, 0.4, 0.5])),
    ]
    for counts, p in cases:
        got = _as_number(_call(fn, counts.copy(), p.copy()), "one number (the statistic)")
        n = counts.sum()
        e = n * p
        want = float(np.sum((counts - e) ** 2 / e))
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        where = f"for counts {counts.astype(int).tolist()} (n = {n:,.0f} draws) and probs {p.tolist()}"
        mistakes = {
            "no n": float(np.sum((counts - p) ** 2 / p)),
            "frequencies": float(np.sum((counts / n - p) ** 2 / p)),
            "by observed": float(np.sum((counts - e) ** 2 / counts)) if np.all(counts > 0) else math.inf,
            "not squared": float(np.sum((counts - e) / e)),
            "absolute": float(np.sum(np.abs(counts - e) / e)),
            "not divided": float(np.sum((counts - e) ** 2)),
        }
        found = next((k for k, v in mistakes.items() if math.isclose(got, v, rel_tol=1e-6, abs_tol=1e-9)), None)
        if found is None and not math.isfinite(got) and not np.all(counts > 0):
            found = "by observed"
        hints = {
            "no n": "you compared the counts with the probabilities themselves. The expected counts are "
            "E = n * probs, with n = counts.sum() the number of draws.",
            "frequencies": f"you compared frequencies (counts / n) with the probabilities: that makes the "
            f"statistic n = {n:,.0f} times too small, so even a broken sampler would pass the test. "
            "Pearson's statistic compares counts: E = n * probs.",
            "by observed": "you divided by the observed counts O; divide by the expected counts "
            "E = n * probs (by O, a character never drawn divides by 0).",
            "not squared": "you summed (O - E) / E without squaring: the differences cancel (they always "
            "sum to 0). Square each difference: (O - E)**2 / E.",
            "absolute": "you used |O - E| instead of (O - E)**2: Pearson's statistic squares the differences.",
            "not divided": "you forgot to divide each squared difference by its expected count E: a "
            "difference of 10 draws means much more for a rare character than for a common one.",
        }
        if found is not None:
            raise _fail(f"{where} you return {got:.4g}, expected {want:.4g}: {hints[found]}")
        raise _fail(f"{where} expected {want:.4g}, got {got:.4g}. The statistic is sum((O - E)**2 / E) with E = n * probs.")
    _passed("Pearson's statistic compares counts with n * probs; with frequencies it would be n times too small.")


def sample_steps(fn: Callable[[np.ndarray, Any, int], Any]) -> None:
    """Check ``fn(step_logits (S, V), temperatures (K,), seed) -> (K, S)`` indices.

    Row ``k`` samples every step at ``temperatures[k]`` with :func:`helpers.sampling.sample` and
    one generator ``np.random.default_rng(seed)`` made afresh for that row: each step its own
    random number, every row the same numbers (common random numbers).
    """
    from . import sampling

    def rows(step_logits, temperatures, row_rng, step_rng):
        """Indices (K, S): ``row_rng()`` once per temperature, ``step_rng(that, s)`` at each step."""
        out = []
        for t in temperatures:
            r = row_rng()
            out.append([sampling.sample(z, t, step_rng(r, s)) for s, z in enumerate(step_logits)])
        return np.array(out, dtype=np.int64)

    z = np.array([1.0, 0.6, 0.3, 0.0, -0.5])
    step_logits = np.tile(z, (12, 1))
    step_logits[6:] = z[::-1]  # the distribution changes half-way, as in a real text
    temperatures = [0.5, 1.0, 2.0]
    for seed in (0, 7):
        got = _call(fn, step_logits.copy(), list(temperatures), seed)
        try:
            got = np.asarray(got, dtype=np.int64)
        except (TypeError, ValueError):
            raise _fail(f"return an array of indices (ints), got {got!r}") from None
        shape = (len(temperatures), len(step_logits))
        if got.shape != shape:
            flipped = " (you have one row per step: transpose it)" if got.shape == shape[::-1] else ""
            raise _fail(
                f"for {shape[1]} steps at {shape[0]} temperatures return shape {shape}, one row per "
                f"temperature; got {got.shape}{flipped}."
            )
        again = np.asarray(_call(fn, step_logits.copy(), list(temperatures), seed), dtype=np.int64)
        if not np.array_equal(got, again):
            raise _fail(
                f"two calls with seed {seed} gave different indices: your sampler is not reproducible. "
                "Make the generator from the seed, np.random.default_rng(seed), not unseeded "
                "(np.random.default_rng()) nor from numpy's global state."
            )
        want = rows(step_logits, temperatures, lambda: np.random.default_rng(seed), lambda r, s: r)
        if np.array_equal(got, want):
            continue
        per_step = rows(step_logits, temperatures, lambda: None, lambda r, s: seed)  # a new generator each call
        if np.array_equal(got, per_step):
            raise _fail(
                f"with seed {seed} your row at T = 1 is {got[1].tolist()}: one pick, repeated for as long as "
                "the distribution stays the same, because every step got the same random number. Passing the int seed to "
                "sampling.sample (or calling np.random.default_rng(seed) at every step) restarts the stream "
                "at each step, and with the same distribution you pick the same character again: a loop "
                "that is really a bug. Make one generator per row, rng = np.random.default_rng(seed), and "
                "pass rng to every step."
            )
        rng_all = np.random.default_rng(seed)
        one_for_all = rows(step_logits, temperatures, lambda: rng_all, lambda r, s: r)
        if np.array_equal(got, one_for_all):
            raise _fail(
                f"with seed {seed} the rows do not share their random numbers: you made one generator for all "
                "temperatures, so each temperature continues the stream where the one before stopped. For "
                "common random numbers start the stream afresh from the seed for every temperature "
                "(np.random.default_rng(seed) inside the loop over temperatures, outside the loop over steps)."
            )
        if np.array_equal(got, rows(step_logits, temperatures, lambda: None, lambda r, s: seed + s)):
            raise _fail(
                f"with seed {seed} you seeded step s with seed + s: reproducible, but the streams of "
                "neighbouring seeds overlap (step 1 of seed 0 uses seed 1, as does step 0 of seed 1), so "
                "seed 0 and seed 1 give shifted copies of one text. Make one generator per row, "
                "rng = np.random.default_rng(seed), and pass rng to every step."
            )
        raise _fail(
            f"with seed {seed} expected {want.tolist()}, got {got.tolist()}. For each temperature make "
            "rng = np.random.default_rng(seed), then call sampling.sample(step_logits[s], T, rng) for each step."
        )
    _passed("One generator per temperature: every step its own random number, every temperature the same numbers.")


def first_change_temperature(fn: Callable[[np.ndarray, np.ndarray, np.ndarray], Any]) -> None:
    """Check ``fn(logits, noise, temperatures) -> T`` or ``None``.

    The answer is the first temperature in the (increasing) grid at which the Gumbel-max choice,
    with this fixed noise, differs from the greedy choice; ``None`` if it never does.
    """
    grid = np.round(np.arange(0.0, 3.0001, 0.05), 2)
    z = np.array([2.0, 1.2, 0.3, 0.0, -1.0])
    rng = np.random.default_rng(5)
    tried_none = False
    for _ in range(25):
        g = gumbel_noise(rng, z.shape)
        choices = choices_across_temperatures(z, grid, g)
        changed = np.flatnonzero(choices != choices[0])
        want = None if changed.size == 0 else float(grid[changed[0]])
        tried_none |= want is None
        got = _call(fn, z.copy(), g.copy(), grid.copy())
        if want is None:
            if got is not None:
                raise _fail(
                    f"with noise {np.round(g, 3).tolist()} the choice never changes on this grid, so the "
                    f"answer is None; you returned {got!r}."
                )
            continue
        if got is None or not math.isclose(float(got), want):
            raise _fail(
                f"with logits {z.tolist()} and noise {np.round(g, 3).tolist()} the choice first differs "
                f"from greedy at T = {want}, you returned {got!r}. Use the *same* noise at every T and "
                "compare each choice with the one at T = 0 (the argmax of the logits)."
            )
    if not tried_none:  # pragma: no cover - a property of the fixed seed above
        raise RuntimeError("checker's cases should include a noise draw with no change")
    _passed("With shared noise, the choice stays greedy until some other token's logit/T + noise overtakes it.")


# ---------------------------------------------------------------------------------------------
# Lesson 3
# ---------------------------------------------------------------------------------------------

def _small_rnn_case(batch: int = 2):
    from . import tiny_rnn

    rng = np.random.default_rng(3)
    params = tiny_rnn.init_params(7, 5, seed=3, scale=0.4)
    params["bh"] = rng.normal(0, 0.3, 5)
    params["by"] = rng.normal(0, 0.3, 7)
    inputs = rng.integers(0, 7, (batch, 6))
    targets = rng.integers(0, 7, (batch, 6))
    h0 = rng.normal(0, 0.5, (batch, 5))
    return params, inputs, targets, h0


def rnn_step(fn: Callable[[dict, np.ndarray, int], Any]) -> None:
    """Check ``fn(params, h_prev, char_id) -> (h, logits)`` for one step of the tiny RNN."""
    from . import tiny_rnn

    params, inputs, _, h0 = _small_rnn_case(batch=1)
    h_prev = h0[0]
    for x in inputs[0][:4]:
        result = _call(fn, {k: v.copy() for k, v in params.items()}, h_prev.copy(), int(x))
        try:
            h, logits = (np.asarray(r, dtype=np.float64) for r in result)
        except (TypeError, ValueError):
            raise _fail(f"return a pair (h, logits), got {result!r}") from None
        hs, want_logits = tiny_rnn.forward(params, np.array([[x]]), h_prev[None, :])
        want_h = hs[0, 1]
        if h.shape != (5,) or logits.shape != (7,):
            raise _fail(
                f"h should have shape (H,) = (5,) and logits (V,) = (7,); got {h.shape} and {logits.shape}. "
                "Look up column x of Wxh (Wxh[:, x]) rather than multiplying by a one-hot row."
            )
        if not np.allclose(h, want_h, atol=1e-9):
            pre = params["Wxh"][:, x] + params["Whh"] @ h_prev + params["bh"]
            if np.allclose(h, pre, atol=1e-9):
                raise _fail("your h is the pre-activation: apply np.tanh to Wxh[:, x] + Whh @ h_prev + bh.")
            if np.allclose(h, np.tanh(pre - params["bh"]), atol=1e-9):
                raise _fail("your h leaves out the bias bh.")
            if np.allclose(h, np.tanh(params["Wxh"][:, x] + params["Whh"].T @ h_prev + params["bh"]), atol=1e-9):
                raise _fail("you multiplied by Whh.T: the recurrence is Whh @ h_prev.")
            raise _fail(f"for x = {x} your h differs from tanh(Wxh[:, x] + Whh @ h_prev + bh).")
        if not np.allclose(logits, want_logits[0, 0], atol=1e-9):
            if np.allclose(logits, params["Why"] @ h, atol=1e-9):
                raise _fail("your logits leave out the bias by.")
            raise _fail("your logits differ from Why @ h + by (use the *new* h, not h_prev).")
        h_prev = want_h
    _passed("One step: h = tanh(Wxh[:, x] + Whh h_prev + bh), logits = Why h + by.")


def buggy_loss_and_grads(params, inputs, targets, h0):
    """A backward pass with one bug, for lesson 3's bug hunt (same interface as
    :func:`helpers.tiny_rnn.loss_and_grads`)."""
    from . import tiny_rnn
    from .softmax import log_softmax

    hs, logits = tiny_rnn.forward(params, inputs, h0)
    b, length, v = logits.shape
    logp = log_softmax(logits)
    loss = float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())
    dlogits = np.exp(logp)
    for i in range(b):
        for t in range(length):
            dlogits[i, t, targets[i, t]] -= 1.0
    dlogits /= b
    grads = {
        "Why": dlogits.reshape(-1, v).T @ hs[:, 1:].reshape(b * length, -1),
        "by": dlogits.sum(axis=(0, 1)),
        "Wxh": np.zeros_like(params["Wxh"]),
        "Whh": np.zeros_like(params["Whh"]),
        "bh": np.zeros_like(params["bh"]),
    }
    dh_next = np.zeros_like(h0)
    for t in reversed(range(length)):
        dh = dlogits[:, t] @ params["Why"] + dh_next
        draw = dh  # back through tanh
        grads["bh"] += draw.sum(axis=0)
        for i in range(b):
            grads["Wxh"][:, inputs[i, t]] += draw[i]
        grads["Whh"] += draw.T @ hs[:, t]
        dh_next = draw @ params["Whh"]
    return loss, grads, hs[:, -1]


def wrong_gradients(fn: Callable[..., Any]) -> None:
    """Check ``fn(grad_fn, params, inputs, targets, h0) -> set of parameter names`` whose
    gradients ``grad_fn`` gets wrong (found with the gradient check)."""
    from . import tiny_rnn

    def transposed_whh(*args):
        loss, grads, h = tiny_rnn.loss_and_grads(*args)
        grads["Whh"] = grads["Whh"].T
        return loss, grads, h

    def doubled_by(*args):
        loss, grads, h = tiny_rnn.loss_and_grads(*args)
        grads["by"] = 2 * grads["by"]
        return loss, grads, h

    cases = [
        ("the correct tiny_rnn.loss_and_grads", tiny_rnn.loss_and_grads, set()),
        ("buggy_loss_and_grads", buggy_loss_and_grads, {"Wxh", "Whh", "bh"}),
        ("a backward pass that transposes Whh's gradient", transposed_whh, {"Whh"}),
        ("a backward pass that doubles by's gradient", doubled_by, {"by"}),
    ]
    for name, grad_fn, want in cases:
        case = _small_rnn_case()
        got = _call(fn, grad_fn, *case)
        try:
            got_set = set(got)
        except TypeError:
            raise _fail(f"return a set of parameter names such as {{'Whh'}}, got {got!r}") from None
        if got_set == want:
            continue
        if not want and got_set:
            raise _fail(
                f"for {name} you report {sorted(got_set)} as wrong, but it is correct: your threshold is "
                "too strict. Correct gradients give relative errors around 1e-8; wrong ones around 1e-1."
            )
        raise _fail(
            f"for {name} the wrong gradients are {sorted(want)}, you found {sorted(got_set)}. Run "
            "tiny_rnn.gradient_check(..., grad_fn=grad_fn, names=[name]) for each name in "
            "tiny_rnn.PARAM_NAMES and keep the names whose error is large (say > 1e-5)."
        )
    _passed(
        "buggy_loss_and_grads gets Wxh, Whh and bh wrong but Why and by right: the bug is between the "
        "output layer and the recurrence, in the step back through tanh (draw = dh forgets 1 - h**2)."
    )


def text_perplexity(fn: Callable[[dict, np.ndarray], Any]) -> None:
    """Check ``fn(params, ids) -> perplexity`` of a text under the tiny RNN (from a zero state)."""
    from . import tiny_rnn

    params, inputs, _, _ = _small_rnn_case(batch=1)
    ids = np.concatenate([inputs[0], inputs[0][::-1]])
    got = _call(fn, {k: v.copy() for k, v in params.items()}, ids.copy())
    got_f = _as_number(got, "one number")
    want = float(np.exp(-tiny_rnn.log_probs(params, ids[:1], ids[1:]).mean()))
    if np.isclose(got_f, want, rtol=1e-6):
        _passed("Perplexity = exp(mean loss in nats): the model's effective number of choices per character.")
        return
    if np.isclose(got_f, np.log(want), rtol=1e-6):
        raise _fail(f"you return {got_f:.4f}, the mean loss in nats; perplexity is exp of it.")
    if np.isclose(got_f, 2 ** np.log(want), rtol=1e-6):
        raise _fail("you used 2 ** loss with a loss in nats: use np.exp (or a loss in bits with 2 **).")
    raise _fail(
        f"expected {want:.4f}, got {got_f:.4f}. Feed ids[:-1] from a zero hidden state, score how well "
        "each step's logits predict the *next* id (ids[1:]) with log_softmax, average, exponentiate."
    )


# ---------------------------------------------------------------------------------------------
# Lesson 4
# ---------------------------------------------------------------------------------------------

def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _lstm_variants(x, h, c, w_ih, w_hh, b_ih, b_hh) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The right LSTM step and the usual wrong ones, keyed by what is wrong."""
    n = h.size

    def step(gates: np.ndarray, order: str = "ifgo", tanh_c: bool = True, input_gate: bool = True, g_fn=np.tanh):
        blocks = dict(zip(order, np.split(gates, 4)))
        i, f, o = _sigmoid(blocks["i"]), _sigmoid(blocks["f"]), _sigmoid(blocks["o"])
        c_new = f * c + (i if input_gate else 1.0) * g_fn(blocks["g"])
        return (o * np.tanh(c_new) if tanh_c else o * c_new), c_new

    gates = w_ih @ x + w_hh @ h + b_ih + b_hh
    assert gates.size == 4 * n
    return {
        "right": step(gates),
        "order": step(gates, order="ifog"),
        "no tanh on c": step(gates, tanh_c=False),
        "no input gate": step(gates, input_gate=False),
        "sigmoid g": step(gates, g_fn=_sigmoid),
        "one bias": step(gates - b_hh),
    }


def lstm_step(fn: Callable[..., Any]) -> None:
    """Check ``fn(x, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)``: one LSTM step in numpy,
    with PyTorch's layout (``W_ih`` of shape ``(4H, E)``, gate blocks in the order i, f, g, o).
    Compared with ``torch.nn.LSTMCell`` on random weights."""
    import torch

    rng = np.random.default_rng(4)
    e, n = 5, 3
    cell = torch.nn.LSTMCell(e, n, dtype=torch.float64)
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.8, tuple(p.shape))))
    x, h, c = rng.normal(size=e), rng.normal(size=n), rng.normal(size=n)
    with torch.no_grad():
        h_t, c_t = cell(torch.from_numpy(x)[None], (torch.from_numpy(h)[None], torch.from_numpy(c)[None]))
    want_h, want_c = h_t[0].numpy(), c_t[0].numpy()
    weights = [cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy(), cell.bias_ih.detach().numpy(), cell.bias_hh.detach().numpy()]
    got = _call(fn, x.copy(), h.copy(), c.copy(), *[w.copy() for w in weights])
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise _fail(f"return two arrays, (h_new, c_new); got {type(got).__name__}")
    got_h, got_c = _as_array(got[0], "h_new"), _as_array(got[1], "c_new")
    if got_h.shape != (n,) or got_c.shape != (n,):
        raise _fail(f"h_new and c_new should have shape ({n},) like h and c, got {got_h.shape} and {got_c.shape}.")
    if np.allclose(got_h, want_h, atol=1e-6) and np.allclose(got_c, want_c, atol=1e-6):
        _passed("Your step matches torch.nn.LSTMCell: gates i, f, g, o, then c = f·c + i·g and h = o·tanh(c).")
        return
    hints = {
        "order": "the four blocks of W_ih @ x + W_hh @ h + biases are in PyTorch's order i, f, g, o "
        "(input, forget, cell candidate, output): g is the third block, o the fourth.",
        "no tanh on c": "your c_new is right but h_new is not: h = o · tanh(c_new), with a tanh.",
        "no input gate": "the input gate scales what is written: c_new = f · c + i · g, not f · c + g.",
        "sigmoid g": "the candidate g uses tanh (values in -1 … 1, so the cell can also decrease); "
        "the gates i, f, o use the sigmoid.",
        "one bias": "PyTorch has two bias vectors, b_ih and b_hh: add both.",
    }
    variants = _lstm_variants(x, h, c, *weights)
    for name, (vh, vc) in variants.items():
        if name == "right":
            continue
        if np.allclose(got_c, vc, atol=1e-6) and np.allclose(got_h, vh, atol=1e-6):
            raise _fail(hints[name])
    if np.allclose(got_c, want_c, atol=1e-6):
        raise _fail(hints["no tanh on c"])
    raise _fail(
        "not yet. gates = W_ih @ x + W_hh @ h + b_ih + b_hh, shape (4H,); split into i, f, g, o; "
        "i, f, o = sigmoid, g = tanh; c_new = f * c + i * g; h_new = o * tanh(c_new)."
    )


def temper_probabilities(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(probs, temperature) -> probs at T`` without logits: ``p^(1/T)`` renormalised,
    computed in log space so tiny ``T`` does not underflow, and ``T = 0`` greedy."""
    p = np.array([0.5, 0.3, 0.15, 0.05])
    logp = np.log(p)
    for t in (1.0, 0.5, 2.0, 0.0002, 0.0):
        try:
            got = _as_array(_call(fn, p.copy(), t), "your function")
        except ZeroDivisionError:
            raise _fail("T = 0 raised ZeroDivisionError: T = 0 is greedy, handle it first (all mass on the most likely).") from None
        want = _reference.softmax_with_temperature(logp, t)
        if got.shape == want.shape and np.allclose(got, want, atol=1e-6):
            continue
        if t not in (0.0, 1.0) and got.shape == want.shape:
            if np.allclose(got, p, atol=1e-6):
                raise _fail(
                    f"at T = {t} you get the T = 1 probabilities back: dividing probabilities by T "
                    "changes nothing once you renormalise. Raise them to the power 1/T instead."
                )
            if np.allclose(got, _reference.softmax_with_temperature(logp * t, 1.0), atol=1e-6):
                raise _fail(
                    f"at T = {t} the distribution moves the wrong way: p ** T sharpens as T grows (a "
                    "real bug, fastai #1264). Use p ** (1 / T), which equals softmax(log p / T)."
                )
            if not np.all(np.isfinite(got)):
                raise _fail(
                    f"at T = {t} you return {got.tolist()}: p ** (1 / T) underflows to 0 for small T "
                    "and 0 / 0 is NaN. Work in log space: z = log(p) / T, subtract max(z), exp, normalise."
                )
        if t == 0.0:
            raise _fail(f"at T = 0 expected {want.tolist()} (all mass on the most likely), got {np.round(got, 4).tolist()}.")
        raise _fail(f"for p = {p.tolist()} at T = {t} expected {np.round(want, 4).tolist()}, got {np.round(got, 4).tolist()}.")
    zero = np.array([0.6, 0.4, 0.0])
    got = _as_array(_call(fn, zero.copy(), 0.5), "your function")
    if not np.allclose(got, [0.6**2 / 0.52, 0.4**2 / 0.52, 0.0], atol=1e-6):
        raise _fail(f"a character with probability 0 must stay at 0 (log 0 = -inf is fine); got {np.round(got, 4).tolist()}.")
    _passed("Temperature needs no logits: p ** (1/T), renormalised (in log space), is softmax(logits / T).")


def tempered_rows(fn: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``fn(logits (V,), temperatures (n,)) -> (n, V)``: row ``i`` is
    ``softmax(logits / temperatures[i])``, with ``T = 0`` greedy and ``T = inf`` uniform."""
    z = np.array([2.0, 1.0, 0.5, -1.0])
    ts = np.array([0.0, 0.5, 1.0, 2.0, np.inf])
    got = _as_array(_call(fn, z.copy(), ts.copy()), "your function")
    want = np.stack([_reference.softmax_with_temperature(z, t) for t in ts])
    if got.shape != want.shape:
        raise _fail(
            f"expected shape {want.shape}: one row per temperature, one column per character; got "
            f"{got.shape}. Broadcast: logits[None, :] / temperatures[:, None]."
        )
    bad = [float(t) for t, row, ok in zip(ts, got, want) if not np.allclose(row, ok, atol=1e-6)]
    if not bad:
        _passed("One array operation tempers every row: the idea behind sampling many temperatures in one pass.")
        return
    if 0.0 in bad:
        raise _fail(
            "the T = 0 row is wrong (NaN from 0/0?). Put a one-hot row at the argmax for T = 0, e.g. with "
            "np.where, or compute the other rows with a safe temperature and overwrite the greedy ones."
        )
    if float("inf") in bad:
        raise _fail("the T = inf row should be uniform (logits / inf = 0 everywhere): 1 / V for every character.")
    raise _fail(
        f"rows at T = {bad} are wrong. Subtract each row's max along axis=1 (keepdims=True) and "
        "normalise each row by its own sum."
    )


# ---------------------------------------------------------------------------------------------
# Lesson 5
# ---------------------------------------------------------------------------------------------

def _as_interval(result: Any) -> tuple[float, float]:
    """``result`` as ``(low, high)``, or a failure saying what to return."""
    try:
        values = [float(v) for v in result]
    except (TypeError, ValueError):
        raise _fail(f"return two numbers, (low, high), got {result!r}") from None
    if len(values) == 3:
        raise _fail("you return three numbers (rho, low, high?): return only the interval, (low, high).")
    if len(values) != 2:
        raise _fail(f"return two numbers, (low, high), got {len(values)}")
    low, high = values
    if not low <= high:
        raise _fail(f"your interval ({low:.3f}, {high:.3f}) has low > high: return (low, high) in that order.")
    return low, high


def spearman_interval(fn: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``fn(x, y) -> (low, high)``, a 95 % percentile-bootstrap interval of Spearman's rho
    (reference: :func:`helpers.metrics.spearman_with_ci`), on curves that rise or fall without
    being straight and on noisy data. Names two mistakes: Pearson's r in place of Spearman's rho
    (values instead of ranks), and resampling x and y apart (which breaks the pairs)."""
    from . import metrics

    x = np.linspace(0.0, 2.0, 30)
    pairing = (
        "for x and y that always rise together your interval is ({low:.2f}, {high:.2f}), around 0: "
        "the pairs were broken. Resampling x and y with separate draws (or only one of them) pairs each "
        "x with a random y. Draw ONE set of indices, idx = rng.integers(0, n, n), and use x[idx] and "
        "y[idx] together."
    )
    for name, y, want in (("rises", np.exp(3 * x), 1.0), ("falls", -(x**3), -1.0)):
        low, high = _as_interval(_call(fn, x.copy(), y.copy()))
        if math.isclose(low, want, abs_tol=1e-9) and math.isclose(high, want, abs_tol=1e-9):
            continue
        if low < 0.3 and high > -0.3:
            raise _fail(pairing.format(low=low, high=high))
        if want > 0 and 0.3 <= low and high < 1 - 1e-9 or want < 0 and low > -1 + 1e-9 and high <= -0.3:
            pearson = float(np.corrcoef(x, y)[0, 1])
            raise _fail(
                f"y = {'exp(3x)' if want > 0 else '-x³'} {name} at every step, so every resample has Spearman's "
                f"rho = {want:+.0f} exactly and the interval is ({want:+.0f}, {want:+.0f}); yours is "
                f"({low:.3f}, {high:.3f}). That is Pearson's r (here {pearson:+.3f}), which measures how "
                "close to a straight line the points lie, not whether they rise together. Correlate the "
                "RANKS: scipy.stats.spearmanr(x[idx], y[idx]).statistic."
            )
        raise _fail(f"y {name} with x at every step: expected the interval ({want:+.0f}, {want:+.0f}), got ({low:.3f}, {high:.3f}).")
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 2, 80)
    y = x + rng.normal(0, 0.8, 80)
    rho, ref_low, ref_high = metrics.spearman_with_ci(x, y, n_boot=4000, seed=1)
    low, high = _as_interval(_call(fn, x.copy(), y.copy()))
    width, ref_width = high - low, ref_high - ref_low
    if low < 0.3 * rho and high > -0.3 * rho and low < 0 < high:
        raise _fail(pairing.format(low=low, high=high).replace("always rise together", f"with rho = {rho:+.2f}"))
    if not low < rho < high:
        raise _fail(
            f"on noisy data with rho = {rho:.3f} your interval ({low:.3f}, {high:.3f}) does not contain it "
            f"(expected about ({ref_low:.2f}, {ref_high:.2f})): resample the pairs and take the 2.5th and "
            "97.5th percentiles of the resampled rho."
        )
    if width < 0.6 * ref_width:
        raise _fail(
            f"on noisy data your interval ({low:.3f}, {high:.3f}) is much narrower than a 95 % bootstrap "
            f"interval (about ({ref_low:.2f}, {ref_high:.2f})): take the 2.5th and 97.5th percentiles of the "
            "resampled rho (np.percentile(boots, [2.5, 97.5])), with resamples as large as the data."
        )
    if width > 1.6 * ref_width:
        raise _fail(
            f"on noisy data your interval ({low:.3f}, {high:.3f}) is much wider than a 95 % bootstrap "
            f"interval (about ({ref_low:.2f}, {ref_high:.2f})): percentiles 2.5 and 97.5 of the resampled rho, "
            "with resamples as large as the data."
        )
    _passed(
        "A percentile bootstrap of Spearman's rho: resample whole pairs, rank, correlate; the interval "
        "says how much rho would move with other data like these."
    )


def crossing_temperature(fn: Callable[[np.ndarray, np.ndarray, float], Any]) -> None:
    """Check ``fn(temperatures, values, threshold) -> the first T where values reach threshold``,
    interpolating linearly between grid points, ``None`` if they never do (reference:
    :func:`helpers.metrics.first_crossing`)."""
    from . import metrics

    ts = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    cases = [
        np.array([0.0, 0.02, 0.06, 0.2, 0.5]),
        np.array([0.0, 0.02, 0.1, 0.2, 0.5]),
        np.array([0.2, 0.3, 0.4, 0.5, 0.6]),
        np.array([0.0, 0.01, 0.02, 0.03, 0.04]),
        np.array([0.0, 0.15, 0.05, 0.2, 0.5]),  # the *first* crossing counts
    ]
    threshold = 0.1
    for values in cases:
        want = metrics.first_crossing(ts, values, threshold)
        got = _call(fn, ts.copy(), values.copy(), threshold)
        if want is None:
            if got is not None:
                raise _fail(f"for values {values.tolist()} that never reach {threshold} return None, got {got!r}.")
            continue
        got_f = _as_number(got, f"a temperature (a number) for values {values.tolist()}")
        if math.isclose(got_f, want, abs_tol=1e-9):
            continue
        below = ts[np.argmax(values >= threshold)]
        if math.isclose(got_f, below, abs_tol=1e-9):
            raise _fail(
                f"for values {values.tolist()} you return the first grid point at or above {threshold} "
                f"(T = {below}); interpolate between it and the point before: "
                "T0 + (T1 - T0) * (threshold - v0) / (v1 - v0)."
            )
        raise _fail(f"for values {values.tolist()} and threshold {threshold} expected T = {want:.4f}, got {got_f:.4f}.")
    _passed("You find where a measured curve crosses a threshold, between the grid points.")


def invented_word_rate(fn: Callable[[str, set], Any]) -> None:
    """Check ``fn(text, vocabulary) -> share of the text's words not in vocabulary`` (words:
    lower-cased runs of letters and apostrophes, as :func:`helpers.metrics.words`). Names the usual
    mistakes: words not lower-cased (capitalised and upper-case words counted as invented) and words
    split on spaces with their punctuation still attached."""
    import re

    from . import metrics

    vocabulary = set(metrics.words(
        "romeo but soft what light through yonder window breaks it is the east and juliet is the sun o'er"
    ))
    text = "ROMEO:\nBut soft, what lightt through yonder window breaks?\nIt is the East, and Juliet is the sunne!"
    found = metrics.words(text)
    want = sum(w not in vocabulary for w in found) / len(found)
    got = _as_number(_call(fn, text, set(vocabulary)), "one number (a share of the words)")
    if math.isclose(got, want, abs_tol=1e-9):
        _passed(
            "Invented words: lower-case the text and strip punctuation before looking words up, or "
            "capitals and commas count as inventions."
        )
        return
    cased = re.findall(r"[A-Za-z']+", text)
    spaced = text.lower().split()
    if math.isclose(got, sum(w not in vocabulary for w in cased) / len(cased), abs_tol=1e-9):
        raise _fail(
            f"for {text!r} you return {got:.3f}: 'ROMEO', 'But', 'It', 'East' and 'Juliet' count as invented. "
            "The vocabulary is lower-case (and Shakespeare's speaker names are in capitals): lower-case "
            "the text first, text.lower()."
        )
    if math.isclose(got, sum(w not in vocabulary for w in spaced) / len(spaced), abs_tol=1e-9):
        raise _fail(
            f"for {text!r} you return {got:.3f}: 'soft,' and 'breaks?' count as invented because "
            "text.split() leaves the punctuation attached. Take the runs of letters and apostrophes "
            "instead: re.findall(r\"[a-z']+\", text.lower()) (which is metrics.words)."
        )
    raw = text.split()
    if math.isclose(got, sum(w not in vocabulary for w in raw) / len(raw), abs_tol=1e-9):
        raise _fail(
            f"for {text!r} you return {got:.3f}: capitals and punctuation both count as invented. "
            "Lower-case the text and keep only runs of letters and apostrophes: "
            "re.findall(r\"[a-z']+\", text.lower())."
        )
    if math.isclose(got, want * len(found), abs_tol=1e-9):
        raise _fail(f"you return {got:g}, the number of invented words: divide by the number of words.")
    raise _fail(f"for {text!r} expected {want:.4f} ({want * len(found):.0f} of {len(found)} words), got {got:.4f}.")


# Lesson 5b -----------------------------------------------------------------------------------

def characters_needed(fn: Callable[[float, float, float], Any]) -> None:
    """Check ``fn(se_measured, n_measured, se_target) -> N``: the sample length (characters) at
    which the standard error of the estimated temperature falls to ``se_target``, when
    ``n_measured`` characters gave ``se_measured``. The error shrinks like ``1 / sqrt(N)``, so
    ``N = n_measured * (se_measured / se_target) ** 2``; any answer within one character passes."""
    cases = [(0.038, 400, 0.01), (0.111, 50, 0.028), (0.03, 800, 0.05)]  # the last: a looser target
    for se, n, target in cases:
        want = n * (se / target) ** 2
        got = _as_number(_call(fn, se, n, target), "one number, a length in characters")
        if abs(got - want) <= 1 + 1e-9 * want:
            continue
        said = f"from SE {se} at {n} characters to SE {target}: you return {got:,.1f}"
        ratio = se / target
        wrong = [
            (n * ratio, "that scales the length in proportion to the error, as if the standard error shrank "
                        "like 1/N. It shrinks like 1/sqrt(N) (section 5), so N must grow like the SQUARE of "
                        "the ratio: half the error takes 4x the characters, not 2x."),
            (n / ratio**2, "a smaller error needs more characters, not fewer: your ratio is upside down "
                           "(se_measured / se_target, squared)."),
            (n / ratio, "a smaller error needs more characters, not fewer: your ratio is upside down, and "
                        "the error shrinks like 1/sqrt(N), so square it."),
            (n * math.sqrt(ratio), "you took the square root of the ratio. SE is proportional to 1/sqrt(N), "
                                   "so N is proportional to 1/SE**2: square the ratio."),
            (n * ratio**2 - n, "that is how many characters to ADD; return the whole length."),
            (ratio**2, "that is only the factor (se_measured / se_target)**2; multiply the measured length by it."),
        ]
        for value, hint in wrong:
            if math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-9):
                raise _fail(f"{said}; {hint}")
        raise _fail(f"{said}; expected about {want:,.1f}. Use SE proportional to 1/sqrt(N).")
    _passed("A sample's standard error shrinks like 1/sqrt(N): ten times the precision costs a hundred times the text.")


# Lesson 5b's capstone: the temperature detective --------------------------------------------

_DETECTIVE_PROMPTS = ("ROMEO:\n", "JULIET:\n", "KING HENRY VI:\n", "First Citizen:\n")
_DETECTIVE_RANGE = (0.4, 1.6)  # hidden temperatures are drawn uniformly from this range


@dataclass(frozen=True)
class DetectiveCase:
    """A text the pretrained LSTM wrote at a hidden temperature, and what you need to find it.

    ``logits`` (shape ``(N, V)``) are the model's own (``T = 1``) logits at each of the ``N`` steps
    and ``chosen`` (shape ``(N,)``) the ids of the characters it picked: the character at step ``i``
    was drawn from ``softmax(logits[i] / T)`` for the hidden ``T``.
    """

    seed: int
    prompt: str
    text: str
    logits: np.ndarray = field(repr=False)
    chosen: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        return f"DetectiveCase(seed={self.seed}, {len(self.text)} characters after {self.prompt!r}: {self.text[:60]!r}…)"


def _hidden_temperature(seed: int) -> float:
    """The hidden temperature of case ``seed`` (no peeking: estimate it!)."""
    rng = np.random.default_rng([2024, seed])
    return round(float(rng.uniform(*_DETECTIVE_RANGE)), 2)


@functools.lru_cache(maxsize=1)
def _pretrained():  # a cache: the model is loaded once per kernel
    from .char_lstm import load_pretrained

    return load_pretrained()


@functools.lru_cache(maxsize=8)
def detective_case(seed: int, length: int = 400) -> DetectiveCase:
    """The case of student ``seed``: ``length`` characters sampled from the pretrained LSTM at a
    temperature hidden in the seed (between 0.4 and 1.6), with the logits of every step."""
    from .char_lstm import continuation_logits, sample_many

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a whole number >= 0 (your own number), got {seed!r}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 20:
        raise ValueError(f"length must be a whole number of characters >= 20, got {length!r}")
    seed, length = int(seed), int(length)
    model = _pretrained()
    prompt = _DETECTIVE_PROMPTS[seed % len(_DETECTIVE_PROMPTS)]
    texts, _ = sample_many(model, prompt, length, [_hidden_temperature(seed)], seed=[10_000 + seed])
    logits, chosen = continuation_logits(model, prompt, texts[0])
    logits.setflags(write=False)
    chosen.setflags(write=False)
    return DetectiveCase(seed, prompt, texts[0], logits, chosen)


def _synthetic_case(temperature: float, steps: int = 300, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Random logits (steps, 12) and characters drawn from softmax(logits / temperature)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (steps, 12))
    chosen = np.argmax(logits / temperature + rng.gumbel(size=logits.shape), axis=1)
    return logits, chosen


def _detective_hint(got: float, mle: float, what: str) -> ExerciseFailed:
    if not math.isfinite(got) or got <= 0:
        return _fail(f"{what}: your estimate is {got}; a temperature is a positive number.")
    if math.isclose(got, 1 / mle, rel_tol=0.03):
        return _fail(f"{what}: you return {got:.3f} = 1 / {mle:.3f}. That is beta = 1/T; return T itself.")
    if math.isclose(got, 1.0, abs_tol=1e-9):
        return _fail(f"{what}: you return exactly 1. Evaluate the log-likelihood at many temperatures "
                     "(e.g. np.geomspace(0.05, 10, 400)) and return the one where it is largest.")
    if abs(got - mle) <= 0.1 * mle:
        return _fail(f"{what}: {got:.3f} is close to the maximum ({mle:.3f}) but not on it: use a finer grid "
                     "(steps of 0.01 or less) or scipy.optimize.minimize_scalar on minus the log-likelihood.")
    return _fail(
        f"{what}: expected about {mle:.3f}, got {got:.3f}. The log-likelihood is the sum over steps of "
        "log softmax(logits[i] / T)[chosen[i]]: divide the logits (not probabilities) by T, take the "
        "log-softmax of each row, pick each step's chosen entry, sum. It has one peak: *maximise* it "
        "over a range wide enough (0.05 to 10) that the peak is not at an edge."
    )


def _agrees_with_mle(got: float, mle: float) -> bool:
    """Within 2 % (plus a little) of the library's maximum-likelihood estimate: a grid search passes."""
    return abs(got - mle) <= 0.02 * mle + 0.005


def temperature_detective(fn: Callable[[np.ndarray, np.ndarray], Any], seed: int, length: int = 400) -> None:
    """Check ``fn(logits (N, V), chosen (N,)) -> estimated T`` (maximum likelihood): on two samples
    with a known answer, then on your own case (``detective_case(seed, length)``), where the
    estimate must land within 3 standard errors (:func:`helpers.metrics.temperature_standard_error`
    of the ``length`` characters) of the hidden temperature."""
    from .metrics import fit_temperature, temperature_standard_error

    bounds = (0.02, 20.0)
    for t in (0.6, 1.8):
        logits, chosen = _synthetic_case(t)
        mle, _ = fit_temperature(logits, chosen, bounds=bounds)
        got = _as_number(_call(fn, logits.copy(), chosen.copy()), "one number, the estimated temperature")
        if not _agrees_with_mle(got, mle):
            raise _detective_hint(got, mle, f"on a sample drawn at T = {t}")
    case = detective_case(seed, length)
    hidden = _hidden_temperature(case.seed)
    got = _as_number(_call(fn, np.array(case.logits), np.array(case.chosen)), "one number, the estimated temperature")
    tolerance = 3 * temperature_standard_error(case.logits, hidden)
    mle, _ = fit_temperature(case.logits, case.chosen, bounds=bounds)
    if abs(got - hidden) <= tolerance or _agrees_with_mle(got, mle):
        _passed(
            f"Case {case.seed}: the hidden temperature was T = {hidden:g}; you estimated {got:.3f}, within "
            f"±{tolerance:.3f} (3 standard errors for {len(case.text)} characters). With 4× as many "
            "characters the error would halve."
        )
        return
    raise _detective_hint(got, mle, f"on your case {case.seed}")


# ---------------------------------------------------------------------------------------------
# Lesson 6
# ---------------------------------------------------------------------------------------------

_TRUNCATION_CASES = [
    np.array([2.0, 1.0, 0.5, 0.0, -1.0, -3.0]),
    np.array([-1.0, 3.0, 0.0, 2.5, 1.0]),  # not sorted: the ranking is not the index order
    np.array([0.0, 0.0, 0.0, 0.0]),  # uniform
    np.array([5.0, 0.0, -0.5, -np.inf, 0.2]),  # confident, with a forbidden token
]


def _kept_by(fn: Callable[..., Any], z: np.ndarray, value: float, name: str) -> np.ndarray:
    out = _as_array(_call(fn, z.copy(), value), name)
    if out.shape != z.shape:
        raise _fail(f"{name} should return one value per token (shape {z.shape}), got shape {out.shape}.")
    if np.isnan(out).any():
        raise _fail(f"{name} returned NaN: set the cut logits to -np.inf, not NaN.")
    finite = np.isfinite(out)
    if finite.all() and np.all((out >= 0) & (out <= 1)) and not np.allclose(out, z):
        if math.isclose(out.sum(), 1.0, rel_tol=1e-6) or (out == 0).any():
            raise _fail(f"{name} returned probabilities; return the logits, with the cut ones set to -np.inf.")
    if not np.allclose(out[finite], z[finite]):
        raise _fail(f"{name} changed the logits it kept: leave survivors unchanged, set only the cut ones to -np.inf.")
    return finite


def top_p_filter(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(logits, p) -> logits with the tokens outside the nucleus at -inf`` against
    :func:`helpers.sampling.top_p`."""
    from . import sampling

    for z in _TRUNCATION_CASES:
        probs = _reference.softmax_with_temperature(z)
        order = np.argsort(-z, kind="stable")
        for p in (0.3, 0.5, 0.75, 0.9, 1.0):
            want = np.isfinite(sampling.top_p(z, p))
            got = _kept_by(fn, z, p, "top_p_filter")
            if np.array_equal(got, want):
                continue
            cum = probs[order].cumsum()
            strict = np.zeros_like(want)
            strict[order[: max(1, int((cum <= p + 1e-12).sum()))]] = True  # stops before the token that crosses p
            by_index = np.zeros_like(want)
            by_index[: int((probs.cumsum() - probs < p).sum())] = True
            if np.array_equal(got, strict) and not np.array_equal(strict, want):
                raise _fail(
                    f"for logits {z.tolist()} and p = {p}: you stop *before* the token that pushes the total past "
                    "p. The nucleus is the smallest set that *reaches* p: keep a token while the mass ranked above "
                    "it is still below p (so the token that crosses p is kept)."
                )
            if np.array_equal(got, by_index) and not np.array_equal(by_index, want):
                raise _fail(
                    f"for logits {z.tolist()} and p = {p}: you added up the tokens in index order. Sort them by "
                    "probability first (np.argsort(-probs)), most likely first."
                )
            if np.array_equal(got, np.isfinite(z) & (probs >= p)) and not got.sum() == want.sum():
                raise _fail(
                    f"for logits {z.tolist()} and p = {p}: you kept tokens whose own probability is >= p. Top-p "
                    "adds probabilities up: keep the most likely tokens until their *total* reaches p."
                )
            raise _fail(
                f"for logits {z.tolist()} and p = {p} expected to keep tokens {np.flatnonzero(want).tolist()}, "
                f"you kept {np.flatnonzero(got).tolist()}. Steps: probabilities = softmax(logits); sort them "
                "(largest first); cumulative sum; keep a token while the mass before it is < p."
            )
    _passed("top-p keeps the smallest set of most likely tokens whose total reaches p.")


def min_p_distribution(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(logits, min_p) -> the probabilities a sampler with min-p draws from`` (shape ``(V,)``:
    the cut tokens exactly 0, the survivors renormalised) against :func:`helpers.sampling.truncated_softmax`.

    The hints name the usual mistakes: min-p read as an absolute threshold (as if it were top-p's p),
    the threshold applied to the logits, the survivors not renormalised, the cut logits set to 0
    instead of -inf, logits returned instead of probabilities.
    """
    from . import sampling

    name = "min_p_distribution"
    for z in _TRUNCATION_CASES:
        probs = _reference.softmax_with_temperature(z)
        live = np.isfinite(z)
        for m in (0.0, 0.05, 0.2, 0.5, 0.9):
            want = sampling.truncated_softmax(z, 1.0, min_p=m)
            got = _as_array(_call(fn, z.copy(), m), name)
            where = f"for logits {z.tolist()} and min_p = {m}"
            if got.shape != z.shape:
                raise _fail(f"{name} should return one probability per token (shape {z.shape}), got shape {got.shape}.")
            if np.allclose(got, want, rtol=1e-6, atol=1e-9):
                continue
            keep = np.flatnonzero(want > 0).tolist()
            kept = got > 0  # NaN counts as not kept
            with np.errstate(invalid="ignore"):
                as_logits = bool(np.isinf(got).any() or (got < -1e-12).any() or (got > 1 + 1e-9).any())
            if as_logits:
                raise _fail(
                    f"{where} you returned logits (values below 0, above 1 or -inf). A sampler draws from "
                    "*probabilities*: return them, 0 for the cut tokens."
                )
            absolute, on_logits = live & (probs >= m), live & (z >= m * z.max())
            if not np.array_equal(kept, want > 0):
                if np.array_equal(kept, absolute):
                    raise _fail(
                        f"{where} you kept the tokens whose own probability is at least min_p: that reads min-p as an "
                        "absolute threshold, as if it were top-p's p. Min-p is relative to the top token: keep "
                        "p_i >= min_p * (the largest probability). That is why usual values are 0.01 to 0.2, and "
                        "min_p = 0.9 makes sampling nearly greedy."
                    )
                if np.array_equal(kept, on_logits):
                    raise _fail(
                        f"{where} you compared the *logits* with min_p times the largest logit. Logits are not "
                        "probabilities (they can be negative, and adding a constant to all of them changes nothing): "
                        "compare the probabilities softmax(logits)."
                    )
            if np.allclose(got, _reference.softmax_with_temperature(np.where(want > 0, z, 0.0)), atol=1e-9):
                raise _fail(
                    f"{where} you set the cut logits to 0 before the softmax: exp(0) = 1, so the cut tokens still get "
                    "probability. Cut logits are -np.inf (probability exactly 0)."
                )
            if np.isnan(got).any():
                raise _fail(f"{where} you returned NaN (a 0 / 0?): the top token always survives, so the total is never 0.")
            if not np.array_equal(kept, want > 0):
                raise _fail(f"{where} expected to keep tokens {keep}, you kept {np.flatnonzero(kept).tolist()}.")
            if np.allclose(got, np.where(want > 0, probs, 0.0), atol=1e-9):
                raise _fail(
                    f"{where} you kept the right tokens but did not renormalise: your probabilities add up to "
                    f"{got.sum():.3f}, not 1. After a cut, the survivors must share all the probability: divide them "
                    "by their total (or take the softmax of the kept logits)."
                )
            if not math.isclose(got.sum(), 1.0, rel_tol=1e-6):
                raise _fail(f"{where} your probabilities add up to {got.sum():.3f}, not 1.")
            raise _fail(
                f"{where} you kept the right tokens, but changed their odds: renormalising divides every survivor by "
                "the same total, so their ratios stay those of softmax(logits)."
            )
    _passed("min-p keeps what is at least min_p times as likely as the top token, then renormalises.")


def nucleus_size(fn: Callable[[np.ndarray, float, float, bool], Any]) -> None:
    """Check ``fn(logits, T, p, temperature_last) -> how many tokens top-p keeps`` against
    :func:`helpers.sampling.truncation_mask`."""
    from . import sampling

    z = np.array([3.0, 2.0, 1.5, 1.0, 0.0, -0.5, -1.0, -2.0])
    for t in (0.5, 1.0, 2.0, 4.0):
        for last in (False, True):
            want = int(sampling.truncation_mask(z, t, top_p=0.9, temperature_last=last).sum())
            got = _as_index(_call(fn, z.copy(), t, 0.9, last))
            if got == want:
                continue
            other = int(sampling.truncation_mask(z, t, top_p=0.9, temperature_last=not last).sum())
            at_one = int(sampling.truncation_mask(z, 1.0, top_p=0.9).sum())
            if got == at_one and not last:
                raise _fail(
                    f"at T = {t} with temperature first you return {got}, the size at T = 1. With temperature "
                    "first the nucleus is computed from softmax(logits / T): divide before you add up."
                )
            if got == other:
                raise _fail(
                    f"at T = {t} you have the two orders swapped: temperature_last={last} should give {want}. "
                    "Temperature last means the filter sees the model's own softmax(logits)."
                )
            inverse = int(sampling.truncation_mask(z * t, 1.0, top_p=0.9).sum())
            if got == inverse:
                raise _fail(f"at T = {t}: divide the logits by T, do not multiply.")
            raise _fail(f"at T = {t}, temperature_last={last}: expected {want} tokens, got {got}.")
    _passed("with temperature first, a hot T widens the nucleus; with temperature last, T cannot change it.")
