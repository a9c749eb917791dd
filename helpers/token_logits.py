"""What is done to a token model's logits before the choice, in numpy only: the penalties
(transformers' repetition penalty, the OpenAI API's frequency and presence penalties) and the tail at
scale (Zipf-shaped logits, the probability outside the top tokens).

Apart from :mod:`helpers.token_sampling` (which loads PyTorch and transformers) so that the lessons'
checkers (:mod:`helpers.exercises.lesson7`) use these references without loading PyTorch; the
sampler re-exports them.

Taught in: lesson 7 (what real systems add: the penalties; the tail, at scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .softmax import check_logits, check_temperature, softmax_with_temperature

__all__ = [
    "Penalties",
    "check_penalties",
    "repetition_penalty",
    "frequency_presence_penalty",
    "apply_penalties",
    "zipf_logits",
    "tail_mass",
]


# Penalties, on logits
# ---------------------------------------------------------------------------------------------

def _finite_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v}")
    return v


def check_penalties(repetition: float = 1.0, frequency: float = 0.0, presence: float = 0.0) -> tuple[float, float, float]:
    """The three penalties as floats, or ``ValueError`` saying what is allowed.

    ``repetition`` must be ``> 0`` (1 = off; above 1 discourages repeats, below 1 encourages them:
    transformers refuses ``<= 0`` too, since dividing by 0 or by a negative number would break or
    reverse the ranking). ``frequency`` and ``presence`` are any finite numbers (0 = off; the OpenAI
    API accepts -2 to 2; negative values encourage repeats).

    Used by: :class:`Penalties` and the penalty functions here (lesson 7's penalties).
    """
    r = _finite_number(repetition, "repetition_penalty")
    if r <= 0:
        raise ValueError(
            f"repetition_penalty must be > 0, got {r}: 1 is off, 1.1-1.3 discourages repeats "
            "(transformers divides a repeated token's positive logit by it and multiplies a negative one)."
        )
    return r, _finite_number(frequency, "frequency_penalty"), _finite_number(presence, "presence_penalty")


def _seen_mask(ids: ArrayLike, vocab_size: int) -> NDArray[np.bool_]:
    i = np.asarray(ids, dtype=np.int64).ravel()
    if i.size and (i.min() < 0 or i.max() >= vocab_size):
        raise ValueError(f"token ids must be in [0, {vocab_size}), got {i.min()} to {i.max()}")
    mask = np.zeros(vocab_size, dtype=bool)
    mask[i] = True
    return mask


def repetition_penalty(logits: ArrayLike, seen_ids: ArrayLike, penalty: float) -> NDArray[np.float64]:
    """transformers' repetition penalty: each token in ``seen_ids`` has its logit divided by
    ``penalty`` if the logit is positive, multiplied by it if negative (so ``penalty > 1`` always
    lowers a seen token's probability); other tokens are unchanged. Each token at most once,
    however often it was seen.

    Args:
        logits: shape ``(V,)`` (or ``(..., V)``: the same ``seen_ids`` for every row).
        seen_ids: the token ids already in the text, prompt included (ints in ``[0, V)``).
        penalty: ``> 0``; 1 changes nothing.

    Returns float64 logits of the same shape. The rule is documented in transformers'
    ``RepetitionPenaltyLogitsProcessor`` (generation/logits_process.py: "if score < 0 then
    repetition penalty has to be multiplied to reduce the token probabilities"), after CTRL
    (Keskar et al. 2019, arXiv 1909.05858), whose paper only divides; applied to probabilities
    instead of logits, or dividing a negative logit, it would *raise* a seen token's chance.

    Taught in: lesson 7 (what real systems add: the penalties).
    """
    r, _, _ = check_penalties(penalty)
    z = check_logits(logits)
    seen = _seen_mask(seen_ids, z.shape[-1])
    penalised = np.where(z < 0, z * r, z / r)
    return np.where(seen, penalised, z)


def frequency_presence_penalty(
    logits: ArrayLike, counts: ArrayLike, frequency: float = 0.0, presence: float = 0.0
) -> NDArray[np.float64]:
    """The OpenAI API's frequency and presence penalties:
    ``logits[j] - counts[j] × frequency - (counts[j] > 0) × presence``.

    Args:
        logits: shape ``(..., V)``.
        counts: how often each token was generated so far, shape broadcasting to ``logits``
            (``(V,)``, ints ``>= 0``; see :func:`apply_penalties` for what is counted).
        frequency, presence: finite numbers; 0 = off.

    The formula is the OpenAI API reference's ("Parameter details", frequency and presence
    penalties: ``mu[j] -> mu[j] - c[j] * alpha_frequency - float(c[j] > 0) * alpha_presence``, with
    ``c[j]`` how often token ``j`` was sampled before the current position). Returns float64.

    Taught in: lesson 7 (what real systems add: the penalties).
    """
    _, f, p = check_penalties(1.0, frequency, presence)
    z = check_logits(logits)
    c = np.asarray(counts, dtype=np.float64)
    if (c < 0).any():
        raise ValueError("counts must be >= 0 (how often each token was generated)")
    return z - c * f - (c > 0) * p


@dataclass(frozen=True)
class Penalties:
    """The three penalties, checked once (the defaults are "off").

    Attributes:
        repetition: transformers' ``repetition_penalty`` (> 0; 1 = off), over the prompt and the
            generated tokens.
        frequency, presence: the OpenAI API's ``frequency_penalty`` and ``presence_penalty`` (0 =
            off), over the generated tokens only.

    Taught in: lesson 7 (what real systems add: the penalties).
    """

    repetition: float = 1.0
    frequency: float = 0.0
    presence: float = 0.0

    def __post_init__(self) -> None:
        r, f, p = check_penalties(self.repetition, self.frequency, self.presence)
        object.__setattr__(self, "repetition", r)
        object.__setattr__(self, "frequency", f)
        object.__setattr__(self, "presence", p)

    @property
    def active(self) -> bool:
        """Whether any penalty changes a logit."""
        return self.repetition != 1.0 or self.frequency != 0.0 or self.presence != 0.0

    def describe(self) -> str:
        """A short label such as ``"repetition 1.2, frequency 0.5"`` (or ``"no penalty"``)."""
        parts = [f"repetition {self.repetition:g}"] if self.repetition != 1.0 else []
        parts += [f"frequency {self.frequency:g}"] if self.frequency else []
        parts += [f"presence {self.presence:g}"] if self.presence else []
        return ", ".join(parts) or "no penalty"


def apply_penalties(
    logits: ArrayLike, prompt_ids: ArrayLike, generated_ids: ArrayLike, penalties: Penalties
) -> NDArray[np.float64]:
    """The logits of the next token after ``penalties``: the repetition penalty over the prompt and
    the generated tokens (transformers counts the prompt), then the frequency and presence
    penalties over the generated tokens (the OpenAI API counts what was sampled), in vLLM's order.

    ``logits`` shape ``(V,)``; ids are ints in ``[0, V)``. Returns float64 ``(V,)``.

    Taught in: lesson 7 (what real systems add: the penalties).
    """
    z = check_logits(logits)
    v = z.shape[-1]
    gen = np.asarray(generated_ids, dtype=np.int64).ravel()
    if penalties.repetition != 1.0:
        z = repetition_penalty(z, np.concatenate([np.asarray(prompt_ids, dtype=np.int64).ravel(), gen]),
                               penalties.repetition)
    if penalties.frequency or penalties.presence:
        _seen_mask(gen, v)  # checks the ids
        z = frequency_presence_penalty(z, np.bincount(gen, minlength=v), penalties.frequency, penalties.presence)
    return z


def _penalised_rows(logits: NDArray, prompt_ids: NDArray, ids: NDArray, penalties: Penalties) -> NDArray[np.float64]:
    """Row ``k`` of ``logits (n, V)`` after the penalties, given the prompt and ``ids[:k]`` generated
    (:func:`apply_penalties` for every step at once; one count vector, updated row by row). float64."""
    z = logits.astype(np.float64)
    if not penalties.active:
        return z
    v = z.shape[-1]
    seen = _seen_mask(prompt_ids, v)
    counts = np.zeros(v, dtype=np.int64)
    r = penalties.repetition
    for k in range(len(z)):
        if k:
            seen[ids[k - 1]] = True
            counts[ids[k - 1]] += 1
        if r != 1.0:
            z[k] = np.where(seen, np.where(z[k] < 0, z[k] * r, z[k] / r), z[k])
        if penalties.frequency or penalties.presence:
            z[k] -= counts * penalties.frequency + (counts > 0) * penalties.presence
    return z


# ---------------------------------------------------------------------------------------------
# The tail at scale
# ---------------------------------------------------------------------------------------------

def zipf_logits(vocab_size: int, exponent: float = 1.0) -> NDArray[np.float64]:
    """Logits of a Zipf-shaped distribution over ``vocab_size`` tokens: the token of rank ``r``
    (1 = most likely, token id ``r - 1``) has logit ``-exponent × ln r``, so at ``T = 1`` its
    probability is ``r^-exponent / sum_k k^-exponent`` (word frequencies in text follow roughly
    ``exponent ≈ 1``). At temperature ``T`` the exponent becomes ``exponent / T``: a flatter tail.
    Shape ``(vocab_size,)``, float64.

    Taught in: lesson 7 (the tail, at scale: 1k, 50k and 200k tokens).
    """
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise ValueError(f"vocab_size must be a whole number >= 1, got {vocab_size!r}")
    s = _finite_number(exponent, "exponent")
    if s <= 0:
        raise ValueError(f"exponent must be > 0 (a falling distribution), got {s}")
    return -s * np.log(np.arange(1, int(vocab_size) + 1, dtype=np.float64))


def tail_mass(logits: ArrayLike, temperature: float, top: int) -> float:
    """The probability that a draw at ``temperature`` falls *outside* the ``top`` most likely
    tokens: ``1 - (sum of softmax(logits / T) over the top tokens)``. ``logits`` ``(V,)``; ``top``
    ``>= 1`` (``>= V`` gives 0).

    Taught in: lesson 7 (the tail, at scale: how much probability the long tail gets at T = 1.5).
    """
    z = check_logits(logits)
    if z.ndim != 1:
        raise ValueError(f"logits must be one distribution of shape (V,), got {z.shape}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a whole number >= 1, got {top!r}")
    p = softmax_with_temperature(z, check_temperature(temperature))
    if top >= p.size:
        return 0.0
    return float(p[np.argsort(-z, kind="stable")[top:]].sum())  # summed directly: no 1 - (sum near 1) rounding
