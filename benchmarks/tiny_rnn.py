"""Train lesson 3's tiny RNN two ways for the same wall time and compare.

1. A per-sequence loop written like min-char-rnn: one sequence of 25 characters at a time, one-hot
   column vectors, one time step at a time (`helpers.tiny_rnn.loop_loss_and_grads`).
2. `helpers.tiny_rnn.train`: the same model, gradients and Adagrad, vectorised over a batch of
   sequences (at batch size 1 it computes exactly what the loop computes; a test checks that).

Same configuration for both: hidden size 100, sequence length 25, one-hot input over the corpus
vocabulary (65 characters), gradient clipping at 5, Adagrad with learning rate 0.1, seed 0.
Reports characters per second of each, their ratio, the validation loss (nats/char, first 50,000
characters of the validation split) each reached in the same wall time, and sampling speed.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/tiny_rnn.py [--seconds 20]

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from helpers import data
from helpers import tiny_rnn as rnn

HIDDEN, SEQ, LR, SEED = 100, 25, 0.1, 0


def train_loop(train_ids: np.ndarray, vocab_size: int, seconds: float) -> tuple[dict, int]:
    """min-char-rnn's training loop, stopped after ``seconds``. Returns (params, characters seen)."""
    params = rnn.init_params(vocab_size, HIDDEN, SEED)
    opt = rnn.Adagrad(LR)
    p, hprev, chars = 0, np.zeros(HIDDEN), 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if p + SEQ + 1 >= len(train_ids):
            p, hprev = 0, np.zeros(HIDDEN)
        inputs = train_ids[p : p + SEQ].tolist()
        targets = train_ids[p + 1 : p + SEQ + 1].tolist()
        _, grads, hprev = rnn.loop_loss_and_grads(params, inputs, targets, hprev)
        opt.step(params, rnn.clip_grads(grads, 5.0))
        p += SEQ
        chars += SEQ
    return params, chars


def train_batched(train_ids: np.ndarray, vocab_size: int, seconds: float, batch_size: int) -> tuple[dict, int]:
    """helpers.tiny_rnn.train in chunks of 50 steps until ``seconds`` have passed."""
    params = rnn.init_params(vocab_size, HIDDEN, SEED)
    state = rnn.start_training(params, train_ids, batch_size, LR)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        rnn.train(state, train_ids, steps=50, seq_length=SEQ)
    return state.params, state.step * batch_size * SEQ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="wall time for each trainer")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    text = data.load_corpus()
    vocab = data.Vocabulary.from_text(text)
    train_ids, val_ids = data.train_val_split(vocab.encode(text))
    val_ids = val_ids[:50_000]

    t0 = time.perf_counter()
    loop_params, loop_chars = train_loop(train_ids, vocab.size, args.seconds)
    loop_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    batched_params, batched_chars = train_batched(train_ids, vocab.size, args.seconds, args.batch_size)
    batched_s = time.perf_counter() - t0

    prompt = vocab.encode("ROMEO:\n")
    t0 = time.perf_counter()
    rnn.generate(batched_params, prompt, 2000, 1.0, seed=0)
    sample_s = time.perf_counter() - t0

    result = {
        "seconds_each": args.seconds,
        "batch_size": args.batch_size,
        "loop_chars_per_s": round(loop_chars / loop_s),
        "batched_chars_per_s": round(batched_chars / batched_s),
        "ratio": round((batched_chars / batched_s) / (loop_chars / loop_s), 2),
        "loop_val_loss": round(rnn.evaluate(loop_params, val_ids), 4),
        "batched_val_loss": round(rnn.evaluate(batched_params, val_ids), 4),
        "sampling_chars_per_s": round(2000 / sample_s),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
