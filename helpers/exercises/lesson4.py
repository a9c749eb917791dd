"""Lesson 4's exercises (04_char_lstm.ipynb, "Exercises"): one LSTM step in numpy, temperature
applied to probabilities, and every temperature's row in one array operation.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line.
"""

from __future__ import annotations

import numpy as np

from ..softmax import softmax_with_temperature as _tempered
from .runner import Exercise, Mistake, Unreadable, case, close, numbers, unreadable

# --- Exercise 1: one LSTM step ---------------------------------------------------------------------


def lstm_step_reference(x, h, c, w_ih, w_hh, b_ih, b_hh) -> tuple[np.ndarray, np.ndarray]:
    """``fn(x, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)``: one LSTM step in numpy, with
    PyTorch's layout (``W_ih`` of shape ``(4H, E)``, gate blocks in the order i, f, g, o), as
    ``torch.nn.LSTMCell`` computes it.

    Used by: lesson 4, exercise 1's check (``check.lstm_step``).
    """
    import torch

    n = h.size
    cell = torch.nn.LSTMCell(x.size, n, dtype=torch.float64)
    with torch.no_grad():
        for p, value in zip(cell.parameters(), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(torch.from_numpy(np.asarray(value, dtype=np.float64)))
        h_t, c_t = cell(torch.from_numpy(x)[None], (torch.from_numpy(h)[None], torch.from_numpy(c)[None]))
    return h_t[0].numpy(), c_t[0].numpy()


def _lstm_cases() -> list[tuple]:
    rng = np.random.default_rng(4)
    e, n = 5, 3
    weights = [rng.normal(0, 0.8, shape) for shape in ((4 * n, e), (4 * n, n), (4 * n,), (4 * n,))]
    x, h, c = rng.normal(size=e), rng.normal(size=n), rng.normal(size=n)
    return [(x, h, c, *weights)]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lstm(order="ifgo", tanh_c=True, input_gate=True, g_fn=np.tanh, both_biases=True, output_gate=True):
    """An LSTM step with one thing changeable, to write the usual mistakes in one line each."""
    def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
        gates = w_ih @ x + w_hh @ h + b_ih + (b_hh if both_biases else 0.0)
        blocks = dict(zip(order, np.split(gates, 4)))
        i, f, o = _sigmoid(blocks["i"]), _sigmoid(blocks["f"]), _sigmoid(blocks["o"])
        c_new = f * c + (i if input_gate else 1.0) * g_fn(blocks["g"])
        return (o if output_gate else 1.0) * (np.tanh(c_new) if tanh_c else c_new), c_new
    return lstm_step


def _two_arrays(result) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Unreadable(result)
    return np.asarray(result[0], dtype=np.float64), np.asarray(result[1], dtype=np.float64)


def _which_part(a) -> str:
    if np.allclose(a.got[1], a.want[1], atol=1e-6):
        return "your c_new is right but h_new is not: h_new = o · tanh(c_new), o the sigmoid of the fourth block."
    return ("not yet. gates = W_ih @ x + W_hh @ h + b_ih + b_hh, shape (4H,); split into i, f, g, o; i, f, o = "
            "sigmoid, g = tanh; c_new = f * c + i * g; h_new = o * tanh(c_new).")


lstm_step = Exercise(
    name="lstm_step",
    reference=lstm_step_reference,
    params=("x", "h", "c", "W_ih", "W_hh", "b_ih", "b_hh"),
    cases=_lstm_cases,
    read=_two_arrays,
    same=close(atol=1e-6, rtol=1e-5),
    quotes={"raw_type": lambda a: type(a.raw).__name__, "which_part": _which_part},
    mistakes=[
        Mistake("h_alone", lambda *args: _lstm()(*args)[0],
                "return two arrays, (h_new, c_new); got {raw_type}", spot=unreadable),
        Mistake("a_batch_of_one", lambda *args: tuple(v[None] for v in _lstm()(*args)),
                "h_new and c_new should have shape ({h.size},) like h and c, got {got[0].shape} and {got[1].shape}.",
                spot=lambda a: a.got[0].shape != a.h.shape or a.got[1].shape != a.c.shape),
        Mistake("gate_order", _lstm(order="ifog"),
                "the four blocks of W_ih @ x + W_hh @ h + biases are in PyTorch's order i, f, g, o (input, forget, "
                "cell candidate, output): g is the third block, o the fourth."),
        Mistake("no_tanh_on_c", _lstm(tanh_c=False),
                "your c_new is right but h_new is not: h = o · tanh(c_new), with a tanh."),
        Mistake("no_output_gate", _lstm(output_gate=False),
                "your c_new is right but h_new is not: you left out the output gate, h_new = o · tanh(c_new)."),
        Mistake("no_input_gate", _lstm(input_gate=False),
                "the input gate scales what is written: c_new = f · c + i · g, not f · c + g."),
        Mistake("sigmoid_candidate", _lstm(g_fn=_sigmoid),
                "the candidate g uses tanh (values in -1 … 1, so the cell can also decrease); the gates i, f, o use "
                "the sigmoid."),
        Mistake("one_bias", _lstm(both_biases=False),
                "PyTorch has two bias vectors, b_ih and b_hh: add both."),
    ],
    general="{which_part}",
    success="Your step matches torch.nn.LSTMCell: gates i, f, g, o, then c = f·c + i·g and h = o·tanh(c).",
)


# --- Exercise 2: temperature without logits --------------------------------------------------------

def temper_reference(probs: np.ndarray, temperature: float) -> np.ndarray:
    """``fn(probs, T) -> probs at T`` without logits: ``p ** (1/T)`` renormalised, computed in log
    space (``softmax(log p / T)``) so tiny ``T`` does not underflow, and ``T = 0`` greedy.

    Used by: lesson 4, exercise 2's check (``check.temper_probabilities``).
    """
    with np.errstate(divide="ignore"):
        return _tempered(np.log(probs), temperature)


def _renormalised(p):
    return p / p.sum()


def _greedy(p):
    return np.eye(len(p))[np.argmax(p)]


_P = np.array([0.5, 0.3, 0.15, 0.05])

temper_probabilities = Exercise(
    name="temper_probabilities",
    reference=temper_reference,
    params=("probs", "T"),
    cases=[*((_P, t) for t in (1.0, 0.5, 2.0, 0.0002, 0.0)), case(np.array([0.6, 0.4, 0.0]), 0.5, kind="a zero")],
    read=numbers,
    same=close(atol=1e-6, rtol=1e-5),
    quotes={"probs_list": lambda a: a.probs.tolist(), "got_list": lambda a: a.got.tolist()},
    mistakes=[
        Mistake("returns_nothing", lambda p, t: None,
                "your function should return numbers (a numpy array), got {raw!r}", spot=unreadable),
        Mistake("zero_division_at_T0", lambda p, t: _renormalised(np.exp(np.log(p) * (1 / t) - np.log(p).max() / t)),
                "T = 0 raised ZeroDivisionError: T = 0 is greedy, handle it first (all mass on the most likely)."),
        Mistake("T0_not_greedy", lambda p, t: temper_reference(p, t) if t else p,
                "at T = 0 expected {want_shown} (all mass on the most likely), got {got_shown}.",
                spot=lambda a: a.T == 0 and a.readable),
        Mistake("a_zero_smoothed_away", lambda p, t: temper_reference(np.where(p > 0, p, 0.01), t),
                "a character with probability 0 must stay at 0 (log 0 = -inf is fine); got {got_shown}.",
                spot=lambda a: a.case.info.get("kind") == "a zero"),
        Mistake("divides_the_probabilities", lambda p, t: _renormalised(p / t) if t else _greedy(p),
                "at T = {T} you get the T = 1 probabilities back: dividing probabilities by T changes nothing once "
                "you renormalise. Raise them to the power 1/T instead."),
        Mistake("power_T", lambda p, t: _renormalised(p ** t) if t else _greedy(p),
                "at T = {T} the distribution moves the wrong way: p ** T sharpens as T grows (a real bug, fastai "
                "#1264). Use p ** (1 / T), which equals softmax(log p / T)."),
        Mistake("underflow", lambda p, t: _renormalised(p ** (1 / t)) if t else _greedy(p),
                "at T = {T} you return {got_list}: p ** (1 / T) underflows to 0 for small T and 0 / 0 is NaN. Work "
                "in log space: z = log(p) / T, subtract max(z), exp, normalise.",
                spot=lambda a: not np.isfinite(a.got).all()),
    ],
    general="for p = {probs_list} at T = {T} expected {want_shown}, got {got_shown}.",
    success="Temperature needs no logits: p ** (1/T), renormalised (in log space), is softmax(logits / T).",
)


# --- Exercise 3: every temperature's row at once ------------------------------------------------------

def tempered_rows_reference(logits: np.ndarray, temperatures: np.ndarray) -> np.ndarray:
    """``fn(logits (V,), temperatures (n,)) -> (n, V)``: row ``i`` is ``softmax(logits / temperatures[i])``,
    with ``T = 0`` greedy and ``T = inf`` uniform.

    Used by: lesson 4, exercise 3's check (``check.tempered_rows``).
    """
    return np.stack([_tempered(logits, t) for t in temperatures])


def _naive_rows(z, ts):
    s = z[None, :] / ts[:, None]
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def _bad_rows(a) -> list[float]:
    return [float(t) for t, row, ok in zip(a.temperatures, a.got, a.want) if not np.allclose(row, ok, atol=1e-6)]


tempered_rows = Exercise(
    name="tempered_rows",
    reference=tempered_rows_reference,
    params=("logits", "temperatures"),
    cases=[(np.array([2.0, 1.0, 0.5, -1.0]), np.array([0.0, 0.5, 1.0, 2.0, np.inf]))],
    read=numbers,
    same=close(atol=1e-6, rtol=1e-5),
    quotes={"bad": _bad_rows},
    mistakes=[
        Mistake("returns_nothing", lambda z, ts: None,
                "your function should return numbers (a numpy array), got {raw!r}", spot=unreadable),
        Mistake("one_row_per_character", lambda z, ts: tempered_rows_reference(z, ts).T,
                "expected shape {want.shape}: one row per temperature, one column per character; got {got.shape}. "
                "Broadcast: logits[None, :] / temperatures[:, None].",
                spot=lambda a: a.got.shape != a.want.shape),
        Mistake("T0_row_nan", _naive_rows,
                "the T = 0 row is wrong (NaN from 0/0?). Put a one-hot row at the argmax for T = 0, e.g. with "
                "np.where, or compute the other rows with a safe temperature and overwrite the greedy ones.",
                spot=lambda a: 0.0 in _bad_rows(a)),
        Mistake("temperatures_capped", lambda z, ts: tempered_rows_reference(z, np.minimum(ts, 100.0)),
                "the T = inf row should be uniform (logits / inf = 0 everywhere): 1 / V for every character.",
                spot=lambda a: float("inf") in _bad_rows(a)),
    ],
    general="rows at T = {bad} are wrong. Subtract each row's max along axis=1 (keepdims=True) and normalise each "
            "row by its own sum.",
    success="One array operation tempers every row: the idea behind sampling many temperatures in one pass.",
)

EXERCISES = [lstm_step, temper_probabilities, tempered_rows]
