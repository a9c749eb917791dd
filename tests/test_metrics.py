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
