"""helpers.token_sampling: our sampling loop over a GPT's logits agrees with transformers' ``generate``
(greedy tokens, the distribution of many draws, the truncation sets, the repetition penalty), prefix
reuse and the KV cache change nothing, the penalties follow their documented rules, the tail at scale,
and bad input gets clear errors. A tiny random GPT-2 and a tiny tokenizer, built once (a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import transformers
from hypothesis import assume, given
from hypothesis import strategies as st
from transformers import GPT2Config, GPT2LMHeadModel, RepetitionPenaltyLogitsProcessor

from helpers import token_sampling as ts
from helpers import tokens
from helpers.metrics import chi_square_test
from helpers.sampling import Truncation, gumbel_max_rows, gumbel_noise, truncated_softmax
from helpers.softmax import softmax_with_temperature

V = 300
PROMPT = "ROMEO:\nI will "
SWEEP = (0.0, 0.05, 0.3, 0.6, 0.7, 0.8, 1.0, 1.3, 2.0, 1.0, 0.5, 0.0)  # up and down, as a slider moves


@pytest.fixture(scope="module")
def tiny(corpus_text):
    """A tokenizer of 300 tokens trained on 60,000 characters, and a random 2-layer GPT-2 of width 32
    whose weights are spread wide enough (initializer_range 0.25) that its next-token distributions
    are far from uniform; eval mode, float32."""
    tokenizer = tokens.train_tokenizer(corpus_text[:60_000], V)
    torch.manual_seed(0)
    end = tokenizer.eos_token_id
    config = GPT2Config(vocab_size=V, n_positions=64, n_embd=32, n_layer=2, n_head=2, resid_pdrop=0.0,
                        embd_pdrop=0.0, attn_pdrop=0.0, initializer_range=0.25, bos_token_id=end, eos_token_id=end,
                        pad_token_id=end)
    model = GPT2LMHeadModel(config).eval()
    model.generation_config.pad_token_id = end
    return model, tokenizer, ts.TokenSampler(model, tokenizer)


def _generate(model, ids, n, **knobs) -> np.ndarray:
    x = torch.as_tensor(np.asarray(ids)).reshape(1, -1)
    with torch.inference_mode():
        out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=n, min_new_tokens=n, **knobs)
    return out[0, x.shape[1]:].numpy()


# ---------------------------------------------------------------------------------------------
# Agreement with generate
# ---------------------------------------------------------------------------------------------

def test_the_model_is_far_from_uniform(tiny):
    _, _, sampler = tiny
    p = softmax_with_temperature(sampler.prompt_state(PROMPT).logits, 1.0)
    assert p.max() > 5 / V and np.sort(p)[-20:].sum() > 0.3  # else the chi-square tests below would have no power


def test_greedy_gives_generates_tokens(tiny):
    model, tokenizer, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    theirs = _generate(model, state.ids, 40, do_sample=False)
    assert np.array_equal(sampler.continuation(state, 40, 0.0, seed=3).ids, theirs)
    assert np.array_equal(ts.sample_tokens(model, tokenizer, PROMPT, 40, 0.0, seed=5).ids, theirs)


def test_greedy_with_a_repetition_penalty_gives_generates_tokens(tiny):
    model, tokenizer, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    plain = _generate(model, state.ids, 40, do_sample=False)
    theirs = _generate(model, state.ids, 40, do_sample=False, repetition_penalty=1.5)
    ours = sampler.continuation(state, 40, 0.0, 0, penalties=ts.Penalties(repetition=1.5))
    assert np.array_equal(ours.ids, theirs) and not np.array_equal(theirs, plain)


def test_draws_at_t_0_7_match_our_softmax_for_generate_and_for_us(tiny):
    model, _, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    p = softmax_with_temperature(state.logits, 0.7)
    theirs = ts.generate_next_token_counts(model, state.ids, 20_000, 0.7, seed=0)
    ours = ts.next_token_counts(state.logits, 20_000, 0.7, seed=0)
    assert theirs.sum() == ours.sum() == 20_000
    assert chi_square_test(theirs, p).p_value > 1e-4
    assert chi_square_test(ours, p).p_value > 1e-4
    # the test has power: the same counts do not fit the model's own T = 1 distribution
    assert chi_square_test(theirs, softmax_with_temperature(state.logits, 1.0)).p_value < 1e-6


def test_draws_with_truncation_match_the_truncated_softmax(tiny):
    model, _, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    cut = Truncation(top_k=40, top_p=0.8, min_p=0.02)
    p = truncated_softmax(state.logits, 0.7, top_k=40, top_p=0.8, min_p=0.02)
    theirs = ts.generate_next_token_counts(model, state.ids, 10_000, 0.7, seed=1, truncation=cut)
    assert chi_square_test(theirs, p).p_value > 1e-4  # a draw of a cut token would give p = 0
    assert chi_square_test(ts.next_token_counts(state.logits, 10_000, 0.7, 1, cut), p).p_value > 1e-4


@pytest.mark.parametrize("t, cut", [
    (0.7, Truncation(top_k=5)), (1.0, Truncation(top_p=0.9)), (0.5, Truncation(top_p=0.6)),
    (1.5, Truncation(min_p=0.1)), (0.7, Truncation(top_k=50, top_p=0.95, min_p=0.05)), (2.0, Truncation(top_p=0.5)),
])
def test_generate_keeps_our_sets_on_the_models_logits(tiny, t, cut):
    model, _, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    kept, logits = ts.generate_kept(model, state.ids, t, cut)
    np.testing.assert_allclose(logits, state.logits, atol=1e-5)  # generate's own pass (with a mask): last bits differ
    assert np.array_equal(kept, cut.mask(logits.astype(np.float64), t))
    assert kept.sum() < V


@given(
    logits=st.lists(st.floats(-8, 8, allow_nan=False, width=32), min_size=2, max_size=60, unique=True),
    t=st.sampled_from([0.3, 0.7, 1.0, 1.5, 3.0]),
    top_k=st.one_of(st.none(), st.integers(1, 70)),
    top_p=st.one_of(st.none(), st.sampled_from([0.1, 0.3, 0.5, 0.8, 0.9, 0.95])),
    min_p=st.one_of(st.none(), st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.5])),
)
def test_our_truncation_keeps_the_sets_of_transformers_warpers(logits, t, top_k, top_p, min_p):
    z = np.array(logits, dtype=np.float64)  # float32 values: the warpers see exactly these numbers
    assume(np.unique(z.astype(np.float32)).size == z.size)  # top-k ties: transformers keeps all tied tokens
    cut = Truncation(top_k=top_k, top_p=top_p, min_p=min_p)
    assume(cut.active)
    # no boundary within float32 rounding: the warpers work in float32, ours in float64
    order = np.argsort(-z)
    q = softmax_with_temperature(np.where(Truncation(top_k=top_k).mask(z, t), z, -np.inf), t)[order]
    if top_p is not None:
        assume(np.min(np.abs((np.cumsum(q) - q) - top_p)) > 1e-4)
    if min_p is not None:
        assume(np.min(np.abs(z / t - z.max() / t - math.log(min_p))) > 1e-4)
    assert np.array_equal(ts.transformers_kept(z, t, cut), cut.mask(z, t))


@given(
    logits=st.lists(st.floats(-10, 10, allow_nan=False, width=32), min_size=1, max_size=40),
    seen=st.lists(st.integers(0, 39), max_size=30),
    penalty=st.sampled_from([0.5, 0.9, 1.0, 1.2, 1.5, 3.0]),
)
def test_repetition_penalty_equals_transformers_processor(logits, seen, penalty):
    z = np.array(logits, dtype=np.float32)
    ids = [i for i in seen if i < z.size]
    theirs = RepetitionPenaltyLogitsProcessor(float(penalty))(torch.tensor([ids], dtype=torch.long),
                                                               torch.tensor(z[None, :]))[0].numpy()
    ours = ts.repetition_penalty(z, ids, penalty)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_the_repetition_penalty_multiplies_negative_logits_and_divides_positive_ones():
    out = ts.repetition_penalty([2.0, -2.0, 2.0, 0.0], [0, 1, 1, 3], 2.0)
    assert out.tolist() == [1.0, -4.0, 2.0, 0.0]  # each seen token once; token 2 unseen
    p_before = softmax_with_temperature([2.0, -2.0, 1.0], 1.0)
    p_after = softmax_with_temperature(ts.repetition_penalty([2.0, -2.0, 1.0], [0, 1], 1.3), 1.0)
    assert p_after[0] < p_before[0] and p_after[1] < p_before[1]  # a penalty > 1 lowers every seen token


def test_frequency_and_presence_penalties_follow_the_openai_formula():
    z = np.array([1.0, 1.0, 1.0, -1.0])
    counts = np.array([0, 1, 3, 2])
    out = ts.frequency_presence_penalty(z, counts, frequency=0.5, presence=0.25)
    assert out.tolist() == [1.0, 1.0 - 0.5 - 0.25, 1.0 - 1.5 - 0.25, -1.0 - 1.0 - 0.25]
    # apply_penalties: repetition over prompt + generated, then frequency/presence over the generated only
    both = ts.apply_penalties([2.0, 2.0, 2.0], prompt_ids=[0], generated_ids=[1, 1], penalties=ts.Penalties(2.0, 0.5, 0.25))
    assert both.tolist() == [1.0, 1.0 - 1.0 - 0.25, 2.0]


# ---------------------------------------------------------------------------------------------
# Our loop: the KV cache and prefix reuse change nothing
# ---------------------------------------------------------------------------------------------

def test_the_kv_cache_gives_the_loop_without_it(tiny):
    model, tokenizer, _ = tiny
    for t in (0.0, 0.8, 1.5):
        cached = ts.sample_tokens(model, tokenizer, PROMPT, 30, t, seed=2)
        plain = ts.sample_tokens(model, tokenizer, PROMPT, 30, t, seed=2, use_cache=False)
        assert np.array_equal(cached.ids, plain.ids) and cached.text == plain.text
        np.testing.assert_allclose(cached.logits, plain.logits, atol=1e-4)


def test_the_fast_step_gives_the_models_logits_bit_for_bit(tiny):
    model, tokenizer, sampler = tiny
    assert sampler._step is not None  # the tiny GPT-2 takes the fast path, so every test here covers it
    state = sampler.prompt_state(PROMPT)
    kv, cache = state.kv, transformers.DynamicCache(list(state.kv))
    for token in tokens.encode(tokenizer, " the king and the queen, my lord"):
        fast, kv = sampler._step(int(token), kv)
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([[int(token)]]), cache=cache, use_cache=True)
        cache = out.cache
        assert torch.equal(fast, out.logits[0, -1])
        assert all(torch.equal(k, layer.keys) and torch.equal(v, layer.values) for (k, v), layer in zip(kv, cache.layers))
    slow = ts.TokenSampler(model, tokenizer, fast=False)
    assert slow._step is None
    for t in (0.0, 0.9):
        a, b = sampler.continuation(state, 40, t, seed=3), slow.continuation(slow.prompt_state(PROMPT), 40, t, seed=3)
        assert np.array_equal(a.ids, b.ids) and np.array_equal(a.logits, b.logits)
    assert not ts.Gpt2Step.supports(model.train()) and ts.Gpt2Step.supports(model.eval())


@pytest.mark.parametrize("reuse", ["cache", "recompute"])
@pytest.mark.parametrize("knobs", [
    {}, {"truncation": Truncation(top_k=20, top_p=0.9)},
    {"penalties": ts.Penalties(repetition=1.3, frequency=0.2, presence=0.1)},
])
def test_prefix_reuse_gives_the_plain_loop_at_every_temperature_of_a_sweep(tiny, reuse, knobs):
    model, tokenizer, _ = tiny
    sampler = ts.TokenSampler(model, tokenizer, reuse=reuse)
    state = sampler.prompt_state(PROMPT)
    previous, saved = None, []
    for t in SWEEP:
        result = sampler.continuation(state, 50, t, seed=7, previous=previous, **knobs)
        reference = ts.sample_tokens(model, tokenizer, PROMPT, 50, t, seed=7, **knobs)
        assert np.array_equal(result.ids, reference.ids), t
        assert result.text == reference.text and result.pieces == tokens.token_pieces(tokenizer, result.ids)
        np.testing.assert_allclose(result.probs, reference.probs, rtol=1e-5)
        saved.append(result.recomputed)
        previous = result
    assert saved[0] == 49 and min(saved) < 49  # the first one runs the model 49 times; some moves reuse


def test_reuse_needs_the_same_prompt_seed_and_penalties(tiny):
    _, _, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    first = sampler.continuation(state, 20, 0.0, 1)
    assert sampler.continuation(state, 20, 0.0, 1, previous=first).recomputed == 0
    assert sampler.continuation(state, 20, 0.0, 2, previous=first).recomputed == 19
    assert sampler.continuation(sampler.prompt_state("JULIET:\n"), 20, 0.0, 1, previous=first).recomputed == 19
    assert sampler.continuation(state, 20, 0.0, 1, previous=first, penalties=ts.Penalties(1.2)).recomputed == 19
    longer = sampler.continuation(state, 30, 0.0, 1, previous=first)  # reuses 20, runs the model for 10
    assert longer.recomputed == 10 and np.array_equal(longer.ids[:20], first.ids)
    shorter = sampler.continuation(state, 10, 0.0, 1, previous=longer)
    assert shorter.recomputed == 0 and np.array_equal(shorter.ids, first.ids[:10])
    again = sampler.continuation(state, 30, 0.0, 1, previous=shorter)  # from the cut cache
    assert np.array_equal(again.ids, longer.ids)


def test_the_noise_is_one_stream_per_seed_as_the_lstm_samplers(tiny):
    _, _, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    result = sampler.continuation(state, 25, 0.9, seed=11)
    g = gumbel_noise(11, (25, V))
    assert np.array_equal(sampler.noise(11, 25), g)
    assert np.array_equal(result.ids, gumbel_max_rows(result.logits.astype(np.float64), 0.9, g))
    np.testing.assert_allclose(result.probs, softmax_with_temperature(result.logits, 1.0)[np.arange(25), result.ids],
                               rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Labels, the tail at scale, bad input
# ---------------------------------------------------------------------------------------------

def test_labels_show_spaces_and_newlines(tiny):
    _, tokenizer, sampler = tiny
    labels = sampler.labels
    assert len(labels) == V and all(label.isprintable() and label for label in labels)
    assert labels[tokenizer.convert_tokens_to_ids("Ġthe")] == "␣the"
    assert ts.token_label(" king") == "␣king" and ts.token_label("\n\n") == "\\n\\n" and ts.token_label(" ") == "␣"
    assert ts.token_label("\ufffd", "âĢ") == "<0xE2><0x80>"  # a UTF-8 character's first bytes, as bytes
    assert labels[-1] == tokens.END_OF_TEXT and sampler.vocab.chars[V - 1] == tokens.END_OF_TEXT


def test_zipf_tail_mass():
    z = ts.zipf_logits(1000, 1.0)
    harmonic = np.sum(1.0 / np.arange(1, 1001))
    assert ts.tail_mass(z, 1.0, 10) == pytest.approx(1.0 - np.sum(1.0 / np.arange(1, 11)) / harmonic)
    assert ts.tail_mass(z, 1.0, 1000) == 0.0
    # at T = 1.5 the tail beyond the top 100 grows, and more so for a larger vocabulary
    tails = [ts.tail_mass(ts.zipf_logits(v, 1.0), 1.5, 100) for v in (1_000, 50_000, 200_000)]
    assert tails[0] < tails[1] < tails[2] and tails[2] > 0.8 > ts.tail_mass(ts.zipf_logits(200_000, 1.0), 1.0, 100)
    assert ts.tail_mass(z, 0.0, 1) == 0.0


def test_bad_input_gets_clear_errors(tiny):
    model, tokenizer, sampler = tiny
    state = sampler.prompt_state(PROMPT)
    with pytest.raises(ValueError, match=">= 0"):
        sampler.continuation(state, 10, -0.5, 0)
    with pytest.raises(ValueError, match="NaN"):
        sampler.continuation(state, 10, float("nan"), 0)
    with pytest.raises(ValueError, match="at least one character"):
        sampler.prompt_state("")
    with pytest.raises(ValueError, match="at least one character"):
        ts.sample_tokens(model, tokenizer, "", 5, 1.0, 0)
    with pytest.raises(ValueError, match="at most"):
        sampler.continuation(state, 200, 1.0, 0)  # the tiny model reads 64 positions
    with pytest.raises(ValueError, match="length"):
        sampler.continuation(state, -1, 1.0, 0)
    for bad in (0.0, -1.2, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="repetition_penalty"):
            ts.Penalties(repetition=bad)
        with pytest.raises(ValueError, match="repetition_penalty"):
            ts.repetition_penalty([1.0, 2.0], [0], bad)
    with pytest.raises(ValueError, match="frequency_penalty"):
        ts.Penalties(frequency=float("nan"))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        ts.repetition_penalty([1.0, 2.0], [5], 1.2)
    with pytest.raises(ValueError, match="temperature first"):
        ts.generate_kept(model, state.ids, 1.0, Truncation(top_k=3, temperature_last=True))
    with pytest.raises(ValueError, match="exponent"):
        ts.zipf_logits(100, 0.0)
    with pytest.raises(ValueError, match="reuse"):
        ts.TokenSampler(model, tokenizer, reuse="both")


def test_the_dashboard_logic_runs_over_tokens(tiny):
    """Lesson 7's dashboard: lesson 4's logic on a TokenSampler (bars of tokens, lengths in tokens, a
    shade per token, the text of our plain loop, answers ahead reused)."""
    from helpers.dashboard_logic import TemperatureLogic

    model, tokenizer, sampler = tiny
    # a seed whose text has no character split across tokens (the random tiny model emits stray bytes)
    seed = next(s for s in range(50) if sampler.continuation(PROMPT, 20, 0.8, s).token_starts is not None)
    logic = TemperatureLogic(sampler, PROMPT, temperature=0.8, length=20, seed=seed, top_k=5)
    result = logic.generate()
    reference = ts.sample_tokens(model, tokenizer, PROMPT, 20, 0.8, seed=seed)
    assert result.text == reference.text
    content = logic.text_content()
    assert content["text"] == result.text and len(content["probs"]) == len(result.text)
    assert content["starts"] == [0, *np.cumsum([len(p) for p in result.pieces[:-1]]).tolist()]
    first = result.pieces[0]
    assert content["probs"][: len(first)] == [float(f"{result.probs[0]:.4g}")] * len(first)  # one shade per token
    chart = logic.chart_state()
    assert chart["title"].startswith("Next token") and len(chart["labels"]) == 6
    assert set(chart["labels"][:-1]) <= set(sampler.labels)
    assert "bits/token" in logic.status_html() and "next token" in logic.status_html()
    assert logic.chart_data()["labels"] == sampler.labels
    low, high = sampler.length_range
    assert not logic.type_length(str(high + 1)) and f"from {low} to {high}" in logic.error_html
    answer = logic.preview(temperature=1.3)
    logic.temperature = 1.3
    assert logic.generate() is answer.result and answer.result.text == ts.sample_tokens(
        model, tokenizer, PROMPT, 20, 1.3, seed=seed).text
    assert "tokens are unchanged" in logic.status_html()
    assert not logic.set_prompt("the king " * 40) and "shorten it" in logic.error_html


def test_the_truncation_dashboard_runs_over_tokens(tiny):
    """Lesson 6's dashboard takes the token sampler too: survivors counted in tokens, the text of our
    plain loop with the same knobs."""
    from helpers import widgets

    model, tokenizer, sampler = tiny
    dashboard = widgets.TruncationDashboard(sampler=sampler, prompt=PROMPT, temperature=1.0, top_p=0.9, length=20, seed=1)
    logic = dashboard.logic
    assert "tokens survive" in logic.status_html() and logic.chart_state()["title"].startswith("Next token")
    assert logic.chart_state()["vocab_size"] == V and dashboard.length.value == 20
    reference = ts.sample_tokens(model, tokenizer, PROMPT, 20, 1.0, seed=1, truncation=Truncation(top_p=0.9))
    assert dashboard.result.text == reference.text
    dashboard.top_k.value = 5
    reference = ts.sample_tokens(model, tokenizer, PROMPT, 20, 1.0, seed=1, truncation=Truncation(top_k=5, top_p=0.9))
    assert dashboard.result.text == reference.text and logic.view.kept_count <= 5
