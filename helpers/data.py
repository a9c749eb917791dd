"""The Tiny Shakespeare corpus: finding it, verifying it, and turning it into numbers.

Where the text comes from, in this order:

1. a path passed to :func:`load_corpus`;
2. the environment variable ``TINYSHAKESPEARE_PATH`` (how offline classrooms and CI use it);
3. a copy downloaded earlier into ``data/tinyshakespeare/input.txt`` (git-ignored);
4. otherwise it is downloaded once from Karpathy's char-rnn repository into that file.

Every copy is checked against the published size and SHA-256 before it is used.

Also here: :func:`load_peeperkorn_ratings`, the human ratings that Peeperkorn et al. (ICCC 2024)
released, shipped in ``data/peeperkorn2024/`` with their licence (lesson 5 compares with them).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CORPUS_URL",
    "CORPUS_SHA256",
    "CORPUS_BYTES",
    "ENV_VAR",
    "DEFAULT_CACHE",
    "CorpusUnavailableError",
    "load_corpus",
    "Vocabulary",
    "train_val_split",
    "next_char_counts",
    "next_char_logits",
    "printable",
    "PEEPERKORN_DIR",
    "PEEPERKORN_SHA256",
    "PEEPERKORN_QUESTIONS",
    "PeeperkornRatings",
    "load_peeperkorn_ratings",
]

CORPUS_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
CORPUS_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
CORPUS_BYTES = 1_115_394
ENV_VAR = "TINYSHAKESPEARE_PATH"
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "data" / "tinyshakespeare" / "input.txt"

def _how_to_fix(cache: Path) -> str:
    """The ways out when the corpus is missing, as a student should read them (first)."""
    return (
        "Three ways out:\n"
        f"  1. Copy Tiny Shakespeare's input.txt to {cache}\n"
        "     then run this cell again (no restart needed).\n"
        f"  2. Or tell the lessons where your copy is: in the notebook, run\n"
        f"         %env {ENV_VAR}=/path/to/input.txt\n"
        "     then this cell again (no restart needed). Set in the shell before JupyterLab starts\n"
        f"     (export {ENV_VAR}=/path/to/input.txt), it reaches every kernel started or restarted\n"
        "     after that.\n"
        "  3. Or connect to the internet once and run this cell again: the download is kept there."
    )


class CorpusUnavailableError(RuntimeError):
    """No local copy of the corpus and the download failed.

    Used in: every lesson's first cell that reads the corpus (lesson 1, section 1, the first time).
    """

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows (IPython's hook): the message and its ways out, first and alone,
        instead of a long traceback through urllib that would hide them."""
        return [f"\x1b[0;31mCorpusUnavailableError\x1b[0m: {self}"]


def _verify(data: bytes, origin: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != CORPUS_BYTES or digest != CORPUS_SHA256:
        raise ValueError(
            f"{origin} is not the Tiny Shakespeare corpus this course expects: it has "
            f"{len(data):,} bytes and SHA-256 {digest[:12]}…, expected {CORPUS_BYTES:,} bytes and "
            f"{CORPUS_SHA256[:12]}…. Replace it with input.txt from Karpathy's char-rnn "
            f"repository ({CORPUS_URL})."
        )
    return data.decode("utf-8")


def _read_local(path: Path, named_by: str) -> str:
    if not path.is_file():
        raise FileNotFoundError(
            f"{named_by} names {path}, but there is no file there. Fix the path, or "
            f"{'unset ' + ENV_VAR if named_by.startswith('the environment') else 'pass no path'} "
            "to download the corpus instead."
        )
    return _verify(path.read_bytes(), str(path))


def _download(url: str, dest: Path, timeout_s: float) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)  # URLError wraps the socket's error
        raise CorpusUnavailableError(
            f"Tiny Shakespeare (the lessons' text) is not on this machine, and downloading it "
            f"from {url} failed ({type(reason).__name__}: {reason}).\n{_how_to_fix(dest)}"
        ) from None  # the network's own traceback says nothing a student can act on
    text = _verify(data, f"the download from {url}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        tmp.write(data)
    Path(tmp.name).replace(dest)  # atomic: never leaves a half-written corpus behind
    return text


def load_corpus(
    path: str | os.PathLike[str] | None = None,
    *,
    url: str = CORPUS_URL,
    cache: str | os.PathLike[str] = DEFAULT_CACHE,
    timeout_s: float = 30.0,
) -> str:
    """The Tiny Shakespeare text (1,115,394 characters), verified by size and SHA-256.

    Args:
        path: a local copy to read. If omitted, ``$TINYSHAKESPEARE_PATH``, then ``cache``, then
            a download from ``url`` into ``cache``.
        url: where to download from (tests point this at a local file).
        cache: where a downloaded copy is kept.
        timeout_s: network timeout of the download, in seconds.

    Raises:
        FileNotFoundError: the path (argument or environment variable) names no file.
        ValueError: a copy has the wrong size or checksum (corrupt, or another text).
        CorpusUnavailableError: no local copy and the download failed; the message names both
            ways out (go online once, or set ``TINYSHAKESPEARE_PATH``).

    Taught in: lesson 1, section 1; every lesson's first cell loads the corpus with it.
    """
    if path is not None:
        return _read_local(Path(path).expanduser(), "the path you passed")
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return _read_local(Path(from_env).expanduser(), f"the environment variable {ENV_VAR}")
    cache_path = Path(cache)
    if cache_path.is_file():
        try:
            return _verify(cache_path.read_bytes(), str(cache_path))
        except ValueError as err:
            raise ValueError(f"{err} Delete {cache_path} to download it again.") from None
    return _download(url, cache_path, timeout_s)


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text, sorted, each with an integer id in ``[0, size)``.

    Taught in: lesson 1, section 1 (logits: a score for every possible next character); used in lessons 2–4.
    """

    chars: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        """All distinct characters of ``text``, sorted by code point."""
        if not text:
            raise ValueError("cannot build a vocabulary from an empty text")
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        """Number of distinct characters ``V``."""
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def _index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> NDArray[np.int64]:
        """Character ids of ``text``: int64 array of shape ``(len(text),)``.

        Raises ``ValueError`` naming the first unknown character and its position.
        """
        index = self._index
        ids = np.empty(len(text), dtype=np.int64)
        for pos, ch in enumerate(text):
            i = index.get(ch)
            if i is None:
                raise ValueError(
                    f"character {ch!r} at position {pos} of the text is not in the vocabulary "
                    f"({self.size} characters learned from the corpus). Remove or replace it; "
                    f"known characters are: {''.join(self.chars)!r}"
                )
            ids[pos] = i
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text for a sequence of character ids."""
        out = []
        for i in ids:
            j = int(i)
            if not 0 <= j < self.size:
                raise ValueError(f"id {j} is outside the vocabulary [0, {self.size})")
            out.append(self.chars[j])
        return "".join(out)


def train_val_split(data: Sequence, train_fraction: float = 0.9) -> tuple[Sequence, Sequence]:
    """The first ``train_fraction`` of ``data`` for training, the rest for validation.

    Works on strings and arrays alike; the split point is ``int(len(data) * train_fraction)``.

    Taught in: lesson 3's first cells (the training and validation text); used in lessons 4, 5, 5b and 6.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be between 0 and 1, got {train_fraction}")
    cut = int(len(data) * train_fraction)
    return data[:cut], data[cut:]


def next_char_counts(text: str, context: str, vocab: Vocabulary) -> NDArray[np.int64]:
    """How often each character follows ``context`` in ``text``: int64 array of shape ``(V,)``.

    Overlapping occurrences count (``"aa"`` occurs twice in ``"aaa"``).

    Taught in: lesson 1, section 1 (logits: a score for every possible next character).
    """
    if not context:
        raise ValueError("context must be at least one character")
    vocab.encode(context)  # clear error for characters the corpus never uses
    counts = np.zeros(vocab.size, dtype=np.int64)
    index = vocab._index
    start = text.find(context)
    while start != -1:
        nxt = start + len(context)
        if nxt < len(text):
            counts[index[text[nxt]]] += 1
        start = text.find(context, start + 1)
    return counts


def next_char_logits(
    text: str, context: str, vocab: Vocabulary, pseudocount: float = 0.5
) -> NDArray[np.float64]:
    """Logits for the character after ``context``: ``log(count + pseudocount)``, shape ``(V,)``.

    Log-counts are valid logits: ``softmax(log c) = c / sum(c)``, the corpus frequencies. The
    ``pseudocount`` gives characters never seen after ``context`` a small finite score instead of
    ``-inf``, as a trained model would.

    Taught in: lesson 1, section 1 (logits: a score for every possible next character); used in lesson 2.
    """
    if not pseudocount > 0:
        raise ValueError(f"pseudocount must be > 0 (it keeps every logit finite), got {pseudocount}")
    return np.log(next_char_counts(text, context, vocab) + pseudocount)


_LABELS = {" ": "␣", "\n": "\\n", "\t": "\\t"}


def printable(ch: str) -> str:
    """A visible label for a character in plots: ``'␣'`` for space, ``'\\n'`` for newline.

    Used in: lessons 1 and 2 (the characters' labels on the charts).
    """
    return _LABELS.get(ch, ch)


# ---------------------------------------------------------------------------------------------
# Peeperkorn et al. (ICCC 2024): the released human ratings (data/peeperkorn2024/, BSD 3-Clause)
# ---------------------------------------------------------------------------------------------

PEEPERKORN_DIR = Path(__file__).resolve().parent.parent / "data" / "peeperkorn2024"
PEEPERKORN_SHA256 = "898946faa1cd7706df4694f81f051e81f4b646a18264b2e7ac4a6d70e17a4edc"
PEEPERKORN_QUESTIONS = {  # each rated on a 1-5 scale; the survey's wording (supplementary materials)
    "novelty": "To what extent is the above story novel compared to the prototype story?",
    "typicality": "To what extent is the above story typical compared to the prototype story?",
    "cohesion": "To what extent is the above story consistent (e.g. sentences are connected and "
                "characters, events and actions are used appropriately)?",
    "difficulty": "To what extent is it easy or difficult to follow and understand the above story? "
                  "(higher = harder to follow; the file's column `coherence`)",
}


@dataclass(frozen=True)
class PeeperkornRatings:
    """The 180 human ratings of Peeperkorn et al. (ICCC 2024): one entry per (participant, story).

    Every field is a numpy array of shape ``(180,)``. ``temperature`` is the temperature the rated
    story was generated at (one of 0.001, 0.334, 0.667, 1.0, 1.334, 1.667, 2.0); ``participant``
    the rater's id (36 raters, 5 ratings each: the ratings are clustered by rater); ``story`` the
    story's id (31 stories, ``data/peeperkorn2024/survey_stories/<id>.txt``; ``"A7JT"`` is the
    T = 0.001 prototype). The four ratings are on 1-5 scales (:data:`PEEPERKORN_QUESTIONS`):
    ``novelty`` and ``typicality`` compared with the prototype story, ``cohesion``, and
    ``difficulty``, how hard the story is to follow (the file's ``coherence``: higher = less coherent).

    Taught in: lesson 5, section 5 (the same statistic on both sides).
    """

    temperature: NDArray[np.float64]
    participant: NDArray[np.int64]
    story: NDArray[np.str_]
    novelty: NDArray[np.float64]
    typicality: NDArray[np.float64]
    cohesion: NDArray[np.float64]
    difficulty: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.temperature.size)


def load_peeperkorn_ratings(path: str | os.PathLike[str] | None = None) -> PeeperkornRatings:
    """The released ratings of Peeperkorn et al., verified by SHA-256, as numpy arrays.

    Args:
        path: the CSV to read; by default the shipped copy,
            ``data/peeperkorn2024/survey_data_by_evaluation.csv`` (see that folder's README).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not the released one (its SHA-256 differs).

    Taught in: lesson 5, section 5 (the same statistic on both sides: their ratings and our samples).
    """
    import csv
    import io

    file = Path(path) if path is not None else PEEPERKORN_DIR / "survey_data_by_evaluation.csv"
    if not file.is_file():
        raise FileNotFoundError(
            f"no file at {file}: the ratings ship with the repository in data/peeperkorn2024/ "
            "(restore that folder, e.g. with git)."
        )
    raw = file.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != PEEPERKORN_SHA256:
        raise ValueError(
            f"{file} is not the ratings file Peeperkorn et al. released (SHA-256 {digest[:12]}…, "
            f"expected {PEEPERKORN_SHA256[:12]}…): restore data/peeperkorn2024/ from the repository."
        )
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))

    def column(name: str, dtype: type) -> np.ndarray:
        return np.array([dtype(row[name]) for row in rows])

    return PeeperkornRatings(
        temperature=column("temperature", float),
        participant=column("participant_id", int),
        story=column("story_id", str),
        novelty=column("novelty", float),
        typicality=column("typicality", float),
        cohesion=column("cohesion", float),
        difficulty=column("coherence", float),
    )
