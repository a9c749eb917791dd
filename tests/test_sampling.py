"""Samplers: greedy, inverse CDF, Gumbel-max, common random numbers, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import sampling
from helpers.metrics import chi_square_test
from helpers.softmax import softmax_with_temperature

LOGITS = np.array([2.0, 1.0, 0.5, 0.0, -1.0, -3.0])


def test_greedy_is_argmax_with_lowest_index_on_ties():
    assert sampling.greedy([0.1, 3.0, 3.0, -1.0]) == 1


def test_inverse_cdf_boundaries():
    p = [0.2, 0.5, 0.3]
    got = sampling.sample_inverse_cdf(p, np.array([0.0, 0.1999, 0.2, 0.6999, 0.7, 0.9999]))
    np.testing.assert_array_equal(got, [0, 0, 1, 1, 2, 2])
    assert isinstance(sampling.sample_inverse_cdf(p, 0.5), int)


@given(
    hnp.arrays(np.float64, st.integers(1, 12), elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.0])),
    st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_inverse_cdf_never_picks_zero_probability(weights, u):
    if weights.sum() == 0:
        weights[-1] = 1.0
    p = weights / weights.sum()
    i = sampling.sample_inverse_cdf(p, u)
    assert 0 <= i < p.size and p[i] > 0


@pytest.mark.parametrize("u", [-0.1, 1.0, float("nan")])
def test_inverse_cdf_rejects_bad_uniforms(u):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        sampling.sample_inverse_cdf([0.5, 0.5], u)


@pytest.mark.parametrize("probs", [[0.5, 0.6], [1.0, -0.0001, 0.0001], [[0.5, 0.5]]])
def test_inverse_cdf_rejects_non_distributions(probs):
    with pytest.raises(ValueError, match="probs"):
        sampling.sample_inverse_cdf(probs, 0.5)


@pytest.mark.parametrize("t", [0.5, 1.0, 2.0])
def test_multinomial_frequencies_pass_chi_square(t):
    p = softmax_with_temperature(LOGITS, t)
    counts = sampling.draw_counts(p, 20_000, seed=123)
    assert counts.sum() == 20_000
    assert chi_square_test(counts, p).p_value > 1e-4


@pytest.mark.parametrize("t", [0.5, 1.0, 2.0])
def test_gumbel_max_frequencies_pass_chi_square(t):
    noise = sampling.gumbel_noise(7, (20_000, LOGITS.size))
    draws = [sampling.sample_gumbel_max(LOGITS, t, g) for g in noise]
    counts = np.bincount(draws, minlength=LOGITS.size)
    assert chi_square_test(counts, softmax_with_temperature(LOGITS, t)).p_value > 1e-4


def test_chi_square_detects_the_wrong_temperature():
    """The frequency tests above could fail: draws at T = 1 are rejected as draws at T = 1.3."""
    counts = sampling.draw_counts(softmax_with_temperature(LOGITS, 1.0), 20_000, seed=123)
    assert chi_square_test(counts, softmax_with_temperature(LOGITS, 1.3)).p_value < 1e-6


def test_chi_square_draw_in_impossible_bin_is_rejected():
    assert chi_square_test([5, 1], [1.0, 0.0]).p_value == 0.0


def test_gumbel_limits():
    g = sampling.gumbel_noise(0, LOGITS.size)
    assert sampling.sample_gumbel_max(LOGITS, 0, g) == 0
    z = np.array([5.0, -np.inf, 0.0])
    g2 = np.array([0.0, 100.0, 1.0])
    assert sampling.sample_gumbel_max(z, math.inf, g2) == 2  # -inf stays forbidden


def test_gumbel_noise_is_standard_gumbel():
    g = sampling.gumbel_noise(1, 200_000)
    assert g.mean() == pytest.approx(np.euler_gamma, abs=0.01)
    assert g.var() == pytest.approx(math.pi**2 / 6, abs=0.03)


def test_gumbel_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match="same shape"):
        sampling.sample_gumbel_max(LOGITS, 1.0, np.zeros(3))


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_samplers_reject_bad_temperatures(bad):
    with pytest.raises(ValueError, match="temperature"):
        sampling.sample(LOGITS, bad, seed=0)
    with pytest.raises(ValueError, match="temperature"):
        sampling.sample_gumbel_max(LOGITS, bad, np.zeros(LOGITS.size))


def test_sample_at_zero_is_greedy_and_seeded_draws_repeat():
    assert all(sampling.sample(LOGITS, 0.0, seed=s) == 0 for s in range(20))
    a = [sampling.sample(LOGITS, 1.0, np.random.default_rng(5)) for _ in range(3)]
    rng1, rng2 = np.random.default_rng(9), np.random.default_rng(9)
    assert [sampling.sample(LOGITS, 1.0, rng1) for _ in range(50)] == [
        sampling.sample(LOGITS, 1.0, rng2) for _ in range(50)
    ]
    assert len(set(a)) == 1  # a fresh generator with the same seed gives the same first draw


def test_samplers_do_not_touch_global_random_state():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    sampling.sample(LOGITS, 1.0, seed=3)
    sampling.gumbel_noise(3, 10)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("seed", [None, -1, 1.5, "0", True])
def test_as_generator_requires_a_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        sampling.as_generator(seed)


def test_common_random_numbers_start_greedy_and_change_rarely():
    grid = np.linspace(0, 3, 61)
    changes = []
    for seed in range(50):
        choices = sampling.choices_across_temperatures(LOGITS, grid, sampling.gumbel_noise(seed, LOGITS.size))
        assert choices[0] == 0
        changes.append(np.count_nonzero(np.diff(choices)))
    assert np.mean(changes) < 5


def test_draw_counts_rejects_bad_n():
    with pytest.raises(ValueError, match="n must be"):
        sampling.draw_counts([1.0], -1, seed=0)


# --- one place turns logits into choices (issue 18) ------------------------------------------

rows_of_logits = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
    elements=st.one_of(st.floats(-30, 30), st.just(-math.inf)),
).filter(lambda z: np.isfinite(z).any(axis=1).all())  # every row keeps a token
some_temperatures = st.one_of(st.just(0.0), st.just(math.inf), st.floats(0.01, 10.0))


@given(rows_of_logits, st.lists(some_temperatures, min_size=5, max_size=5), st.integers(0, 2**32 - 1))
def test_one_row_many_rows_and_one_temperature_per_row_choose_alike(z, ts, seed):
    """sample_gumbel_max, gumbel_max_rows with one T, and with one T per row: the same choices,
    T = 0 (greedy) and T = inf (uniform over the finite logits) included, -inf never chosen."""
    noise = sampling.gumbel_noise(seed, z.shape)
    ts = np.array(ts[: len(z)])
    per_row = sampling.gumbel_max_rows(z, ts, noise)
    for i, t in enumerate(ts):
        one = sampling.sample_gumbel_max(z[i], t, noise[i])
        assert one == per_row[i] == sampling.gumbel_max_rows(z, t, noise)[i]
        assert np.isfinite(z[i, one])
        if t == 0:
            assert one == np.argmax(z[i])


def test_uniform_rows_never_choose_a_forbidden_token_without_truncation():
    z = np.array([[5.0, -np.inf, 0.0], [-np.inf, 1.0, 2.0]])
    noise = np.array([[0.0, 100.0, 1.0], [100.0, 0.0, 1.0]])
    assert sampling.gumbel_max_rows(z, math.inf, noise).tolist() == [2, 2]
    assert sampling.gumbel_max_rows(z, np.array([math.inf, math.inf]), noise).tolist() == [2, 2]
