"""helpers.data: finding, downloading and verifying the corpus; vocabulary and splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import data


def test_corpus_is_verified_tiny_shakespeare(corpus_text):
    assert len(corpus_text) == data.CORPUS_BYTES
    assert corpus_text.startswith("First Citizen:")


def test_explicit_path(corpus_file):
    assert len(data.load_corpus(corpus_file)) == data.CORPUS_BYTES


def test_env_var_is_used(monkeypatch, corpus_file, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(corpus_file))
    text = data.load_corpus(url="http://127.0.0.1:9/never-used", cache=tmp_path / "none.txt")
    assert len(text) == data.CORPUS_BYTES
    assert not (tmp_path / "none.txt").exists()


def test_missing_path_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file there"):
        data.load_corpus(tmp_path / "nope.txt")


def test_env_var_naming_a_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nope.txt"))
    with pytest.raises(FileNotFoundError, match=data.ENV_VAR):
        data.load_corpus()


def test_corrupt_copy_is_refused(tmp_path, corpus_text):
    bad = tmp_path / "input.txt"
    bad.write_text(corpus_text.replace("Citizen", "Citizan", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="SHA-256.*Replace it"):
        data.load_corpus(bad)


def test_truncated_copy_is_refused(tmp_path, corpus_text):
    bad = tmp_path / "input.txt"
    bad.write_text(corpus_text[:1000], encoding="utf-8")
    with pytest.raises(ValueError, match="1,000 bytes"):
        data.load_corpus(bad)


def test_download_then_cache(monkeypatch, tmp_path, corpus_file, copy_of):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    source = copy_of(corpus_file, "served.txt")
    cache = tmp_path / "cache" / "input.txt"
    assert len(data.load_corpus(url=source.as_uri(), cache=cache)) == data.CORPUS_BYTES
    assert cache.is_file()
    source.unlink()  # the second call must not need the source any more
    assert len(data.load_corpus(url=source.as_uri(), cache=cache)) == data.CORPUS_BYTES


def test_download_of_wrong_file_is_refused_and_not_cached(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    source = tmp_path / "served.txt"
    source.write_text("not shakespeare", encoding="utf-8")
    cache = tmp_path / "cache" / "input.txt"
    with pytest.raises(ValueError, match="not the Tiny Shakespeare corpus"):
        data.load_corpus(url=source.as_uri(), cache=cache)
    assert not cache.exists()


def test_offline_without_copy_names_both_ways_out(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    with pytest.raises(data.CorpusUnavailableError) as info:
        data.load_corpus(url="http://127.0.0.1:9/input.txt", cache=tmp_path / "input.txt", timeout_s=2)
    message = str(info.value)
    assert data.ENV_VAR in message and "internet" in message
    assert str(tmp_path / "input.txt") in message and message.count("no restart needed") == 2
    assert "%env" in message and "restarted" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__, "no chained network traceback"


def test_offline_message_is_what_a_student_sees_first(monkeypatch, tmp_path):
    """In Jupyter (IPython), the error shows its message and ways out alone: no urllib traceback."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    shell = InteractiveShell.instance()
    shell.user_ns.update(data=data, cache=tmp_path / "input.txt")
    with capture_output() as shown:
        shell.run_cell("data.load_corpus(url='http://127.0.0.1:9/input.txt', cache=cache, timeout_s=2)")
    lines = [line for line in shown.stdout.splitlines() if line.strip()]
    assert "CorpusUnavailableError" in lines[0] and "Tiny Shakespeare" in lines[0], shown.stdout
    assert len(lines) <= 12 and "Traceback" not in shown.stdout and "urllib" not in shown.stdout, shown.stdout


def test_corrupt_cache_says_to_delete_it(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    cache = tmp_path / "input.txt"
    cache.write_text("half a file", encoding="utf-8")
    with pytest.raises(ValueError, match="Delete"):
        data.load_corpus(cache=cache)


def test_corpus_is_not_in_the_repository():
    root = Path(__file__).resolve().parent.parent
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout
    assert "tinyshakespeare/input.txt" not in tracked


# --- vocabulary --------------------------------------------------------------------------------

def test_vocabulary_of_corpus(corpus_text):
    vocab = data.Vocabulary.from_text(corpus_text)
    assert vocab.size == 65 and vocab.chars[0] == "\n" and vocab.chars[1] == " "
    ids = vocab.encode(corpus_text[:1000])
    assert ids.dtype == np.int64 and vocab.decode(ids) == corpus_text[:1000]


@given(st.text(alphabet="abcdef \n!", min_size=1, max_size=200))
def test_encode_decode_round_trip(text):
    vocab = data.Vocabulary.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text


def test_unknown_character_is_named_with_position():
    vocab = data.Vocabulary.from_text("hello world")
    with pytest.raises(ValueError, match=r"'Z' at position 3"):
        vocab.encode("helZo")


def test_decode_rejects_out_of_range():
    with pytest.raises(ValueError, match="outside the vocabulary"):
        data.Vocabulary.from_text("ab").decode([0, 2])


def test_train_val_split_is_first_90_last_10(corpus_text):
    train, val = data.train_val_split(corpus_text)
    assert len(train) == int(0.9 * len(corpus_text)) and train + val == corpus_text
    with pytest.raises(ValueError):
        data.train_val_split(corpus_text, 1.0)


def test_next_char_counts_counts_overlaps():
    vocab = data.Vocabulary.from_text("aaab")
    np.testing.assert_array_equal(data.next_char_counts("aaab", "aa", vocab), [1, 1])


def test_next_char_logits_give_corpus_frequencies(corpus_text):
    vocab = data.Vocabulary.from_text(corpus_text)
    counts = data.next_char_counts(corpus_text, "th", vocab)
    assert counts.sum() == corpus_text.count("th")  # "th" cannot overlap itself
    logits = data.next_char_logits(corpus_text, "th", vocab, pseudocount=0.5)
    p = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(p, (counts + 0.5) / (counts + 0.5).sum())
    with pytest.raises(ValueError, match="not in the vocabulary"):
        data.next_char_counts(corpus_text, "th%", vocab)


def test_printable_labels():
    assert data.printable(" ") == "␣" and data.printable("\n") == "\\n" and data.printable("a") == "a"


def test_peeperkorn_ratings_are_the_released_file():
    ratings = data.load_peeperkorn_ratings()
    assert len(ratings) == 180
    assert len(set(ratings.participant.tolist())) == 36 and len(set(ratings.story.tolist())) == 31
    assert sorted(set(ratings.temperature.tolist())) == [0.001, 0.334, 0.667, 1.0, 1.334, 1.667, 2.0]
    for name in data.PEEPERKORN_QUESTIONS:  # every rating on the survey's 1-5 scale
        values = getattr(ratings, name)
        assert values.shape == (180,) and values.min() >= 1 and values.max() <= 5
    assert set(ratings.story[ratings.temperature == 0.001].tolist()) == {"A7JT"}  # the prototype
    stories = data.PEEPERKORN_DIR / "survey_stories"
    assert all((stories / f"{story}.txt").is_file() for story in set(ratings.story.tolist()))
    assert (data.PEEPERKORN_DIR / "LICENCE").read_text().startswith("BSD 3-Clause License")


def test_peeperkorn_ratings_refuse_another_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="data/peeperkorn2024"):
        data.load_peeperkorn_ratings(tmp_path / "none.csv")
    changed = tmp_path / "ratings.csv"
    changed.write_bytes((data.PEEPERKORN_DIR / "survey_data_by_evaluation.csv").read_bytes().replace(b"5.0", b"4.0", 1))
    with pytest.raises(ValueError, match="not the ratings file"):
        data.load_peeperkorn_ratings(changed)
