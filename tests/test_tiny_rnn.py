"""helpers.tiny_rnn: backpropagation checked numerically, batched == loop, training, sampling, files."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import data
from helpers import tiny_rnn as rnn

V, H, L = 7, 5, 6


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    params = rnn.init_params(V, H, seed=0, scale=0.3)
    for name in ("bh", "by"):  # non-zero biases so their gradients are exercised
        params[name] = rng.normal(0, 0.3, params[name].shape)
    inputs = rng.integers(0, V, (3, L))
    targets = rng.integers(0, V, (3, L))
    h0 = rng.normal(0, 0.5, (3, H))
    return params, inputs, targets, h0


def test_shapes(small):
    params, inputs, targets, h0 = small
    hs, logits = rnn.forward(params, inputs, h0)
    assert hs.shape == (3, L + 1, H) and logits.shape == (3, L, V)
    loss, grads, h_last = rnn.loss_and_grads(params, inputs, targets, h0)
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in params.items()}
    assert h_last.shape == (3, H) and loss > 0


def test_gradient_check_passes(small):
    assert rnn.gradient_check(*small, n_checks=15) < 1e-7


def test_gradient_check_catches_a_broken_backward_pass(small):
    def broken(params, inputs, targets, h0):
        loss, grads, h = rnn.loss_and_grads(params, inputs, targets, h0)
        grads["Whh"] = grads["Whh"].T  # a classic mistake: the transpose
        return loss, grads, h

    assert rnn.gradient_check(*small, n_checks=15, grad_fn=broken) > 1e-3


def test_batched_equals_min_char_rnn_loop_at_batch_one(small):
    params, inputs, targets, h0 = small
    for b in range(3):
        loss, grads, h_last = rnn.loss_and_grads(params, inputs[b : b + 1], targets[b : b + 1], h0[b : b + 1])
        loss_ref, grads_ref, h_ref = rnn.loop_loss_and_grads(params, list(inputs[b]), list(targets[b]), h0[b])
        assert loss == pytest.approx(loss_ref, rel=1e-12)
        np.testing.assert_allclose(h_last[0], h_ref, atol=1e-12)
        for name in rnn.PARAM_NAMES:
            np.testing.assert_allclose(grads[name], grads_ref[name], atol=1e-12)


def test_batch_gradient_is_mean_of_per_sequence_gradients(small):
    params, inputs, targets, h0 = small
    _, grads, _ = rnn.loss_and_grads(params, inputs, targets, h0)
    singles = [rnn.loss_and_grads(params, inputs[b : b + 1], targets[b : b + 1], h0[b : b + 1])[1] for b in range(3)]
    for name in rnn.PARAM_NAMES:
        np.testing.assert_allclose(grads[name], np.mean([g[name] for g in singles], axis=0), atol=1e-12)


def test_training_reduces_loss_deterministically(corpus_text):
    vocab = data.Vocabulary.from_text(corpus_text)
    ids = vocab.encode(corpus_text[:200_000])
    train, val = data.train_val_split(ids)

    def run():
        params = rnn.init_params(vocab.size, 32, seed=1)
        before = rnn.evaluate(params, val, seq_length=50, batch_size=8)
        state = rnn.train(rnn.start_training(params, train, batch_size=8), train, steps=150, seq_length=25)
        return before, rnn.evaluate(state.params, val, seq_length=50, batch_size=8), state

    before, after, state = run()
    assert before == pytest.approx(np.log(vocab.size), abs=0.01)  # untrained: about uniform
    assert after < before - 0.7
    assert len(state.history) == 1 and state.step == 150
    assert run()[1] == after  # same seed, same result


def test_clip_and_adagrad():
    grads = {"W": np.array([-10.0, 0.5, 7.0])}
    np.testing.assert_array_equal(rnn.clip_grads(grads, 5.0)["W"], [-5.0, 0.5, 5.0])
    params = {"W": np.zeros(3)}
    opt = rnn.Adagrad(learning_rate=0.1)
    opt.step(params, {"W": np.array([2.0, -1.0, 0.0])})
    np.testing.assert_allclose(params["W"], [-0.1, 0.1, 0.0], atol=1e-6)


def test_generate_is_seeded_greedy_at_zero_and_forced(small):
    params = small[0]
    a, pa = rnn.generate(params, [1, 2], 30, 1.0, seed=5)
    b, _ = rnn.generate(params, [1, 2], 30, 1.0, seed=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == pa.shape == (30,) and np.all((pa > 0) & (pa <= 1))
    g1, p1 = rnn.generate(params, [1, 2], 30, 0.0, seed=1)
    g2, _ = rnn.generate(params, [1, 2], 30, 0.0, seed=2)
    np.testing.assert_array_equal(g1, g2)  # greedy ignores the noise
    forced, _ = rnn.generate(params, [1, 2], 30, 0.0, seed=1, forced={3: (int(g1[3]) + 1) % V})
    np.testing.assert_array_equal(forced[:3], g1[:3])
    assert forced[3] != g1[3]


def test_generate_rejects_bad_input(small):
    with pytest.raises(ValueError, match="temperature"):
        rnn.generate(small[0], [1], 5, -1.0, seed=0)
    with pytest.raises(ValueError, match="prompt"):
        rnn.generate(small[0], [], 5, 1.0, seed=0)
    with pytest.raises(ValueError, match="character ids"):
        rnn.generate(small[0], [V + 3], 5, 1.0, seed=0)


def test_save_and_load(tmp_path, small):
    params = small[0]
    path = tmp_path / "rnn.npz"
    rnn.save(params, path)
    loaded = rnn.load(path, vocab_size=V, hidden_size=H)
    for name in rnn.PARAM_NAMES:
        np.testing.assert_array_equal(loaded[name], params[name])
    with pytest.raises(ValueError, match="expected .* hidden size 9"):
        rnn.load(path, vocab_size=V, hidden_size=9)
    with pytest.raises(FileNotFoundError, match="no parameter file"):
        rnn.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a tiny-RNN parameter file"):
        rnn.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "partial.npz", Wxh=params["Wxh"])
    with pytest.raises(ValueError, match="lacks the arrays"):
        rnn.load(tmp_path / "partial.npz")


def test_log_probs_match_generated_probabilities_at_t1(small):
    params = small[0]
    out, probs = rnn.generate(params, [1, 2, 3], 20, 1.0, seed=4)
    np.testing.assert_allclose(np.exp(rnn.log_probs(params, [1, 2, 3], out)), probs, rtol=1e-10)


def test_a_run_saves_and_loads_with_its_recipe(tmp_path, corpus_text):
    vocab = data.Vocabulary.from_text(corpus_text)
    train_ids, _ = data.train_val_split(vocab.encode(corpus_text))
    run = rnn.train_run(train_ids, vocab.size, hidden_size=8, steps=20, every=10)
    assert [s for s, _ in run.history] == [10, 20] and run.recipe["hidden_size"] == 8
    path = tmp_path / "run.npz"
    rnn.save_run(path, run)
    back = rnn.load_run(path, hidden_size=8, steps=20)
    assert back.history == run.history and back.recipe == run.recipe
    for name in rnn.PARAM_NAMES:
        np.testing.assert_array_equal(back.params[name], run.params[name])
    with pytest.raises(ValueError, match="another recipe .*steps: the file has 20, you expect 6000"):
        rnn.load_run(path, steps=6000)
    with pytest.raises(ValueError, match="unknown recipe entries"):
        rnn.train_run(train_ids, vocab.size, hiden_size=8)
    rnn.save(run.params, tmp_path / "bare.npz")  # parameters only: not a run
    with pytest.raises(ValueError, match="no training run"):
        rnn.load_run(tmp_path / "bare.npz")


def test_the_shipped_run_is_lesson_three_s_and_as_good_as_it_claims(corpus_text):
    """data/tiny_rnn.npz: the run of lesson 3's training cell (its recipe), below the lesson's bars."""
    vocab = data.Vocabulary.from_text(corpus_text)
    _, val_ids = data.train_val_split(vocab.encode(corpus_text))
    run = rnn.load_run(rnn.SHIPPED_RUN, **rnn.RECIPE)
    assert rnn.SHIPPED_RUN.stat().st_size < 400_000
    assert run.history[-1][0] == rnn.RECIPE["steps"] and run.history[-1][1] < 2.0
    assert rnn.evaluate(run.params, val_ids) < 2.1


def test_a_missing_seed_is_refused(small):
    with pytest.raises(TypeError, match="seed"):
        rnn.generate(small[0], [1], 5, 1.0)


def test_generate_many_rows_are_generate_s_texts(small):
    params = small[0]
    temperatures, seeds = [0.0, 0.5, 1.0, 2.0, 1.0], [3, 3, 3, 4, 5]
    ids, probs = rnn.generate_many(params, [1, 2], 40, temperatures, seeds)
    assert ids.shape == probs.shape == (5, 40)
    for row, t, s in zip(range(5), temperatures, seeds):
        ref_ids, ref_probs = rnn.generate(params, [1, 2], 40, t, seed=s)
        np.testing.assert_array_equal(ids[row], ref_ids)
        np.testing.assert_allclose(probs[row], ref_probs, rtol=1e-10)
    np.testing.assert_allclose(rnn.log_probs(params, [1, 2], ids), [rnn.log_probs(params, [1, 2], r) for r in ids], rtol=1e-10)
    with pytest.raises(ValueError, match="one seed per temperature"):
        rnn.generate_many(params, [1], 5, [1.0, 2.0], [0])
    with pytest.raises(ValueError, match="temperature"):
        rnn.generate_many(params, [1], 5, [-1.0], [0])


def _log_p_of_one_hot_inputs(params, xs, target):
    """log p(target) after feeding the (possibly nudged) one-hot vectors ``xs`` (L, V) from h = 0."""
    h = np.zeros(params["Whh"].shape[0])
    for x in xs:
        h = np.tanh(params["Wxh"] @ x + params["Whh"] @ h + params["bh"])
    z = params["Why"] @ h + params["by"]
    return z[target] - z.max() - np.log(np.exp(z - z.max()).sum())


def test_input_gradients_match_finite_differences(small):
    params = small[0]
    rng = np.random.default_rng(3)
    ids = rng.integers(0, V, 9)  # 8 inputs, then the predicted character
    grads = rnn.input_gradients(params, ids)
    assert grads.shape == (8, V)
    xs = np.eye(V)[ids[:-1]]
    eps = 1e-6
    for t in range(8):
        for j in range(V):  # every entry, also those of characters not fed at step t
            up, down = xs.copy(), xs.copy()
            up[t, j] += eps
            down[t, j] -= eps
            numeric = (_log_p_of_one_hot_inputs(params, up, ids[-1]) - _log_p_of_one_hot_inputs(params, down, ids[-1])) / (2 * eps)
            np.testing.assert_allclose(grads[8 - 1 - t, j], numeric, rtol=1e-6, atol=1e-9)


def test_input_sensitivity_is_batched_and_ordered_by_distance(small):
    params = small[0]
    ids = np.random.default_rng(4).integers(0, V, (3, 10))
    batch = rnn.input_sensitivity(params, ids)
    assert batch.shape == (3, 9)
    for row, one in zip(ids, batch):
        np.testing.assert_allclose(rnn.input_sensitivity(params, row), one, rtol=1e-12)
        np.testing.assert_allclose(one, np.linalg.norm(rnn.input_gradients(params, row), axis=1), rtol=1e-12)
    # the last input's gradient is Wxh^T (1 - h^2) Why^T (onehot - p): entry 0 is that one
    hs, logits = rnn.forward(params, ids[:1, :-1], np.zeros((1, H)))
    p = np.exp(logits[0, -1] - logits[0, -1].max())
    p /= p.sum()
    dz = np.eye(V)[ids[0, -1]] - p
    expected = params["Wxh"].T @ ((1 - hs[0, -1] ** 2) * (params["Why"].T @ dz))
    np.testing.assert_allclose(rnn.input_gradients(params, ids[0])[0], expected, rtol=1e-10)
    with pytest.raises(ValueError, match="L >= 1"):
        rnn.input_sensitivity(params, [3])
    with pytest.raises(ValueError, match="character ids"):
        rnn.input_sensitivity(params, [1, 2, V])
