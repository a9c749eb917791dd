"""Lesson 5's exercises (05_temperature_measured.ipynb, "Exercises"): a bootstrap interval of
Spearman's rho, where a measured curve crosses a threshold, and the share of invented words.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line.
"""

from __future__ import annotations

import re

import numpy as np

from .. import metrics
from .runner import Exercise, Mistake, Unreadable, case, close, number, unreadable

# --- Exercise 1: a bootstrap interval of Spearman's rho ---------------------------------------------


def spearman_interval_reference(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``fn(x, y) -> (low, high)``: a 95 % percentile-bootstrap interval of Spearman's rho
    (:func:`helpers.metrics.spearman_with_ci`): resample whole pairs, rank, correlate.

    Used by: lesson 5, exercise 1's check (``check.spearman_interval``).
    """
    _, low, high = metrics.spearman_with_ci(x, y, n_boot=4000, seed=1)
    return low, high


def _bootstrap(x, y, n_boot=1000, seed=0, corr="spearman", pairs="together", percentiles=(2.5, 97.5), size=None):
    """A bootstrap interval of a correlation, right (the defaults) or with one of the usual mistakes."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    n = len(x)
    m = n if size is None else size
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, n, m)
        j = {"together": i, "apart": rng.integers(0, n, m)}[pairs]
        xs, ys = x[i], y[j]
        boots.append(stats.spearmanr(xs, ys).statistic if corr == "spearman" else np.corrcoef(xs, ys)[0, 1])
    return tuple(np.percentile(boots, percentiles))


def _spearman_cases() -> list:
    x = np.linspace(0.0, 2.0, 30)
    rng = np.random.default_rng(5)
    noisy_x = rng.uniform(0, 2, 80)
    noisy_y = noisy_x + rng.normal(0, 0.8, 80)
    return [
        case(x, np.exp(3 * x), kind="rises", rho=1.0, curve="exp(3x)"),
        case(x, -(x**3), kind="falls", rho=-1.0, curve="-x³"),
        case(noisy_x, noisy_y, kind="noisy", rho=float(metrics.spearman_with_ci(noisy_x, noisy_y, n_boot=1)[0])),
    ]


def _numbers(result) -> tuple[float, ...]:
    if isinstance(result, (str, bytes)):
        raise Unreadable(result)
    return tuple(float(v) for v in result)  # one number: TypeError


def _monotone(a) -> bool:
    return a.kind != "noisy"


def _width(a) -> float:
    return a.got[1] - a.got[0]


def _accept_interval(a) -> bool:
    if len(a.got) != 2 or a.got[0] > a.got[1] + 1e-9:
        return False
    low, high = a.got
    if _monotone(a):
        return abs(low - a.rho) <= 1e-9 and abs(high - a.rho) <= 1e-9
    ref_width = a.want[1] - a.want[0]
    return low < a.rho < high and 0.6 * ref_width <= high - low <= 1.6 * ref_width


def _pairs_broken(a) -> bool:
    low, high = a.got
    if _monotone(a):
        return low < 0.3 and high > -0.3
    return low < 0.3 * a.rho and high > -0.3 * a.rho and low < 0 < high


def _looks_like_pearson(a) -> bool:
    low, high = a.got
    return _monotone(a) and (a.rho > 0 and 0.3 <= low and high < 1 - 1e-9 or a.rho < 0 and low > -1 + 1e-9 and high <= -0.3)


_NOISY = "on noisy data with rho = {rho:.3f} your interval ({low:.3f}, {high:.3f})"
_EXPECTED = "(about ({want[0]:.2f}, {want[1]:.2f}))"

spearman_interval = Exercise(
    name="spearman_interval",
    reference=spearman_interval_reference,
    params=("x", "y"),
    cases=_spearman_cases,
    read=_numbers,
    same=close(atol=1e-9, rtol=0.0),
    accept=_accept_interval,
    quotes={
        "low": lambda a: a.got[0], "high": lambda a: a.got[1], "n_values": lambda a: len(a.got),
        "together": lambda a: "always move together" if _monotone(a) else f"with rho = {a.rho:+.2f}",
        "pearson": lambda a: float(np.corrcoef(a.x, a.y)[0, 1]),
    },
    mistakes=[
        Mistake("rho_alone", lambda x, y: metrics.spearman_with_ci(x, y)[0],
                "return two numbers, (low, high), got {raw!r}", spot=unreadable),
        Mistake("rho_and_the_interval", lambda x, y: metrics.spearman_with_ci(x, y),
                "you return three numbers (rho, low, high?): return only the interval, (low, high).",
                spot=lambda a: len(a.got) == 3),
        Mistake("the_resampled_rhos", lambda x, y: _bootstrap(x, y, percentiles=np.linspace(0, 100, 50)),
                "return two numbers, (low, high), got {n_values} numbers.", spot=lambda a: len(a.got) != 2),
        Mistake("high_then_low", lambda x, y: _bootstrap(x, y, percentiles=(97.5, 2.5)),
                "your interval ({low:.3f}, {high:.3f}) has low > high: return (low, high) in that order.",
                spot=lambda a: a.got[0] > a.got[1] + 1e-9),
        Mistake("pairs_broken", lambda x, y: _bootstrap(x, y, pairs="apart"),
                "for x and y that {together} your interval is ({low:.2f}, {high:.2f}), around 0: the pairs were "
                "broken. Resampling x and y with separate draws (or only one of them) pairs each x with a random y. "
                "Draw ONE set of indices, idx = rng.integers(0, n, n), and use x[idx] and y[idx] together.",
                spot=_pairs_broken),
        Mistake("pearson_not_spearman", lambda x, y: _bootstrap(x, y, corr="pearson"),
                "y = {curve} {kind} at every step, so every resample has Spearman's rho = {rho:+.0f} exactly and the "
                "interval is ({rho:+.0f}, {rho:+.0f}); yours is ({low:.3f}, {high:.3f}). That is Pearson's r (here "
                "{pearson:+.3f}), which measures how close to a straight line the points lie, not whether they rise "
                "together. Correlate the RANKS: scipy.stats.spearmanr(x[idx], y[idx]).statistic.",
                spot=_looks_like_pearson),
        Mistake("percentiles_off_centre", lambda x, y: _bootstrap(x, y, percentiles=(75, 99.9)),
                _NOISY + " does not contain it (expected about ({want[0]:.2f}, {want[1]:.2f})): resample the pairs and "
                "take the 2.5th and 97.5th "
                "percentiles of the resampled rho.",
                spot=lambda a: not _monotone(a) and not a.got[0] < a.rho < a.got[1]),
        Mistake("the_middle_half", lambda x, y: _bootstrap(x, y, percentiles=(25, 75)),
                _NOISY + " is much narrower than a 95 % bootstrap interval " + _EXPECTED + ": take the 2.5th and "
                "97.5th percentiles of the resampled rho (np.percentile(boots, [2.5, 97.5])), with resamples as "
                "large as the data.",
                spot=lambda a: not _monotone(a) and _width(a) < 0.6 * (a.want[1] - a.want[0])),
        Mistake("resamples_too_small", lambda x, y: _bootstrap(x, y, size=len(x) // 4),
                _NOISY + " is much wider than a 95 % bootstrap interval " + _EXPECTED + ": percentiles 2.5 and 97.5 "
                "of the resampled rho, with resamples as large as the data.",
                spot=lambda a: not _monotone(a) and _width(a) > 1.6 * (a.want[1] - a.want[0])),
    ],
    general="y {kind} with x at every step: expected the interval ({rho:+.0f}, {rho:+.0f}), got ({low:.3f}, {high:.3f}).",
    success="A percentile bootstrap of Spearman's rho: resample whole pairs, rank, correlate; the interval says how "
            "much rho would move with other data like these.",
)


# --- Exercise 2: where a measured curve crosses a threshold -------------------------------------------

def crossing_reference(temperatures: np.ndarray, values: np.ndarray, threshold: float) -> float | None:
    """``fn(temperatures, values, threshold) -> the first T where values reach threshold``,
    interpolating linearly between grid points, ``None`` if they never do
    (:func:`helpers.metrics.first_crossing`).

    Used by: lesson 5, exercise 2's check (``check.crossing_temperature``).
    """
    return metrics.first_crossing(temperatures, values, threshold)


def _grid_point(ts, v, threshold):
    return float(ts[np.argmax(v >= threshold)]) if np.any(v >= threshold) else None


def _bracket(ts, v, threshold) -> tuple[float, float]:
    """The two grid points around the crossing, not one temperature."""
    k = max(1, int(np.argmax(v >= threshold)))
    return float(ts[k - 1]), float(ts[k])


def _or_the_last(ts, t):
    return float(ts[-1]) if t is None else t


def _last_crossing(ts, v, threshold):
    ups = [k for k in range(1, len(v)) if v[k - 1] < threshold <= v[k]]  # every upward crossing
    if not ups:
        return float(ts[0]) if v[0] >= threshold else None
    k = ups[-1]
    return float(ts[k - 1] + (ts[k] - ts[k - 1]) * (threshold - v[k - 1]) / (v[k] - v[k - 1]))


_TS = np.array([0.0, 0.5, 1.0, 1.5, 2.0])

crossing_temperature = Exercise(
    name="crossing_temperature",
    reference=crossing_reference,
    params=("temperatures", "values", "threshold"),
    cases=[(_TS, np.array(v), 0.1) for v in (
        [0.0, 0.02, 0.06, 0.2, 0.5],
        [0.0, 0.02, 0.1, 0.2, 0.5],
        [0.2, 0.3, 0.4, 0.5, 0.6],
        [0.0, 0.01, 0.02, 0.03, 0.04],
        [0.0, 0.15, 0.05, 0.2, 0.5],  # the *first* crossing counts
    )],
    read=lambda x: None if x is None else number(x),
    same=close(atol=1e-9, rtol=0.0),
    quotes={"values_list": lambda a: a.values.tolist()},
    mistakes=[
        Mistake("the_bracket", lambda ts, v, th: _bracket(ts, v, th),
                "return a temperature (a number) for values {values_list}, got {raw!r}", spot=unreadable),
        Mistake("a_temperature_where_none", lambda ts, v, th: _or_the_last(ts, crossing_reference(ts, v, th)),
                "for values {values_list} that never reach {threshold} return None, got {raw!r}.",
                spot=lambda a: a.want is None and a.got is not None),
        Mistake("always_none", lambda ts, v, th: None,
                "for values {values_list}, which reach {threshold} at T = {want:.4f}, you return None: return None "
                "only when no value reaches the threshold.",
                spot=lambda a: a.got is None and a.want is not None),
        Mistake("the_grid_point", _grid_point,
                "for values {values_list} you return the first grid point at or above {threshold} (T = {got:g}); "
                "interpolate between it and the point before: T0 + (T1 - T0) * (threshold - v0) / (v1 - v0)."),
        Mistake("the_last_crossing", _last_crossing,
                "for values {values_list}, which cross {threshold} more than once, you return T = {got:.4f}: the "
                "*first* crossing counts (T = {want:.4f}). Stop at the first value at or above the threshold."),
    ],
    general="for values {values_list} and threshold {threshold} expected T = {want:.4f}, got {got:.4f}.",
    success="You find where a measured curve crosses a threshold, between the grid points.",
)


# --- Exercise 3: the share of invented words ------------------------------------------------------------

def invented_reference(text: str, vocabulary: set) -> float:
    """``fn(text, vocabulary) -> share of the text's words not in vocabulary``, words being the
    lower-cased runs of letters and apostrophes (:func:`helpers.metrics.words`).

    Used by: lesson 5, exercise 3's check (``check.invented_word_rate``).
    """
    found = metrics.words(text)
    return sum(w not in vocabulary for w in found) / len(found)


def _share_not_in(words, vocabulary) -> float:
    return sum(w not in vocabulary for w in words) / len(words)


_VOCABULARY = set(metrics.words(
    "romeo but soft what light through yonder window breaks it is the east and juliet is the sun o'er"
))
_TEXT = "ROMEO:\nBut soft, what lightt through yonder window breaks?\nIt is the East, and Juliet is the sunne!"

invented_word_rate = Exercise(
    name="invented_word_rate",
    reference=invented_reference,
    params=("text", "vocabulary"),
    cases=[(_TEXT, _VOCABULARY)],
    read=number,
    same=close(atol=1e-9, rtol=0.0),
    quotes={"n_words": lambda a: len(metrics.words(a.text)),
            "n_invented": lambda a: a.want * len(metrics.words(a.text))},
    mistakes=[
        Mistake("the_invented_words", lambda text, vocab: [w for w in metrics.words(text) if w not in vocab],
                "return one number (a share of the words), got {raw!r}", spot=unreadable),
        Mistake("not_lower_cased", lambda text, vocab: _share_not_in(re.findall(r"[A-Za-z']+", text), vocab),
                "for {text!r} you return {got:.3f}: 'ROMEO', 'But', 'It', 'East' and 'Juliet' count as invented. The "
                "vocabulary is lower-case (and Shakespeare's speaker names are in capitals): lower-case the text "
                "first, text.lower()."),
        Mistake("punctuation_attached", lambda text, vocab: _share_not_in(text.lower().split(), vocab),
                "for {text!r} you return {got:.3f}: 'soft,' and 'breaks?' count as invented because text.split() "
                "leaves the punctuation attached. Take the runs of letters and apostrophes instead: "
                "re.findall(r\"[a-z']+\", text.lower()) (which is metrics.words)."),
        Mistake("capitals_and_punctuation", lambda text, vocab: _share_not_in(text.split(), vocab),
                "for {text!r} you return {got:.3f}: capitals and punctuation both count as invented. Lower-case the "
                "text and keep only runs of letters and apostrophes: re.findall(r\"[a-z']+\", text.lower())."),
        Mistake("a_count_not_a_share", lambda text, vocab: sum(w not in vocab for w in metrics.words(text)),
                "you return {got:g}, the number of invented words: divide by the number of words."),
        Mistake("the_known_words", lambda text, vocab: 1 - invented_reference(text, vocab),
                "you return {got:.4f}, the share of words the vocabulary *knows*; invented words are the ones *not* "
                "in it (expected {want:.4f})."),
    ],
    general="for {text!r} expected {want:.4f} ({n_invented:.0f} of {n_words} words), got {got:.4f}.",
    success="Invented words: lower-case the text and strip punctuation before looking words up, or capitals and "
            "commas count as inventions.",
)

EXERCISES = [spearman_interval, crossing_temperature, invented_word_rate]
