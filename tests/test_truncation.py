"""Truncation: top-k, top-p (nucleus), min-p, and the order of temperature and truncation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import sampling
from helpers.softmax import softmax_with_temperature

LOGITS = np.array([2.0, 1.0, 0.5, 0.0, -1.0, -3.0])

# Logit vectors with a few exact ties and some forbidden (-inf) tokens, at least one finite.
logit_rows = hnp.arrays(
    np.float64,
    st.integers(1, 12),
    elements=st.one_of(st.floats(-8, 8, allow_nan=False, width=32), st.sampled_from([0.0, 1.0, -np.inf])),
).filter(lambda z: np.isfinite(z).any())
temperatures = st.one_of(st.sampled_from([0.0, 1.0, math.inf]), st.floats(0.05, 5.0))


def kept(z: np.ndarray) -> np.ndarray:
    return np.isfinite(z)


# -- known answers --------------------------------------------------------------------------------


def test_known_answers_on_a_small_distribution():
    p = softmax_with_temperature(LOGITS)  # 0.557, 0.205, 0.124, 0.075, 0.028, 0.004
    np.testing.assert_array_equal(kept(sampling.top_k(LOGITS, 2)), [1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(kept(sampling.top_p(LOGITS, 0.5)), [1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(kept(sampling.top_p(LOGITS, 0.7)), [1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(kept(sampling.top_p(LOGITS, 0.8)), [1, 1, 1, 0, 0, 0])
    assert p[:2].sum() < 0.8 <= p[:3].sum()
    # min-p 0.2 keeps p_i >= 0.2 * 0.557 = 0.111: three tokens.
    np.testing.assert_array_equal(kept(sampling.min_p(LOGITS, 0.2)), [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(sampling.top_k(LOGITS, 2)[:2], LOGITS[:2])  # survivors unchanged


def test_order_matters_for_top_p_but_not_for_top_k():
    # T = 2 flattens the distribution: the nucleus of 0.8 grows from 3 tokens to 4 when T comes first.
    first = sampling.truncation_mask(LOGITS, 2.0, top_p=0.8)
    last = sampling.truncation_mask(LOGITS, 2.0, top_p=0.8, temperature_last=True)
    assert first.sum() == 4 and last.sum() == 3
    # T = 0.5 sharpens it: fewer survive when T comes first.
    assert sampling.truncation_mask(LOGITS, 0.5, top_p=0.8).sum() == 1
    for t in (0.3, 1.0, 2.0, 10.0):
        np.testing.assert_array_equal(
            sampling.truncation_mask(LOGITS, t, top_k=3),
            sampling.truncation_mask(LOGITS, t, top_k=3, temperature_last=True),
        )


def test_truncated_softmax_renormalises_the_survivors():
    p = sampling.truncated_softmax(LOGITS, 1.0, top_k=2)
    full = softmax_with_temperature(LOGITS)
    np.testing.assert_allclose(p[:2], full[:2] / full[:2].sum())
    assert (p[2:] == 0).all()


def test_limits_of_temperature_with_truncation():
    # T = 0: only the top token, whatever the filters (temperature first or last).
    for last in (False, True):
        p = sampling.truncated_softmax(LOGITS, 0.0, top_k=4, top_p=0.9, min_p=0.01, temperature_last=last)
        np.testing.assert_array_equal(p, [1, 0, 0, 0, 0, 0])
    # T = inf, temperature last: uniform over what the model's own distribution let through.
    p = sampling.truncated_softmax(LOGITS, math.inf, top_p=0.8, temperature_last=True)
    np.testing.assert_allclose(p, [1 / 3] * 3 + [0] * 3)
    # T = inf, temperature first: everything is equally likely, so min-p keeps all and top-p keeps
    # ceil(p * V) tokens in the order of the logits (the limit of large T).
    assert sampling.truncation_mask(LOGITS, math.inf, min_p=0.5).all()
    np.testing.assert_array_equal(sampling.truncation_mask(LOGITS, math.inf, top_p=0.5), [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(sampling.truncation_mask(LOGITS, 1e6, top_p=0.5), [1, 1, 1, 0, 0, 0])


def test_batches_work_row_by_row():
    z = np.stack([LOGITS, LOGITS[::-1], np.zeros(6)])
    got = sampling.top_k(z, 2)
    for row_in, row_out in zip(z, got):
        np.testing.assert_array_equal(row_out, sampling.top_k(row_in, 2))
    per_row = sampling.Truncation(top_p=0.8).mask(z, np.array([[0.5], [1.0], [2.0]]))
    for row, t, m in zip(z, (0.5, 1.0, 2.0), per_row):
        np.testing.assert_array_equal(m, sampling.truncation_mask(row, t, top_p=0.8))


def test_top_k_ties_go_to_the_lower_index():
    np.testing.assert_array_equal(kept(sampling.top_k([1.0, 3.0, 1.0, 1.0], 2)), [1, 1, 0, 0])
    # fewer finite tokens than k: all finite ones kept, forbidden ones stay forbidden
    np.testing.assert_array_equal(kept(sampling.top_k([1.0, -np.inf, 0.0], 5)), [1, 0, 1])


def test_describe():
    assert sampling.Truncation().describe() == "no truncation"
    assert sampling.Truncation(top_k=40, min_p=0.05, temperature_last=True).describe() == (
        "top-k 40, min-p 0.05, temperature last"
    )
    assert not sampling.Truncation(top_p=1.0, min_p=0.0).active


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sampling.top_k(LOGITS, 0), "Use None to switch top-k off"),
        (lambda: sampling.top_k(LOGITS, 2.5), "whole number"),
        (lambda: sampling.top_k(LOGITS, True), "whole number"),
        (lambda: sampling.top_k(LOGITS, -3), ">= 1"),
        (lambda: sampling.top_p(LOGITS, 0.0), r"in \(0, 1\]"),
        (lambda: sampling.top_p(LOGITS, 1.5), r"in \(0, 1\]"),
        (lambda: sampling.top_p(LOGITS, math.nan), "NaN"),
        (lambda: sampling.top_p(LOGITS, "0.9"), "must be a number"),
        (lambda: sampling.min_p(LOGITS, 1.0), "nearly greedy"),
        (lambda: sampling.min_p(LOGITS, -0.1), r"in \[0, 1\)"),
        (lambda: sampling.min_p(LOGITS, math.nan), "NaN"),
        (lambda: sampling.truncated_softmax(LOGITS, -1.0, top_k=2), "temperature must be >= 0"),
        (lambda: sampling.truncated_softmax(LOGITS, math.nan, top_k=2), "NaN"),
        (lambda: sampling.top_k([math.nan, 1.0], 1), "NaN"),
        (lambda: sampling.Truncation(temperature_last="yes"), "True or False"),
        (lambda: sampling.truncated_softmax(LOGITS, 1.0, topk=2), "unknown knob"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- properties -----------------------------------------------------------------------------------


@given(logit_rows, temperatures, st.integers(1, 15), st.floats(0.01, 1.0), st.floats(0.0, 0.99), st.booleans())
def test_result_is_a_distribution_that_keeps_the_top_token(z, t, k, p, m, last):
    probs = sampling.truncated_softmax(z, t, top_k=k, top_p=p, min_p=m, temperature_last=last)
    assert probs.sum() == pytest.approx(1.0)
    assert (probs >= 0).all()
    assert probs[int(np.argmax(z))] > 0  # the most likely token survives every filter
    assert (probs[~np.isfinite(z)] == 0).all()


@given(logit_rows, st.integers(1, 15))
def test_top_k_keeps_exactly_k(z, k):
    out = sampling.top_k(z, k)
    finite = np.isfinite(z)
    assert kept(out).sum() == min(k, finite.sum())
    # every kept logit is >= every cut finite logit
    cut = finite & ~kept(out)
    if cut.any():
        assert out[kept(out)].min() >= z[cut].max()
    np.testing.assert_array_equal(out[kept(out)], z[kept(out)])


@given(logit_rows, st.floats(0.01, 1.0))
def test_top_p_keeps_the_smallest_prefix_reaching_p(z, p):
    probs = softmax_with_temperature(z)
    keep = kept(sampling.top_p(z, p))
    order = np.argsort(-z, kind="stable")
    ranked_keep = keep[order]
    m = int(ranked_keep.sum())
    assert ranked_keep[:m].all() and not ranked_keep[m:].any()  # a prefix of the ranking
    mass = probs[order].cumsum()
    assert mass[m - 1] >= p - 1e-12 or m == np.isfinite(z).sum()  # reaches p (or keeps all)
    if m > 1:
        assert mass[m - 2] < p + 1e-12  # one token fewer would not


@given(logit_rows, st.floats(0.0, 0.99))
def test_min_p_keeps_what_is_at_least_min_p_times_the_max(z, m):
    probs = softmax_with_temperature(z)
    keep = kept(sampling.min_p(z, m))
    ratio = probs / probs.max()
    assume(not np.any(np.isclose(ratio[probs > 0], m, rtol=1e-9, atol=0)))  # no rounding-edge cases
    np.testing.assert_array_equal(keep, (ratio >= m) & np.isfinite(z))


@given(logit_rows, st.floats(0.05, 5.0), st.integers(1, 15), st.floats(0.01, 1.0), st.floats(0.0, 0.99))
def test_temperature_last_means_t_does_not_change_who_survives(z, t, k, p, m):
    a = sampling.truncation_mask(z, t, top_k=k, top_p=p, min_p=m, temperature_last=True)
    b = sampling.truncation_mask(z, 1.0, top_k=k, top_p=p, min_p=m)
    np.testing.assert_array_equal(a, b)


@given(logit_rows, st.floats(0.05, 5.0), st.integers(1, 15), st.floats(0.01, 1.0), st.floats(0.0, 0.99))
def test_temperature_first_equals_filtering_the_divided_logits(z, t, k, p, m):
    a = sampling.truncation_mask(z, t, top_k=k, top_p=p, min_p=m)
    b = sampling.truncation_mask(z / t, 1.0, top_k=k, top_p=p, min_p=m)
    # min-p compares z_i - z_max with T log m in one case and (z_i - z_max)/T with log m in the other
    probs = softmax_with_temperature(z, t)
    assume(not np.any(np.isclose(probs[probs > 0] / probs.max(), m, rtol=1e-9, atol=0)))
    cum = np.sort(probs)[::-1].cumsum()
    assume(not np.any(np.isclose(cum, p, rtol=1e-9, atol=1e-12)))
    np.testing.assert_array_equal(a, b)


@given(logit_rows, st.floats(0.01, 1.0), st.floats(0.05, 5.0), st.integers(0, 2**31))
def test_gumbel_max_on_truncated_logits_never_picks_a_cut_token(z, p, t, seed):
    out = sampling.truncate(z, t, top_p=p)
    noise = sampling.gumbel_noise(seed, z.shape)
    assert np.isfinite(out[sampling.sample_gumbel_max(out, t, noise)])


@given(logit_rows, temperatures, st.integers(1, 15), st.floats(0.01, 1.0), st.floats(0.0, 0.99), st.booleans())
def test_probabilities_in_give_the_same_as_logits_in(z, t, k, p, m, last):
    probs = softmax_with_temperature(z)
    assume(np.all(probs[np.isfinite(z)] > 1e-300))  # a probability that underflowed to 0 cannot be recovered
    finite = np.isfinite(z)  # logits 1e-38 apart are one probability: the ranking is lost (a tie)
    assume(np.unique(probs[finite]).size == np.unique(z[finite]).size)
    knobs = dict(top_k=k, top_p=p, min_p=m, temperature_last=last)
    got = sampling.truncated_probs(probs, t, **knobs)
    want = sampling.truncated_softmax(z, t, **knobs)
    # the two may differ where a cumulative sum or a ratio sits on a boundary up to rounding
    ratio = probs / probs.max()
    assume(not np.any(np.isclose(ratio[probs > 0], m, rtol=1e-9, atol=0)))
    tempered = softmax_with_temperature(z, 1.0 if last else t)
    cum = np.sort(tempered)[::-1].cumsum()
    assume(not np.any(np.isclose(cum, p, rtol=1e-9, atol=1e-12)))
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_probabilities_are_checked():
    with pytest.raises(ValueError, match="sum to 1"):
        sampling.truncated_probs([0.5, 0.7], 1.0, top_k=1)
    np.testing.assert_allclose(sampling.truncated_probs([0.5, 0.3, 0.2, 0.0], 1.0, top_p=0.7), [0.625, 0.375, 0, 0])
