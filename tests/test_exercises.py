"""The exercise checkers accept right answers, reject stubs, and name the usual mistakes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import helpers.exercises as check
from helpers import sampling, softmax


def stub(*args):
    raise NotImplementedError()


# --- reference answers pass --------------------------------------------------------------------

def good_softmax(z, t):
    return softmax.softmax_with_temperature(z, t)


def good_gains(z, t):
    return softmax.softmax_with_temperature(z, t * 1.001) > softmax.softmax_with_temperature(z, t)


def good_temperature(z, target):
    lo, hi = 1e-3, 1e3
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if softmax.perplexity(softmax.softmax_with_temperature(z, mid)) < target else (lo, mid)
    return mid


def good_chi_square(counts, p):
    expected = np.sum(counts) * np.asarray(p)
    return float(np.sum((np.asarray(counts) - expected) ** 2 / expected))


def good_sample_steps(step_logits, temperatures, seed):
    rows = []
    for t in temperatures:
        rng = np.random.default_rng(seed)  # afresh for each temperature: common random numbers
        rows.append([sampling.sample(z, t, rng) for z in step_logits])
    return np.array(rows)


def good_first_change(z, g, grid):
    greedy = int(np.argmax(z))
    return next((float(t) for t in grid if sampling.sample_gumbel_max(z, t, g) != greedy), None)


PAIRS = [
    (check.softmax_with_temperature, good_softmax),
    (check.gains_when_heated, good_gains),
    (check.temperature_for_perplexity, good_temperature),
    (check.chi_square_statistic, good_chi_square),
    (check.sample_steps, good_sample_steps),
    (check.first_change_temperature, good_first_change),
]


@pytest.mark.parametrize(("checker", "answer"), PAIRS, ids=lambda f: f.__name__)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    assert capsys.readouterr().out.startswith("✅ Correct!")


@pytest.mark.parametrize(("checker", "answer"), PAIRS, ids=lambda f: f.__name__)
def test_stub_is_rejected_with_a_reminder(checker, answer):
    with pytest.raises(check.ExerciseFailed, match="not written yet"):
        checker(stub)


# --- the usual mistakes get specific hints ----------------------------------------------------

def _softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SOFTMAX_MISTAKES = {
    "divides probabilities": (lambda z, t: _softmax(z) / t / (_softmax(z) / t).sum(), "Dividing the \\*probabilities\\*"),
    "divides output, no renormalising": (lambda z, t: _softmax(z) / t, "divided the softmax output by T"),
    "power T (fastai #1264)": (lambda z, t: _softmax(z) ** t / (_softmax(z) ** t).sum(), "the wrong way round"),
    "no max subtraction": (lambda z, t: np.exp(np.asarray(z) / t) / np.exp(np.asarray(z) / t).sum(axis=-1, keepdims=True), "subtract the largest logit"),
    "wrong axis": (lambda z, t: _softmax(np.asarray(z) / t, axis=0), "each \\*row\\* must sum to 1"),
    "T = 0 divides by zero": (lambda z, t: _softmax(np.asarray(z) / t), "T = 0"),
}


def test_softmax_t0_zero_division_hint():
    def python_division(z, t):
        if t == 0:
            raise ZeroDivisionError("float division by zero")
        return softmax.softmax_with_temperature(z, t)

    with pytest.raises(check.ExerciseFailed, match="ZeroDivisionError"):
        check.softmax_with_temperature(python_division)


def _tempered(z, t):
    return softmax.softmax_with_temperature(z, t)


GAINS_MISTAKES = {
    "every character but the favourite": (lambda z, t: (lambda p: p < p.max())(_tempered(z, t)), "except the most likely one"),
    "below the uniform 1/V": (lambda z, t: _tempered(z, t) < 1 / len(z), "below the uniform probability"),
    "compared with T = infinity": (lambda z, t: _tempered(z, np.inf) > _tempered(z, t), "below the uniform probability"),
    "compared with 2T": (lambda z, t: _tempered(z, 2 * t) > _tempered(z, t), "much higher temperature"),
    "compared with T + 1": (lambda z, t: _tempered(z, t + 1) > _tempered(z, t), "much higher temperature"),
    "T falls instead": (lambda z, t: _tempered(z, t / 1.001) > _tempered(z, t), "gain when T \\*falls\\*"),
    "indices, not a mask": (lambda z, t: np.flatnonzero(good_gains(z, t)), "shape"),
    "differences, not True/False": (lambda z, t: _tempered(z, 1.001 * t) - _tempered(z, t), "True or False"),
}


def test_gains_cases_are_far_from_the_threshold_and_the_rule_is_one_over_perplexity():
    """The checker's answer is p_i < 1/perplexity; a finite step or the exact rule both pass."""
    check.gains_when_heated(lambda z, t: (lambda p: p < 1 / softmax.perplexity(p))(_tempered(z, t)))
    check.gains_when_heated(lambda z, t: _tempered(z, t * 1.05) > _tempered(z, t))
    check.gains_when_heated(lambda z, t: _tempered(z, t + 1e-6) > _tempered(z, t))


def _expected_counts(c, p):
    return np.sum(c) * np.asarray(p)


CHI_SQUARE_MISTAKES = {
    "counts against probabilities": (lambda c, p: float(np.sum((c - p) ** 2 / p)), "compared the counts with the probabilities"),
    "frequencies": (lambda c, p: float(np.sum((c / c.sum() - p) ** 2 / p)), "times too small"),
    "divided by observed": (lambda c, p: float(np.sum((c - _expected_counts(c, p)) ** 2 / c)), "divided by the observed"),
    "not squared": (lambda c, p: float(np.sum((c - _expected_counts(c, p)) / _expected_counts(c, p))), "without squaring"),
    "absolute differences": (lambda c, p: float(np.sum(np.abs(c - _expected_counts(c, p)) / _expected_counts(c, p))), "squares the differences"),
    "not divided": (lambda c, p: float(np.sum((c - _expected_counts(c, p)) ** 2)), "forgot to divide"),
    "a list": (lambda c, p: ((c - _expected_counts(c, p)) ** 2 / _expected_counts(c, p)).tolist(), "one number"),
}


def test_chi_square_checker_agrees_with_scipy(capsys):
    from scipy import stats

    check.chi_square_statistic(lambda c, p: float(stats.chisquare(c, np.sum(c) * np.asarray(p)).statistic))
    assert capsys.readouterr().out.startswith("✅ Correct!")


def _sample_rows(step_logits, temperatures, row_rng, step_rng):
    rows = []
    for t in temperatures:
        r = row_rng()
        rows.append([sampling.sample(z, t, step_rng(r, s)) for s, z in enumerate(step_logits)])
    return np.array(rows)


def _one_generator_for_all(step_logits, temperatures, seed):
    rng = np.random.default_rng(seed)
    return _sample_rows(step_logits, temperatures, lambda: rng, lambda r, s: r)


SAMPLE_STEPS_MISTAKES = {
    "the int seed at every step": (
        lambda zs, ts, seed: _sample_rows(zs, ts, lambda: None, lambda r, s: seed), "every step got the same random number"),
    "a new generator at every step": (
        lambda zs, ts, seed: _sample_rows(zs, ts, lambda: None, lambda r, s: np.random.default_rng(seed)), "restarts the stream"),
    "one generator for all temperatures": (_one_generator_for_all, "one generator for all"),
    "seed + step": (lambda zs, ts, seed: _sample_rows(zs, ts, lambda: None, lambda r, s: seed + s), "overlap"),
    "unseeded": (lambda zs, ts, seed: _sample_rows(zs, ts, np.random.default_rng, lambda r, s: r), "not reproducible"),
    "one row per step": (lambda zs, ts, seed: good_sample_steps(zs, ts, seed).T, "transpose"),
    "temperature ignored": (lambda zs, ts, seed: good_sample_steps(zs, [1.0] * len(ts), seed), "expected"),
}


def test_sample_steps_accepts_one_vectorised_draw_per_row(capsys):
    """rng.random(S) gives the same numbers as S calls of rng.random(), so this is the same answer."""
    def vectorised(step_logits, temperatures, seed):
        rows = []
        for t in temperatures:
            u = np.random.default_rng(seed).random(len(step_logits))
            rows.append([sampling.sample_inverse_cdf(softmax.softmax_with_temperature(z, t), x) for z, x in zip(step_logits, u)])
        return np.array(rows)

    check.sample_steps(vectorised)
    assert capsys.readouterr().out.startswith("✅ Correct!")


# Every mistake of a catalogue reaches its hint: (checker, {name: (wrong implementation, hint regex)}).
CATALOGUES = [
    (check.softmax_with_temperature, SOFTMAX_MISTAKES),
    (check.gains_when_heated, GAINS_MISTAKES),
    (check.chi_square_statistic, CHI_SQUARE_MISTAKES),
    (check.sample_steps, SAMPLE_STEPS_MISTAKES),
]


@pytest.mark.parametrize(
    "checker, fn, hint",
    [pytest.param(checker, *mistakes[name], id=f"{checker.__name__}: {name}")
     for checker, mistakes in CATALOGUES for name in mistakes],
)
def test_each_catalogued_mistake_gets_its_hint(checker, fn, hint):
    with pytest.raises(check.ExerciseFailed, match=hint):
        checker(fn)


def test_temperature_hint_says_which_way():
    with pytest.raises(check.ExerciseFailed, match="too high: lower T"):
        check.temperature_for_perplexity(lambda z, target: 100.0)
    with pytest.raises(check.ExerciseFailed, match="too low: raise T"):
        check.temperature_for_perplexity(lambda z, target: 0.01)


def test_first_change_rejects_fresh_noise_answer():
    def always_first(z, g, grid):
        return float(grid[1])

    with pytest.raises(check.ExerciseFailed, match="same\\* noise|answer is None"):
        check.first_change_temperature(always_first)


# --- lesson 4 ----------------------------------------------------------------------------------

def _sig(x):
    return 1 / (1 + np.exp(-x))


def make_lstm_step(order="ifgo", tanh_c=True, input_gate=True, g_fn=np.tanh, both_biases=True):
    def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
        gates = w_ih @ x + w_hh @ h + b_ih + (b_hh if both_biases else 0)
        blocks = dict(zip(order, np.split(gates, 4)))
        c_new = _sig(blocks["f"]) * c + (_sig(blocks["i"]) if input_gate else 1) * g_fn(blocks["g"])
        return _sig(blocks["o"]) * (np.tanh(c_new) if tanh_c else c_new), c_new

    return lstm_step


def test_lstm_step_checker_accepts_the_right_step(capsys):
    check.lstm_step(make_lstm_step())
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, hint",
    [
        ({"order": "ifog"}, "order i, f, g, o"),
        ({"tanh_c": False}, r"o · tanh\(c_new\)"),
        ({"input_gate": False}, "input gate"),
        ({"g_fn": _sig}, "candidate g uses tanh"),
        ({"both_biases": False}, "two bias vectors"),
    ],
)
def test_lstm_step_mistakes_get_hints(kwargs, hint):
    with pytest.raises(check.ExerciseFailed, match=hint):
        check.lstm_step(make_lstm_step(**kwargs))
    with pytest.raises(check.ExerciseFailed, match="not written yet"):
        check.lstm_step(stub)


def good_temper(p, t):
    return softmax.softmax_with_temperature(np.log(p), t)


@pytest.mark.parametrize(
    "fn, hint",
    [
        (good_temper, None),
        (lambda p, t: p / t / (p / t).sum() if t else np.eye(len(p))[np.argmax(p)], "changes nothing"),
        (lambda p, t: p**t / (p**t).sum() if t else np.eye(len(p))[np.argmax(p)], "fastai #1264"),
        (lambda p, t: p ** (1 / t) / (p ** (1 / t)).sum() if t else np.eye(len(p))[np.argmax(p)], "log space"),
        (lambda p, t: p ** (1 / t) / (p ** (1 / t)).sum(), "ZeroDivisionError|T = 0"),
        (stub, "not written yet"),
    ],
)
def test_temper_probabilities_checker(fn, hint, capsys):
    if hint is None:
        check.temper_probabilities(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.temper_probabilities(fn)


def good_rows(z, ts):
    return np.stack([softmax.softmax_with_temperature(z, t) for t in ts])


def naive_rows(z, ts):
    s = z[None, :] / ts[:, None]
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "fn, hint",
    [
        (good_rows, None),
        (naive_rows, "T = 0 row"),
        (lambda z, ts: naive_rows(z, ts).T, "expected shape"),
        (lambda z, ts: good_rows(z, ts) * np.array([1, 1, 1.1, 1, 1])[:, None], "rows at T = \\[1.0\\]"),
        (stub, "not written yet"),
    ],
)
def test_tempered_rows_checker(fn, hint, capsys):
    if hint is None:
        check.tempered_rows(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.tempered_rows(fn)


# --- lesson 5 ----------------------------------------------------------------------------------

from helpers import metrics  # noqa: E402


def _bootstrap_rho(x, y, n_boot=1000, seed=0, corr="spearman", pairs="together", percentiles=(2.5, 97.5)):
    """A bootstrap interval of a correlation, right (the defaults) or with one of the usual mistakes."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    n = len(x)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, n, n)
        j = {"together": i, "apart": rng.integers(0, n, n), "only y": np.arange(n)}[pairs]
        xs, ys = x[j] if pairs == "only y" else x[i], y[i] if pairs == "only y" else y[j]
        boots.append(stats.spearmanr(xs, ys).statistic if corr == "spearman" else np.corrcoef(xs, ys)[0, 1])
    return tuple(np.percentile(boots, percentiles))


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_bootstrap_rho, None),
        (lambda x, y: metrics.spearman_with_ci(x, y)[1:], None),
        (lambda x, y: _bootstrap_rho(x, y, corr="pearson"), "Pearson's r"),
        (lambda x, y: _bootstrap_rho(x, y, pairs="apart"), "the pairs were broken"),
        (lambda x, y: _bootstrap_rho(x, y, pairs="only y"), "the pairs were broken"),
        (lambda x, y: metrics.spearman_with_ci(x, y), "three numbers"),
        (lambda x, y: _bootstrap_rho(x, y, percentiles=(25, 75)), "much narrower"),
        (lambda x, y: _bootstrap_rho(x, y, percentiles=(0, 100))[::-1], "low > high"),
        (lambda x, y: 0.5, "two numbers"),
        (stub, "not written yet"),
    ],
)
def test_spearman_interval_checker(fn, hint, capsys):
    if hint is None:
        check.spearman_interval(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.spearman_interval(fn)


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda text, vocab: np.mean([w not in vocab for w in metrics.words(text)]), None),
        (lambda text, vocab: np.mean([w not in vocab for w in re.findall(r"[A-Za-z']+", text)]), "lower-case the text first"),
        (lambda text, vocab: np.mean([w not in vocab for w in text.lower().split()]), "punctuation attached"),
        (lambda text, vocab: np.mean([w not in vocab for w in text.split()]), "capitals and punctuation both"),
        (lambda text, vocab: sum(w not in vocab for w in metrics.words(text)), "number of invented words"),
        (lambda text, vocab: np.mean([w in vocab for w in metrics.words(text)]), "expected 0.1111"),
        (stub, "not written yet"),
    ],
)
def test_invented_word_rate_checker(fn, hint, capsys):
    if hint is None:
        check.invented_word_rate(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.invented_word_rate(fn)


def good_crossing(ts, values, threshold):
    above = np.flatnonzero(values >= threshold)
    if above.size == 0:
        return None
    k = above[0]
    if k == 0:
        return float(ts[0])
    return float(ts[k - 1] + (ts[k] - ts[k - 1]) * (threshold - values[k - 1]) / (values[k] - values[k - 1]))


@pytest.mark.parametrize(
    "fn, hint",
    [
        (good_crossing, None),
        (metrics.first_crossing, None),
        (lambda ts, v, th: float(ts[np.argmax(v >= th)]) if np.any(v >= th) else None, "interpolate"),
        (lambda ts, v, th: good_crossing(ts, v, th) if np.any(v >= th) else float(ts[-1]), "return None"),
        (stub, "not written yet"),
    ],
)
def test_crossing_temperature_checker(fn, hint, capsys):
    if hint is None:
        check.crossing_temperature(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.crossing_temperature(fn)


# Lesson 5b: how long a sample must be ---------------------------------------------------------

def _characters_needed(se, n, target):
    return n * (se / target) ** 2


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_characters_needed, None),
        (lambda se, n, target: int(np.ceil(_characters_needed(se, n, target))), None),  # rounded up: fine
        (lambda se, n, target: n * se / target, "like 1/N. It shrinks like 1/sqrt"),  # the usual mistake
        (lambda se, n, target: n * (target / se) ** 2, "upside down"),
        (lambda se, n, target: n * target / se, "upside down"),
        (lambda se, n, target: n * np.sqrt(se / target), "square root of the ratio"),
        (lambda se, n, target: _characters_needed(se, n, target) - n, "how many characters to ADD"),
        (lambda se, n, target: (se / target) ** 2, "multiply the measured length"),
        (lambda se, n, target: n * (se / target) ** 3, "expected about"),
        (lambda se, n, target: "a lot", "one number"),
        (stub, "not written yet"),
    ],
)
def test_characters_needed_checker(fn, hint, capsys):
    if hint is None:
        check.characters_needed(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.characters_needed(fn)


def test_characters_needed_agrees_with_the_standard_error_of_longer_samples():
    """The checker's answer is what metrics.temperature_standard_error gives: k copies of a sample's
    logits have k times the Fisher information, so the error falls by sqrt(k)."""
    z = np.random.default_rng(4).normal(0, 2, (100, 9))
    se_100 = metrics.temperature_standard_error(z, 0.9)
    se_900 = metrics.temperature_standard_error(np.tile(z, (9, 1)), 0.9)
    assert _characters_needed(se_100, 100, se_900) == pytest.approx(900)


# --- lesson 6 ----------------------------------------------------------------------------------


def _nucleus(z, p, t=1.0):
    probs = softmax.softmax_with_temperature(z, t)
    order = np.argsort(-z, kind="stable")
    before = np.cumsum(probs[order]) - probs[order]
    keep = np.zeros(z.size, bool)
    keep[order[before < p]] = True
    return keep


def _stops_early(z, p):
    probs = softmax.softmax_with_temperature(z)
    order = np.argsort(-z, kind="stable")
    keep = np.zeros(z.size, bool)
    keep[order[: max(1, int((np.cumsum(probs[order]) <= p).sum()))]] = True
    return np.where(keep, z, -np.inf)


@pytest.mark.parametrize(
    "fn, hint",
    [
        (sampling.top_p, None),
        (lambda z, p: np.where(_nucleus(z, p), z, -np.inf), None),
        (_stops_early, "reaches"),
        (lambda z, p: np.where(np.arange(z.size) < (np.cumsum(softmax.softmax_with_temperature(z)) - softmax.softmax_with_temperature(z) < p).sum(), z, -np.inf), "index order"),
        (lambda z, p: np.where(softmax.softmax_with_temperature(z) >= p, z, -np.inf), "own probability"),
        (lambda z, p: softmax.softmax_with_temperature(np.where(_nucleus(z, p), z, -np.inf)), "returned probabilities"),
        (lambda z, p: np.where(_nucleus(z, p), z, np.nan), "NaN"),
        (lambda z, p: np.where(_nucleus(z, p), z - z.max(), -np.inf), "changed the logits"),
        (stub, "not written yet"),
    ],
)
def test_top_p_filter_checker(fn, hint, capsys):
    if hint is None:
        check.top_p_filter(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.top_p_filter(fn)


def _min_p_kept(z, m):
    probs = softmax.softmax_with_temperature(z)
    return probs, probs >= m * probs.max()


def _min_p_not_renormalised(z, m):
    probs, keep = _min_p_kept(z, m)
    return np.where(keep, probs, 0.0)


def _min_p_renormalised(keep_fn):
    def fn(z, m):
        probs = softmax.softmax_with_temperature(z)
        kept = np.where(keep_fn(z, m, probs), probs, 0.0)
        return kept / kept.sum()
    return fn


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda z, m: sampling.truncated_softmax(z, 1.0, min_p=m), None),
        (lambda z, m: _min_p_not_renormalised(z, m) / _min_p_not_renormalised(z, m).sum(), None),
        (lambda z, m: softmax.softmax_with_temperature(sampling.min_p(z, m)), None),
        (_min_p_not_renormalised, "did not renormalise"),
        (_min_p_renormalised(lambda z, m, p: p >= m), "absolute threshold"),
        (_min_p_renormalised(lambda z, m, p: z >= m * z.max()), "compared the \\*logits\\*"),
        (lambda z, m: softmax.softmax_with_temperature(np.where(_min_p_kept(z, m)[1], z, 0.0)), "set the cut logits to 0"),
        (sampling.min_p, "returned logits"),
        (lambda z, m: _min_p_not_renormalised(z, m) / _min_p_not_renormalised(z, m).max(), "add up to"),
        (lambda z, m: softmax.softmax_with_temperature(sampling.min_p(z, m), 2.0), "changed their odds"),
        (_min_p_renormalised(lambda z, m, p: p > m * p.max() + 0.1), "expected to keep tokens"),
        (lambda z, m: np.full(z.shape, np.nan), "NaN"),
        (lambda z, m: _min_p_not_renormalised(z, m)[:-1], "shape"),
        (stub, "not written yet"),
    ],
)
def test_min_p_distribution_checker(fn, hint, capsys):
    if hint is None:
        check.min_p_distribution(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.min_p_distribution(fn)


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda z, t, p, last: int(sampling.truncation_mask(z, t, top_p=p, temperature_last=last).sum()), None),
        (lambda z, t, p, last: int(_nucleus(z, p, 1.0 if last else t).sum()), None),
        (lambda z, t, p, last: int(_nucleus(z, p).sum()), "size at T = 1"),
        (lambda z, t, p, last: int(_nucleus(z, p, t).sum()), "swapped"),
        (lambda z, t, p, last: int(_nucleus(z * t if not last else z, p).sum()), "do not multiply"),
        (stub, "not written yet"),
    ],
)
def test_nucleus_size_checker(fn, hint, capsys):
    if hint is None:
        check.nucleus_size(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.nucleus_size(fn)


# Lesson 5b's capstone: the temperature detective ----------------------------------------------

def _mle_by_grid(logits, chosen):
    grid = np.geomspace(0.05, 10, 600)  # steps of 0.9 %: the maximum to within 0.5 %
    z = np.asarray(logits, dtype=float)
    best, best_ll = None, -np.inf
    for t in grid:
        zt = z / t
        zt = zt - zt.max(axis=1, keepdims=True)
        ll = (zt[np.arange(len(chosen)), chosen] - np.log(np.exp(zt).sum(axis=1))).sum()
        if ll > best_ll:
            best, best_ll = t, ll
    return float(best)


def test_detective_case_is_fixed_by_the_seed_and_hides_its_temperature():
    a, b, c = check.detective_case(3), check.detective_case(3), check.detective_case(4)
    assert a.text == b.text and a.text != c.text and len(a.text) == 400
    assert a.logits.shape == (400, 65) and a.chosen.shape == (400,)
    assert "T =" not in repr(a) and "1.4" not in repr(a)
    hidden = [check._hidden_temperature(s) for s in range(40)]
    assert len(set(hidden)) > 20 and all(0.4 <= t <= 1.6 for t in hidden), "each student a different T"
    for bad in (-1, 2.5, "7", True):
        with pytest.raises(ValueError, match="seed"):
            check.detective_case(bad)


def test_temperature_detective_accepts_the_maximum_likelihood_estimate(capsys):
    check.temperature_detective(_mle_by_grid, 3)
    out = capsys.readouterr().out
    assert "Correct" in out and f"T = {check._hidden_temperature(3):g}" in out


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda z, c: 1 / _mle_by_grid(z, c), "beta = 1/T"),
        (lambda z, c: 1.0, "exactly 1"),
        (lambda z, c: 0.05, "maximise"),
        (lambda z, c: 1.08 * _mle_by_grid(z, c), "finer grid"),
        (lambda z, c: float("nan"), "positive number"),
        (lambda z, c: "warm", "one number"),
    ],
)
def test_temperature_detective_rejects_typical_mistakes(fn, hint):
    with pytest.raises(check.ExerciseFailed, match=hint):
        check.temperature_detective(fn, 3)


def test_temperature_detective_rejects_an_estimate_far_off_on_the_students_case():
    """Right on the known samples, far off on the student's own case: rejected."""
    case = check.detective_case(5)
    hidden = check._hidden_temperature(5)

    def right_elsewhere(z, c):
        return hidden + 1.0 if z.shape == case.logits.shape else _mle_by_grid(z, c)

    with pytest.raises(check.ExerciseFailed, match="your case 5"):
        check.temperature_detective(right_elsewhere, 5)


def test_a_failed_check_shows_the_hint_not_the_checkers_code():
    """In Jupyter a failed check prints its message alone: the checker's source stays hidden."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.user_ns.update(check=check, np=np)
    with capture_output() as shown:
        shell.run_cell("check.chi_square_statistic(lambda c, p: float(np.sum((c - p) ** 2 / p)))")
    assert "ExerciseFailed" in shown.stdout and "compared the counts with the probabilities" in shown.stdout
    assert "_fail(" not in shown.stdout and "Traceback" not in shown.stdout, shown.stdout
    with capture_output() as shown:  # the student's own bug still shows where it happened
        shell.run_cell("check.chi_square_statistic(lambda c, p: undefined_name)")
    assert "NameError" in shown.stdout and "Traceback" in shown.stdout
