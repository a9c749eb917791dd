"""softmax_with_temperature, log_softmax, entropy and perplexity: unit and property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.softmax import (
    check_temperature,
    entropy,
    log_softmax,
    perplexity,
    softmax_with_temperature,
)

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
logit_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7),
    elements=finite,
)
temperatures = st.one_of(
    st.just(0.0),
    st.just(math.inf),
    st.floats(min_value=1e-3, max_value=1e3),
)


# --- contract: values ------------------------------------------------------------------------

def test_known_values():
    p = softmax_with_temperature([2.0, 1.0, 0.1], 1.0)
    e = np.exp([2.0, 1.0, 0.1])
    np.testing.assert_allclose(p, e / e.sum())


def test_temperature_divides_logits():
    z = np.array([2.0, 1.0, 0.1])
    np.testing.assert_allclose(softmax_with_temperature(z, 0.5), softmax_with_temperature(2 * z, 1.0))


def test_list_input_and_dtype():
    p = softmax_with_temperature([[1, 2], [3, 3]], 1.0)
    assert p.dtype == np.float64 and p.shape == (2, 2)
    np.testing.assert_allclose(p[1], [0.5, 0.5])


def test_zero_temperature_is_greedy_and_ties_share():
    np.testing.assert_array_equal(softmax_with_temperature([1.0, 3.0, 2.0], 0), [0, 1, 0])
    np.testing.assert_allclose(softmax_with_temperature([3.0, 1.0, 3.0], 0), [0.5, 0, 0.5])


def test_infinite_temperature_is_uniform_over_finite_logits():
    np.testing.assert_allclose(softmax_with_temperature([5.0, -np.inf, 1.0, 0.0], math.inf), [1 / 3, 0, 1 / 3, 1 / 3])


def test_minus_inf_logits_get_zero_at_every_temperature():
    z = [1.0, -np.inf, 0.5]
    for t in [0, 0.01, 1, 100, math.inf]:
        assert softmax_with_temperature(z, t)[1] == 0.0


@pytest.mark.parametrize("t", [1e-300, 1e-6, 1.0])
def test_no_overflow_at_extreme_logits(t):
    p = softmax_with_temperature([1e4, -1e4, 1e4 - 1], t)
    assert np.all(np.isfinite(p)) and math.isclose(p.sum(), 1.0)


def test_last_axis_of_batches():
    z = np.arange(24, dtype=float).reshape(2, 3, 4)
    p = softmax_with_temperature(z, 2.0)
    np.testing.assert_allclose(p.sum(axis=-1), np.ones((2, 3)))
    np.testing.assert_allclose(p[1, 2], softmax_with_temperature(z[1, 2], 2.0))


# --- contract: errors ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("temperature", "words"),
    [(-0.5, ">= 0"), (float("nan"), "NaN"), ("hot", "number"), (None, "number"), (True, "number")],
)
def test_bad_temperature_raises_with_explanation(temperature, words):
    with pytest.raises(ValueError, match=words):
        softmax_with_temperature([1.0, 2.0], temperature)


@pytest.mark.parametrize(
    ("logits", "words"),
    [
        ([1.0, float("nan")], "NaN"),
        ([-np.inf, -np.inf], "every logit is -inf"),
        ([[0.0, 1.0], [-np.inf, -np.inf]], "batch index"),
        ([1.0, np.inf], r"\+inf"),
        ([], "empty"),
        (3.0, "at least one axis"),
        (["a", "b"], "numbers"),
    ],
)
def test_bad_logits_raise_with_explanation(logits, words):
    with pytest.raises(ValueError, match=words):
        softmax_with_temperature(logits, 1.0)


def test_check_temperature_accepts_numpy_scalars():
    assert check_temperature(np.float32(0.5)) == 0.5
    assert check_temperature(np.int64(0)) == 0.0


# --- properties ------------------------------------------------------------------------------

@given(logit_arrays, temperatures)
def test_probabilities_are_a_distribution(z, t):
    p = softmax_with_temperature(z, t)
    assert p.shape == z.shape
    assert np.all(p >= 0) and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-9)


@given(logit_arrays, st.floats(min_value=1e-3, max_value=1e3), st.floats(min_value=-1e3, max_value=1e3))
def test_shift_invariance(z, t, c):
    np.testing.assert_allclose(softmax_with_temperature(z, t), softmax_with_temperature(z + c, t), atol=1e-9)


@given(hnp.arrays(np.float64, st.integers(2, 30), elements=finite), st.floats(min_value=1e-2, max_value=1e2))
def test_order_is_preserved(z, t):
    p = softmax_with_temperature(z, t)
    i, j = np.argmax(z), np.argmin(z)
    assert p[i] == p.max() and p[j] == p.min()
    # every strictly larger logit gets at least as much probability
    order = np.argsort(z, kind="stable")
    assert np.all(np.diff(p[order]) >= -1e-15)


@given(hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(-50, 50)))
def test_small_temperature_tends_to_greedy(z):
    top2 = np.sort(z)[-2:]
    assume(top2[1] - top2[0] > 1e-2)
    np.testing.assert_allclose(softmax_with_temperature(z, 1e-5), softmax_with_temperature(z, 0), atol=1e-12)


@given(hnp.arrays(np.float64, st.integers(1, 30), elements=finite))
def test_large_temperature_tends_to_uniform(z):
    np.testing.assert_allclose(softmax_with_temperature(z, 1e12), np.full(z.size, 1 / z.size), rtol=1e-6)


@given(
    hnp.arrays(np.float64, st.integers(2, 20), elements=st.floats(-20, 20)),
    st.floats(min_value=0.01, max_value=50),
    st.floats(min_value=1.0001, max_value=10),
)
def test_entropy_is_monotone_in_temperature(z, t, factor):
    h1 = entropy(softmax_with_temperature(z, t))
    h2 = entropy(softmax_with_temperature(z, t * factor))
    assert h2 >= h1 - 1e-9


@given(logit_arrays, st.floats(min_value=1e-2, max_value=1e2))
def test_log_softmax_matches_log_of_softmax(z, t):
    p = softmax_with_temperature(z, t)
    lp = log_softmax(z, t)
    mask = p > 1e-250
    np.testing.assert_allclose(lp[mask], np.log(p[mask]), rtol=1e-9, atol=1e-9)
    assert np.all(lp <= 1e-12)


def test_log_softmax_stays_finite_where_softmax_underflows():
    lp = log_softmax([0.0, -2000.0], 1.0)
    assert lp[1] == pytest.approx(-2000.0)
    np.testing.assert_array_equal(log_softmax([1.0, 0.0], 0), [0.0, -np.inf])


# --- entropy and perplexity --------------------------------------------------------------------

def test_entropy_known_values_and_units():
    assert entropy(np.full(4, 0.25), unit="bits") == pytest.approx(2.0)
    assert entropy(np.full(4, 0.25)) == pytest.approx(math.log(4))
    assert entropy([0.0, 1.0, 0.0]) == 0.0
    assert perplexity(np.full(65, 1 / 65)) == pytest.approx(65)
    assert perplexity([1.0, 0.0]) == pytest.approx(1.0)
    np.testing.assert_allclose(entropy([[0.5, 0.5], [1.0, 0.0]], unit="bits"), [1.0, 0.0])


@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-30, 30)))
def test_entropy_bounds_and_bits_nats(z):
    p = softmax_with_temperature(z, 1.0)
    h = entropy(p)
    assert -1e-12 <= h <= math.log(z.size) + 1e-9
    assert entropy(p, unit="bits") == pytest.approx(h / math.log(2))
    assert perplexity(p) == pytest.approx(math.exp(h))


@pytest.mark.parametrize("probs", [[0.5, 0.6], [-0.1, 1.1], [np.nan, 1.0], [2.0, 3.0]])
def test_entropy_rejects_non_distributions(probs):
    with pytest.raises(ValueError, match="probs"):
        entropy(probs)


def test_entropy_rejects_unknown_unit():
    with pytest.raises(ValueError, match="bits"):
        entropy([1.0], unit="dits")


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 7)), elements=st.one_of(finite, st.just(-math.inf))),
    st.lists(temperatures, min_size=6, max_size=6),
)
def test_one_temperature_per_row_gives_each_row_its_own_softmax_exactly(z, ts):
    """The per-row softmax that truncation uses (helpers.sampling) is this module's, bit for bit."""
    from helpers.softmax import _softmax_checked

    assume(np.isfinite(z).any(axis=1).all())
    t = np.array(ts[: len(z)])[:, None]
    rows = _softmax_checked(z, t)
    for i in range(len(z)):
        np.testing.assert_array_equal(rows[i], softmax_with_temperature(z[i], t[i, 0]))
