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
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import data
from .sampling import as_generator, gumbel_noise, sample_gumbel_max
from .softmax import check_temperature, softmax_with_temperature

__all__ = [
    "Config",
    "CharLSTM",
    "CheckpointError",
    "DEFAULT_CHECKPOINT",
    "train",
    "validation_loss",
    "save_checkpoint",
    "load_checkpoint",
    "load_pretrained",
    "sample",
    "FastSampler",
]

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "data" / "char_lstm.pt"
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


class CharLSTM(nn.Module):
    """Embedding → LSTM → linear over the vocabulary.

    ``forward(ids (B, L), state)`` returns ``(logits (B, L, V), state)`` with ``state`` the LSTM's
    ``(h, c)``, each of shape ``(layers, B, hidden)``.
    """

    def __init__(self, vocab_size: int, config: Config) -> None:
        super().__init__()
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


class CheckpointError(ValueError):
    """A checkpoint file that is missing, truncated, or not one of ours."""


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def validation_loss(
    model: CharLSTM, ids: np.ndarray | str, vocab: data.Vocabulary | None = None, streams: int = 32, chunk: int = 256
) -> float:
    """Mean cross-entropy (nats/char) of predicting each character of ``ids`` from the ones before.

    ``ids`` may be a text (then ``vocab`` encodes it) or an array of ids. The text is read as
    ``streams`` parallel pieces with the LSTM state carried across chunks, so each prediction sees
    up to a whole piece of context; the first character of each piece is not predicted.
    """
    if isinstance(ids, str):
        if vocab is None:
            raise ValueError("pass the vocabulary to score a text")
        ids = vocab.encode(ids)
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids) // streams
    if n < 2:
        raise ValueError(f"text too short ({len(ids)} characters) for {streams} streams")
    x = torch.from_numpy(ids[: n * streams].reshape(streams, n))
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for start in range(0, n - 1, chunk):
        inputs = x[:, start : min(start + chunk, n - 1)]
        targets = x[:, start + 1 : start + 1 + inputs.shape[1]]
        logits, state = model(inputs, state)
        total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum").item()
        count += targets.numel()
    model.train(was_training)
    return total / count


def train(
    text: str,
    config: Config = Config(),
    log: Callable[[str], None] | None = None,
    on_eval: Callable[[int, float, float], None] | None = None,
) -> tuple[CharLSTM, data.Vocabulary, dict]:
    """Train a :class:`CharLSTM` on the first 90 % of ``text``; keep the best-validation weights.

    Each step samples ``batch_size`` random windows of ``seq_length + 1`` characters from the
    training split, uses AdamW with a one-cycle learning-rate schedule peaking at ``max_lr``, and
    clips the gradient norm to ``clip``. Every ``eval_every`` steps it measures the validation loss
    (last 10 %) and keeps the weights if they are the best so far (longer training overfits).

    Returns ``(model, vocab, info)`` with ``info`` holding the validation history, the best loss
    and step, characters per second and the training time in seconds.
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    vocab = data.Vocabulary.from_text(text)
    train_ids, val_ids = data.train_val_split(vocab.encode(text))
    model = CharLSTM(vocab.size, config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.max_lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.max_lr, total_steps=config.steps)
    log = log or (lambda line: print(line, flush=True))
    offsets = np.arange(config.seq_length + 1)
    best = (math.inf, 0, None)
    history: list[tuple[int, float, float]] = []
    running = None
    start = time.perf_counter()
    for step in range(1, config.steps + 1):
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
        if step % config.eval_every == 0 or step == config.steps:
            val = validation_loss(model, val_ids)
            history.append((step, running, val))
            if val < best[0]:
                best = (val, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
            elapsed = time.perf_counter() - start
            log(f"step {step:5d}/{config.steps}  train {running:.3f}  val {val:.3f} nats/char  "
                f"(best {best[0]:.3f} at {best[1]})  {elapsed:6.0f} s")
            if on_eval is not None:
                on_eval(step, running, val)
    seconds = time.perf_counter() - start
    model.load_state_dict(best[2])
    model.eval()
    info = {
        "val_loss": float(best[0]),
        "best_step": int(best[1]),
        "history": [[int(s), float(t), float(v)] for s, t, v in history],
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
    model = CharLSTM(vocab.size, config)
    try:
        model.load_state_dict({k: v.to(torch.float32) for k, v in blob["state_dict"].items()})
    except RuntimeError as err:
        raise CheckpointError(f"{path}: the weights do not fit the stored configuration ({err}).") from err
    model.eval()
    return model, vocab, meta


def load_pretrained(path: str | Path | None = None) -> tuple[CharLSTM, data.Vocabulary]:
    """The shipped model and its vocabulary (``data/char_lstm.pt`` unless ``path`` is given)."""
    model, vocab, _ = load_checkpoint(path or DEFAULT_CHECKPOINT)
    return model, vocab


# ---------------------------------------------------------------------------------------------
# Sampling (reference implementation: one character at a time through nn.LSTM)
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def sample(
    model: CharLSTM,
    vocab: data.Vocabulary,
    prompt: str,
    length: int,
    temperature: float,
    seed: int | np.random.Generator = 0,
    return_probs: bool = False,
) -> str | tuple[str, np.ndarray]:
    """Continue ``prompt`` by ``length`` characters at ``temperature`` (0 = greedy).

    Each step draws Gumbel noise of shape ``(V,)`` from one stream seeded by ``seed`` (the same
    noise at every temperature), and picks ``argmax(logits / T + noise)``. The same arguments give
    the same text. With ``return_probs``, also returns the probability (at this temperature) of
    each generated character, shape ``(length,)``.
    """
    t = check_temperature(temperature)
    if not prompt:
        raise ValueError("the prompt must have at least one character (e.g. '\\n')")
    prompt_ids = vocab.encode(prompt)
    rng = as_generator(seed)
    model.eval()
    logits, state = model(torch.from_numpy(prompt_ids)[None, :])
    last = logits[0, -1].double().numpy()
    out, probs = [], []
    for _ in range(length):
        choice = sample_gumbel_max(last, t, gumbel_noise(rng, vocab.size))
        out.append(choice)
        if return_probs:
            probs.append(float(softmax_with_temperature(last, t)[choice]))
        logits, state = model(torch.tensor([[choice]]), state)
        last = logits[0, -1].double().numpy()
    text = vocab.decode(out)
    return (text, np.array(probs)) if return_probs else text


class FastSampler:
    """The same sampler as :func:`sample`, as a fused float32 numpy loop for batch 1.

    Built once from a model: layer 0's input projection is precomputed per character (a lookup
    instead of embedding + matmul), and each layer's step is one matrix product of
    ``[input, h]`` with the stacked weights. The Gumbel noise for all steps is drawn at once from
    the same seeded stream as :func:`sample`, so for the same arguments it produces the same text
    (a test checks this), several times faster: what a live slider needs.
    """

    def __init__(self, model: CharLSTM, vocab: data.Vocabulary) -> None:
        sd = {k: v.detach().to(torch.float32).numpy() for k, v in model.state_dict().items()}
        self.vocab = vocab
        self.layers = model.config.layers
        self.hidden = model.config.hidden
        bias0 = sd["lstm.bias_ih_l0"] + sd["lstm.bias_hh_l0"]
        self.input0 = sd["embed.weight"] @ sd["lstm.weight_ih_l0"].T + bias0  # (V, 4H)
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

    def _cell(self, gates: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h4 = self.hidden
        i = 1.0 / (1.0 + np.exp(-gates[:h4]))
        f = 1.0 / (1.0 + np.exp(-gates[h4 : 2 * h4]))
        g = np.tanh(gates[2 * h4 : 3 * h4])
        o = 1.0 / (1.0 + np.exp(-gates[3 * h4 :]))
        c = f * c + i * g
        return o * np.tanh(c), c

    def step(self, x: int, hs: list[np.ndarray], cs: list[np.ndarray]) -> np.ndarray:
        """Feed character ``x``; update the per-layer states in place; return the logits (V,)."""
        h, cs[0] = self._cell(self.input0[x] + hs[0] @ self.recurrent0, cs[0])
        hs[0] = h
        for k, (w, b) in enumerate(self.stacked, start=1):
            h, cs[k] = self._cell(np.concatenate([h, hs[k]]) @ w + b, cs[k])
            hs[k] = h
        return h @ self.head_w + self.head_b

    def prompt_state(self, prompt: str) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """``(hs, cs, logits)`` after reading ``prompt``: cache it to generate many continuations."""
        if not prompt:
            raise ValueError("the prompt must have at least one character (e.g. '\\n')")
        ids = self.vocab.encode(prompt)
        hs = [np.zeros(self.hidden, np.float32) for _ in range(self.layers)]
        cs = [np.zeros(self.hidden, np.float32) for _ in range(self.layers)]
        logits = None
        for x in ids:
            logits = self.step(int(x), hs, cs)
        return hs, cs, logits

    def sample(
        self,
        prompt: str | tuple[list[np.ndarray], list[np.ndarray], np.ndarray],
        length: int,
        temperature: float,
        seed: int | np.random.Generator = 0,
    ) -> tuple[str, np.ndarray]:
        """``(text, probs)`` as :func:`sample` with ``return_probs=True``; ``prompt`` may be a
        text or a cached :meth:`prompt_state`."""
        t = check_temperature(temperature)
        hs, cs, logits = self.prompt_state(prompt) if isinstance(prompt, str) else prompt
        hs, cs = [h.copy() for h in hs], [c.copy() for c in cs]
        rng = as_generator(seed)
        with np.errstate(divide="ignore"):
            noise = -np.log(-np.log(rng.random((length, self.vocab.size))))
        out = np.empty(length, dtype=np.int64)
        probs = np.empty(length)
        for k in range(length):
            z = logits.astype(np.float64)
            if t == 0.0:
                choice = int(np.argmax(z))
            elif math.isinf(t):
                choice = int(np.argmax(noise[k]))
            else:
                choice = int(np.argmax(z / t + noise[k]))
            out[k] = choice
            probs[k] = softmax_with_temperature(z, t)[choice]
            logits = self.step(choice, hs, cs)
        return self.vocab.decode(out), probs


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
