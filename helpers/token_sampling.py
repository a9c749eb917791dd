"""Sampling from the token GPT: our own loop beside ``model.generate``, penalties, and the tail at scale.

:class:`TokenSampler` samples from a Hugging Face causal language model (the course's
``GPT2LMHeadModel``, :mod:`helpers.gpt`; any ``AutoModelForCausalLM`` of the GPT-2 kind) with our own
loop: one forward pass per token over the model's **KV cache** (the keys and values of every token
read so far, which transformers calls ``past_key_values``; version 5 names the argument ``cache``),
and the choice made by :mod:`helpers.sampling`'s rules — softmax with temperature, ``T = 0`` greedy,
:class:`~helpers.sampling.Truncation` for top-k, top-p and min-p (temperature first, as
``generate`` orders them), the Gumbel-max trick with noise passed in. It has the interface of the
char-LSTM's :class:`helpers.lstm_numpy.FastSampler` (``prompt_state``, ``continuation(...,
previous=...)``), with the same noise scheme: one stream per seed, row ``k`` of
``gumbel_noise(seed, (length, V))`` for token ``k``, whatever the temperature. So a temperature
move changes the text only from the first token whose choice flips, and the text before it (and
its KV cache) is reused. **Lengths count tokens.**

Shapes: ``V`` tokens in the vocabulary, ``P`` prompt tokens, ``L`` generated tokens; logits
``(V,)`` or ``(L, V)`` float32 as the model gives them, chosen from in float64.

The same rules as transformers and as the OpenAI API document them, on logits, before temperature:

- :func:`repetition_penalty`: transformers' ``RepetitionPenaltyLogitsProcessor`` (CTRL, Keskar et al.
  2019): every token already in the text (prompt included) has its logit divided by the penalty if
  positive, multiplied by it if negative.
- :func:`frequency_presence_penalty`: the OpenAI API's frequency and presence penalties:
  ``logit[j] - count[j] × frequency - [count[j] > 0] × presence``, counting the generated tokens.

They are applied in that order (vLLM's: repetition, then frequency, then presence), then
temperature and truncation. These rules, and :func:`zipf_logits` and :func:`tail_mass`, live in
:mod:`helpers.token_logits` (numpy only) and are re-exported here. :func:`transformers_kept`, :func:`generate_kept` and
:func:`generate_next_token_counts` run transformers' own code, so that a lesson (and
``tests/test_token_sampling.py``) can show that ours agrees with it. :func:`zipf_logits` and
:func:`tail_mass` are the "tail at scale" (pure numpy).

Taught in: lesson 7 (from characters to tokens).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from . import threads, tokens
from .sampling import Truncation, as_generator, gumbel_max_rows, gumbel_noise
from .softmax import check_logits, check_temperature, log_softmax
from .token_logits import (Penalties, _penalised_rows, apply_penalties, check_penalties,  # noqa: F401 (re-exported)
                           frequency_presence_penalty, repetition_penalty, tail_mass, zipf_logits)

threads.use_outside_default()  # PyTorch is imported now: one thread outside the helpers (helpers.threads)

from transformers import DynamicCache  # noqa: E402

__all__ = [
    "SPACE",
    "Penalties",
    "check_penalties",
    "repetition_penalty",
    "frequency_presence_penalty",
    "apply_penalties",
    "token_label",
    "TokenVocabulary",
    "TokenPromptState",
    "TokenContinuation",
    "Gpt2Step",
    "TokenSampler",
    "sample_tokens",
    "TokenSweep",
    "sweep",
    "next_token_logits",
    "continuation_nats",
    "next_token_counts",
    "transformers_kept",
    "generate_kept",
    "generate_next_token_counts",
    "zipf_logits",
    "tail_mass",
]

SPACE = "␣"  # how a space shows in a token's label (as helpers.data.printable shows a space character)
_LABELS = {" ": SPACE, "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_NOISE_BYTES = 64 * 2**20  # the noise kept for reuse, at most (a 50,257-token GPT-2 needs 40 MB for 100 tokens)
_choose = gumbel_max_rows  # the one place logits become choices (helpers.sampling), as in helpers.lstm_numpy


# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Tokens' labels
# ---------------------------------------------------------------------------------------------

def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: each byte value's printable stand-in character (as in OpenAI's
    ``encoder.py`` and the ``tokenizers`` ByteLevel pre-tokenizer)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


_BYTE_OF = {ch: b for b, ch in _bytes_to_unicode().items()}


def _byte_label(b: int) -> str:
    ch = chr(b)
    if ch in _LABELS:
        return _LABELS[ch]
    return ch if b < 0x80 and ch.isprintable() else f"<0x{b:02X}>"


def token_label(piece: str, raw: str | None = None) -> str:
    """A visible label of a token for a bar chart: each space shown as ``"␣"`` (:data:`SPACE`, as the
    character lessons show a space), a newline as ``"\\n"``, a tab as ``"\\t"``; a token that is
    not printable text on its own (a byte of a longer UTF-8 character, a control byte) as its bytes,
    ``"<0xE2>"``, read from its byte-level form ``raw`` (``tokenizer.convert_ids_to_tokens(id)``).

    ``" king"`` → ``"␣king"``, ``"\\n\\n"`` → ``"\\n\\n"`` (backslash-n twice), ``" "`` → ``"␣"``.

    Taught in: lesson 7 (the bars show tokens).
    """
    if piece and "\ufffd" not in piece:
        label = "".join(_LABELS.get(ch, ch) for ch in piece)
        if label.isprintable():
            return label
    if raw is not None and raw and all(ch in _BYTE_OF for ch in raw):
        return "".join(_byte_label(_BYTE_OF[ch]) for ch in raw)
    return piece.encode("unicode_escape").decode("ascii") if piece else "<empty>"


class TokenVocabulary:
    """A tokenizer's vocabulary seen as pieces of text, shaped like :class:`helpers.data.Vocabulary`
    where that makes sense (``size``, ``chars``, ``encode``, ``decode``), so that code written for
    characters can take tokens.

    Attributes:
        size: ``V``, the model's number of tokens.
        chars: the text of each token id, ``V`` strings (``" king"``, ``"\\n"``, ``"ing"``; a byte
            of a longer character decodes on its own as ``"�"``).
        labels: ``V`` printable labels for charts (:func:`token_label`: a space shows as ``"␣"``).

    Used by: :class:`TokenSampler` (lesson 7's dashboard over tokens).
    """

    def __init__(self, tokenizer, size: int | None = None) -> None:
        self.tokenizer = tokenizer
        self.size = int(size if size is not None else len(tokenizer))
        if self.size > len(tokenizer):
            raise ValueError(f"the tokenizer has {len(tokenizer)} tokens, fewer than the model's {self.size}")
        ids = list(range(self.size))
        self.chars: list[str] = tokens.token_pieces(tokenizer, ids)
        raws = tokenizer.convert_ids_to_tokens(ids)
        self.labels: list[str] = [token_label(p, r) for p, r in zip(self.chars, raws)]

    def encode(self, text: str) -> NDArray[np.int64]:
        """Token ids of ``text`` (:func:`helpers.tokens.encode`), shape ``(n,)``."""
        return tokens.encode(self.tokenizer, text)

    def decode(self, ids: ArrayLike) -> str:
        """The text of ``ids`` (:func:`helpers.tokens.decode`)."""
        return tokens.decode(self.tokenizer, np.asarray(ids, dtype=np.int64).ravel())


# ---------------------------------------------------------------------------------------------
# The sampler
# ---------------------------------------------------------------------------------------------

_KV = tuple[tuple[torch.Tensor, torch.Tensor], ...]  # per layer: keys and values, (1, heads, positions, head size)


@dataclass(frozen=True, eq=False)
class TokenPromptState:
    """The model after reading a prompt: its ``P`` token ids, the next-token ``logits`` ``(V,)``
    (float32) and the KV cache of the ``P`` prompt tokens (``kv``: per layer, keys and values of
    shape ``(1, heads, P, head size)``).

    Used by: :class:`TokenSampler` (lesson 7's dashboard over tokens reads its ``logits``).
    """

    prompt: str
    ids: NDArray[np.int64]
    logits: NDArray[np.float32]
    kv: _KV = field(repr=False)


@dataclass(frozen=True, eq=False)
class TokenContinuation:
    """A generated continuation, with what it takes to regenerate it at another temperature.

    Attributes:
        text: the generated text, ``tokenizer.decode(ids)``.
        ids: the ``L`` token ids, shape ``(L,)``.
        probs: the model's own (``T = 1``, no penalty) probability of each, shape ``(L,)``.
        pieces: each token's text decoded on its own, ``L`` strings: ``"".join(pieces) == text``
            unless a character's bytes were split across tokens (each piece then shows ``"�"``;
            Tiny Shakespeare is ASCII, but an untrained model may emit such byte tokens).
        temperature, seed: how it was generated (seed -1 for a Generator).
        logits: the model's logits before each choice, shape ``(L, V)``, float32 (before penalties).
        recomputed: how many forward passes of the model this continuation cost (the rest was reused).
        truncation, penalties: the other knobs it was generated with.
        prompt_ids: the prompt's token ids.
        kv: the KV cache after the prompt and the first ``L - 1`` tokens (the last is never read).

    Used by: :class:`TokenSampler` (lesson 7's dashboard over tokens keeps the last one).
    """

    text: str
    ids: NDArray[np.int64]
    probs: NDArray[np.float64]
    pieces: list[str]
    temperature: float
    seed: int
    logits: NDArray[np.float32]
    recomputed: int
    truncation: Truncation
    penalties: Penalties
    prompt_ids: NDArray[np.int64]
    kv: _KV = field(repr=False)

    @property
    def token_starts(self) -> list[int] | None:
        """The index in :attr:`text` where each token starts (``[0, len(pieces[0]), …]``), or ``None``
        when the pieces do not spell the text (a character split across tokens)."""
        if "".join(self.pieces) != self.text:
            return None
        return [0, *np.cumsum([len(p) for p in self.pieces[:-1]]).tolist()] if self.pieces else []

    @property
    def char_probs(self) -> NDArray[np.float64]:
        """One probability per character of :attr:`text`: that of the token the character belongs to
        (the shade of lesson 7's dashboard covers whole tokens), shape ``(len(text),)``. If a
        character's bytes were split across tokens, the pieces do not spell the text: then each
        character gets the lowest probability among the tokens (a visible, honest fallback)."""
        sizes = [len(piece) for piece in self.pieces]
        if "".join(self.pieces) == self.text:
            return np.repeat(self.probs, sizes).astype(np.float64)
        return np.full(len(self.text), float(self.probs.min()) if len(self.probs) else 1.0)


def _check_length(length: int) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be a whole number of tokens >= 0, got {length!r}")
    return int(length)


def _model_probs(logits: NDArray, ids: NDArray) -> NDArray[np.float64]:
    """The model's own (``T = 1``) probability of ``ids[k]`` given ``logits[k]``, float64 ``(L,)``."""
    if len(ids) == 0:
        return np.zeros(0)
    return np.exp(np.take_along_axis(log_softmax(logits.astype(np.float64)), ids[:, None], axis=-1)[:, 0])


def _kv_of(cache: DynamicCache) -> _KV:
    return tuple((layer.keys, layer.values) for layer in cache.layers)


def _cut(kv: _KV, positions: int) -> _KV:
    """The first ``positions`` positions of ``kv`` (views: ``kv`` is never changed)."""
    return tuple((k[:, :, :positions], v[:, :, :positions]) for k, v in kv)


class Gpt2Step:
    """One token through a ``GPT2LMHeadModel`` with a KV cache, as its own forward computes it, with
    the module calls' Python overhead left out: the same tensor operations on the same weights in
    the same order (``Conv1D``'s ``addmm``, ``layer_norm``, ``scaled_dot_product_attention`` as
    transformers' SDPA attention calls it, the model's own activation, the cache appended with
    ``torch.cat`` as ``DynamicCache`` does), so the logits are bit for bit the model's
    (``tests/test_token_sampling.py`` checks it). About 1.8× faster per token on this CPU
    (``benchmarks/token_dashboard.py``), which is what lets the dashboard regenerate 100 tokens
    within its budget. Any other model, or a GPT-2 with another attention implementation, uses the
    model's own forward (:meth:`supports`).

    Call it with a token id and the cache (per layer, keys and values ``(1, heads, n, head size)``);
    it returns the next token's logits ``(V,)`` float32 and the cache with ``n + 1`` positions.

    Used by: :class:`TokenSampler` (lesson 7's dashboard over tokens).
    """

    def __init__(self, model) -> None:
        if not self.supports(model):
            raise ValueError("Gpt2Step needs a GPT2LMHeadModel in eval mode with SDPA attention and float32 weights")
        cfg, tr = model.config, model.transformer
        self.width, self.heads = int(cfg.n_embd), int(cfg.n_head)
        self.head_size = self.width // self.heads
        self.wte, self.wpe, self.ln_f, self.lm_head = tr.wte.weight, tr.wpe.weight, tr.ln_f, model.lm_head.weight
        self.blocks = [(b.ln_1, b.attn.c_attn, b.attn.c_proj, b.attn.scaling, b.ln_2, b.mlp.c_fc, b.mlp.act.forward,
                        b.mlp.c_proj) for b in tr.h]

    @staticmethod
    def supports(model) -> bool:
        """Whether ``model`` is a GPT-2 this step reproduces exactly (else use its own forward)."""
        from transformers import GPT2LMHeadModel

        cfg = getattr(model, "config", None)
        return (isinstance(model, GPT2LMHeadModel) and not model.training
                and getattr(cfg, "_attn_implementation", None) == "sdpa" and not cfg.add_cross_attention
                and model.lm_head.bias is None and model.lm_head.weight.dtype == torch.float32)

    def __call__(self, token: int, kv: _KV) -> tuple[torch.Tensor, _KV]:
        F = torch.nn.functional
        d, h, s = self.width, self.heads, self.head_size
        position = kv[0][0].shape[-2]
        with torch.inference_mode():
            x = self.wte[token].view(1, 1, d) + self.wpe[position].view(1, 1, d)
            new = []
            for (ln_1, c_attn, c_proj, scaling, ln_2, c_fc, act, mlp_proj), (k_old, v_old) in zip(self.blocks, kv):
                y = F.layer_norm(x, (d,), ln_1.weight, ln_1.bias, ln_1.eps)
                q, k, v = torch.addmm(c_attn.bias, y.view(-1, d), c_attn.weight).view(1, 1, 3 * d).split(d, dim=2)
                q, k, v = (t.view(1, 1, h, s).transpose(1, 2) for t in (q, k, v))
                k, v = torch.cat([k_old, k], dim=-2), torch.cat([v_old, v], dim=-2)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, scale=scaling, is_causal=False)
                y = y.reshape(1, -1, 1, s).transpose(1, 2).contiguous().reshape(1, 1, d).contiguous()
                x = torch.addmm(c_proj.bias, y.view(-1, d), c_proj.weight).view(1, 1, d) + x
                y = F.layer_norm(x, (d,), ln_2.weight, ln_2.bias, ln_2.eps)
                y = act(torch.addmm(c_fc.bias, y.view(-1, d), c_fc.weight).view(1, 1, -1))
                x = x + torch.addmm(mlp_proj.bias, y.view(-1, y.size(-1)), mlp_proj.weight).view(1, 1, d)
                new.append((k, v))
            x = F.layer_norm(x, (d,), self.ln_f.weight, self.ln_f.bias, self.ln_f.eps)
            return F.linear(x, self.lm_head)[0, -1], tuple(new)


class TokenSampler:
    """Our sampling loop over a causal language model's logits, with the KV cache and prefix reuse.

    Taught in: lesson 7 (our loop beside ``generate``; the dashboard over tokens runs on it).

    For each token: the model reads the last token (with the cache of all before it) and gives the
    next token's logits; :func:`apply_penalties`, then :mod:`helpers.sampling`'s rule (temperature,
    then top-k / top-p / min-p, then Gumbel-max with this seed's noise row) choose it. The text
    equals :func:`sample_tokens` (the same loop, plainly written, no reuse) for the same arguments.

    :meth:`continuation` reuses a ``previous`` continuation from the same prompt and seed: with
    shared noise the new text equals the old one up to the first choice that flips, so the old
    logits decide those choices without running the model, and the model runs on from there.
    ``reuse`` says how it gets back to the state after the reused tokens:

    - ``"cache"`` (default): the previous continuation's KV cache, cut after the reused tokens
      (keys and values of a position depend only on the tokens up to it); one forward pass per
      new token. Bit for bit the plain loop's computation.
    - ``"recompute"``: the prompt's cache, then one forward pass over the reused tokens at once.
      Float rounding may differ from the plain loop's in the last bits (a flip is then possible at
      an exact tie). ``benchmarks/token_dashboard.py`` measures both.

    Args:
        model: a causal LM whose forward takes ``input_ids`` and ``cache`` and returns ``logits`` and
            ``cache`` (transformers 5; ``GPT2LMHeadModel``). Put in eval mode (dropout off) here.
        tokenizer: its tokenizer (:func:`helpers.tokens.load_tokenizer`).
        reuse: ``"cache"`` or ``"recompute"`` (see above).
        noise_cache_size: how many seeds' noise to keep (fewer for a large vocabulary: at most 64 MB).
        fast: read one token at a time through :class:`Gpt2Step` when the model is a GPT-2 it
            reproduces bit for bit (``False``: always the model's own forward; the benchmark
            compares the two).

    Threads: it runs with the count set for code outside the helpers (one, :mod:`helpers.threads`):
    a forward pass over one token is too small to gain from a second thread.

    For the dashboards (:mod:`helpers.dashboard_logic`): ``unit`` is ``"token"``, lengths are in
    ``length_range`` (tokens, slider steps of ``length_step``), and :meth:`prompt_state` refuses a
    prompt that leaves no room for the longest length in the model's context.
    """

    unit = "token"
    length_step = 10

    def __init__(self, model, tokenizer, reuse: str = "cache", noise_cache_size: int = 8, fast: bool = True) -> None:
        if reuse not in ("cache", "recompute"):
            raise ValueError(f"reuse must be 'cache' or 'recompute', got {reuse!r}")
        self.model = model.eval()
        self._step = Gpt2Step(model) if fast and Gpt2Step.supports(model) else None
        self.tokenizer = tokenizer
        self.reuse = reuse
        self.vocab_size = int(model.config.vocab_size)
        self.context = int(getattr(model.config, "n_positions", None) or model.config.max_position_embeddings)
        # tokens a dashboard generates (the LSTM's: 50-1,000 characters); 10-200 for the course's GPT
        self.length_range = (min(10, self.context // 4), 200 if self.context >= 256 else self.context // 2)
        self.vocab = TokenVocabulary(tokenizer, self.vocab_size)
        self._noise: dict[int, NDArray[np.float64]] = {}
        self._noise_cache_size = noise_cache_size

    @property
    def labels(self) -> list[str]:
        """``V`` printable labels of the tokens for bar charts (a space shows as ``"␣"``)."""
        return self.vocab.labels

    # -- the model -----------------------------------------------------------------------------

    def _forward(self, ids: Sequence[int] | NDArray, kv: _KV | None) -> tuple[torch.Tensor, _KV]:
        """Read ``ids`` after what ``kv`` holds; the logits after each, ``(n, V)``, and the new cache.
        One token goes through :class:`Gpt2Step` when the model allows it (the same numbers, faster)."""
        if kv and len(ids) == 1 and self._step is not None:
            logits, kv = self._step(int(ids[0]), kv)
            return logits[None], kv
        x = torch.as_tensor(np.asarray(ids, dtype=np.int64)).reshape(1, -1)
        with torch.inference_mode():
            out = self.model(input_ids=x, cache=DynamicCache(list(kv)) if kv else None, use_cache=True)
        return out.logits[0], _kv_of(out.cache)

    def prompt_state(self, prompt: str) -> TokenPromptState:
        """The model after reading ``prompt``: compute it once, generate many continuations.

        Raises ``ValueError`` for an empty prompt (start from the tokenizer's ``<|endoftext|>`` to
        generate from nothing, as GPT-2 does) or one longer than the model's context.
        """
        if not isinstance(prompt, str) or not prompt:
            raise ValueError("the prompt must have at least one character; to start from nothing, "
                             f"use the tokenizer's {tokens.END_OF_TEXT!r} (the model's start marker)")
        ids = self.vocab.encode(prompt)
        room = self.context - self.length_range[1] + 1
        if len(ids) > room:
            raise ValueError(f"the prompt has {len(ids)} tokens; the model reads {self.context} at most, so with up to "
                             f"{self.length_range[1]} new ones the prompt can have {room}: shorten it")
        logits, kv = self._forward(ids, None)
        return TokenPromptState(prompt, ids, logits[-1].numpy().astype(np.float32, copy=True), kv)

    def noise(self, seed: int | np.random.Generator, length: int) -> NDArray[np.float64]:
        """Gumbel noise for ``length`` tokens, shape ``(length, V)``: row ``k`` of
        ``gumbel_noise(seed, (length, V))``, as :class:`helpers.lstm_numpy.FastSampler` draws it.
        Cached per integer seed (the first rows of a longer draw are the same numbers)."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            return gumbel_noise(seed, (length, self.vocab_size))
        seed = int(seed)
        cached = self._noise.get(seed)
        if cached is None or len(cached) < length:
            rows = max(length, 128) if 128 * self.vocab_size * 8 <= _NOISE_BYTES // 4 else length
            cached = gumbel_noise(seed, (rows, self.vocab_size))
            keep = max(1, min(self._noise_cache_size, _NOISE_BYTES // max(1, cached.nbytes)))
            while self._noise and len(self._noise) >= keep:
                self._noise.pop(next(iter(self._noise)))
            self._noise[seed] = cached
        return cached[:length]

    def _reusable(self, previous: TokenContinuation | None, state: TokenPromptState, seed, length: int,
                  penalties: Penalties) -> bool:
        return (
            previous is not None
            and isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
            and previous.seed == int(seed)
            and len(previous.ids) > 0
            and length > 0
            and previous.penalties == penalties
            and np.array_equal(previous.prompt_ids, state.ids)
            and np.array_equal(previous.logits[0], state.logits)
        )

    def continuation(
        self,
        prompt: str | TokenPromptState,
        length: int,
        temperature: float,
        seed: int | np.random.Generator,
        previous: TokenContinuation | None = None,
        truncation: Truncation | None = None,
        penalties: Penalties | None = None,
    ) -> TokenContinuation:
        """Generate ``length`` tokens after ``prompt`` (a text or a :meth:`prompt_state`).

        If ``previous`` came from the same prompt state, seed and penalties, its tokens are reused up
        to the first one that the new temperature or ``truncation`` chooses differently; only the
        rest runs the model (``recomputed`` says how many forward passes).
        """
        truncation = truncation or Truncation()
        penalties = penalties or Penalties()
        t = check_temperature(temperature)
        length = _check_length(length)
        state = prompt if isinstance(prompt, TokenPromptState) else self.prompt_state(prompt)
        p = len(state.ids)
        if length and p + length - 1 > self.context:
            raise ValueError(f"{p} prompt tokens + {length} new ones need {p + length - 1} positions; "
                             f"the model reads at most {self.context}: ask for at most {self.context - p + 1} tokens")
        noise = self.noise(seed, length)
        ids = np.empty(length, dtype=np.int64)
        logits = np.empty((length, self.vocab_size), np.float32)
        start, forwards = 0, 0
        cache = None
        if self._reusable(previous, state, seed, length, penalties):
            n = min(length, len(previous.ids))
            z = _penalised_rows(previous.logits[:n], state.ids, previous.ids, penalties)
            new = _choose(z, t, noise[:n], truncation)
            differ = np.flatnonzero(new != previous.ids[:n])
            start = min(int(differ[0]) + 1 if differ.size else n, n)  # steps 0 .. start-1 need no model
            ids[:start] = new[:start]
            logits[:start] = previous.logits[:start]
            if start < length:  # the model's state after the prompt and ids[:start]
                if self.reuse == "cache":
                    z_next, cache = self._forward(ids[start - 1 : start], _cut(previous.kv, p + start - 1))
                else:
                    z_next, cache = self._forward(ids[:start], _cut(state.kv, p))
                forwards += 1
                logits_next = z_next[-1].numpy()
        if start == 0:
            cache = _cut(state.kv, p)
            logits_next = state.logits
        for k in range(start, length):
            logits[k] = logits_next
            z = logits[k : k + 1].astype(np.float64)
            if penalties.active:
                z = apply_penalties(z[0], state.ids, ids[:k], penalties)[None, :]
            ids[k] = _choose(z, t, noise[k : k + 1], truncation)[0]
            if k + 1 < length:
                z_next, cache = self._forward(ids[k : k + 1], cache)
                forwards += 1
                logits_next = z_next[-1].numpy()
        if cache is None:  # everything reused and nothing left to read: the previous cache serves
            kv = _cut(previous.kv, p + length - 1) if length else state.kv
        else:
            kv = cache
        pieces = [self.vocab.chars[i] for i in ids]  # each token decoded on its own, as tokens.token_pieces does
        return TokenContinuation(
            text=tokens.decode(self.tokenizer, ids),
            ids=ids,
            probs=_model_probs(logits, ids),
            pieces=pieces,
            temperature=t,
            seed=int(seed) if isinstance(seed, (int, np.integer)) else -1,
            logits=logits,
            recomputed=forwards,
            truncation=truncation,
            penalties=penalties,
            prompt_ids=state.ids,
            kv=kv,
        )

    def sample(self, prompt: str | TokenPromptState, length: int, temperature: float, seed: int | np.random.Generator,
               truncation: Truncation | None = None, penalties: Penalties | None = None) -> tuple[str, NDArray[np.float64]]:
        """``(text, probs)`` of :meth:`continuation` without reuse (as ``FastSampler.sample``)."""
        result = self.continuation(prompt, length, temperature, seed, truncation=truncation, penalties=penalties)
        return result.text, result.probs


def sample_tokens(
    model,
    tokenizer,
    prompt: str,
    length: int,
    temperature: float,
    seed: int | np.random.Generator,
    truncation: Truncation | None = None,
    penalties: Penalties | None = None,
    use_cache: bool = True,
) -> TokenContinuation:
    """The reference loop, plainly written: ``length`` tokens after ``prompt``, one at a time, no reuse.

    Each step runs the model (on the last token with the KV cache, or with ``use_cache=False`` on the
    whole text so far, as a model without a cache would), applies the penalties, then chooses with
    :func:`helpers.sampling.gumbel_max_rows` and row ``k`` of ``gumbel_noise(seed, (length, V))``.
    :class:`TokenSampler` gives the same tokens, faster (tests check both).

    Taught in: lesson 7 (our loop beside ``generate``).
    """
    truncation = truncation or Truncation()
    penalties = penalties or Penalties()
    t = check_temperature(temperature)
    length = _check_length(length)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("the prompt must have at least one character")
    model.eval()
    prompt_ids = [int(i) for i in tokens.encode(tokenizer, prompt)]
    v = int(model.config.vocab_size)
    noise = gumbel_noise(seed, (length, v))
    generated: list[int] = []
    all_logits = np.empty((length, v), np.float32)
    cache, feed = None, prompt_ids
    for k in range(length):
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([feed]), cache=cache, use_cache=use_cache)
        all_logits[k] = out.logits[0, -1].numpy()
        z = apply_penalties(all_logits[k], prompt_ids, generated, penalties)
        generated.append(int(_choose(z[None, :], t, noise[k : k + 1], truncation)[0]))
        if use_cache:
            cache, feed = out.cache, generated[-1:]
        else:
            feed = prompt_ids + generated
    ids = np.array(generated, dtype=np.int64)
    pieces = tokens.token_pieces(tokenizer, ids)
    return TokenContinuation(tokens.decode(tokenizer, ids), ids, _model_probs(all_logits, ids), pieces, t,
                             int(seed) if isinstance(seed, (int, np.integer)) else -1, all_logits, length,
                             truncation, penalties, np.array(prompt_ids, dtype=np.int64),
                             _kv_of(cache) if cache is not None else ())


@dataclass(frozen=True)
class TokenSweep:
    """Samples of the token model from a grid of prompts, temperatures and seeds, cut to the same
    number of characters as the character model's (:class:`helpers.char_lstm.Sweep`), one entry per
    sample, in the same order (prompt, then temperature, then seed).

    Attributes:
        texts: the ``N`` texts, each the first ``chars`` characters of its continuation (shorter
            only if ``tokens`` tokens spelled fewer: :attr:`short` counts them).
        temperature, seed: shape ``(N,)``.
        prompt: the prompt of each text.
        surprise: the model's own (``T = 1``) ``-log p`` of each continuation's tokens, summed and
            divided by the characters they spell: nats/char, shape ``(N,)`` (the statistic of
            :class:`helpers.char_lstm.Sweep`'s ``surprise``, per character, over whole tokens).
        tokens_used: how many tokens each text's characters took, shape ``(N,)``.
        truncation, penalties: the knobs every sample used.
        chars: the characters asked for each text.

    Taught in: lesson 7 (lesson 5's measurements for characters and tokens, side by side).
    """

    texts: list[str]
    temperature: NDArray[np.float64]
    seed: NDArray[np.int64]
    prompt: list[str]
    surprise: NDArray[np.float64]
    tokens_used: NDArray[np.int64]
    truncation: Truncation
    penalties: Penalties
    chars: int

    @property
    def short(self) -> int:
        """How many texts are shorter than the ``chars`` asked (their tokens spelled too few characters)."""
        return int(sum(len(t) < self.chars for t in self.texts))


def sweep(
    sampler: TokenSampler,
    prompts: Sequence[str],
    chars: int,
    temperatures: Sequence[float],
    seeds: Sequence[int],
    tokens: int = 200,
    truncation: Truncation | None = None,
    penalties: Penalties | None = None,
) -> TokenSweep:
    """Every combination of prompt, temperature and seed: ``tokens`` tokens each (from
    :meth:`TokenSampler.continuation`, so sample ``i`` is exactly ``sample_tokens(...)`` with its
    arguments), cut to the first ``chars`` characters. Temperatures run in the given order for each
    prompt and seed, each reusing the one before up to its first flipped choice (shared noise).

    The surprise counts whole tokens: those that spell the first ``chars`` characters (the last one
    may run past them).

    Taught in: lesson 7, section 5 (lesson 5's measurements for characters and tokens) and section 6
    (the penalties against changing T).
    """
    chars = _check_length(chars)
    truncation, penalties = truncation or Truncation(), penalties or Penalties()
    rows: dict[tuple[int, int, int], tuple[str, float, int]] = {}
    for i, prompt in enumerate(prompts):
        state = sampler.prompt_state(prompt)
        for k, seed in enumerate(seeds):
            previous = None
            for j, t in enumerate(temperatures):
                previous = sampler.continuation(state, tokens, t, int(seed), previous=previous, truncation=truncation,
                                                penalties=penalties)
                ends = np.cumsum([len(piece) for piece in previous.pieces])
                used = int(min(np.searchsorted(ends, chars) + 1, len(ends)))
                nats = float(-np.log(previous.probs[:used]).sum())
                rows[i, j, k] = (previous.text[:chars], nats / max(1, int(ends[used - 1])) if used else 0.0, used)
    order = [(i, j, k) for i in range(len(prompts)) for j in range(len(temperatures)) for k in range(len(seeds))]
    return TokenSweep(
        texts=[rows[key][0] for key in order],
        temperature=np.array([float(temperatures[j]) for _, j, _ in order]),
        seed=np.array([int(seeds[k]) for _, _, k in order]),
        prompt=[prompts[i] for i, _, _ in order],
        surprise=np.array([rows[key][1] for key in order]),
        tokens_used=np.array([rows[key][2] for key in order]),
        truncation=truncation,
        penalties=penalties,
        chars=chars,
    )


# ---------------------------------------------------------------------------------------------
# Agreement with transformers' generate
# ---------------------------------------------------------------------------------------------

def next_token_logits(model, ids: ArrayLike) -> NDArray[np.float32]:
    """The model's logits after each prefix of ``ids`` in one pass: row ``i`` is the next-token
    distribution's logits after ``ids[: i + 1]``, shape ``(n, V)`` float32 (``n`` at most the
    model's context).

    E.g. with ``ids = prompt_ids + generated``, rows ``len(prompt_ids) - 1 … n - 2`` are the logits
    each generated token was chosen from (:func:`continuation_nats`), and any row gives a real
    context's distribution (lesson 7's tail on real text).

    Taught in: lesson 7 (the tail on real text; beam search against sampling).
    """
    x = _as_input(ids)
    context = int(getattr(model.config, "n_positions", None) or model.config.max_position_embeddings)
    if x.shape[1] > context:
        raise ValueError(f"{x.shape[1]} tokens: the model reads at most {context} at once; split the text")
    model.eval()
    with torch.inference_mode():
        return model(input_ids=x).logits[0].float().numpy()


def continuation_nats(model, prompt_ids: ArrayLike, ids: ArrayLike) -> float:
    """The model's own (``T = 1``) surprise of a continuation ``ids`` after ``prompt_ids``: the mean of
    ``-ln p(token)`` over its tokens, nats/token (the statistic beam search minimises in total).

    Taught in: lesson 7, section 6 (beam search against sampling).
    """
    p = np.asarray(prompt_ids, dtype=np.int64).ravel()
    g = np.asarray(ids, dtype=np.int64).ravel()
    if g.size == 0:
        raise ValueError("the continuation has no tokens")
    logits = next_token_logits(model, np.concatenate([p, g]))[len(p) - 1 : -1]
    return float(-np.mean(np.log(_model_probs(logits, g))))


def next_token_counts(
    logits: ArrayLike, n: int, temperature: float, seed: int | np.random.Generator,
    truncation: Truncation | None = None, chunk: int = 4096,
) -> NDArray[np.int64]:
    """How often each token comes up in ``n`` draws of the next token from one context's ``logits``
    ``(V,)`` with our rule (Gumbel-max, fresh noise for each draw): int64 counts ``(V,)``.

    Taught in: lesson 7 (counts of many draws against our softmax, beside ``generate``'s).
    """
    z = check_logits(logits)
    if z.ndim != 1:
        raise ValueError(f"logits must be one distribution of shape (V,), got {z.shape}")
    t = check_temperature(temperature)
    rng = as_generator(seed)
    counts = np.zeros(z.size, dtype=np.int64)
    left = int(n)
    while left > 0:
        m = min(chunk, left)
        choices = _choose(np.broadcast_to(z, (m, z.size)), t, gumbel_noise(rng, (m, z.size)), truncation)
        counts += np.bincount(choices, minlength=z.size)
        left -= m
    return counts


def _generate_knobs(temperature: float, truncation: Truncation | None) -> dict:
    """``generate``'s keyword arguments for a temperature and truncation (our "off" → its "off":
    ``top_k=0``, since ``generate`` otherwise applies its default ``top_k=50``)."""
    truncation = truncation or Truncation()
    if truncation.temperature_last:
        raise ValueError("generate applies temperature first; it cannot do temperature last")
    t = check_temperature(temperature)
    if t == 0.0:
        return {"do_sample": False}
    if math.isinf(t):
        raise ValueError("generate cannot sample at T = inf")
    return {"do_sample": True, "temperature": t, "top_k": truncation.top_k or 0,
            "top_p": 1.0 if truncation.top_p is None else truncation.top_p, "min_p": truncation.min_p}


def transformers_kept(logits: ArrayLike, temperature: float, truncation: Truncation) -> NDArray[np.bool_]:
    """Which tokens transformers' warpers keep: ``TemperatureLogitsWarper``, then ``TopKLogitsWarper``,
    ``TopPLogitsWarper`` and ``MinPLogitsWarper`` (the order ``generate`` builds them in, in
    ``GenerationMixin._get_logits_processor``), on ``logits`` ``(..., V)``, in float32 as they run.
    Returns bool ``(..., V)``: compare with :meth:`helpers.sampling.Truncation.mask`.

    Taught in: lesson 7 (our top-k / top-p / min-p keep the sets that ``generate`` keeps).
    """
    from transformers import (LogitsProcessorList, MinPLogitsWarper, TemperatureLogitsWarper, TopKLogitsWarper,
                              TopPLogitsWarper)

    knobs = _generate_knobs(temperature, truncation)
    z = torch.as_tensor(check_logits(logits), dtype=torch.float32)
    shape = z.shape
    z = z.reshape(-1, shape[-1])
    if not knobs["do_sample"]:
        raise ValueError("at T = 0 generate does not sample: it takes the argmax")
    warpers = LogitsProcessorList()
    if knobs["temperature"] != 1.0:
        warpers.append(TemperatureLogitsWarper(knobs["temperature"]))
    if knobs["top_k"]:
        warpers.append(TopKLogitsWarper(knobs["top_k"]))
    if knobs["top_p"] < 1.0:
        warpers.append(TopPLogitsWarper(knobs["top_p"]))
    if knobs["min_p"] is not None:
        warpers.append(MinPLogitsWarper(knobs["min_p"]))
    out = warpers(torch.zeros((z.shape[0], 1), dtype=torch.long), z)
    return torch.isfinite(out).numpy().reshape(shape)


def _as_input(ids: ArrayLike) -> torch.Tensor:
    x = np.asarray(ids, dtype=np.int64).ravel()
    if x.size == 0:
        raise ValueError("the prompt has no tokens")
    return torch.as_tensor(x).reshape(1, -1)


def generate_kept(model, prompt_ids: ArrayLike, temperature: float, truncation: Truncation) -> tuple[NDArray[np.bool_], NDArray[np.float32]]:
    """What ``model.generate`` keeps for the next token after ``prompt_ids``: one ``generate`` call
    with ``output_scores`` (the scores after its processors: ``-inf`` where cut) and
    ``output_logits`` (the model's raw logits). Returns ``(kept (V,) bool, logits (V,) float32)``.

    Taught in: lesson 7 (our top-k / top-p / min-p keep the sets that ``generate`` keeps).
    """
    knobs = _generate_knobs(temperature, truncation)
    x = _as_input(prompt_ids)
    with torch.inference_mode():
        out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=1, output_scores=True,
                             output_logits=True, return_dict_in_generate=True, **knobs)
    return torch.isfinite(out.scores[0][0]).numpy(), out.logits[0][0].float().numpy()


def generate_next_token_counts(
    model, prompt_ids: ArrayLike, n: int, temperature: float, seed: int,
    truncation: Truncation | None = None, penalties: Penalties | None = None, batch: int = 2048,
) -> NDArray[np.int64]:
    """How often each token comes up as the next one in ``n`` calls' worth of
    ``model.generate(prompt, do_sample=True, temperature=T, top_k=…, top_p=…, min_p=…,
    repetition_penalty=…, max_new_tokens=1)`` (``num_return_sequences`` rows at a time, after
    ``torch.manual_seed(seed)``): int64 counts ``(V,)``. Frequency and presence penalties are not
    ``generate`` arguments (and count no token before the first one generated).

    Taught in: lesson 7 (counts of many draws from ``generate`` against our softmax).
    """
    knobs = _generate_knobs(temperature, truncation)
    penalties = penalties or Penalties()
    if penalties.repetition != 1.0:
        knobs["repetition_penalty"] = penalties.repetition
    x = _as_input(prompt_ids)
    v = int(model.config.vocab_size)
    counts = np.zeros(v, dtype=np.int64)
    torch.manual_seed(seed)
    left = int(n)
    model.eval()
    while left > 0:
        m = min(batch, left)
        with torch.inference_mode():
            out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=1, num_return_sequences=m,
                                 **knobs)
        counts += np.bincount(out[:, -1].numpy(), minlength=v)
        left -= m
    return counts
