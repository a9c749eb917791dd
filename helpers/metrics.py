"""Measurements the lessons make on samples: goodness of fit of draws to a distribution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["ChiSquareResult", "chi_square_test"]


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
