"""How fast the token model regenerates 100 tokens after a temperature change (the dashboard's Python side).

Issue 19's goal: the token dashboard regenerates 100 tokens after a temperature change in at most
60 ms median here (prefix reuse and the KV cache, as the LSTM dashboard does), with text identical
to our reference loop for the same seed.

Loads the shipped token GPT (`data/gpt_tokens/`), or, while it does not exist yet, the 90-second
smoke model at /tmp/g19/smoke2 (said in the output; its near-uniform distributions flip choices
early, so it reuses less than a trained model would), or the folder given as the first argument.
`helpers.token_sampling.TokenSampler` generates 100 tokens after "ROMEO:\\n" with seed 0, and the
temperature moves one stop at a time over the lesson-4 slider's stops (0 → 3 → 0, as holding an
arrow key does), each move reusing the previous continuation, for both ways of getting back to the
model's state after the reused tokens: `reuse="cache"` (the previous KV cache, cut) and
`reuse="recompute"` (one forward pass over the reused tokens); and `reuse="cache"` again with the
model's own forward for every token instead of `token_sampling.Gpt2Step` (the same numbers, more
Python overhead). For comparison: the same 100 tokens
without reuse (every token a forward pass with the KV cache), at every fourth stop. At a few stops
the text is checked against `helpers.token_sampling.sample_tokens` (the plain loop).

    TINYSHAKESPEARE_PATH=... LESSONS_THREADS=1 .venv/bin/python benchmarks/token_dashboard.py [folder]

Prints one JSON object on its last line (milliseconds; tokens/s = 100 tokens / median time).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np

from helpers import gpt, token_sampling
from helpers.widgets import temperature_grid
from timing import elapsed_ms

PROMPT, LENGTH, SEED, GOAL_MS = "ROMEO:\n", 100, 0, 60.0
SMOKE = Path("/tmp/g19/smoke2")


def _folder() -> tuple[Path, str]:
    if len(sys.argv) > 1:
        return Path(sys.argv[1]), "given on the command line"
    if gpt.DEFAULT_FOLDER.is_dir():
        return gpt.DEFAULT_FOLDER, "the shipped model"
    return SMOKE, "the 90-second SMOKE model (data/gpt_tokens is absent): not the shipped model's figures"


def _sweep(sampler: token_sampling.TokenSampler, path: list[float]) -> tuple[list[float], list[int]]:
    state = sampler.prompt_state(PROMPT)
    previous = sampler.continuation(state, LENGTH, 0.0, SEED)
    times, forwards = [], []
    for t in path:
        result: list = []
        times.append(elapsed_ms(lambda: result.append(sampler.continuation(state, LENGTH, t, SEED, previous=previous))))
        previous = result[0]
        forwards.append(previous.recomputed)
    return times, forwards


def main() -> None:
    folder, what = _folder()
    model, tokenizer, record = gpt.load(folder)
    print(f"model: {folder} ({what}); {record.get('val_loss_per_char', float('nan')):.3f} nats/char recorded")
    grid = list(temperature_grid(3.0))
    path = grid[1:] + grid[-2::-1]  # 0 → 3 → 0, one stop per key press
    results = {}
    for name, reuse, fast in (("cache", "cache", True), ("recompute", "recompute", True), ("slow", "cache", False)):
        sampler = token_sampling.TokenSampler(model, tokenizer, reuse=reuse, fast=fast)
        _sweep(sampler, path[:5])  # warm-up
        times, forwards = _sweep(sampler, path)
        results[name] = (times, forwards)
    sampler = token_sampling.TokenSampler(model, tokenizer)
    state = sampler.prompt_state(PROMPT)
    full = [elapsed_ms(lambda: sampler.continuation(state, LENGTH, t, SEED)) for t in path[::4]]
    for t in (0.0, 0.5, 0.8, 1.0, 1.5, 3.0):  # the text is the plain loop's for the same seed
        previous = sampler.continuation(state, LENGTH, t + 0.05, SEED)
        reused = sampler.continuation(state, LENGTH, t, SEED, previous=previous)
        reference = token_sampling.sample_tokens(model, tokenizer, PROMPT, LENGTH, t, SEED)
        assert np.array_equal(reused.ids, reference.ids) and reused.text == reference.text, t
    cache_ms = statistics.median(results["cache"][0])
    recompute_ms = statistics.median(results["recompute"][0])
    slow_ms = statistics.median(results["slow"][0])
    full_ms = statistics.median(full)
    forwards = results["cache"][1]
    print(f"{len(path)} temperature moves, {LENGTH} tokens each after {PROMPT!r}, seed {SEED}:")
    print(f"  reuse + KV cache (cut):     median {cache_ms:.1f} ms, 90th percentile "
          f"{np.percentile(results['cache'][0], 90):.1f} ms, max {max(results['cache'][0]):.1f} ms; "
          f"model passes per move: median {statistics.median(forwards):.0f} of {LENGTH - 1}")
    print(f"  reuse + one-pass recompute: median {recompute_ms:.1f} ms")
    print(f"  reuse + KV cache, the model's own forward for each token (no Gpt2Step): median {slow_ms:.1f} ms, "
          f"{slow_ms / cache_ms:.2f} × the time with it")
    print(f"  no reuse (KV cache only):   median {full_ms:.1f} ms ({LENGTH / full_ms * 1000:.0f} tokens/s), "
          f"{full_ms / cache_ms:.2f} × the time with reuse")
    print(f"  goal <= {GOAL_MS:.0f} ms median: {'met' if cache_ms <= GOAL_MS else 'NOT met'}; text identical to "
          "the plain loop at the stops checked")
    print(json.dumps({
        "model": str(folder) if folder != gpt.DEFAULT_FOLDER else "data/gpt_tokens",
        "smoke_model": folder == SMOKE,
        "moves": len(path),
        "median_ms": round(cache_ms, 1),
        "p90_ms": round(float(np.percentile(results["cache"][0], 90)), 1),
        "recompute_median_ms": round(recompute_ms, 1),
        "models_own_forward_median_ms": round(slow_ms, 1),
        "ratio_own_forward_over_fast_step": round(slow_ms / cache_ms, 2),
        "no_reuse_median_ms": round(full_ms, 1),
        "ratio_no_reuse_over_reuse": round(full_ms / cache_ms, 2),
        "tokens_per_s_no_reuse": round(LENGTH / full_ms * 1000),
        "tokens_per_s_with_reuse": round(LENGTH / cache_ms * 1000),
        "median_model_passes_per_move": float(statistics.median(forwards)),
        "goal_ms": GOAL_MS,
    }))


if __name__ == "__main__":
    main()
