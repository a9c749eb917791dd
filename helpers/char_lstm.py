"""A character-level LSTM in PyTorch: model, training, validation loss, checkpoints and sampling.

Model: embedding (``V`` → ``E``) → LSTM (``layers`` × ``hidden``) → linear (``hidden`` → ``V``).
Shapes: ``B`` batch, ``L`` sequence length, ``V`` vocabulary size. Losses in nats per character
(divide by ln 2 for bits).

:func:`sample` is the reference sampler (one character at a time through ``nn.LSTM``). The fast
one, :class:`FastSampler`, is a second implementation of the same network in numpy and lives in
:mod:`helpers.lstm_numpy` (no PyTorch there, so the dashboards need none); it is re-exported here
and built from a model with ``FastSampler(model)`` (through :meth:`CharLSTM.numpy_weights`).

Nothing here displays anything: :func:`train` reports through callbacks (lesson 4's training cell
passes those of a ``helpers.widgets.TrainingMonitor``; the command line passes ``print``).

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
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import data, threads
from .lstm_numpy import Continuation, FastSampler, PromptState, _check_length
from .progress import Progress
from .sampling import Truncation, as_generator, gumbel_noise, sample_gumbel_max
from .softmax import check_temperature, log_softmax

__all__ = [
    "Config",
    "CharLSTM",
    "CheckpointError",
    "DEFAULT_CHECKPOINT",
    "DEMO_CHECKPOINT",
    "evaluation_mode",
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
    "Sweep",
    "sweep",
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
    """Hyperparameters of the model and of its training (all plain numbers, stored in checkpoints).

    Taught in: lesson 4, section 2 (the model in PyTorch) and section 3.
    """

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

    Taught in: lesson 4, section 2 (the model in PyTorch).

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

    def numpy_weights(self) -> dict[str, np.ndarray]:
        """The weights as float32 numpy arrays (copies), by their PyTorch names: what
        :class:`helpers.lstm_numpy.FastSampler` is built from (``FastSampler(model)`` calls this)."""
        return {k: v.detach().to(torch.float32).numpy().copy() for k, v in self.state_dict().items()}


class CheckpointError(ValueError):
    """A checkpoint file that is missing, truncated, or not one of ours.

    Used by: load_checkpoint (lesson 4, section 4 loads the shipped model safely).
    """


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``with evaluation_mode(model):`` the model in eval mode (dropout off) inside the block, and
    back in the mode it was in after it, even if the block raises.

    Used by: every helper here that runs a model it did not create (the lessons pass models in
    either mode: ``train`` returns one in eval mode, a student may have called ``model.train()``).
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


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
    state = None
    with evaluation_mode(model):
        for start in range(0, n - 1, chunk):
            inputs = x[:, start : min(start + chunk, n - 1)]
            targets = x[:, start + 1 : start + 1 + inputs.shape[1]]
            logits, state = model(inputs, state)
            yield logits, targets


@threads.adaptive
def validation_loss(model: CharLSTM, ids: np.ndarray | str, streams: int = 32, chunk: int = 256) -> float:
    """Mean cross-entropy (nats/char) of predicting each character of ``ids`` from the ones before.

    Taught in: lesson 4, section 4 (the pretrained model, and bits per character).

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

    Taught in: lesson 5b, section 2 (temperature scaling); lesson 6, section 2.

    Read as in :func:`validation_loss` (whose value is the mean cross-entropy of these). Returns
    ``(logits (N, V) float32, targets (N,) int64)``, e.g. to study temperature scaling.
    """
    parts = [(lg.reshape(-1, lg.shape[-1]).numpy(), tg.reshape(-1).numpy()) for lg, tg in _stream_logits(model, ids, streams, chunk)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@threads.adaptive
@torch.no_grad()
def continuation_logits(model: CharLSTM, prompt: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The logits the model gave each character of ``text`` when it followed ``prompt``.

    Taught in: lesson 5b, section 4 (the temperature detective); lesson 6, section 2.

    One pass over ``prompt + text``: row ``i`` is the model's (``T = 1``) logits for the character
    after ``prompt + text[:i]``. Returns ``(logits (len(text), V) float64, ids (len(text),) int64)``,
    e.g. to estimate from a sample the temperature it was drawn at (lesson 5).
    """
    if not prompt:
        raise ValueError("the prompt must have at least one character (e.g. '\\n')")
    ids = model.vocab.encode(prompt + text)
    with evaluation_mode(model):
        logits, _ = model(torch.from_numpy(ids[:-1])[None, :])
    start = len(prompt) - 1
    return logits[0, start:].double().numpy(), ids[len(prompt):].astype(np.int64)


def train(
    text: str,
    config: Config = Config(),
    log: Callable[[str], None] | None = None,
    on_eval: Callable[[int, float, float, CharLSTM], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[CharLSTM, data.Vocabulary, dict]:
    """Train a :class:`CharLSTM` on the first 90 % of ``text``; keep the best-validation weights.

    Taught in: lesson 4, section 3 (training a small LSTM live).

    Each step samples ``batch_size`` random windows of ``seq_length + 1`` characters from the
    training split, uses AdamW with a one-cycle learning-rate schedule peaking at ``max_lr``, and
    clips the gradient norm to ``clip``. Every ``eval_every`` steps it measures the validation loss
    (last 10 %) and keeps the weights if they are the best so far (longer training overfits).
    PyTorch uses ``threads`` CPU threads meanwhile; 0 means :mod:`helpers.threads`' policy: the CPUs
    this process can get now (its budget less what other programs keep busy), decided again as the
    run goes, because two spinning threads on a CPU that is not free make a step many times slower.

    Progress goes to callbacks; by default there is none (nothing is printed or displayed):
    ``on_step(step, smoothed training loss)`` after every step, ``on_eval(step, train_loss,
    val_loss, model)`` after every evaluation (the model as it is at that step, in eval mode
    during the call), and ``log(line)`` with one line of text per evaluation (the losses, the best
    so far and the time left). Lesson 4 passes a ``helpers.widgets.TrainingMonitor``'s
    ``on_step`` and ``on_eval``; ``python -m helpers.char_lstm train`` passes ``print``.

    Returns ``(model, vocab, info)`` with ``info`` holding the validation history
    (``[step, smoothed training loss, validation loss]`` rows, nats/char), the smoothed training
    loss every ``steps / 100`` steps (``curve``: ``[step, loss]`` rows), the best loss and step,
    characters per second and the training time in seconds. The model is returned in eval mode.
    """
    callbacks_step = [on_step] if on_step is not None else []
    callbacks_eval = [on_eval] if on_eval is not None else []
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
    log = log or (lambda line: None)
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
            with evaluation_mode(model):
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
    """Write weights (float16) and plain metadata; loadable with ``weights_only=True``.

    Used by: the command line, ``python -m helpers.char_lstm train`` (no lesson).
    """
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

    Used by: load_pretrained and load_run (lesson 4, sections 3 and 4); lesson 7, section 2 (the LSTM's recorded validation loss).

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

    Taught in: lesson 4, section 4 (the pretrained model); lessons 5, 5b and 6 start with it.

    Its vocabulary is ``model.vocab``; ``model, vocab = load_pretrained()`` also works.
    """
    model, _, _ = load_checkpoint(path or DEFAULT_CHECKPOINT)
    return model


def load_run(path: str | Path, config: Config) -> tuple[CharLSTM, data.Vocabulary, dict]:
    """A shipped training run, as :func:`train` would return it: ``(model, vocab, info)``.

    Taught in: lesson 4, section 3 (``SKIP_TRAINING``, and the shipped run shown after training).

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
# Looking inside
# ---------------------------------------------------------------------------------------------

_SENSITIVITY_CHUNK = 16  # texts per backward pass in input_sensitivity (100 at once peaked near 1 GB)


@threads.adaptive
def input_sensitivity(model: CharLSTM, text: str | Sequence[str], wrt: str = "embedding") -> np.ndarray:
    """How much each earlier character still matters to the model's last prediction.

    Taught in: lesson 4, section 5 (how far back does the LSTM look?).

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
    chunks = []
    with evaluation_mode(model):
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
    norms = torch.cat(chunks).numpy()[:, ::-1].copy()
    return norms[0] if isinstance(text, str) else norms


@threads.adaptive
def gate_values(model: CharLSTM, text: str) -> dict[str, np.ndarray]:
    """The LSTM's gate activations while it reads ``text``.

    Taught in: lesson 4, section 5 (how far back does the LSTM look?).

    Returns ``{"input", "forget", "cell", "output"}`` → arrays of shape ``(len(text), layers,
    hidden)``: the sigmoid gates i, f, o in ``(0, 1)`` and the tanh candidate g in ``(-1, 1)``.
    A forget gate near 1 keeps that unit's memory cell almost unchanged for the next character.
    """
    return FastSampler(model).gate_values(text)  # the numpy LSTM, step by step (helpers.lstm_numpy)


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------
#
# Every sampler draws its Gumbel noise from one stream seeded by ``seed`` (see helpers.lstm_numpy),
# so the same arguments give the same text from sample, sample_many, sweep and FastSampler.


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

    Taught in: lesson 4, section 3 (a first sample) and section 8 (shared noise).

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
    out, probs = [], []
    with evaluation_mode(model):
        logits, state = model(torch.from_numpy(prompt_ids)[None, :])
        last = logits[0, -1].double().numpy()
        for _ in range(length):
            allowed = np.where(truncation.mask(last, t), last, -np.inf) if truncation.active else last
            choice = sample_gumbel_max(allowed, t, gumbel_noise(rng, model.vocab_size))
            out.append(choice)
            probs.append(float(np.exp(log_softmax(last)[choice])))
            logits, state = model(torch.tensor([[choice]]), state)
            last = logits[0, -1].double().numpy()
    text = model.vocab.decode(out)
    return (text, np.array(probs)) if return_probs else text


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

    Taught in: lesson 4, section 6 (temperature on a real model); lesson 5b, sections 4 and 5.

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

    Taught in: lesson 5, section 2 (the sweep); lesson 6, section 5.

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

    Taught in: lesson 5, section 2 (the sweep); lesson 6, section 5 (the sweep, per knob).

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
        model, vocab, info = train(text, config, log=lambda line: print(line, flush=True))  # progress as text
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
