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
