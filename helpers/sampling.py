"""Choosing the next token: greedy, inverse-CDF sampling and the Gumbel-max trick.

Randomness always comes from an explicit, seeded :class:`numpy.random.Generator` (or from noise you
pass in), never from numpy's global state, so every result can be reproduced.

Shapes: a distribution is a 1-D array of shape ``(V,)``; indices are ints in ``[0, V)``.

Common random numbers: :func:`sample_gumbel_max` takes its Gumbel noise as an argument. Draw the
noise once and reuse it at many temperatures, and the choice changes only where the temperature
really changes the outcome — the basis of text that morphs smoothly as a slider moves.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .softmax import check_logits, check_probs, check_temperature, softmax_with_temperature

__all__ = [
    "as_generator",
    "greedy",
    "sample_inverse_cdf",
    "sample_multinomial",
    "gumbel_noise",
    "sample_gumbel_max",
    "sample",
    "choices_across_temperatures",
    "draw_counts",
]


def as_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from an int seed (or the generator itself).

    ``None`` is refused on purpose: unseeded randomness makes a lesson impossible to reproduce.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed}")
        return np.random.default_rng(int(seed))
    raise ValueError(
        f"pass a seed (a non-negative int) or a numpy Generator, got {seed!r}. "
        "Randomness here is always seeded so that every result can be reproduced."
    )


def greedy(logits: ArrayLike) -> int:
    """Index of the largest logit (or probability) of a 1-D distribution: decoding at ``T = 0``.

    Ties go to the lowest index, as with :func:`numpy.argmax`.
    """
    z = check_logits(logits)
    if z.ndim != 1:
        raise ValueError(f"greedy expects one distribution of shape (V,), got shape {z.shape}")
    return int(np.argmax(z))


def _check_distribution(probs: ArrayLike) -> NDArray[np.float64]:
    """One distribution of shape ``(V,)`` (see :func:`helpers.softmax.check_probs`)."""
    p = check_probs(probs)
    if p.ndim != 1:
        raise ValueError(f"probs must be one distribution of shape (V,), got shape {p.shape}")
    return p


def sample_inverse_cdf(probs: ArrayLike, u: float | ArrayLike) -> int | NDArray[np.int64]:
    """Turn uniform numbers ``u`` in ``[0, 1)`` into token indices by inverting the CDF.

    Token ``i`` is chosen when ``cdf[i-1] <= u < cdf[i]``, so it is chosen with probability
    ``probs[i]``: the interval it owns has exactly that length.

    Args:
        probs: one distribution, shape ``(V,)``.
        u: a float or an array of floats in ``[0, 1)``, e.g. from ``rng.random(n)``.

    Returns:
        An int for a scalar ``u``, else an int64 array of ``u``'s shape.
    """
    p = _check_distribution(probs)
    uu = np.asarray(u, dtype=np.float64)
    if np.isnan(uu).any() or (uu < 0).any() or (uu >= 1).any():
        raise ValueError("u must be uniform random numbers in [0, 1), e.g. rng.random()")
    cdf = np.cumsum(p)
    idx = np.searchsorted(cdf, uu * cdf[-1], side="right")
    # Rounding can leave cdf[-1] a hair under u * cdf[-1]; zero-probability tail tokens are never
    # picked because searchsorted lands on the last token whose cdf exceeds u.
    idx = np.minimum(idx, np.flatnonzero(p > 0)[-1])
    return int(idx) if idx.ndim == 0 else idx.astype(np.int64)


def sample_multinomial(
    probs: ArrayLike, seed: int | np.random.Generator, size: int | None = None
) -> int | NDArray[np.int64]:
    """Draw one index (or ``size`` indices) from ``probs`` by inverse-CDF sampling."""
    rng = as_generator(seed)
    return sample_inverse_cdf(probs, rng.random(size))


def gumbel_noise(seed: int | np.random.Generator, shape: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Standard Gumbel noise ``-log(-log(U))`` with ``U`` uniform in ``[0, 1)``, of ``shape``."""
    rng = as_generator(seed)
    u = rng.random(shape)
    with np.errstate(divide="ignore"):
        return -np.log(-np.log(u))


def sample_gumbel_max(logits: ArrayLike, temperature: float, noise: ArrayLike) -> int:
    """The Gumbel-max trick: ``argmax(logits / T + noise)`` with standard Gumbel ``noise``.

    For ``T > 0`` this is an exact sample from ``softmax(logits / T)``. The noise is passed in, so
    the same noise can be reused across temperatures (common random numbers).

    Args:
        logits: one distribution's scores, shape ``(V,)``.
        temperature: ``>= 0``; ``0`` returns the greedy choice (the noise cannot outweigh an
            infinite gap), ``inf`` the argmax of the noise over finite logits (uniform).
        noise: standard Gumbel noise of shape ``(V,)``, e.g. from :func:`gumbel_noise`.
    """
    t = check_temperature(temperature)
    z = check_logits(logits)
    g = np.asarray(noise, dtype=np.float64)
    if z.ndim != 1 or g.shape != z.shape:
        raise ValueError(
            f"logits must have shape (V,) and noise the same shape; got {z.shape} and {g.shape}"
        )
    if t == 0.0:
        return int(np.argmax(z))
    if math.isinf(t):
        return int(np.argmax(np.where(np.isfinite(z), g, -np.inf)))
    return int(np.argmax(z / t + g))


def sample(logits: ArrayLike, temperature: float, seed: int | np.random.Generator) -> int:
    """Next-token index at ``temperature``: greedy at ``T = 0``, else a draw from the softmax."""
    t = check_temperature(temperature)
    if t == 0.0:
        return greedy(logits)
    return int(sample_multinomial(softmax_with_temperature(logits, t), seed))


def choices_across_temperatures(
    logits: ArrayLike, temperatures: ArrayLike, noise: ArrayLike
) -> NDArray[np.int64]:
    """The Gumbel-max choice at each temperature, all from the *same* noise.

    Returns an int64 array of ``len(temperatures)`` indices. With shared noise, the choice at
    ``T = 0`` is the greedy token and changes only at the temperatures where another token's
    ``logit / T + noise`` overtakes it.
    """
    return np.array(
        [sample_gumbel_max(logits, t, noise) for t in np.asarray(temperatures, dtype=float)],
        dtype=np.int64,
    )


def draw_counts(
    probs: ArrayLike, n: int, seed: int | np.random.Generator
) -> NDArray[np.int64]:
    """How often each index comes up in ``n`` inverse-CDF draws: int64 array of shape ``(V,)``."""
    p = _check_distribution(probs)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    draws = sample_multinomial(p, seed, size=int(n))
    return np.bincount(np.atleast_1d(draws), minlength=p.size).astype(np.int64)
