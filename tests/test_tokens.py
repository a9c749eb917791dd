"""helpers.tokens: the byte-level BPE tokenizer (trained on the training split only), its exact
round trip, its folder (save, load, clear errors) and characters per token."""

from __future__ import annotations

import json

import pytest
from transformers import PreTrainedTokenizerFast

from helpers import data, tokens

SMALL_VOCAB = 300  # 256 bytes, 43 merges, the special token


@pytest.fixture(scope="module")
def small(corpus_text):
    """A small tokenizer trained on the first 50,000 characters (so on their first 45,000)."""
    text = corpus_text[:50_000]
    return tokens.train_tokenizer(text, SMALL_VOCAB), text


def test_round_trip_is_exact_on_the_corpus_slice(small):
    tokenizer, text = small
    for part in data.train_val_split(text):
        ids = tokens.encode(tokenizer, part)
        assert ids.dtype.kind == "i" and ids.ndim == 1
        assert tokens.decode(tokenizer, ids) == part
        assert "".join(tokens.token_pieces(tokenizer, ids)) == part
    snippet = text[:2000]  # the library's own calls give the same ids and the same text back
    assert tokenizer(snippet)["input_ids"] == tokens.encode(tokenizer, snippet).tolist()
    assert tokenizer.decode(tokenizer(snippet)["input_ids"]) == snippet


def test_any_text_encodes_byte_level(small):
    tokenizer, _ = small
    text = "naïve café — 東京 🙂\t\r\n  x"
    ids = tokens.encode(tokenizer, text)
    assert tokens.decode(tokenizer, ids) == text and tokenizer.unk_token_id is None


def test_vocabulary_size_bytes_and_special_token(small):
    tokenizer, _ = small
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    assert len(tokenizer) == SMALL_VOCAB
    assert tokenizer.eos_token == tokenizer.bos_token == tokens.END_OF_TEXT
    assert tokenizer.eos_token_id == SMALL_VOCAB - 1
    assert SMALL_VOCAB - 1 not in tokens.encode(tokenizer, "ROMEO:\nBut soft, what light")
    with pytest.raises(ValueError, match="vocab_size"):
        tokens.train_tokenizer("abc" * 100, vocab_size=100)


def test_tokenizer_is_trained_on_the_training_split_only(corpus_text):
    train_part = corpus_text[:9_000]
    unseen = " zyxwv" * 166 + "zyxw"  # 1,000 characters, never in Shakespeare's first lines
    assert len(unseen) * 9 == len(train_part) and "zyx" not in train_part

    def learned(tokenizer):
        return {tokens.decode(tokenizer, [i]) for i in range(len(tokenizer) - 1)}

    vocab = learned(tokens.train_tokenizer(train_part + unseen, SMALL_VOCAB))
    assert not any("zy" in piece or "yx" in piece or "xw" in piece for piece in vocab)
    # the control: the same text with the pattern inside the training split does learn it
    control = learned(tokens.train_tokenizer(unseen + train_part, SMALL_VOCAB))
    assert any("zyx" in piece for piece in control)


def test_training_is_deterministic(small):
    tokenizer, text = small
    again = tokens.train_tokenizer(text, SMALL_VOCAB)
    assert again.backend_tokenizer.to_str() == tokenizer.backend_tokenizer.to_str()


def test_chars_per_token(small):
    tokenizer, text = small
    part = text[:5_000]
    assert tokens.chars_per_token(tokenizer, part) == len(part) / len(tokens.encode(tokenizer, part))
    assert 1.0 < tokens.chars_per_token(tokenizer, part) < 3.0
    with pytest.raises(ValueError, match="empty"):
        tokens.chars_per_token(tokenizer, "")


def test_save_and_load_from_a_local_folder(small, tmp_path):
    tokenizer, text = small
    folder = tokens.save_tokenizer(tokenizer, tmp_path / "tok")
    assert (folder / "tokenizer.json").is_file()
    loaded = tokens.load_tokenizer(folder)
    assert isinstance(loaded, PreTrainedTokenizerFast) and len(loaded) == SMALL_VOCAB
    assert (tokens.encode(loaded, text) == tokens.encode(tokenizer, text)).all()
    assert loaded.eos_token == tokens.END_OF_TEXT


def test_missing_folder_says_how_to_get_one(tmp_path):
    with pytest.raises(tokens.TokenizerFolderError, match="no tokenizer in .*python -m helpers.gpt train"):
        tokens.load_tokenizer(tmp_path / "nothing")


def test_corrupt_tokenizer_file_is_refused(small, tmp_path):
    folder = tokens.save_tokenizer(small[0], tmp_path / "tok")
    raw = (folder / "tokenizer.json").read_text()
    json.loads(raw)
    (folder / "tokenizer.json").write_text(raw[: len(raw) // 2])
    with pytest.raises(tokens.TokenizerFolderError, match="truncated or corrupt"):
        tokens.load_tokenizer(folder)
