"""helpers.metrics on small hand-made texts with known answers, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import metrics


def test_distinct_ngram_fraction_by_hand():
    assert metrics.distinct_ngram_fraction("abcd", 2) == 1.0  # ab bc cd
    assert metrics.distinct_ngram_fraction("aaaa", 2) == pytest.approx(1 / 3)  # aa aa aa
    assert metrics.distinct_ngram_fraction("abab", 2) == pytest.approx(2 / 3)  # ab ba ab


def test_words_and_known_word_fraction():
    assert metrics.words("To be, or NOT to be!") == ["to", "be", "or", "not", "to", "be"]
    known = {"to", "be", "or"}
    assert metrics.known_word_fraction("To be, or NOT to be!", known) == pytest.approx(5 / 6)
    assert math.isnan(metrics.known_word_fraction("!!! ...", known))


def test_ngram_cross_entropy_of_a_deterministic_text_is_near_zero():
    ids = np.array([0, 1, 2] * 200)
    uniform = metrics.ngram_cross_entropy(ids, ids, order=1, vocab_size=3)
    assert uniform == pytest.approx(math.log(3), abs=1e-3)  # all three equally frequent
    bigram = metrics.ngram_cross_entropy(ids, ids, order=2, vocab_size=3)
    assert bigram < 0.01  # the previous character determines the next
    with pytest.raises(ValueError):
        metrics.ngram_cross_entropy(ids, ids, order=0, vocab_size=3)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("so: the king, the king, the king,", (10, 30)),
        ("abababab", (2, 8)),
        ("xaaa", (1, 3)),
        ("baaabaaabaaa", (4, 12)),  # the loop that covers most, not the "aaa" at its end
        ("the end", None),
        ("abab", None),  # only twice
        ("", None),
        ("I am, I am, I am, I", (6, 19)),  # a partial unit at the end still belongs to the loop
    ],
)
def test_repeating_loop_by_hand(text, expected):
    assert metrics.repeating_loop(text) == expected


def test_repeating_loop_needs_two_repeats_at_least():
    assert metrics.repeating_loop("abab", min_repeats=2) == (2, 4)
    with pytest.raises(ValueError):
        metrics.repeating_loop("abab", min_repeats=1)


@given(
    prefix=st.text(alphabet="xyz", max_size=20),
    unit=st.text(alphabet="abcdef", min_size=1, max_size=8),
    repeats=st.integers(3, 6),
)
def test_repeating_loop_finds_a_unit_repeated_at_the_end(prefix, unit, repeats):
    text = prefix + unit * repeats
    period, length = metrics.repeating_loop(text)
    assert period <= len(unit)  # the unit itself, or a shorter one it is made of
    assert length >= len(unit) * repeats and length >= 3 * period
    loop = text[-length:]
    assert all(loop[i] == loop[i - period] for i in range(period, length))  # it really repeats
    assert len(text) == length or text[-length - 1] != text[-length - 1 + period]  # and no further


@given(st.permutations("abcdefghij"))
def test_repeating_loop_is_none_without_repeats(chars):
    assert metrics.repeating_loop("".join(chars)) is None


TRAINING = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\nAy me!\n"


def test_distinct_n_is_the_lesson_name_too():
    assert metrics.distinct_n("abab", 2) == metrics.distinct_ngram_fraction("abab", 2) == pytest.approx(2 / 3)
    assert math.isnan(metrics.distinct_n("a", 2))


def test_invented_word_rate_by_hand():
    assert metrics.invented_word_rate("But soft, what LIGHT!", TRAINING) == 0.0
    assert metrics.invented_word_rate("But sofft, what lite", TRAINING) == pytest.approx(0.5)
    assert metrics.invented_word_rate("Ay, me?", TRAINING) == 0.0  # case and punctuation ignored
    assert math.isnan(metrics.invented_word_rate("...", TRAINING))


def test_novelty_counts_word_ngrams_absent_from_training():
    assert metrics.novelty("but soft what light", TRAINING, 2) == 0.0  # every pair was seen
    # "what light", "light yonder" (new), "yonder window": 1 of 3 new
    assert metrics.novelty("what light yonder window", TRAINING, 2) == pytest.approx(1 / 3)
    assert metrics.novelty("soft light", TRAINING, 1) == 0.0 and metrics.novelty("soft light", TRAINING, 2) == 1.0
    assert math.isnan(metrics.novelty("window breaks", TRAINING, 3))  # only two words
    assert metrics.novelty("zzz soft", TRAINING, 1) == 0.5  # an invented word is a new 1-gram
    with pytest.raises(ValueError):
        metrics.novelty("a b", TRAINING, 0)


def test_char_novelty_by_hand():
    assert metrics.char_novelty("yonder window", TRAINING, 6) == 0.0
    assert metrics.char_novelty("yonder windoe", TRAINING, 6) == pytest.approx(1 / 8)  # only the last 6-gram
    assert math.isnan(metrics.char_novelty("abc", TRAINING, 6))


@given(
    st.lists(st.sampled_from(["to", "be", "or", "not", "that", "is", "the", "question"]), min_size=10, max_size=60),
    st.integers(0, 5),
    st.integers(1, 4),
)
def test_words_taken_from_the_training_text_are_never_novel(training_words, start, n):
    training = " ".join(training_words)
    part = " ".join(training_words[start : start + 5])
    assert metrics.novelty(part, training, n) == 0.0
    assert metrics.char_novelty(part, training, 6) == 0.0
    assert metrics.invented_word_rate(part, training) == 0.0
    assert metrics.novelty(part + " zounds", training, n) > 0  # a new word makes new n-grams


def test_form_score_by_hand():
    good = "ROMEO:\nsoft.\n\nJULIET:\nAy me!\nO Romeo.\n\nFirst Citizen:\nSpeak.\n\nKING"
    assert metrics.form_score("prompt continues here" + "\n\n" + good) == 1.0
    broken = "x\n\nROMEO:\nsoft.\n\nno speaker here\nat all\n\nJULIET:\n\nend"
    assert metrics.form_score(broken) == pytest.approx(1 / 3)  # ROMEO's turn; no speaker; no speech
    assert metrics.form_score("LET US, THAT ARE POOR:\nspeech\n\nA:\nB:\n\n") == 0.0  # not a name; a name with no speech
    assert math.isnan(metrics.form_score("no blank lines at all"))


def test_temperature_scaling_recovers_the_temperature_that_made_the_data():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 6))
    true_t = 1.7  # targets drawn from softmax(logits / 1.7): the best fit should be near 1.7
    p = np.exp(logits / true_t)
    p /= p.sum(axis=1, keepdims=True)
    targets = np.array([rng.choice(6, p=row) for row in p])
    t_star, nll = metrics.fit_temperature(logits, targets)
    assert t_star == pytest.approx(true_t, rel=0.08)
    assert nll <= metrics.nll_at_temperature(logits, targets, 1.0)
    assert nll == pytest.approx(metrics.nll_at_temperature(logits, targets, t_star))
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError):
            metrics.nll_at_temperature(logits, targets, bad)


@given(st.integers(0, 2**32 - 1), st.floats(0.05, 20.0))
def test_nll_at_temperature_is_helpers_softmax_log_softmax(seed, t):
    """No softmax of its own (issue 18): the same numbers as helpers.softmax.log_softmax, exactly."""
    from helpers.softmax import log_softmax

    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (50, 7))
    logits[rng.random(logits.shape) < 0.1] = -np.inf  # forbidden tokens stay allowed in the logits
    logits[:, 0] = rng.normal(size=50)  # but every row keeps one
    targets = rng.integers(0, 7, 50)
    targets[np.isneginf(logits[np.arange(50), targets])] = 0
    expected = -log_softmax(logits, t)[np.arange(50), targets].mean()
    assert metrics.nll_at_temperature(logits, targets, t) == expected


def _drawn_at(t: float, steps: int, vocab: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random logits and targets drawn from softmax(logits / t) (Gumbel-max)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (steps, vocab))
    return logits, np.argmax(logits / t + rng.gumbel(size=logits.shape), axis=1)


def test_fit_temperature_refuses_a_best_temperature_at_the_edge_of_its_bounds():
    logits, targets = _drawn_at(6.0, 4000, 6, 0)  # T* = 6, beyond the default bounds (0.25, 4)
    with pytest.raises(ValueError, match=r"edge of the search range \[0.25, 4\].*Pass wider bounds="):
        metrics.fit_temperature(logits, targets)
    with pytest.raises(metrics.TemperatureAtBoundError, match="upper edge"):
        metrics.fit_temperature(logits, targets)
    t, _ = metrics.fit_temperature(logits, targets, bounds=(0.25, 40))  # wider bounds: the fit finds it
    assert abs(t - 6.0) <= 3 * metrics.temperature_standard_error(logits, 6.0)
    greedy = np.argmax(logits, axis=1)  # every step the top choice: the best T is 0, below any bound
    with pytest.raises(metrics.TemperatureAtBoundError, match=r"lower edge of the search range \[0.05, 10\]"):
        metrics.fit_temperature(logits, greedy, bounds=(0.05, 10))
    for bad in ((0.0, 4.0), (2.0, 1.0), (1.0, float("inf"))):
        with pytest.raises(ValueError, match="bounds"):
            metrics.fit_temperature(logits, targets, bounds=bad)


@given(st.integers(0, 10_000), st.floats(0.5, 2.5))
def test_fit_temperature_recovers_the_temperature_of_many_samples_drawn_at_it(seed, t):
    logits, targets = _drawn_at(t, 2000, 8, seed)
    estimate, nll = metrics.fit_temperature(logits, targets)  # default bounds (0.25, 4): T well inside
    assert abs(estimate - t) <= 5 * metrics.temperature_standard_error(logits, t)
    # the fit is a minimum up to the optimiser's tolerance: near it the loss is flat to ~1e-11 nats
    assert nll <= metrics.nll_at_temperature(logits, targets, t) + 1e-9


def test_novelty_splits_into_recombination_and_invention():
    # "what light yonder window": pairs what-light (seen), light-yonder (new, known words),
    # yonder-window (seen); "soft zounds": one pair with an invented word
    assert metrics.novelty_split("what light yonder window", TRAINING, 2) == pytest.approx((1 / 3, 0.0))
    assert metrics.novelty_split("soft zounds", TRAINING, 2) == (0.0, 1.0)
    text = "but soft zounds what light breaks"
    recombined, invented = metrics.novelty_split(text, TRAINING, 2)
    assert recombined + invented == pytest.approx(metrics.novelty(text, TRAINING, 2))


def test_spearman_with_ci():
    x = np.arange(50.0)
    rho, lo, hi = metrics.spearman_with_ci(x, x**3)
    assert rho == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    noise = rng.normal(size=200)
    rho, lo, hi = metrics.spearman_with_ci(np.arange(200.0), noise)
    assert lo < rho < hi and lo < 0 < hi  # no relation: the interval straddles 0
    rho2, lo2, hi2 = metrics.spearman_with_ci(np.arange(200.0), np.arange(200.0) + 60 * noise)
    assert 0 < lo2 < rho2 < hi2 < 1
    assert metrics.spearman_with_ci([1, 2, np.nan, 4, 5], [1, 3, 2, 5, 4])[0] == pytest.approx(0.8)
    with pytest.raises(ValueError):
        metrics.spearman_with_ci([1, 2], [1, 2])


def test_first_crossing_by_hand():
    ts = [0.0, 0.5, 1.0, 1.5]
    assert metrics.first_crossing(ts, [0.0, 0.02, 0.06, 0.2], 0.1) == pytest.approx(1.0 + 0.5 * 0.04 / 0.14)
    assert metrics.first_crossing(ts, [0.0, 0.1, 0.2, 0.3], 0.1) == 0.5
    assert metrics.first_crossing(ts, [0.3, 0.4, 0.5, 0.6], 0.1) == 0.0
    assert metrics.first_crossing(ts, [0.0, 0.15, 0.05, 0.2], 0.1) == pytest.approx(0.5 * 0.1 / 0.15)
    assert metrics.first_crossing(ts, [0.0, 0.01, 0.02, 0.03], 0.1) is None
    with pytest.raises(ValueError):
        metrics.first_crossing(ts, [0.0], 0.1)


def test_spearman_with_cluster_ci():
    x = np.repeat(np.arange(10.0), 5)
    groups = np.tile(np.arange(5), 10)
    rho, lo, hi = metrics.spearman_with_cluster_ci(x, x**3, groups)
    assert rho == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    rng = np.random.default_rng(3)
    # 30 raters who each rate 6 items: each has an offset of their own, shared by their 6 ratings
    t = np.tile(np.linspace(0, 2, 6), 30)
    rater = np.repeat(np.arange(30), 6)
    y = 0.3 * t + 3 * rng.normal(size=30)[rater] + 0.5 * rng.normal(size=t.size)
    rho_c, lo_c, hi_c = metrics.spearman_with_cluster_ci(t, y, rater)
    rho_p, lo_p, hi_p = metrics.spearman_with_ci(t, y)
    assert rho_c == pytest.approx(rho_p) and lo_c < rho_c < hi_c
    assert metrics.spearman_with_cluster_ci([1, 2, np.nan, 4, 5], [1, 3, 2, 5, 4], [0, 0, 1, 1, 2])[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="clusters"):
        metrics.spearman_with_cluster_ci([1, 2, 3], [1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="one length"):
        metrics.spearman_with_cluster_ci([1, 2, 3], [1, 2, 3], [0, 1])


def test_cluster_bootstrap_ranks_as_if_the_resample_were_built():
    """The helper never builds the resampled data (it weighs each pair by how often its cluster was
    drawn); its correlations are those of the data built explicitly, ties included."""
    from scipy import stats

    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, 40).astype(float)  # many ties
    y = x + rng.integers(0, 3, 40)
    groups = rng.integers(0, 7, 40)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    drawn = np.random.default_rng(5).integers(0, len(members), (200, len(members)))  # the helper's draws
    built = [np.concatenate([members[k] for k in row]) for row in drawn]
    boots = [stats.spearmanr(x[i], y[i]).statistic for i in built]
    _, low, high = metrics.spearman_with_cluster_ci(x, y, groups, n_boot=200, seed=5)
    assert (low, high) == pytest.approx(tuple(np.percentile(boots, [2.5, 97.5])))


def test_cluster_bootstrap_is_wider_when_the_clusters_share_their_noise():
    """Pairs within a cluster that move together are fewer independent pieces of evidence than
    they look: resampling single pairs then gives too narrow an interval."""
    rng = np.random.default_rng(0)
    widths = []
    for _ in range(5):
        cluster = np.repeat(np.arange(12), 15)
        x = rng.normal(size=12)[cluster] + 0.1 * rng.normal(size=cluster.size)
        y = rng.normal(size=12)[cluster] + 0.1 * rng.normal(size=cluster.size)  # unrelated to x
        _, lo_p, hi_p = metrics.spearman_with_ci(x, y, n_boot=300)
        _, lo_c, hi_c = metrics.spearman_with_cluster_ci(x, y, cluster, n_boot=300)
        widths.append((hi_c - lo_c) / (hi_p - lo_p))
    assert min(widths) > 1.5


def _levenshtein(a: str, b: str) -> int:
    """The textbook dynamic programme, one cell at a time (the reference for the numpy version)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[-1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_edit_distances_by_hand():
    assert metrics.edit_distances(["kitten", "sitting", "", "sittin", "gnittis"], "sitting").tolist() == [3, 0, 7, 1, 4]
    assert metrics.edit_distances("abc", "").tolist() == [3]
    assert metrics.edit_distances([], "abc").shape == (0,)
    assert metrics.edit_distances(["naïve café"], "naive cafe").tolist() == [2]  # characters, not bytes


@given(st.lists(st.text(alphabet="abc \n", max_size=12), min_size=1, max_size=5), st.text(alphabet="abc \n", max_size=12))
def test_edit_distances_agree_with_the_textbook_programme(texts, reference):
    assert metrics.edit_distances(texts, reference).tolist() == [_levenshtein(t, reference) for t in texts]


@given(st.text(alphabet="ab", max_size=10), st.text(alphabet="ab", max_size=10))
def test_edit_distance_is_symmetric_and_bounded(a, b):
    d = int(metrics.edit_distances(a, b)[0])
    assert d == int(metrics.edit_distances(b, a)[0])
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))


def test_prototype_distance():
    d = metrics.prototype_distance(["the king", "the kin", "xxxxxxxx", "the king is dead"], "the king")
    assert d.tolist() == pytest.approx([0.0, 1 / 8, 1.0, 8 / 16])
    assert math.isnan(metrics.prototype_distance("", "")[0])


def test_measure_gives_every_measurement_of_a_text():
    training = "the king is dead and the queen is sad. " * 20
    m = metrics.measure("the king is sad and the queen is dead. the king is sad and the queen is dead.", training)
    assert set(m) == {"distinct 4-grams", "loop length", "invented words", "novelty (word 3-grams)", "recombined",
                      "invented 3-grams", "character novelty (12-grams)", "form"}
    assert m["invented words"] == 0.0
    assert 0 < m["novelty (word 3-grams)"] == pytest.approx(m["recombined"] + m["invented 3-grams"])
    assert metrics.measure("blorf " * 10, training)["invented words"] == 1.0
    many = metrics.measure_all(["the king is dead", "blorf " * 10], training)
    assert many["invented words"].tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="at least one text"):
        metrics.measure_all([], training)


# Lesson 5b's capstone: how precisely a sample pins down its temperature -------------------------

def _loglik(z: np.ndarray, chosen: np.ndarray, t: float) -> float:
    return -len(chosen) * metrics.nll_at_temperature(z, chosen, t)


@given(st.integers(0, 10_000), st.floats(0.3, 3.0))
def test_temperature_standard_error_is_the_curvature_of_the_log_likelihood(seed, t):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, (40, 6))
    chosen = rng.integers(0, 6, 40)
    # SE(beta)^2 = -1 / (d2 loglik / d beta2), by finite differences in beta = 1 / T
    beta, h = 1 / t, 1e-3
    second = (_loglik(z, chosen, 1 / (beta + h)) - 2 * _loglik(z, chosen, t) + _loglik(z, chosen, 1 / (beta - h))) / h**2
    assert second < 0
    assert metrics.temperature_standard_error(z, t) == pytest.approx(t**2 / math.sqrt(-second), rel=1e-3)


def test_temperature_standard_error_shrinks_like_one_over_root_n():
    z = np.random.default_rng(1).normal(0, 2, (50, 8))
    one = metrics.temperature_standard_error(z, 0.8)
    assert metrics.temperature_standard_error(np.tile(z, (4, 1)), 0.8) == pytest.approx(one / 2)
    assert metrics.temperature_standard_error(np.tile(z, (16, 1)), 0.8) == pytest.approx(one / 4)


def test_temperature_standard_error_matches_the_spread_of_the_estimate():
    rng = np.random.default_rng(3)
    z = rng.normal(0, 2, (200, 10))
    t = 0.7
    estimates = [metrics.fit_temperature(z, np.argmax(z / t + rng.gumbel(size=z.shape), axis=1), bounds=(0.05, 10))[0]
                 for _ in range(200)]
    se = metrics.temperature_standard_error(z, t)
    assert np.mean(estimates) == pytest.approx(t, abs=3 * se / math.sqrt(200) + 0.01)
    assert np.std(estimates) == pytest.approx(se, rel=0.2)


def test_temperature_standard_error_edge_cases():
    # equal logits: T changes nothing, so a sample says nothing about it
    assert metrics.temperature_standard_error(np.zeros((3, 4)), 1.0) == math.inf
    for bad in (0.0, float("inf"), -1.0, float("nan")):
        with pytest.raises(ValueError):
            metrics.temperature_standard_error(np.zeros((3, 4)), bad)
    with pytest.raises(ValueError, match="shape"):
        metrics.temperature_standard_error(np.zeros(4), 1.0)
