"""How long lesson 5's sweep takes: 16 temperatures × 8 seeds × 2 prompts × 500 characters.

Generates the 256 samples with the shipped LSTM in two batched passes
(`helpers.char_lstm.sample_many`) and measures each with `helpers.metrics` (loops, distinct-n,
invented words, novelty and its split, character novelty, form), as the lesson does.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/temperature_sweep.py

Prints one JSON object on its last line (seconds): `index_s` (n-gram index of the training text),
`sampling_s`, `metrics_s`, `total_s`, and `samples_per_s`.
"""

from __future__ import annotations

import json
import time

from helpers import char_lstm, data, metrics

TEMPERATURES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]
SEEDS = range(8)
PROMPTS = ["ROMEO:\n", "First Citizen:\n"]
LENGTH = 500


def main() -> None:
    model = char_lstm.load_pretrained()
    train_ids, _ = data.train_val_split(model.vocab.encode(data.load_corpus()))
    train_text = model.vocab.decode(train_ids)
    start = time.perf_counter()
    index = metrics.ngram_index(train_text)
    index.word_grams(3)
    index.char_grams(12)
    indexed = time.perf_counter()
    rows_t = [t for t in TEMPERATURES for _ in SEEDS]
    rows_seed = [s for _ in TEMPERATURES for s in SEEDS]
    samples = []
    for prompt in PROMPTS:
        texts, _ = char_lstm.sample_many(model, prompt, LENGTH, rows_t, seed=rows_seed)
        samples += texts
    sampled = time.perf_counter()
    for s in samples:
        metrics.repeating_loop(s)
        metrics.distinct_n(s, 4)
        metrics.invented_word_rate(s, train_text)
        metrics.novelty(s, train_text, 3)
        metrics.novelty_split(s, train_text, 3)
        metrics.char_novelty(s, train_text, 12)
        metrics.form_score(s)
    measured = time.perf_counter()
    print(json.dumps({
        "samples": len(samples),
        "index_s": round(indexed - start, 2),
        "sampling_s": round(sampled - indexed, 2),
        "metrics_s": round(measured - sampled, 2),
        "total_s": round(measured - start, 2),
        "samples_per_s": round(len(samples) / (measured - indexed), 1),
    }))


if __name__ == "__main__":
    main()
