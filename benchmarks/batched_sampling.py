"""Sampling 8 temperatures in one batched pass against 8 separate runs (shipped 2 × 384 LSTM).

`helpers.char_lstm.sample_many` continues one prompt at 8 temperatures at once (a batch of 8 rows
through the fused numpy step, the same noise for every row); row i is exactly what
`helpers.char_lstm.sample(model, prompt, length, temperatures[i], seed)` gives (a test checks it).
Compared with 8 calls of that reference `sample` (`ratio`), and, to be honest about where the gain
comes from, with 8 calls of the fast batch-1 sampler (`ratio_vs_fast_single`).

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/batched_sampling.py

Prints one JSON object on its last line: characters per second of each, and the ratios.
"""

from __future__ import annotations

import json

from helpers import char_lstm
from timing import median_ms

PROMPT, LENGTH = "ROMEO:\n", 300
TEMPERATURES = (0.0, 0.2, 0.5, 0.8, 1.0, 1.3, 2.0, 3.0)


def chars_per_second(fn, repeats: int) -> float:
    return len(TEMPERATURES) * LENGTH / (median_ms(fn, range(repeats)) / 1000)


def main() -> None:
    model = char_lstm.load_pretrained()
    fast = char_lstm.FastSampler(model)
    texts, _ = char_lstm.sample_many(model, PROMPT, LENGTH, TEMPERATURES, seed=0)
    assert texts == [char_lstm.sample(model, PROMPT, LENGTH, t, seed=0) for t in TEMPERATURES]
    batched = chars_per_second(lambda s: char_lstm.sample_many(model, PROMPT, LENGTH, TEMPERATURES, seed=s), 7)
    separate = chars_per_second(lambda s: [char_lstm.sample(model, PROMPT, LENGTH, t, seed=s) for t in TEMPERATURES], 3)
    fast_single = chars_per_second(lambda s: [fast.sample(PROMPT, LENGTH, t, seed=s) for t in TEMPERATURES], 7)
    print(json.dumps({
        "batched_chars_per_s": round(batched),
        "separate_reference_chars_per_s": round(separate),
        "separate_fast_chars_per_s": round(fast_single),
        "ratio": round(batched / separate, 1),
        "ratio_vs_fast_single": round(batched / fast_single, 2),
    }))


if __name__ == "__main__":
    main()
