"""helpers.char_lstm: training through callbacks, checkpoints (safe loading, clear errors), sampling,
validation loss, and the model's train/eval mode left as found."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch

from helpers import char_lstm, data

TINY = char_lstm.Config(
    embedding=8, hidden=32, layers=2, dropout=0.0, batch_size=8, seq_length=32, steps=40, eval_every=20, max_lr=3e-2
)


@pytest.fixture(scope="module")
def tiny(corpus_text, tmp_path_factory):
    """A tiny model trained for a few steps on the first 20,000 characters, and its checkpoint."""
    text = corpus_text[:20_000]
    model, vocab, info = char_lstm.train(text, TINY, log=lambda line: None)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    char_lstm.save_checkpoint(path, model, vocab, info, command="test")
    return model, vocab, info, path, text


def test_training_improves_on_uniform_and_keeps_best(tiny):
    model, vocab, info, _, _ = tiny
    assert info["val_loss"] < math.log(vocab.size) - 0.5
    assert info["val_loss"] == min(v for _, _, v in info["history"])
    assert len(info["curve"]) == TINY.steps and info["curve"][-1][1] < info["curve"][0][1]
    assert info["best_step"] in (20, 40)


def test_checkpoint_round_trip_is_float16_and_safe(tiny):
    model, vocab, info, path, text = tiny
    raw = torch.load(path, weights_only=True)
    assert all(t.dtype == torch.float16 for t in raw["state_dict"].values())
    loaded, vocab2, meta = char_lstm.load_checkpoint(path)
    assert vocab2 == vocab and meta["corpus_sha256"] == data.CORPUS_SHA256
    _, val = data.train_val_split(vocab.encode(text))
    assert char_lstm.validation_loss(loaded, val) == pytest.approx(meta["val_loss"], abs=2e-3)


def test_missing_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(char_lstm.CheckpointError, match="no checkpoint at .*train"):
        char_lstm.load_checkpoint(tmp_path / "none.pt")


def test_truncated_checkpoint_is_refused(tiny, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(tiny[3].read_bytes()[:5000])
    with pytest.raises(char_lstm.CheckpointError, match="truncated or corrupt"):
        char_lstm.load_checkpoint(broken)


class Payload:
    def __reduce__(self):  # what a malicious pickle would run
        return (print, ("this must never run",))


def test_pickled_objects_are_never_unpickled(tmp_path, capsys):
    evil = tmp_path / "evil.pt"
    torch.save({"meta": {"format": char_lstm.FORMAT}, "obj": Payload()}, evil)
    with pytest.raises(char_lstm.CheckpointError, match="arbitrary objects"):
        char_lstm.load_checkpoint(evil)
    assert "must never run" not in capsys.readouterr().out
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(char_lstm.CheckpointError):
        char_lstm.load_checkpoint(plain)


def test_foreign_torch_file_is_refused(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(char_lstm.CheckpointError, match="not a char-LSTM checkpoint"):
        char_lstm.load_checkpoint(other)


def test_sampling_is_reproducible_and_greedy_ignores_seed(tiny):
    model, vocab, *_ = tiny
    a = char_lstm.sample(model, "ROMEO:", 40, 1.0, seed=3)
    assert a == char_lstm.sample(model, "ROMEO:", 40, 1.0, seed=3) and len(a) == 40
    g = char_lstm.sample(model, "ROMEO:", 30, 0.0, seed=1)
    assert g == char_lstm.sample(model, "ROMEO:", 30, 0.0, seed=2)
    text, probs = char_lstm.sample(model, "ROMEO:", 30, 0.7, seed=0, return_probs=True)
    assert probs.shape == (30,) and np.all((probs > 0) & (probs <= 1))


def test_sampling_rejects_bad_input(tiny):
    model, vocab, *_ = tiny
    with pytest.raises(ValueError, match="not in the vocabulary"):
        char_lstm.sample(model, "ROMEO §", 5, 1.0, seed=0)
    for bad in (-0.5, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            char_lstm.sample(model, "ROMEO:", 5, bad, seed=0)
    with pytest.raises(ValueError, match="at least one character"):
        char_lstm.sample(model, "", 5, 1.0, seed=0)


MICRO = char_lstm.Config(embedding=4, hidden=8, layers=1, batch_size=2, seq_length=8, steps=4, eval_every=2)


def test_training_reports_through_callbacks_and_shows_nothing_itself(corpus_text, capsys):
    """No widget, no print: lesson 4 builds the monitor and passes its methods (issue 18)."""
    steps, evals = [], []

    def on_eval(step, train_loss, val_loss, model):
        evals.append((step, train_loss, val_loss, model.training))

    model, _, info = char_lstm.train(corpus_text[:5000], MICRO, on_step=lambda s, loss: steps.append(s), on_eval=on_eval)
    assert capsys.readouterr() == ("", "")  # nothing printed (and nothing displayed: no widgets imported)
    assert steps == [1, 2, 3, 4]
    assert [e[:3] for e in evals] == [tuple(row) for row in info["history"]] and [e[0] for e in evals] == [2, 4]
    assert not any(training for *_, training in evals), "on_eval sees the model in eval mode"
    assert not model.training


def test_the_command_line_prints_its_progress(corpus_file, tmp_path, capsys):
    out = tmp_path / "micro.pt"
    char_lstm._main(["train", "--out", str(out), "--corpus", str(corpus_file), "--embedding", "4", "--hidden", "8",
                     "--layers", "1", "--batch-size", "2", "--seq-length", "8", "--steps", "4", "--eval-every", "2"])
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("step     2/4  train") and printed[1].startswith("step     4/4")
    assert printed[2].startswith(f"saved {out}") and out.is_file()


def test_training_threads_are_restored(corpus_text):
    before = torch.get_num_threads()
    config = char_lstm.Config(embedding=4, hidden=8, layers=1, batch_size=2, seq_length=8, steps=2, eval_every=2, threads=1)
    model, _, info = char_lstm.train(corpus_text[:5000], config)
    assert torch.get_num_threads() == before and info["best_step"] == 2

    def stop(step, loss):
        raise KeyboardInterrupt  # a student stops the cell (■)

    with pytest.raises(KeyboardInterrupt):
        char_lstm.train(corpus_text[:5000], config, on_step=stop)
    assert torch.get_num_threads() == before


def test_evaluation_mode_restores_the_mode_even_on_error():
    model = torch.nn.Dropout(0.5)
    for mode in (True, False):
        model.train(mode)
        with char_lstm.evaluation_mode(model) as inside:
            assert inside is model and not model.training
        assert model.training == mode
        with pytest.raises(RuntimeError), char_lstm.evaluation_mode(model):
            raise RuntimeError("boom")
        assert model.training == mode


def test_every_runner_leaves_the_model_in_the_mode_it_found_and_runs_it_in_eval_mode(tiny, corpus_text):
    """``sample`` used to leave a model in eval mode (issue 18); dropout must be off while they run."""
    config = char_lstm.Config(**{**TINY.__dict__, "dropout": 0.5})
    model = char_lstm.CharLSTM(tiny[1], config)
    model.load_state_dict(tiny[0].state_dict())
    text = corpus_text[:2000]
    runs = {
        "sample": lambda: char_lstm.sample(model, "ROMEO:", 30, 1.0, seed=0, return_probs=True)[1],
        "validation_loss": lambda: char_lstm.validation_loss(model, text, streams=4),
        "validation_logits": lambda: char_lstm.validation_logits(model, text, streams=4)[0],
        "continuation_logits": lambda: char_lstm.continuation_logits(model, "ROMEO:", text[:60])[0],
        "input_sensitivity": lambda: char_lstm.input_sensitivity(model, text[:40]),
    }
    for name, run in runs.items():
        model.eval()
        in_eval = run()
        model.train()
        torch.manual_seed(0)
        in_train = run()
        assert model.training, f"{name} left the model in eval mode"
        np.testing.assert_array_equal(in_train, in_eval, err_msg=f"{name} ran with dropout on")
        model.eval()
        run()
        assert not model.training, f"{name} left the model in training mode"


def test_a_shipped_run_loads_only_for_its_own_configuration(tiny):
    """``load_run`` (a slow machine's SKIP_TRAINING): the run as ``train`` returns it, or a clear refusal."""
    _, _, info, path, _ = tiny
    model, vocab, loaded = char_lstm.load_run(path, TINY)
    assert loaded["history"] == info["history"] and loaded["val_loss"] == info["val_loss"] and not model.training
    with pytest.raises(char_lstm.CheckpointError, match="another configuration .*steps: the file has 40, you asked for 900"):
        char_lstm.load_run(path, char_lstm.Config(**{**TINY.__dict__, "steps": 900}))
    assert char_lstm.load_run(path, char_lstm.Config(**{**TINY.__dict__, "threads": 1}))  # threads do not count


def test_lesson_four_s_shipped_demo_run_is_its_configuration_and_as_good_as_claimed(corpus_text):
    demo = char_lstm.Config(embedding=32, hidden=256, layers=1, dropout=0.0, batch_size=64, seq_length=64,
                            steps=900, eval_every=150, max_lr=1e-2, seed=0)  # lesson 4, section 3
    model, vocab, info = char_lstm.load_run(char_lstm.DEMO_CHECKPOINT, demo)
    assert char_lstm.DEMO_CHECKPOINT.stat().st_size < 1_000_000
    val = [v for _, _, v in info["history"]]
    assert val[-1] < min(val[:-1]) and val[-1] < 1.7
    _, val_ids = data.train_val_split(vocab.encode(corpus_text))
    assert char_lstm.validation_loss(model, val_ids) == pytest.approx(info["val_loss"], abs=0.005)  # float16 weights


def test_a_missing_seed_is_refused(tiny):
    model = tiny[0]
    for call in (lambda: char_lstm.sample(model, "ROMEO:", 5, 1.0),
                 lambda: char_lstm.sample_many(model, "ROMEO:", 5, [1.0]),
                 lambda: char_lstm.FastSampler(model).sample("ROMEO:", 5, 1.0)):
        with pytest.raises(TypeError, match="seed"):
            call()
    with pytest.raises(ValueError, match="pass a seed"):
        char_lstm.sample(model, "ROMEO:", 5, 1.0, seed=None)


def test_training_logs_the_time_left(corpus_text):
    lines = []
    char_lstm.train(corpus_text[:5000], MICRO, log=lines.append)
    assert "left" in lines[0] and lines[-1].endswith(("s", "min")) and "done in" in lines[-1]


def test_input_sensitivity_one_hot_batched_and_default_unchanged(tiny):
    model, vocab, _, _, text = tiny
    texts = [text[i : i + 40] for i in (0, 500, 1000)]
    ids = torch.from_numpy(np.stack([vocab.encode(t) for t in texts]))
    # the reference, by autograd on explicit one-hot inputs and on the embedding
    one_hot = torch.nn.functional.one_hot(ids[:, :-1], vocab.size).float().requires_grad_(True)
    model.eval()
    with torch.enable_grad():
        emb = one_hot @ model.embed.weight
        emb.retain_grad()
        out, _ = model.lstm(emb)
        logp = torch.log_softmax(model.head(out[:, -1]), dim=-1).gather(1, ids[:, -1:]).sum()
        logp.backward()
    want_one_hot = one_hot.grad.norm(dim=2).numpy()[:, ::-1]
    want_embedding = emb.grad.norm(dim=2).numpy()[:, ::-1]
    got = char_lstm.input_sensitivity(model, texts, wrt="one_hot")
    assert got.shape == (3, 39)
    np.testing.assert_allclose(got, want_one_hot, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(char_lstm.input_sensitivity(model, texts), want_embedding, rtol=1e-4, atol=1e-9)
    single = char_lstm.input_sensitivity(model, texts[1])  # one text: shape (L,), the embedding by default
    assert single.shape == (39,)
    np.testing.assert_allclose(single, want_embedding[1], rtol=1e-4, atol=1e-9)
    with pytest.raises(ValueError, match="one length"):
        char_lstm.input_sensitivity(model, [texts[0], texts[1][:20]])
    with pytest.raises(ValueError, match="wrt"):
        char_lstm.input_sensitivity(model, texts[0], wrt="hidden")
