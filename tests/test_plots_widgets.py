"""What the plots and widgets show (logic, no browser), and that the widgets react."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib
import matplotlib.text
import nbformat
import numpy as np
import pytest
from conftest import CLASS_NOTEBOOKS, NOTEBOOKS
from matplotlib.figure import Figure

from helpers import plots, softmax, widgets

CHARS = list("abcdefghij")
LOGITS = np.array([3.0, 2.5, 2.0, 1.0, 0.5, 0.0, -1.0, -2.0, -3.0, -5.0])


def test_temperature_grid_reaches_greedy_and_five_with_fine_steps_below_one():
    grid = np.array(widgets.temperature_grid())
    assert grid[0] == 0.0 and grid[-1] == 5.0 and 1.0 in grid
    assert np.all(np.diff(grid) > 0)
    below_one = grid[grid <= 1.0]
    assert np.max(np.diff(below_one)) <= 0.05 + 1e-12 and len(below_one) >= 25
    with pytest.raises(ValueError):
        widgets.temperature_grid(0.5)


def test_slider_values_are_temperatures():
    s = widgets.temperature_slider(0.33)
    assert s.value == pytest.approx(0.35)
    assert s.options[0][0] == "0 (greedy)"


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 5.0])
def test_distribution_view(t):
    view = plots.distribution_view(LOGITS, CHARS, t, top_k=4)
    assert view.labels == ("a", "b", "c", "d", "other")
    assert view.probs.sum() == pytest.approx(1.0) and view.reference.sum() == pytest.approx(1.0)
    full = softmax.softmax_with_temperature(LOGITS, t)
    np.testing.assert_allclose(view.probs[:4], full[:4])
    np.testing.assert_allclose(view.reference[:4], softmax.softmax_with_temperature(LOGITS, 1.0)[:4])
    assert view.entropy_bits == pytest.approx(softmax.entropy(full, unit="bits"))
    assert view.perplexity == pytest.approx(softmax.perplexity(full))


def test_sampling_view_counts_and_fit():
    u = np.random.default_rng(0).random(5000)
    view = plots.sampling_view(LOGITS, CHARS, 1.0, u, top_k=3)
    assert view.n_draws == 5000 and view.frequencies.sum() == pytest.approx(1.0)
    assert view.chi_square.p_value > 1e-4
    greedy = plots.sampling_view(LOGITS, CHARS, 0.0, u, top_k=3)
    np.testing.assert_allclose(greedy.frequencies, [1, 0, 0, 0])


def test_png_is_deterministic():
    fig = Figure(figsize=(3, 2))
    plots.bar_distribution(fig.add_subplot(), plots.distribution_view(LOGITS, CHARS, 1.0))
    a, b = plots.figure_to_png(fig), plots.figure_to_png(fig)
    assert a == b and a.startswith(b"\x89PNG")


def test_figure_summary_lists_titles_and_axis_labels():
    fig = Figure()
    fig.add_subplot(1, 3, 1).set(title="left", xlabel="temperature T", ylabel="entropy (bits)")
    fig.add_subplot(1, 3, 2).set(xlabel="training\nstep")  # wrapped in the figure, one line in text
    fig.add_subplot(1, 3, 3).axis("off")  # a legend-only panel
    assert plots.figure_summary(fig) == "[figure: left (x: temperature T; y: entropy (bits)) | untitled (x: training step)]"
    fig.suptitle("both")
    assert plots.figure_summary(fig).startswith("[figure: both — left (")
    assert plots.figure_summary(Figure()) == "[figure with 0 axes]"


def test_temperature_explorer_reacts_to_slider_and_context():
    app = widgets.TemperatureExplorer({"x": LOGITS, "y": LOGITS[::-1]}, CHARS)
    first_png, first_text = bytes(app.image.value), app.text.value
    assert "entropy" in first_text and first_png.startswith(b"\x89PNG")
    app.slider.value = 0.0
    assert bytes(app.image.value) != first_png and "entropy <b>0.00 bits</b>" in app.text.value
    app.slider.value = 1.0
    assert app.text.value == first_text
    app.context.value = "y"
    assert "most likely <code>j</code>" in app.text.value


def test_sampling_explorer_reuses_draws_across_temperatures():
    app = widgets.SamplingExplorer(LOGITS, CHARS, seed=3)
    u = app.uniforms()
    assert u is app.uniforms()  # cached per seed
    app.slider.value = 0.0
    assert "0 (greedy)" in app.text.value
    text0, png0 = app.text.value, bytes(app.image.value)
    app.seed.value = 4
    assert app.uniforms() is not u and bytes(app.image.value) != png0  # redrawn (title names the seed)
    assert app.text.value == text0  # but at T = 0 every seed draws the greedy character
    app.n_draws.value = 10
    assert "10 draws" in app.text.value and "seed 4" in app.figure.axes[0].get_title()
    app.slider.value = 5.0
    png_seed4 = bytes(app.image.value)
    app.seed.value = 3
    assert bytes(app.image.value) != png_seed4  # at T = 5 another seed gives other draws


def test_widget_shows_a_still_picture_where_widgets_cannot_run():
    app = widgets.SamplingExplorer(LOGITS, CHARS)
    bundle = app._repr_mimebundle_()
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(bundle)
    assert "interactive in JupyterLab" in bundle["text/plain"]


def test_colored_text_shades_unlikely_characters_darker():
    html_text = plots.colored_text_html("ab\n<", [1.0, 0.01, 0.5, 0.1])
    assert "rgba(217, 72, 15, 0.00)\">a<" in html_text and "rgba(217, 72, 15, 0.85)\">b<" in html_text
    assert "⏎<br>" in html_text and "&lt;" in html_text and "shade = how unlikely" in html_text
    with pytest.raises(ValueError, match="one probability per character"):
        plots.colored_text_html("abc", [1.0])


def test_sample_explorer_updates_with_temperature_and_seed():
    calls = []

    def fake_generate(t, seed):
        calls.append((t, seed))
        text = "ab" * 10 if t == 0 else "abcdefghij" * 2
        return text, np.full(len(text), 0.5)

    app = widgets.SampleExplorer(fake_generate, temperature=1.0, seed=0)
    app.slider.value = 0.0
    app.seed.value = 7
    assert calls == [(1.0, 0), (0.0, 0), (0.0, 7)]
    assert "1.00 bits/char" in app.text.value and "distinct 4-grams <b>12%</b>" in app.text.value


def test_training_monitor_shows_progress_and_sample():
    monitor = widgets.TrainingMonitor(total_steps=300)
    empty = bytes(monitor.image.value)
    monitor.update([(100, 3.0), (200, 2.5)], sample="To be")
    assert monitor.progress.value == 200 and "step 200" in monitor.progress.description
    assert bytes(monitor.image.value) != empty and "To be" in monitor.sample.value
    assert "Training monitor" in monitor._repr_mimebundle_()["text/plain"]


def test_training_monitor_shows_the_time_left():
    monitor = widgets.TrainingMonitor(total_steps=1000)
    for step in range(100, 600, 100):
        monitor.update([(s, 3.0) for s in range(100, step + 1, 100)])
    assert " spent, about " in monitor.status.value and " left" in monitor.status.value
    monitor.update([(1000, 2.0)])
    assert monitor.status.value.startswith("done in ")


def test_explorers_refuse_a_bad_seed_with_a_message_and_keep_theirs():
    app = widgets.SamplingExplorer(LOGITS, CHARS, seed=3)
    png = bytes(app.image.value)
    app.seed.box.value = "1.5"
    assert "seed: &#x27;1.5&#x27; is not a whole number" in app.message.value and "(still using 3)" in app.message.value
    assert bytes(app.image.value) == png and app.seed.value == 3
    app.seed.box.value = "4"
    assert app.message.value == "" and bytes(app.image.value) != png
    calls = []
    explorer = widgets.SampleExplorer(lambda t, seed: (calls.append(seed), ("abc", np.full(3, 0.5)))[1], seed=0)
    explorer.seed.box.value = "-3"
    assert "negative number" in explorer.message.value and calls == [0]
    with pytest.raises(ValueError, match="seed: 4,294,967,296 is too large"):
        widgets.SamplingExplorer(LOGITS, CHARS, seed=2**32)


def test_training_monitor_follows_char_lstm_callbacks():
    monitor = widgets.TrainingMonitor.for_char_lstm(total_steps=20, chars_per_step=100)
    for step in range(1, 11):
        monitor.on_step(step, 4.0 - 0.1 * step)
    assert monitor.progress.value == 10 and len(monitor.train_history) == 10
    monitor.on_eval(10, 3.0, 3.2)  # no model: a validation point, no sample
    assert monitor.val_history == [(10, 3.2)] and "validation 3.200" in monitor.ax.get_title()
    assert monitor.sample.value == ""


def _pixels(png: bytes) -> np.ndarray:
    import io

    import PIL.Image

    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_temperature_bars_fast_render_matches_a_full_draw():
    bars = plots.TemperatureBars(top_k=6)
    with pytest.raises(RuntimeError, match="show_logits"):
        bars.render(1.0)
    bars.show_logits(LOGITS, CHARS, context="xy")
    fast = bars.render(0.5)
    assert bars.view.probs[0] == pytest.approx(softmax.softmax_with_temperature(LOGITS, 0.5)[0])
    assert bars.ax.get_title().startswith("Next character after 'xy': T = 0.5, entropy")
    # the same state drawn the slow way (everything, no cached background) gives the same picture
    for bar in bars._bars:
        bar.set_animated(False)
    bars._title.set_animated(False)
    full = plots.figure_to_png(bars.figure)
    differ = np.any(_pixels(fast) != _pixels(full), axis=-1)
    assert differ.mean() < 0.002
    # another temperature moves the bars: greedy puts all the mass on the first one
    bars2 = plots.TemperatureBars(top_k=6)
    bars2.show_logits(LOGITS, CHARS)
    assert bars2.render(0.0) != bars2.render(2.0)
    assert bars2.view.probs[0] < 0.5
    bars2.render(0.0)
    assert bars2.view.probs[0] == 1.0 and "0 (greedy)" in bars2.ax.get_title()


def test_samples_table_keeps_line_breaks_and_escapes():
    table = plots.samples_table_html([{"T": "0.5", "sample": "a <b>\nc"}, {"T": "1", "sample": "x"}])
    assert table.count("<tr>") == 3 and "a &lt;b&gt;\nc" in table and "<th style='text-align: left'>T</th>" in table
    with pytest.raises(ValueError):
        plots.samples_table_html([])


def test_metric_vs_temperature_draws_means_and_bands():
    fig = Figure()
    ax = fig.add_subplot()
    t = np.repeat([0.0, 1.0, 2.0], 4)
    v = np.array([0, 0, 0, 0, 1, 2, 3, np.nan, 5, 5, 5, 5], dtype=float)
    plots.metric_vs_temperature(ax, t, v, label="x", reference=2.5)
    (line, ref) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0, 2, 5])
    assert ref.get_ydata()[0] == 2.5 and len(ax.collections) == 1
    with pytest.raises(ValueError):
        plots.metric_vs_temperature(ax, t, v[:3], label="x")


# Colour-blind readers: the lessons' colour cycle stays distinguishable --------------------------

# Machado, Oliveira and Fernandes (2009), full-severity simulation matrices on linear RGB.
_CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _lab_as_seen(color: str, matrix) -> np.ndarray:
    """CIE L*a*b* (D65) of ``color`` as simulated for a colour-vision deficiency."""
    import matplotlib.colors as mc

    c = np.asarray(mc.to_rgb(color))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ seen
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(colors) -> float:
    """The smallest colour difference (CIE76 delta E) between any two of ``colors``, over the three
    simulated deficiencies."""
    return min(
        float(np.linalg.norm(_lab_as_seen(a, m) - _lab_as_seen(b, m)))
        for m in _CVD.values()
        for i, a in enumerate(colors)
        for b in colors[i + 1:]
    )


def test_the_lessons_colour_cycle_is_readable_with_colour_blindness():
    import matplotlib

    with matplotlib.rc_context():
        plots.use_lesson_style()
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert tuple(cycle) == plots.COLOR_CYCLE
    assert _closest_pair(cycle[:6]) > 12  # clearly different for every common deficiency
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        default = [matplotlib.colors.to_hex(f"C{i}") for i in range(6)]
    assert _closest_pair(default) < 12, "the check tells matplotlib's default (red beside green) apart"
    # the widgets' fixed colours: chosen T against the model's T = 1, samples against exact
    assert _closest_pair([plots.TEMPERED_COLOR, plots.MODEL_COLOR, plots.SAMPLE_COLOR]) > 12


# Legible on a projector ---------------------------------------------------------------------------

FONT_SETTING = re.compile(r"(?:fontsize|labelsize)\s*=\s*([^,)\s]+)|set_fontsize\(([^)]+)\)")


def _small_fonts(source: str) -> list[str]:
    """Font sizes set in ``source`` below the projector minimum (numbers, or "small", "x-small" ...)."""
    small = []
    for match in FONT_SETTING.finditer(source):
        value = match[1] or match[2]
        try:
            too_small = float(value) < plots.PROJECTOR_FONT_PT - 1
        except ValueError:  # a name (fine: the constants) or a relative size such as "small"
            too_small = "small" in value
        if too_small:
            small.append(match[0])
    return small


def _png_width(png_b64: str) -> int:
    return int.from_bytes(base64.b64decode(png_b64)[16:20], "big")  # the PNG header's IHDR width


@pytest.mark.parametrize("path", NOTEBOOKS + CLASS_NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS + CLASS_NOTEBOOKS])
def test_lesson_figures_fit_a_projector_and_use_no_small_text(path):
    """At most 1,000 px wide (shown at nearly full size on a classroom screen), no font set smaller."""
    nb = nbformat.read(path, as_version=4)
    widest = plots.PROJECTOR_MAX_WIDTH_IN * 100
    figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if "image/png" in output.get("data", {}):
                figures += 1
                width = _png_width(output.data["image/png"])
                assert width <= widest, f"a {width}-px-wide figure:\n{cell.source}"
        assert not _small_fonts(cell.source), f"small text {_small_fonts(cell.source)} in:\n{cell.source}"
    assert figures or path.stem.startswith("04") or path in CLASS_NOTEBOOKS, "every lesson but 4 draws stored figures"


def test_helpers_set_no_small_text():
    from helpers import dashboard_logic

    for module in (plots, widgets, dashboard_logic):
        assert not _small_fonts(Path(module.__file__).read_text()), module.__name__
    assert _small_fonts('ax.tick_params(labelsize=8); ax.legend(fontsize="small"); t.set_fontsize(9)') == [
        "labelsize=8", 'fontsize="small"', "set_fontsize(9)"
    ], "the pattern finds small text"


def test_widget_figures_have_projector_sized_text():
    """Every piece of text in every widget's figure, drawn as a lesson draws it, is 11 pt or more."""
    from helpers import char_lstm

    chars = list("abcdefghij ")
    logits = np.linspace(3, -2, len(chars))
    with matplotlib.rc_context():
        plots.use_lesson_style()
        assert matplotlib.rcParams["font.size"] == plots.PROJECTOR_FONT_PT >= 12
        model = char_lstm.load_pretrained()
        monitor = widgets.TrainingMonitor(total_steps=100)
        monitor.update([(step, 3.0 - step / 100) for step in range(1, 101)], "a sample")
        figures = {
            "TemperatureExplorer": widgets.TemperatureExplorer({"ab": logits}, chars).figure,
            "SamplingExplorer": widgets.SamplingExplorer(logits, chars).figure,
            "TrainingMonitor": monitor.figure,
            "TemperatureDashboard": widgets.TemperatureDashboard(model, prompt="ROMEO:\n", length=50).chart.figure,
            "TruncationDashboard": widgets.TruncationDashboard(model, prompt="ROMEO:\n", length=50).chart.figure,
        }
        for name, figure in figures.items():
            assert figure.get_figwidth() <= plots.PROJECTOR_MAX_WIDTH_IN, name
            texts = [t for t in figure.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
            assert len(texts) >= 5, f"{name}: no labels?"
            small = {t.get_text(): t.get_fontsize() for t in texts if t.get_fontsize() < plots.PROJECTOR_FONT_PT - 1}
            assert not small, f"{name}: text smaller than {plots.PROJECTOR_FONT_PT - 1} pt: {small}"


# The dashboards' charts drawn in the browser (helpers/frontend) keep both rules ---------------------

_FRONTEND = Path(widgets.__file__).resolve().parent / "frontend"


def test_browser_charts_take_the_lessons_colours_and_projector_text_sizes():
    """Their colours and font size come from plots.py (no colour or size of their own in the JS), every
    text is the lessons' 12 pt or one point smaller (ticks, legend), and the CSS sets nothing smaller."""
    from helpers import frontend

    assert frontend.COLORS == {"tempered": plots.TEMPERED_COLOR, "model": plots.MODEL_COLOR,
                               "cut": plots.CUT_COLOR, "cut_edge": plots.CUT_EDGE_COLOR}
    for chart in (frontend.TemperatureChart([0.0, 1.0], ["0 (greedy)", "1"]),
                  frontend.TruncationChart([1.0], ["1"], stops={})):
        assert chart.colors == frontend.COLORS and chart.font_pt == plots.PROJECTOR_FONT_PT >= 12
    assert frontend.ShadedText().rgb == "217, 72, 15" and plots.TEMPERED_COLOR == "#d9480f"
    js = (_FRONTEND / "charts.js").read_text()
    assert not re.findall(r"#[0-9a-fA-F]{3,6}\b", js), "colours come from helpers.plots (the colors trait)"
    sizes = re.findall(r"font-size\"?[:,]\s*`\$\{pt( [-+] \d+)?\}pt`", js)
    assert len(sizes) >= 6 and all(int(s.replace(" ", "") or 0) >= -1 for s in sizes), sizes
    assert js.count("font-size") == len(sizes), "every text size is the lessons' size or one point less"
    for css in _FRONTEND.glob("*.css"):
        for size in re.findall(r"font-size:\s*([^;]+);", css.read_text()):
            assert size.strip() in ("0.85em",), f"{css.name}: font-size {size}"  # the shaded text's key, as before
    # the shade of the browser's text is the still's (plots.colored_text_html): 0.85 * clip(-log10 p / 2)
    assert "0.85 * Math.min(1, Math.max(0, -Math.log10(Math.max(q, 1e-12)) / 2))" in (_FRONTEND / "shaded_text.js").read_text()


def test_the_front_end_ships_with_the_package():
    """An editable and a normal install both carry the JS and CSS (pyproject.toml's package data)."""
    import tomllib

    config = tomllib.loads((Path(widgets.__file__).resolve().parents[1] / "pyproject.toml").read_text())
    setuptools = config["tool"]["setuptools"]
    assert "helpers.frontend" in setuptools["packages"]
    patterns = setuptools["package-data"]["helpers.frontend"]
    for path in _FRONTEND.iterdir():
        if path.suffix in (".js", ".css"):
            assert any(Path(path.name).match(p) for p in patterns), path.name
