"""Softmax with temperature, and the quantities that describe a distribution.

Every function works on the **last axis** of its input, so a single distribution is a 1-D array of
shape ``(V,)`` (``V`` = vocabulary size) and a batch is any array of shape ``(..., V)``.

Units: logits are unitless scores (log-probabilities up to a constant); temperature is unitless
and ``>= 0``; entropy is in nats (natural log) unless ``unit="bits"``.

Limits, all handled exactly rather than by dividing by zero:

* ``temperature == 0``: all mass on the largest logit (ties share it equally) — greedy decoding.
* ``temperature == inf``: the uniform distribution over the finite logits.
* a logit of ``-inf``: probability 0 at every temperature (a forbidden token).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "check_temperature",
    "check_logits",
    "check_probs",
    "softmax_with_temperature",
    "log_softmax",
    "entropy",
    "perplexity",
]

Unit = Literal["nats", "bits"]


def check_temperature(temperature: float) -> float:
    """Return ``temperature`` as a float, or raise ``ValueError`` saying what is allowed.

    Used by: every helper that takes a temperature (lesson 1, section 4 teaches T = 0 and T = inf).

    Allowed: any real number ``>= 0``, including ``0`` (greedy) and ``float("inf")`` (uniform).
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (Real, np.floating, np.integer)):
        raise ValueError(
            f"temperature must be a number >= 0, got {temperature!r} of type "
            f"{type(temperature).__name__}. Use 0 for greedy, 1 for the model's own distribution."
        )
    t = float(temperature)
    if math.isnan(t):
        raise ValueError(
            "temperature is NaN. Temperature must be a number >= 0: 0 means greedy (argmax), "
            "1 the model's own distribution, float('inf') the uniform distribution."
        )
    if t < 0:
        raise ValueError(
            f"temperature must be >= 0, got {t}. A negative temperature would reverse the "
            "ranking (the least likely token would become the most likely). Use 0 for greedy."
        )
    return t


def check_logits(logits: ArrayLike) -> NDArray[np.float64]:
    """Return ``logits`` as a float64 array of shape ``(..., V)``, or raise ``ValueError``.

    Used by: every helper that takes logits; lesson 1, section 2 teaches why overflow and NaN arise.

    Rejected, with a message naming the problem: an empty or 0-d input, NaN, ``+inf``, and a
    distribution (a row along the last axis) whose logits are all ``-inf``.
    """
    try:
        z = np.asarray(logits, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"logits must be numbers (a list or numpy array), got {logits!r}") from err
    if z.ndim == 0:
        raise ValueError(
            "logits must have at least one axis (one score per token), got a single number. "
            "Wrap it in a list: [x]."
        )
    if z.shape[-1] == 0:
        raise ValueError("logits are empty along the last axis: there is no token to choose.")
    if np.isnan(z).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(z))[0])
        raise ValueError(
            f"logits contain NaN (first at index {where}). NaN usually comes from an earlier "
            "overflow, e.g. dividing by a temperature of 0 or exp() of a large number."
        )
    if np.isposinf(z).any():
        where = tuple(int(i) for i in np.argwhere(np.isposinf(z))[0])
        raise ValueError(
            f"logits contain +inf (first at index {where}). Logits must be finite, or -inf to "
            "forbid a token."
        )
    all_forbidden = np.all(np.isneginf(z), axis=-1)
    if np.any(all_forbidden):
        where = tuple(int(i) for i in np.argwhere(np.atleast_1d(all_forbidden))[0])
        raise ValueError(
            f"every logit is -inf in the distribution at batch index {where}: no token is "
            "allowed, so there is nothing to normalise. At least one logit must be finite."
        )
    return z


def softmax_with_temperature(logits: ArrayLike, temperature: float = 1.0) -> NDArray[np.float64]:
    """Probabilities ``softmax(logits / temperature)`` along the last axis.

    Taught in: lesson 1, section 3 (divide the logits by T); the student writes it in lesson 1, exercise 1.

    Args:
        logits: scores of shape ``(..., V)``; lists are accepted. ``-inf`` forbids a token.
        temperature: ``>= 0``. ``0`` puts all mass on the largest logit (ties share it);
            ``float("inf")`` gives the uniform distribution over finite logits.

    Returns:
        float64 array of shape ``(..., V)``, non-negative, summing to 1 along the last axis.

    The maximum is subtracted *before* dividing by the temperature, so every exponent is ``<= 0``
    and nothing overflows, however large the logits or small the temperature.
    """
    return _softmax_checked(check_logits(logits), check_temperature(temperature))


def _softmax_checked(z: NDArray[np.float64], t: float | NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`softmax_with_temperature` of already checked ``z`` and ``t`` (for hot loops).

    ``t`` is one temperature, or an array of checked temperatures broadcasting against
    ``z[..., :1]`` (one per row, e.g. shape ``(k, 1)`` for ``z`` of shape ``(k, V)``): each row
    gets exactly what :func:`softmax_with_temperature` gives it alone. The one softmax of the
    helpers (:mod:`helpers.sampling`'s truncation, :mod:`helpers.metrics` use it).
    """
    top = np.max(z, axis=-1, keepdims=True)
    if np.ndim(t) == 0:  # one temperature: the hot path of a live slider
        t = float(t)
        if t == 0.0:
            weights = (z == top).astype(np.float64)
        elif math.isinf(t):
            weights = np.isfinite(z).astype(np.float64)
        else:
            weights = np.exp((z - top) / t)
    else:
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), top.shape)
        finite_t = np.where((t == 0) | np.isinf(t), 1.0, t)
        with np.errstate(invalid="ignore"):
            weights = np.exp((z - top) / finite_t)
        weights = np.where(t == 0, (z == top).astype(np.float64), weights)
        weights = np.where(np.isinf(t), np.isfinite(z).astype(np.float64), weights)
    return weights / np.sum(weights, axis=-1, keepdims=True)


def log_softmax(logits: ArrayLike, temperature: float = 1.0) -> NDArray[np.float64]:
    """Natural-log probabilities ``log softmax(logits / temperature)``, shape ``(..., V)``.

    Taught in: lesson 3, exercise 3 (the perplexity of a text).

    Computed as ``s - logsumexp(s)`` with ``s = (logits - max) / T``, so it stays accurate for
    tiny probabilities where ``np.log(softmax(...))`` would return ``-inf``. At ``T = 0`` the
    result is ``log`` of the greedy distribution (``-log(ties)`` on the maxima, ``-inf``
    elsewhere); at ``T = inf`` it is ``-log(number of finite logits)`` on finite entries.
    """
    return _log_softmax_checked(check_logits(logits), check_temperature(temperature))


def _log_softmax_checked(z: NDArray[np.float64], t: float) -> NDArray[np.float64]:
    """:func:`log_softmax` of already checked ``z`` and ``t`` (for loops over one checked array)."""
    if t == 0.0 or math.isinf(t):
        with np.errstate(divide="ignore"):
            return np.log(_softmax_checked(z, t))
    s = (z - np.max(z, axis=-1, keepdims=True)) / t
    return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))


def check_probs(probs: ArrayLike) -> NDArray[np.float64]:
    """Return ``probs`` (shape ``(..., V)``) as float64, or raise ``ValueError`` if any row is not a
    distribution (negative, NaN, or not summing to 1 along the last axis).

    Used by: entropy, perplexity and the samplers that take probabilities (no lesson calls it).
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError("probs must have at least one entry along the last axis.")
    if np.isnan(p).any() or (p < 0).any():
        raise ValueError("probs must be non-negative numbers (no NaN); did you pass logits?")
    sums = p.sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        raise ValueError(
            f"probs must sum to 1 along the last axis, got sums like {float(np.ravel(sums)[0]):.6g}. "
            "Pass probabilities (e.g. from softmax_with_temperature), not logits or counts."
        )
    return p


def entropy(probs: ArrayLike, unit: Unit = "nats") -> NDArray[np.float64] | float:
    """Shannon entropy ``-sum p log p`` of distributions along the last axis.

    Taught in: lesson 1, section 5 (entropy and the effective number of choices).

    Args:
        probs: probabilities of shape ``(..., V)`` summing to 1 along the last axis.
        unit: ``"nats"`` (natural log) or ``"bits"`` (log base 2; 1 bit = ln 2 nats).

    Returns:
        A float for one distribution, else an array of shape ``(...)``. Zero-probability
        entries contribute 0 (the limit of ``p log p``), never NaN.
    """
    if unit not in ("nats", "bits"):
        raise ValueError(f"unit must be 'nats' or 'bits', got {unit!r}")
    p = check_probs(probs)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    h = -np.sum(terms, axis=-1)
    h = np.maximum(h, 0.0)  # rounding can give -1e-17 for a one-hot distribution
    if unit == "bits":
        h = h / math.log(2)
    return float(h) if h.ndim == 0 else h


def perplexity(probs: ArrayLike) -> NDArray[np.float64] | float:
    """The effective number of choices, ``exp(entropy in nats)`` (= ``2 ** entropy in bits``).

    Taught in: lesson 1, section 5 (entropy and the effective number of choices).

    1 for a one-hot distribution, ``V`` for the uniform distribution over ``V`` tokens.
    """
    h = entropy(probs, unit="nats")
    return float(np.exp(h)) if isinstance(h, float) else np.exp(h)
