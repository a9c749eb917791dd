"""A character-level LSTM in PyTorch: model, training, validation loss, checkpoints and sampling.

Model: embedding (``V`` → ``E``) → LSTM (``layers`` × ``hidden``) → linear (``hidden`` → ``V``).
Shapes: ``B`` batch, ``L`` sequence length, ``V`` vocabulary size. Losses in nats per character
(divide by ln 2 for bits).

Checkpoints are plain dictionaries of tensors, ints, floats, strings and lists, loaded with
``torch.load(..., weights_only=True)``: nothing is unpickled. Weights are stored as float16 (half the
size, the same validation loss) and cast back to float32 on load.

Command line (see ``python -m helpers.char_lstm --help``)::

    python -m helpers.char_lstm train --out data/char_lstm.pt
    python -m helpers.char_lstm evaluate data/char_lstm.pt
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import data, threads
from .progress import Progress
from .sampling import Truncation, as_generator, gumbel_max_rows, gumbel_noise, sample_gumbel_max
from .softmax import check_temperature, log_softmax

__all__ = [
    "Config",
    "CharLSTM",
    "CheckpointError",
    "DEFAULT_CHECKPOINT",
    "DEMO_CHECKPOINT",
    "train",
    "validation_loss",
    "validation_logits",
    "continuation_logits",
    "save_checkpoint",
    "load_checkpoint",
    "load_pretrained",
    "load_run",
    "input_sensitivity",
    "gate_values",
    "sample",
    "sample_many",
    "PromptState",
    "Continuation",
    "FastSampler",
]

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "data" / "char_lstm.pt"
DEMO_CHECKPOINT = Path(__file__).resolve().parent.parent / "data" / "char_lstm_demo.pt"  # lesson 4's live run
threads.use_outside_default()  # PyTorch is imported now: one thread outside the helpers (helpers.threads)
FORMAT = "temperature-lessons/char-lstm/1"


@dataclass(frozen=True)
class Config:
    """Hyperparameters of the model and of its training (all plain numbers, stored in checkpoints)."""

    embedding: int = 64
    hidden: int = 384
    layers: int = 2
    dropout: float = 0.2
    batch_size: int = 64
    seq_length: int = 128
    steps: int = 1500
    max_lr: float = 3e-3
    weight_decay: float = 0.01
    clip: float = 1.0
    eval_every: int = 100
    seed: int = 0
    threads: int = 0  # CPU threads for training; 0 = helpers.threads' policy (the CPUs free now, re-decided)


class CharLSTM(nn.Module):
    """Embedding → LSTM → linear over the vocabulary, which the model carries as ``.vocab``.

    ``forward(ids (B, L), state)`` returns ``(logits (B, L, V), state)`` with ``state`` the LSTM's
    ``(h, c)``, each of shape ``(layers, B, hidden)``.

    For convenience a model unpacks into itself and its vocabulary:
    ``model, vocab = load_pretrained()`` works as well as ``model = load_pretrained()``.
    """

    def __init__(self, vocab: data.Vocabulary, config: Config = Config()) -> None:
        super().__init__()
        self.vocab = vocab
        vocab_size = vocab.size
        self.vocab_size = vocab_size
        self.config = config
        self.embed = nn.Embedding(vocab_size, config.embedding)
        self.lstm = nn.LSTM(
            config.embedding,
            config.hidden,
            num_layers=config.layers,
            dropout=config.dropout if config.layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden, vocab_size)

    def forward(
        self, ids: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state

    def __iter__(self) -> Iterator[CharLSTM | data.Vocabulary]:
        """``model, vocab = model``: the model and its vocabulary."""
        return iter((self, self.vocab))


class CheckpointError(ValueError):
    """A checkpoint file that is missing, truncated, or not one of ours."""


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def _stream_logits(model: CharLSTM, ids: np.ndarray | str, streams: int, chunk: int):
    """Yield ``(logits (streams, l, V), targets (streams, l))`` chunks over ``ids`` read as
    ``streams`` parallel pieces, the LSTM state carried across chunks (eval mode meanwhile)."""
    if isinstance(ids, str):
        ids = model.vocab.encode(ids)
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids) // streams
    if n < 2:
        raise ValueError(f"text too short ({len(ids)} characters) for {streams} streams")
    x = torch.from_numpy(ids[: n * streams].reshape(streams, n))
    was_training = model.training
    model.eval()
    state = None
    try:
        for start in range(0, n - 1, chunk):
            inputs = x[:, start : min(start + chunk, n - 1)]
            targets = x[:, start + 1 : start + 1 + inputs.shape[1]]
            logits, state = model(inputs, state)
            yield logits, targets
    finally:
        model.train(was_training)


@threads.adaptive
def validation_loss(model: CharLSTM, ids: np.ndarray | str, streams: int = 32, chunk: int = 256) -> float:
    """Mean cross-entropy (nats/char) of predicting each character of ``ids`` from the ones before.

    ``ids`` may be a text (encoded with ``model.vocab``) or an array of ids. The text is read as
    ``streams`` parallel pieces with the LSTM state carried across chunks, so each prediction sees
    up to a whole piece of context; the first character of each piece is not predicted.
    """
    total, count = 0.0, 0
    for logits, targets in _stream_logits(model, ids, streams, chunk):
        total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum").item()
        count += targets.numel()
    return total / count


@threads.adaptive
def validation_logits(
    model: CharLSTM, ids: np.ndarray | str, streams: int = 32, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """The logits the model gives every predicted character of ``ids`` and the characters' ids.

    Read as in :func:`validation_loss` (whose value is the mean cross-entropy of these). Returns
    ``(logits (N, V) float32, targets (N,) int64)``, e.g. to study temperature scaling.
    """
    parts = [(lg.reshape(-1, lg.shape[-1]).numpy(), tg.reshape(-1).numpy()) for lg, tg in _stream_logits(model, ids, streams, chunk)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@threads.adaptive
@torch.no_grad()
def continuation_logits(model: CharLSTM, prompt: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The logits the model gave each character of ``text`` when it followed ``prompt``.

    One pass over ``prompt + text``: row ``i`` is the model's (``T = 1``) logits for the character
    after ``prompt + text[:i]``. Returns ``(logits (len(text), V) float64, ids (len(text),) int64)``,
    e.g. to estimate from a sample the temperature it was drawn at (lesson 5).
    """
    if not prompt:
        raise ValueError("the prompt must have at least one character (e.g. '\\n')")
    ids = model.vocab.encode(prompt + text)
    was_training = model.training
    model.eval()
    try:
        logits, _ = model(torch.from_numpy(ids[:-1])[None, :])
    finally:
        model.train(was_training)
    start = len(prompt) - 1
    return logits[0, start:].double().numpy(), ids[len(prompt):].astype(np.int64)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where a widget progress view can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def train(
    text: str,
    config: Config = Config(),
    log: Callable[[str], None] | None = None,
    on_eval: Callable[[int, float, float, CharLSTM], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
    progress: str = "auto",
) -> tuple[CharLSTM, data.Vocabulary, dict]:
    """Train a :class:`CharLSTM` on the first 90 % of ``text``; keep the best-validation weights.

    Each step samples ``batch_size`` random windows of ``seq_length + 1`` characters from the
    training split, uses AdamW with a one-cycle learning-rate schedule peaking at ``max_lr``, and
    clips the gradient norm to ``clip``. Every ``eval_every`` steps it measures the validation loss
    (last 10 %) and keeps the weights if they are the best so far (longer training overfits).
    PyTorch uses ``threads`` CPU threads meanwhile; 0 means :mod:`helpers.threads`' policy: the CPUs
    this process can get now (its budget less what other programs keep busy), decided again as the
    run goes, because two spinning threads on a CPU that is not free make a step many times slower.

    Progress: ``progress="auto"`` shows a live widget (progress bar, loss curve, a sample at each
    evaluation) in a notebook and prints one line per evaluation in a terminal; ``"notebook"``,
    ``"terminal"`` or ``"none"`` choose explicitly. ``log(line)`` replaces the printed lines;
    ``on_step(step, loss)`` and ``on_eval(step, train_loss, val_loss, model)`` are called as well.

    Returns ``(model, vocab, info)`` with ``info`` holding the validation history
    (``[step, smoothed training loss, validation loss]`` rows, nats/char), the smoothed training
    loss every ``steps / 100`` steps (``curve``: ``[step, loss]`` rows), the best loss and step,
    characters per second and the training time in seconds.
    """
    if progress == "auto":
        progress = "notebook" if log is None and _in_notebook() else "terminal"
    if progress not in ("notebook", "terminal", "none"):
        raise ValueError(f"progress must be 'auto', 'notebook', 'terminal' or 'none', got {progress!r}")
    callbacks_step = [cb for cb in (on_step,) if cb is not None]
    callbacks_eval = [cb for cb in (on_eval,) if cb is not None]
    if progress == "notebook":
        from . import widgets  # the widget view is only needed in a notebook

        monitor = widgets.TrainingMonitor.for_char_lstm(config.steps, config.batch_size * config.seq_length)
        callbacks_step.append(monitor.on_step)
        callbacks_eval.append(monitor.on_eval)
        log = log or (lambda line: None)
        from IPython.display import display

        display(monitor)
    elif progress == "none":
        log = log or (lambda line: None)
    if config.threads > 0:
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(config.threads)
        try:
            return _train(text, config, log, callbacks_step, callbacks_eval, refresh=lambda: None)
        finally:
            torch.set_num_threads(previous_threads)
    with threads.adaptive_threads() as pool:
        return _train(text, config, log, callbacks_step, callbacks_eval, refresh=pool.refresh)


def _train(
    text: str,
    config: Config,
    log: Callable[[str], None] | None,
    callbacks_step: list[Callable[[int, float], None]],
    callbacks_eval: list[Callable[[int, float, float, CharLSTM], None]],
    refresh: Callable[[], object],
) -> tuple[CharLSTM, data.Vocabulary, dict]:
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    vocab = data.Vocabulary.from_text(text)
    train_ids, val_ids = data.train_val_split(vocab.encode(text))
    model = CharLSTM(vocab, config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.max_lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.max_lr, total_steps=config.steps)
    log = log or (lambda line: print(line, flush=True))
    offsets = np.arange(config.seq_length + 1)
    best = (math.inf, 0, None)
    history: list[tuple[int, float, float]] = []
    curve: list[tuple[int, float]] = []  # the smoothed training loss, about 100 points
    curve_every = max(1, config.steps // 100)
    running = None
    start = time.perf_counter()
    clock = Progress(config.steps)
    for step in range(1, config.steps + 1):
        refresh()  # the thread count follows other programs' load
        starts = rng.integers(0, len(train_ids) - config.seq_length - 1, config.batch_size)
        window = torch.from_numpy(train_ids[starts[:, None] + offsets])
        logits, _ = model(window[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab.size), window[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
        sched.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        clock.update(step)
        for callback in callbacks_step:
            callback(step, running)
        if step % curve_every == 0:
            curve.append((step, running))
        if step % config.eval_every == 0 or step == config.steps:
            val = validation_loss(model, val_ids)
            history.append((step, running, val))
            if val < best[0]:
                best = (val, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
            log(f"step {step:5d}/{config.steps}  train {running:.3f}  val {val:.3f} nats/char  "
                f"(best {best[0]:.3f} at {best[1]})  {clock.text()}")
            for callback in callbacks_eval:
                callback(step, running, val, model)
    seconds = time.perf_counter() - start
    model.load_state_dict(best[2])
    model.eval()
    info = {
        "val_loss": float(best[0]),
        "best_step": int(best[1]),
        "history": [[int(s), float(t), float(v)] for s, t, v in history],
        "curve": [[int(s), float(t)] for s, t in curve],
        "train_seconds": float(seconds),
        "chars_per_second": float(config.steps * config.batch_size * config.seq_length / seconds),
    }
    return model, vocab, info


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------

def save_checkpoint(path: str | Path, model: CharLSTM, vocab: data.Vocabulary, info: dict, command: str = "") -> None:
    """Write weights (float16) and plain metadata; loadable with ``weights_only=True``."""
    meta = {
        "format": FORMAT,
        "vocab": "".join(vocab.chars),
        "config": asdict(model.config),
        "val_loss": float(info["val_loss"]),
        "info": info,
        "corpus_sha256": data.CORPUS_SHA256,
        "command": command,
        "torch_version": str(torch.__version__),
    }
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    torch.save({"meta": meta, "state_dict": state}, path)


def load_checkpoint(path: str | Path) -> tuple[CharLSTM, data.Vocabulary, dict]:
    """Load a checkpoint written by :func:`save_checkpoint` (``weights_only=True``).

    Raises :class:`CheckpointError` naming the file and what to do if it is missing, truncated,
    not a PyTorch file, or not a checkpoint of this course.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"no checkpoint at {path}. The course ships data/char_lstm.pt; restore it with "
            "`git checkout data/char_lstm.pt`, or train one: python -m helpers.char_lstm train --out "
            f"{path}"
        )
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated zip, foreign pickle with objects, random bytes, ...
        raise CheckpointError(
            f"{path} could not be read as a safe PyTorch checkpoint ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200]}). It may be truncated or corrupt, or a file that "
            "needs unpickling arbitrary objects (refused). Restore it with `git checkout "
            f"{path.name}` or retrain it."
        ) from err
    if not isinstance(blob, dict) or blob.get("meta", {}).get("format") != FORMAT:
        raise CheckpointError(f"{path} is a PyTorch file but not a char-LSTM checkpoint of this course.")
    meta = blob["meta"]
    config = Config(**meta["config"])
    vocab = data.Vocabulary(tuple(meta["vocab"]))
    model = CharLSTM(vocab, config)
    try:
        model.load_state_dict({k: v.to(torch.float32) for k, v in blob["state_dict"].items()})
    except RuntimeError as err:
        raise CheckpointError(f"{path}: the weights do not fit the stored configuration ({err}).") from err
    model.eval()
    return model, vocab, meta


def load_pretrained(path: str | Path | None = None) -> CharLSTM:
    """The shipped model (``data/char_lstm.pt`` unless ``path`` is given), in eval mode.

    Its vocabulary is ``model.vocab``; ``model, vocab = load_pretrained()`` also works.
    """
    model, _, _ = load_checkpoint(path or DEFAULT_CHECKPOINT)
    return model


def load_run(path: str | Path, config: Config) -> tuple[CharLSTM, data.Vocabulary, dict]:
    """A shipped training run, as :func:`train` would return it: ``(model, vocab, info)``.

    For a slow machine (lesson 4, section 3): instead of training with ``config``, load the result
    of that very run from ``path`` (e.g. :data:`DEMO_CHECKPOINT`). A checkpoint trained with another
    configuration is refused with the differences named, never used silently.
    """
    model, vocab, meta = load_checkpoint(path)
    stored, wanted = meta["config"], asdict(config)
    differ = {k: (stored.get(k), v) for k, v in wanted.items() if k != "threads" and stored.get(k) != v}
    if differ:
        listed = ", ".join(f"{k}: the file has {a!r}, you asked for {b!r}" for k, (a, b) in differ.items())
        raise CheckpointError(f"{path} was trained with another configuration ({listed}).")
    return model, vocab, meta["info"]


# ---------------------------------------------------------------------------------------------
# Sampling (reference implementation: one character at a time through nn.LSTM)
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# Looking inside
# ---------------------------------------------------------------------------------------------

_SENSITIVITY_CHUNK = 16  # texts per backward pass in input_sensitivity (100 at once peaked near 1 GB)


@threads.adaptive
def input_sensitivity(model: CharLSTM, text: str | Sequence[str], wrt: str = "embedding") -> np.ndarray:
    """How much each earlier character still matters to the model's last prediction.

    Feeds ``text[:-1]`` and differentiates the log-probability (nats, the model's own ``T = 1``
    distribution) of the last character ``text[-1]`` with respect to the input of every earlier
    position. Returns the gradient norms ordered by distance: entry ``k`` is for the character
    ``k + 1`` positions before the predicted one, shape ``(len(text) - 1,)``.

    ``wrt="embedding"`` (the default) differentiates with respect to the input embedding
    (``config.embedding`` numbers per character); ``wrt="one_hot"`` with respect to the one-hot
    vector of ``V`` numbers the embedding is looked up from (its gradient is the embedding matrix
    times the embedding's gradient, shape ``(V,)``): the quantity
    :func:`helpers.tiny_rnn.input_sensitivity` gives for lesson 3's RNN, so the two models compare.
    ``text`` may also be a list of ``N`` texts of one length, differentiated in one batched pass:
    the result then has shape ``(N, len - 1)``.
    """
    if wrt not in ("embedding", "one_hot"):
        raise ValueError(f'wrt must be "embedding" or "one_hot", got {wrt!r}')
    texts = [text] if isinstance(text, str) else list(text)
    if not texts or len({len(t) for t in texts}) != 1:
        raise ValueError("give one text, or a non-empty list of texts of one length")
    ids = torch.from_numpy(np.stack([model.vocab.encode(t) for t in texts]))
    if ids.shape[1] < 2:
        raise ValueError("the text needs at least two characters")
    was_training = model.training
    model.eval()
    chunks = []
    for rows in torch.split(ids, _SENSITIVITY_CHUNK):  # a few texts per backward pass bounds the memory
        emb = model.embed(rows[:, :-1]).detach().requires_grad_(True)
        with torch.enable_grad():
            out, _ = model.lstm(emb)
            logp = torch.log_softmax(model.head(out[:, -1]), dim=-1)
            total = logp.gather(1, rows[:, -1:]).sum()  # the rows are independent: one backward pass each chunk
            (grad,) = torch.autograd.grad(total, emb)
        if wrt == "one_hot":
            grad = grad @ model.embed.weight.detach().T  # (n, L, V)
        chunks.append(grad.norm(dim=2))
    model.train(was_training)
    norms = torch.cat(chunks).numpy()[:, ::-1].copy()
    return norms[0] if isinstance(text, str) else norms


@threads.adaptive
def gate_values(model: CharLSTM, text: str) -> dict[str, np.ndarray]:
    """The LSTM's gate activations while it reads ``text``.

    Returns ``{"input", "forget", "cell", "output"}`` → arrays of shape ``(len(text), layers,
    hidden)``: the sigmoid gates i, f, o in ``(0, 1)`` and the tanh candidate g in ``(-1, 1)``.
    A forget gate near 1 keeps that unit's memory cell almost unchanged for the next character.
    """
    fast = FastSampler(model)
    ids = model.vocab.encode(text)
    h = np.zeros((fast.layers, 1, fast.hidden), np.float32)
    c = np.zeros_like(h)
    n = fast.hidden
    out = np.empty((len(ids), fast.layers, 4, n), np.float32)
    for t, x in enumerate(ids):
        inputs = None
        for k in range(fast.layers):
            if k == 0:
                gates = fast.input0[[x]] + h[0] @ fast.recurrent0
            else:
                w, b = fast.stacked[k - 1]
                gates = np.concatenate([inputs, h[k]], axis=1) @ w + b
            act = 1.0 / (1.0 + np.exp(-gates[0]))
            act[2 * n : 3 * n] = np.tanh(gates[0, 2 * n : 3 * n])
            out[t, k] = act.reshape(4, n)
            h[k], c[k] = fast._cell(gates, c[k])
            inputs = h[k]
    return {name: out[:, :, j] for j, name in enumerate(("input", "forget", "cell", "output"))}


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------
#
# Every sampler here draws its Gumbel noise from one stream seeded by ``seed``: the noise for
# step k is the k-th row of ``rng.random((length, V))`` turned into Gumbel noise, whatever the
# temperature. So the same seed at nearby temperatures gives texts that share a prefix and part
# where one choice flips (common random numbers), and all samplers give the same text.


_choose = gumbel_max_rows  # the one place the samplers turn logits into choices (helpers.sampling)


def _model_probs(logits: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The model's own (T = 1) probability of ``ids[..., k]`` given ``logits[..., k, :]``, in float64."""
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return np.exp(np.take_along_axis(logp, ids[..., None], axis=-1)[..., 0])


@threads.adaptive
@torch.no_grad()
def sample(
    model: CharLSTM,
    prompt: str,
    length: int,
    temperature: float,
    seed: int | np.random.Generator,
    return_probs: bool = False,
    *,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    temperature_last: bool = False,
) -> str | tuple[str, np.ndarray]:
    """Continue ``prompt`` by ``length`` characters at ``temperature`` (0 = greedy): the reference.

    One character at a time through ``nn.LSTM``: each step picks ``argmax(logits / T + noise)``
    with Gumbel noise of shape ``(V,)`` from the stream seeded by ``seed`` (the same noise at every
    temperature). The same arguments give the same text.

    With ``return_probs``, also returns the probability the model's own distribution (``T = 1``)
    gave each generated character, shape ``(length,)``: how surprising the model finds its own
    output, for colouring (at ``T = 0`` every choice would otherwise have probability 1).

    ``top_k``, ``top_p``, ``min_p`` and ``temperature_last`` truncate each step's distribution
    before the choice (see :func:`helpers.sampling.truncation_mask`); all off by default.
    """
    t = check_temperature(temperature)
    truncation = Truncation(top_k, top_p, min_p, temperature_last)
    if not prompt:
        raise ValueError("the prompt must have at least one character (e.g. '\\n')")
    length = _check_length(length)
    prompt_ids = model.vocab.encode(prompt)
    rng = as_generator(seed)
    model.eval()
    logits, state = model(torch.from_numpy(prompt_ids)[None, :])
    last = logits[0, -1].double().numpy()
    out, probs = [], []
    for _ in range(length):
        allowed = np.where(truncation.mask(last, t), last, -np.inf) if truncation.active else last
        choice = sample_gumbel_max(allowed, t, gumbel_noise(rng, model.vocab_size))
        out.append(choice)
        probs.append(float(np.exp(log_softmax(last)[choice])))
        logits, state = model(torch.tensor([[choice]]), state)
        last = logits[0, -1].double().numpy()
    text = model.vocab.decode(out)
    return (text, np.array(probs)) if return_probs else text


def _check_length(length: int) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be a whole number of characters >= 0, got {length!r}")
    return int(length)


def sample_many(
    model: CharLSTM,
    prompt: str,
    length: int,
    temperatures: Sequence[float],
    seed: int | Sequence[int],
    *,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    temperature_last: bool = False,
) -> tuple[list[str], np.ndarray]:
    """Continue ``prompt`` at several temperatures in one batched pass.

    Row ``i`` is exactly ``sample(model, prompt, length, temperatures[i], seeds[i])``: ``seed`` is
    one seed shared by all rows (shared noise: the texts morph into each other as T grows) or one
    seed per row (e.g. several seeds per temperature for error bars).

    Returns ``(texts, probs)``: ``len(temperatures)`` texts and the model's own (``T = 1``)
    probability of each generated character, shape ``(len(temperatures), length)``. The truncation
    knobs apply to every row, as in :func:`sample`.
    """
    truncation = Truncation(top_k, top_p, min_p, temperature_last)
    return FastSampler(model).sample_batch(prompt, length, temperatures, seed, truncation)


@dataclass(frozen=True)
class Sweep:
    """Samples from a grid of temperatures, seeds and prompts (lessons 5 and 6), one entry per sample.

    Attributes:
        texts: the ``N`` generated texts.
        temperature, seed: shape ``(N,)``.
        prompt: the prompt of each text.
        surprise: mean ``-log p`` of each text's characters under the model's own (``T = 1``)
            distribution, nats/char, shape ``(N,)``.
        truncation: the top-k / top-p / min-p knobs every sample used.
    """

    texts: list[str]
    temperature: np.ndarray
    seed: np.ndarray
    prompt: list[str]
    surprise: np.ndarray
    truncation: Truncation


@threads.adaptive
def sweep(
    model: CharLSTM,
    prompts: Sequence[str],
    length: int,
    temperatures: Sequence[float],
    seeds: Sequence[int],
    truncation: Truncation | None = None,
) -> Sweep:
    """Every combination of prompt, temperature and seed, ``length`` characters each.

    One batched pass per prompt (rows ordered by temperature, then seed); sample ``i`` is exactly
    ``sample(model, prompt, length, T, seed, **knobs)``. The same seeds give the same noise at every
    temperature and for every ``truncation``, so sweeps that differ only in their knobs can be
    compared sample by sample.
    """
    fast = FastSampler(model)
    row_t = [float(t) for t in temperatures for _ in seeds]
    row_seed = [int(s) for _ in temperatures for s in seeds]
    texts: list[str] = []
    surprise: list[np.ndarray] = []
    for prompt in prompts:
        rows, probs = fast.sample_batch(prompt, length, row_t, row_seed, truncation)
        texts += rows
        surprise.append(np.mean(-np.log(probs), axis=1))
    return Sweep(
        texts=texts,
        temperature=np.array(row_t * len(prompts)),
        seed=np.array(row_seed * len(prompts)),
        prompt=[p for p in prompts for _ in row_t],
        surprise=np.concatenate(surprise),
        truncation=truncation or Truncation(),
    )


class PromptState(NamedTuple):
    """The LSTM state after reading a prompt: ``h`` and ``c`` of shape ``(layers, hidden)``,
    and the next-character ``logits`` of shape ``(V,)``."""

    prompt: str
    h: np.ndarray
    c: np.ndarray
    logits: np.ndarray


@dataclass(frozen=True)
class Continuation:
    """A generated continuation, with what it takes to regenerate it at another temperature.

    Attributes:
        text: the ``L`` generated characters.
        ids: their ids, shape ``(L,)``.
        probs: the model's own (``T = 1``) probability of each, shape ``(L,)``.
        temperature, seed: how it was generated.
        logits: the logits before each choice, shape ``(L, V)``, float32.
        states: the LSTM state before each choice, shape ``(L, 2, layers, hidden)`` (``h`` then ``c``).
        recomputed: how many LSTM steps this continuation cost (the rest was reused).
        truncation: the top-k / top-p / min-p knobs it was generated with.
    """

    text: str
    ids: np.ndarray
    probs: np.ndarray
    temperature: float
    seed: int
    logits: np.ndarray
    states: np.ndarray
    recomputed: int
    truncation: Truncation = Truncation()


class FastSampler:
    """The same sampler as :func:`sample`, as a fused float32 numpy loop.

    Built once from a model: layer 0's input projection is precomputed per character (a lookup
    instead of embedding + matmul), and each layer's step is one matrix product of ``[input, h]``
    with the stacked weights. It runs one text (:meth:`sample`, :meth:`continuation`) or many at
    once (:meth:`sample_batch`). For the same arguments it gives the same text as :func:`sample`
    (tests check this), several times faster: what a live slider needs.

    :meth:`continuation` also reuses work when only the temperature moved: with shared noise the
    new text equals the old one up to the first choice that flips, so only the steps after it are
    recomputed.
    """

    def __init__(self, model: CharLSTM, noise_cache_size: int = 8) -> None:
        sd = {k: v.detach().to(torch.float32).numpy() for k, v in model.state_dict().items()}
        self.vocab = model.vocab
        self.layers = model.config.layers
        self.hidden = model.config.hidden
        bias0 = sd["lstm.bias_ih_l0"] + sd["lstm.bias_hh_l0"]
        self.input0 = np.ascontiguousarray(sd["embed.weight"] @ sd["lstm.weight_ih_l0"].T + bias0)  # (V, 4H)
        self.recurrent0 = np.ascontiguousarray(sd["lstm.weight_hh_l0"].T)  # (H, 4H)
        self.stacked = [  # layers >= 1: [x, h] @ (2H, 4H) + b
            (
                np.ascontiguousarray(np.vstack([sd[f"lstm.weight_ih_l{k}"].T, sd[f"lstm.weight_hh_l{k}"].T])),
                sd[f"lstm.bias_ih_l{k}"] + sd[f"lstm.bias_hh_l{k}"],
            )
            for k in range(1, self.layers)
        ]
        self.head_w = np.ascontiguousarray(sd["head.weight"].T)  # (H, V)
        self.head_b = sd["head.bias"]
        self._noise: dict[int, np.ndarray] = {}  # explicit cache: seed -> Gumbel noise (steps, V)
        self._noise_cache_size = noise_cache_size

    # -- the LSTM step -------------------------------------------------------------------------

    def _cell(self, gates: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gates ``(B, 4H)`` in PyTorch's order (input, forget, cell, output) and ``c (B, H)``."""
        h4 = self.hidden
        ifo = 1.0 / (1.0 + np.exp(-gates))  # sigmoid of all four blocks; the g block is unused
        g = np.tanh(gates[:, 2 * h4 : 3 * h4])
        c = ifo[:, h4 : 2 * h4] * c + ifo[:, :h4] * g
        return ifo[:, 3 * h4 :] * np.tanh(c), c

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Feed characters ``x (B,)``; update ``h, c (layers, B, H)`` in place; return logits ``(B, V)``."""
        h[0], c[0] = self._cell(self.input0[x] + h[0] @ self.recurrent0, c[0])
        for k, (w, b) in enumerate(self.stacked, start=1):
            h[k], c[k] = self._cell(np.concatenate([h[k - 1], h[k]], axis=1) @ w + b, c[k])
        return h[-1] @ self.head_w + self.head_b

    @threads.adaptive
    def prompt_state(self, prompt: str) -> PromptState:
        """The state after reading ``prompt``: compute it once to generate many continuations."""
        if not isinstance(prompt, str) or not prompt:
            raise ValueError("the prompt must have at least one character (e.g. '\\n')")
        ids = self.vocab.encode(prompt)
        h = np.zeros((self.layers, 1, self.hidden), np.float32)
        c = np.zeros((self.layers, 1, self.hidden), np.float32)
        logits = None
        for x in ids:
            logits = self.step(np.array([x]), h, c)
        return PromptState(prompt, h[:, 0].copy(), c[:, 0].copy(), logits[0].copy())

    def noise(self, seed: int | np.random.Generator, length: int) -> np.ndarray:
        """Gumbel noise for ``length`` steps, shape ``(length, V)``, the stream of :func:`sample`.

        Cached per integer seed (the first rows of a longer draw are the same numbers).
        """
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            return gumbel_noise(seed, (length, self.vocab.size))
        seed = int(seed)
        cached = self._noise.get(seed)
        if cached is None or len(cached) < length:
            cached = gumbel_noise(seed, (max(length, 256), self.vocab.size))
            if len(self._noise) >= self._noise_cache_size:
                self._noise.pop(next(iter(self._noise)))
            self._noise[seed] = cached
        return cached[:length]

    def _state(self, prompt: str | PromptState) -> PromptState:
        return self.prompt_state(prompt) if isinstance(prompt, str) else prompt

    # -- one text ------------------------------------------------------------------------------

    @threads.adaptive
    def continuation(
        self,
        prompt: str | PromptState,
        length: int,
        temperature: float,
        seed: int | np.random.Generator,
        previous: Continuation | None = None,
        truncation: Truncation | None = None,
    ) -> Continuation:
        """Generate ``length`` characters after ``prompt`` (a text or a cached :meth:`prompt_state`).

        If ``previous`` was generated after the same prompt state with the same seed, its steps are
        reused up to the first choice that differs at the new temperature or ``truncation``; only
        the rest is run.
        """
        truncation = truncation or Truncation()
        t = check_temperature(temperature)
        length = _check_length(length)
        state = self._state(prompt)
        noise = self.noise(seed, length)
        ids = np.empty(length, dtype=np.int64)
        logits = np.empty((length, self.vocab.size), np.float32)
        states = np.empty((length, 2, self.layers, self.hidden), np.float32)
        h, c = state.h[:, None, :].copy(), state.c[:, None, :].copy()
        logits_next, start = state.logits[None, :], 0
        if (
            previous is not None
            and previous.seed == seed
            and len(previous.ids) > 0
            and length > 0
            and np.array_equal(previous.states[0, 0], state.h)
            and np.array_equal(previous.states[0, 1], state.c)
        ):
            # states[k] and logits[k] depend only on ids[:k]: they stay right up to the first flip.
            n = min(length, len(previous.ids))
            new = _choose(previous.logits[:n].astype(np.float64), t, noise[:n], truncation)
            differ = np.flatnonzero(new != previous.ids[:n])
            first = int(differ[0]) if differ.size else n  # the first step that chooses differently
            start = min(first + 1, n)  # steps 0 .. start-1 are complete without running the LSTM
            ids[:start] = new[:start]
            logits[:start] = previous.logits[:start]
            states[:start] = previous.states[:start]
            if start < length:  # run the LSTM on from the state before the last reused choice
                h = states[start - 1, 0][:, None, :].copy()
                c = states[start - 1, 1][:, None, :].copy()
                logits_next = self.step(ids[start - 1 : start], h, c)
        for k in range(start, length):
            logits[k] = logits_next[0]
            states[k, 0], states[k, 1] = h[:, 0], c[:, 0]
            ids[k] = _choose(logits[k : k + 1].astype(np.float64), t, noise[k : k + 1], truncation)[0]
            if k + 1 < length:
                logits_next = self.step(ids[k : k + 1], h, c)
        return Continuation(
            text=self.vocab.decode(ids),
            ids=ids,
            probs=_model_probs(logits, ids),
            temperature=t,
            seed=int(seed) if isinstance(seed, (int, np.integer)) else -1,
            logits=logits,
            states=states,
            recomputed=length - start,
            truncation=truncation,
        )

    def sample(
        self,
        prompt: str | PromptState,
        length: int,
        temperature: float,
        seed: int | np.random.Generator,
        truncation: Truncation | None = None,
    ) -> tuple[str, np.ndarray]:
        """``(text, probs)``, as :func:`sample` with ``return_probs=True``."""
        result = self.continuation(prompt, length, temperature, seed, truncation=truncation)
        return result.text, result.probs

    # -- many texts at once --------------------------------------------------------------------

    @threads.adaptive
    def sample_batch(
        self,
        prompt: str | PromptState,
        length: int,
        temperatures: Sequence[float],
        seed: int | Sequence[int],
        truncation: Truncation | None = None,
    ) -> tuple[list[str], np.ndarray]:
        """All rows in one pass: see :func:`sample_many`."""
        ts = np.array([check_temperature(t) for t in temperatures], dtype=np.float64)
        if ts.size == 0:
            raise ValueError("give at least one temperature")
        length = _check_length(length)
        seeds = [seed] * ts.size if isinstance(seed, (int, np.integer)) else list(seed)
        if len(seeds) != ts.size:
            raise ValueError(f"give one seed, or one per temperature: {ts.size} temperatures, {len(seeds)} seeds")
        state = self._state(prompt)
        unique = {s: self.noise(int(s), length) for s in dict.fromkeys(int(s) for s in seeds)}
        noise = np.stack([unique[int(s)] for s in seeds], axis=1) if length else np.empty((0, ts.size, self.vocab.size))
        b = ts.size
        h = np.repeat(state.h[:, None, :], b, axis=1)
        c = np.repeat(state.c[:, None, :], b, axis=1)
        z = np.repeat(state.logits[None, :], b, axis=0)
        ids = np.empty((b, length), dtype=np.int64)
        logits = np.empty((b, length, self.vocab.size), np.float32)
        for k in range(length):
            logits[:, k] = z
            ids[:, k] = _choose(z.astype(np.float64), ts, noise[k], truncation)
            if k + 1 < length:
                z = self.step(ids[:, k], h, c)
        return [self.vocab.decode(row) for row in ids], _model_probs(logits, ids)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.char_lstm", description="Train or evaluate the course's char-LSTM.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train on Tiny Shakespeare and save the best-validation checkpoint")
    tr.add_argument("--out", type=Path, default=DEFAULT_CHECKPOINT)
    tr.add_argument("--corpus", type=Path, default=None, help="a local input.txt (default: see helpers.data)")
    for field, default in asdict(Config()).items():
        tr.add_argument(f"--{field.replace('_', '-')}", type=type(default), default=default)
    ev = sub.add_parser("evaluate", help="recompute a checkpoint's validation loss")
    ev.add_argument("checkpoint", type=Path)
    ev.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args(argv)

    text = data.load_corpus(args.corpus)
    if args.command == "train":
        config = Config(**{f: getattr(args, f) for f in asdict(Config())})
        model, vocab, info = train(text, config)
        command = "python -m helpers.char_lstm " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        save_checkpoint(args.out, model, vocab, info, command=command)
        size = args.out.stat().st_size
        print(f"saved {args.out} ({size / 1e6:.1f} MB): validation {info['val_loss']:.4f} nats/char "
              f"at step {info['best_step']}, {info['train_seconds'] / 60:.1f} min, "
              f"{info['chars_per_second']:,.0f} chars/s")
    else:
        model, vocab, meta = load_checkpoint(args.checkpoint)
        _, val = data.train_val_split(vocab.encode(text))
        loss = validation_loss(model, val)
        sha = hashlib.sha256(text.encode()).hexdigest()
        print(f"{args.checkpoint}: validation {loss:.4f} nats/char ({loss / math.log(2):.3f} bits/char); "
              f"recorded {meta['val_loss']:.4f}; corpus sha256 {'matches' if sha == meta['corpus_sha256'] else 'DIFFERS'}")


if __name__ == "__main__":
    _main()
