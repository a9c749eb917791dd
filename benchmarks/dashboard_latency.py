"""How fast the lesson-4 dashboard reacts to its temperature slider (the Python side).

Builds `helpers.widgets.TemperatureDashboard` on the shipped 2 × 384 LSTM (prompt "ROMEO:\\n",
300 characters, seed 0) and moves the slider one stop at a time over its whole range, up and back
down, as holding an arrow key on the slider does. Each move runs the dashboard's whole update path
synchronously: regenerate the continuation (reusing the unchanged prefix), redraw the chart from its
cached background, encode the PNG, shade the text. Also times a prompt change, and checks at
several stops that the text is the reference sampler's for the same seed.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/dashboard_latency.py

Prints one JSON object on its last line (milliseconds): `median_ms` and `max_ms` per temperature
change, `prompt_change_ms`, and for comparison `full_chart_redraw_ms` (a complete matplotlib draw
of the same chart) and `chart_ms` (the cached-background redraw alone).
"""

from __future__ import annotations

import json
import statistics

import numpy as np

from helpers import char_lstm, plots, widgets
from timing import elapsed_ms

PROMPT, LENGTH, SEED = "ROMEO:\n", 300, 0


def main() -> None:
    model = char_lstm.load_pretrained()
    dashboard = widgets.TemperatureDashboard(model, prompt=PROMPT, temperature=0.0, length=LENGTH, seed=SEED)
    grid = list(widgets.temperature_grid(3.0))
    path = grid[1:] + grid[-2::-1]  # 0 → 3 → 0, one stop per key press
    times = []
    for k, t in enumerate(path):
        times.append(elapsed_ms(lambda: setattr(dashboard.slider, "value", t)))
        if k % 15 == 0:  # the live text is exactly the reference sampler's
            assert dashboard.result.text == char_lstm.sample(model, PROMPT, LENGTH, t, SEED), t
    prompts = ["JULIET:\n", "KING RICHARD III:\nNow is the winter", "First Citizen:\n", "To be, or not", "ROMEO:\n"]
    prompt_times = [elapsed_ms(lambda: setattr(dashboard.prompt, "value", p)) for p in prompts]
    chart = dashboard.chart
    chart_times = [elapsed_ms(lambda: chart.render(t)) for t in grid]
    full_times = [elapsed_ms(lambda: plots.figure_to_png(chart.figure)) for _ in range(10)]
    print(
        f"{len(times)} slider moves: median {statistics.median(times):.1f} ms, 90th percentile "
        f"{np.percentile(times, 90):.1f} ms, max {max(times):.1f} ms"
    )
    print(json.dumps({
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(float(np.percentile(times, 90)), 1),
        "max_ms": round(max(times), 1),
        "moves": len(times),
        "prompt_change_ms": round(statistics.median(prompt_times), 1),
        "chart_ms": round(statistics.median(chart_times), 1),
        "full_chart_redraw_ms": round(statistics.median(full_times), 1),
    }))


if __name__ == "__main__":
    main()
