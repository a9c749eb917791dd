"""A small GPT over BPE tokens: Hugging Face ``transformers``' GPT-2 architecture, trained on a CPU.

The model is ``transformers.GPT2LMHeadModel``, the class of OpenAI's GPT-2, only small: token and
position embeddings (``width`` numbers each) → ``layers`` transformer blocks (causal self-attention
with ``heads`` heads, then an MLP of ``4 × width``) → a linear map back to the ``V`` tokens, which
shares its weights with the token embedding. Its tokenizer is :mod:`helpers.tokens`' byte-level BPE
(``V`` = 1,024). Shapes: ``B`` batch, ``L`` tokens (at most ``context``), ``V`` vocabulary; logits
``(B, L, V)``. Losses in nats (divide by ln 2 for bits), **per token** and **per character**.

Loss per character, comparable with lesson 4's LSTM (1.435 nats/char): the validation split's text
(``data.train_val_split(corpus)[1]``, the last 10 % of the characters, the LSTM's validation text) is
tokenized *on its own, as one string, with no special tokens* (:func:`helpers.tokens.encode`). Every
token but the first is predicted once, from at least ``context - stride`` tokens before it (a
sliding window, :func:`validation_loss`). The total of their ``-log p`` (nats) divided by the number
of tokens is the loss per token; divided by the number of characters those tokens spell (the whole
split less its first token's characters) it is the loss per character. The LSTM's figure is over
the same characters (``helpers.char_lstm.validation_loss``: all but 52 of the split's 111,540, read
as 32 streams), each predicted from the characters before it in its stream.

Nothing here displays anything: :func:`train` reports through callbacks (``log``, ``on_step``,
``on_eval``), as :func:`helpers.char_lstm.train` does; the command line passes ``print``.

A trained model lives in one folder (:func:`save`, :func:`load`; ``data/gpt_tokens/`` ships):
``model.safetensors`` and ``config.json`` (``save_pretrained``; weights stored in float16 when that
keeps the validation loss, checked at saving, and computed in float32 once loaded),
``generation_config.json``, the tokenizer's ``tokenizer.json`` and ``tokenizer_config.json``, and
``run.json``, the run's record (configuration, steps, minutes, losses, the corpus' SHA-256, the
command). Loading uses only the standard calls,
``AutoModelForCausalLM.from_pretrained(folder)`` and ``PreTrainedTokenizerFast.from_pretrained(folder)``,
with ``local_files_only=True``: nothing is downloaded, and a safetensors file runs no code.

Command line (see ``python -m helpers.gpt --help``)::

    python -m helpers.gpt train --out data/gpt_tokens --minutes 45
    python -m helpers.gpt evaluate data/gpt_tokens

Taught in: lesson 7 (from characters to tokens).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import tokenizers
import torch
from torch import nn

from . import data, threads, tokens
from .char_lstm import evaluation_mode  # dropout off in a block, the mode restored after
from .progress import Progress, format_seconds

threads.use_outside_default()  # PyTorch is imported now: one thread outside the helpers (helpers.threads)

import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast  # noqa: E402

__all__ = [
    "Config",
    "Evaluation",
    "ModelFolderError",
    "DEFAULT_FOLDER",
    "FORMAT",
    "HALF_TOLERANCE",
    "make_model",
    "parameter_count",
    "learning_rate",
    "train",
    "validation_loss",
    "save",
    "load",
    "load_pretrained",
]

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "data" / "gpt_tokens"
FORMAT = "temperature-lessons/gpt-tokens/1"
RECORD = "run.json"
HALF_TOLERANCE = 0.002  # nats/char: float16 weights are kept if they raise the validation loss by at most this
PRECISIONS = ("auto", "bfloat16", "float32")


def native_bfloat16(cpuinfo: str | os.PathLike[str] = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (x86's AVX512-BF16 or AMX-BF16 flags,
    read from ``/proc/cpuinfo``; False elsewhere). There, training under bfloat16 autocast takes
    about 0.6 times the time of float32 per step (measured here); without them it would be slower.

    Used by: :class:`Config` (``precision="auto"``).
    """
    try:
        flags = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


@dataclass(frozen=True)
class Config:
    """Hyperparameters of the model, its tokenizer and its training (plain numbers, in ``run.json``).

    The defaults aim at the most progress per minute on a 2-core CPU within a 5 MB model: 4 blocks of
    width 192 (2.0 M parameters, 4 MB in float16; 6 blocks of width 160, the same size, ran 24 %
    fewer tokens a second here; width 128 runs 1.5 times as many but with half the parameters, and
    the run reads its data many times over, so capacity was preferred — not measured to the end),
    a context of 256 tokens (about 600 characters: room for a prompt and 100 generated tokens; 128
    would be only 9 % faster), batches of 16 windows (4,096 tokens a step:
    many small steps in a short run), AdamW with a short linear warm-up then a cosine decay to
    ``min_lr`` at the end of the run, dropout 0.1 (a 45-minute run reads the training split's
    411,000 tokens about 50 times). The training steps' products run in bfloat16 (autocast)
    where the CPU has bfloat16 instructions (``precision="auto"``, :func:`native_bfloat16`): 1.7 times
    as many tokens per second here; the weights, the optimizer and every evaluation stay float32.

    ``steps`` and ``minutes`` are two boxes: training stops at whichever comes first, and the
    learning rate's cosine follows whichever is further along (:func:`learning_rate`), so a run cut
    by the clock still ends at ``min_lr``. ``minutes = 0`` means no time box: then the run depends
    on nothing but the configuration (and the thread count), and repeats exactly.

    Taught in: lesson 7 (the model); used by ``python -m helpers.gpt train``.
    """

    vocab_size: int = tokens.VOCAB_SIZE  # tokens, the tokenizer's vocabulary
    context: int = 256  # tokens: the longest input, and the training windows' length
    layers: int = 4
    width: int = 192  # the embedding's size (GPT-2's n_embd)
    heads: int = 6  # attention heads, each of width // heads = 32 numbers
    dropout: float = 0.1
    batch_size: int = 16  # windows of `context` tokens per step
    steps: int = 20_000  # the step box
    minutes: float = 45.0  # the time box (training and its evaluations); 0 = none
    max_lr: float = 2e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1  # on matrices and embeddings, not on biases and layer norms
    clip: float = 1.0  # the gradient's largest norm
    eval_every: int = 250  # steps between validation losses (each a few seconds: 100,000 tokens read)
    eval_stride: int = 0  # tokens the validation window moves by; 0 = context // 2
    precision: str = "auto"  # the training steps' matrix products: "bfloat16", "float32", or "auto" (see below)
    seed: int = 0
    threads: int = 0  # CPU threads for training; 0 = helpers.threads' policy (the CPUs free now, re-decided)

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.width % self.heads:
            raise ValueError(f"width ({self.width}) must be a multiple of heads ({self.heads})")
        if self.steps < 1 or self.minutes < 0:
            raise ValueError("steps must be at least 1 and minutes at least 0")
        if self.context < 2 or not 0 <= self.eval_stride < self.context:
            raise ValueError(f"context must be at least 2 and eval_stride between 0 and context - 1, "
                             f"got {self.context} and {self.eval_stride}")

    @property
    def autocast(self) -> bool:
        """Whether training steps run under bfloat16 autocast (``precision``, "auto" resolved here)."""
        return self.precision == "bfloat16" or (self.precision == "auto" and native_bfloat16())

    @property
    def stride(self) -> int:
        """Tokens the validation window moves by (``eval_stride``, or half the context)."""
        return self.eval_stride or max(1, self.context // 2)


@dataclass(frozen=True)
class Evaluation:
    """A validation loss, per token and per character (see the module's docstring).

    Attributes:
        nats: the total ``-log p`` of the predicted tokens (nats).
        tokens: how many tokens were predicted (all but the first).
        chars: how many characters those tokens spell (the text less its first token's characters).
        per_token: ``nats / tokens``, nats/token.
        per_char: ``nats / chars``, nats/char: the figure to set beside a character model's.

    Taught in: lesson 7 (the loss per token and per character, beside the LSTM's).
    """

    nats: float
    tokens: int
    chars: int

    @property
    def per_token(self) -> float:
        return self.nats / self.tokens

    @property
    def per_char(self) -> float:
        return self.nats / self.chars

    def __str__(self) -> str:
        return (f"{self.per_token:.4f} nats/token, {self.per_char:.4f} nats/char "
                f"({self.tokens:,} tokens, {self.chars:,} characters)")


class ModelFolderError(ValueError):
    """A model folder that is missing, incomplete, corrupt, or not one of this course's.

    Used by: :func:`load` (lesson 7 loads the shipped model safely).
    """


@contextmanager
def _quiet() -> Iterator[None]:
    """No progress bars from transformers while it saves or loads (a lesson's output stays clean)."""
    log = transformers.utils.logging
    was = log.is_progress_bar_enabled()
    log.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            log.enable_progress_bar()


def make_model(config: Config, tokenizer: PreTrainedTokenizerFast | None = None) -> GPT2LMHeadModel:
    """A new, randomly initialised ``GPT2LMHeadModel`` of ``config``'s size (seed it first).

    ``bos``, ``eos`` and ``pad`` token ids are the tokenizer's ``<|endoftext|>`` (``V - 1`` when no
    tokenizer is given). The output layer shares the token embedding's weights (GPT-2's tying).

    Used by: :func:`train`; lesson 7 shows its size.
    """
    end = tokenizer.eos_token_id if tokenizer is not None else config.vocab_size - 1
    gpt_config = GPT2Config(
        vocab_size=config.vocab_size,
        n_positions=config.context,
        n_embd=config.width,
        n_layer=config.layers,
        n_head=config.heads,
        resid_pdrop=config.dropout,
        embd_pdrop=config.dropout,
        attn_pdrop=config.dropout,
        bos_token_id=end,
        eos_token_id=end,
        pad_token_id=end,
        tie_word_embeddings=True,
    )
    model = GPT2LMHeadModel(gpt_config)
    model.generation_config.pad_token_id = end  # generate() then needs no pad token of its own
    return model


def parameter_count(model: nn.Module) -> int:
    """Distinct parameters of ``model`` (the tied output layer counted once).

    Used by: :func:`train` (the run's record); lesson 7 shows the model's size.
    """
    return sum(p.numel() for p in model.parameters())


def learning_rate(config: Config, step: int, progress: float) -> float:
    """The learning rate of ``step`` (1, 2, ...) when the run is ``progress`` (0 → 1) through.

    ``progress`` is ``max(step / steps, seconds / (60 × minutes))``: the step box or the time box,
    whichever is further along. A linear warm-up over ``warmup_steps`` times a cosine from ``max_lr``
    (progress 0) down to ``min_lr`` (progress 1).

    Used by: :func:`train`.
    """
    warm = min(1.0, step / max(1, config.warmup_steps))
    p = min(max(progress, 0.0), 1.0)
    return warm * (config.min_lr + 0.5 * (config.max_lr - config.min_lr) * (1.0 + math.cos(math.pi * p)))


# ---------------------------------------------------------------------------------------------
# Validation loss
# ---------------------------------------------------------------------------------------------

def _windows(n: int, context: int, stride: int) -> list[tuple[int, int, int]]:
    """``(start, end, first)`` of each window: it reads tokens ``[start, end)`` and predicts tokens
    ``[first, end)`` (``first >= start + 1``), every token but the first once, in order
    (``1 <= stride < context``)."""
    if n <= context:
        return [(0, n, 1)]
    starts = list(range(0, n - context + 1, stride))
    if starts[-1] + context < n:
        starts.append(n - context)
    out, covered = [], 1
    for s in starts:
        out.append((s, s + context, max(covered, s + 1)))
        covered = s + context
    return out


@threads.adaptive
@torch.no_grad()
def validation_loss(
    model: GPT2LMHeadModel,
    tokenizer: PreTrainedTokenizerFast,
    text: str,
    stride: int | None = None,
    batch_size: int | None = None,
) -> Evaluation:
    """The loss of predicting each token of ``text`` from the ones before it (model in eval mode).

    ``text`` (e.g. ``data.train_val_split(corpus)[1]``, the validation split) is tokenized as one
    string, no special tokens (:func:`helpers.tokens.encode`): ``N`` tokens. Windows of the model's
    context ``C`` (``model.config.n_positions``) start every ``stride`` tokens (default ``C // 2``),
    the last one ending at the text's end; each token ``1 … N-1`` is predicted once, in the first
    window that reaches it, so from at least ``C - stride`` tokens of context (fewer only near the
    start). ``batch_size`` windows run at once (default: 4,096 tokens' worth, 16 windows of 256).

    Returns an :class:`Evaluation`: total nats, ``N - 1`` tokens, and the characters they spell
    (``len(text)`` less the first token's characters): ``.per_token`` and ``.per_char``.

    Taught in: lesson 7 (the loss per token and per character, beside the LSTM's).
    """
    encoding = tokenizer.backend_tokenizer.encode(text, add_special_tokens=False)
    ids = np.array(encoding.ids, dtype=np.int64)
    if len(ids) < 2:
        raise ValueError(f"the text has {len(ids)} token(s): at least 2 are needed (one to predict)")
    context = int(model.config.n_positions)
    stride = int(stride or max(1, context // 2))
    if not 1 <= stride < context:  # a window predicts its tokens 1 … C-1: the next must start before its end
        raise ValueError(f"stride must be between 1 and the context less one ({context - 1}), got {stride}")
    windows = _windows(len(ids), context, stride)
    batch_size = batch_size or max(1, 4096 // context)
    x = torch.from_numpy(ids)
    total = 0.0
    with evaluation_mode(model):
        for b in range(0, len(windows), batch_size):
            group = windows[b : b + batch_size]
            width = max(end - start for start, end, _ in group)
            inputs = torch.stack([x[start : start + width] if end - start == width else
                                  nn.functional.pad(x[start:end], (0, width - (end - start)))
                                  for start, end, _ in group])
            logp = torch.log_softmax(model(input_ids=inputs).logits[:, :-1].float(), dim=-1)
            nll = -logp.gather(2, inputs[:, 1:, None])[..., 0]  # (B, width - 1): predicting position j + 1
            mask = torch.zeros_like(nll, dtype=torch.bool)
            for row, (start, end, first) in enumerate(group):
                mask[row, first - start - 1 : end - start - 1] = True
            total += float(nll[mask].double().sum())
    first_chars = encoding.offsets[0][1]  # characters spelled by the first token (never predicted)
    return Evaluation(nats=total, tokens=len(ids) - 1, chars=len(text) - first_chars)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def train(
    text: str,
    config: Config = Config(),
    log: Callable[[str], None] | None = None,
    on_eval: Callable[[int, float, float, GPT2LMHeadModel], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
    tokenizer: PreTrainedTokenizerFast | None = None,
) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerFast, dict]:
    """Train a small GPT on the first 90 % of ``text``; keep the best-validation weights.

    ``text`` is the whole corpus. Unless a ``tokenizer`` is given, one is trained first on the
    training split (:func:`helpers.tokens.train_tokenizer`, ``config.vocab_size`` tokens, about 1 s).
    Each step takes ``batch_size`` random windows of ``context + 1`` tokens from the training split's
    tokens, minimises the mean cross-entropy of each next token with AdamW (``max_lr`` warmed up over
    ``warmup_steps``, cosine-decayed to ``min_lr``, :func:`learning_rate`; weight decay on matrices
    and embeddings) and clips the gradient's norm to ``clip``; its products run in bfloat16 if
    ``config.autocast`` (``precision``). It stops after ``steps`` steps or
    ``minutes`` minutes of wall time (evaluations included), whichever comes first. Every
    ``eval_every`` steps and at the end it measures the validation loss (:func:`validation_loss` on
    the last 10 % of the characters) and keeps the weights if they are the best so far.
    PyTorch uses ``threads`` CPU threads; 0 means :mod:`helpers.threads`' policy (the CPUs this
    process can get now, decided again as the run goes). Seeded by ``seed``: with ``minutes = 0``
    and the same thread count, a run repeats exactly.

    Progress goes to callbacks; by default there is none (nothing is printed or displayed):
    ``on_step(step, smoothed training loss in nats/token)`` after every step; ``on_eval(step,
    train_loss, val_loss, model)`` after every evaluation, both losses in **nats/token** (what a
    ``helpers.widgets.TrainingMonitor(total_steps, loss_label="loss (nats/token)")`` plots; the
    model in eval mode during the call); ``log(line)`` one line per evaluation, with the validation
    loss per token and per character and the time left. ``python -m helpers.gpt train`` passes ``print``.

    Returns ``(model, tokenizer, info)``, the model in eval mode with the best weights and ``info``
    the run's record: ``val_loss_per_token`` and ``val_loss_per_char`` (best), ``best_step``,
    ``steps``, ``train_seconds``, ``tokens_per_second`` (training steps only), ``history``
    (``[step, seconds, train nats/token, val nats/token, val nats/char]`` rows), ``curve`` (the smoothed
    training loss, ``[step, nats/token]`` rows, about one every ``eval_every / 10`` steps), the
    characters per token of both splits, the parameter count and the configuration.

    Taught in: lesson 7 (the recipe; a short live demo); ``python -m helpers.gpt train`` makes the shipped model.
    """
    callbacks_step = [on_step] if on_step is not None else []
    callbacks_eval = [on_eval] if on_eval is not None else []
    if config.threads > 0:
        previous = torch.get_num_threads()
        torch.set_num_threads(config.threads)
        try:
            return _train(text, config, log, callbacks_step, callbacks_eval, tokenizer, refresh=lambda: None)
        finally:
            torch.set_num_threads(previous)
    with threads.adaptive_threads() as pool:
        return _train(text, config, log, callbacks_step, callbacks_eval, tokenizer, refresh=pool.refresh)


def _optimizer(model: nn.Module, config: Config) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings
    rest = [p for p in model.parameters() if p.dim() < 2]  # biases, layer norms
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": rest, "weight_decay": 0.0}],
        lr=config.max_lr, betas=(0.9, 0.99),
    )


def _train(
    text: str,
    config: Config,
    log: Callable[[str], None] | None,
    callbacks_step: list[Callable[[int, float], None]],
    callbacks_eval: list[Callable[[int, float, float, GPT2LMHeadModel], None]],
    tokenizer: PreTrainedTokenizerFast | None,
    refresh: Callable[[], object],
) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerFast, dict]:
    log = log or (lambda line: None)
    train_text, val_text = data.train_val_split(text)
    if tokenizer is None:
        tokenizer = tokens.train_tokenizer(text, config.vocab_size)
    if len(tokenizer) != config.vocab_size:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens, the configuration says vocab_size={config.vocab_size}")
    train_ids = tokens.encode(tokenizer, train_text)
    if len(train_ids) < config.context + 2:
        raise ValueError(f"the training split has {len(train_ids)} tokens: too few for windows of {config.context + 1}")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = make_model(config, tokenizer)
    model.config.use_cache = False  # no key/value cache while training
    model.train()
    opt = _optimizer(model, config)
    offsets = np.arange(config.context + 1)
    autocast = config.autocast  # bfloat16 products in the training steps; evaluations stay float32
    budget = 60.0 * config.minutes if config.minutes > 0 else math.inf
    best: tuple[float, int, Evaluation | None, dict | None] = (math.inf, 0, None, None)
    history: list[list[float]] = []
    curve: list[list[float]] = []
    curve_every = max(1, config.eval_every // 10)
    running: float | None = None
    clock = Progress(config.steps)
    start = time.perf_counter()
    eval_seconds = 0.0
    step = 0
    while True:
        step += 1
        refresh()  # the thread count follows other programs' load
        elapsed = time.perf_counter() - start
        for group in opt.param_groups:
            group["lr"] = learning_rate(config, step, max(step / config.steps, elapsed / budget))
        starts = rng.integers(0, len(train_ids) - config.context - 1, config.batch_size)
        window = torch.from_numpy(train_ids[starts[:, None] + offsets])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logits = model(input_ids=window[:, :-1]).logits
        loss = nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), window[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
        value = float(loss.item())
        running = value if running is None else 0.95 * running + 0.05 * value
        clock.update(step)
        for callback in callbacks_step:
            callback(step, running)
        if step % curve_every == 0:
            curve.append([step, running])
        elapsed = time.perf_counter() - start
        last = step >= config.steps or elapsed >= budget
        if step % config.eval_every == 0 or last:
            t0 = time.perf_counter()
            val = validation_loss(model, tokenizer, val_text, config.stride)
            model.train()
            eval_seconds += time.perf_counter() - t0
            elapsed = time.perf_counter() - start
            history.append([step, elapsed, running, val.per_token, val.per_char])
            if val.per_char < best[0]:
                best = (val.per_char, step, val, {k: v.detach().clone() for k, v in model.state_dict().items()})
            left = clock.remaining()
            left = min(left if left is not None else math.inf, max(0.0, budget - elapsed))
            log(f"step {step:5d}  train {running:.3f}  val {val.per_token:.3f} nats/token = "
                f"{val.per_char:.3f} nats/char  (best {best[0]:.3f} at {best[1]})  "
                f"{format_seconds(elapsed)} spent" + (f", about {format_seconds(left)} left" if not last and math.isfinite(left) else ""))
            with evaluation_mode(model):
                for callback in callbacks_eval:
                    callback(step, running, val.per_token, model)
            last = last or time.perf_counter() - start >= budget  # the evaluation used up the time: it was the last
        if last:
            break
    seconds = time.perf_counter() - start
    model.load_state_dict(best[3])
    model.config.use_cache = True
    model.eval()
    val = best[2]
    info = {
        "val_loss_per_token": val.per_token,
        "val_loss_per_char": val.per_char,
        "val_tokens": val.tokens,
        "val_chars": val.chars,
        "best_step": int(best[1]),
        "steps": int(step),
        "train_seconds": float(seconds),
        "eval_seconds": float(eval_seconds),
        "tokens_per_second": float(step * config.batch_size * config.context / max(seconds - eval_seconds, 1e-9)),
        "history": history,
        "curve": curve,
        "chars_per_token_train": len(train_text) / len(train_ids),
        "chars_per_token_val": val.chars / val.tokens,
        "parameters": parameter_count(model),
        "precision": "bfloat16 autocast" if autocast else "float32",
        "config": asdict(config),
    }
    return model, tokenizer, info


# ---------------------------------------------------------------------------------------------
# Saving and loading
# ---------------------------------------------------------------------------------------------

def _rounded_to_half(model: GPT2LMHeadModel) -> GPT2LMHeadModel:
    twin = copy.deepcopy(model)
    with torch.no_grad():
        for p in twin.parameters():
            p.copy_(p.to(torch.float16).to(p.dtype))
    return twin.eval()


def _stored_weights(model: GPT2LMHeadModel, half: bool) -> dict[str, torch.Tensor]:
    """The state dict to write: each tensor once (the output layer shares the embedding's storage,
    and loading ties it again), in float16 if ``half``. The model itself stays float32, so its
    ``config.json`` says float32 and even a plain ``from_pretrained(folder)`` computes in float32."""
    seen: set[int] = set()
    out = {}
    for name, tensor in model.state_dict().items():
        if tensor.data_ptr() in seen:
            continue
        seen.add(tensor.data_ptr())
        out[name] = tensor.detach().to(torch.float16 if half else torch.float32).contiguous()
    return out


def save(
    folder: str | os.PathLike[str],
    model: GPT2LMHeadModel,
    tokenizer: PreTrainedTokenizerFast,
    info: dict,
    text: str,
    command: str = "",
    half: bool | None = None,
) -> dict:
    """Write the model, its tokenizer and the run's record into ``folder``; return the record.

    ``text`` is the corpus the model was trained on: the validation loss is measured again on its
    validation split for the weights as saved. ``half=None`` (the default) checks float16: the
    weights rounded to float16 are kept if their validation loss per character is at most
    :data:`HALF_TOLERANCE` above float32's (half the size), else float32 is written; ``True`` /
    ``False`` force it. Files: ``model.safetensors``, ``config.json``, ``generation_config.json``
    (``save_pretrained``), ``tokenizer.json``, ``tokenizer_config.json`` and ``run.json`` (the
    record: ``info`` plus the saved weights' losses, the float16 check, the corpus' SHA-256, the
    command and the library versions).

    Used by: the command line, ``python -m helpers.gpt train`` (no lesson).
    """
    folder = Path(folder)
    _, val_text = data.train_val_split(text)
    full = validation_loss(model, tokenizer, val_text, info.get("config", {}).get("eval_stride") or None)
    rounded = validation_loss(_rounded_to_half(model), tokenizer, val_text, info.get("config", {}).get("eval_stride") or None)
    if half is None:
        half = rounded.per_char - full.per_char <= HALF_TOLERANCE
    saved = rounded if half else full
    folder.mkdir(parents=True, exist_ok=True)
    with _quiet():
        model.save_pretrained(folder, state_dict=_stored_weights(model, half))
    tokens.save_tokenizer(tokenizer, folder)
    record = {
        "format": FORMAT,
        **info,
        "val_loss_per_token": saved.per_token,
        "val_loss_per_char": saved.per_char,
        "val_tokens": saved.tokens,
        "val_chars": saved.chars,
        "weights_dtype": "float16" if half else "float32",
        "float16_check": {"float32_per_char": full.per_char, "float16_per_char": rounded.per_char,
                          "tolerance": HALF_TOLERANCE},
        "corpus_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "command": command,
        "versions": {"torch": str(torch.__version__), "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__},
    }
    (folder / RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


_NEEDED = ("config.json", "model.safetensors", "tokenizer.json", RECORD)


def load(folder: str | os.PathLike[str]) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerFast, dict]:
    """The model, tokenizer and record saved in ``folder`` by :func:`save`, from local files only.

    ``AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=torch.float32)``
    (float16 files are cast to float32: CPUs compute in float32) and
    ``PreTrainedTokenizerFast.from_pretrained(folder, local_files_only=True)``. The model comes back
    in eval mode.

    Raises :class:`ModelFolderError` naming the folder and what to do if it is missing, lacks one
    of its files, holds a truncated or corrupt file, or is not a model of this course.

    Taught in: lesson 7 (loading the shipped model).
    """
    folder = Path(folder)
    how = ("Restore the shipped one with `git checkout data/gpt_tokens`, or train one: "
           f"python -m helpers.gpt train --out {folder}")
    if not folder.is_dir():
        raise ModelFolderError(f"no model folder at {folder}. {how}")
    missing = [name for name in _NEEDED if not (folder / name).is_file()]
    if missing:
        raise ModelFolderError(f"{folder} is not a complete model folder: {', '.join(missing)} missing. {how}")
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelFolderError(f"{folder / RECORD} could not be read ({type(err).__name__}: {err}); "
                               f"it may be truncated or corrupt. {how}") from err
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ModelFolderError(f"{folder} holds a model, but not a token GPT of this course ({RECORD} "
                               f"does not say format {FORMAT!r}). {how}")
    try:
        with _quiet():
            model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32)
    except Exception as err:  # truncated safetensors, broken config.json, ...
        first = str(err).splitlines()[0][:200] if str(err) else ""
        raise ModelFolderError(f"the model in {folder} could not be read ({type(err).__name__}: {first}); "
                               f"a file may be truncated or corrupt. {how}") from err
    try:
        tokenizer = tokens.load_tokenizer(folder)
    except tokens.TokenizerFolderError as err:
        raise ModelFolderError(str(err)) from err
    if len(tokenizer) != model.config.vocab_size:
        raise ModelFolderError(f"{folder}: the tokenizer has {len(tokenizer)} tokens but the model "
                               f"{model.config.vocab_size}: they are not a pair. {how}")
    model.eval()
    return model, tokenizer, record


def load_pretrained(folder: str | os.PathLike[str] | None = None) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerFast]:
    """The shipped model and its tokenizer (``data/gpt_tokens/`` unless ``folder`` is given).

    Taught in: lesson 7 (``model, tokenizer = gpt.load_pretrained()``).
    """
    model, tokenizer, _ = load(folder or DEFAULT_FOLDER)
    return model, tokenizer


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.gpt",
                                     description="Train or evaluate the course's small GPT over BPE tokens.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train a tokenizer and a GPT on Tiny Shakespeare, save the best-validation model")
    tr.add_argument("--out", type=Path, default=DEFAULT_FOLDER, help="the folder to write (default data/gpt_tokens)")
    tr.add_argument("--corpus", type=Path, default=None, help="a local input.txt (default: see helpers.data)")
    for field in fields(Config):
        tr.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=field.default)
    ev = sub.add_parser("evaluate", help="recompute a saved model's validation loss")
    ev.add_argument("folder", type=Path)
    ev.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args(argv)

    text = data.load_corpus(args.corpus)
    if args.command == "train":
        config = Config(**{f.name: getattr(args, f.name) for f in fields(Config)})
        print(f"training a {config.layers}-layer GPT of width {config.width} on {config.vocab_size} BPE tokens, "
              f"at most {config.steps} steps" + (f" or {config.minutes:g} minutes" if config.minutes else ""), flush=True)
        model, tokenizer, info = train(text, config, log=lambda line: print(line, flush=True))
        command = "python -m helpers.gpt " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
        record = save(args.out, model, tokenizer, info, text, command=command)
        size = sum(f.stat().st_size for f in args.out.iterdir() if f.is_file())
        print(f"saved {args.out} ({size / 1e6:.1f} MB, {record['weights_dtype']} weights, "
              f"{record['parameters'] / 1e6:.2f} M parameters): validation {record['val_loss_per_token']:.4f} "
              f"nats/token = {record['val_loss_per_char']:.4f} nats/char at step {record['best_step']} of "
              f"{record['steps']}, {record['train_seconds'] / 60:.1f} min, {record['tokens_per_second']:,.0f} tokens/s")
    else:
        model, tokenizer, record = load(args.folder)
        _, val_text = data.train_val_split(text)
        val = validation_loss(model, tokenizer, val_text, record.get("config", {}).get("eval_stride") or None)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        print(f"{args.folder}: validation {val} ({val.per_char / math.log(2):.3f} bits/char); recorded "
              f"{record['val_loss_per_token']:.4f} nats/token, {record['val_loss_per_char']:.4f} nats/char; "
              f"corpus sha256 {'matches' if sha == record.get('corpus_sha256') else 'DIFFERS'}")


if __name__ == "__main__":
    _main()
