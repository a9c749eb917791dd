"""Lesson 6's exercises (06_beyond_temperature.ipynb, "Exercises"): a top-p filter, the
distribution min-p samples from, and how many tokens the nucleus keeps with temperature first or
last.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line.
"""

from __future__ import annotations

import numpy as np

from .. import sampling
from ..softmax import softmax_with_temperature as _tempered
from .runner import Exercise, Mistake, Unreadable, close, numbers, unreadable

_TRUNCATION_CASES = [
    np.array([2.0, 1.0, 0.5, 0.0, -1.0, -3.0]),
    np.array([-1.0, 3.0, 0.0, 2.5, 1.0]),  # not sorted: the ranking is not the index order
    np.array([0.0, 0.0, 0.0, 0.0]),  # uniform
    np.array([5.0, 0.0, -0.5, -np.inf, 0.2]),  # confident, with a forbidden token
]


def _same_cut(a, b) -> bool:
    """Whether two lists of logits cut the same tokens (to -inf), whatever they did to the others."""
    return np.shape(a) == np.shape(b) and np.array_equal(np.isfinite(a), np.isfinite(b))


def _same_kept(a, b) -> bool:
    """Whether two distributions keep the same tokens (probability above 0), whatever their values."""
    return np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a) > 0, np.asarray(b) > 0)


# --- Exercise 1: a top-p filter --------------------------------------------------------------------

def _nucleus(z, p, t=1.0) -> np.ndarray:
    probs = _tempered(z, t)
    order = np.argsort(-z, kind="stable")
    before = np.cumsum(probs[order]) - probs[order]
    keep = np.zeros(z.size, bool)
    keep[order[before < p]] = True
    return keep


def _cut(z, keep) -> np.ndarray:
    return np.where(keep, z, -np.inf)


def _stops_before_crossing(z, p):
    probs = _tempered(z)
    order = np.argsort(-z, kind="stable")
    keep = np.zeros(z.size, bool)
    keep[order[: max(1, int((np.cumsum(probs[order]) <= p + 1e-12).sum()))]] = True
    return _cut(z, keep)


def _in_index_order(z, p):
    probs = _tempered(z)
    keep = np.zeros(z.size, bool)
    keep[: int((probs.cumsum() - probs < p).sum())] = True
    return _cut(z, keep)


def _same_logits(a, b) -> bool:
    """Same shape, the same tokens cut (-inf, not NaN), the same values kept."""
    if np.shape(a) != np.shape(b):
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    fa, fb = np.isfinite(a), np.isfinite(b)
    return (np.array_equal(np.isneginf(a), np.isneginf(b)) and np.array_equal(fa, fb)
            and np.allclose(a[fa], b[fb]))


def _returns_probabilities(a) -> bool:
    out, z = a.got, a.logits
    return (np.isfinite(out).all() and np.all((out >= 0) & (out <= 1)) and not np.allclose(out, z)
            and (np.isclose(out.sum(), 1.0, rtol=1e-6) or (out == 0).any()))


top_p_filter = Exercise(
    name="top_p_filter",
    reference=sampling.top_p,
    params=("logits", "p"),
    cases=[(z, p) for z in _TRUNCATION_CASES for p in (0.3, 0.5, 0.75, 0.9, 1.0)],
    read=numbers,
    same=_same_logits,
    quotes={"logits_list": lambda a: a.logits.tolist(), "keep": lambda a: np.flatnonzero(np.isfinite(a.want)).tolist(),
            "kept": lambda a: np.flatnonzero(np.isfinite(a.got)).tolist()},
    mistakes=[
        Mistake("returns_nothing", lambda z, p: None,
                "top_p_filter should return numbers (a numpy array), got {raw!r}", spot=unreadable),
        Mistake("only_the_survivors", lambda z, p: z[_nucleus(z, p)],
                "top_p_filter should return one value per token (shape {logits.shape}), got shape {got.shape}.",
                spot=lambda a: a.got.shape != a.logits.shape),
        Mistake("nan_for_the_cut", lambda z, p: np.where(_nucleus(z, p), z, np.nan),
                "top_p_filter returned NaN: set the cut logits to -np.inf, not NaN.",
                spot=lambda a: np.isnan(a.got).any()),
        Mistake("returns_probabilities", lambda z, p: _tempered(_cut(z, _nucleus(z, p))),
                "top_p_filter returned probabilities; return the logits, with the cut ones set to -np.inf.",
                spot=_returns_probabilities),
        Mistake("changes_the_survivors", lambda z, p: _cut(z - z.max(), _nucleus(z, p)),
                "top_p_filter changed the logits it kept: leave survivors unchanged, set only the cut ones to -np.inf.",
                spot=lambda a: not np.allclose(a.got[np.isfinite(a.got)], a.logits[np.isfinite(a.got)])),
        Mistake("stops_before_crossing", _stops_before_crossing,
                "for logits {logits_list} and p = {p}: you stop *before* the token that pushes the total past p. The "
                "nucleus is the smallest set that *reaches* p: keep a token while the mass ranked above it is still "
                "below p (so the token that crosses p is kept).", compare=_same_cut),
        Mistake("in_index_order", _in_index_order,
                "for logits {logits_list} and p = {p}: you added up the tokens in index order. Sort them by "
                "probability first (np.argsort(-probs)), most likely first.", compare=_same_cut),
        Mistake("own_probability_above_p", lambda z, p: _cut(z, _tempered(z) >= p),
                "for logits {logits_list} and p = {p}: you kept tokens whose own probability is >= p. Top-p adds "
                "probabilities up: keep the most likely tokens until their *total* reaches p.", compare=_same_cut),
    ],
    general="for logits {logits_list} and p = {p} expected to keep tokens {keep}, you kept {kept}. Steps: probabilities "
            "= softmax(logits); sort them (largest first); cumulative sum; keep a token while the mass before it is < p.",
    success="top-p keeps the smallest set of most likely tokens whose total reaches p.",
)


# --- Exercise 2: the distribution min-p samples from --------------------------------------------------

def min_p_reference(logits: np.ndarray, min_p: float) -> np.ndarray:
    """``fn(logits, min_p) -> the probabilities a sampler with min-p draws from`` (shape ``(V,)``):
    the tokens below ``min_p`` times the top token's probability cut to exactly 0, the survivors
    renormalised (:func:`helpers.sampling.truncated_softmax`).

    Used by: lesson 6, exercise 2's check (``check.min_p_distribution``).
    """
    return sampling.truncated_softmax(logits, 1.0, min_p=min_p)


def _min_p_kept(z, m) -> np.ndarray:
    probs = _tempered(z)
    return np.where(probs >= m * probs.max(), probs, 0.0)


def _renormalised_where(keep_fn):
    """Min-p with another rule for which tokens survive (renormalised)."""
    def min_p_distribution(z, m):
        probs = _tempered(z)
        kept = np.where(keep_fn(z, m, probs), probs, 0.0)
        return kept / kept.sum()
    return min_p_distribution


def _as_logits(a) -> bool:
    got = a.got
    return bool(np.isinf(got).any() or (got < -1e-12).any() or (got > 1 + 1e-9).any())


_MIN_P_WHERE = "for logits {logits_list} and min_p = {min_p}"

min_p_distribution = Exercise(
    name="min_p_distribution",
    reference=min_p_reference,
    params=("logits", "min_p"),
    cases=[(z, m) for z in _TRUNCATION_CASES for m in (0.0, 0.05, 0.2, 0.5, 0.9)],
    read=numbers,
    same=close(atol=1e-9, rtol=1e-6),
    quotes={"logits_list": lambda a: a.logits.tolist(), "got_sum": lambda a: float(a.got.sum()),
            "keep": lambda a: np.flatnonzero(a.want > 0).tolist(), "kept": lambda a: np.flatnonzero(a.got > 0).tolist()},
    mistakes=[
        Mistake("returns_nothing", lambda z, m: None,
                "min_p_distribution should return numbers (a numpy array), got {raw!r}", spot=unreadable),
        Mistake("only_the_survivors", lambda z, m: (lambda k: k[k > 0] / k.sum())(_min_p_kept(z, m)),
                "min_p_distribution should return one probability per token (shape {logits.shape}), got shape "
                "{got.shape}.", spot=lambda a: a.got.shape != a.logits.shape),
        Mistake("returns_logits", sampling.min_p,
                _MIN_P_WHERE + " you returned logits (values below 0, above 1 or -inf). A sampler draws from "
                "*probabilities*: return them, 0 for the cut tokens.", spot=_as_logits),
        Mistake("absolute_threshold", _renormalised_where(lambda z, m, p: p >= m),
                _MIN_P_WHERE + " you kept the tokens whose own probability is at least min_p: that reads min-p as an "
                "absolute threshold, as if it were top-p's p. Min-p is relative to the top token: keep "
                "p_i >= min_p * (the largest probability). That is why usual values are 0.01 to 0.2, and min_p = 0.9 "
                "makes sampling nearly greedy.", compare=_same_kept),
        Mistake("threshold_on_the_logits", _renormalised_where(lambda z, m, p: z >= m * z.max()),
                _MIN_P_WHERE + " you compared the *logits* with min_p times the largest logit. Logits are not "
                "probabilities (they can be negative, and adding a constant to all of them changes nothing): compare "
                "the probabilities softmax(logits).", compare=_same_kept),
        Mistake("cut_logits_set_to_0", lambda z, m: _tempered(np.where(_min_p_kept(z, m) > 0, z, 0.0)),
                _MIN_P_WHERE + " you set the cut logits to 0 before the softmax: exp(0) = 1, so the cut tokens still "
                "get probability. Cut logits are -np.inf (probability exactly 0)."),
        Mistake("nan_for_the_cut", lambda z, m: (lambda k: np.where(k > 0, k / k.sum(), np.nan))(_min_p_kept(z, m)),
                _MIN_P_WHERE + " you returned NaN (for the cut tokens, or from a 0 / 0?): a cut token has probability "
                "exactly 0, and the top token always survives, so the total is never 0.",
                spot=lambda a: np.isnan(a.got).any()),
        Mistake("a_stricter_threshold", _renormalised_where(lambda z, m, p: p > m * p.max() + 0.1),
                _MIN_P_WHERE + " expected to keep tokens {keep}, you kept {kept}.",
                spot=lambda a: not np.array_equal(a.got > 0, a.want > 0)),
        Mistake("not_renormalised", _min_p_kept,
                _MIN_P_WHERE + " you kept the right tokens but did not renormalise: your probabilities add up to "
                "{got_sum:.3f}, not 1. After a cut, the survivors must share all the probability: divide them by "
                "their total (or take the softmax of the kept logits)."),
        Mistake("divided_by_the_top", lambda z, m: (lambda k: k / k.max())(_min_p_kept(z, m)),
                _MIN_P_WHERE + " your probabilities add up to {got_sum:.3f}, not 1.",
                spot=lambda a: not np.isclose(a.got.sum(), 1.0, rtol=1e-6)),
        Mistake("odds_changed", lambda z, m: _tempered(sampling.min_p(z, m), 2.0),
                _MIN_P_WHERE + " you kept the right tokens, but changed their odds: renormalising divides every "
                "survivor by the same total, so their ratios stay those of softmax(logits).",
                spot=lambda a: True),
    ],
    success="min-p keeps what is at least min_p times as likely as the top token, then renormalises.",
)


# --- Exercise 3: the nucleus's size, temperature first or last -----------------------------------------

def nucleus_size_reference(logits: np.ndarray, temperature: float, p: float, temperature_last: bool) -> int:
    """``fn(logits, T, p, temperature_last) -> how many tokens top-p keeps``, with temperature applied
    before the filter (``temperature_last=False``) or after it
    (:func:`helpers.sampling.truncation_mask`).

    Used by: lesson 6, exercise 3's check (``check.nucleus_size``).
    """
    return int(sampling.truncation_mask(logits, temperature, top_p=p, temperature_last=temperature_last).sum())


def _count(x) -> int:
    if isinstance(x, (str, bytes)) or np.ndim(x) != 0:
        raise Unreadable(x)
    return int(x)


nucleus_size = Exercise(
    name="nucleus_size",
    reference=nucleus_size_reference,
    params=("logits", "T", "p", "temperature_last"),
    cases=[(np.array([3.0, 2.0, 1.5, 1.0, 0.0, -0.5, -1.0, -2.0]), t, 0.9, last)
           for t in (0.5, 1.0, 2.0, 4.0) for last in (False, True)],
    read=_count,
    same=lambda a, b: a == b,
    mistakes=[
        Mistake("the_mask", lambda z, t, p, last: _nucleus(z, p, 1.0 if last else t),
                "return one whole number (how many tokens top-p keeps), got {raw!r}", spot=unreadable),
        Mistake("temperature_ignored", lambda z, t, p, last: int(_nucleus(z, p).sum()),
                "at T = {T} with temperature first you return {got}, the size at T = 1. With temperature first the "
                "nucleus is computed from softmax(logits / T): divide before you add up."),
        Mistake("orders_swapped", lambda z, t, p, last: int(_nucleus(z, p, t if last else 1.0).sum()),
                "at T = {T} you have the two orders swapped: temperature_last={temperature_last} should give {want}. "
                "Temperature last means the filter sees the model's own softmax(logits)."),
        Mistake("multiplied_by_T", lambda z, t, p, last: int(_nucleus(z if last else z * t, p).sum()),
                "at T = {T}: divide the logits by T, do not multiply."),
    ],
    general="at T = {T}, temperature_last={temperature_last}: expected {want} tokens, got {got}.",
    success="with temperature first, a hot T widens the nucleus; with temperature last, T cannot change it.",
)

EXERCISES = [top_p_filter, min_p_distribution, nucleus_size]
