"""The exercise checkers: every catalogued mistake reaches its own hint, right answers pass, stubs
are rejected, and a failed check shows its hint, not the checker's code.

`python -m pytest tests/test_exercises.py --collect-only -q` lists every catalogued mistake of every
lesson (ids like ``lesson3-text_perplexity-returns_the_loss``). The catalogues live in
helpers/exercises/lesson*.py; this file holds only independent right answers and test data.
"""

from __future__ import annotations

import ast
import re
import string

import numpy as np
import pytest
from conftest import ROOT

import helpers.exercises as check
from helpers import metrics, sampling, softmax, tiny_rnn
from helpers.exercises.runner import Exercise

EXERCISES = [(lesson, exercise) for lesson, module in check.LESSONS.items() for exercise in module.EXERCISES]
EXTRA = {"temperature_detective": (3,)}  # the checker's arguments after the student's function (a seed)


def run(exercise: Exercise, fn) -> None:
    exercise(fn, *EXTRA.get(exercise.name, ()))


def stub(*args):
    raise NotImplementedError()


def test_every_checker_the_notebooks_call_is_public():
    names = [exercise.name for _, exercise in EXERCISES]
    assert len(names) == len(set(names)) == 23
    assert all(getattr(check, name) is exercise for name, (_, exercise) in zip(names, EXERCISES))
    assert set(names) <= set(check.__all__)


# --- every catalogued mistake gets its own hint -----------------------------------------------------

def _literal_parts(template: str) -> list[str]:
    """The fixed text of a hint: what remains around its {fields}."""
    return [text for text, *_ in string.Formatter().parse(template) if text.strip()]


@pytest.mark.parametrize(
    "exercise, mistake",
    [pytest.param(exercise, mistake, id=f"{lesson}-{exercise.name}-{mistake.name}")
     for lesson, exercise in EXERCISES for mistake in exercise.mistakes],
)
def test_each_catalogued_mistake_gets_its_own_hint(exercise, mistake):
    """The catalogue's own wrong implementation, fed to the checker, gets exactly that mistake's
    hint (not an earlier mistake's, nor the general message)."""
    with pytest.raises(check.ExerciseFailed) as failed:
        run(exercise, mistake.wrong)
    message = str(failed.value)
    assert failed.value.mistake == mistake.name, f"caught as {failed.value.mistake!r}: {message}"
    assert message.startswith("❌ ")
    position = 0
    for part in _literal_parts(mistake.hint):
        found = message.find(part, position)
        assert found >= 0, f"{part!r} missing from {message!r}"
        position = found + len(part)


def test_mistake_names_make_readable_test_ids():
    for _, exercise in EXERCISES:
        for mistake in exercise.mistakes:
            assert re.fullmatch(r"[A-Za-z0-9_]+", mistake.name), mistake.name


def _nbgrader_course_hints() -> list[str]:
    """The hint texts tests/test_nbgrader_course.py's MISTAKES expects (its Mistake calls' last argument)."""
    tree = ast.parse((ROOT / "tests" / "test_nbgrader_course.py").read_text())
    return [call.args[-1].value for call in ast.walk(tree)
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Mistake"]


def test_the_nbgrader_course_hints_are_catalogued():
    hints = _nbgrader_course_hints()
    assert len(hints) == 8
    catalogued = [m.hint for _, exercise in EXERCISES for m in exercise.mistakes]
    for hint in hints:
        assert any(hint in text for text in catalogued), f"no catalogued mistake says {hint!r}"


# --- right answers pass, stubs do not ----------------------------------------------------------------

@pytest.mark.parametrize("exercise", [pytest.param(e, id=f"{lesson}-{e.name}") for lesson, e in EXERCISES])
def test_the_reference_passes_its_own_check(exercise, capsys):
    run(exercise, exercise.reference)
    assert capsys.readouterr().out.startswith("✅ Correct!")


@pytest.mark.parametrize("exercise", [pytest.param(e, id=f"{lesson}-{e.name}") for lesson, e in EXERCISES])
def test_a_stub_is_rejected_with_a_reminder(exercise):
    with pytest.raises(check.ExerciseFailed, match="is not written yet: replace the line `raise NotImplementedError"):
        run(exercise, stub)


@pytest.mark.parametrize("exercise", [pytest.param(e, id=f"{lesson}-{e.name}") for lesson, e in EXERCISES])
def test_a_students_own_error_is_not_dressed_as_a_hint(exercise):
    """A NameError in the student's function reaches the student with its traceback."""
    def typo(*args):
        return undefined_name  # noqa: F821

    with pytest.raises(NameError):
        run(exercise, typo)


def _p(z, t):
    return softmax.softmax_with_temperature(z, t)


def _bisection(z, target):
    lo, hi = 1e-3, 1e3
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if softmax.perplexity(_p(z, mid)) < target else (lo, mid)
    return mid


def _sample_steps(step_logits, temperatures, seed):
    rows = []
    for t in temperatures:
        rng = np.random.default_rng(seed)  # afresh for each temperature: common random numbers
        rows.append([sampling.sample(z, t, rng) for z in step_logits])
    return np.array(rows)


def _sample_steps_vectorised(step_logits, temperatures, seed):
    """rng.random(S) gives the same numbers as S calls of rng.random(): the same answer."""
    rows = []
    for t in temperatures:
        u = np.random.default_rng(seed).random(len(step_logits))
        rows.append([sampling.sample_inverse_cdf(_p(z, t), x) for z, x in zip(step_logits, u)])
    return np.array(rows)


def _rnn_step(params, h_prev, x):
    h = np.tanh(params["Wxh"][:, x] + params["Whh"] @ h_prev + params["bh"])
    return h, params["Why"] @ h + params["by"]


def _wrong_gradients(grad_fn, params, inputs, targets, h0):
    return {name for name in tiny_rnn.PARAM_NAMES
            if tiny_rnn.gradient_check(params, inputs, targets, h0, grad_fn=grad_fn, names=[name]) > 1e-5}


def _text_perplexity(params, ids):
    h = np.zeros(params["Whh"].shape[0])
    nll = []
    for x, y in zip(ids[:-1], ids[1:]):
        h, logits = _rnn_step(params, h, x)
        nll.append(-softmax.log_softmax(logits)[y])
    return float(np.exp(np.mean(nll)))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = np.split(w_ih @ x + w_hh @ h + b_ih + b_hh, 4)
    c_new = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c_new), c_new


def _bootstrap_rho(x, y, n_boot=1000, seed=0):
    from scipy import stats

    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        boots.append(stats.spearmanr(x[i], y[i]).statistic)
    return tuple(np.percentile(boots, [2.5, 97.5]))


def _crossing(ts, values, threshold):
    above = np.flatnonzero(values >= threshold)
    if above.size == 0:
        return None
    k = above[0]
    if k == 0:
        return float(ts[0])
    return float(ts[k - 1] + (ts[k] - ts[k - 1]) * (threshold - values[k - 1]) / (values[k] - values[k - 1]))


def _characters_needed(se, n, target):
    return n * (se / target) ** 2


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


def _nucleus(z, p, t=1.0, last=False):
    """Top-p's survivors by the helpers' Truncation (not the checker's reference: an independent answer)."""
    return sampling.Truncation(top_p=p, temperature_last=last).mask(np.asarray(z, dtype=np.float64), t)


def _min_p_kept(z, m):
    probs = _p(z, 1.0)
    return np.where(probs >= m * probs.max(), probs, 0.0)


# Lesson 7's solution cells, as /work/agents/lesson7_exercises.md gives them to the notebook (the
# function's body between ### BEGIN SOLUTION and ### END SOLUTION).
PENALISE_SOLUTION = """
def penalise(logits, seen_ids, penalty):
    z = np.array(logits, dtype=float)                   # a copy: the caller's logits stay as they were
    seen = np.unique(np.asarray(seen_ids, dtype=int))   # each seen token once, however often it appeared
    z[seen] = np.where(z[seen] < 0, z[seen] * penalty, z[seen] / penalty)
    return z
"""
TAIL_SHARE_SOLUTION = """
def tail_share(logits, temperature, top):
    probs = softmax_with_temperature(logits, temperature)
    order = np.argsort(-logits, kind="stable")   # most likely first
    return float(probs[order[top:]].sum())        # all but the top ones (nothing left when top >= V)
"""
MERGE_SOLUTION = """
def merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)   # the pair becomes one token
            i += 2               # skip both ids: an overlapping occurrence cannot reuse ids[i + 1]
        else:
            out.append(ids[i])
            i += 1
    return out
"""


def _defined(source: str, replace: tuple[str, str] | None = None):
    """The function a solution cell defines (after one text substitution, as the nbgrader test makes)."""
    if replace is not None:
        assert replace[0] in source
        source = source.replace(*replace)
    names = {"np": np, "softmax_with_temperature": softmax.softmax_with_temperature}
    exec(source, names)  # noqa: S102 - the test's own source
    return names[source.split("def ", 1)[1].split("(", 1)[0]]


def _penalised_loop(z, seen_ids, r):
    z = np.array(z, dtype=float)
    for i in set(seen_ids):
        z[i] = z[i] / r if z[i] > 0 else z[i] * r
    return z


def _minbpe_merge(ids, pair, idx):
    """Karpathy's minbpe ``merge`` (minbpe/base.py), as written there."""
    newids = []
    i = 0
    while i < len(ids):
        if ids[i] == pair[0] and i < len(ids) - 1 and ids[i + 1] == pair[1]:
            newids.append(idx)
            i += 2
        else:
            newids.append(ids[i])
            i += 1
    return newids


RIGHT = {
    "softmax_with_temperature": [lambda z, t: softmax.softmax_with_temperature(z, t)],
    "gains_when_heated": [
        lambda z, t: _p(z, t * 1.001) > _p(z, t),
        lambda z, t: _p(z, t * 1.05) > _p(z, t),
        lambda z, t: _p(z, t + 1e-6) > _p(z, t),
        lambda z, t: (lambda p: p < 1 / softmax.perplexity(p))(_p(z, t)),  # the exact rule
    ],
    "temperature_for_perplexity": [_bisection],
    "chi_square_statistic": [
        lambda c, p: float(np.sum((c - c.sum() * p) ** 2 / (c.sum() * p))),
        lambda c, p: float(__import__("scipy").stats.chisquare(c, np.sum(c) * p).statistic),
    ],
    "sample_steps": [_sample_steps, _sample_steps_vectorised],
    "first_change_temperature": [
        lambda z, g, grid: next((float(t) for t in grid if sampling.sample_gumbel_max(z, t, g) != np.argmax(z)), None),
    ],
    "rnn_step": [_rnn_step],
    "wrong_gradients": [_wrong_gradients],
    "text_perplexity": [_text_perplexity],
    "lstm_step": [_lstm_step],
    "temper_probabilities": [lambda p, t: softmax.softmax_with_temperature(np.log(p), t)],
    "tempered_rows": [lambda z, ts: np.stack([_p(z, t) for t in ts])],
    "spearman_interval": [_bootstrap_rho, lambda x, y: metrics.spearman_with_ci(x, y)[1:]],
    "crossing_temperature": [_crossing, metrics.first_crossing],
    "invented_word_rate": [lambda text, vocab: np.mean([w not in vocab for w in metrics.words(text)])],
    "characters_needed": [_characters_needed, lambda se, n, target: int(np.ceil(_characters_needed(se, n, target)))],
    "temperature_detective": [_mle_by_grid],
    "top_p_filter": [sampling.top_p, lambda z, p: np.where(_nucleus(z, p), z, -np.inf)],
    "min_p_distribution": [
        lambda z, m: _min_p_kept(z, m) / _min_p_kept(z, m).sum(),
        lambda z, m: softmax.softmax_with_temperature(sampling.min_p(z, m)),
    ],
    "nucleus_size": [lambda z, t, p, last: int(_nucleus(z, p, t, last).sum())],
    "repetition_penalty": [_defined(PENALISE_SOLUTION), _penalised_loop],
    "tail_share": [_defined(TAIL_SHARE_SOLUTION), lambda z, t, k: 1 - np.sort(_p(z, t))[::-1][:k].sum()],
    "merge_pair": [
        _defined(MERGE_SOLUTION), _minbpe_merge,
        lambda ids, pair, new_id: tuple(_minbpe_merge(ids, pair, new_id)),  # a tuple is a sequence of ids too
        lambda ids, pair, new_id: np.array(_minbpe_merge(ids, pair, new_id), dtype=np.int64),
    ],
}


def test_every_exercise_has_an_independent_right_answer():
    assert set(RIGHT) == {exercise.name for _, exercise in EXERCISES}


@pytest.mark.parametrize(
    "exercise, answer",
    [pytest.param(e, fn, id=f"{lesson}-{e.name}-{k}") for lesson, e in EXERCISES for k, fn in enumerate(RIGHT[e.name])],
)
def test_right_answers_pass(exercise, answer, capsys):
    run(exercise, answer)
    assert capsys.readouterr().out.startswith("✅ Correct!")


# --- a wrong answer no mistake explains gets the general message ------------------------------------

UNEXPLAINED = {
    "softmax_with_temperature": (lambda z, t: _p(z, t) * 0.9 + 0.1 / np.shape(z)[-1], "expected"),
    "gains_when_heated": (lambda z, t: np.arange(len(z)) % 2 == 0, "Compare the probabilities at T and"),
    "chi_square_statistic": (lambda c, p: 1.0, "The statistic is sum((O - E)**2 / E)"),
    "sample_steps": (lambda zs, ts, seed: _sample_steps(zs, [1.0] * len(ts), seed), "expected"),
    "first_change_temperature": (lambda z, g, grid: (lambda t: None if t is None else t + 0.05)(  # a step late
        RIGHT["first_change_temperature"][0](z, g, grid)), "Use the *same* noise"),
    "rnn_step": (lambda p, h_prev, x: (2 * _rnn_step(p, h_prev, x)[0], _rnn_step(p, h_prev, x)[1]), "your h differs"),
    "wrong_gradients": (lambda grad_fn, *args: set() if grad_fn is tiny_rnn.loss_and_grads else {"Why"},
                        "the wrong gradients are"),
    "text_perplexity": (lambda params, ids: 1.0, "Feed ids[:-1] from a zero hidden state"),
    "lstm_step": (lambda *args: tuple(2 * v for v in _lstm_step(*args)), "not yet. gates ="),
    "temper_probabilities": (lambda p, t: np.full(len(p), 1 / len(p)), "expected"),
    "tempered_rows": (lambda z, ts: np.stack([_p(z, t) for t in ts]) * np.array([1, 1, 1.1, 1, 1])[:, None],
                      r"rows at T = [1.0] are wrong"),
    "spearman_interval": (lambda x, y: (0.5, 1.0), "expected the interval (+1, +1)"),
    "crossing_temperature": (lambda ts, v, th: 0.123 if np.any(v >= th) else None, "expected T ="),
    "invented_word_rate": (lambda text, vocab: 0.25, "expected 0.1111 (2 of 18 words)"),
    "characters_needed": (lambda se, n, target: n * (se / target) ** 3, "expected about"),
    "temperature_detective": (lambda z, c: 0.05, "*maximise* it"),
    "top_p_filter": (lambda z, p: np.where(np.arange(z.size) == np.argmin(z), -np.inf, z), "expected to keep tokens"),
    "nucleus_size": (lambda z, t, p, last: 1, "expected"),
    "repetition_penalty": (lambda z, s, r: np.asarray(z) * 0.9, "expected [1.3333, -1.5, 0.5, -4.5, 1.0, 0.0]"),
    "tail_share": (lambda z, t, k: 0.5, "expected 0.1295, got 0.5000"),
    "merge_pair": (lambda ids, pair, new_id: list(ids)[::-1], "expected [9, 3, 9], got [2, 1, 3, 2, 1]"),
}
ALWAYS_EXPLAINED = {"temperature_for_perplexity", "min_p_distribution"}  # their last mistake catches every answer


def test_every_exercise_can_show_its_general_message():
    assert set(UNEXPLAINED) | ALWAYS_EXPLAINED == {exercise.name for _, exercise in EXERCISES}


@pytest.mark.parametrize(
    "exercise", [pytest.param(e, id=f"{lesson}-{e.name}") for lesson, e in EXERCISES if e.name in UNEXPLAINED]
)
def test_a_wrong_answer_no_mistake_explains_gets_the_general_message(exercise):
    fn, text = UNEXPLAINED[exercise.name]
    with pytest.raises(check.ExerciseFailed) as failed:
        run(exercise, fn)
    assert failed.value.mistake is None, f"caught as {failed.value.mistake!r}"
    assert text in str(failed.value), str(failed.value)


# --- checks particular to one exercise ------------------------------------------------------------------

def test_softmax_t0_python_division_gets_the_zero_division_hint():
    def python_division(z, t):
        if t == 0:
            raise ZeroDivisionError("float division by zero")
        return softmax.softmax_with_temperature(z, t)

    with pytest.raises(check.ExerciseFailed, match="ZeroDivisionError"):
        check.softmax_with_temperature(python_division)


def test_temperature_hint_says_which_way():
    with pytest.raises(check.ExerciseFailed, match="too high: lower T"):
        check.temperature_for_perplexity(lambda z, target: 100.0)
    with pytest.raises(check.ExerciseFailed, match="too low: raise T"):
        check.temperature_for_perplexity(lambda z, target: 0.01)


def test_the_checker_finds_the_planted_bug_with_the_gradient_check():
    """wrong_gradients' reference (the gradient check, one parameter at a time) names exactly the
    parameters the planted bug gets wrong, and nothing for the correct backward pass."""
    from helpers.exercises.lesson3 import small_rnn_case, wrong_gradients_reference
    from helpers.planted_bug import WRONG_GRADIENTS, buggy_loss_and_grads

    assert wrong_gradients_reference(buggy_loss_and_grads, *small_rnn_case()) == WRONG_GRADIENTS
    assert wrong_gradients_reference(tiny_rnn.loss_and_grads, *small_rnn_case()) == set()


def test_characters_needed_agrees_with_the_standard_error_of_longer_samples():
    """The checker's answer is what metrics.temperature_standard_error gives: k copies of a sample's
    logits have k times the Fisher information, so the error falls by sqrt(k)."""
    z = np.random.default_rng(4).normal(0, 2, (100, 9))
    se_100 = metrics.temperature_standard_error(z, 0.9)
    se_900 = metrics.temperature_standard_error(np.tile(z, (9, 1)), 0.9)
    assert _characters_needed(se_100, 100, se_900) == pytest.approx(900)


def test_temperature_detective_names_the_hidden_temperature_on_success(capsys):
    from helpers.detective import _hidden_temperature

    check.temperature_detective(_mle_by_grid, 3)
    out = capsys.readouterr().out
    assert "Correct" in out and f"T = {_hidden_temperature(3):g}" in out


def test_temperature_detective_rejects_an_estimate_far_off_on_the_students_case():
    """Right on the known samples, far off on the student's own case: rejected."""
    from helpers.detective import _hidden_temperature, detective_case

    case = detective_case(5)
    hidden = _hidden_temperature(5)

    def right_elsewhere(z, c):
        return hidden + 1.0 if z.shape == case.logits.shape else _mle_by_grid(z, c)

    with pytest.raises(check.ExerciseFailed, match="your case 5"):
        check.temperature_detective(right_elsewhere, 5)


def test_a_function_that_edits_its_input_cannot_spoil_the_next_case(capsys):
    def in_place(z, t):
        answer = softmax.softmax_with_temperature(z, t)
        z *= 0  # a student's side effect
        return answer

    check.softmax_with_temperature(in_place)
    assert capsys.readouterr().out.startswith("✅ Correct!")


def test_hints_quote_the_case():
    with pytest.raises(check.ExerciseFailed) as failed:
        check.chi_square_statistic(lambda c, p: float(np.sum((c / c.sum() - p) ** 2 / p)))
    assert "n = 100 times too small" in str(failed.value) and "for counts [48, 30, 22]" in str(failed.value)


def test_lesson7_references_agree_with_the_token_helpers():
    """The checkers' references give what the lesson's code, helpers.token_sampling (which loads
    PyTorch and re-exports helpers.token_logits), gives on every case: one implementation."""
    from helpers import token_sampling
    from helpers.exercises import lesson7

    for c in lesson7.repetition_penalty.the_cases():
        np.testing.assert_allclose(lesson7.repetition_penalty_reference(*c.args),
                                   token_sampling.repetition_penalty(*c.args), rtol=0, atol=0)
    for c in lesson7.tail_share.the_cases():
        assert lesson7.tail_share_reference(*c.args) == pytest.approx(token_sampling.tail_mass(*c.args), abs=1e-15)
    np.testing.assert_array_equal(lesson7._ZIPF, token_sampling.zipf_logits(1000))


def test_the_penalty_solution_with_negative_logits_divided_gets_its_hint():
    """The substitution proposed for tests/test_nbgrader_course.py's MISTAKES (lesson 7)."""
    right, wrong = "z[seen] * penalty, z[seen] / penalty)", "z[seen] / penalty, z[seen] / penalty)"
    wrong = _defined(PENALISE_SOLUTION, (right, wrong))
    with pytest.raises(check.ExerciseFailed, match="transformers multiplies negative logits by the penalty") as failed:
        check.repetition_penalty(wrong)
    assert failed.value.mistake == "divides_negative_logits"


def test_merge_compared_with_a_list_is_told_a_list_never_equals_a_tuple():
    """``[ids[i], ids[i + 1]] == pair`` with pair a tuple is never true: nothing is merged."""
    def merge(ids, pair, new_id):
        out, i = [], 0
        while i < len(ids):
            if [ids[i], ids[i + 1] if i + 1 < len(ids) else None] == pair:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        return out

    with pytest.raises(check.ExerciseFailed, match=re.escape("[1, 2] == (1, 2) is False")):
        check.merge_pair(merge)


def test_merge_that_forgets_return_is_told_so():
    def merge(ids, pair, new_id):
        ids[:] = _minbpe_merge(ids, pair, new_id)  # edits the list in place and returns nothing

    with pytest.raises(check.ExerciseFailed, match="forget `return`"):
        check.merge_pair(merge)


# --- what a student sees in Jupyter -------------------------------------------------------------------------

def test_a_failed_check_shows_the_hint_not_the_checkers_code():
    """In Jupyter a failed check prints its message alone: the checker's source stays hidden."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.user_ns.update(check=check, np=np)
    with capture_output() as shown:
        shell.run_cell("check.chi_square_statistic(lambda c, p: float(np.sum((c - p) ** 2 / p)))")
    assert "ExerciseFailed" in shown.stdout and "compared the counts with the probabilities" in shown.stdout
    assert "Mistake(" not in shown.stdout and "Traceback" not in shown.stdout, shown.stdout
    with capture_output() as shown:  # the student's own bug still shows where it happened
        shell.run_cell("check.chi_square_statistic(lambda c, p: undefined_name)")
    assert "NameError" in shown.stdout and "Traceback" in shown.stdout
