"""helpers.gpt: training through callbacks (seeded, step- and time-boxed), the validation loss per
token and per character, the model folder (save_pretrained, float16, local loading, clear errors)
and the command line. Tiny configurations: each test takes at most a few seconds."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

from helpers import data, gpt, tokens

TINY = gpt.Config(
    vocab_size=300, context=32, layers=2, width=32, heads=2, dropout=0.0, batch_size=8, steps=40, minutes=0,
    max_lr=1e-2, warmup_steps=5, eval_every=20, precision="float32", threads=1,
)


@pytest.fixture(scope="module")
def tiny(corpus_text, tmp_path_factory):
    """A tiny GPT trained for 40 steps on the first 60,000 characters, saved (float16) to a folder."""
    text = corpus_text[:60_000]
    tokenizer = tokens.train_tokenizer(text, TINY.vocab_size)
    model, tokenizer, info = gpt.train(text, TINY, tokenizer=tokenizer)
    folder = tmp_path_factory.mktemp("gpt") / "gpt_tokens"
    record = gpt.save(folder, model, tokenizer, info, text, command="test")
    return model, tokenizer, info, folder, record, text


def _logits(model, ids) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0]


def test_training_learns_and_keeps_the_best(tiny):
    model, tokenizer, info, *_ = tiny
    assert not model.training and model.config.use_cache
    assert info["val_loss_per_token"] < math.log(TINY.vocab_size) - 1.0
    assert info["val_loss_per_char"] == min(row[4] for row in info["history"])
    assert [row[0] for row in info["history"]] == [20, 40] and info["steps"] == 40
    assert info["curve"][-1][1] < info["curve"][0][1]
    assert info["parameters"] == gpt.parameter_count(model) and info["precision"] == "float32"
    for step, seconds, train, per_token, per_char in info["history"]:  # per char = per token × tokens / chars
        assert per_char == pytest.approx(per_token * info["val_tokens"] / info["val_chars"])


def test_seeded_training_repeats(tiny):
    model, tokenizer, info, *_ , text = tiny
    again, _, info2 = gpt.train(text, TINY, tokenizer=tokenizer)
    without_seconds = [[row[0], *row[2:]] for row in info["history"]]
    assert [[row[0], *row[2:]] for row in info2["history"]] == without_seconds
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), name
    other, _, _ = gpt.train(text, gpt.Config(**{**TINY.__dict__, "seed": 1, "steps": 20}), tokenizer=tokenizer)
    assert not torch.equal(other.transformer.wte.weight, again.transformer.wte.weight)


def test_bfloat16_autocast_trains_too(tiny):
    _, tokenizer, info, *_, text = tiny
    config = gpt.Config(**{**TINY.__dict__, "precision": "bfloat16"})
    assert config.autocast and not TINY.autocast
    model, _, info16 = gpt.train(text, config, tokenizer=tokenizer)
    assert info16["precision"] == "bfloat16 autocast"
    assert info16["val_loss_per_token"] < math.log(TINY.vocab_size) - 1.0
    assert model.transformer.wte.weight.dtype == torch.float32  # the weights stay float32


def test_per_char_loss_is_total_nats_over_characters(tiny):
    model, tokenizer, *_, text = tiny
    part = data.train_val_split(text)[1][:300]
    ids = tokens.encode(tokenizer, part).tolist()
    n, context, stride = len(ids), model.config.n_positions, 8
    assert n > 3 * context
    ev = gpt.validation_loss(model, tokenizer, part, stride=stride, batch_size=3)
    first = tokens.token_pieces(tokenizer, ids[:1])[0]
    assert ev.tokens == n - 1 and ev.chars == len(part) - len(first)
    assert ev.per_token == ev.nats / ev.tokens and ev.per_char == ev.nats / ev.chars
    # the same by brute force: token t (1 … n-1) from the window that first reaches it
    starts = list(range(0, n - context + 1, stride))
    starts += [n - context] if starts[-1] + context < n else []
    total = 0.0
    for t in range(1, n):
        start = next(s for s in starts if s + context > t)
        logp = torch.log_softmax(_logits(model, ids[start:t])[-1].double(), dim=-1)
        total -= float(logp[ids[t]])
    assert ev.nats == pytest.approx(total, rel=1e-5)


def test_a_text_within_one_window_is_one_forward_pass(tiny):
    model, tokenizer, *_, text = tiny
    part = text[:25]
    ids = tokens.encode(tokenizer, part).tolist()
    assert len(ids) <= model.config.n_positions
    logp = torch.log_softmax(_logits(model, ids)[:-1].double(), dim=-1)
    nats = -float(logp[torch.arange(len(ids) - 1), ids[1:]].sum())
    ev = gpt.validation_loss(model, tokenizer, part)
    assert ev.nats == pytest.approx(nats, rel=1e-5) and ev.tokens == len(ids) - 1


@given(n=st.integers(2, 400), context=st.integers(2, 64), data_=st.data())
def test_windows_predict_every_token_but_the_first_once(n, context, data_):
    stride = data_.draw(st.integers(1, context - 1))
    predicted = []
    for start, end, first in gpt._windows(n, context, stride):
        assert 0 <= start < first <= end <= n and end - start <= context
        assert first - start >= min(context - stride, first - 1)  # context enough, except near the start
        predicted += range(first, end)
    assert predicted == list(range(1, n))


def test_save_then_load_gives_the_same_logits(tiny):
    model, tokenizer, info, folder, record, text = tiny
    names = {p.name for p in folder.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "run.json"} <= names
    assert record["weights_dtype"] == "float16"  # a float16 copy kept the loss
    check = record["float16_check"]
    assert abs(check["float16_per_char"] - check["float32_per_char"]) <= gpt.HALF_TOLERANCE
    header_len = int.from_bytes((folder / "model.safetensors").read_bytes()[:8], "little")
    header = json.loads((folder / "model.safetensors").read_bytes()[8 : 8 + header_len])
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"F16"}
    assert "lm_head.weight" not in header  # tied to the embedding: stored once
    loaded, tok2, record2 = gpt.load(folder)
    assert not loaded.training and loaded.dtype == torch.float32
    ids = tokens.encode(tokenizer, text[:100]).tolist()[: TINY.context]
    assert torch.allclose(_logits(loaded, ids), _logits(gpt._rounded_to_half(model), ids), atol=1e-5)
    assert tok2.backend_tokenizer.to_str() == tokenizer.backend_tokenizer.to_str()
    val = gpt.validation_loss(loaded, tok2, data.train_val_split(text)[1])
    assert val.per_char == pytest.approx(record2["val_loss_per_char"], abs=1e-6)
    assert record2["corpus_sha256"] != data.CORPUS_SHA256  # the slice it was trained on, not the corpus
    assert record2["steps"] == 40 and record2["command"] == "test" and record2["config"]["width"] == 32


def test_float32_when_asked_is_exact(tiny, tmp_path):
    model, tokenizer, info, *_, text = tiny
    record = gpt.save(tmp_path / "f32", model, tokenizer, info, text, half=False)
    assert record["weights_dtype"] == "float32"
    loaded, _, _ = gpt.load(tmp_path / "f32")
    ids = tokens.encode(tokenizer, text[:100]).tolist()[: TINY.context]
    assert torch.equal(_logits(loaded, ids), _logits(model, ids))


def test_the_standard_calls_load_the_folder_offline(tiny):
    folder = tiny[3]
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder, local_files_only=True)
    assert type(model).__name__ == "GPT2LMHeadModel" and len(tokenizer) == model.config.vocab_size
    assert model.dtype == torch.float32  # stored in float16, computed in float32
    assert model.lm_head.weight is model.transformer.wte.weight  # tied again
    assert model.generation_config.pad_token_id == tokenizer.eos_token_id


def test_missing_folder_or_file_says_how_to_get_one(tiny, tmp_path):
    with pytest.raises(gpt.ModelFolderError, match="no model folder at .*python -m helpers.gpt train"):
        gpt.load(tmp_path / "nowhere")
    folder = tmp_path / "partial"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "run.json"):
        (folder / name).write_bytes((tiny[3] / name).read_bytes())
    with pytest.raises(gpt.ModelFolderError, match="model.safetensors missing.*git checkout data/gpt_tokens"):
        gpt.load(folder)


def _copy(src, dst):
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_corrupt_files_are_refused_clearly(tiny, tmp_path):
    folder = _copy(tiny[3], tmp_path / "truncated")
    raw = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(gpt.ModelFolderError, match="truncated or corrupt"):
        gpt.load(folder)
    folder = _copy(tiny[3], tmp_path / "garbage")
    (folder / "model.safetensors").write_bytes(b"\x00" * 1000)
    with pytest.raises(gpt.ModelFolderError, match="truncated or corrupt"):
        gpt.load(folder)
    folder = _copy(tiny[3], tmp_path / "record")
    (folder / "run.json").write_text("{ not json")
    with pytest.raises(gpt.ModelFolderError, match="run.json could not be read"):
        gpt.load(folder)
    folder = _copy(tiny[3], tmp_path / "foreign")
    (folder / "run.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(gpt.ModelFolderError, match="not a token GPT of this course"):
        gpt.load(folder)
    folder = _copy(tiny[3], tmp_path / "tokenizer")
    (folder / "tokenizer.json").write_text("{")
    with pytest.raises(gpt.ModelFolderError, match="tokenizer .*truncated or corrupt"):
        gpt.load(folder)


def test_training_reports_through_callbacks_and_prints_nothing(tiny, capsys):
    *_, text = tiny
    tokenizer = tiny[1]
    steps, evals, lines = [], [], []
    config = gpt.Config(**{**TINY.__dict__, "steps": 6, "eval_every": 3})
    gpt.train(text, config, log=lines.append, tokenizer=tokenizer,
              on_step=lambda s, loss: steps.append((s, loss)),
              on_eval=lambda s, tr, val, m: evals.append((s, tr, val, m.training)))
    assert [s for s, _ in steps] == list(range(1, 7))
    assert [(s, training) for s, _, _, training in evals] == [(3, False), (6, False)]
    assert len(lines) == 2 and "nats/token" in lines[0] and "nats/char" in lines[0]
    assert capsys.readouterr().out == ""


def test_the_time_box_stops_training(tiny):
    *_, text = tiny
    config = gpt.Config(**{**TINY.__dict__, "steps": 100_000, "minutes": 0.02, "eval_every": 100_000})
    _, _, info = gpt.train(text, config, tokenizer=tiny[1])
    assert 1 <= info["steps"] < 100_000 and len(info["history"]) == 1
    assert 1.2 - 0.3 <= info["train_seconds"] <= 1.2 + 10


def test_learning_rate_warms_up_then_decays_to_min_lr():
    c = gpt.Config(max_lr=1e-3, min_lr=1e-4, warmup_steps=10, steps=100)
    assert gpt.learning_rate(c, 1, 0.01) == pytest.approx(0.1 * (c.min_lr + 0.5 * (c.max_lr - c.min_lr) * (1 + math.cos(math.pi * 0.01))))
    assert gpt.learning_rate(c, 10, 0.0) == pytest.approx(1e-3)
    assert gpt.learning_rate(c, 100, 1.0) == pytest.approx(1e-4)
    lrs = [gpt.learning_rate(c, s, s / 100) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_training_threads_are_restored(tiny):
    before = torch.get_num_threads()
    gpt.train(tiny[-1], gpt.Config(**{**TINY.__dict__, "steps": 2, "eval_every": 2, "threads": 2}), tokenizer=tiny[1])
    assert torch.get_num_threads() == before


def test_bad_configurations_are_refused(tiny):
    with pytest.raises(ValueError, match="multiple of heads"):
        gpt.Config(width=30, heads=4)
    with pytest.raises(ValueError, match="precision"):
        gpt.Config(precision="float8")
    with pytest.raises(ValueError, match="tokenizer has 300 tokens"):
        gpt.train(tiny[-1], gpt.Config(**{**TINY.__dict__, "vocab_size": 512}), tokenizer=tiny[1])


def test_native_bfloat16_reads_the_cpu_flags(tmp_path):
    (tmp_path / "yes").write_text("flags\t: fpu avx2 avx512f avx512_bf16 sse\n")
    (tmp_path / "no").write_text("flags\t: fpu avx2 avx512f sse\n")
    assert gpt.native_bfloat16(tmp_path / "yes") and not gpt.native_bfloat16(tmp_path / "no")
    assert not gpt.native_bfloat16(tmp_path / "absent")


def test_the_command_line_trains_saves_and_evaluates(corpus_file, tmp_path, capsys):
    out = tmp_path / "cli"
    gpt._main(["train", "--out", str(out), "--corpus", str(corpus_file), "--vocab-size", "300", "--context", "16",
               "--layers", "1", "--width", "16", "--heads", "2", "--batch-size", "4", "--steps", "3",
               "--minutes", "0", "--eval-every", "3", "--precision", "float32"])
    printed = capsys.readouterr().out
    assert "step     3" in printed and "saved" in printed and "float16 weights" in printed
    record = json.loads((out / "run.json").read_text())
    assert record["corpus_sha256"] == data.CORPUS_SHA256 and record["command"].startswith("python -m helpers.gpt train")
    assert record["val_chars"] == len(data.train_val_split(data.load_corpus(corpus_file))[1]) - 1  # less "?"
    gpt._main(["evaluate", str(out), "--corpus", str(corpus_file)])
    printed = capsys.readouterr().out
    assert f"recorded {record['val_loss_per_token']:.4f} nats/token" in printed and "matches" in printed
    assert np.isclose(float(printed.split("validation ")[1].split(" nats/token")[0]), record["val_loss_per_token"], atol=1e-4)


def test_the_shipped_model_s_recorded_validation_loss_is_recomputed(corpus_text):
    """data/gpt_tokens: its record (what lesson 7 prints) is what its weights give on the validation
    split today, per token and per character, within the goal (at most 1.70 nats/char)."""
    model, tokenizer, record = gpt.load(gpt.DEFAULT_FOLDER)
    assert record["corpus_sha256"] == data.CORPUS_SHA256 and record["weights_dtype"] == "float16"
    val = gpt.validation_loss(model, tokenizer, data.train_val_split(corpus_text)[1])
    assert val.per_token == pytest.approx(record["val_loss_per_token"], abs=1e-4)
    assert val.per_char == pytest.approx(record["val_loss_per_char"], abs=1e-4) and val.per_char <= 1.70
    assert (val.tokens, val.chars) == (record["val_tokens"], record["val_chars"])
    size = sum(f.stat().st_size for f in gpt.DEFAULT_FOLDER.iterdir())
    assert size < 5e6, f"data/gpt_tokens is {size / 1e6:.1f} MB: the issue allows under 5 MB"
