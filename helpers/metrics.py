"""Measurements the lessons make: goodness of fit of draws, and what generated text looks like."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "ChiSquareResult",
    "chi_square_test",
    "distinct_ngram_fraction",
    "words",
    "known_word_fraction",
    "repeating_loop",
    "ngram_cross_entropy",
]


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson's chi-square test of observed counts against expected probabilities.

    Attributes:
        statistic: ``sum (observed - expected)^2 / expected`` over the (pooled) bins.
        dof: degrees of freedom, number of bins used minus 1.
        p_value: probability of a statistic at least this large if the draws really come from
            the distribution. Small (say < 0.001) means "these draws do not fit".
        bins: number of bins after pooling the rare ones.
    """

    statistic: float
    dof: int
    p_value: float
    bins: int


def chi_square_test(counts: ArrayLike, probs: ArrayLike, min_expected: float = 5.0) -> ChiSquareResult:
    """Test whether ``counts`` (shape ``(V,)``) look like draws from ``probs`` (shape ``(V,)``).

    Bins whose expected count is below ``min_expected`` are pooled into one bin (the usual rule
    for the chi-square approximation to hold); a draw in a bin of probability 0 gives p = 0.
    """
    c = np.asarray(counts, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if c.shape != p.shape or c.ndim != 1:
        raise ValueError(f"counts and probs must both have shape (V,), got {c.shape} and {p.shape}")
    n = c.sum()
    if n <= 0:
        raise ValueError("counts are all zero: draw something first")
    if np.any(c[p == 0] > 0):
        return ChiSquareResult(statistic=float("inf"), dof=0, p_value=0.0, bins=int(np.sum(p > 0)))
    expected = n * p
    big = expected >= min_expected
    obs = list(c[big])
    exp = list(expected[big])
    rest_e = float(expected[~big].sum())
    if rest_e > 0:
        obs.append(float(c[~big].sum()))
        exp.append(rest_e)
    if len(obs) < 2:
        return ChiSquareResult(statistic=0.0, dof=0, p_value=1.0, bins=len(obs))
    obs_a, exp_a = np.array(obs), np.array(exp)
    exp_a *= obs_a.sum() / exp_a.sum()  # guard against rounding in sum(p)
    stat, p_value = stats.chisquare(obs_a, exp_a)
    return ChiSquareResult(
        statistic=float(stat), dof=len(obs) - 1, p_value=float(p_value), bins=len(obs)
    )


def distinct_ngram_fraction(text: str, n: int = 4) -> float:
    """Distinct character ``n``-grams over all ``n``-grams of ``text``: 1 = no repeats, near 0 =
    one short loop over and over. ``nan`` for a text shorter than ``n``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")


def words(text: str) -> list[str]:
    """The words of ``text``: lower-cased runs of letters and apostrophes."""
    return re.findall(r"[a-z']+", text.lower())


def known_word_fraction(text: str, known_words: set[str]) -> float:
    """Fraction of the :func:`words` of ``text`` that are in ``known_words``: low = invented
    words. ``nan`` if the text has no words."""
    found = words(text)
    return sum(w in known_words for w in found) / len(found) if found else float("nan")


def repeating_loop(text: str, min_repeats: int = 3) -> tuple[int, int] | None:
    """The loop a text ends in: ``(period, length)``, or ``None`` if it does not end in one.

    A loop is a unit of ``period`` characters repeated at least ``min_repeats`` times back to back
    at the very end of ``text``; ``length`` is how many characters at the end the repetition covers
    (a partial unit where it begins counts). Of all such loops, the one covering the most text is
    reported, and of those the shortest unit: ``"baaabaaabaaa"`` is ``(4, 12)``, not the ``"aaa"``
    at its end, and ``"abababab"`` is ``(2, 8)``. Example:
    ``repeating_loop("so: the king, the king, the king,")`` is ``(10, 30)``: " the king," three times.
    """
    if min_repeats < 2:
        raise ValueError(f"min_repeats must be at least 2, got {min_repeats}")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    best: tuple[int, int] | None = None
    for period in range(1, codes.size // min_repeats + 1):
        same = codes[period:] == codes[:-period]  # same[i]: character i + period repeats character i
        mismatches = np.flatnonzero(~same)
        length = period + same.size - (mismatches[-1] + 1 if mismatches.size else 0)
        if length >= min_repeats * period and (best is None or length > best[1]):
            best = (period, int(length))
    return best


def ngram_cross_entropy(
    train_ids: np.ndarray, test_ids: np.ndarray, order: int, vocab_size: int, pseudocount: float = 0.5
) -> float:
    """Cross-entropy (nats/char) on ``test_ids`` of a character ``order``-gram model counted on
    ``train_ids`` with add-``pseudocount`` smoothing: a baseline for trained networks.

    ``order = 1`` ignores context (character frequencies); ``order = 2`` looks at the previous
    character; and so on.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")

    def keys(ids: np.ndarray) -> np.ndarray:
        k = np.zeros(len(ids) - order + 1, dtype=np.int64)
        for j in range(order - 1):
            k = k * vocab_size + ids[j : len(ids) - order + 1 + j]
        return k  # context of each position (0 for order 1)

    train_ctx, train_next = keys(train_ids), train_ids[order - 1 :]
    test_ctx, test_next = keys(test_ids), test_ids[order - 1 :]
    pair = train_ctx * vocab_size + train_next
    uniq_pair, pair_counts = np.unique(pair, return_counts=True)
    uniq_ctx, ctx_counts = np.unique(train_ctx, return_counts=True)

    def lookup(uniq: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(uniq, query), 0, len(uniq) - 1)
        return np.where(uniq[pos] == query, counts[pos], 0)

    c_pair = lookup(uniq_pair, pair_counts, test_ctx * vocab_size + test_next)
    c_ctx = lookup(uniq_ctx, ctx_counts, test_ctx)
    p = (c_pair + pseudocount) / (c_ctx + pseudocount * vocab_size)
    return float(-np.mean(np.log(p)))
