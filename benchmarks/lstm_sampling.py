"""Generating 300 characters with the shipped 2 × 384 LSTM: reference sampler against the fused one.

The reference (`helpers.char_lstm.sample`) steps `nn.LSTM` one character at a time from Python;
`helpers.char_lstm.FastSampler` runs the same computation as a fused float32 numpy loop (layer 0's
input projection looked up per character, one matrix product per layer), optionally from a cached
prompt state. A test checks that both give the same text for the same seed.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/lstm_sampling.py

Prints one JSON object on its last line (medians of repeated runs, in milliseconds).
"""

from __future__ import annotations

import json

from helpers import char_lstm
from timing import median_ms

PROMPT, LENGTH, TEMPERATURE = "ROMEO:\n", 300, 0.8


def main() -> None:
    model = char_lstm.load_pretrained()
    fast = char_lstm.FastSampler(model)
    cached = fast.prompt_state(PROMPT)
    result = {
        "reference_ms": round(median_ms(lambda s: char_lstm.sample(model, PROMPT, LENGTH, TEMPERATURE, seed=s), range(5)), 1),
        "fast_ms": round(median_ms(lambda s: fast.sample(PROMPT, LENGTH, TEMPERATURE, seed=s), range(15)), 1),
        "fast_cached_prompt_ms": round(median_ms(lambda s: fast.sample(cached, LENGTH, TEMPERATURE, seed=s), range(15)), 1),
    }
    result["ratio"] = round(result["reference_ms"] / result["fast_cached_prompt_ms"], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
