"""The exercise checkers accept right answers, reject stubs, and name the usual mistakes."""

from __future__ import annotations

import numpy as np
import pytest

import helpers.exercises as check
from helpers import sampling, softmax


def stub(*args):
    raise NotImplementedError()


# --- reference answers pass --------------------------------------------------------------------

def good_softmax(z, t):
    return softmax.softmax_with_temperature(z, t)


def good_entropy(p):
    return softmax.entropy(p, unit="bits")


def good_temperature(z, target):
    lo, hi = 1e-3, 1e3
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if softmax.perplexity(softmax.softmax_with_temperature(z, mid)) < target else (lo, mid)
    return mid


def good_inverse_cdf(p, u):
    return int(np.searchsorted(np.cumsum(p), u, side="right"))


def good_gumbel(z, t, g):
    return sampling.sample_gumbel_max(z, t, g)


def good_first_change(z, g, grid):
    greedy = int(np.argmax(z))
    return next((float(t) for t in grid if sampling.sample_gumbel_max(z, t, g) != greedy), None)


PAIRS = [
    (check.softmax_with_temperature, good_softmax),
    (check.entropy_bits, good_entropy),
    (check.temperature_for_perplexity, good_temperature),
    (check.inverse_cdf, good_inverse_cdf),
    (check.gumbel_max, good_gumbel),
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


@pytest.mark.parametrize("mistake", SOFTMAX_MISTAKES, ids=str)
def test_softmax_mistakes_get_hints(mistake):
    fn, hint = SOFTMAX_MISTAKES[mistake]
    with pytest.raises(check.ExerciseFailed, match=hint):
        check.softmax_with_temperature(fn)


def test_softmax_t0_zero_division_hint():
    def python_division(z, t):
        if t == 0:
            raise ZeroDivisionError("float division by zero")
        return softmax.softmax_with_temperature(z, t)

    with pytest.raises(check.ExerciseFailed, match="ZeroDivisionError"):
        check.softmax_with_temperature(python_division)


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda p: float(-np.sum(p * np.log2(p))), "NaN"),  # 0 log 0
        (lambda p: float(-np.sum(p[p > 0] * np.log(p[p > 0]))), "nats"),
        (lambda p: float(np.sum(p[p > 0] * np.log2(p[p > 0]))), "minus sign"),
    ],
)
def test_entropy_mistakes_get_hints(fn, hint):
    with pytest.raises(check.ExerciseFailed, match=hint):
        check.entropy_bits(fn)


def test_temperature_hint_says_which_way():
    with pytest.raises(check.ExerciseFailed, match="too high: lower T"):
        check.temperature_for_perplexity(lambda z, target: 100.0)
    with pytest.raises(check.ExerciseFailed, match="too low: raise T"):
        check.temperature_for_perplexity(lambda z, target: 0.01)


def test_inverse_cdf_boundary_hint():
    with pytest.raises(check.ExerciseFailed, match="side='right'"):
        check.inverse_cdf(lambda p, u: int(np.searchsorted(np.cumsum(p), u, side="left")))
    with pytest.raises(check.ExerciseFailed, match="cumulative"):
        check.inverse_cdf(lambda p, u: int(np.argmax(np.asarray(p) > u)))


def test_gumbel_hints():
    with pytest.raises(check.ExerciseFailed, match="temperature has no effect"):
        check.gumbel_max(lambda z, t, g: int(np.argmax((np.asarray(z) + g) / t)) if t else int(np.argmax(z)))
    with pytest.raises(check.ExerciseFailed, match="argmin"):
        check.gumbel_max(lambda z, t, g: int(np.argmin(np.asarray(z) / t + g)) if t else int(np.argmax(z)))


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


@pytest.mark.parametrize(
    "fn, hint",
    [
        (metrics.distinct_n, None),
        (lambda t, n: len({t[i : i + n] for i in range(len(t) - n + 1)}), "count of distinct"),
        (lambda t, n: len({t[i : i + n] for i in range(len(t) - n + 1)}) / len(t), "L - n \\+ 1"),
        (lambda t, n: len(set(t)) / len(t), "single characters"),
        (stub, "not written yet"),
    ],
)
def test_distinct_n_checker(fn, hint, capsys):
    if hint is None:
        check.distinct_n(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.distinct_n(fn)


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


def naive_nll(z, y, t):
    p = np.exp(z / t)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.log(p[np.arange(len(y)), y]).mean())


@pytest.mark.parametrize(
    "fn, hint",
    [
        (metrics.nll_at_temperature, None),
        (naive_nll, "overflows"),
        (lambda z, y, t: metrics.nll_at_temperature(z, y, t) * len(y), "sum over characters"),
        (lambda z, y, t: -metrics.nll_at_temperature(z, y, t), "wrong sign"),
        (lambda z, y, t: metrics.nll_at_temperature(z, y, 1.0), "divide the logits by T"),
        (stub, "not written yet"),
    ],
)
def test_nll_at_temperature_checker(fn, hint, capsys):
    if hint is None:
        check.nll_at_temperature(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.nll_at_temperature(fn)


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


@pytest.mark.parametrize(
    "fn, hint",
    [
        (sampling.min_p, None),
        (lambda z, m: np.where(softmax.softmax_with_temperature(z) >= m * softmax.softmax_with_temperature(z).max(), z, -np.inf), None),
        (lambda z, m: np.where(softmax.softmax_with_temperature(z) >= m, z, -np.inf), "relative"),
        (lambda z, m: np.where(z >= m * z.max(), z, -np.inf), "multiplied the \\*logits\\*"),
        (stub, "not written yet"),
    ],
)
def test_min_p_filter_checker(fn, hint, capsys):
    if hint is None:
        check.min_p_filter(fn)
        assert "Correct" in capsys.readouterr().out
    else:
        with pytest.raises(check.ExerciseFailed, match=hint):
            check.min_p_filter(fn)


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


# Lesson 5's capstone: the temperature detective -----------------------------------------------

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
        shell.run_cell("check.inverse_cdf(lambda p, u: int(np.argmax(np.asarray(p) > u)))")
    assert "ExerciseFailed" in shown.stdout and "cumulative" in shown.stdout
    assert "_fail(" not in shown.stdout and "Traceback" not in shown.stdout, shown.stdout
    with capture_output() as shown:  # the student's own bug still shows where it happened
        shell.run_cell("check.inverse_cdf(lambda p, u: undefined_name)")
    assert "NameError" in shown.stdout and "Traceback" in shown.stdout
