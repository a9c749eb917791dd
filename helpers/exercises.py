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
from .sampling import choices_across_temperatures, gumbel_noise, sample_gumbel_max

__all__ = [
    "ExerciseFailed",
    "softmax_with_temperature",
    "entropy_bits",
    "temperature_for_perplexity",
    "inverse_cdf",
    "gumbel_max",
    "first_change_temperature",
    "rnn_step",
    "buggy_loss_and_grads",
    "wrong_gradients",
    "text_perplexity",
    "lstm_step",
    "temper_probabilities",
    "tempered_rows",
    "distinct_n",
    "crossing_temperature",
    "nll_at_temperature",
    "DetectiveCase",
    "detective_case",
    "temperature_detective",
    "top_p_filter",
    "min_p_filter",
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


def entropy_bits(fn: Callable[[np.ndarray], Any]) -> None:
    """Check ``fn(probs) -> entropy in bits`` of one distribution (a float)."""
    cases = [
        (np.full(4, 0.25), "the uniform distribution over 4 characters"),
        (np.array([0.5, 0.25, 0.25]), "[0.5, 0.25, 0.25]"),
        (np.array([0.0, 1.0, 0.0]), "a one-hot distribution [0, 1, 0]"),
        (np.array([0.7, 0.2, 0.1, 0.0]), "[0.7, 0.2, 0.1, 0.0]"),
    ]
    for p, name in cases:
        got = _call(fn, p.copy())
        try:
            got_f = float(np.asarray(got, dtype=np.float64))
        except (TypeError, ValueError):
            raise _fail(f"your function should return one number, got {got!r}") from None
        want = float(_reference.entropy(p, unit="bits"))
        if math.isclose(got_f, want, abs_tol=1e-6):
            continue
        if math.isnan(got_f):
            raise _fail(
                f"for {name} you return NaN: 0 * log(0) is NaN in numpy, but its limit is 0. "
                "Leave out the zero probabilities (e.g. p = p[p > 0]) before taking the log."
            )
        if math.isclose(got_f, want * math.log(2), abs_tol=1e-6):
            raise _fail(f"for {name} you return {got_f:.4f}, which is the entropy in nats. For bits use log base 2 (np.log2).")
        if math.isclose(got_f, -want, abs_tol=1e-6):
            raise _fail(f"for {name} you return {got_f:.4f}: entropy is -sum p log p; you are missing the minus sign.")
        raise _fail(f"for {name} expected {want:.4f} bits, got {got_f:.4f}.")
    _passed("Uniform over 4 is 2 bits, a one-hot distribution 0 bits, and zeros are handled.")


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

def inverse_cdf(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(probs, u) -> index`` with ``cdf[i-1] <= u < cdf[i]`` (one uniform ``u``)."""
    p = np.array([0.2, 0.5, 0.3])
    expected = {0.0: 0, 0.1: 0, 0.2: 1, 0.45: 1, 0.7: 2, 0.95: 2}
    for u, want in expected.items():
        got = _call(fn, p.copy(), u)
        if isinstance(got, (float, np.floating)) and not float(got).is_integer():
            raise _fail(
                f"for u = {u} you return {got}, which looks like a cumulative probability: return the "
                "*index* i of the first token whose cumulative probability exceeds u."
            )
        got_i = _as_index(got)
        if got_i == want:
            continue
        cdf = np.cumsum(p)
        if u in (0.2, 0.7) and got_i == want - 1:
            raise _fail(
                f"for probs {p.tolist()} (cumulative {cdf.round(2).tolist()}) and u = {u} you return "
                f"{got_i}, expected {want}. Token i owns [cdf[i-1], cdf[i]): a u exactly on a boundary "
                "belongs to the *next* token. Use `u < cdf[i]`, i.e. np.searchsorted(cdf, u, side='right')."
            )
        raise _fail(
            f"for probs {p.tolist()} (cumulative {cdf.round(2).tolist()}) and u = {u} expected index "
            f"{want}, got {got_i}. Compare u with the *cumulative* sums (np.cumsum), not the probabilities."
        )
    got = int(_call(fn, np.array([0.0, 1.0, 0.0]), 0.0))
    if got != 1:
        raise _fail(f"for probs [0, 1, 0] and u = 0 you return {got}: a token of probability 0 must never be chosen.")
    _passed("Each token owns an interval of [0, 1) as long as its probability.")


def gumbel_max(fn: Callable[[np.ndarray, float, np.ndarray], Any]) -> None:
    """Check ``fn(logits, temperature, noise) -> index`` against the Gumbel-max reference."""
    z = np.array([1.0, 0.5, 0.0, -0.5, -3.0])
    rng = np.random.default_rng(11)
    for t in (0.3, 1.0, 3.0):
        for _ in range(40):
            g = gumbel_noise(rng, z.shape)
            got = _call(fn, z.copy(), t, g.copy())
            want = sample_gumbel_max(z, t, g)
            got_i = _as_index(got)
            if got_i == want:
                continue
            if got_i == int(np.argmin(z / t + g)):
                raise _fail("you took the argmin: the sample is the token with the *largest* logit/T + noise.")
            if got_i == int(np.argmax(z + g)) and t != 1.0:
                raise _fail(
                    f"at T = {t} your choice equals argmax(logits + noise): temperature has no effect. "
                    "(logits + noise) / T has the same argmax for every T > 0. Divide the logits by T "
                    "*before* adding the noise: argmax(logits / T + noise)."
                )
            raise _fail(f"for logits {z.tolist()}, T = {t} and noise {np.round(g, 3).tolist()} expected {want}, got {got_i}.")
    g = gumbel_noise(rng, z.shape)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got0 = fn(z.copy(), 0.0, g.copy())
    except ZeroDivisionError:
        raise _fail("T = 0 raised ZeroDivisionError. At T = 0 return the greedy choice, argmax(logits).") from None
    if int(got0) != int(np.argmax(z)):
        raise _fail(f"at T = 0 expected the greedy choice {int(np.argmax(z))}, got {got0}. Treat T = 0 as its own case.")
    _passed("argmax(logits / T + Gumbel noise) is an exact sample from softmax(logits / T).")


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

def distinct_n(fn: Callable[[str, int], Any]) -> None:
    """Check ``fn(text, n) -> share of distinct character n-grams`` against
    :func:`helpers.metrics.distinct_n` on hand-made texts."""
    from . import metrics

    cases = [("abcd", 2), ("to be or not to be", 3), ("aaaa", 2), ("abab", 2), ("the the the the", 4), ("abcabc", 1)]
    for text, n in cases:
        got = _call(fn, text, n)
        want = metrics.distinct_n(text, n)
        got_f = _as_number(got, "one number (a fraction)")
        if math.isclose(got_f, want, abs_tol=1e-9):
            continue
        grams = [text[i : i + n] for i in range(len(text) - n + 1)]
        if math.isclose(got_f, len(set(grams)), abs_tol=1e-9):
            raise _fail(f"for {text!r}, n = {n} you return {got_f:g}, the count of distinct n-grams: divide by the number of n-grams.")
        if math.isclose(got_f, len(set(grams)) / len(text), abs_tol=1e-9):
            raise _fail(f"for {text!r}, n = {n}: a text of length L has L - n + 1 n-grams, not L.")
        if math.isclose(got_f, len(set(text)) / len(text), abs_tol=1e-9):
            raise _fail(f"for {text!r}, n = {n} you counted single characters: use the n-character slices text[i:i+n].")
        raise _fail(f"for {text!r}, n = {n} expected {want:.4f}, got {got_f:.4f}.")
    _passed("distinct-n: unique n-grams over all n-grams; near 0 for a loop, near 1 for varied text.")


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


def nll_at_temperature(fn: Callable[[np.ndarray, np.ndarray, float], Any]) -> None:
    """Check ``fn(logits (N, V), targets (N,), T) -> mean NLL in nats`` against
    :func:`helpers.metrics.nll_at_temperature`, including large logits and small T."""
    from . import metrics

    rng = np.random.default_rng(2)
    logits = rng.normal(0, 3, (50, 7))
    targets = rng.integers(0, 7, 50)
    for t in (1.0, 0.5, 2.0, 0.05):
        z = logits * (100 if t == 0.05 else 1)
        got = _call(fn, z.copy(), targets.copy(), t)
        want = metrics.nll_at_temperature(z, targets, t)
        got_f = _as_number(got, "one number (the mean NLL)")
        if math.isclose(got_f, want, rel_tol=1e-6):
            continue
        if not math.isfinite(got_f):
            raise _fail(
                f"at T = {t} with large logits you return {got_f}: exp overflows. Subtract each row's "
                "max of logits / T before exponentiating (or use helpers.softmax.log_softmax)."
            )
        if math.isclose(got_f, want * len(targets), rel_tol=1e-6):
            raise _fail("you return the sum over characters; take the mean (nats per character).")
        if math.isclose(got_f, -want, rel_tol=1e-6):
            raise _fail("wrong sign: the negative log-likelihood is minus the mean log-probability (a positive number).")
        if math.isclose(got_f, metrics.nll_at_temperature(z, targets, 1.0), rel_tol=1e-6):
            raise _fail(f"at T = {t} you get the T = 1 value: divide the logits by T before the softmax.")
        raise _fail(f"at T = {t} expected {want:.5f} nats, got {got_f:.5f}.")
    _passed("NLL at temperature T: the quantity temperature scaling minimises.")


# Lesson 5's capstone: the temperature detective ---------------------------------------------

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


def min_p_filter(fn: Callable[[np.ndarray, float], Any]) -> None:
    """Check ``fn(logits, min_p) -> logits with tokens below min_p x the top probability at -inf``
    against :func:`helpers.sampling.min_p`."""
    from . import sampling

    for z in _TRUNCATION_CASES:
        probs = _reference.softmax_with_temperature(z)
        for m in (0.0, 0.05, 0.2, 0.5, 0.9):
            want = np.isfinite(sampling.min_p(z, m))
            got = _kept_by(fn, z, m, "min_p_filter")
            if np.array_equal(got, want):
                continue
            if np.array_equal(got, np.isfinite(z) & (probs >= m)):
                raise _fail(
                    f"for logits {z.tolist()} and min_p = {m}: you compared each probability with min_p itself. "
                    "min-p is relative: keep p_i >= min_p * (the largest probability). That is why 0.05 is a usual "
                    "value and 0.9 is nearly greedy."
                )
            if np.array_equal(got, np.isfinite(z) & (z >= m * z.max())):
                raise _fail(
                    f"for logits {z.tolist()} and min_p = {m}: you multiplied the *logits* by min_p. Compare "
                    "probabilities (softmax first), or in logits: z_i >= max(z) + log(min_p)."
                )
            raise _fail(
                f"for logits {z.tolist()} and min_p = {m} expected to keep tokens {np.flatnonzero(want).tolist()}, "
                f"you kept {np.flatnonzero(got).tolist()}."
            )
    _passed("min-p keeps what is at least min_p times as likely as the top token: few when the model is sure.")


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
