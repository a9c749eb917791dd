"""A byte-level BPE tokenizer for Tiny Shakespeare, made with Hugging Face ``tokenizers``.

What a token is here: a piece of text (a letter, a word piece, a whole word with the space before
it, a run of newlines) with an integer id in ``[0, V)``, ``V`` about 1,024. The tokenizer is the one
GPT-2 uses, trained on our text:

1. **Bytes.** The text is read as UTF-8 bytes; each of the 256 byte values is a token of its own, so
   *any* text can be encoded (there is no "unknown character"). Tiny Shakespeare is ASCII: one
   character is one byte.
2. **Pre-tokenization.** GPT-2's regular expression cuts the text into words before any merging: a
   word keeps the space in front of it (``" king"``), punctuation and digits go apart, and runs of
   spaces and newlines are pieces of their own. No token crosses a word boundary.
3. **Byte-pair encoding (BPE).** Training starts from the 256 bytes and repeatedly *merges* the
   pair of adjacent tokens that occurs most often in the training text into a new token
   (``"t" + "h"`` → ``"th"``, then ``"th" + "e"`` → ``"the"``, ...), until the vocabulary has
   ``vocab_size`` tokens. Encoding a new text replays those merges in the order they were learned.

Trained on the **training split only** (the first 90 % of the characters, ``data.train_val_split``,
the split of lesson 4's LSTM), so that the validation text (the last 10 %) is new to the tokenizer
as it is to the model. One special token, ``<|endoftext|>`` (id ``V - 1``), is the model's
beginning/end marker; only that very string in a text encodes to it (Tiny Shakespeare has none).

The trained tokenizer is a :class:`transformers.PreTrainedTokenizerFast`: the class every Hugging
Face model's tokenizer loads as. It is saved to and loaded from a **local folder** only (files
``tokenizer.json`` and ``tokenizer_config.json``), never from a hub.

Functions: :func:`train_tokenizer`, :func:`save_tokenizer`, :func:`load_tokenizer`,
:func:`encode` (a whole text to ids, no special tokens), :func:`chars_per_token`,
:func:`token_pieces` (the text of each token, for showing them).

Taught in: lesson 7 (from characters to tokens).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one thread outside the heavy helpers (helpers.threads)

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

from . import data  # noqa: E402

__all__ = [
    "VOCAB_SIZE",
    "END_OF_TEXT",
    "TokenizerFolderError",
    "train_tokenizer",
    "save_tokenizer",
    "load_tokenizer",
    "encode",
    "decode",
    "chars_per_token",
    "token_pieces",
]

VOCAB_SIZE = 1024  # tokens, the 256 bytes and the special token included
END_OF_TEXT = "<|endoftext|>"  # GPT-2's marker of a document's start and end


class TokenizerFolderError(ValueError):
    """A tokenizer folder that is missing, incomplete or unreadable (the message says what to do).

    Used by: :func:`load_tokenizer` and :func:`helpers.gpt.load`.
    """


def train_tokenizer(text: str, vocab_size: int = VOCAB_SIZE, train_fraction: float = 0.9) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on the training split of ``text``.

    Args:
        text: the whole corpus (e.g. ``data.load_corpus()``); only its first ``train_fraction`` of
            characters, ``data.train_val_split(text, train_fraction)[0]``, is read: the validation
            split stays unseen.
        vocab_size: tokens in the vocabulary, the 256 single bytes and :data:`END_OF_TEXT`
            included, so ``vocab_size - 257`` merges are learned. At least 258.
        train_fraction: the split point, as in :func:`helpers.data.train_val_split`.

    Returns a :class:`~transformers.PreTrainedTokenizerFast` with ``bos_token`` and ``eos_token``
    both :data:`END_OF_TEXT` (id ``vocab_size - 1``). The same text gives the same tokenizer
    (the library's training is deterministic). About 1 s on the corpus.

    Taught in: lesson 7 (the merge idea in a few lines, then the library).
    """
    if not 258 <= vocab_size <= 65_536:
        raise ValueError(f"vocab_size must be between 258 (the 256 bytes, one merge, the special token) "
                         f"and 65,536, got {vocab_size}")
    train_text, _ = data.train_val_split(text, train_fraction)
    if not train_text:
        raise ValueError("the training split is empty: give a longer text")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)  # GPT-2's regex, then bytes
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - 1,  # the special token is added after the merges: it gets the last id
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, seen in the text or not
        show_progress=False,
    )
    backend.train_from_iterator([train_text], trainer=trainer)
    backend.add_special_tokens([END_OF_TEXT])
    return _wrap(backend)


def _wrap(backend: Tokenizer) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=END_OF_TEXT,
        eos_token=END_OF_TEXT,
        clean_up_tokenization_spaces=False,  # decode(encode(text)) == text, spaces before punctuation kept
    )


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, folder: str | os.PathLike[str]) -> Path:
    """Write ``tokenizer`` into ``folder`` (created if needed) with ``save_pretrained``; returns it.

    Used by: :func:`helpers.gpt.save` (the tokenizer ships beside the model, in one folder).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(folder)
    return folder


def load_tokenizer(folder: str | os.PathLike[str]) -> PreTrainedTokenizerFast:
    """The tokenizer saved in ``folder``: ``PreTrainedTokenizerFast.from_pretrained(folder,
    local_files_only=True)`` (nothing is downloaded).

    Raises :class:`TokenizerFolderError` naming the folder and what to do if it or its
    ``tokenizer.json`` is missing or unreadable.

    Taught in: lesson 7 (loading the shipped model and its tokenizer).
    """
    folder = Path(folder)
    if not (folder / "tokenizer.json").is_file():
        raise TokenizerFolderError(
            f"no tokenizer in {folder} (tokenizer.json is missing). The course ships one in "
            "data/gpt_tokens/; restore it with `git checkout data/gpt_tokens`, or train a model and "
            "its tokenizer: python -m helpers.gpt train --out data/gpt_tokens"
        )
    try:
        return PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    except Exception as err:  # truncated JSON, a file of another kind, ...
        raise TokenizerFolderError(
            f"the tokenizer in {folder} could not be read ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200] if str(err) else ''}). It may be truncated or corrupt: restore "
            "the folder with `git checkout data/gpt_tokens` or train it again."
        ) from err


def encode(tokenizer: PreTrainedTokenizerFast, text: str) -> NDArray[np.int64]:
    """The token ids of ``text``, shape ``(n_tokens,)`` int64: the whole text at once, no special
    tokens added, no length limit (the tokenizer's own ``tokenizer(text)`` warns past the model's
    context length).

    Taught in: lesson 7 (the same text in characters and in tokens).
    """
    return np.array(tokenizer.backend_tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)


def decode(tokenizer: PreTrainedTokenizerFast, ids) -> str:
    """The text of a sequence of token ids (the inverse of :func:`encode`: ``decode(encode(t)) == t``).

    Used in: lesson 7.
    """
    return tokenizer.decode([int(i) for i in ids], skip_special_tokens=False, clean_up_tokenization_spaces=False)


def chars_per_token(tokenizer: PreTrainedTokenizerFast, text: str) -> float:
    """Characters of ``text`` per token: ``len(text) / len(encode(tokenizer, text))``.

    About 2.4 on Tiny Shakespeare's validation split with the 1,024-token vocabulary; 1.0 would be
    one token per character, as for lesson 4's LSTM.

    Taught in: lesson 7 (why a token model's loss per token is not its loss per character).
    """
    if not text:
        raise ValueError("the text is empty")
    return len(text) / len(encode(tokenizer, text))


def token_pieces(tokenizer: PreTrainedTokenizerFast, ids) -> list[str]:
    """The text of each token of ``ids``, one string per token (``" king"``, ``"\\n\\n"``, ``"ing"``).

    Each token is decoded on its own (byte-level: a character of several bytes split across tokens
    would show as ``"�"`` pieces; Tiny Shakespeare has none). ``"".join(...)`` is the decoded text.

    Taught in: lesson 7 (what temperature now chooses between).
    """
    return [decode(tokenizer, [i]) for i in ids]
