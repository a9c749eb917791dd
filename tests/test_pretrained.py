"""The shipped checkpoint: small, safe to load, and as good as data/README.md says."""

from __future__ import annotations

import math
import re

import numpy as np
import torch
import pytest

from helpers import char_lstm, data, lstm_numpy, sampling, softmax

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
    model = char_lstm.load_pretrained()
    assert isinstance(model, char_lstm.CharLSTM) and not model.training
    assert model.vocab == data.Vocabulary.from_text(corpus_text)
    model, vocab = char_lstm.load_pretrained()  # also unpacks, for convenience
    assert vocab == model.vocab
    text = char_lstm.sample(model, "ROMEO:\n", 50, 0.5, seed=0)
    assert len(text) == 50 and set(text) <= set(vocab.chars)


@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0, 1.6])
def test_fast_sampler_gives_the_reference_text(pretrained, temperature):
    model, vocab, _ = pretrained
    fast = char_lstm.FastSampler(model)
    cached = fast.prompt_state("ROMEO:\n")
    for seed in (0, 1):
        ref_text, ref_probs = char_lstm.sample(model, "ROMEO:\n", 200, temperature, seed=seed, return_probs=True)
        for prompt in ("ROMEO:\n", cached):
            text, probs = fast.sample(prompt, 200, temperature, seed=seed)
            assert text == ref_text
            np.testing.assert_allclose(probs, ref_probs, atol=1e-4)


def test_the_numpy_sampler_is_built_from_plain_arrays(pretrained):
    """helpers.lstm_numpy needs no torch: the weights come in as numpy arrays (issue 18)."""
    model, vocab, _ = pretrained
    assert char_lstm.FastSampler is lstm_numpy.FastSampler  # re-exported, the same class
    arrays = model.numpy_weights()
    assert all(type(a) is np.ndarray and a.dtype == np.float32 for a in arrays.values())
    from_arrays = lstm_numpy.FastSampler.from_arrays(vocab, arrays)
    a = from_arrays.continuation("ROMEO:\n", 100, 0.9, seed=2)
    b = char_lstm.FastSampler(model).continuation("ROMEO:\n", 100, 0.9, seed=2)
    assert a.text == b.text
    np.testing.assert_array_equal(a.logits, b.logits)
    # the sampler's probabilities are helpers.softmax's, exactly (no softmax of its own)
    np.testing.assert_array_equal(a.probs, np.exp(softmax.log_softmax(a.logits)[np.arange(100), a.ids]))
    arrays["head.bias"][:] = 0  # the arrays are copies: the model is untouched
    assert model.head.bias.abs().sum() > 0
    with pytest.raises(ValueError, match="do not fit"):
        lstm_numpy.FastSampler.from_arrays(data.Vocabulary(("a", "b")), model.numpy_weights())


def test_fast_sampler_rejects_bad_input(pretrained):
    fast = char_lstm.FastSampler(pretrained[0])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        fast.sample("ROMEO §", 5, 1.0, seed=0)
    with pytest.raises(ValueError, match="temperature"):
        fast.sample("ROMEO:", 5, -1.0, seed=0)


def test_sample_many_equals_one_sample_per_row(pretrained):
    model = pretrained[0]
    temperatures = [0.0, 0.2, 0.5, 0.8, 1.0, 1.3, 2.0, float("inf")]
    texts, probs = char_lstm.sample_many(model, "JULIET:\n", 120, temperatures, seed=4)
    assert probs.shape == (8, 120)
    for text, row, t in zip(texts, probs, temperatures):
        ref_text, ref_probs = char_lstm.sample(model, "JULIET:\n", 120, t, seed=4, return_probs=True)
        assert text == ref_text
        np.testing.assert_allclose(row, ref_probs, atol=1e-4)
    # one seed per row: rows with the same (T, seed) agree, different seeds differ
    texts, _ = char_lstm.sample_many(model, "JULIET:\n", 80, [1.0, 1.0, 1.0], seed=[0, 1, 0])
    assert texts[0] == texts[2] != texts[1]
    assert texts[1] == char_lstm.sample(model, "JULIET:\n", 80, 1.0, seed=1)
    with pytest.raises(ValueError, match="one seed, or one per temperature"):
        char_lstm.sample_many(model, "JULIET:\n", 10, [1.0, 2.0], seed=[0, 1, 2])
    with pytest.raises(ValueError, match="temperature"):
        char_lstm.sample_many(model, "JULIET:\n", 10, [1.0, -2.0], seed=0)


def test_shared_noise_texts_share_a_prefix_at_nearby_temperatures(pretrained):
    model = pretrained[0]
    texts, _ = char_lstm.sample_many(model, "ROMEO:\n", 300, [0.80, 0.82, 1.5], seed=0)
    common = next((i for i, (a, b) in enumerate(zip(texts[0], texts[1])) if a != b), 300)
    assert common >= 20  # nearby temperatures: the same text until one choice flips
    assert texts[0][:20] != texts[2][:20]


def test_continuation_reuses_the_prefix_and_gives_the_reference_text(pretrained):
    model = pretrained[0]
    fast = char_lstm.FastSampler(model)
    state = fast.prompt_state("KING HENRY:\n")
    previous = None
    moves = [1.0, 0.95, 0.9, 0.0, 0.01, 0.5, 2.0, 3.0, 1.0]
    reused_somewhere = False
    for t in moves:
        result = fast.continuation(state, 150, t, seed=7, previous=previous)
        assert result.text == char_lstm.sample(model, "KING HENRY:\n", 150, t, seed=7)
        fresh = fast.continuation(state, 150, t, seed=7)
        np.testing.assert_array_equal(result.logits, fresh.logits)
        np.testing.assert_array_equal(result.probs, fresh.probs)
        reused_somewhere |= previous is not None and result.recomputed < 150
        previous = result
    assert reused_somewhere
    # a different seed, prompt or length must not reuse steps wrongly
    other = fast.continuation(state, 150, 1.0, seed=8, previous=previous)
    assert other.recomputed == 150 and other.text == char_lstm.sample(model, "KING HENRY:\n", 150, 1.0, seed=8)
    longer = fast.continuation(state, 200, 1.0, seed=8, previous=other)
    assert longer.text == char_lstm.sample(model, "KING HENRY:\n", 200, 1.0, seed=8)
    moved = fast.continuation(fast.prompt_state("QUEEN:\n"), 150, 1.0, seed=8, previous=longer)
    assert moved.recomputed == 150 and moved.text == char_lstm.sample(model, "QUEEN:\n", 150, 1.0, seed=8)
    assert fast.continuation(state, 0, 1.0, seed=0).text == ""
    with pytest.raises(ValueError, match="length"):
        fast.continuation(state, -3, 1.0, seed=0)


def test_gate_values_match_torch_and_sensitivity_fades(pretrained, corpus_text):
    model = pretrained[0]
    passage = corpus_text[-400:]
    gates = char_lstm.gate_values(model, passage[:50])
    assert set(gates) == {"input", "forget", "cell", "output"}
    assert gates["forget"].shape == (50, model.config.layers, model.config.hidden)
    assert gates["forget"].min() >= 0 and gates["forget"].max() <= 1 and gates["cell"].min() >= -1
    assert 0.05 < gates["forget"].mean() < 0.95  # real gates: neither all open nor all shut
    # the gates reproduce torch's hidden state: h = o * tanh(c), c = f * c + i * g
    c = np.zeros((model.config.layers, model.config.hidden), np.float32)
    for t in range(50):
        c = gates["forget"][t] * c + gates["input"][t] * gates["cell"][t]
    h = gates["output"][-1] * np.tanh(c)
    with torch.no_grad():
        _, (h_t, _) = model.lstm(model.embed(torch.from_numpy(model.vocab.encode(passage[:50]))[None]))
    np.testing.assert_allclose(h, h_t[:, 0].numpy(), atol=1e-4)
    sens = char_lstm.input_sensitivity(model, passage)
    assert sens.shape == (399,)
    assert sens[:5].mean() > 100 * sens[-50:].mean()  # recent characters matter far more
    assert sens[50] > 0  # but the gradient reaches 50 characters back


KNOBS = [
    dict(top_k=5),
    dict(top_p=0.8),
    dict(min_p=0.2, temperature_last=True),
    dict(top_k=10, top_p=0.9, min_p=0.05),
]


@pytest.mark.parametrize("knobs", KNOBS, ids=lambda k: sampling.Truncation(**k).describe())
def test_every_sampler_truncates_alike(pretrained, knobs):
    model = pretrained[0]
    fast = char_lstm.FastSampler(model)
    truncation = sampling.Truncation(**knobs)
    temperatures = [0.0, 0.7, 1.5, math.inf]
    batch, _ = char_lstm.sample_many(model, "ROMEO:\n", 120, temperatures, seed=3, **knobs)
    for t, row in zip(temperatures, batch):
        reference = char_lstm.sample(model, "ROMEO:\n", 120, t, seed=3, **knobs)
        assert reference == row == fast.sample("ROMEO:\n", 120, t, 3, truncation)[0]
        # every choice survives the truncation of its own step
        result = fast.continuation("ROMEO:\n", 120, t, 3, truncation=truncation)
        keep = truncation.mask(result.logits.astype(np.float64), t)
        assert keep[np.arange(120), result.ids].all()
    # without the knobs, T = inf (uniform) gives a different text than with them
    assert char_lstm.sample(model, "ROMEO:\n", 120, math.inf, seed=3) != batch[-1]


def test_continuation_reuse_follows_knob_changes(pretrained):
    model = pretrained[0]
    fast = char_lstm.FastSampler(model)
    state = fast.prompt_state("KING HENRY:\n")
    previous = None
    for t, knobs in [(1.0, {}), (1.0, dict(top_p=0.9)), (1.2, dict(top_p=0.9)), (1.2, dict(top_k=3)),
                     (1.2, dict(min_p=0.1, temperature_last=True)), (1.2, {})]:
        truncation = sampling.Truncation(**knobs)
        result = fast.continuation(state, 150, t, seed=7, previous=previous, truncation=truncation)
        assert result.text == char_lstm.sample(model, "KING HENRY:\n", 150, t, seed=7, **knobs)
        assert result.truncation == truncation
        previous = result


def test_sampler_rejects_bad_knobs(pretrained):
    model = pretrained[0]
    with pytest.raises(ValueError, match="top_k"):
        char_lstm.sample(model, "A", 5, 1.0, seed=0, top_k=0)
    with pytest.raises(ValueError, match="nearly greedy"):
        char_lstm.sample_many(model, "A", 5, [1.0], seed=0, min_p=0.95 + 0.05)


def test_sweep_rows_are_the_reference_samples(pretrained):
    model = pretrained[0]
    truncation = sampling.Truncation(min_p=0.1, temperature_last=True)
    sweep = char_lstm.sweep(model, ["ROMEO:\n", "QUEEN:\n"], 60, [0.5, 2.0], [1, 2], truncation)
    assert len(sweep.texts) == 8 and sweep.temperature.tolist() == [0.5, 0.5, 2.0, 2.0] * 2
    assert sweep.seed.tolist() == [1, 2, 1, 2] * 2 and sweep.prompt[3:5] == ["ROMEO:\n", "QUEEN:\n"]
    i = 6  # QUEEN, T = 2, seed 1
    text, probs = char_lstm.sample(model, "QUEEN:\n", 60, 2.0, seed=1, return_probs=True, min_p=0.1, temperature_last=True)
    assert sweep.texts[i] == text
    assert sweep.surprise[i] == pytest.approx(np.mean(-np.log(probs)), rel=1e-4)


def test_continuation_logits_are_the_ones_the_sampler_used(pretrained):
    model, _, _ = pretrained
    texts, probs = char_lstm.sample_many(model, "ROMEO:\n", 120, [0.9], seed=[4])
    logits, ids = char_lstm.continuation_logits(model, "ROMEO:\n", texts[0])
    assert logits.shape == (120, model.vocab_size) and logits.dtype == np.float64
    assert model.vocab.decode(ids) == texts[0]
    z = logits - logits.max(axis=1, keepdims=True)
    own = np.exp(z[np.arange(120), ids]) / np.exp(z).sum(axis=1)
    np.testing.assert_allclose(own, probs[0], rtol=1e-4)  # the sampler's T = 1 probabilities
    with pytest.raises(ValueError, match="prompt"):
        char_lstm.continuation_logits(model, "", "abc")


def test_a_sample_gives_back_its_temperature(pretrained):
    """The capstone's premise: the maximum-likelihood T of a sample is near the T it was drawn at."""
    from helpers import metrics

    model, _, _ = pretrained
    for t in (0.5, 1.0, 1.5):
        texts, _ = char_lstm.sample_many(model, "JULIET:\n", 600, [t], seed=[11])
        logits, ids = char_lstm.continuation_logits(model, "JULIET:\n", texts[0])
        estimate, _ = metrics.fit_temperature(logits, ids, bounds=(0.05, 10))
        assert abs(estimate - t) <= 3 * metrics.temperature_standard_error(logits, t)
