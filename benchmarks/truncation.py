"""What truncation costs: the lesson-6 dashboard's update, the sampler's step, and lesson 6's sweep.

1. `helpers.widgets.TruncationDashboard` on the shipped 2 × 384 LSTM (prompt "ROMEO:\\nI will ",
   300 characters, seed 0, min-p 0.1, temperature last): the temperature slider moved one stop at a
   time from 0 to 3 and back, then every stop of the top-k, top-p and min-p sliders and the order
   toggle. Each move runs the whole update synchronously (regenerate reusing the unchanged prefix,
   chart from its cached background, PNG, shaded text). The same path with the lesson-4 dashboard
   (no truncation) gives the ratio.
2. 300 characters from `FastSampler` with and without truncation (top-p 0.9 / min-p 0.1 / all three).
3. Lesson 6's sweep: 6 settings × 10 temperatures × 8 seeds × 2 prompts × 500 characters.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/truncation.py

Prints one JSON object on its last line (milliseconds unless named otherwise).
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from helpers import char_lstm, sampling, widgets
from timing import elapsed_ms, median_ms

PROMPT, LENGTH, SEED = "ROMEO:\nI will ", 300, 0


def dashboard_moves(model) -> dict:
    grid = list(widgets.temperature_grid(3.0))
    path = grid[1:] + grid[-2::-1]
    d = widgets.TruncationDashboard(model, prompt=PROMPT, temperature=0.0, min_p=0.1, temperature_last=True,
                                    length=LENGTH, seed=SEED)
    slider = [elapsed_ms(lambda: setattr(d.temperature, "value", t)) for t in path]
    knobs = []
    for control, stops in ((d.top_k, widgets.TOP_K_STOPS), (d.top_p, widgets.TOP_P_STOPS), (d.min_p, widgets.MIN_P_STOPS)):
        for value in stops:
            knobs.append(elapsed_ms(lambda: setattr(control, "value", value)))
    knobs += [elapsed_ms(lambda: setattr(d.order, "value", v)) for v in (False, True, False)]
    assert d.result.text == char_lstm.sample(model, PROMPT, LENGTH, d.temperature.value, SEED, **{
        "top_k": d.truncation.top_k, "top_p": d.truncation.top_p, "min_p": d.truncation.min_p,
        "temperature_last": d.truncation.temperature_last})
    plain = widgets.TemperatureDashboard(model, prompt=PROMPT, temperature=0.0, length=LENGTH, seed=SEED)
    plain_times = [elapsed_ms(lambda: setattr(plain.slider, "value", t)) for t in path]
    return {
        "slider_median_ms": round(statistics.median(slider), 1),
        "slider_max_ms": round(max(slider), 1),
        "knob_median_ms": round(statistics.median(knobs), 1),
        "knob_max_ms": round(max(knobs), 1),
        "lesson4_dashboard_median_ms": round(statistics.median(plain_times), 1),
        "chart_ms": round(statistics.median(
            elapsed_ms(lambda: d.chart.render(t, d.truncation, "x")) for t in grid), 1),
    }


def sampler_cost(model) -> dict:
    fast = char_lstm.FastSampler(model)
    state = fast.prompt_state(PROMPT)
    seeds = range(20)
    out = {}
    for name, truncation in [("none", None), ("top_p", sampling.Truncation(top_p=0.9)),
                             ("min_p", sampling.Truncation(min_p=0.1)),
                             ("all_three", sampling.Truncation(top_k=10, top_p=0.9, min_p=0.05))]:
        out[f"sample300_{name}_ms"] = round(median_ms(lambda s: fast.continuation(state, LENGTH, 1.0, s, truncation=truncation), seeds), 1)
    out["truncation_overhead_ratio_all_three"] = round(out["sample300_all_three_ms"] / out["sample300_none_ms"], 2)
    return out


def sweep_seconds(model) -> float:
    temperatures = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0]
    families = [sampling.Truncation(), sampling.Truncation(top_k=10), sampling.Truncation(top_p=0.9),
                sampling.Truncation(top_p=0.9, temperature_last=True), sampling.Truncation(min_p=0.1),
                sampling.Truncation(min_p=0.1, temperature_last=True)]
    start = time.perf_counter()
    for truncation in families:
        char_lstm.sweep(model, ["ROMEO:\n", "First Citizen:\n"], 500, temperatures, range(8), truncation)
    return round(time.perf_counter() - start, 1)


def main() -> None:
    model = char_lstm.load_pretrained()
    result = {**dashboard_moves(model), **sampler_cost(model), "lesson6_sweep_sampling_s": sweep_seconds(model)}
    result["slider_ratio_to_lesson4"] = round(result["slider_median_ms"] / result["lesson4_dashboard_median_ms"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
