"""The thread policy under contention: the same work idle, beside busy programs, and on one CPU.

Three pieces of work a class waits for:

- **dashboard**: the lesson-4 dashboard's update after a temperature move (the shipped 2 × 384 LSTM,
  300 characters, over 40 slider stops), median per move;
- **lesson-3 step**: one training step of lesson 3's tiny RNN (32 streams × 25 characters), median;
- **lesson-4 step**: one training step of lesson 4's small LSTM (64 windows × 64 characters), median;
- **lesson-4 cell**: code outside the helpers, lesson 4's first cell (100 products of 128 × 128
  matrices and their spectral norms, with PyTorch loaded as in the lesson), median of 5 runs.

Each runs in a fresh process, in three situations, all in one run of this script:

- **idle**: nothing else running;
- **busy**: beside one CPU-bound program per CPU this process may use (a shared hub, a busy laptop);
- **one CPU**: pinned to a single CPU (``taskset -c 0``, a hub with a one-CPU quota), idle otherwise;

and under two thread settings: **policy** (``helpers.threads``, the default) and **before** (the
thread counts fixed at the number of CPUs, which is what numpy and PyTorch do by themselves and what
the lessons did before the policy: ``LESSONS_THREADS=<CPUs>``). It prints each median and its ratio
to the same work idle under the policy, and one JSON object on its last line.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/contention.py

Goals (issue 16): busy ≤ 3× idle for all three; one CPU ≤ 1.5× idle for the dashboard. Run it alone
on the machine: it makes its own load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORK = ("dashboard", "lesson-3 step", "lesson-4 step", "lesson-4 cell")
SITUATIONS = ("idle", "busy", "one CPU")
SETTINGS = ("policy", "before")


# ------------------------------------------------------------------------------- in the worker


def _dashboard_ms() -> list[float]:
    from helpers import char_lstm, widgets

    model = char_lstm.load_pretrained()
    dashboard = widgets.TemperatureDashboard(model, prompt="ROMEO:\n", temperature=0.0, length=300, seed=0)
    grid = list(widgets.temperature_grid(3.0))
    path = (grid[1:] + grid[-2::-1])[:40]
    times = []
    for t in path:
        start = time.perf_counter()
        dashboard.slider.value = t
        times.append(1000 * (time.perf_counter() - start))
    return times


def _step_times(stamps: list[float]) -> list[float]:
    return [1000 * (b - a) for a, b in zip(stamps, stamps[1:])]


def _rnn_step_ms() -> list[float]:
    from helpers import data, tiny_rnn

    text = data.load_corpus()
    vocab = data.Vocabulary.from_text(text)
    train_ids, _ = data.train_val_split(vocab.encode(text))
    params = tiny_rnn.init_params(vocab.size, tiny_rnn.RECIPE["hidden_size"], seed=1)
    state = tiny_rnn.start_training(params, train_ids, batch_size=32, learning_rate=0.1)
    stamps: list[float] = []
    tiny_rnn.train(state, train_ids, steps=150, seq_length=25, every=1, callback=lambda s: stamps.append(time.perf_counter()))
    return _step_times(stamps[20:])  # after warming up


def _lstm_step_ms() -> list[float]:
    from helpers import char_lstm, data

    text = data.load_corpus()[:300_000]  # a shorter validation split: the steps are what is timed
    config = char_lstm.Config(embedding=32, hidden=256, layers=1, dropout=0.0, batch_size=64, seq_length=64,
                              steps=10, eval_every=1000, max_lr=1e-2, seed=0)
    stamps: list[float] = []
    char_lstm.train(text, config, on_step=lambda step, loss: stamps.append(time.perf_counter()))
    return _step_times(stamps[1:-1])  # not the first step (set-up) nor the last (its validation)


def _lesson_cell_ms() -> list[float]:
    import numpy as np

    import helpers.char_lstm  # noqa: F401  (PyTorch loaded, as in lesson 4)

    times = []
    for _ in range(5):
        start = time.perf_counter()
        rng = np.random.default_rng(0)
        w_hh, w_xh = rng.normal(0, 1 / np.sqrt(128), (128, 128)), rng.normal(0, 1, (128, 128))
        h, jacobian = np.zeros(128), np.eye(128)
        for _k in range(100):
            h = np.tanh(w_hh @ h + 0.3 * w_xh @ rng.normal(size=128))
            jacobian = (1 - h**2)[:, None] * w_hh @ jacobian
            np.linalg.norm(jacobian, 2)
        times.append(1000 * (time.perf_counter() - start))
    return times


def worker(work: str) -> None:
    measure = {"dashboard": _dashboard_ms, "lesson-3 step": _rnn_step_ms, "lesson-4 step": _lstm_step_ms,
               "lesson-4 cell": _lesson_cell_ms}[work]
    times = measure()
    print(json.dumps({"median_ms": statistics.median(times), "n": len(times)}))


# ------------------------------------------------------------------------------- the run


def _busy_programs(cpus: list[int], pinned: bool = False) -> list[subprocess.Popen]:
    """One CPU-bound program per CPU, free to move between them (as other people's programs are),
    or each ``pinned`` to its own CPU (harsher: a one-thread job then shares one CPU half and half)."""
    code = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\n" if pinned else ""
    return [subprocess.Popen([sys.executable, "-c", code + "while True: pass", str(c)]) for c in cpus]


def measure(work: str, situation: str, setting: str, cpus: list[int], pin_busy: bool = False) -> float:
    env = dict(os.environ)
    env.pop("LESSONS_THREADS", None)
    mine = [cpus[0]] if situation == "one CPU" else cpus
    if setting == "before":
        env["LESSONS_THREADS"] = str(len(mine))
    busy = _busy_programs(cpus, pin_busy) if situation == "busy" else []
    try:
        if busy:
            time.sleep(1.0)  # let them get going
        code = (f"import os, sys; os.sched_setaffinity(0, {set(mine)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"import contention; contention.worker({work!r})")
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    finally:
        for p in busy:
            p.kill()
            p.wait()
    if done.returncode != 0:
        raise RuntimeError(f"{work} / {situation} / {setting} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["median_ms"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", nargs="*", default=list(WORK), choices=WORK)
    parser.add_argument("--pin-busy", action="store_true", help="pin each busy program to its own CPU")
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    print(f"{len(cpus)} CPUs; busy = {len(cpus)} CPU-bound programs, one per CPU"
          f"{' (each pinned to its CPU)' if args.pin_busy else ''}", flush=True)
    results: dict[str, dict[str, float]] = {}
    for work in args.work:
        for setting in SETTINGS:
            for situation in SITUATIONS:
                ms = measure(work, situation, setting, cpus, args.pin_busy)
                results.setdefault(work, {})[f"{situation} / {setting}"] = round(ms, 1)
                print(f"  {work:14} {situation:8} {setting:7} {ms:9.1f} ms", flush=True)
    print()
    print(f"{'median ms (ratio to idle, policy)':36}" + "".join(f"{s + ' / ' + p:>20}" for p in SETTINGS for s in SITUATIONS))
    ratios: dict[str, dict[str, float]] = {}
    for work, row in results.items():
        idle = row["idle / policy"]
        ratios[work] = {key: round(ms / idle, 2) for key, ms in row.items()}
        print(f"{work:36}" + "".join(f"{row[f'{s} / {p}']:>11.1f} ({row[f'{s} / {p}'] / idle:4.1f}x)"
                                     for p in SETTINGS for s in SITUATIONS))
    goals = {work: {"busy <= 3x idle": ratios[work]["busy / policy"] <= 3.0} for work in ratios}
    if "dashboard" in ratios:
        goals["dashboard"]["one CPU <= 1.5x idle"] = ratios["dashboard"]["one CPU / policy"] <= 1.5
    print(json.dumps({"median_ms": results, "ratio_to_idle": ratios, "goals_met": goals}))


if __name__ == "__main__":
    main()
