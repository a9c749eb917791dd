"""A vanilla character RNN written with numpy only: forward, backpropagation through time, training,
sampling with temperature, a gradient check, and saving.

The model (in the spirit of Karpathy's min-char-rnn, with the same parameter names)::

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)        hidden state, shape (H,)
    z_t = Why h_t + by                            logits of the next character, shape (V,)
    p_t = softmax(z_t)                            its probabilities

``x_t`` is the one-hot vector of character ``t``; multiplying by it just picks a column of ``Wxh``,
so the code looks the column up instead of building the one-hot vector.

Shapes: ``V`` vocabulary size, ``H`` hidden size, ``B`` sequences in a batch, ``L`` sequence length.
Parameters: ``Wxh (H, V)``, ``Whh (H, H)``, ``Why (V, H)``, ``bh (H,)``, ``by (V,)``.

The training objective is min-char-rnn's: the cross-entropy **summed over the L characters** of a
sequence (and averaged over the B sequences of a batch), so that at ``B = 1`` the batched trainer
computes exactly what min-char-rnn computes. Losses are *reported* per character, in nats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from . import threads
from .sampling import as_generator, gumbel_max_rows, gumbel_noise, sample_gumbel_max
from .softmax import check_temperature, log_softmax

__all__ = [
    "PARAM_NAMES",
    "Params",
    "init_params",
    "forward",
    "loss_and_grads",
    "loop_loss_and_grads",
    "clip_grads",
    "Adagrad",
    "gradient_check",
    "TrainState",
    "start_training",
    "train",
    "evaluate",
    "generate",
    "generate_many",
    "log_probs",
    "input_gradients",
    "input_sensitivity",
    "save",
    "load",
    "SHIPPED_RUN",
    "RECIPE",
    "TrainedRun",
    "train_run",
    "save_run",
    "load_run",
]

PARAM_NAMES = ("Wxh", "Whh", "Why", "bh", "by")
Params = dict[str, NDArray[np.float64]]
Array = NDArray[np.float64]


def _shapes(vocab_size: int, hidden_size: int) -> dict[str, tuple[int, ...]]:
    v, h = vocab_size, hidden_size
    return {"Wxh": (h, v), "Whh": (h, h), "Why": (v, h), "bh": (h,), "by": (v,)}


def init_params(vocab_size: int, hidden_size: int, seed: int | np.random.Generator, scale: float = 0.01) -> Params:
    """Small random weights (normal, standard deviation ``scale``) and zero biases, as min-char-rnn.

    Taught in: lesson 3, section 1 (recurrence); used in lesson 4, section 5 (an untrained RNN's reach).
    """
    if vocab_size < 1 or hidden_size < 1:
        raise ValueError(f"vocab_size and hidden_size must be >= 1, got {vocab_size}, {hidden_size}")
    rng = as_generator(seed)
    params = {}
    for name, shape in _shapes(vocab_size, hidden_size).items():
        params[name] = rng.normal(0.0, scale, shape) if name.startswith("W") else np.zeros(shape)
    return params


def sizes(params: Mapping[str, Array]) -> tuple[int, int]:
    """``(V, H)``: vocabulary and hidden size of a parameter set.

    Used by: the other functions of this module (lesson 3's model: vocabulary and hidden sizes).
    """
    hidden, vocab = params["Wxh"].shape
    return vocab, hidden


def _check_batch(params: Mapping[str, Array], inputs: NDArray[np.int64], h0: Array) -> tuple[int, int]:
    v, h = sizes(params)
    if inputs.ndim != 2:
        raise ValueError(f"inputs must have shape (B, L), got {inputs.shape}")
    if inputs.size and (inputs.min() < 0 or inputs.max() >= v):
        raise ValueError(f"character ids must be in [0, {v}), got {inputs.min()}..{inputs.max()}")
    if h0.shape != (inputs.shape[0], h):
        raise ValueError(f"h0 must have shape (B, H) = {(inputs.shape[0], h)}, got {h0.shape}")
    return v, h


def forward(params: Mapping[str, Array], inputs: NDArray[np.int64], h0: Array) -> tuple[Array, Array]:
    """Run the RNN over a batch of sequences.

    Args:
        inputs: character ids, shape ``(B, L)``.
        h0: hidden state before the first character, shape ``(B, H)``.

    Returns:
        ``(hs, logits)``: hidden states of shape ``(B, L + 1, H)`` (``hs[:, 0]`` is ``h0``) and
        next-character logits of shape ``(B, L, V)``.

    Taught in: lesson 3, section 2 (the forward pass).
    """
    inputs = np.asarray(inputs)
    _check_batch(params, inputs, h0)
    b, length = inputs.shape
    x_proj = params["Wxh"].T[inputs] + params["bh"]  # (B, L, H): Wxh x_t + bh for every t
    whh_t = params["Whh"].T
    hs = np.empty((b, length + 1, h0.shape[1]))
    hs[:, 0] = h0
    for t in range(length):
        hs[:, t + 1] = np.tanh(x_proj[:, t] + hs[:, t] @ whh_t)
    logits = hs[:, 1:] @ params["Why"].T + params["by"]
    return hs, logits


def loss_and_grads(
    params: Mapping[str, Array], inputs: NDArray[np.int64], targets: NDArray[np.int64], h0: Array
) -> tuple[float, Params, Array]:
    """Loss, gradients by backpropagation through time, and the last hidden state.

    Args:
        inputs, targets: character ids of shape ``(B, L)``; ``targets[:, t]`` follows ``inputs[:, t]``.
        h0: hidden state of shape ``(B, H)`` (carried over from the previous chunk).

    Returns:
        ``(loss, grads, h_last)``: the cross-entropy per character in nats (mean over ``B * L``);
        gradients of the *training objective* (sum over time, mean over the batch) with the
        parameters' shapes; and the final hidden state, shape ``(B, H)``.

    Taught in: lesson 3, section 3 (backpropagation through time).
    """
    targets = np.asarray(targets)
    hs, logits = forward(params, inputs, h0)
    b, length, v = logits.shape
    if targets.shape != (b, length):
        raise ValueError(f"targets must have the inputs' shape {(b, length)}, got {targets.shape}")
    logp = log_softmax(logits)  # (B, L, V)
    loss = _mean_nll(logp, targets)

    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1.0, -1)
    dlogits /= b  # objective: sum over time, mean over the batch
    h_seq = hs[:, 1:]
    grads: Params = {}
    grads["Why"] = dlogits.reshape(-1, v).T @ h_seq.reshape(-1, h_seq.shape[-1])
    grads["by"] = dlogits.sum(axis=(0, 1))
    dh_from_output = dlogits @ params["Why"]  # (B, L, H)
    draws = np.empty_like(dh_from_output)  # gradient at each step's tanh input
    dh_next = np.zeros_like(h0)
    whh = params["Whh"]
    for t in reversed(range(length)):
        draw = (1.0 - hs[:, t + 1] ** 2) * (dh_from_output[:, t] + dh_next)  # back through tanh
        draws[:, t] = draw
        dh_next = draw @ whh
    flat_draws = draws.reshape(-1, draws.shape[-1])  # (B*L, H)
    grads["bh"] = flat_draws.sum(axis=0)
    grads["Whh"] = flat_draws.T @ hs[:, :-1].reshape(-1, hs.shape[-1])
    onehot = np.zeros((b * length, v))
    onehot[np.arange(b * length), np.asarray(inputs).reshape(-1)] = 1.0
    grads["Wxh"] = flat_draws.T @ onehot  # x_t is one-hot: only the columns of seen characters
    return loss, grads, hs[:, -1].copy()


def loop_loss_and_grads(
    params: Mapping[str, Array], inputs: list[int], targets: list[int], hprev: Array
) -> tuple[float, Params, Array]:
    """The same computation for one sequence, one time step at a time with one-hot vectors.

    Written the way min-char-rnn writes it (column vectors, dicts of per-step values), as the
    reference the batched :func:`loss_and_grads` is tested against and benchmarked with.
    ``hprev`` has shape ``(H,)``; the loss returned is the mean per character, in nats.

    Used by: the tests and benchmarks/tiny_rnn.py (min-char-rnn's loop, the reference for lesson 3, section 3).
    """
    wxh, whh, why, bh, by = (params[n] for n in PARAM_NAMES)
    v, h = sizes(params)
    xs, hs, ps = {}, {-1: hprev.reshape(h, 1).copy()}, {}
    loss = 0.0
    for t, ch in enumerate(inputs):
        xs[t] = np.zeros((v, 1))
        xs[t][ch] = 1.0
        hs[t] = np.tanh(wxh @ xs[t] + whh @ hs[t - 1] + bh.reshape(h, 1))
        z = why @ hs[t] + by.reshape(v, 1)
        z = z - z.max()
        ps[t] = np.exp(z) / np.sum(np.exp(z))
        loss += -math.log(ps[t][targets[t], 0])
    dwxh, dwhh, dwhy = np.zeros_like(wxh), np.zeros_like(whh), np.zeros_like(why)
    dbh, dby = np.zeros((h, 1)), np.zeros((v, 1))
    dhnext = np.zeros((h, 1))
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0
        dwhy += dy @ hs[t].T
        dby += dy
        dh = why.T @ dy + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dwxh += dhraw @ xs[t].T
        dwhh += dhraw @ hs[t - 1].T
        dhnext = whh.T @ dhraw
    grads = {"Wxh": dwxh, "Whh": dwhh, "Why": dwhy, "bh": dbh[:, 0], "by": dby[:, 0]}
    return loss / len(inputs), grads, hs[len(inputs) - 1][:, 0]


def clip_grads(grads: Params, limit: float = 5.0) -> Params:
    """Clip every gradient entry to ``[-limit, limit]`` (in place; min-char-rnn's remedy for
    exploding gradients). Returns ``grads``.

    Taught in: lesson 3, section 4 (training: gradients clipped to [-5, 5]).
    """
    for g in grads.values():
        np.clip(g, -limit, limit, out=g)
    return grads


@dataclass
class Adagrad:
    """Adagrad: each parameter's step is divided by the root of its summed squared gradients.

    Taught in: lesson 3, section 4 (training: Adagrad, as min-char-rnn).
    """

    learning_rate: float = 0.1
    eps: float = 1e-8
    memory: Params = field(default_factory=dict)

    def step(self, params: Params, grads: Mapping[str, Array]) -> None:
        """Update ``params`` in place."""
        for name, g in grads.items():
            mem = self.memory.setdefault(name, np.zeros_like(g))
            mem += g * g
            params[name] -= self.learning_rate * g / np.sqrt(mem + self.eps)


def gradient_check(
    params: Mapping[str, Array],
    inputs: NDArray[np.int64],
    targets: NDArray[np.int64],
    h0: Array,
    n_checks: int = 10,
    eps: float = 1e-5,
    seed: int = 0,
    grad_fn: Callable[..., tuple[float, Params, Array]] = loss_and_grads,
    names: Sequence[str] = PARAM_NAMES,
) -> float:
    """Compare ``grad_fn``'s gradients with central differences; return the largest relative error.

    For ``n_checks`` random entries of each parameter in ``names``, the numerical gradient of the training
    objective (loss per character × L, the sum over time) is
    ``(f(w + eps) - f(w - eps)) / (2 eps)``. Relative error: ``|num - ana| / max(|num| + |ana|, 1e-8)``
    (the floor ignores rounding noise where the true gradient is 0). Use float64 parameters: below
    1e-5 means the backward pass is right (typically ~1e-9); a bug gives errors near 1.

    Taught in: lesson 3, section 3 (backpropagation through time, and the gradient check).
    """
    rng = as_generator(seed)
    length = np.asarray(inputs).shape[1]
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    _, grads, _ = grad_fn(work, inputs, targets, h0)
    worst = 0.0
    for name in names:
        p = work[name]
        for _ in range(n_checks):
            idx = tuple(int(rng.integers(0, n)) for n in p.shape)
            old = p[idx]
            p[idx] = old + eps
            plus = grad_fn(work, inputs, targets, h0)[0] * length
            p[idx] = old - eps
            minus = grad_fn(work, inputs, targets, h0)[0] * length
            p[idx] = old
            numeric = (plus - minus) / (2 * eps)
            analytic = grads[name][idx]
            # the floor keeps rounding noise on a gradient that is exactly 0 from counting as error
            denom = max(abs(numeric) + abs(analytic), 1e-8)
            worst = max(worst, abs(numeric - analytic) / denom)
    return worst


@dataclass
class TrainState:
    """Where training is: parameters, optimiser, reading positions and hidden states of the batch.

    The ``B`` sequences of a batch read the training text in ``B`` parallel streams that start
    ``len(data) // B`` characters apart; each carries its hidden state from one chunk of ``L``
    characters to the next (truncated backpropagation through time), like min-char-rnn's single
    stream. A stream that reaches the end starts again at its beginning with a zero state.

    Taught in: lesson 3, section 4 (training).
    """

    params: Params
    optimizer: Adagrad
    positions: NDArray[np.int64]
    starts: NDArray[np.int64]
    hidden: Array
    step: int = 0
    smooth_loss: float | None = None
    history: list[tuple[int, float]] = field(default_factory=list)


def start_training(
    params: Params, data_ids: NDArray[np.int64], batch_size: int, learning_rate: float = 0.1
) -> TrainState:
    """A :class:`TrainState` at step 0 for ``batch_size`` streams over ``data_ids``.

    Taught in: lesson 3, section 4 (training).
    """
    if batch_size < 1 or len(data_ids) < 2 * batch_size:
        raise ValueError(f"need batch_size >= 1 and at least 2 characters per stream, got {batch_size}")
    starts = (np.arange(batch_size) * (len(data_ids) // batch_size)).astype(np.int64)
    _, h = sizes(params)
    return TrainState(
        params=params,
        optimizer=Adagrad(learning_rate),
        positions=starts.copy(),
        starts=starts,
        hidden=np.zeros((batch_size, h)),
    )


def train(
    state: TrainState,
    data_ids: NDArray[np.int64],
    steps: int,
    seq_length: int = 25,
    clip: float = 5.0,
    callback: Callable[[TrainState], None] | None = None,
    every: int = 100,
) -> TrainState:
    """Train for ``steps`` updates (in place) and return the state.

    Each step reads the next ``seq_length`` characters of every stream, backpropagates through
    them, clips the gradients to ``[-clip, clip]`` and takes an Adagrad step. ``state.smooth_loss``
    is an exponential moving average of the loss per character (nats); ``state.history`` records it
    every ``every`` steps, when ``callback(state)`` is also called.

    Taught in: lesson 3, section 4 (training).
    """
    stream_end = np.append(state.starts[1:], len(data_ids))  # each stream reads up to the next one
    offsets = np.arange(seq_length + 1)
    with threads.adaptive_threads() as pool:
        for _ in range(steps):
            pool.refresh()  # follows other programs' load (see helpers.threads)
            _train_step(state, data_ids, stream_end, offsets, seq_length, clip)
            if state.step % every == 0:
                state.history.append((state.step, state.smooth_loss))
                if callback is not None:
                    callback(state)
    return state


def _train_step(
    state: TrainState, data_ids: NDArray[np.int64], stream_end: NDArray[np.int64], offsets: NDArray[np.int64],
    seq_length: int, clip: float,
) -> None:
    """One update of :func:`train`: the next chunk of every stream, forward, backward, Adagrad."""
    wrap = state.positions + seq_length + 1 > stream_end
    state.positions[wrap] = state.starts[wrap]
    state.hidden[wrap] = 0.0
    window = data_ids[state.positions[:, None] + offsets]  # (B, L + 1)
    loss, grads, state.hidden = loss_and_grads(state.params, window[:, :-1], window[:, 1:], state.hidden)
    state.optimizer.step(state.params, clip_grads(grads, clip))
    state.positions += seq_length
    state.step += 1
    state.smooth_loss = loss if state.smooth_loss is None else 0.99 * state.smooth_loss + 0.01 * loss


def _check_prompt(params: Mapping[str, Array], prompt_ids: NDArray[np.int64] | list[int]) -> NDArray[np.int64]:
    """The prompt as ids of shape ``(P,)``, P >= 1, each in the model's vocabulary; else a clear error."""
    prompt = np.asarray(prompt_ids, dtype=np.int64)
    if prompt.ndim != 1 or prompt.size == 0:
        raise ValueError("the prompt must be at least one character id")
    v, _ = sizes(params)
    if prompt.min() < 0 or prompt.max() >= v:
        raise ValueError(f"prompt character ids must be in [0, {v}), got {prompt.tolist()}: encode the prompt with the model's vocabulary")
    return prompt


@threads.adaptive
def evaluate(params: Mapping[str, Array], data_ids: NDArray[np.int64], seq_length: int = 100, batch_size: int = 64) -> float:
    """Mean cross-entropy per character (nats) of ``data_ids``, reading it as ``batch_size`` streams
    with the hidden state carried across chunks.

    Taught in: lesson 3, section 2 (the forward pass: the loss on new text).
    """
    n = (len(data_ids) - 1) // batch_size
    n -= n % seq_length
    if n < seq_length:
        raise ValueError("text too short to evaluate with this batch size and sequence length")
    streams = np.stack([data_ids[i * n : i * n + n + 1] for i in range(batch_size)])
    _, h = sizes(params)
    hidden = np.zeros((batch_size, h))
    total = 0.0
    for start in range(0, n, seq_length):
        chunk = streams[:, start : start + seq_length + 1]
        loss, _, hidden = _loss_only(params, chunk[:, :-1], chunk[:, 1:], hidden)
        total += loss
    return total / (n // seq_length)


def _mean_nll(logp: Array, targets: NDArray[np.int64]) -> float:
    """Mean of ``-logp[..., target]`` over all positions: the loss in nats per character."""
    return float(-np.take_along_axis(logp, np.asarray(targets)[..., None], axis=-1).mean())


def _loss_only(
    params: Mapping[str, Array], inputs: NDArray[np.int64], targets: NDArray[np.int64], h0: Array
) -> tuple[float, None, Array]:
    """Like :func:`loss_and_grads` without the backward pass (for evaluation)."""
    hs, logits = forward(params, inputs, h0)
    return _mean_nll(log_softmax(logits), targets), None, hs[:, -1]


def generate(
    params: Mapping[str, Array],
    prompt_ids: NDArray[np.int64] | list[int],
    length: int,
    temperature: float,
    seed: int | np.random.Generator,
    forced: Mapping[int, int] | None = None,
) -> tuple[NDArray[np.int64], Array]:
    """Generate ``length`` character ids after a prompt, feeding each choice back in.

    The prompt (at least one id) warms up the hidden state. Each step draws its Gumbel noise from
    one stream seeded by ``seed``, so the same seed gives the same noise at every temperature
    (common random numbers: nearby temperatures give texts that share a prefix). ``T = 0`` is
    greedy. ``forced`` maps a step number to an id to emit there instead of the sampled one (to
    show how one different choice changes everything after it).

    Returns:
        ``(ids, probs)``: the generated ids, shape ``(length,)``, and the probability the model
        (at this temperature) gave each of them, shape ``(length,)``.

    Taught in: lesson 3, section 4 (training: the samples the monitor shows).
    """
    t = check_temperature(temperature)
    prompt = _check_prompt(params, prompt_ids)
    v, h = sizes(params)
    rng = as_generator(seed)
    hidden = np.zeros(h)
    if prompt.size > 1:  # warm up on all but the last prompt character, which is fed in below
        hidden = forward(params, prompt[None, :-1], np.zeros((1, h)))[0][0, -1]
    x = int(prompt[-1])
    out = np.empty(length, dtype=np.int64)
    probs = np.empty(length)
    wxh_t, whh_t, why, bh, by = params["Wxh"].T, params["Whh"].T, params["Why"], params["bh"], params["by"]
    for step in range(length):
        hidden = np.tanh(wxh_t[x] + hidden @ whh_t + bh)
        logits = why @ hidden + by
        noise = gumbel_noise(rng, v)
        x = sample_gumbel_max(logits, t, noise)
        if forced and step in forced:
            x = int(forced[step])
        out[step] = x
        p_t = np.exp(log_softmax(logits, t))
        probs[step] = p_t[x]
    return out, probs


@threads.adaptive
def generate_many(
    params: Mapping[str, Array],
    prompt_ids: NDArray[np.int64] | list[int],
    length: int,
    temperatures: Sequence[float],
    seeds: Sequence[int],
) -> tuple[NDArray[np.int64], Array]:
    """Many :func:`generate` calls in one batched pass (lesson 3, sections 5 and 6).

    Row ``i`` is ``generate(params, prompt_ids, length, temperatures[i], seeds[i])``: the same noise
    stream per seed, so the same text. Returns ``(ids, probs)``, both of shape ``(N, length)``.

    Taught in: lesson 3, section 5 (temperature on a model that feeds itself).
    """
    ts = np.array([check_temperature(t) for t in temperatures], dtype=np.float64)
    seeds = list(seeds)
    if ts.size == 0 or len(seeds) != ts.size:
        raise ValueError(f"give one seed per temperature (and at least one): {ts.size} temperatures, {len(seeds)} seeds")
    prompt = _check_prompt(params, prompt_ids)
    v, h = sizes(params)
    n = ts.size
    noise = np.stack([gumbel_noise(as_generator(s), (length, v)) for s in seeds], axis=1)  # (length, N, V)
    hidden = np.zeros((n, h))
    if prompt.size > 1:
        hidden[:] = forward(params, prompt[None, :-1], np.zeros((1, h)))[0][0, -1]
    x = np.full(n, prompt[-1])
    out = np.empty((n, length), dtype=np.int64)
    probs = np.empty((n, length))
    wxh_t, whh_t, why_t, bh, by = params["Wxh"].T, params["Whh"].T, params["Why"].T, params["bh"], params["by"]
    for step in range(length):
        hidden = np.tanh(wxh_t[x] + hidden @ whh_t + bh)
        logits = hidden @ why_t + by  # (N, V)
        x = gumbel_max_rows(logits, ts, noise[step])
        out[:, step] = x
        for t in np.unique(ts):  # the probability at each row's own temperature, as generate() gives
            rows = ts == t
            probs[rows, step] = np.exp(np.take_along_axis(log_softmax(logits[rows], t), x[rows, None], axis=1)[:, 0])
    return out, probs


def log_probs(params: Mapping[str, Array], prompt_ids: NDArray[np.int64], ids: NDArray[np.int64]) -> Array:
    """Natural-log probability, under the model's own (``T = 1``) distribution, of each of ``ids``
    following ``prompt_ids`` (as :func:`generate` continues a prompt). ``ids`` of shape ``(L,)``, or
    ``(N, L)`` for N continuations of the same prompt (e.g. from :func:`generate_many`); the result
    has the shape of ``ids``.

    Taught in: lesson 3, section 5 (temperature on a model that feeds itself).
    """
    prompt = np.asarray(prompt_ids, dtype=np.int64)
    seq = np.asarray(ids, dtype=np.int64)
    rows = seq if seq.ndim == 2 else seq[None, :]
    _, h = sizes(params)
    inputs = np.concatenate([np.broadcast_to(prompt, (len(rows), prompt.size)), rows], axis=1)[:, :-1]
    _, logits = forward(params, inputs, np.zeros((len(rows), h)))
    logp = log_softmax(logits[:, len(prompt) - 1 :])
    picked = np.take_along_axis(logp, rows[..., None], axis=-1)[..., 0]
    return picked if seq.ndim == 2 else picked[0]


def input_gradients(params: Mapping[str, Array], ids: NDArray[np.int64]) -> Array:
    """Gradient of the log-probability of the last character with respect to every earlier input.

    Feeds ``ids[..., :-1]`` from a zero hidden state and differentiates ``log p(ids[..., -1])``
    (nats, the model's own ``T = 1`` distribution) with respect to the one-hot input vector
    ``x_t`` of every earlier position, by backpropagation through time (as :func:`loss_and_grads`,
    for this one log-probability)::

        d log p / d z = onehot(target) - p          at the last step; then dh = Why^T (that)
        draw = (1 - h_t^2) * dh                      back through tanh
        d log p / d x_t = Wxh^T draw                 the input's gradient, shape (V,)
        dh = Whh^T draw                              one step further back

    Args:
        ids: character ids, shape ``(L + 1,)``, or ``(N, L + 1)`` for ``N`` windows at once; L >= 1.

    Returns:
        shape ``(L, V)`` (or ``(N, L, V)``), ordered by distance: entry ``k`` is the gradient for
        the input ``k + 1`` positions before the predicted character.

    Used by: input_sensitivity (lesson 4, section 5: how far back a model looks).
    """
    seq = np.asarray(ids, dtype=np.int64)
    rows = seq if seq.ndim == 2 else seq[None, :]
    if rows.ndim != 2 or rows.shape[1] < 2:
        raise ValueError(f"ids must have shape (L + 1,) or (N, L + 1) with L >= 1, got {seq.shape}")
    inputs, target = rows[:, :-1], rows[:, -1]
    n, length = inputs.shape
    _, h = sizes(params)
    hs, logits = forward(params, inputs, np.zeros((n, h)))
    if target.min() < 0 or target.max() >= logits.shape[-1]:
        raise ValueError(f"character ids must be in [0, {logits.shape[-1]}), got {target.tolist()}")
    dz = -np.exp(log_softmax(logits[:, -1]))  # d log p(target) / d logits = onehot(target) - p
    dz[np.arange(n), target] += 1.0
    dh = dz @ params["Why"]  # (N, H)
    out = np.empty((n, length, params["Wxh"].shape[1]))
    for k, t in enumerate(reversed(range(length))):
        draw = (1.0 - hs[:, t + 1] ** 2) * dh  # back through the tanh of step t
        out[:, k] = draw @ params["Wxh"]
        dh = draw @ params["Whh"]
    return out if seq.ndim == 2 else out[0]


def input_sensitivity(params: Mapping[str, Array], ids: NDArray[np.int64]) -> Array:
    """How much each earlier character still matters to the model's last prediction: the norms of
    :func:`input_gradients` (nats per unit of the one-hot input), shape ``(L,)`` or ``(N, L)``,
    ordered by distance. The same quantity as ``helpers.char_lstm.input_sensitivity(model, text,
    wrt="one_hot")`` for the LSTM of lesson 4, so the two models compare.

    Taught in: lesson 4, section 5 (how far back does the LSTM look? the RNN beside it).
    """
    return np.linalg.norm(input_gradients(params, ids), axis=-1)


def save(params: Mapping[str, Array], path: str | Path) -> None:
    """Save the parameters to an ``.npz`` file.

    Used by: save_run and `python -m helpers.tiny_rnn train` (lesson 3's shipped run).
    """
    np.savez(path, **{name: params[name] for name in PARAM_NAMES})


def load(path: str | Path, vocab_size: int | None = None, hidden_size: int | None = None) -> Params:
    """Load parameters saved by :func:`save`, checking names and shapes.

    Raises ``ValueError`` naming the file and the mismatch if an array is missing or has the wrong
    shape (for ``vocab_size``/``hidden_size``, when given), ``FileNotFoundError`` if it is absent.

    Used by: load_run and the tests (lesson 3's shipped parameters).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file at {path}: train the model and save() it first")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k].astype(np.float64) for k in f.files if k in PARAM_NAMES}
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is not a tiny-RNN parameter file (.npz): {err}") from err
    missing = [n for n in PARAM_NAMES if n not in arrays]
    if missing:
        raise ValueError(f"{path} lacks the arrays {missing}: it was not written by tiny_rnn.save()")
    hidden, vocab = arrays["Wxh"].shape
    want = _shapes(vocab_size or vocab, hidden_size or hidden)
    for name in PARAM_NAMES:
        if arrays[name].shape != want[name]:
            raise ValueError(
                f"{path}: {name} has shape {arrays[name].shape}, expected {want[name]} for "
                f"vocabulary {vocab_size or vocab} and hidden size {hidden_size or hidden}. "
                "Was it saved from a model with another vocabulary or hidden size?"
            )
    return {name: arrays[name] for name in PARAM_NAMES}


# ---------------------------------------------------------------------------------------------
# The lesson's training run, shipped (lesson 3, section 4)
# ---------------------------------------------------------------------------------------------

SHIPPED_RUN = Path(__file__).resolve().parent.parent / "data" / "tiny_rnn.npz"

#: Lesson 3's training run: every number that decides its result (with the corpus and its split).
RECIPE: dict[str, float | int] = {
    "hidden_size": 128,
    "init_seed": 1,
    "init_scale": 0.01,
    "batch_size": 32,
    "seq_length": 25,
    "learning_rate": 0.1,
    "clip": 5.0,
    "steps": 6000,
    "every": 100,
}


@dataclass(frozen=True)
class TrainedRun:
    """A finished training run: its ``params``, its loss ``history`` (``(step, smoothed training
    loss in nats/char)`` pairs, one per ``every`` steps) and the ``recipe`` that produced it.

    Taught in: lesson 3, section 4 (training; the shipped run for a slow machine).
    """

    params: Params
    history: list[tuple[int, float]]
    recipe: dict[str, float | int]


def train_run(
    train_ids: NDArray[np.int64],
    vocab_size: int,
    callback: Callable[[TrainState], None] | None = None,
    **recipe: float | int,
) -> TrainedRun:
    """Train from scratch with :data:`RECIPE` (any entry overridden by ``recipe``): exactly what
    lesson 3's training cell does. ``callback(state)`` is called every ``every`` steps.

    Used by: `python -m helpers.tiny_rnn train` (lesson 3's shipped run, the same recipe as section 4).
    """
    unknown = sorted(set(recipe) - set(RECIPE))
    if unknown:
        raise ValueError(f"unknown recipe entries {unknown}; the recipe has {sorted(RECIPE)}")
    r = {**RECIPE, **recipe}
    params = init_params(vocab_size, int(r["hidden_size"]), seed=int(r["init_seed"]), scale=float(r["init_scale"]))
    state = start_training(params, train_ids, batch_size=int(r["batch_size"]), learning_rate=float(r["learning_rate"]))
    train(state, train_ids, steps=int(r["steps"]), seq_length=int(r["seq_length"]), clip=float(r["clip"]),
          callback=callback, every=int(r["every"]))
    return TrainedRun(state.params, list(state.history), r)


def save_run(path: str | Path, run: TrainedRun) -> None:
    """Save a :class:`TrainedRun` to an ``.npz`` file: the parameters (float64, as trained), the
    history and the recipe (as JSON text). Nothing in it needs unpickling.

    Used by: `python -m helpers.tiny_rnn train`, which writes lesson 3's shipped run (data/tiny_rnn.npz).
    """
    history = np.array(run.history, dtype=np.float64).reshape(-1, 2)
    np.savez(path, **{name: run.params[name] for name in PARAM_NAMES}, history=history,
             recipe=np.array(json.dumps(run.recipe, sort_keys=True)))


def load_run(path: str | Path = SHIPPED_RUN, **expected: float | int) -> TrainedRun:
    """Load a run saved by :func:`save_run` (by default the one the repository ships).

    ``expected`` recipe entries (e.g. ``steps=6000``) must match the file's: a run trained with
    another recipe is refused with a message naming the differences, never used silently.

    Taught in: lesson 3, section 4 (the one-line switch to the shipped run); used in lesson 4, section 1.
    """
    path = Path(path)
    params = load(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            history = [(int(s), float(v)) for s, v in f["history"]]
            recipe = json.loads(str(f["recipe"]))
    except (KeyError, ValueError) as err:
        raise ValueError(f"{path} holds parameters but no training run (history and recipe): "
                         f"write it with tiny_rnn.save_run ({err})") from None
    differ = {k: (recipe.get(k), v) for k, v in expected.items() if recipe.get(k) != v}
    if differ:
        listed = ", ".join(f"{k}: the file has {a!r}, you expect {b!r}" for k, (a, b) in differ.items())
        raise ValueError(f"{path} was trained with another recipe ({listed}). Retrain it: "
                         "python -m helpers.tiny_rnn train")
    return TrainedRun(params, history, recipe)


def _main(argv: list[str] | None = None) -> None:
    import argparse
    import time

    from . import data

    parser = argparse.ArgumentParser(prog="python -m helpers.tiny_rnn", description="Lesson 3's training run.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train with the lesson's recipe and save the run")
    tr.add_argument("--out", type=Path, default=SHIPPED_RUN)
    tr.add_argument("--corpus", type=Path, default=None, help="a local input.txt (default: see helpers.data)")
    ev = sub.add_parser("evaluate", help="the validation loss of a saved run")
    ev.add_argument("run", type=Path, nargs="?", default=SHIPPED_RUN)
    ev.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args(argv)
    text = data.load_corpus(args.corpus)
    vocab = data.Vocabulary.from_text(text)
    train_ids, val_ids = data.train_val_split(vocab.encode(text))
    if args.command == "train":
        start = time.perf_counter()
        run = train_run(train_ids, vocab.size)
        save_run(args.out, run)
        print(f"saved {args.out} ({args.out.stat().st_size / 1e3:.0f} kB): training loss {run.history[-1][1]:.3f}, "
              f"validation {evaluate(run.params, val_ids):.4f} nats/char, {time.perf_counter() - start:.0f} s")
    else:
        run = load_run(args.run)
        print(f"{args.run}: validation {evaluate(run.params, val_ids):.4f} nats/char after {run.recipe['steps']} steps")


if __name__ == "__main__":
    _main()
