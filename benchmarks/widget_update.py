"""How long a slider move takes in the kernel: lesson 1's and 2's explorers.

Measures the Python side of one temperature change (compute, redraw, PNG encode), the part the
kernel controls; the browser adds ~10 ms to show the new image. Baseline: what a straightforward
callback does, clearing the axes, redrawing everything and calling ``fig.savefig``.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/widget_update.py

Prints one JSON object on its last line.
"""

from __future__ import annotations

import io
import json

from helpers import data, plots, widgets
from timing import median_ms

TEMPERATURES = [0.0, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 5.0] * 5


def main() -> None:
    text = data.load_corpus()
    vocab = data.Vocabulary.from_text(text)
    logits = data.next_char_logits(text, "th", vocab)

    explorer = widgets.TemperatureExplorer({"th": logits}, vocab.chars)
    sampler = widgets.SamplingExplorer(logits, vocab.chars)

    def baseline(t: float) -> None:  # clear, redraw all, savefig
        explorer.ax.clear()
        view = plots.distribution_view(logits, vocab.chars, t)
        plots.bar_distribution(explorer.ax, view, title=f"T = {t}")
        explorer.figure.savefig(io.BytesIO(), format="png")

    def set_t(app):
        return lambda t: setattr(app.slider, "value", t)

    result = {
        "baseline_full_redraw_savefig_ms": round(median_ms(baseline, TEMPERATURES), 1),
        "temperature_explorer_ms": round(median_ms(set_t(explorer), TEMPERATURES), 1),
        "sampling_explorer_ms": round(median_ms(set_t(sampler), TEMPERATURES), 1),
    }
    result["speedup_temperature_explorer"] = round(
        result["baseline_full_redraw_savefig_ms"] / result["temperature_explorer_ms"], 2
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
