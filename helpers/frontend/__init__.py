"""The dashboards' views drawn in the browser: a bar chart and the shaded text, as ``anywidget`` widgets.

``anywidget`` gives a Python widget a JavaScript front end (an ES module, here ``charts.js`` and
``shaded_text.js`` beside this file, sent inline with the widget: no CDN, works offline in
JupyterLab and Voilà). The kernel sends a few hundred bytes (the next character's logits once per
prompt; the text and one probability per character) instead of a PNG per move.

The charts follow their knobs in the browser: :meth:`_Chart.follow` names a slider to the chart,
whose page code listens to the slider's model (a jsdlink would also send each change to the
kernel), so a temperature move redraws the bars with no message to the kernel (the chart computes ``softmax(logits / T)`` itself, with the rules of
:mod:`helpers.softmax` and :class:`helpers.sampling.Truncation`). :meth:`_Chart.state` is Python's
answer to what the chart must draw for the followed controls' current values, from
:mod:`helpers.dashboard_logic`: the browser tests compare it with the ``data-state`` the page drew.

Colours and text sizes come from :mod:`helpers.plots` (the projector and colour-blind rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anywidget
import ipywidgets as widgets
import traitlets as t

from ..dashboard_logic import temperature_chart_state, truncation_chart_state
from ..plots import (
    CUT_COLOR,
    CUT_EDGE_COLOR,
    MODEL_COLOR,
    PROJECTOR_FONT_PT,
    TEMPERED_COLOR,
    TemperatureBars,
    TruncationBars,
)
from ..sampling import Truncation

__all__ = ["FRONTEND_DIR", "COLORS", "TemperatureChart", "TruncationChart", "ShadedText"]

FRONTEND_DIR = Path(__file__).resolve().parent
COLORS = {"tempered": TEMPERED_COLOR, "model": MODEL_COLOR, "cut": CUT_COLOR, "cut_edge": CUT_EDGE_COLOR}


def _source(name: str) -> str:
    return (FRONTEND_DIR / name).read_text(encoding="utf-8")


def _rgb(hex_color: str) -> str:
    return ", ".join(str(int(hex_color[i : i + 2], 16)) for i in (1, 3, 5))


class _Chart(anywidget.AnyWidget):
    """What both charts share: the logits of the next character, their labels, a title's context,
    the temperature stops, and links to the controls they follow in the browser."""

    _esm = _source("charts.js")
    _css = _source("charts.css")
    kind = t.Unicode("temperature").tag(sync=True)
    logits = t.List(t.Float()).tag(sync=True)
    labels = t.List(t.Unicode()).tag(sync=True)
    context = t.Unicode("").tag(sync=True)
    unit = t.Unicode("character").tag(sync=True)  # what the bars are: "character", or "token" (lesson 7)
    colors = t.Dict(COLORS).tag(sync=True)
    font_pt = t.Float(PROJECTOR_FONT_PT).tag(sync=True)
    temperatures = t.List(t.Float()).tag(sync=True)
    t_labels = t.List(t.Unicode()).tag(sync=True)
    t_index = t.Int(0).tag(sync=True)
    # trait -> "IPY_MODEL_<id>" of the control it follows: the page reads the control's index itself
    # (no message to the kernel and back, unlike a jsdlink, whose target saves its change)
    sources = t.Dict(t.Unicode()).tag(sync=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._followed: dict[str, widgets.Widget] = {}

    def show(self, logits: Sequence[float], labels: Sequence[str], context: str) -> None:
        """A new distribution (once per prompt): ``V`` logits and their printable labels."""
        with self.hold_sync():
            self.logits, self.labels, self.context = list(logits), list(labels), context

    def follow(self, control: widgets.Widget, trait: str) -> None:
        """Follow ``control``'s ``index`` (a selection slider, toggle buttons) as ``trait``, in the browser:
        the page's chart listens to the control's model and redraws, with no message to the kernel."""
        setattr(self, trait, control.index)
        self.sources = {**self.sources, trait: f"IPY_MODEL_{control.model_id}"}
        self._followed[trait] = control

    def _index(self, trait: str) -> int:
        control = self._followed.get(trait)
        return control.index if control is not None else getattr(self, trait)

    @property
    def temperature(self) -> float:
        """The temperature the chart shows (its followed slider's, in Python)."""
        return self.temperatures[self._index("t_index")]

    def state(self) -> dict:
        """What the page must draw for the followed controls' current values (Python's answer)."""
        raise NotImplementedError

    def _still(self):
        raise NotImplementedError

    def reference_picture(self) -> dict:
        """The same state drawn by matplotlib (:mod:`helpers.plots`, the still picture of the
        dashboards): ``png`` bytes, and where its bars are in pixels (``x``: each bar's centre,
        ``y0`` and ``y1``: the rows of probability 0 and 1). The browser tests read the bars' heights
        off this picture and off the page's, and compare both with the data."""
        chart, png = self._still()
        ax, height = chart.ax, chart.figure.bbox.height
        x = [float(ax.transData.transform((i, 0))[0]) for i in range(len(self.state()["labels"]))]
        y0, y1 = (float(height - ax.transData.transform((0, p))[1]) for p in (0.0, 1.0))
        return {"png": png, "x": x, "y0": y0, "y1": y1}


class TemperatureChart(_Chart):
    """The lesson-4 bars: the ``top_k`` most likely next characters at the chosen T, the model's own
    ``T = 1`` bars faint behind them, the entropy in the title; redrawn in the browser as T moves.

    Args:
        temperatures: the slider's stops; ``t_labels``: how each is written.
        top_k: characters with their own bar (the rest share an "other" bar).

    Used in: lesson 4, section 9 (the dashboard) and the presentation notebook.
    """

    top_k = t.Int(15).tag(sync=True)

    def __init__(self, temperatures: Sequence[float], t_labels: Sequence[str], top_k: int = 15) -> None:
        super().__init__(kind="temperature", temperatures=list(temperatures), t_labels=list(t_labels), top_k=top_k)

    def state(self) -> dict:
        return temperature_chart_state(self.logits, self.labels, self.temperature, self.top_k, self.context, self.unit)

    def _still(self):
        chart = TemperatureBars(top_k=self.top_k, unit=self.unit)
        chart.show_logits(self.logits, self.labels)
        return chart, chart.render(self.temperature)


class TruncationChart(_Chart):
    """The lesson-6 bars: survivors solid at their final probability, cut characters hatched at the
    probability they would have had; the kept set is computed in the browser from T, top-k, top-p,
    min-p and their order (each a followed control).

    Args:
        temperatures, t_labels: the temperature slider's stops and their labels.
        stops: for ``"top_k"``, ``"top_p"`` and ``"min_p"``, the slider's values and labels.
        top: characters on the chart.

    Used in: lesson 6, section 6 (the dashboard with every knob).
    """

    top = t.Int(20).tag(sync=True)
    top_k_stops = t.List(t.Float()).tag(sync=True)
    top_k_labels = t.List(t.Unicode()).tag(sync=True)
    top_k_index = t.Int(0).tag(sync=True)
    top_p_stops = t.List(t.Float()).tag(sync=True)
    top_p_labels = t.List(t.Unicode()).tag(sync=True)
    top_p_index = t.Int(0).tag(sync=True)
    min_p_stops = t.List(t.Float()).tag(sync=True)
    min_p_labels = t.List(t.Unicode()).tag(sync=True)
    min_p_index = t.Int(0).tag(sync=True)
    order_index = t.Int(0).tag(sync=True)  # 0: temperature first, 1: temperature last

    def __init__(self, temperatures: Sequence[float], t_labels: Sequence[str],
                 stops: dict[str, tuple[Sequence[float], Sequence[str]]], top: int = 20) -> None:
        traits = {f"{name}_{part}": list(values) for name, pair in stops.items() for part, values in zip(("stops", "labels"), pair)}
        super().__init__(kind="truncation", temperatures=list(temperatures), t_labels=list(t_labels), top=top, **traits)

    @property
    def truncation(self) -> Truncation:
        """The knobs the chart shows (its followed controls', in Python)."""
        top_k = int(self.top_k_stops[self._index("top_k_index")])
        top_p = self.top_p_stops[self._index("top_p_index")]
        min_p = self.min_p_stops[self._index("min_p_index")]
        return Truncation(top_k or None, top_p if top_p < 1.0 else None, min_p or None, self._index("order_index") == 1)

    def state(self) -> dict:
        return truncation_chart_state(self.logits, self.labels, self.temperature, self.truncation, self.top, self.context,
                                      self.unit)

    def _still(self):
        chart = TruncationBars(top=self.top)
        chart.show_logits(self.logits, self.labels)
        return chart, chart.render(self.temperature, self.truncation, self.state()["title"])


class ShadedText(anywidget.AnyWidget):
    """Generated text shaded in the browser by how unlikely each character was (as
    :func:`helpers.plots.colored_text_html`): set :attr:`content` to
    :func:`helpers.dashboard_logic.text_content`'s ``{"text", "probs"}``.

    Answers ahead: the kernel may send, with :meth:`send_ahead`, the text and status line for
    settings of the followed knobs (:meth:`follow`) that are not chosen yet; when a knob moves to
    one of them, the page shows it at once (and sets the status line, :meth:`show_status_in`,
    in the page only) instead of waiting for the kernel. The page drops them when :attr:`generation`
    changes (the kernel's next answer), since they were computed from the answer before.

    Used in: lesson 4, section 9 and lesson 6, section 6 (the dashboards' text).
    """

    _esm = _source("shaded_text.js")
    _css = _source("shaded_text.css")
    content = t.Dict({"text": "", "probs": []}).tag(sync=True)
    rgb = t.Unicode(_rgb(TEMPERED_COLOR)).tag(sync=True)
    unit = t.Unicode("character").tag(sync=True)  # what each shade is the probability of ("token": lesson 7)
    # "IPY_MODEL_<id>" of each followed control, in the order of an answer's key; and of the status line
    sources = t.List(t.Unicode()).tag(sync=True)
    status_source = t.Unicode("").tag(sync=True)
    generation = t.Int(0).tag(sync=True)  # which kernel answer the page shows (answers ahead follow it)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.followed: list[widgets.Widget] = []

    def follow(self, control: widgets.Widget) -> None:
        """Follow ``control``'s ``index`` in the page: a key of :meth:`send_ahead` lists the followed
        controls' indices in the order they were followed."""
        self.followed.append(control)
        self.sources = [*self.sources, f"IPY_MODEL_{control.model_id}"]

    def show_status_in(self, status: widgets.HTML) -> None:
        """The status line an answer ahead sets in the page."""
        self.status_source = f"IPY_MODEL_{status.model_id}"

    def show(self, content: dict) -> None:
        """The kernel's answer for the current values: ``content`` (a new :attr:`generation`)."""
        with self.hold_sync():
            self.content, self.generation = content, self.generation + 1

    def send_ahead(self, indices: Sequence[int], status: str, content: dict) -> None:
        """Send the page the answer for the followed controls at ``indices`` (one per control), made
        after the current :attr:`generation`'s answer: a message, not a trait (nothing is stored)."""
        self.send({"ahead": ",".join(str(i) for i in indices), "generation": self.generation, "status": status,
                   "content": content})

    def state(self) -> dict:
        """What the page must show: the text and its probabilities as sent."""
        return dict(self.content)
