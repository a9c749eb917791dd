"""The lesson-4 dashboard on the shipped model: what it shows and that every control reacts."""

from __future__ import annotations

import pytest

from helpers import char_lstm, widgets


@pytest.fixture(scope="module")
def model():
    return char_lstm.load_pretrained()


def test_dashboard_shows_the_reference_sample_and_reacts_to_every_control(model):
    d = widgets.TemperatureDashboard(model, prompt="ROMEO:\n", temperature=0.8, length=200, seed=0)
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.8, seed=0)
    assert "T = 0.8" in d.status.value and "entropy" in d.status.value
    png = bytes(d.image.value)
    html_before = d.output.value

    d.slider.value = 0.85  # a nearby temperature: the text morphs, it is not replaced
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.85, seed=0)
    assert "T = 0.85" in d.status.value and "unchanged (shared noise)" in d.status.value
    assert bytes(d.image.value) != png and d.output.value != html_before

    d.slider.value = 0.0
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 0.0, seed=0)
    assert "T = 0 (greedy)" in d.status.value and "entropy <b>0.00 bits</b>" in d.status.value

    d.slider.value = 1.5
    d.seed.value = 3
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 200, 1.5, seed=3)
    d.length.value = 100
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 100, 1.5, seed=3)

    d.prompt.value = "JULIET:\nO Romeo"
    assert d.result.text == char_lstm.sample(model, "JULIET:\nO Romeo", 100, 1.5, seed=3)
    assert "O Romeo" in d.chart.ax.get_title() and "T = 1.5" in d.chart.ax.get_title()


def test_dashboard_explains_a_bad_prompt_and_keeps_the_last_result(model):
    d = widgets.TemperatureDashboard(model, length=50)
    before = d.result.text
    d.prompt.value = "ROMEO § says"
    error = d.error.value.replace("&#x27;", "'")
    assert "not in the vocabulary" in error and "'§'" in error and "last valid prompt, 'ROMEO:\\n'" in error
    assert d.result.text == before
    d.slider.value = 1.2  # still works with the last good prompt
    assert d.result.text == char_lstm.sample(model, "ROMEO:\n", 50, 1.2, seed=0)
    d.prompt.value = ""
    assert "at least one character" in d.error.value
    d.prompt.value = "ROMEO:\n"
    assert d.error.value == ""
    with pytest.raises(ValueError, match="not in the vocabulary"):
        widgets.TemperatureDashboard(model, prompt="ROMEO §")


def test_dashboard_shows_a_still_where_widgets_cannot_run(model):
    d = widgets.TemperatureDashboard(model, length=50)
    bundle = d._repr_mimebundle_()
    assert "Temperature dashboard" in bundle["text/plain"]
    assert "data:image/png;base64," in bundle["text/html"] and "entropy" in bundle["text/html"]


# -- the lesson-6 truncation dashboard --------------------------------------------------------------

import io  # noqa: E402

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402

from helpers import plots, sampling  # noqa: E402


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


def test_truncation_dashboard_follows_every_knob(model):
    prompt = "ROMEO:\nI will "
    d = widgets.TruncationDashboard(model, prompt=prompt, temperature=1.0, length=150, seed=0)
    knobs = dict(top_k=None, top_p=1.0, min_p=0.0, temperature_last=False)
    assert d.result.text == char_lstm.sample(model, prompt, 150, 1.0, seed=0)
    assert f"<b>{model.vocab.size} of {model.vocab.size}</b> characters survive" in d.status.value
    assert _pixels_of(d.image.value, plots.CUT_COLOR, d.chart.ax) == 0  # nothing cut, no hatched bars
    moves = [
        (d.top_p, 0.5, "top_p", 0.5),
        (d.temperature, 2.0, None, 2.0),
        (d.order, True, "temperature_last", True),
        (d.top_k, 3, "top_k", 3),
        (d.min_p, 0.2, "min_p", 0.2),
        (d.top_k, 0, "top_k", None),
        (d.seed, 5, None, None),
        (d.temperature, 0.0, None, 0.0),
    ]
    t, seed = 1.0, 0
    for control, value, name, knob in moves:
        before = (bytes(d.image.value), d.output.value, d.status.value)
        control.value = value
        if name:
            knobs[name] = knob
        elif control is d.temperature:
            t = knob
        else:
            seed = value
        assert d.result.text == char_lstm.sample(model, prompt, 150, t, seed=seed, **knobs), (name, value)
        keep = sampling.truncation_mask(d.state.logits.astype(np.float64), t, **knobs)
        label = "0 (greedy)" if t == 0 else f"{t:g}"
        assert d.status.value.startswith(f"<b>T = {label}</b> · {d.truncation.describe()}<br>")
        assert f"<b>{int(keep.sum())} of {model.vocab.size}</b>" in d.status.value
        assert (bytes(d.image.value), d.output.value, d.status.value) != before, (name, value)
        cut_pixels = _pixels_of(d.image.value, plots.CUT_COLOR, d.chart.ax)
        kept_pixels = _pixels_of(d.image.value, plots.TEMPERED_COLOR, d.chart.ax)
        assert kept_pixels > 200  # never a blank chart
        view = d.chart.view
        visible_cut = (~view.kept & (view.untruncated > 0.01)).any()  # at T = 0 a cut bar has height 0
        assert (cut_pixels > 0) == visible_cut  # the cut characters are drawn differently, when there are any
    assert "top-k" not in d.chart.ax.get_title() and "min-p 0.2" in d.chart.ax.get_title()


def test_truncation_dashboard_refuses_bad_input(model):
    with pytest.raises(ValueError, match="top_p"):
        widgets.TruncationDashboard(model, top_p=0.0)
    with pytest.raises(ValueError, match="not a stop"):
        widgets.TruncationDashboard(model, top_k=7)
    d = widgets.TruncationDashboard(model, length=50)
    text = d.result.text
    d.prompt.value = "ROMEO: ¿"
    assert "Not used:</b> prompt:" in d.error.value and d.result.text == text


def test_truncation_bars_match_a_full_draw(model):
    from matplotlib.figure import Figure

    fast = char_lstm.FastSampler(model)
    logits = fast.prompt_state("ROMEO:\nI will ").logits.astype(np.float64)
    chart = plots.TruncationBars()
    chart.show_logits(logits, model.vocab.chars)
    truncation = sampling.Truncation(top_p=0.8, min_p=0.05)
    png = chart.render(1.5, truncation, "a title")
    fig = Figure(figsize=(7.5, 3.0), dpi=100)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2)
    plots.truncation_bars(ax, plots.truncation_view(logits, model.vocab.chars, 1.5, truncation), title="a title")
    ax.title.set_fontsize(10)
    full = plots.figure_to_png(fig)
    a = np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    b = np.asarray(PIL.Image.open(io.BytesIO(full)).convert("RGB")).astype(int)
    assert a.shape == b.shape
    assert (np.abs(a - b).max(axis=-1) > 40).mean() < 0.002  # the same picture, up to antialiasing


@pytest.mark.parametrize("Dashboard", [widgets.TemperatureDashboard, widgets.TruncationDashboard])
def test_out_of_range_input_is_refused_next_to_the_controls_never_changed(model, Dashboard):
    d = Dashboard(model, length=100, seed=2)
    text = d.result.text
    for box, typed, says in [
        (d.length, "0", "length: 0 is too small: type a whole number from 50 to 1,000 (still using 100)"),
        (d.seed, "1.5", "seed: '1.5' is not a whole number: type a whole number from 0 to 2,147,483,647 (still using 2)"),
        (d.seed, "99999999999", "seed: 99,999,999,999 is too large"),
    ]:
        box.box.value = typed
        assert says in d.error.value.replace("&#x27;", "'"), d.error.value
        assert d.result.text == text and (d.length.value, d.seed.value) == (100, 2)  # nothing changed silently
    d.seed.box.value = "5"
    assert "seed" not in d.error.value and "length: 0" in d.error.value  # each message goes with its box
    d.length.box.value = "250"
    assert d.error.value == "" and d.inputs.length_slider.value == 250
    assert d.result.text == char_lstm.sample(model, d.state.prompt, 250, d.result.temperature, seed=5, **{
        "top_k": d.truncation.top_k, "top_p": d.truncation.top_p, "min_p": d.truncation.min_p,
        "temperature_last": d.truncation.temperature_last} if Dashboard is widgets.TruncationDashboard else {})
    d.inputs.length_slider.value = 400  # the slider and the box say the same
    assert d.length.box.value == "400" and len(d.result.text) == 400
    with pytest.raises(ValueError, match="length: 20 is too small"):
        Dashboard(model, length=20)
