"""Choosing the next token: greedy, inverse-CDF sampling and the Gumbel-max trick.

Randomness always comes from an explicit, seeded :class:`numpy.random.Generator` (or from noise you
pass in), never from numpy's global state, so every result can be reproduced.

Shapes: a distribution is a 1-D array of shape ``(V,)``; indices are ints in ``[0, V)``.

Common random numbers: :func:`sample_gumbel_max` takes its Gumbel noise as an argument. Draw the
noise once and reuse it at many temperatures, and the choice changes only where the temperature
really changes the outcome — the basis of text that morphs smoothly as a slider moves.

Truncation (lesson 6): :func:`top_k`, :func:`top_p` (nucleus) and :func:`min_p` take logits of shape
``(..., V)`` and return them with the cut entries set to ``-inf`` (a forbidden token, see
:mod:`helpers.softmax`). :func:`truncation_mask` combines them with a temperature, applied before
the filters ("temperature first", as in Hugging Face transformers) or after them ("temperature
last", as in llama.cpp). Dividing by ``T`` never changes the ranking, so the order decides only
*which tokens survive*; the final distribution is ``softmax(logits[kept] / T)`` either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .softmax import _softmax_checked, check_logits, check_probs, check_temperature, softmax_with_temperature

__all__ = [
    "as_generator",
    "greedy",
    "sample_inverse_cdf",
    "sample_multinomial",
    "gumbel_noise",
    "sample_gumbel_max",
    "gumbel_max_rows",
    "sample",
    "choices_across_temperatures",
    "draw_counts",
    "check_top_k",
    "check_top_p",
    "check_min_p",
    "top_k",
    "top_p",
    "min_p",
    "Truncation",
    "truncation_mask",
    "truncate",
    "truncated_softmax",
    "truncated_probs",
]


def as_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from an int seed (or the generator itself).

    Taught in: lesson 2, section 5 (seeds and reproducibility).

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

    Taught in: lesson 2, section 1 (greedy versus sampling).

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

    Taught in: lesson 2, section 2 (inverse-CDF sampling).

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
    """Draw one index (or ``size`` indices) from ``probs`` by inverse-CDF sampling.

    Taught in: lesson 2, exercise 1 (the chi-square statistic), which draws with it.
    """
    rng = as_generator(seed)
    return sample_inverse_cdf(probs, rng.random(size))


def gumbel_noise(seed: int | np.random.Generator, shape: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Standard Gumbel noise ``-log(-log(U))`` with ``U`` uniform in ``[0, 1)``, of ``shape``.

    Taught in: lesson 2, section 4 (the Gumbel-max trick).
    """
    rng = as_generator(seed)
    u = rng.random(shape)
    with np.errstate(divide="ignore"):
        return -np.log(-np.log(u))


def sample_gumbel_max(logits: ArrayLike, temperature: float, noise: ArrayLike) -> int:
    """The Gumbel-max trick: ``argmax(logits / T + noise)`` with standard Gumbel ``noise``.

    Taught in: lesson 2, section 4 (the Gumbel-max trick).

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
    return int(gumbel_max_rows(z[None, :], t, g[None, :])[0])


def gumbel_max_rows(
    z: np.ndarray, temperatures: np.ndarray | float, noise: np.ndarray, truncation: Truncation | None = None
) -> np.ndarray:
    """``argmax(z / T + noise)`` per row: ``z`` and ``noise`` of shape ``(k, V)``, ``T`` one per row
    or one for all (``T = 0``: ``argmax z``, greedy; ``T = inf``: ``argmax noise`` over the finite
    ``z``, uniform), over the tokens that survive ``truncation`` (top-k, top-p, min-p; see
    :mod:`helpers.sampling`). ``z`` float64, ``T`` checked (:func:`sample_gumbel_max` checks both).

    Used by: every sampler, through :func:`sample_gumbel_max` (lesson 2, section 3) or directly
    (``helpers.lstm_numpy``, :func:`helpers.tiny_rnn.generate_many`): the one place logits become
    choices, and the only place the limits ``T = 0`` and ``T = inf`` are handled, so they all choose
    alike.
    """
    if truncation is not None and truncation.active:
        t_rows = temperatures if np.ndim(temperatures) == 0 else np.asarray(temperatures, np.float64)[:, None]
        z = np.where(truncation.mask(z, t_rows), z, -np.inf)
    if np.ndim(temperatures) == 0:  # one temperature for all rows: the hot path of a live slider
        t = float(temperatures)
        if t == 0.0:
            scores = z
        elif math.isinf(t):
            scores = np.where(np.isfinite(z), noise, -np.inf)
        else:
            scores = z / t + noise
        return np.argmax(scores, axis=1)
    t = np.asarray(temperatures, dtype=np.float64)[:, None]
    greedy, uniform = t == 0.0, np.isinf(t)
    scores = z / np.where(greedy | uniform, 1.0, t) + noise
    scores = np.where(greedy, z, scores)
    scores = np.where(uniform, np.where(np.isfinite(z), noise, -np.inf), scores)
    return np.argmax(scores, axis=1)


def sample(logits: ArrayLike, temperature: float, seed: int | np.random.Generator) -> int:
    """Next-token index at ``temperature``: greedy at ``T = 0``, else a draw from the softmax.

    Taught in: lesson 2, section 1 (greedy versus sampling).
    """
    t = check_temperature(temperature)
    if t == 0.0:
        return greedy(logits)
    return int(sample_multinomial(softmax_with_temperature(logits, t), seed))


def choices_across_temperatures(
    logits: ArrayLike, temperatures: ArrayLike, noise: ArrayLike
) -> NDArray[np.int64]:
    """The Gumbel-max choice at each temperature, all from the *same* noise.

    Taught in: lesson 2, section 6 (common random numbers).

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
    """How often each index comes up in ``n`` inverse-CDF draws: int64 array of shape ``(V,)``.

    Used by: tests only (lesson 2, section 3 counts its draws in the lesson itself).
    """
    p = _check_distribution(probs)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    draws = sample_multinomial(p, seed, size=int(n))
    return np.bincount(np.atleast_1d(draws), minlength=p.size).astype(np.int64)



# ---------------------------------------------------------------------------------------------
# Truncation: top-k, top-p (nucleus) and min-p
# ---------------------------------------------------------------------------------------------


def check_top_k(k: int) -> int:
    """Return ``k`` as an int, or raise ``ValueError``: top-k needs a whole number ``k >= 1``.

    Used by: Truncation, for its error messages (lesson 6's knobs; the traps are in lesson 6's summary).
    """
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise ValueError(
            f"top_k must be a whole number >= 1 (how many of the most likely tokens to keep), "
            f"got {k!r}. Use None to switch top-k off."
        )
    if k < 1:
        raise ValueError(
            f"top_k must be >= 1, got {int(k)}: keeping no token leaves nothing to sample. "
            "Use None to switch top-k off (some tools use 0 or -1 for that; this course uses None)."
        )
    return int(k)


def _check_fraction(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}. Use None to switch {name} off.")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} is NaN; it must be a number. Use None to switch {name} off.")
    return v


def check_top_p(p: float) -> float:
    """Return ``p`` as a float, or raise ``ValueError``: top-p needs ``0 < p <= 1``.

    Used by: Truncation, for its error messages (lesson 6's knobs).
    """
    v = _check_fraction(p, "top_p")
    if not 0.0 < v <= 1.0:
        raise ValueError(
            f"top_p must be in (0, 1], got {v}: it is the share of probability mass to keep "
            "(0.9 keeps the most likely tokens until they hold 90 %; 1 keeps everything)."
        )
    return v


def check_min_p(p: float) -> float:
    """Return ``p`` as a float, or raise ``ValueError``: min-p needs ``0 <= p < 1``.

    Used by: Truncation, for its error messages (lesson 6's knobs; min-p read as top-p).
    """
    v = _check_fraction(p, "min_p")
    if not 0.0 <= v < 1.0:
        raise ValueError(
            f"min_p must be in [0, 1), got {v}: it keeps the tokens whose probability is at least "
            "min_p times the top token's. Usual values are 0.01 to 0.2; a top-p-like value such as "
            "0.9 already makes sampling nearly greedy, and 1 would keep only the top token."
        )
    return v


@dataclass(frozen=True)
class Truncation:
    """A set of truncation knobs, checked once.

    Taught in: lesson 6, section 1 (three ways to cut a distribution).

    Attributes:
        top_k: keep the ``k`` most likely tokens, or ``None`` (off).
        top_p: keep the smallest set of most likely tokens holding at least ``p`` of the
            probability, or ``None`` (off).
        min_p: keep the tokens with probability ``>= min_p * (top probability)``, or ``None`` (off).
        temperature_last: ``False`` (temperature first): the filters see ``softmax(logits / T)``;
            ``True``: they see the model's own ``softmax(logits)`` and ``T`` only reshapes what
            survived.

    The filters run in the order top-k, top-p, min-p, each on what the previous one kept.
    """

    top_k: int | None = None
    top_p: float | None = None
    min_p: float | None = None
    temperature_last: bool = False

    def __post_init__(self) -> None:
        if self.top_k is not None:
            object.__setattr__(self, "top_k", check_top_k(self.top_k))
        if self.top_p is not None:
            object.__setattr__(self, "top_p", check_top_p(self.top_p))
        if self.min_p is not None:
            object.__setattr__(self, "min_p", check_min_p(self.min_p))
        if not isinstance(self.temperature_last, (bool, np.bool_)):
            raise ValueError(f"temperature_last must be True or False, got {self.temperature_last!r}")

    @property
    def active(self) -> bool:
        """Whether any filter can cut a token (``top_p=1`` and ``min_p=0`` cut nothing)."""
        return self.top_k is not None or (self.top_p is not None and self.top_p < 1.0) or bool(self.min_p)

    def describe(self) -> str:
        """A short label such as ``"top-k 40, top-p 0.95, temperature last"``."""
        parts = [f"top-k {self.top_k}"] if self.top_k is not None else []
        parts += [f"top-p {self.top_p:g}"] if self.top_p is not None else []
        parts += [f"min-p {self.min_p:g}"] if self.min_p is not None else []
        if not parts:
            return "no truncation"
        return ", ".join(parts) + (", temperature last" if self.temperature_last else ", temperature first")

    def mask(self, logits: NDArray[np.float64], temperature: float | NDArray[np.float64] = 1.0) -> NDArray[np.bool_]:
        """Which tokens survive: a bool array of the shape of ``logits`` ``(..., V)``.

        ``temperature`` is a checked scalar or an array broadcasting against ``logits[..., :1]``
        (one temperature per row); ``logits`` must already be checked float64 (see
        :func:`truncation_mask` for the public, checked version).
        """
        z = logits
        keep = np.isfinite(z)
        if not self.active:
            return keep
        t = 1.0 if self.temperature_last else (temperature if np.ndim(temperature) == 0 else np.asarray(temperature, np.float64))
        order = np.argsort(-z, axis=-1, kind="stable")  # the ranking at every 0 < T < inf
        if self.top_k is not None and self.top_k < z.shape[-1]:
            top = np.zeros_like(keep)
            np.put_along_axis(top, order[..., : self.top_k], True, axis=-1)
            keep &= top
        if self.top_p is not None and self.top_p < 1.0:
            probs = _softmax_checked(np.where(keep, z, -np.inf), t)  # t: one, or one per row
            ranked = np.take_along_axis(probs, order, axis=-1)
            before = np.cumsum(ranked, axis=-1) - ranked  # mass of the tokens ranked above
            nucleus = np.empty_like(keep)
            np.put_along_axis(nucleus, order, before < self.top_p, axis=-1)
            keep &= nucleus
        if self.min_p:
            zk = np.where(keep, z, -np.inf)
            # p_i >= min_p * p_max  <=>  z_i / T >= z_max / T + log(min_p): exact in log space.
            with np.errstate(invalid="ignore"):
                threshold = zk.max(axis=-1, keepdims=True) + t * math.log(self.min_p)
            keep &= zk >= threshold
        return keep


def truncation_mask(
    logits: ArrayLike,
    temperature: float = 1.0,
    **knobs: int | float | bool | None,
) -> NDArray[np.bool_]:
    """Which tokens survive truncation at ``temperature``: bool array of shape ``(..., V)``.

    Taught in: lesson 6, section 3 (the order of the knobs).

    Args:
        logits: scores of shape ``(..., V)``; ``-inf`` entries never survive.
        temperature: ``>= 0``. With ``temperature_last=False`` the filters judge
            ``softmax(logits / T)``, so ``T`` changes what top-p and min-p keep; with ``True`` they
            judge ``softmax(logits)`` and ``T`` changes nothing here.
        knobs: ``top_k``, ``top_p``, ``min_p``, ``temperature_last``, as in :class:`Truncation`
            (each off unless given).

    At least one token always survives: the most likely one passes every filter. Ties are broken
    by position (the lower index ranks first), so top-k keeps exactly ``min(k, finite tokens)``.
    At ``T = 0`` (temperature first) top-p and min-p keep only the top token; at ``T = inf`` top-p
    keeps tokens in the order of the logits and min-p keeps every finite token.
    """
    t = check_temperature(temperature)
    z = check_logits(logits)
    unknown = sorted(set(knobs) - {"top_k", "top_p", "min_p", "temperature_last"})
    if unknown:
        raise ValueError(f"unknown knob(s) {', '.join(unknown)}: use top_k, top_p, min_p or temperature_last")
    return Truncation(**knobs).mask(z, t)


def truncate(
    logits: ArrayLike,
    temperature: float = 1.0,
    **knobs: int | float | bool | None,
) -> NDArray[np.float64]:
    """``logits`` (shape ``(..., V)``, *not* divided by ``T``) with the cut entries at ``-inf``.

    Used by: top_k, top_p, min_p and truncated_softmax (lesson 6, sections 1 to 3).

    Feed the result to :func:`helpers.softmax.softmax_with_temperature` with the same ``T``
    (that is :func:`truncated_softmax`) or to :func:`sample_gumbel_max`.
    """
    z = check_logits(logits)
    keep = truncation_mask(z, temperature, **knobs)
    return np.where(keep, z, -np.inf)


def truncated_softmax(
    logits: ArrayLike,
    temperature: float = 1.0,
    **knobs: int | float | bool | None,
) -> NDArray[np.float64]:
    """The distribution actually sampled from: ``softmax(truncate(logits, T, ...) / T)``, shape ``(..., V)``.

    Taught in: lesson 6, section 3 (the order of the knobs).

    The cut tokens have probability exactly 0; the survivors share all the mass (renormalised).
    """
    kept = truncate(logits, temperature, **knobs)
    return softmax_with_temperature(kept, temperature)


def top_k(logits: ArrayLike, k: int) -> NDArray[np.float64]:
    """Keep the ``k`` largest logits (shape ``(..., V)``); the rest become ``-inf``.

    Taught in: lesson 6, section 1 (three ways to cut a distribution).

    Exactly ``min(k, number of finite logits)`` entries stay finite: a tie at the boundary goes to
    the lower index. (Hugging Face transformers instead keeps every token tied with the k-th, so it
    may keep more than ``k``.) Dividing by any ``T > 0`` keeps the ranking, so top-k keeps the
    same tokens whether temperature comes first or last.
    """
    return truncate(logits, 1.0, top_k=check_top_k(k))


def top_p(logits: ArrayLike, p: float) -> NDArray[np.float64]:
    """Nucleus truncation: keep the smallest set of most likely tokens whose probability
    (``softmax(logits)``) sums to at least ``p``; the rest become ``-inf``. Shape ``(..., V)``.

    Taught in: lesson 6, section 1 (three ways to cut a distribution); counted in section 2.

    A token is kept when the mass of the tokens ranked above it is below ``p``, so the top token is
    always kept and ``p = 1`` keeps every finite token. Ties are ranked by position (lower index
    first); sums are compared in float64, so a boundary that ties ``p`` exactly is decided by
    rounding.
    """
    return truncate(logits, 1.0, top_p=check_top_p(p))


def min_p(logits: ArrayLike, p: float) -> NDArray[np.float64]:
    """Keep the tokens whose probability is at least ``p`` times the top token's; the rest become
    ``-inf``. Shape ``(..., V)``.

    Taught in: lesson 6, section 1 (three ways to cut a distribution); counted in section 2.

    In logits: keep ``z_i >= max(z) + log(p)``, so no softmax is needed and the test is exact.
    ``p = 0`` keeps every finite token. Unlike top-p the cut-off follows the model's confidence: a
    confident step keeps few tokens, an uncertain one many.
    """
    return truncate(logits, 1.0, min_p=check_min_p(p))


def truncated_probs(
    probs: ArrayLike,
    temperature: float = 1.0,
    **knobs: int | float | bool | None,
) -> NDArray[np.float64]:
    """:func:`truncated_softmax` for a distribution given as probabilities (shape ``(..., V)``).

    Used by: tests only (lesson 4, exercise 2 tempers probabilities the same way, by hand).

    ``log(probs)`` are logits of ``probs`` (zeros become ``-inf``, never chosen), so this is
    ``truncated_softmax(log(probs), ...)``: tempering makes ``probs ** (1 / T)``, renormalised.
    """
    p = check_probs(probs)
    with np.errstate(divide="ignore"):
        logits = np.log(p)
    return truncated_softmax(logits, temperature, **knobs)
