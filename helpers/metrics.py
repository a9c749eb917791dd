"""Measurements the lessons make: goodness of fit of draws, and what generated text looks like."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .softmax import _log_softmax_checked, check_logits, check_temperature, softmax_with_temperature

__all__ = [
    "ChiSquareResult",
    "chi_square_test",
    "distinct_n",
    "distinct_ngram_fraction",
    "words",
    "known_word_fraction",
    "repeating_loop",
    "NgramIndex",
    "ngram_index",
    "invented_word_rate",
    "novelty",
    "novelty_split",
    "char_novelty",
    "form_score",
    "measure",
    "measure_all",
    "spearman_with_ci",
    "spearman_with_cluster_ci",
    "edit_distances",
    "prototype_distance",
    "first_crossing",
    "nll_at_temperature",
    "fit_temperature",
    "TemperatureAtBoundError",
    "temperature_standard_error",
    "ngram_cross_entropy",
]


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson's chi-square test of observed counts against expected probabilities.

    Taught in: lesson 2, section 3 (testing a sampler against the exact probabilities).

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

    Taught in: lesson 2, section 3 (testing a sampler against the exact probabilities).

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


def distinct_n(text: str, n: int = 4) -> float:
    """Distinct character ``n``-grams over all ``n``-grams of ``text``: 1 = no repeats, near 0 =
    one short loop over and over. ``nan`` for a text shorter than ``n``.

    Taught in: lesson 5, section 1 (the measurements); lessons 3 and 4 call it distinct_ngram_fraction.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")


distinct_ngram_fraction = distinct_n  # the name lessons 3 and 4 use


def words(text: str) -> list[str]:
    """The words of ``text``: lower-cased runs of letters and apostrophes.

    Taught in: lesson 3, section 5 (temperature on a model that feeds itself).
    """
    return re.findall(r"[a-z']+", text.lower())


def known_word_fraction(text: str, known_words: set[str]) -> float:
    """Fraction of the :func:`words` of ``text`` that are in ``known_words``: low = invented
    words. ``nan`` if the text has no words.

    Taught in: lesson 3, section 5 (temperature on a model that feeds itself).
    """
    found = words(text)
    return sum(w in known_words for w in found) / len(found) if found else float("nan")


def repeating_loop(text: str, min_repeats: int = 3) -> tuple[int, int] | None:
    """The loop a text ends in: ``(period, length)``, or ``None`` if it does not end in one.

    Taught in: lesson 4, section 6 (temperature on a real model).

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


# ---------------------------------------------------------------------------------------------
# Against the training text: invented words, novelty
# ---------------------------------------------------------------------------------------------

class NgramIndex:
    """The word and character n-grams of a training text, for fast "was this seen?" questions.

    Used by: ngram_index and the novelty measurements (lesson 5, section 1).

    Built once per text (:func:`ngram_index` caches it): word n-grams as sets of word-id tuples,
    character n-grams as a sorted array of 64-bit rolling hashes (collisions are astronomically
    unlikely at this size). Indexing Tiny Shakespeare's 1 MB takes about a second per n.
    """

    _BASE = np.uint64(1_000_003)

    def __init__(self, training_text: str) -> None:
        self.words = words(training_text)
        self.vocabulary = frozenset(self.words)
        self._word_ids = {w: i for i, w in enumerate(sorted(self.vocabulary))}
        self._ids = np.array([self._word_ids[w] for w in self.words], dtype=np.int64)
        self._codes = np.frombuffer(training_text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self._word_grams: dict[int, set[tuple[int, ...]]] = {}
        self._char_grams: dict[int, np.ndarray] = {}

    def word_grams(self, n: int) -> set[tuple[int, ...]]:
        """The set of word-id ``n``-grams of the training text."""
        if n not in self._word_grams:
            cols = [self._ids[k : len(self._ids) - n + 1 + k] for k in range(n)]
            self._word_grams[n] = set(zip(*(c.tolist() for c in cols)))
        return self._word_grams[n]

    @classmethod
    def _hashes(cls, codes: np.ndarray, n: int) -> np.ndarray:
        h = np.zeros(max(codes.size - n + 1, 0), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(n):
                h = h * cls._BASE + codes[k : codes.size - n + 1 + k] + np.uint64(1)
        return h

    def char_grams(self, n: int) -> np.ndarray:
        """Sorted unique hashes of the training text's character ``n``-grams."""
        if n not in self._char_grams:
            self._char_grams[n] = np.unique(self._hashes(self._codes, n))
        return self._char_grams[n]

    def novel_word_fraction(self, text: str, n: int) -> float:
        """Share of ``text``'s word ``n``-grams that never occur in the training text (``nan`` if none).
        A word the training text lacks makes every n-gram containing it new."""
        found = words(text)
        grams = [tuple(self._word_ids.get(w, -1) for w in found[k : k + n]) for k in range(len(found) - n + 1)]
        if not grams:
            return float("nan")
        seen = self.word_grams(n)
        return sum(g not in seen for g in grams) / len(grams)

    def novel_word_split(self, text: str, n: int) -> tuple[float, float]:
        """Where novelty comes from: ``(recombined, invented)``, the shares of ``text``'s word
        ``n``-grams that are new but made only of words the training text has (a new combination)
        and that contain a word it never has (an invented word). They add up to
        :meth:`novel_word_fraction`. ``(nan, nan)`` if the text has fewer than ``n`` words."""
        found = words(text)
        grams = [tuple(self._word_ids.get(w, -1) for w in found[k : k + n]) for k in range(len(found) - n + 1)]
        if not grams:
            return float("nan"), float("nan")
        seen = self.word_grams(n)
        invented = sum(-1 in g for g in grams)
        recombined = sum(-1 not in g and g not in seen for g in grams)
        return recombined / len(grams), invented / len(grams)

    def novel_char_fraction(self, text: str, n: int) -> float:
        """Share of ``text``'s character ``n``-grams that never occur in the training text."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        h = self._hashes(codes, n)
        if h.size == 0:
            return float("nan")
        table = self.char_grams(n)
        pos = np.minimum(np.searchsorted(table, h), table.size - 1)
        return float(np.mean(table[pos] != h))


@functools.lru_cache(maxsize=4)
def ngram_index(training_text: str) -> NgramIndex:
    """The :class:`NgramIndex` of ``training_text``, built once and cached (up to 4 texts).

    Taught in: lesson 5, section 1 (the measurements; the index is built in the first cell).
    """
    return NgramIndex(training_text)


def invented_word_rate(text: str, training_text: str) -> float:
    """Share of ``text``'s words (lower-cased, punctuation stripped) that never occur in
    ``training_text``: misspellings and made-up words. ``nan`` if the text has no words.

    Taught in: lesson 5, section 1 (the measurements).
    """
    found = words(text)
    if not found:
        return float("nan")
    known = ngram_index(training_text).vocabulary
    return sum(w not in known for w in found) / len(found)


def novelty(text: str, training_text: str, n: int = 3) -> float:
    """Share of ``text``'s word ``n``-grams absent from ``training_text``: 0 = every phrase was
    copied from the training text, 1 = none was. ``nan`` if the text has fewer than ``n`` words.

    Taught in: lesson 5, section 1 (the measurements).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return ngram_index(training_text).novel_word_fraction(text, n)


def novelty_split(text: str, training_text: str, n: int = 3) -> tuple[float, float]:
    """``(recombined, invented)``: :func:`novelty` split into new combinations of known words and
    n-grams containing an invented word (see :meth:`NgramIndex.novel_word_split`).

    Taught in: lesson 5, section 1 (the measurements).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return ngram_index(training_text).novel_word_split(text, n)


def char_novelty(text: str, training_text: str, n: int = 12) -> float:
    """Share of ``text``'s character ``n``-grams absent from ``training_text`` (long ``n``: copied
    passages score 0, new ones 1). ``nan`` if the text is shorter than ``n``.

    Used by: measure (lessons 5 and 6, through measure_all) and benchmarks/temperature_sweep.py.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return ngram_index(training_text).novel_char_fraction(text, n)


# ---------------------------------------------------------------------------------------------
# Form: does the text keep the shape of a play?
# ---------------------------------------------------------------------------------------------

SPEAKER_LINE = re.compile(r"^[A-Z][A-Za-z'-]*( [A-Za-z'-]+){0,3}:$")  # 1-4 words, no punctuation


def form_score(text: str) -> float:
    """How well ``text`` keeps the play's structure, from 0 to 1 (``nan`` if it has no complete turn).

    Taught in: lesson 5, section 1 (the measurements).

    Tiny Shakespeare is a sequence of turns separated by blank lines: a speaker line (a name and a
    colon, e.g. ``ROMEO:`` or ``First Citizen:``), then one or more lines of speech. The score is
    the share of *complete* turns in ``text`` (a blank line before and after; the first block
    continues the prompt and the last may be cut off, so both are left out) that have that shape:
    a speaker line first (one to four words, a colon, no other punctuation), then at least one
    non-empty line that is not another speaker line. The corpus itself scores about 0.98 (a few
    of its turns are split by a blank line).
    """
    blocks = text.split("\n\n")
    complete = [b.strip("\n") for b in blocks[1:-1]]
    complete = [b for b in complete if b]
    if not complete:
        return float("nan")

    def well_formed(block: str) -> bool:
        lines = block.split("\n")
        return (
            len(lines) >= 2
            and SPEAKER_LINE.match(lines[0]) is not None
            and all(line.strip() for line in lines[1:])
            and SPEAKER_LINE.match(lines[1]) is None
        )

    return sum(map(well_formed, complete)) / len(complete)


def measure(text: str, training_text: str) -> dict[str, float]:
    """Every text measurement of lessons 5 and 6 for one ``text``, as a dict of floats.

    Used by: measure_all (lesson 5, section 1).

    Keys: ``"distinct 4-grams"``, ``"loop length"`` (characters covered by a final loop, 0 if none),
    ``"invented words"``, ``"novelty (word 3-grams)"``, ``"recombined"`` and ``"invented 3-grams"``
    (the two parts of novelty), ``"character novelty (12-grams)"`` and ``"form"``. Shares are in
    ``[0, 1]``; ``nan`` where a text is too short for a measurement (see each function).
    """
    recombined, invented = novelty_split(text, training_text, 3)
    loop = repeating_loop(text)
    return {
        "distinct 4-grams": distinct_n(text, 4),
        "loop length": float(loop[1]) if loop else 0.0,
        "invented words": invented_word_rate(text, training_text),
        "novelty (word 3-grams)": novelty(text, training_text, 3),
        "recombined": recombined,
        "invented 3-grams": invented,
        "character novelty (12-grams)": char_novelty(text, training_text, 12),
        "form": form_score(text),
    }


def measure_all(texts: list[str], training_text: str) -> dict[str, np.ndarray]:
    """:func:`measure` for many texts: one float64 array of shape ``(len(texts),)`` per key.

    Taught in: lesson 5, section 1 (the measurements); lesson 6, sections 4 and 5 use it.
    """
    if not texts:
        raise ValueError("give at least one text to measure")
    rows = [measure(t, training_text) for t in texts]
    return {key: np.array([row[key] for row in rows], dtype=np.float64) for key in rows[0]}


def spearman_with_ci(
    x: ArrayLike, y: ArrayLike, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` with a bootstrap confidence interval.

    Taught in: lesson 5, section 5 (the same statistic on both sides); lesson 5, exercise 1.

    Pairs with a NaN are dropped. The interval resamples the pairs with replacement ``n_boot``
    times (seeded) and takes the central ``level`` share of the resampled correlations
    (percentile bootstrap). Returns ``(rho, low, high)``.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if x.size < 3:
        raise ValueError(f"need at least 3 pairs without NaN, got {x.size}")
    rho = float(stats.spearmanr(x, y).statistic)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, (n_boot, x.size))
    rx = stats.rankdata(x[idx], axis=1)  # rank each resample, then Pearson of the ranks
    ry = stats.rankdata(y[idx], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        boots = (rx * ry).sum(axis=1) / np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    boots = boots[np.isfinite(boots)]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(boots, [tail, 100 - tail])
    return rho, float(low), float(high)


def spearman_with_cluster_ci(
    x: ArrayLike, y: ArrayLike, clusters: ArrayLike, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` with a bootstrap interval that resamples
    whole clusters: ``(rho, low, high)``.

    Taught in: lesson 5, section 5 (the same statistic on both sides).

    Use it when the pairs come in groups that are not independent: the ratings of one rater (who
    may rate everything high), or samples that share their random noise. Each of the ``n_boot``
    resamples (seeded) draws as many clusters as there are, with replacement, and keeps every pair
    of each drawn cluster; the interval is the central ``level`` share of the resampled
    correlations (percentile bootstrap). Pairs with a NaN are dropped first. ``rho`` is the same
    as :func:`spearman_with_ci`'s; the interval is usually wider when clusters differ.
    ``clusters`` holds one label per pair (any hashable values, e.g. rater ids).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    labels = np.asarray(clusters)
    if not x.shape == y.shape == labels.shape or x.ndim != 1:
        raise ValueError(f"x, y and clusters must be 1-D and of one length, got {x.shape}, {y.shape}, {labels.shape}")
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y, labels = x[ok], y[ok], labels[ok]
    if x.size < 3:
        raise ValueError(f"need at least 3 pairs without NaN, got {x.size}")
    _, which = np.unique(labels, return_inverse=True)
    members = [np.flatnonzero(which == k) for k in range(which.max() + 1)]
    if len(members) < 2:
        raise ValueError("need at least 2 clusters to resample")
    rho = float(stats.spearmanr(x, y).statistic)
    rng = np.random.default_rng(seed)
    k = len(members)
    drawn = rng.integers(0, k, (n_boot, k))
    counts = (drawn[:, :, None] == np.arange(k)).sum(axis=1)  # (n_boot, k): how often each cluster was drawn
    weights = counts[:, which].astype(np.float64)  # (n_boot, n): how often each pair is in the resample

    def resampled_ranks(v: np.ndarray) -> np.ndarray:
        # The rank each value would get in the resample (ties share their mean rank), without building
        # it: the weight of all smaller values, plus the mean position within its own tie group.
        unique, at = np.unique(v, return_inverse=True)
        w = np.zeros((n_boot, unique.size))
        np.add.at(w, (slice(None), at), weights)
        before = np.cumsum(w, axis=1) - w
        return (before + (w + 1) / 2)[:, at]

    rx, ry = resampled_ranks(x), resampled_ranks(y)
    total = weights.sum(axis=1, keepdims=True)
    rx -= (weights * rx).sum(axis=1, keepdims=True) / total
    ry -= (weights * ry).sum(axis=1, keepdims=True) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        boots = (weights * rx * ry).sum(axis=1) / np.sqrt((weights * rx**2).sum(axis=1) * (weights * ry**2).sum(axis=1))
    boots = boots[np.isfinite(boots)]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(boots, [tail, 100 - tail])
    return rho, float(low), float(high)


def edit_distances(texts: str | list[str], reference: str) -> np.ndarray:
    """The Levenshtein distance of each text to ``reference``: the fewest single-character
    insertions, deletions and substitutions that turn one into the other. Int64 array of shape
    ``(len(texts),)`` (a single string gives shape ``(1,)``).

    Used by: prototype_distance (lesson 5, section 1).

    Dynamic programming over the reference's characters, one row per character, computed for all
    texts at once in numpy; the insertions along a row are a running minimum
    (``np.minimum.accumulate``). Time grows as ``len(reference) * total length of texts``: 256
    texts of 500 characters against one of 500 take about half a second.
    (``rapidfuzz.distance.Levenshtein.distance`` computes the same number, one pair at a time.)
    """
    if isinstance(texts, str):
        texts = [texts]
    if not texts:
        return np.zeros(0, dtype=np.int64)
    lengths = np.array([len(t) for t in texts])
    width = int(lengths.max())
    codes = np.zeros((len(texts), width), dtype=np.uint32)
    for k, t in enumerate(texts):
        codes[k, : len(t)] = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32)
    j = np.arange(width + 1, dtype=np.int64)
    row = np.tile(j, (len(texts), 1))  # distance from the empty prefix of the reference: j insertions
    step = np.empty_like(row)
    for i, ch in enumerate(np.frombuffer(reference.encode("utf-32-le"), dtype=np.uint32), start=1):
        step[:, 0] = i
        np.minimum(row[:, 1:] + 1, row[:, :-1] + (codes != ch), out=step[:, 1:])  # deletion, substitution
        np.minimum.accumulate(step - j, axis=1, out=row)  # then insertions: min over k <= j of step[k] + (j - k)
        row += j
    return row[np.arange(len(texts)), lengths]


def prototype_distance(texts: str | list[str], prototype: str) -> np.ndarray:
    """How far each text is from a ``prototype``: the character edit distance
    (:func:`edit_distances`) divided by the longer of the two lengths, so 0 = the same text and
    1 = nothing in common (two unrelated English texts of equal length score about 0.7-0.8, as
    many characters line up by chance). Float64 array of shape ``(len(texts),)``; ``nan`` for
    two empty strings.

    Taught in: lesson 5, section 1 (the measurements).

    Peeperkorn et al. asked raters to judge each story's novelty and typicality against the story
    generated at T = 0.001 (the prototype) and computed this distance to it; lesson 5 uses the
    greedy sample from the same prompt as the prototype.
    """
    if isinstance(texts, str):
        texts = [texts]
    longest = np.array([max(len(t), len(prototype)) for t in texts], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return edit_distances(texts, prototype) / longest


def first_crossing(xs: ArrayLike, ys: ArrayLike, threshold: float) -> float | None:
    """The first ``x`` at which the curve ``ys`` (sampled at increasing ``xs``) reaches
    ``threshold``, interpolating linearly between samples; ``None`` if it never does.

    Taught in: lesson 5, section 3 (every measurement against temperature).

    Example: where the share of invented words first reaches 10 % along a temperature sweep.
    """
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"xs and ys must be 1-D and of the same length, got {x.shape} and {y.shape}")
    above = np.flatnonzero(y >= threshold)
    if above.size == 0:
        return None
    k = int(above[0])
    if k == 0:
        return float(x[0])
    return float(x[k - 1] + (x[k] - x[k - 1]) * (threshold - y[k - 1]) / (y[k] - y[k - 1]))


# ---------------------------------------------------------------------------------------------
# Temperature scaling
# ---------------------------------------------------------------------------------------------

def nll_at_temperature(logits: ArrayLike, targets: ArrayLike, temperature: float) -> float:
    """Mean negative log-likelihood (nats per prediction) of ``targets`` under
    ``softmax(logits / T)``. ``logits`` has shape ``(N, V)``, ``targets`` ``(N,)``; ``T > 0``.

    Taught in: lesson 5b, section 1 (the likelihood of a text as a function of T) and section 2.
    """
    t = check_temperature(temperature)
    if t == 0 or math.isinf(t):
        raise ValueError("the likelihood needs 0 < T < inf (T = 0 gives probability 0 to all but the argmax)")
    return _nll(check_logits(logits), np.asarray(targets, dtype=np.int64), t)


def _nll(z: np.ndarray, y: np.ndarray, t: float) -> float:
    """:func:`nll_at_temperature` of checked logits ``z (N, V)``, targets ``y (N,)`` and ``0 < t < inf``."""
    return float(-_log_softmax_checked(z, t)[np.arange(len(y)), y].mean())


class TemperatureAtBoundError(ValueError):
    """:func:`fit_temperature` found its best temperature at an edge of the search range: the true
    ``T*`` lies outside ``bounds``, and the bound is not an estimate of it.

    Used by: fit_temperature (lesson 5b, sections 2 and 4).
    """


def _loglik_slope_in_beta(z: np.ndarray, targets: np.ndarray, temperature: float) -> float:
    """d/d(beta) of the mean log-likelihood of ``targets`` under ``softmax(beta * z)``, at
    ``beta = 1 / temperature``: the mean of ``z[target] - E[z]`` (``E`` under that softmax)."""
    p = softmax_with_temperature(z, temperature)
    finite = np.where(np.isfinite(z), z, 0.0)
    return float((finite[np.arange(len(targets)), targets] - (p * finite).sum(axis=1)).mean())


def fit_temperature(
    logits: ArrayLike, targets: ArrayLike, bounds: tuple[float, float] = (0.25, 4.0)
) -> tuple[float, float]:
    """The temperature ``T*`` that minimises :func:`nll_at_temperature` (a bounded 1-D search),
    and that minimal NLL in nats: ``(T*, nll)``. Temperature scaling in the calibration sense, and
    the maximum-likelihood estimate of the temperature a sample was drawn at.

    Taught in: lesson 5b, section 2 (temperature scaling) and section 4 (the temperature detective).

    ``logits`` has shape ``(N, V)``, ``targets`` ``(N,)``; ``bounds = (a, b)`` with ``0 < a < b``.
    Raises :class:`TemperatureAtBoundError` (a ``ValueError``) when the best temperature lies at an
    edge of ``[a, b]`` (the NLL still falls past the bound), rather than returning the bound: pass
    wider ``bounds=``. The NLL is convex in ``beta = 1 / T``, so its slope at the bounds decides.
    """
    from scipy.optimize import minimize_scalar

    a, b = (float(x) for x in bounds)
    if not 0 < a < b < math.inf:
        raise ValueError(f"bounds must be (a, b) with 0 < a < b < inf, got {bounds!r}")
    z = check_logits(logits)
    y = np.asarray(targets, dtype=np.int64)
    # The log-likelihood is concave in beta: its best T lies below a if it still rises as beta grows
    # past 1/a, above b if it still rises as beta falls below 1/b.
    if _loglik_slope_in_beta(z, y, a) > 0:
        raise TemperatureAtBoundError(
            f"the best temperature lies at the lower edge of the search range [{a:g}, {b:g}]: the fit would "
            f"return {a:g}, not T*. Pass wider bounds=, e.g. bounds=({a / 10:g}, {b:g}). (A text in which every "
            "character is the model's top choice, a greedy text, has its best T at 0.)"
        )
    if _loglik_slope_in_beta(z, y, b) < 0:
        raise TemperatureAtBoundError(
            f"the best temperature lies at the upper edge of the search range [{a:g}, {b:g}]: the fit would "
            f"return {b:g}, not T*. Pass wider bounds=, e.g. bounds=({a:g}, {b * 10:g})."
        )
    result = minimize_scalar(lambda t: _nll(z, y, float(t)), bounds=(a, b), method="bounded",
                             options={"xatol": 1e-4})
    return float(result.x), float(result.fun)


def temperature_standard_error(logits: ArrayLike, temperature: float) -> float:
    """How precisely a sample pins down the temperature it was drawn at: the standard error of the
    maximum-likelihood estimate of ``T`` (as :func:`fit_temperature` finds), from ``N`` steps with
    ``logits`` of shape ``(N, V)``, at ``temperature`` (the true or the estimated T).

    Taught in: lesson 5b, section 5 (how precise is the estimate?).

    With ``beta = 1 / T`` the log-likelihood of the sampled characters is
    ``sum_i beta * z_i[chosen_i] - logsumexp(beta * z_i)``, whose second derivative is
    ``-sum_i Var[z_i]`` (the variance of each step's logits under ``softmax(beta * z_i)``). So the
    Fisher information about ``beta`` is that sum, ``SE(beta) = 1 / sqrt(sum)``, and, as
    ``T = 1 / beta``, ``SE(T) = T**2 * SE(beta)``. Each step adds information: the error shrinks like
    ``1 / sqrt(N)``. Steps where the model is sure (low variance) say little about T.
    """
    t = check_temperature(temperature)
    if t == 0 or math.isinf(t):
        raise ValueError("the standard error needs 0 < T < inf")
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"logits must have shape (N, V) with N >= 1, got {z.shape}")
    p = softmax_with_temperature(z, t)
    finite = np.where(np.isfinite(z), z, 0.0)
    mean = (p * finite).sum(axis=1)
    variance = (p * (finite - mean[:, None]) ** 2).sum(axis=1)
    information = float(variance.sum())
    if information <= 0:
        return math.inf  # every step certain: the sample says nothing about T
    return t**2 / math.sqrt(information)


def ngram_cross_entropy(
    train_ids: np.ndarray, test_ids: np.ndarray, order: int, vocab_size: int, pseudocount: float = 0.5
) -> float:
    """Cross-entropy (nats/char) on ``test_ids`` of a character ``order``-gram model counted on
    ``train_ids`` with add-``pseudocount`` smoothing: a baseline for trained networks.

    Taught in: lesson 3, section 4 (training, against n-gram baselines); lesson 4, section 4.

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
