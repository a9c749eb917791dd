"""Lesson 3's exercises (03_tiny_rnn.ipynb, "Exercises"): one step of the tiny RNN, the bug hunt
with the gradient check, and the perplexity of a text.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line. The
planted bug itself is teaching material: :mod:`helpers.planted_bug`.
"""

from __future__ import annotations

import numpy as np

from .. import tiny_rnn
from ..planted_bug import buggy_loss_and_grads
from .runner import Exercise, Mistake, Unreadable, case, close, number, unreadable


def small_rnn_case(batch: int = 2) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """``(params, inputs, targets, h0)``: a tiny RNN (V = 7, H = 5) with non-zero biases, and a batch
    of 6-character sequences.

    Used by: lesson 3's checks (exercises 1 to 3).
    """
    rng = np.random.default_rng(3)
    params = tiny_rnn.init_params(7, 5, seed=3, scale=0.4)
    params["bh"] = rng.normal(0, 0.3, 5)
    params["by"] = rng.normal(0, 0.3, 7)
    inputs = rng.integers(0, 7, (batch, 6))
    targets = rng.integers(0, 7, (batch, 6))
    h0 = rng.normal(0, 0.5, (batch, 5))
    return params, inputs, targets, h0


# --- Exercise 1: one step ------------------------------------------------------------------------

def rnn_step_reference(params: dict, h_prev: np.ndarray, x: int) -> tuple[np.ndarray, np.ndarray]:
    """``fn(params, h_prev, char_id) -> (h, logits)`` for one step of the tiny RNN:
    ``h = tanh(Wxh[:, x] + Whh @ h_prev + bh)`` (shape ``(H,)``), ``logits = Why @ h + by`` (``(V,)``).

    Used by: lesson 3, exercise 1's check (``check.rnn_step``).
    """
    hs, logits = tiny_rnn.forward(params, np.array([[x]]), h_prev[None, :])
    return hs[0, 1], logits[0, 0]


def _rnn_step_cases() -> list[tuple]:
    params, inputs, _, h0 = small_rnn_case(batch=1)
    cases, h_prev = [], h0[0]
    for x in inputs[0][:4]:
        cases.append((params, h_prev, int(x)))
        h_prev = rnn_step_reference(params, h_prev, int(x))[0]
    return cases


def _pair(result) -> tuple[np.ndarray, np.ndarray]:
    h, logits = (np.asarray(r, dtype=np.float64) for r in result)  # not two things: ValueError
    return h, logits


def _step(p, h_prev, x, pre=None, logits_from=None, by=True):
    """One step written out, with one part changeable to make a mistake."""
    pre = p["Wxh"][:, x] + p["Whh"] @ h_prev + p["bh"] if pre is None else pre
    h = np.tanh(pre)
    source = h if logits_from is None else logits_from
    return h, p["Why"] @ source + (p["by"] if by else 0.0)


def _pre_activation(p, h_prev, x):
    pre = p["Wxh"][:, x] + p["Whh"] @ h_prev + p["bh"]
    return pre, p["Why"] @ pre + p["by"]


def _one_hot_row(p, h_prev, x):
    h = np.tanh(np.eye(p["Wxh"].shape[1])[[x]] @ p["Wxh"].T + p["Whh"] @ h_prev + p["bh"])  # (1, H)
    return h, h @ p["Why"].T + p["by"]


def _which_part(a) -> str:
    if not np.allclose(a.got[0], a.want[0], atol=1e-9):
        return f"for x = {a.x} your h differs from tanh(Wxh[:, x] + Whh @ h_prev + bh)."
    return "your logits differ from Why @ h + by."


rnn_step = Exercise(
    name="rnn_step",
    reference=rnn_step_reference,
    params=("params", "h_prev", "x"),
    cases=_rnn_step_cases,
    read=_pair,
    same=close(atol=1e-9, rtol=0.0),
    quotes={"which_part": _which_part},
    mistakes=[
        Mistake("h_alone", lambda p, h_prev, x: rnn_step_reference(p, h_prev, x)[0],
                "return a pair (h, logits), got {raw!r}", spot=unreadable),
        Mistake("one_hot_row", _one_hot_row,
                "h should have shape (H,) = ({want[0].shape[0]},) and logits (V,) = ({want[1].shape[0]},); got "
                "{got[0].shape} and {got[1].shape}. Look up column x of Wxh (Wxh[:, x]) rather than multiplying "
                "by a one-hot row.",
                spot=lambda a: a.got[0].shape != a.want[0].shape or a.got[1].shape != a.want[1].shape),
        Mistake("pre_activation", _pre_activation,
                "your h is the pre-activation: apply np.tanh to Wxh[:, x] + Whh @ h_prev + bh."),
        Mistake("no_bias_bh", lambda p, h_prev, x: _step(p, h_prev, x, pre=p["Wxh"][:, x] + p["Whh"] @ h_prev),
                "your h leaves out the bias bh."),
        Mistake("Whh_transposed",
                lambda p, h_prev, x: _step(p, h_prev, x, pre=p["Wxh"][:, x] + p["Whh"].T @ h_prev + p["bh"]),
                "you multiplied by Whh.T: the recurrence is Whh @ h_prev."),
        Mistake("no_bias_by", lambda p, h_prev, x: _step(p, h_prev, x, by=False),
                "your logits leave out the bias by."),
        Mistake("logits_from_h_prev", lambda p, h_prev, x: _step(p, h_prev, x, logits_from=h_prev),
                "your logits differ from Why @ h + by (use the *new* h, not h_prev)."),
    ],
    general="{which_part}",
    success="One step: h = tanh(Wxh[:, x] + Whh h_prev + bh), logits = Why h + by.",
)


# --- Exercise 2: the bug hunt ----------------------------------------------------------------------

def wrong_gradients_reference(grad_fn, params, inputs, targets, h0) -> set[str]:
    """``fn(grad_fn, params, inputs, targets, h0) -> set of parameter names`` whose gradients
    ``grad_fn`` gets wrong: the gradient check, one parameter at a time.

    Used by: lesson 3, exercise 2's check (``check.wrong_gradients``).
    """
    return {name for name in tiny_rnn.PARAM_NAMES
            if tiny_rnn.gradient_check(params, inputs, targets, h0, grad_fn=grad_fn, names=[name]) > 1e-5}


def _transposed_whh(*args):
    loss, grads, h = tiny_rnn.loss_and_grads(*args)
    grads["Whh"] = grads["Whh"].T
    return loss, grads, h


def _doubled_by(*args):
    loss, grads, h = tiny_rnn.loss_and_grads(*args)
    grads["by"] = 2 * grads["by"]
    return loss, grads, h


def _wrong_gradients_cases() -> list:
    return [case(grad_fn, *small_rnn_case(), grad_name=name) for name, grad_fn in (
        ("the correct tiny_rnn.loss_and_grads", tiny_rnn.loss_and_grads),
        ("buggy_loss_and_grads", buggy_loss_and_grads),
        ("a backward pass that transposes Whh's gradient", _transposed_whh),
        ("a backward pass that doubles by's gradient", _doubled_by),
    )]


def _names(x) -> frozenset:
    if isinstance(x, (str, bytes)):
        raise Unreadable(x)
    return frozenset(x)


def _finder(threshold: float, one_at_a_time: bool = True):
    """A bug finder with its threshold (and whether it checks one parameter at a time)."""
    def wrong_gradients(grad_fn, params, inputs, targets, h0):
        if not one_at_a_time:
            error = tiny_rnn.gradient_check(params, inputs, targets, h0, grad_fn=grad_fn)
            return set(tiny_rnn.PARAM_NAMES) if error > threshold else set()
        return {name for name in tiny_rnn.PARAM_NAMES
                if tiny_rnn.gradient_check(params, inputs, targets, h0, grad_fn=grad_fn, names=[name]) > threshold}
    return wrong_gradients


wrong_gradients = Exercise(
    name="wrong_gradients",
    reference=wrong_gradients_reference,
    params=("grad_fn", "params", "inputs", "targets", "h0"),
    cases=_wrong_gradients_cases,
    read=_names,
    same=lambda a, b: a == b,
    quotes={"got_sorted": lambda a: sorted(a.got), "want_sorted": lambda a: sorted(a.want)},
    mistakes=[
        Mistake("the_error_not_the_names",
                lambda grad_fn, *case: tiny_rnn.gradient_check(*case, grad_fn=grad_fn),
                "return a set of parameter names such as {{'Whh'}}, got {raw!r}", spot=unreadable),
        Mistake("threshold_too_strict", _finder(1e-12),
                "for {grad_name} you report {got_sorted} as wrong, but it is correct: your threshold is too strict. "
                "Correct gradients give relative errors around 1e-8; wrong ones around 1e-1.",
                spot=lambda a: not a.want and a.got),
        Mistake("all_parameters_at_once", _finder(1e-5, one_at_a_time=False),
                "for {grad_name} you report {got_sorted}: one gradient check over all the parameters says only "
                "that *something* is wrong. Check one parameter at a time (names=[name]) and keep the names whose "
                "error is large."),
    ],
    general="for {grad_name} the wrong gradients are {want_sorted}, you found {got_sorted}. Run "
            "tiny_rnn.gradient_check(..., grad_fn=grad_fn, names=[name]) for each name in tiny_rnn.PARAM_NAMES and "
            "keep the names whose error is large (say > 1e-5).",
    success="buggy_loss_and_grads gets Wxh, Whh and bh wrong but Why and by right: the bug is between the output "
            "layer and the recurrence, in the step back through tanh (draw = dh forgets 1 - h**2).",
)


# --- Exercise 3: the perplexity of a text -----------------------------------------------------------

def text_perplexity_reference(params: dict, ids: np.ndarray) -> float:
    """``fn(params, ids) -> perplexity`` of a text under the tiny RNN: ``exp`` of the mean loss in
    nats of predicting each id from the ones before it (from a zero hidden state).

    Used by: lesson 3, exercise 3's check (``check.text_perplexity``).
    """
    return float(np.exp(-tiny_rnn.log_probs(params, ids[:1], ids[1:]).mean()))


def _nll(params, ids) -> np.ndarray:
    return -tiny_rnn.log_probs(params, ids[:1], ids[1:])


def _text_perplexity_cases() -> list[tuple]:
    params, inputs, _, _ = small_rnn_case(batch=1)
    return [(params, np.concatenate([inputs[0], inputs[0][::-1]]))]


text_perplexity = Exercise(
    name="text_perplexity",
    reference=text_perplexity_reference,
    params=("params", "ids"),
    cases=_text_perplexity_cases,
    read=number,
    same=close(atol=0.0, rtol=1e-6),
    mistakes=[
        Mistake("one_value_per_character", lambda params, ids: np.exp(_nll(params, ids)),
                "return one number, got {raw!r}", spot=unreadable),
        Mistake("returns_the_loss", lambda params, ids: float(_nll(params, ids).mean()),
                "you return {got:.4f}, the mean loss in nats; perplexity is exp of it."),
        Mistake("two_to_the_loss_in_nats", lambda params, ids: float(2 ** _nll(params, ids).mean()),
                "you used 2 ** loss with a loss in nats: use np.exp (or a loss in bits with 2 **)."),
        Mistake("exp_of_the_total_loss", lambda params, ids: float(np.exp(_nll(params, ids).sum())),
                "you return {got:.4g}, exp of the *total* loss: perplexity is exp of the *mean* loss per "
                "character (divide by the number of predicted characters first)."),
        Mistake("mean_of_the_probabilities", lambda params, ids: float(1 / np.exp(-_nll(params, ids)).mean()),
                "you return {got:.4f}, 1 / (the mean probability): perplexity is exp of the mean loss, "
                "1 / the *geometric* mean."),
    ],
    general="expected {want:.4f}, got {got:.4f}. Feed ids[:-1] from a zero hidden state, score how well each step's "
            "logits predict the *next* id (ids[1:]) with log_softmax, average, exponentiate.",
    success="Perplexity = exp(mean loss in nats): the model's effective number of choices per character.",
)

EXERCISES = [rnn_step, wrong_gradients, text_perplexity]
