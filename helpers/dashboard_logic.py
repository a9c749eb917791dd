"""The dashboards' logic without any widget: the controls' values in, what the page shows out.

As the ipywidgets tutorial splits ``model.py`` from ``gui.py``: :class:`TemperatureLogic` (lesson 4
and the presentation) and :class:`TruncationLogic` (lesson 6) hold the dashboards' state and turn
the prompt, temperature, length, seed and truncation knobs into

- what the bar chart draws (:meth:`~DashboardLogic.chart_state`: the dictionary the browser's chart
  computes for itself, see ``helpers/frontend/charts.js``; here it is Python's answer to it),
- the generated text with the model's own probability of each character
  (:meth:`~DashboardLogic.text_content`),
- the status line, and the messages for refused input (:attr:`~DashboardLogic.error_html`),
- a still picture for readers without a kernel (:meth:`~DashboardLogic.still_html`),
- the same answers for the knobs' neighbouring stops, before they are asked for
  (:meth:`~DashboardLogic.preview`): the page keeps them and shows one at once when a knob moves
  there; the kernel, when the move reaches it, reuses the one it computed.

:class:`DashboardLogic` holds what both dashboards share: the prompt, length and seed, each
checked (a refused value keeps the last good one and says why), the sampler and the last
continuation (reused from the first flipped choice when a knob moves). :mod:`helpers.widgets` only
creates the controls, links them and pushes these results to the views; the tests here need no
widget (``tests/test_dashboard.py``).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .controls import SEED_MAX, TypedNumber
from .metrics import distinct_ngram_fraction
from .plots import TemperatureBars, TruncationBars, colored_text_html, distribution_view, truncation_view
from .sampling import Truncation
from .softmax import check_temperature, entropy, softmax_with_temperature

if TYPE_CHECKING:
    from .lstm_numpy import Continuation, FastSampler, PromptState

__all__ = [
    "TOP_K_STOPS",
    "TOP_P_STOPS",
    "MIN_P_STOPS",
    "temperature_label",
    "messages_html",
    "chart_context",
    "temperature_chart_state",
    "truncation_chart_state",
    "text_content",
    "Answer",
    "DashboardLogic",
    "TemperatureLogic",
    "TruncationLogic",
]

TOP_K_STOPS = (0, 1, 2, 3, 5, 10, 20, 40)  # 0 = off (a slider cannot hold None)
TOP_P_STOPS = (0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)  # 1 = off
MIN_P_STOPS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)  # 0 = off
PROB_DIGITS = 4  # significant digits of the per-character probabilities sent to the page


def temperature_label(t: float) -> str:
    """How a temperature is written on the slider, the status line and the chart: ``0 (greedy)``, ``0.8``.

    Used in: lessons 1-6, every temperature slider (:func:`helpers.widgets.temperature_slider`).
    """
    return "0 (greedy)" if t == 0 else f"{t:g}"


def messages_html(*messages: str) -> str:
    """Red HTML for the messages that are not empty, one per line (an input the widget did not use).

    Used in: lessons 2, 3, 4 (section 9, the dashboard) and 6 (the dashboard), beside typed boxes.
    """
    shown = [m for m in messages if m]
    return "<br>".join(f"<span style='color: #c92a2a'><b>Not used:</b> {html.escape(m)}</span>" for m in shown)


def chart_context(prompt: str) -> str:
    """Where the chart's next character comes from, for its title: ``after 'ROMEO:\\n'`` (the
    prompt's last 15 characters, written as Python writes a string).

    Used in: lesson 4, section 9 and lesson 6, section 6 (the dashboards' chart titles).
    """
    return f"after {prompt[-15:]!r}"


def _floats(values: ArrayLike) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64)]


def temperature_chart_state(
    logits: ArrayLike, chars: Sequence[str], temperature: float, top_k: int = 15, context: str = "",
    unit: str = "character",
) -> dict:
    """What the lesson-4 chart draws at ``temperature``: the ``top_k`` most likely characters and an
    "other" bar at ``T`` (``probs``) and at ``T = 1`` (``reference``), the entropy in bits, the title.

    The browser's chart (``charts.js``) computes the same dictionary from the same logits; the
    browser tests compare the two. ``logits`` has shape ``(V,)``, ``chars`` its ``V`` characters
    (or, with ``unit="token"``, the tokens' labels).

    Used in: lesson 4, section 9 (the dashboard) and the presentation notebook.
    """
    t = check_temperature(temperature)
    view = distribution_view(logits, chars, t, top_k)
    return {
        "t": t,
        "labels": list(view.labels),
        "probs": _floats(view.probs),
        "reference": _floats(view.reference),
        "entropy_bits": view.entropy_bits,
        "title": f"Next {unit} {context}: T = {temperature_label(t)}, entropy {view.entropy_bits:.2f} bits",
    }


def truncation_chart_state(
    logits: ArrayLike, chars: Sequence[str], temperature: float, truncation: Truncation, top: int = 20, context: str = "",
    unit: str = "character",
) -> dict:
    """What the lesson-6 chart draws: for the ``top`` most likely characters, their final probability
    (``final``, 0 if cut), their probability at ``T`` without truncation, which survive; how many of
    all ``V`` survive, the share of the model's own probability they hold, the final entropy, the title.

    The browser's chart (``charts.js``) computes the same dictionary; the browser tests compare them.

    Used in: lesson 6, section 6 (the dashboard with every knob).
    """
    t = check_temperature(temperature)
    view = truncation_view(logits, chars, t, truncation, top)
    return {
        "t": t,
        "labels": list(view.labels),
        "final": _floats(view.final),
        "untruncated": _floats(view.untruncated),
        "kept": [bool(k) for k in view.kept],
        "kept_count": view.kept_count,
        "vocab_size": view.vocab_size,
        "kept_mass": view.kept_mass,
        "entropy_bits": view.entropy_bits,
        "title": f"Next {unit} {context}: T = {temperature_label(t)}, {truncation.describe()}",
    }


def text_content(text: str, probs: ArrayLike, starts: Sequence[int] | None = None) -> dict:
    """The generated text and the model's own probability of each character, rounded to
    :data:`PROB_DIGITS` significant digits (enough for its shade and its hover label): what the
    page's shaded text receives (a few bytes per character).

    Used in: lesson 4, section 9 and lesson 6, section 6 (the dashboards' shaded text).
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (len(text),):
        raise ValueError(f"need one probability per character: {len(text)} characters, shape {p.shape}")
    content = {"text": text, "probs": [float(f"{q:.{PROB_DIGITS}g}") for q in p]}
    if starts is not None:  # where each token starts (lesson 7): the page marks the boundaries
        content["starts"] = [int(i) for i in starts]
    return content


def _still_html(status: str, png: bytes, text: str, probs: ArrayLike) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return status + f"<br><img src='data:image/png;base64,{b64}' style='max-width: 100%'>" + colored_text_html(text, probs)


@dataclass(frozen=True)
class Answer:
    """What the page shows for one setting of the knobs: the status line (HTML), the text content
    (:func:`text_content`) and the continuation behind them.

    Used by: the dashboards of lessons 4 and 6 and the presentation, for their answers ahead
    (:meth:`DashboardLogic.preview`)."""

    status: str
    content: dict
    result: Continuation


class DashboardLogic:
    """What both dashboards share, without widgets: a prompt, a length and a seed (each checked), the
    sampler, and the last continuation.

    A prompt the model cannot read, or a length or seed out of range, is refused: the last good
    value stays in use and :attr:`error_html` says why, next to the controls. Subclasses add their
    knobs (:attr:`temperature`, :attr:`truncation`), :meth:`chart_state`, :meth:`status_html` and
    the still chart.

    Args:
        sampler: a :class:`helpers.lstm_numpy.FastSampler` (characters) or a
            :class:`helpers.token_sampling.TokenSampler` (tokens): both give the unit, the lengths
            allowed, the bars' labels and continuations with per-character probabilities.
        prompt, length, seed: initial values; a bad one raises ``ValueError`` with the same message
            the page would show.

    Used in: lesson 4, section 9 and lesson 6, section 6 (the dashboards, through :mod:`helpers.widgets`).
    """

    description = "dashboard"
    KNOBS: tuple[str, ...] = ()  # the attributes a knob sets (a move there can be previewed)

    def __init__(self, sampler: FastSampler, prompt: str, length: int, seed: int) -> None:
        self._ahead: dict[tuple, tuple[tuple, Answer]] = {}  # knob values -> (what it was computed after, answer)
        self.sampler = sampler
        self.unit: str = sampler.unit  # "character", or "token" for lesson 7's TokenSampler
        self.length_range: tuple[int, int] = sampler.length_range
        self.length = TypedNumber("length", length, *self.length_range)
        self.seed = TypedNumber("seed", seed, 0, SEED_MAX)
        self.state: PromptState = sampler.prompt_state(prompt)  # a bad initial prompt raises its clear error
        self.prompt_message = ""
        self.result: Continuation | None = None
        self.previous: Continuation | None = None
        self.temperature = 1.0
        self._still: TemperatureBars | TruncationBars | None = None

    @property
    def truncation(self) -> Truncation:
        """The truncation knobs (none here; :class:`TruncationLogic` has them)."""
        return Truncation()

    @property
    def chars(self) -> list[str]:
        return list(self.sampler.vocab.chars)

    @property
    def labels(self) -> list[str]:
        """The ``V`` printable labels of the chart's bars (``"␣"`` for a space; a token's, lesson 7)."""
        return list(self.sampler.labels)

    def _char_probs(self) -> np.ndarray:
        """One probability per character of the text: a character model's own; for tokens, the
        probability of the token each character belongs to (so the shade covers whole tokens)."""
        return self.result.char_probs

    @property
    def context(self) -> str:
        return chart_context(self.state.prompt)

    def set_prompt(self, prompt: str) -> bool:
        """Read ``prompt`` through the model; ``False`` (and a message) if it cannot be read."""
        try:
            state = self.sampler.prompt_state(prompt)
        except ValueError as err:
            self.prompt_message = f"prompt: {err} (still showing the last valid prompt, {self.state.prompt!r})"
            return False
        self.prompt_message = ""
        self.state, self.result, self._still = state, None, None
        return True

    def type_length(self, typed: str) -> bool:
        """A length typed in its box; ``True`` if it is a new length in use (else see :attr:`error_html`)."""
        return self.length.type(typed)

    def type_seed(self, typed: str) -> bool:
        """A seed typed in its box; ``True`` if it is a new seed in use (else see :attr:`error_html`)."""
        return self.seed.type(typed)

    @property
    def error_html(self) -> str:
        """Every input not used and why, one per line (empty when all were used)."""
        return messages_html(self.prompt_message, self.length.message, self.seed.message)

    def generate(self) -> Continuation:
        """The continuation for the current values, reusing the last one up to its first flipped choice
        (or a :meth:`preview` of these values made from the last one: the same continuation)."""
        ahead, self._ahead = self._ahead.get(self._knob_key()), {}  # previews are made from the last result
        self.previous = self.result
        if ahead is not None and ahead[0] == self._basis(self.previous):
            self.result = ahead[1].result
        else:
            self.result = self.sampler.continuation(self.state, self.length.value, self.temperature, self.seed.value,
                                                    previous=self.result, truncation=self.truncation)
        return self.result

    def _knob_key(self) -> tuple:
        return tuple(getattr(self, name) for name in self.KNOBS)

    def _basis(self, result: Continuation | None) -> tuple:
        """What a preview depends on besides its knobs: the prompt, length, seed and the result it follows."""
        return (self.state.prompt, self.length.value, self.seed.value, id(result))

    def preview(self, **knobs: object) -> Answer:
        """What the page would show after moving the knobs ``knobs`` (names in :attr:`KNOBS`; the
        others keep their values) from the current values, computed without changing anything here.

        The answer is kept: when that move comes (:meth:`generate` after setting those values), its
        continuation is reused, not recomputed. The dashboards preview the neighbouring stops of each
        knob after every move, so that the page can show them at once.
        """
        unknown = set(knobs) - set(self.KNOBS)
        if unknown:
            raise ValueError(f"not a knob of the {self.description}: {sorted(unknown)}; the knobs are {list(self.KNOBS)}")
        if self.result is None:
            self.generate()
        saved, kept = {name: getattr(self, name) for name in self.KNOBS}, self._ahead
        result, previous = self.result, self.previous
        try:
            for name, value in knobs.items():
                setattr(self, name, value)
            key, basis = self._knob_key(), self._basis(result)
            if key in kept and kept[key][0] == basis:
                return kept[key][1]
            self._ahead = {}
            self.generate()
            answer = Answer(self.status_html(), self.text_content(), self.result)
        finally:
            for name, value in saved.items():
                setattr(self, name, value)
            self.result, self.previous, self._ahead = result, previous, kept
        kept[key] = (basis, answer)
        return answer

    def text_content(self) -> dict:
        """The text and its per-character probabilities, as the page receives them (:func:`text_content`)."""
        return text_content(self.result.text, self._char_probs(), self.result.token_starts)

    def chart_data(self) -> dict:
        """What the page's chart receives once per prompt: the ``V`` logits, their labels, the context."""
        return {"logits": _floats(self.state.logits), "labels": self.labels, "context": self.context}

    def chart_state(self) -> dict:
        raise NotImplementedError

    def status_html(self) -> str:
        raise NotImplementedError

    def still_chart(self) -> TemperatureBars | TruncationBars:
        """The matplotlib chart for the current prompt (made once per prompt), drawn at the current
        knobs (the still picture)."""
        if self._still is None:
            self._still = self._new_still_chart()
        self._png = self._render_still_chart(self._still)
        return self._still

    def _new_still_chart(self) -> TemperatureBars | TruncationBars:
        raise NotImplementedError

    def _render_still_chart(self, chart: TemperatureBars | TruncationBars) -> bytes:
        raise NotImplementedError

    def still_html(self) -> str:
        """Status, a PNG of the chart and the shaded text: what a reader without a kernel sees."""
        self.still_chart()  # draws self._png for the current knobs
        return _still_html(self.status_html(), self._png, self.result.text, self._char_probs())

    def _distinct(self) -> str:
        return f"{distinct_ngram_fraction(self.result.text, 4):.0%}"


class TemperatureLogic(DashboardLogic):
    """The lesson-4 dashboard's logic: prompt, temperature, length, seed → chart, text, status.

    The noise is shared across temperatures (one stream per seed), so a temperature move changes the
    text only from the first choice that flips; the status line says how many characters stayed.
    The text equals :func:`helpers.char_lstm.sample` with the same arguments (tests check this).

    Args:
        sampler: a :class:`helpers.lstm_numpy.FastSampler` (characters) or a
            :class:`helpers.token_sampling.TokenSampler` (tokens): both give the unit, the lengths
            allowed, the bars' labels and continuations with per-character probabilities.
        prompt, temperature, length, seed: initial values.
        top_k: characters with their own bar.

    Used in: lesson 4, section 9 (the dashboard) and the presentation notebook, through
    :class:`helpers.widgets.TemperatureDashboard`.
    """

    description = "Temperature dashboard"
    KNOBS = ("temperature",)

    def __init__(self, sampler: FastSampler, prompt: str = "ROMEO:\n", temperature: float = 0.8,
                 length: int = 300, seed: int = 0, top_k: int = 15) -> None:
        super().__init__(sampler, prompt, length, seed)
        self.temperature = check_temperature(temperature)
        self.top_k = top_k

    def chart_state(self, temperature: float | None = None) -> dict:
        """What the chart draws at ``temperature`` (default: the current one)."""
        t = self.temperature if temperature is None else temperature
        return temperature_chart_state(self.state.logits, self.labels, t, self.top_k, self.context, self.unit)

    def status_html(self) -> str:
        t, result, previous = self.temperature, self.result, self.previous
        entropy_bits = self.chart_state()["entropy_bits"]
        own = float(entropy(softmax_with_temperature(self.state.logits.astype(np.float64), 1.0), unit="bits"))
        unchanged, unit = "", self.unit
        if previous is not None and previous.seed == result.seed and previous.temperature != t:
            same = next((i for i, (a, b) in enumerate(zip(previous.ids, result.ids)) if a != b),
                        min(len(previous.ids), len(result.ids)))
            unchanged = f" · the first <b>{same}</b> {unit}s are unchanged (shared noise)"
        surprise = float(np.mean(-np.log2(np.maximum(result.probs, 1e-300)))) if len(result.probs) else 0.0
        per = "char" if unit == "character" else unit
        return (
            f"<b>T = {temperature_label(t)}</b> · next {unit}: entropy <b>{entropy_bits:.2f} bits</b> "
            f"(model's own T = 1: {own:.2f})<br>continuation: surprise "
            f"<b>{surprise:.2f} bits/{per}</b> under T = 1, distinct 4-grams "
            f"<b>{self._distinct()}</b>{unchanged}"
        )

    def _new_still_chart(self) -> TemperatureBars:
        chart = TemperatureBars(top_k=self.top_k, unit=self.unit)
        chart.show_logits(self.state.logits, self.labels, context=self.state.prompt[-15:])
        return chart

    def _render_still_chart(self, chart: TemperatureBars) -> bytes:
        return chart.render(self.temperature)


class TruncationLogic(DashboardLogic):
    """The lesson-6 dashboard's logic: temperature, top-k, top-p, min-p and their order → chart
    (survivors and cut characters), text sampled with every knob at every step, status line.

    The knobs take the values of their sliders' stops (:data:`TOP_K_STOPS`, :data:`TOP_P_STOPS`,
    :data:`MIN_P_STOPS`); ``top_k=None``/``0``, ``top_p=1`` and ``min_p=0`` are "off". The text
    equals :func:`helpers.char_lstm.sample` with the same knobs (tests check this).

    Used in: lesson 6, section 6 (the dashboard with every knob), through
    :class:`helpers.widgets.TruncationDashboard`.
    """

    description = "Truncation dashboard"
    KNOBS = ("temperature", "top_k", "top_p", "min_p", "temperature_last")
    top = 20  # characters on the chart

    def __init__(self, sampler: FastSampler, prompt: str = "ROMEO:\nI will ", temperature: float = 1.0,
                 top_k: int | None = None, top_p: float = 1.0, min_p: float = 0.0, temperature_last: bool = False,
                 length: int = 300, seed: int = 0) -> None:
        Truncation(top_k, top_p, min_p, temperature_last)  # bad values raise clear errors here
        for name, value, stops in (("top_k", top_k or 0, TOP_K_STOPS), ("top_p", top_p, TOP_P_STOPS),
                                   ("min_p", min_p, MIN_P_STOPS)):
            if value not in stops:
                raise ValueError(f"{name}={value!r} is not a stop of the {name} slider; choose one of {stops}")
        super().__init__(sampler, prompt, length, seed)
        self.temperature = check_temperature(temperature)
        self.top_k, self.top_p, self.min_p, self.temperature_last = top_k or 0, top_p, min_p, bool(temperature_last)

    @property
    def truncation(self) -> Truncation:
        """The knobs' current values (0 for top-k, 1 for top-p and 0 for min-p are "off")."""
        return Truncation(self.top_k or None, self.top_p if self.top_p < 1.0 else None, self.min_p or None,
                          self.temperature_last)

    @property
    def view(self):
        """The :class:`helpers.plots.TruncationView` of the current knobs after the current prompt."""
        return truncation_view(self.state.logits, self.labels, self.temperature, self.truncation, self.top)

    def chart_state(self) -> dict:
        return truncation_chart_state(self.state.logits, self.labels, self.temperature, self.truncation, self.top,
                                      self.context, self.unit)

    def status_html(self) -> str:
        view, truncation = self.view, self.truncation
        return (
            f"<b>T = {temperature_label(self.temperature)}</b> · {truncation.describe()}<br>"
            f"<b>{view.kept_count} of {view.vocab_size}</b> {self.unit}s survive, holding "
            f"<b>{view.kept_mass:.0%}</b> of the model's own probability · final entropy "
            f"<b>{view.entropy_bits:.2f} bits</b> · the text below uses these knobs at every step "
            f"(distinct 4-grams {self._distinct()})"
        )

    def _new_still_chart(self) -> TruncationBars:
        chart = TruncationBars(top=self.top)
        chart.show_logits(self.state.logits, self.labels)
        return chart

    def _render_still_chart(self, chart: TruncationBars) -> bytes:
        return chart.render(self.temperature, self.truncation, self.chart_state()["title"])
