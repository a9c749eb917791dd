"""The capstone's cases (05b_temperature_detective.ipynb, exercise 2, "the temperature detective"):
for each student's number, a text the pretrained LSTM wrote at a temperature hidden in that number.

Teaching material, not a checker: the notebook gives each student their case with
:func:`detective_case`, and the capstone's checker (:mod:`helpers.exercises.lesson5b`) compares the
student's estimate with the hidden temperature. The hidden temperature is computed from the seed
below, which a student can read: the exercise teaches the method, not secrecy.

**The exam variant** hides the temperatures for real: they are derived from a secret that only the
teacher holds (the environment variable :data:`SECRET_VARIABLE`, or a string passed in; never stored
in the repository or the installed package), with HMAC-SHA256. The teacher writes each student's case
to a file with :func:`write_exam_cases` (text, prompt and logits, no temperature), hands the files
out, and grades the estimates with :func:`grade_exam` where the secret is set; a student's machine,
without the secret, has nothing from which to compute the temperature.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["DetectiveCase", "detective_case", "PROMPTS", "HIDDEN_RANGE", "SECRET_VARIABLE", "exam_temperature",
           "write_exam_cases", "load_exam_case", "ExamGrade", "grade_exam"]

SECRET_VARIABLE = "DETECTIVE_EXAM_SECRET"
"""The environment variable that holds the teacher's exam secret (set where cases are written and graded)."""
EXAM_FORMAT = "temperature-lessons/detective-exam/1"

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


# ---------------------------------------------------------------------------------------------
# The exam variant: temperatures derived from the teacher's secret
# ---------------------------------------------------------------------------------------------

def _secret(secret: str | None) -> bytes:
    value = os.environ.get(SECRET_VARIABLE, "") if secret is None else secret
    if not isinstance(value, str) or len(value) < 8:
        raise ValueError(
            f"the exam needs the teacher's secret: set the environment variable {SECRET_VARIABLE} to a string "
            "of at least 8 characters that no student knows (the same when writing the cases and when grading), "
            "or pass secret=...; never commit it"
        )
    return value.encode("utf-8")


def _keyed(key: bytes, message: str) -> int:
    """A 64-bit number only the holder of ``key`` can compute (HMAC-SHA256)."""
    return int.from_bytes(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()[:8], "big")


def exam_temperature(seed: int, secret: str | None = None) -> float:
    """The hidden temperature of exam case ``seed``: HMAC-SHA256 of the seed under the teacher's
    secret (:data:`SECRET_VARIABLE` unless ``secret`` is given), mapped to :data:`HIDDEN_RANGE` and
    rounded to 0.01. Without the secret it cannot be computed; another secret gives other temperatures.

    Used by: :func:`write_exam_cases` and :func:`grade_exam` (the capstone's exam variant, teacher's guide).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a whole number >= 0 (the student's number), got {seed!r}")
    u = _keyed(_secret(secret), f"detective-exam:{int(seed)}") / 2**64
    low, high = HIDDEN_RANGE
    return round(low + (high - low) * u, 2)


def write_exam_cases(seeds, folder: str | os.PathLike[str], secret: str | None = None, length: int = 400) -> list[Path]:
    """Write each student's exam case to ``folder/case_<seed>.npz``: ``length`` characters the
    pretrained LSTM wrote at :func:`exam_temperature` ``(seed)``, with the logits of every step, the
    prompt and the seed, and **no temperature**. Run it where the secret is set (the teacher's
    machine); hand each student their file. Returns the paths. The sampling noise is derived from
    the secret too, so a student cannot find the temperature by regenerating the text at each candidate.

    Used by: the capstone's exam variant (teacher's guide, "The capstone as an exam").
    """
    from .char_lstm import continuation_logits, sample_many

    key = _secret(secret)  # before any work: no secret, no cases
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    model, paths = _pretrained(), []
    for seed in seeds:
        t = exam_temperature(seed, key.decode("utf-8"))
        prompt = PROMPTS[int(seed) % len(PROMPTS)]
        noise = _keyed(key, f"detective-exam-noise:{int(seed)}")  # secret too: no regenerating the text at guessed T
        texts, _ = sample_many(model, prompt, int(length), [t], seed=[noise])
        logits, chosen = continuation_logits(model, prompt, texts[0])
        path = out / f"case_{int(seed)}.npz"
        np.savez_compressed(path, format=np.array(EXAM_FORMAT), seed=np.array(int(seed)), prompt=np.array(prompt),
                            text=np.array(texts[0]), logits=logits.astype(np.float32), chosen=chosen)
        paths.append(path)
    return paths


def load_exam_case(path: str | os.PathLike[str]) -> DetectiveCase:
    """A student's exam case from the file the teacher handed out (:func:`write_exam_cases`).

    Raises ``FileNotFoundError`` or ``ValueError`` with what to do when the file is missing or is
    not an exam case.

    Used by: the capstone's exam variant (``case = detective.load_exam_case("case_17.npz")``).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no exam case at {p}: put the file your teacher gave you (case_<your number>.npz) "
                                "next to this notebook and give its name")
    try:
        with np.load(p, allow_pickle=False) as f:
            if str(f["format"]) != EXAM_FORMAT:
                raise ValueError(f"{p} is not an exam case of this course (format {str(f['format'])!r})")
            seed, prompt, text = int(f["seed"]), str(f["prompt"]), str(f["text"])
            logits, chosen = f["logits"].astype(np.float64), f["chosen"].astype(np.int64)
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"{p} cannot be read as an exam case ({err}): ask your teacher for the file again") from err
    if logits.shape != (len(text), logits.shape[-1]) or chosen.shape != (len(text),):
        raise ValueError(f"{p} is damaged: {len(text)} characters but logits {logits.shape} and ids {chosen.shape}")
    logits.setflags(write=False)
    chosen.setflags(write=False)
    return DetectiveCase(seed, prompt, text, logits, chosen)


@dataclass(frozen=True)
class ExamGrade:
    """One exam estimate, graded: the hidden temperature, the estimate, the tolerance (3 standard
    errors of the maximum-likelihood estimate for this case, as the capstone's check allows) and
    whether the estimate is within it.

    Used by: :func:`grade_exam`."""

    seed: int
    hidden: float
    estimate: float
    tolerance: float
    passed: bool


def grade_exam(case: DetectiveCase, estimate: float, secret: str | None = None) -> ExamGrade:
    """Grade a student's estimate for their exam ``case`` (:func:`load_exam_case` of their file)
    where the secret is set: within 3 standard errors of the hidden temperature passes, as in the
    capstone's own check.

    Used by: the capstone's exam variant (teacher's guide, "The capstone as an exam").
    """
    from .metrics import temperature_standard_error

    hidden = exam_temperature(case.seed, secret)
    try:
        value = float(estimate)
    except (TypeError, ValueError):
        raise ValueError(f"the estimate must be a number (a temperature), got {estimate!r}") from None
    tolerance = 3 * temperature_standard_error(case.logits, hidden)
    return ExamGrade(case.seed, hidden, value, tolerance, bool(np.isfinite(value) and abs(value - hidden) <= tolerance))
