"""The capstone's cases (05b_temperature_detective.ipynb, exercise 2, "the temperature detective"):
for each student's number, a text the pretrained LSTM wrote at a temperature hidden in that number.

Teaching material, not a checker: the notebook gives each student their case with
:func:`detective_case`, and the capstone's checker (:mod:`helpers.exercises.lesson5b`) compares the
student's estimate with the hidden temperature. The hidden temperature is computed from the seed
below, which a student can read: the exercise teaches the method, not secrecy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DetectiveCase", "detective_case", "PROMPTS", "HIDDEN_RANGE"]

PROMPTS = ("ROMEO:\n", "JULIET:\n", "KING HENRY VI:\n", "First Citizen:\n")
"""The prompt of case ``seed`` is ``PROMPTS[seed % 4]``."""
HIDDEN_RANGE = (0.4, 1.6)
"""The hidden temperatures are drawn uniformly from this range (rounded to 0.01)."""


@dataclass(frozen=True)
class DetectiveCase:
    """A text the pretrained LSTM wrote at a hidden temperature, and what you need to find it.

    Taught in: lesson 5b, exercise 2 (the capstone).

    ``logits`` (shape ``(N, V)``) are the model's own (``T = 1``) logits at each of the ``N`` steps
    and ``chosen`` (shape ``(N,)``) the ids of the characters it picked: the character at step ``i``
    was drawn from ``softmax(logits[i] / T)`` for the hidden ``T``.
    """

    seed: int
    prompt: str
    text: str
    logits: np.ndarray = field(repr=False)
    chosen: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        return f"DetectiveCase(seed={self.seed}, {len(self.text)} characters after {self.prompt!r}: {self.text[:60]!r}…)"


def _hidden_temperature(seed: int) -> float:
    """The hidden temperature of case ``seed`` (no peeking: estimate it!)."""
    rng = np.random.default_rng([2024, seed])
    return round(float(rng.uniform(*HIDDEN_RANGE)), 2)


@functools.lru_cache(maxsize=1)
def _pretrained():  # a cache: the model is loaded once per kernel
    from .char_lstm import load_pretrained

    return load_pretrained()


@functools.lru_cache(maxsize=8)
def detective_case(seed: int, length: int = 400) -> DetectiveCase:
    """The case of student ``seed``: ``length`` characters sampled from the pretrained LSTM at a
    temperature hidden in the seed (between 0.4 and 1.6), with the logits of every step.

    Taught in: lesson 5b, exercise 2 (the capstone: ``case = detective.detective_case(MY_SEED)``).
    """
    from .char_lstm import continuation_logits, sample_many

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a whole number >= 0 (your own number), got {seed!r}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 20:
        raise ValueError(f"length must be a whole number of characters >= 20, got {length!r}")
    seed, length = int(seed), int(length)
    model = _pretrained()
    prompt = PROMPTS[seed % len(PROMPTS)]
    texts, _ = sample_many(model, prompt, length, [_hidden_temperature(seed)], seed=[10_000 + seed])
    logits, chosen = continuation_logits(model, prompt, texts[0])
    logits.setflags(write=False)
    chosen.setflags(write=False)
    return DetectiveCase(seed, prompt, texts[0], logits, chosen)
