"""The char-LSTM's sampler as a fused numpy loop: a second implementation of the LSTM, no PyTorch.

:class:`FastSampler` runs the network of :class:`helpers.char_lstm.CharLSTM` (embedding → stacked
LSTM → linear) from plain float32 numpy arrays, and samples from it with the Gumbel-max trick of
:mod:`helpers.sampling`. It gives the same text as :func:`helpers.char_lstm.sample` (one character at
a time through ``nn.LSTM``, the reference) for the same arguments, several times faster: what a live
slider needs. The dashboards (:mod:`helpers.widgets`) use it, and so need no PyTorch.

Build it from a model that hands over its weights as numpy arrays (``FastSampler(model)``, with
``model.vocab`` and ``model.numpy_weights()``, as ``CharLSTM`` does) or from the arrays themselves
(:meth:`FastSampler.from_arrays`). The arrays are named and shaped as PyTorch stores them
(``H`` hidden units, ``E`` embedding size, ``V`` vocabulary size, ``layers`` layers ``k``):

- ``embed.weight`` ``(V, E)``;
- ``lstm.weight_ih_l{k}`` ``(4H, E)`` for ``k = 0``, ``(4H, H)`` above; ``lstm.weight_hh_l{k}``
  ``(4H, H)``; ``lstm.bias_ih_l{k}`` and ``lstm.bias_hh_l{k}`` ``(4H,)``; the four blocks of
  ``4H`` rows are the gates in PyTorch's order: input, forget, cell candidate, output;
- ``head.weight`` ``(V, H)`` and ``head.bias`` ``(V,)``.

Noise: every sampler draws its Gumbel noise from one stream seeded by ``seed``: the noise for step
``k`` is the ``k``-th row of ``rng.random((length, V))`` turned into Gumbel noise, whatever the
temperature. So the same seed at nearby temperatures gives texts that share a prefix and part where
one choice flips (common random numbers), and all samplers give the same text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from . import threads
from .sampling import Truncation, gumbel_max_rows, gumbel_noise
from .softmax import check_temperature, log_softmax

if TYPE_CHECKING:
    from .data import Vocabulary

__all__ = ["PromptState", "Continuation", "FastSampler"]


class _NumpyModel(Protocol):
    """What :class:`FastSampler` needs from a model: its vocabulary and its weights as arrays."""

    vocab: Vocabulary

    def numpy_weights(self) -> Mapping[str, np.ndarray]: ...


_choose = gumbel_max_rows  # the one place the samplers turn logits into choices (helpers.sampling)


def _model_probs(logits: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The model's own (``T = 1``) probability of ``ids[..., k]`` given ``logits[..., k, :]``, float64."""
    return np.exp(np.take_along_axis(log_softmax(logits), ids[..., None], axis=-1)[..., 0])


def _check_length(length: int) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be a whole number of characters >= 0, got {length!r}")
    return int(length)


class PromptState(NamedTuple):
    """The LSTM state after reading a prompt: ``h`` and ``c`` of shape ``(layers, hidden)``,
    and the next-character ``logits`` of shape ``(V,)``.

    Used by: the dashboards of lessons 4 and 6 (:mod:`helpers.widgets`), computed once per prompt;
    lesson 6, section 1 reads its ``logits``.
    """

    prompt: str
    h: np.ndarray
    c: np.ndarray
    logits: np.ndarray


@dataclass(frozen=True)
class Continuation:
    """A generated continuation, with what it takes to regenerate it at another temperature.

    Used by: the dashboards of lessons 4 and 6 (:mod:`helpers.widgets`), which keep the last one.

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

    @property
    def char_probs(self) -> np.ndarray:
        """One probability per character of :attr:`text` (here, :attr:`probs`: a character is a unit),
        as :class:`helpers.token_sampling.TokenContinuation` gives it for tokens."""
        return self.probs

    @property
    def token_starts(self) -> None:
        """No token boundaries to mark: each character is its own unit (the dashboards' shaded text)."""
        return None


class FastSampler:
    """The same sampler as :func:`helpers.char_lstm.sample`, as a fused float32 numpy loop.

    Taught in: lesson 4, section 9 (the dashboard runs on it); lesson 6 reads next-character
    logits from it in section 1, and its dashboard (section 6) runs on it.

    Built once from a model's weights: layer 0's input projection is precomputed per character (a
    lookup instead of embedding + matmul), and each layer's step is one matrix product of
    ``[input, h]`` with the stacked weights. It runs one text (:meth:`sample`, :meth:`continuation`)
    or many at once (:meth:`sample_batch`). For the same arguments it gives the same text as
    :func:`helpers.char_lstm.sample` (tests check this), several times faster.

    :meth:`continuation` also reuses work when only the temperature moved: with shared noise the
    new text equals the old one up to the first choice that flips, so only the steps after it are
    recomputed.

    Args:
        model: anything with ``.vocab`` and ``.numpy_weights()`` (the arrays described in this
            module's docstring), e.g. a :class:`helpers.char_lstm.CharLSTM`.
        noise_cache_size: how many seeds' noise to keep (a slider revisits a few seeds).

    For the dashboards (:mod:`helpers.dashboard_logic`), as :class:`helpers.token_sampling.TokenSampler`:
    ``unit`` is ``"character"``, lengths are in ``length_range`` (characters, slider steps of
    ``length_step``), :attr:`labels` are the bars' labels.
    """

    unit = "character"
    length_range = (50, 1000)  # characters a dashboard generates
    length_step = 50

    @property
    def labels(self) -> list[str]:
        """``V`` printable labels of the characters for bar charts (``"␣"`` for a space)."""
        from .data import printable

        return [printable(c) for c in self.vocab.chars]

    def __init__(self, model: _NumpyModel, noise_cache_size: int = 8) -> None:
        self._build(model.vocab, model.numpy_weights(), noise_cache_size)

    @classmethod
    def from_arrays(
        cls, vocab: Vocabulary, arrays: Mapping[str, np.ndarray], noise_cache_size: int = 8
    ) -> FastSampler:
        """A sampler from the weight ``arrays`` (named and shaped as this module's docstring says)
        and the ``vocab`` they were trained with."""
        sampler = cls.__new__(cls)
        sampler._build(vocab, arrays, noise_cache_size)
        return sampler

    def _build(self, vocab: Vocabulary, arrays: Mapping[str, np.ndarray], noise_cache_size: int) -> None:
        sd = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
        self.vocab = vocab
        self.layers = sum(1 for k in sd if k.startswith("lstm.weight_hh_l"))
        self.hidden = sd["lstm.weight_hh_l0"].shape[1]
        if self.layers < 1 or sd["embed.weight"].shape[0] != vocab.size or sd["head.bias"].shape != (vocab.size,):
            raise ValueError(f"the arrays do not fit a {vocab.size}-character vocabulary: {sorted(sd)}")
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
        self.head_b = sd["head.bias"].copy()
        self._noise: dict[int, np.ndarray] = {}  # explicit cache: seed -> Gumbel noise (steps, V)
        self._noise_cache_size = noise_cache_size

    # -- the LSTM step -------------------------------------------------------------------------

    def _gates(self, k: int, x: np.ndarray, below: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Layer ``k``'s gate pre-activations ``(B, 4H)``: from characters ``x (B,)`` for ``k = 0``,
        else from the layer below's ``h`` (``below``, ``(B, H)``); ``h (B, H)`` is the layer's own."""
        if k == 0:
            return self.input0[x] + h @ self.recurrent0
        w, b = self.stacked[k - 1]
        return np.concatenate([below, h], axis=1) @ w + b

    def _cell(self, gates: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gates ``(B, 4H)`` in PyTorch's order (input, forget, cell, output) and ``c (B, H)``."""
        h4 = self.hidden
        ifo = 1.0 / (1.0 + np.exp(-gates))  # sigmoid of all four blocks; the g block is unused
        g = np.tanh(gates[:, 2 * h4 : 3 * h4])
        c = ifo[:, h4 : 2 * h4] * c + ifo[:, :h4] * g
        return ifo[:, 3 * h4 :] * np.tanh(c), c

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Feed characters ``x (B,)``; update ``h, c (layers, B, H)`` in place; return logits ``(B, V)``."""
        # :meth:`_gates`, written out: this is the dashboards' hot loop (about 7 % faster inline)
        h[0], c[0] = self._cell(self.input0[x] + h[0] @ self.recurrent0, c[0])
        for k, (w, b) in enumerate(self.stacked, start=1):
            h[k], c[k] = self._cell(np.concatenate([h[k - 1], h[k]], axis=1) @ w + b, c[k])
        return h[-1] @ self.head_w + self.head_b

    @threads.adaptive
    def gate_values(self, text: str) -> dict[str, np.ndarray]:
        """The gate activations while reading ``text``: see :func:`helpers.char_lstm.gate_values`."""
        ids = self.vocab.encode(text)
        h = np.zeros((self.layers, 1, self.hidden), np.float32)
        c = np.zeros_like(h)
        n = self.hidden
        out = np.empty((len(ids), self.layers, 4, n), np.float32)
        for t, x in enumerate(ids):
            for k in range(self.layers):
                gates = self._gates(k, np.array([x]), h[k - 1] if k else None, h[k])
                act = 1.0 / (1.0 + np.exp(-gates[0]))
                act[2 * n : 3 * n] = np.tanh(gates[0, 2 * n : 3 * n])
                out[t, k] = act.reshape(4, n)
                h[k], c[k] = self._cell(gates, c[k])
        return {name: out[:, :, j] for j, name in enumerate(("input", "forget", "cell", "output"))}

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
        """Gumbel noise for ``length`` steps, shape ``(length, V)``, the stream of
        :func:`helpers.char_lstm.sample`.

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
        """``(text, probs)``, as :func:`helpers.char_lstm.sample` with ``return_probs=True``."""
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
        """All rows in one pass: see :func:`helpers.char_lstm.sample_many`."""
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
