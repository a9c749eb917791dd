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


# Lesson 5's capstone: how precisely a sample pins down its temperature --------------------------

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
