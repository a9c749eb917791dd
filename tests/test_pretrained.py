"""The shipped checkpoint: small, safe to load, and as good as data/README.md says."""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers import char_lstm, data

README = char_lstm.DEFAULT_CHECKPOINT.parent / "README.md"


@pytest.fixture(scope="module")
def pretrained():
    return char_lstm.load_checkpoint(char_lstm.DEFAULT_CHECKPOINT)


def test_checkpoint_is_small():
    assert char_lstm.DEFAULT_CHECKPOINT.stat().st_size < 5_000_000


def test_recorded_validation_loss_is_recomputed(pretrained, corpus_text):
    model, vocab, meta = pretrained
    assert meta["corpus_sha256"] == data.CORPUS_SHA256
    _, val = data.train_val_split(vocab.encode(corpus_text))
    loss = char_lstm.validation_loss(model, val)
    assert loss == pytest.approx(meta["val_loss"], abs=0.002)
    assert loss <= 1.50  # the goal for the shipped model, in nats per character
    recorded = re.search(r"validation loss \*\*(\d\.\d{3}) nats/char\*\*", README.read_text())
    assert recorded, "data/README.md must state the validation loss"
    assert float(recorded.group(1)) == pytest.approx(meta["val_loss"], abs=0.0005)


def test_load_pretrained_gives_model_and_vocabulary(pretrained, corpus_text):
    model, vocab = char_lstm.load_pretrained()
    assert vocab == data.Vocabulary.from_text(corpus_text)
    text = char_lstm.sample(model, vocab, "ROMEO:\n", 50, 0.5, seed=0)
    assert len(text) == 50 and set(text) <= set(vocab.chars)


@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0, 1.6])
def test_fast_sampler_gives_the_reference_text(pretrained, temperature):
    model, vocab, _ = pretrained
    fast = char_lstm.FastSampler(model, vocab)
    cached = fast.prompt_state("ROMEO:\n")
    for seed in (0, 1):
        ref_text, ref_probs = char_lstm.sample(model, vocab, "ROMEO:\n", 200, temperature, seed=seed, return_probs=True)
        for prompt in ("ROMEO:\n", cached):
            text, probs = fast.sample(prompt, 200, temperature, seed=seed)
            assert text == ref_text
            np.testing.assert_allclose(probs, ref_probs, atol=1e-4)


def test_fast_sampler_rejects_bad_input(pretrained):
    fast = char_lstm.FastSampler(*pretrained[:2])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        fast.sample("ROMEO §", 5, 1.0)
    with pytest.raises(ValueError, match="temperature"):
        fast.sample("ROMEO:", 5, -1.0)
