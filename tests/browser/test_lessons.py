"""Every lesson with widgets, run in JupyterLab in Chromium; every control moved by a real gesture.

For each widget the test builds the same widget in Python from the lesson's own cell (its oracle),
makes each move in the page and on the oracle, and checks that the page shows exactly what Python
computed (status lines, texts, every pixel of the chart) and that no image is blank. Lesson 3's
sample explorer has no oracle (its model is trained in the lesson), so it is checked against what
each value implies: the temperature it reports, the same text when a move is undone, a greedy text
that ignores the seed, more surprise at T = 3 than at T = 0. Lessons 3 and 4 take their training
cells' one-line switch to the shipped run, as a class on a slow machine does (lesson 3's monitor then
replays that run: its curve and last sample are checked; nbval and the simulated machine run both
trainings, and tests/test_plots_widgets.py feeds the monitor step by step).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers import char_lstm, data

from .conftest import LATENCIES, ROOT, SHOTS
from .driver import (Move, WidgetUnderTest, cell_widget, oracle as _oracle, run_lesson, shutdown_lesson_kernel,
                     widget_cell, with_only_the_cells_for)


@pytest.fixture(scope="module")
def vocab(corpus_text):
    return data.Vocabulary.from_text(corpus_text)


def _open(page, name: str, marker: str, title: str, oracle=None) -> WidgetUnderTest:
    """The widget of lesson ``name``'s cell with ``marker``, checked against ``oracle``."""
    index, _ = widget_cell(name, marker)
    shots = SHOTS / Path(name).stem / title.split(" · ")[-1].replace(" ", "_")
    return WidgetUnderTest(page.page, cell_widget(page.page, index), oracle, title, shots, LATENCIES)


def _run_and_open(page, lab_server, name: str, marker: str, title: str, **names) -> WidgetUnderTest:
    """Run lesson ``name`` in the page; return its widget (cell with ``marker``) with an oracle built
    from that cell and ``names``, after checking that the page shows what the oracle shows."""
    run_lesson(page.page, lab_server, name)
    _, source = widget_cell(name, marker)
    ui = _open(page, name, marker, title, _oracle(source, **names).root)
    ui.assert_matches_oracle()
    ui.assert_images_drawn()
    return ui


def _finish(page, lab_server, name: str) -> None:
    shutdown_lesson_kernel(lab_server, name)
    assert not page.blocked, f"{name}: the page asked for something beyond this machine: {page.blocked}"
    assert not page.console_errors, f"{name}: browser console errors: {page.console_errors}"


def test_lesson1_temperature_explorer(page, lab_server, corpus_text, vocab, lesson_style):
    name = "01_softmax_and_temperature.ipynb"
    ui = _run_and_open(page, lab_server, name, "widgets.TemperatureExplorer(", "lesson 1 · temperature explorer",
                       text=corpus_text, vocab=vocab)
    context, temperature = 0, 1
    for gesture in ["right", "right", "right", "left", "left", "left", "home", "end", "left"]:
        ui.move(Move(f"T {gesture}", temperature, gesture), latency_key="temperature T")
    assert ui.texts()[0].startswith("T = 4.75 ·"), ui.texts()[0]
    for option in ["'q'", "'the '", "'th'"]:
        ui.move(Move(f"context {option}", context, "select", option), latency_key="context")
    ui.move(Move("T home", temperature, "home"), latency_key="temperature T")
    status = ui.texts()[0]
    assert status.startswith("T = 0 (greedy) · entropy 0.00 bits · effective number of choices 1.0"), status
    _finish(page, lab_server, name)


def test_lesson2_sampling_explorer(page, lab_server, corpus_text, vocab, lesson_style):
    name = "02_sampling.ipynb"
    logits = data.next_char_logits(corpus_text, "th", vocab)  # lesson 2's first cell
    ui = _run_and_open(page, lab_server, name, "widgets.SamplingExplorer(", "lesson 2 · sampling explorer",
                       logits=logits, vocab=vocab)
    temperature, draws, seed = 0, 1, 2
    for gesture in ["right", "right", "left", "home", "end", "left"]:
        ui.move(Move(f"T {gesture}", temperature, gesture), latency_key="temperature T")
    for gesture in ["left", "end", "home"]:
        ui.move(Move(f"draws {gesture}", draws, gesture), latency_key="number of draws")
    assert ui.texts()[1].startswith("T = 4.75, 10 draws"), ui.texts()[1]
    for value in ["1", "12345"]:
        ui.move(Move(f"seed {value}", seed, "type", value), latency_key="seed")
    # Out-of-range or odd input is refused with a message beside the box, never silently changed.
    for value, says in [("1.5", "'1.5' is not a whole number"), ("99999999999", "99,999,999,999 is too large")]:
        ui.move(Move(f"seed {value}", seed, "type", value))
        assert ui.texts()[0].startswith(f"Not used: seed: {says}") and "(still using 12,345)" in ui.texts()[0], ui.texts()[0]
    ui.move(Move("seed 2", seed, "type", "2"), latency_key="seed")
    assert ui.texts()[0] == ""
    _finish(page, lab_server, name)


def test_lesson3_training_monitor_and_sample_explorer(page, lab_server):
    name = "03_tiny_rnn.ipynb"
    _with_shipped_training_run(lab_server, name)  # the monitor replays it; nbval and the simulated machine train
    run_lesson(page.page, lab_server, name)

    # The training monitor, after the run (the one-line switch a slow machine uses: the shipped run):
    # full progress bar, a loss curve, the last sample.
    index, _ = widget_cell(name, "widgets.TrainingMonitor(")
    monitor = WidgetUnderTest(page.page, cell_widget(page.page, index), None, "lesson 3 · training monitor",
                              SHOTS / "03_tiny_rnn" / "training_monitor", LATENCIES)
    shown = monitor.read()
    assert [x["kind"] for x in shown] == ["progress", "html", "image", "html"]
    assert shown[0]["value"] == "100%", f"progress bar at {shown[0]['value']}"
    assert re.search(r"latest sample at step 6,000", shown[3]["value"]), shown[3]["value"][:200]
    monitor.assert_images_drawn()

    # The sample explorer: what each value implies.
    index, _ = widget_cell(name, "widgets.SampleExplorer(")
    ui = WidgetUnderTest(page.page, cell_widget(page.page, index), None, "lesson 3 · sample explorer",
                         SHOTS / "03_tiny_rnn" / "sample_explorer", LATENCIES)
    assert ui.kinds == ["slider", "text", "html", "html", "html"]
    temperature, seed, message, status, text = 0, 1, 2, 3, 4

    def shown_state():
        s = [x["value"] for x in ui.read()]
        t = s[temperature]
        assert s[status].startswith(f"T = {t} ·"), f"the status says {s[status][:40]!r}, the slider {t!r}"
        bits = float(re.search(r"surprise under the model's own \(T = 1\) probabilities ([\d.]+) bits/char", s[status])[1])
        assert len(s[text]) >= 300, "the sample is 300 characters"
        return s, bits

    start, _ = shown_state()
    ui.move(Move("T right", temperature, "right"), latency_key="temperature T", expect=[status])
    moved, _ = shown_state()
    assert moved[temperature] == "1.1" and moved[status] != start[status]
    ui.move(Move("T left", temperature, "left"), latency_key="temperature T", expect=[status])
    back, _ = shown_state()
    assert back == start, "moving the slider back must give back the same text and numbers (shared noise)"
    ui.move(Move("T home", temperature, "home"), latency_key="temperature T", expect=[status])
    greedy, greedy_bits = shown_state()
    assert greedy[temperature] == "0 (greedy)"
    ui.move(Move("seed 7 at T = 0", seed, "type", "7"))  # greedy ignores the seed: nothing may change
    same, _ = shown_state()
    assert same[text] == greedy[text] and same[status] == greedy[status], "greedy text changed with the seed"
    ui.move(Move("T end", temperature, "end"), latency_key="temperature T", expect=[status, text])
    hot, hot_bits = shown_state()
    assert hot[temperature] == "3" and hot_bits > greedy_bits + 1, (greedy_bits, hot_bits)
    ui.move(Move("seed 0 at T = 3", seed, "type", "0"), latency_key="seed", expect=[status, text])
    other, _ = shown_state()
    assert other[text] != hot[text], "at T = 3 another seed gives another text"
    ui.move(Move("seed -1", seed, "type", "-1"), expect=[message])  # refused, said, and nothing else changes
    refused, _ = shown_state()
    assert refused[message].startswith("Not used: seed: '-1' is a negative number") and refused[text] == other[text]
    _finish(page, lab_server, name)


def _with_shipped_training_run(server, name: str) -> None:
    """Switch the served copy of lesson ``name`` to its shipped training run (``SKIP_TRAINING = True``,
    the line a slow machine changes)."""
    path = Path(server.root) / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("SKIP_TRAINING = False")]
    assert len(cells) == 1, f"{name}: no training cell with the switch"
    cells[0].source = cells[0].source.replace("SKIP_TRAINING = False", "SKIP_TRAINING = True", 1)
    nbformat.write(nb, path)


def test_lesson4_dashboard(page, lab_server, lesson_style):
    name = "04_char_lstm.ipynb"
    _with_shipped_training_run(lab_server, name)  # the dashboard is what is tested here; nbval runs the training
    # the shipped run, the pretrained model and the dashboard: the rest of the lesson is nbval's to run
    with_only_the_cells_for(lab_server, name, "SKIP_TRAINING = True", "demo_model, _, demo_info = char_lstm.load_run(",
                             "model = char_lstm.load_pretrained()", "widgets.TemperatureDashboard(")
    ui = _run_and_open(page, lab_server, name, "widgets.TemperatureDashboard(", "lesson 4 · dashboard",
                       model=char_lstm.load_pretrained())
    prompt, temperature, length, length_box, seed = 0, 1, 2, 3, 4
    for gesture in ["right"] * 5 + ["left"] * 5 + ["home", "right", "end", "left"]:
        ui.move(Move(f"T {gesture}", temperature, gesture), latency_key="temperature T")
    ui.move(Move("T home", temperature, "home"), latency_key="temperature T")
    for _ in range(8):
        ui.move(Move("T right", temperature, "right"), latency_key="temperature T")  # back to T = 0.08
    ui.move(Move("length right", length, "right"), latency_key="length")
    ui.move(Move("length 250 typed", length_box, "type", "250"), latency_key="length")
    ui.move(Move("seed 1", seed, "type", "1"), latency_key="seed")
    # Out-of-range input is refused with a message next to the controls, never silently changed.
    ui.move(Move("length 0", length_box, "type", "0"))
    ui.move(Move("seed 1.5", seed, "type", "1.5"))
    error = ui.texts()[0]
    assert "length: 0 is too small: type a whole number from 50 to 1,000 (still using 250)" in error, error
    assert "seed: '1.5' is not a whole number" in error and "(still using 1)" in error, error
    ui.move(Move("length 300", length_box, "type", "300"), latency_key="length")
    ui.move(Move("seed 2", seed, "type", "2"), latency_key="seed")
    assert ui.texts()[0] == ""
    ui.move(Move("prompt JULIET", prompt, "type", "JULIET:\nO Romeo, "), latency_key="prompt")
    ui.move(Move("prompt with an unknown character", prompt, "type", "ROMEO: café ♥"), latency_key="prompt")
    error = ui.texts()[0]
    assert error.startswith("Not used: prompt:") and "still showing the last valid prompt" in error, error
    ui.move(Move("prompt ROMEO", prompt, "type", "ROMEO:\n"), latency_key="prompt")
    assert ui.texts()[0] == ""
    _finish(page, lab_server, name)


def test_lesson6_truncation_dashboard(page, lab_server, lesson_style):
    name = "06_beyond_temperature.ipynb"
    with_only_the_cells_for(lab_server, name, "widgets.TruncationDashboard(")  # the sweeps are nbval's to run
    ui = _run_and_open(page, lab_server, name, "widgets.TruncationDashboard(", "lesson 6 · truncation dashboard",
                       model=char_lstm.load_pretrained())
    prompt, temperature, top_k, top_p, min_p, order, length, length_box, seed = range(9)
    for gesture in ["left", "left", "right", "right"]:
        ui.move(Move(f"T {gesture}", temperature, gesture), latency_key="temperature T")
    for gesture in ["right", "right", "right", "home"]:
        ui.move(Move(f"top-k {gesture}", top_k, gesture), latency_key="top-k")
    for gesture in ["left", "left", "left", "end"]:
        ui.move(Move(f"top-p {gesture}", top_p, gesture), latency_key="top-p")
    for gesture in ["left", "right", "right", "home", "end", "left", "left"]:
        ui.move(Move(f"min-p {gesture}", min_p, gesture), latency_key="min-p")
    assert "min-p 0.3" in ui.texts()[1], ui.texts()[1]
    # With min-p on, the order decides which characters survive at T = 2.5 (lesson 6, section 3).
    kept = lambda: int(re.search(r"(\d+) of \d+ characters survive", ui.texts()[1])[1])  # noqa: E731
    last = kept()
    ui.move(Move("order: temperature first", order, "click", "temperature first (transformers, vLLM)"), latency_key="order")
    assert kept() > last, "temperature first flattens the distribution before min-p cuts: more survive"
    ui.move(Move("order: temperature last", order, "click", "temperature last (llama.cpp)"), latency_key="order")
    assert kept() == last
    ui.move(Move("length left", length, "left"), latency_key="length")
    ui.move(Move("seed 3", seed, "type", "3"), latency_key="seed")
    ui.move(Move("seed 99999999999", seed, "type", "99999999999"))
    assert "seed: 99,999,999,999 is too large" in ui.texts()[0], ui.texts()[0]
    ui.move(Move("length 1200", length_box, "type", "1200"))
    assert "length: 1,200 is too large" in ui.texts()[0], ui.texts()[0]
    ui.move(Move("prompt JULIET", prompt, "type", "JULIET:\nThou "), latency_key="prompt")
    _finish(page, lab_server, name)


def test_lesson7_dashboard_over_tokens(page, lab_server, lesson_style):
    """Lesson 7's dashboard on the small GPT: the bars are tokens (drawn in the page from the model's
    1,024 logits), the text is the kernel's (our KV-cache loop), lengths count tokens, and a thin
    line marks where each token starts."""
    from helpers import gpt, token_sampling

    name = "07_from_characters_to_tokens.ipynb"
    # the setup, the model switch and the dashboard's cells: the lesson's measurements (a minute of
    # the kernel's time) are nbval's and the simulated machine's to run
    with_only_the_cells_for(lab_server, name, "PRETRAINED = None", "widgets.TemperatureDashboard(sampler=",
                             "dashboard.result.text == reference.text")
    model, tokenizer, _ = gpt.load(gpt.DEFAULT_FOLDER)
    ui = _run_and_open(page, lab_server, name, "widgets.TemperatureDashboard(sampler=", "lesson 7 · dashboard over tokens",
                       sampler=token_sampling.TokenSampler(model, tokenizer))
    prompt, temperature, length, length_box, seed = 0, 1, 2, 3, 4
    assert "next token" in ui.texts()[1] and "bits/token" in ui.texts()[1], ui.texts()[1]
    starts = page.page.locator(".lesson-shaded-body .lesson-token-start").count()
    assert starts == 99, f"{starts} token boundaries marked in a text of 100 tokens"  # every token's but the first
    for gesture in ["right"] * 4 + ["left"] * 4 + ["home", "right", "end", "left"]:
        ui.move(Move(f"T {gesture}", temperature, gesture), latency_key="temperature T")
    ui.move(Move("length right", length, "right"), latency_key="length")
    ui.move(Move("seed 5", seed, "type", "5"), latency_key="seed")
    ui.move(Move("length 500", length_box, "type", "500"))
    error = ui.texts()[0]
    assert "length: 500 is too large: type a whole number from 10 to 200" in error, error
    ui.move(Move("length 60", length_box, "type", "60"), latency_key="length")
    ui.move(Move("prompt JULIET", prompt, "type", "JULIET:\nO Romeo"), latency_key="prompt")
    ui.move(Move("prompt too long", prompt, "type", "O Romeo, Romeo! " * 20))
    error = ui.texts()[0]
    assert error.startswith("Not used: prompt:") and "shorten it" in error, error
    _finish(page, lab_server, name)
