"""The dashboards of lessons 4 and 6 on the shipped model.

Their logic (``helpers.dashboard_logic``) is tested first, without any widget: controls' values in,
chart data, text, status and refused-input messages out. Then the widgets' wiring (every control
reaches the logic, the views get its results), the still picture for readers without a kernel, and
the browser charts' JavaScript arithmetic against Python's (with Node.js, where it is installed).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import numpy as np
import PIL.Image
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import char_lstm, dashboard_logic, frontend, plots, sampling, widgets
from helpers.dashboard_logic import TemperatureLogic, TruncationLogic
from helpers.lstm_numpy import FastSampler


@pytest.fixture(scope="module")
def model():
    return char_lstm.load_pretrained()


@pytest.fixture(scope="module")
def sampler(model):
    return FastSampler(model)


# -- the logic, without widgets ---------------------------------------------------------------------


def test_temperature_logic_maps_every_value_to_what_is_shown(model, sampler):
    logic = TemperatureLogic(sampler, "ROMEO:\n", temperature=0.8, length=200, seed=0)
    logic.generate()
    assert logic.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.8, seed=0)
    assert logic.status_html().startswith("<b>T = 0.8</b> · next character: entropy <b>")
    chart = logic.chart_state()
    view = plots.distribution_view(logic.state.logits, model.vocab.chars, 0.8, 15)
    assert chart["labels"] == list(view.labels) and np.allclose(chart["probs"], view.probs)
    assert chart["title"] == f"Next character after 'ROMEO:\\n': T = 0.8, entropy {view.entropy_bits:.2f} bits"
    content = logic.text_content()
    assert content["text"] == logic.result.text and np.allclose(content["probs"], logic.result.probs, rtol=1e-3)

    logic.temperature = 0.85  # a nearby temperature: the text morphs, it is not replaced
    logic.generate()
    assert logic.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.85, seed=0)
    assert "T = 0.85" in logic.status_html() and "unchanged (shared noise)" in logic.status_html()
    logic.temperature = 0.0
    logic.generate()
    assert "T = 0 (greedy)" in logic.status_html() and "entropy <b>0.00 bits</b>" in logic.status_html()
    assert logic.chart_state()["probs"][0] == 1.0
    assert logic.type_seed("3") and logic.type_length("100") and not logic.type_length("100")
    logic.temperature = 1.5
    logic.generate()
    assert logic.result.text == char_lstm.sample(model, "ROMEO:\n", 100, 1.5, seed=3)
    assert logic.set_prompt("JULIET:\nO Romeo")
    logic.generate()
    assert logic.result.text == char_lstm.sample(model, "JULIET:\nO Romeo", 100, 1.5, seed=3)
    assert logic.chart_data()["context"] == "after 'JULIET:\\nO Romeo'" and len(logic.chart_data()["logits"]) == 65


@pytest.mark.parametrize("Logic", [TemperatureLogic, TruncationLogic])
def test_refused_input_keeps_the_last_good_value_and_says_why(sampler, Logic):
    logic = Logic(sampler, length=100, seed=2)
    assert not logic.type_length("0")
    assert "length: 0 is too small: type a whole number from 50 to 1,000 (still using 100)" in logic.error_html
    assert not logic.type_seed("1.5")
    error = logic.error_html.replace("&#x27;", "'")
    assert "seed: '1.5' is not a whole number: type a whole number from 0 to 2,147,483,647 (still using 2)" in error
    assert not logic.type_seed("99999999999") and "seed: 99,999,999,999 is too large" in logic.error_html
    assert (logic.length.value, logic.seed.value) == (100, 2)  # nothing changed silently
    assert logic.type_seed("5") and "seed" not in logic.error_html and "length: 0" in logic.error_html
    prompt = logic.state.prompt
    assert not logic.set_prompt("ROMEO § says")
    error = logic.error_html.replace("&#x27;", "'")
    assert "not in the vocabulary" in error and "'§'" in error and f"last valid prompt, {prompt!r}" in error
    assert logic.state.prompt == prompt
    assert not logic.set_prompt("") and "at least one character" in logic.error_html
    assert logic.set_prompt(prompt) and logic.type_length("250") and logic.error_html == ""
    with pytest.raises(ValueError, match="length: 20 is too small"):
        Logic(sampler, length=20)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        Logic(sampler, prompt="ROMEO §")


def test_truncation_logic_follows_every_knob(model, sampler):
    prompt = "ROMEO:\nI will "
    logic = TruncationLogic(sampler, prompt, temperature=1.0, length=150, seed=0)
    knobs = dict(top_k=None, top_p=1.0, min_p=0.0, temperature_last=False)
    t = 1.0
    for name, value, knob in [("top_p", 0.5, 0.5), ("temperature", 2.0, None), ("temperature_last", True, True),
                              ("top_k", 3, 3), ("min_p", 0.2, 0.2), ("top_k", 0, None), ("temperature", 0.0, None)]:
        setattr(logic, name, value)
        if name == "temperature":
            t = value
        else:
            knobs[name] = knob
        logic.generate()
        assert logic.result.text == char_lstm.sample(model, prompt, 150, t, seed=0, **knobs), (name, value)
        keep = sampling.truncation_mask(logic.state.logits.astype(np.float64), t, **knobs)
        chart = logic.chart_state()
        assert chart["kept_count"] == int(keep.sum()) and logic.view.kept_count == int(keep.sum())
        assert f"<b>{int(keep.sum())} of {model.vocab.size}</b>" in logic.status_html()
        assert logic.status_html().startswith(f"<b>T = {dashboard_logic.temperature_label(t)}</b> · {logic.truncation.describe()}<br>")
        assert chart["title"].endswith(logic.truncation.describe())
    with pytest.raises(ValueError, match="top_p"):
        TruncationLogic(sampler, top_p=0.0)
    with pytest.raises(ValueError, match="not a stop"):
        TruncationLogic(sampler, top_k=7)


def test_text_content_rounds_the_probabilities_for_the_page():
    content = dashboard_logic.text_content("ab\n", [0.123456789, 1.0, 1e-7])
    assert content == {"text": "ab\n", "probs": [0.1235, 1.0, 1e-7]}
    with pytest.raises(ValueError, match="one probability per character"):
        dashboard_logic.text_content("ab", [0.5])


# -- the widgets: wiring only -------------------------------------------------------------------------


def test_dashboard_wires_every_control_to_its_logic(model):
    d = widgets.TemperatureDashboard(model, prompt="ROMEO:\n", temperature=0.8, length=200, seed=0)
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.8, seed=0)
    assert d.status.value == d.logic.status_html() and d.output.content == d.logic.text_content()
    assert d.bars.state() == d.logic.chart_state() and d.bars.t_index == d.slider.index
    before = (d.status.value, d.output.content, d.bars.state())
    d.slider.value = 0.85  # the chart reads the slider (in the page, through a link in the browser)
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.85, seed=0)
    assert d.bars.state()["title"].startswith("Next character after 'ROMEO:\\n': T = 0.85, entropy")
    assert (d.status.value, d.output.content, d.bars.state()) != before
    d.seed.value = 3
    d.length.value = 100
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 100, 0.85, seed=3)
    assert d.length_slider.value == 100 and d.logic.seed.value == 3
    d.prompt.value = "JULIET:\nO Romeo"
    assert d.result.text == char_lstm.sample(model, "JULIET:\nO Romeo", 100, 0.85, seed=3)
    assert d.bars.context == "after 'JULIET:\\nO Romeo'" and "O Romeo" in d.chart.ax.get_title()
    d.prompt.value = "ROMEO § says"
    assert "not in the vocabulary" in d.error.value and d.bars.context == "after 'JULIET:\\nO Romeo'"
    d.length.box.value = "0"
    assert "still using 100" in d.error.value and "not in the vocabulary" in d.error.value  # each message stays
    d.length_slider.value = 400  # the slider and the box say the same
    assert d.length.box.value == "400" and len(d.result.text) == 400 and "length" not in d.error.value


def test_truncation_dashboard_wires_every_knob(model):
    prompt = "ROMEO:\nI will "
    d = widgets.TruncationDashboard(model, prompt=prompt, temperature=1.0, length=150, seed=0)
    knobs = dict(top_k=None, top_p=1.0, min_p=0.0, temperature_last=False)
    t = 1.0
    for control, value, name, knob in [(d.top_p, 0.5, "top_p", 0.5), (d.temperature, 2.0, None, 2.0),
                                       (d.order, True, "temperature_last", True), (d.top_k, 3, "top_k", 3),
                                       (d.min_p, 0.2, "min_p", 0.2), (d.top_k, 0, "top_k", None)]:
        before = (d.status.value, d.output.content, d.bars.state())
        control.value = value
        if name:
            knobs[name] = knob
        else:
            t = knob
        assert d.result.text == char_lstm.sample(model, prompt, 150, t, seed=0, **knobs), (name, value)
        assert d.bars.state() == d.logic.chart_state() and d.bars.truncation == d.truncation
        assert (d.status.value, d.output.content, d.bars.state()) != before, (name, value)
    assert d.view.kept_count == d.bars.state()["kept_count"]
    d.prompt.value = "ROMEO: ¿"
    assert "Not used:</b> prompt:" in d.error.value


@pytest.mark.parametrize("Logic, knobs", [
    (TemperatureLogic, [{"temperature": 0.9}, {"temperature": 0.0}, {"temperature": 3.0}]),
    (TruncationLogic, [{"temperature": 2.0}, {"top_k": 3}, {"top_p": 0.5}, {"min_p": 0.2},
                       {"temperature_last": True}, {"temperature": 2.0, "min_p": 0.1}]),
])
def test_a_preview_is_what_the_move_shows_and_changes_nothing(sampler, Logic, knobs):
    logic = Logic(sampler, length=200, seed=4)
    logic.generate()
    for move in knobs:
        here = (logic.result, logic.status_html(), logic.text_content(), logic._knob_key())
        answer = logic.preview(**move)
        assert (logic.result, logic.status_html(), logic.text_content(), logic._knob_key()) == here  # nothing moved
        assert logic.preview(**move) is answer  # kept
        fresh = Logic(sampler, length=200, seed=4)  # the same move made on a dashboard that never previewed
        for name in Logic.KNOBS:
            setattr(fresh, name, getattr(logic, name))
        fresh.generate()
        for name, value in move.items():
            setattr(fresh, name, value)
            setattr(logic, name, value)
        fresh.generate()
        assert logic.generate() is answer.result, "the move reuses the preview's continuation"
        assert (answer.status, answer.content) == (logic.status_html(), logic.text_content())
        assert answer.content == fresh.text_content() and answer.status == fresh.status_html()


def test_a_preview_is_not_reused_after_the_prompt_length_or_seed_change(sampler):
    logic = TemperatureLogic(sampler, length=100, seed=0)
    logic.generate()
    answer = logic.preview(temperature=1.5)
    logic.type_seed("1")
    logic.temperature = 1.5
    assert logic.generate() is not answer.result and logic.result.seed == 1
    with pytest.raises(ValueError, match="not a knob of the Temperature dashboard: \\['top_k'\\]"):
        logic.preview(top_k=3)


@pytest.mark.parametrize("Dashboard", [widgets.TemperatureDashboard, widgets.TruncationDashboard])
def test_the_answers_ahead_are_the_neighbouring_stops_with_what_they_show(model, Dashboard):
    d = Dashboard(model, length=120)
    sent = []
    d.output.send = sent.append  # what the page would receive
    first = next(iter(d.knobs))
    control = d.knobs[first]
    control.index -= 1  # a move down: the next stop down is previewed first
    moves = list(d.moves_ahead())
    assert moves[0][1] == {first: widgets._stops(control)[0][control.index - 1]}
    expected = sum((0 < c.index) + (c.index < len(c.options) - 1) for c in d.knobs.values())
    assert len(moves) == expected and len({tuple(i) for i, _ in moves}) == expected
    for indices, move in moves:  # what the kernel sends, one message each (here without an event loop)
        answer = d.logic.preview(**move)
        d.output.send_ahead(indices, answer.status, answer.content)
    assert [m["ahead"] for m in sent] == [",".join(map(str, i)) for i, _ in moves]
    assert {m["generation"] for m in sent} == {d.output.generation}
    indices, move = moves[0]
    generation = d.output.generation
    control.index = indices[0]  # the move the page answered ahead: the kernel's answer is the same
    assert (d.status.value, d.output.content) == (sent[0]["status"], sent[0]["content"])
    assert d.output.generation == generation + 1  # the page drops the answers made before
    assert len(json.dumps(sent[0])) < 4_500


@pytest.mark.parametrize("Dashboard", [widgets.TemperatureDashboard, widgets.TruncationDashboard])
def test_the_views_are_browser_widgets_sent_little_data(model, Dashboard):
    d = Dashboard(model, length=300)
    assert isinstance(d.bars, frontend._Chart) and isinstance(d.output, frontend.ShadedText)
    assert d.bars in d.root.children and d.output in d.root.children
    assert not any(isinstance(w, widgets.widgets.Image) for w in d.root.children)  # no PNG per move
    chart_bytes = len(json.dumps({k: getattr(d.bars, k) for k in ("logits", "labels", "context")}))
    assert chart_bytes < 2_500, chart_bytes  # once per prompt; a move of a knob sends nothing to the chart
    text_bytes = len(json.dumps(d.output.content))
    assert text_bytes < 3_500, text_bytes  # 300 characters and their probabilities, per move
    assert d.bars.colors == frontend.COLORS and d.bars.font_pt == plots.PROJECTOR_FONT_PT


def test_dashboard_shows_a_still_where_widgets_cannot_run(model):
    for d in (widgets.TemperatureDashboard(model, length=50), widgets.TruncationDashboard(model, length=50)):
        bundle = d._repr_mimebundle_()
        assert d.description in bundle["text/plain"]
        assert "data:image/png;base64," in bundle["text/html"] and "entropy" in bundle["text/html"]
        assert plots.colored_text_html(d.result.text, d.result.probs) in bundle["text/html"]


# -- the still pictures (matplotlib): also the browser tests' reference ----------------------------------


def _pixels_of(png: bytes, hex_color: str, ax=None, tolerance: int = 8) -> int:
    """Pixels of ``hex_color`` in ``png``; with ``ax``, only between probability 0 and 0.95 (below the legend)."""
    rgb = np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    if ax is not None:
        height = rgb.shape[0]
        top, bottom = (height - ax.transData.transform((0, y))[1] for y in (0.95, 0.0))
        box = ax.get_window_extent()
        rgb = rgb[int(top) : int(bottom) + 1, int(box.x0) + 2 : int(box.x1) - 1]
    target = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).max(axis=-1) <= tolerance).sum())


def test_the_truncation_still_draws_cut_characters_differently(sampler):
    logic = TruncationLogic(sampler, "ROMEO:\nI will ", length=50)
    logic.generate()
    chart = logic.still_chart()
    assert _pixels_of(logic._png, plots.CUT_COLOR, chart.ax) == 0  # nothing cut, no hatched bars
    logic.top_p, logic.temperature = 0.5, 2.0
    chart = logic.still_chart()
    assert _pixels_of(logic._png, plots.CUT_COLOR, chart.ax) > 0 and _pixels_of(logic._png, plots.TEMPERED_COLOR, chart.ax) > 200
    assert chart.ax.get_title() == logic.chart_state()["title"]


def test_truncation_bars_match_a_full_draw(model, sampler):
    from matplotlib.figure import Figure

    logits = sampler.prompt_state("ROMEO:\nI will ").logits.astype(np.float64)
    chart = plots.TruncationBars()
    chart.show_logits(logits, model.vocab.chars)
    truncation = sampling.Truncation(top_p=0.8, min_p=0.05)
    png = chart.render(1.5, truncation, "a title")
    fig = Figure(figsize=(7.5, 3.0), dpi=100)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2)
    plots.truncation_bars(ax, plots.truncation_view(logits, model.vocab.chars, 1.5, truncation), title="a title")
    ax.title.set_fontsize(plots.PROJECTOR_FONT_PT - 1)
    full = plots.figure_to_png(fig)
    a = np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    b = np.asarray(PIL.Image.open(io.BytesIO(full)).convert("RGB")).astype(int)
    assert a.shape == b.shape
    assert (np.abs(a - b).max(axis=-1) > 40).mean() < 0.002  # the same picture, up to antialiasing


# -- the browser charts' arithmetic (charts.js) against Python's -------------------------------------

NODE = shutil.which("node")
_RUNNER = """
import { temperatureState, truncationState } from "./charts.mjs";
let s = "";
process.stdin.on("data", (d) => (s += d));
process.stdin.on("end", () => {
  const out = JSON.parse(s).map(({ kind, traits }) => {
    const m = { get: (k) => traits[k] };
    return kind === "truncation" ? truncationState(m) : temperatureState(m);
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _run_js(tmp_path, cases: list[dict]) -> list[dict]:
    (tmp_path / "charts.mjs").write_text((frontend.FRONTEND_DIR / "charts.js").read_text())
    (tmp_path / "run.mjs").write_text(_RUNNER)
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, input=json.dumps(cases), capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


def assert_same_state(js: dict, py: dict, where: object = "") -> None:
    """The browser's chart state equals Python's: labels, kept sets and title exactly, numbers to 1e-9."""
    assert js.keys() == py.keys(), where
    for key, want in py.items():
        got = js[key]
        if isinstance(want, list) and want and isinstance(want[0], float):
            assert np.allclose(got, want, rtol=0, atol=1e-9), (where, key, got, want)
        elif isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-9), (where, key)
        else:
            assert got == want, (where, key, got, want)


def _traits(chart: frontend._Chart) -> dict:
    return {name: getattr(chart, name) for name in chart.trait_names(sync=lambda x: x) if not name.startswith("_")
            and name not in ("layout", "comm", "keys", "tabbable", "tooltip")}


@pytest.mark.skipif(NODE is None, reason="Node.js not installed (the browser tests check the same in Chromium)")
def test_the_browser_chart_computes_what_python_computes(model, tmp_path):
    """Every temperature stop, and knobs drawn at random, on three prompts (plus random logits)."""
    cases, expected = [], []
    rng = np.random.default_rng(0)
    for prompt in ("ROMEO:\n", "ROMEO:\nI will ", "JULIET:\nO Rom"):
        d = widgets.TemperatureDashboard(model, prompt=prompt, length=50)
        for index in range(len(d.slider.options)):
            d.slider.index = index
            d.bars.t_index = index
            cases.append({"kind": "temperature", "traits": _traits(d.bars)})
            expected.append(d.bars.state())
        e = widgets.TruncationDashboard(model, prompt=prompt, length=50)
        for _ in range(60):
            for control, trait in ((e.temperature, "t_index"), (e.top_k, "top_k_index"), (e.top_p, "top_p_index"),
                                   (e.min_p, "min_p_index"), (e.order, "order_index")):
                index = int(rng.integers(len(control.options)))
                setattr(e.bars, trait, index)
                e.bars._followed[trait].index = index
            cases.append({"kind": "truncation", "traits": _traits(e.bars)})
            expected.append(e.bars.state())
    for got, want in zip(_run_js(tmp_path, cases), expected):
        assert_same_state(got, want, want["title"])


@pytest.mark.skipif(NODE is None, reason="Node.js not installed")
@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=2, max_size=40, unique=True).filter(lambda z: np.diff(np.sort(z)).min() > 1e-3),
       st.integers(0, 30), st.data())
def test_the_browser_chart_agrees_on_any_logits(tmp_path_factory, logits, t_index, data):
    chart = frontend.TruncationChart(
        widgets.temperature_grid(3.0), [dashboard_logic.temperature_label(t) for t in widgets.temperature_grid(3.0)],
        stops={name: (list(stops), [f"{s:g}" for s in stops]) for name, stops in
               (("top_k", dashboard_logic.TOP_K_STOPS), ("top_p", dashboard_logic.TOP_P_STOPS), ("min_p", dashboard_logic.MIN_P_STOPS))},
    )
    chart.show(logits, [chr(97 + i % 26) for i in range(len(logits))], "after 'x'")
    chart.t_index = t_index
    chart.top_k_index = data.draw(st.integers(0, len(dashboard_logic.TOP_K_STOPS) - 1))
    chart.top_p_index = data.draw(st.integers(0, len(dashboard_logic.TOP_P_STOPS) - 1))
    chart.min_p_index = data.draw(st.integers(0, len(dashboard_logic.MIN_P_STOPS) - 1))
    chart.order_index = data.draw(st.integers(0, 1))
    temperature = frontend.TemperatureChart(chart.temperatures, chart.t_labels, top_k=5)
    temperature.show(logits, chart.labels, "after 'x'")
    temperature.t_index = t_index
    got = _run_js(tmp_path_factory.mktemp("js"), [{"kind": "truncation", "traits": _traits(chart)},
                                                   {"kind": "temperature", "traits": _traits(temperature)}])
    assert_same_state(got[0], chart.state(), "truncation")
    assert_same_state(got[1], temperature.state(), "temperature")
