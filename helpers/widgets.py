"""The lessons' interactive widgets: sliders wired to plots.

What to draw comes from :mod:`helpers.plots` (``distribution_view``, ``sampling_view``: plain data,
unit-tested) and, for the dashboards of lessons 4 and 6, from :mod:`helpers.dashboard_logic` (their
state and logic, tested without widgets); this module only creates the controls and wires them.

The explorers' figures are drawn with :class:`matplotlib.figure.Figure` (never ``pyplot``) and shown
as PNG bytes in an :class:`ipywidgets.Image`, so no notebook backend hook can race the drawing
(JupyterLab 4.6 sends widget messages on a kernel subshell; see README, "Blank figures"). The
dashboards' bars and shaded text are drawn by the browser (:mod:`helpers.frontend`): their knobs
are linked to the chart in the page, so the bars follow a knob with no kernel round trip.

Every app draws once when it is built, so an error in its callback fails the notebook test, and
shows that first picture as a static PNG where widgets cannot run (GitHub, nbviewer).
"""

from __future__ import annotations

import asyncio
import base64
import html
from collections.abc import Callable, Iterator, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from . import frontend
from .controls import SEED_MAX, TypedNumber
from .dashboard_logic import (
    MIN_P_STOPS,
    TOP_K_STOPS,
    TOP_P_STOPS,
    DashboardLogic,
    TemperatureLogic,
    TruncationLogic,
    messages_html,
    temperature_label,
)
from .metrics import distinct_ngram_fraction
from .plots import bar_distribution, colored_text_html, distribution_view, figure_to_png, histogram_vs_exact, sampling_view
from .progress import Progress
from .sampling import Truncation, as_generator

__all__ = [
    "temperature_grid",
    "temperature_slider",
    "NumberBox",
    "TemperatureExplorer",
    "SamplingExplorer",
    "TrainingMonitor",
    "SampleExplorer",
    "TemperatureDashboard",
    "TruncationDashboard",
]


def temperature_grid(max_temperature: float = 5.0) -> tuple[float, ...]:
    """Slider stops: 0 (greedy), fine steps below 1, coarser ones up to ``max_temperature``.

    0, 0.01 … 0.1 in steps of 0.01, 0.15 … 1 in steps of 0.05, 1.1 … 2 in steps of 0.1, then
    steps of 0.25. Most of the slider's length is spent below 2, where temperature matters most.

    Used in: lessons 1-4 and 6, every temperature slider (:func:`temperature_slider`).
    """
    if not max_temperature >= 1.0:
        raise ValueError(f"max_temperature must be at least 1, got {max_temperature}")
    stops = [0.0]
    stops += [round(0.01 * i, 2) for i in range(1, 11)]
    stops += [round(0.1 + 0.05 * i, 2) for i in range(1, 19)]
    stops += [round(1.0 + 0.1 * i, 1) for i in range(1, 11)]
    t = 2.25
    while t <= max_temperature + 1e-9:
        stops.append(t)
        t += 0.25
    return tuple(s for s in stops if s <= max_temperature + 1e-9)


def _mimebundle(root: widgets.Widget, text: str, **still: str) -> dict:
    """``root``'s widget bundle with a plain-text stand-in and, optionally, a still picture or HTML
    (``image_png=``, ``text_html=``) shown where widgets cannot run."""
    bundle = root._repr_mimebundle_()
    bundle["text/plain"] = text
    for key, value in still.items():
        bundle[key.replace("_", "/", 1)] = value
    return bundle


_RUN_ME = "interactive in JupyterLab: run the notebook to move the controls"


_label = temperature_label  # "0 (greedy)", "0.8"


def temperature_slider(
    value: float = 1.0, max_temperature: float = 5.0, description: str = "temperature T"
) -> widgets.SelectionSlider:
    """A slider over :func:`temperature_grid`; its ``.value`` is the temperature (a float).

    Used in: lesson 1, section 7; lesson 2, section 7; lesson 3, section 7; lesson 4, section 9; lesson 6, section 6.
    """
    grid = temperature_grid(max_temperature)
    nearest = min(grid, key=lambda s: abs(s - value))
    return widgets.SelectionSlider(
        options=[(_label(t), t) for t in grid],
        value=nearest,
        description=description,
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="520px"),
    )


class NumberBox:
    """A box for a whole number, read in Python: a bad entry (``0`` for a length, ``1.5`` or a huge
    number for a seed) is refused with a message (:attr:`message`, shown next to the box by the
    widget that owns it) and the last good number stays in use. Nothing is silently changed.

    :attr:`value` is that number (setting it types it into the box); ``on_change(value)`` is called
    when a new good number is entered. The rules are :func:`helpers.controls.whole_number`'s; the
    state (number and message) is a :class:`helpers.controls.TypedNumber`, given as ``number`` when
    a dashboard's logic owns it.

    Used in: lessons 2 and 3 (the explorers' seed), 4 and 6 (the dashboards' length and seed).
    """

    def __init__(self, description: str, value: int, low: int, high: int, width: str = "180px",
                 number: TypedNumber | None = None) -> None:
        self.number = number or TypedNumber(description, value, low, high)  # a bad initial value: a clear error
        self.name, self.low, self.high = description, low, high
        self.box = widgets.Text(value=str(self.number.value), description=description, continuous_update=False,
                                layout=widgets.Layout(width=width))
        self._listeners: list[Callable[[int], None]] = []
        self._on_message: list[Callable[[], None]] = []
        self.box.observe(lambda _change: self._typed(), names="value")

    @property
    def value(self) -> int:
        """The number in use (the last good one typed)."""
        return self.number.value

    @value.setter
    def value(self, number: int) -> None:
        self.box.value = str(number)

    @property
    def message(self) -> str:
        """Why the last entry was not used ("" if it was)."""
        return self.number.message

    def on_change(self, callback: Callable[[int], None]) -> None:
        self._listeners.append(callback)

    def on_message(self, callback: Callable[[], None]) -> None:
        self._on_message.append(callback)

    def _typed(self) -> None:
        before = self.number.message
        changed = self.number.type(self.box.value)
        if self.number.message != before:
            for callback in self._on_message:
                callback()
        if changed:
            for callback in self._listeners:
                callback(self.number.value)


_messages_html = messages_html  # red lines for refused input (helpers.dashboard_logic)


class _FigureApp:
    """A PNG-rendered figure with controls above it and a line of HTML text below them."""

    description = "interactive figure"

    def __init__(
        self,
        controls: Sequence[widgets.ValueWidget],
        figsize: tuple[float, float],
        rows: Sequence[widgets.Widget] | None = None,
    ) -> None:
        """``controls`` are watched for changes; ``rows`` (default: the controls) are laid out."""
        self.figure = Figure(figsize=figsize, dpi=100)
        self.ax = self.figure.add_subplot()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.text = widgets.HTML()
        self.root = widgets.VBox([*(rows if rows is not None else controls), self.text, self.image])
        for control in controls:
            control.observe(lambda _change: self.update(), names="value")

        self.figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.2)

    def draw(self) -> str:
        """Update ``self.ax`` for the controls' current values; return the HTML text line."""
        raise NotImplementedError

    def update(self) -> None:
        """Redraw the figure and the text from the controls' current values."""
        self.text.value = self.draw()
        self.image.value = figure_to_png(self.figure)

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        png = base64.b64encode(self.image.value).decode("ascii")
        return _mimebundle(self.root, f"{self.description} ({_RUN_ME})", image_png=png)


class TemperatureExplorer(_FigureApp):
    """Temperature slider → bar chart of the next-character distribution, entropy, perplexity.

    Args:
        logits_by_context: for each context (e.g. ``"th"``), the logits of the next character,
            shape ``(V,)``.
        chars: the ``V`` characters, in logit order.
        temperature: initial temperature.
        top_k: how many characters get their own bar (the rest share an "other" bar).

    Used in: lesson 1, section 7 (try it: the temperature explorer).
    """

    description = "Temperature explorer"

    def __init__(
        self,
        logits_by_context: Mapping[str, ArrayLike],
        chars: Sequence[str],
        temperature: float = 1.0,
        top_k: int = 12,
    ) -> None:
        if not logits_by_context:
            raise ValueError("give at least one context and its logits")
        self.logits = {k: np.asarray(v, dtype=np.float64) for k, v in logits_by_context.items()}
        self.chars = list(chars)
        self.top_k = top_k
        self.slider = temperature_slider(temperature)
        self.context = widgets.Dropdown(
            options=[(repr(k), k) for k in self.logits],
            description="after the text",
            style={"description_width": "initial"},
        )
        self._bars: BarContainer | None = None  # the orange bars, updated in place as T moves
        self._bars_context: str | None = None
        super().__init__([self.context, self.slider], figsize=(7.5, 3.4))
        self.update()

    def draw(self) -> str:
        t, context = self.slider.value, self.context.value
        view = distribution_view(self.logits[context], self.chars, t, self.top_k)
        title = f"Next character after {context!r}, T = {_label(t)}"
        if self._bars is None or self._bars_context != context:
            self.ax.clear()  # new context: new labels and reference bars
            self._bars = bar_distribution(self.ax, view, title=title)
            self._bars_context = context
        else:  # same bars, new heights: the ranking never changes with T
            for bar, height in zip(self._bars, view.probs):
                bar.set_height(height)
            self.ax.set_title(title)
        best = int(np.argmax(view.probs[:-1]))
        return (
            f"<b>T = {_label(t)}</b> · entropy <b>{view.entropy_bits:.2f} bits</b> · "
            f"effective number of choices <b>{view.perplexity:.1f}</b> · most likely "
            f"<code>{html.escape(view.labels[best])}</code> with p = {view.probs[best]:.3f}"
        )


class SamplingExplorer(_FigureApp):
    """Temperature and number of draws → histogram of draws over the exact probabilities.

    The draws come from one fixed stream of uniform numbers per seed (common random numbers), so
    moving the temperature reshapes the same draws rather than drawing new ones, and more draws
    extend the same sequence.

    Args:
        logits: next-character logits, shape ``(V,)``.
        chars: the ``V`` characters.
        seed: seed of the uniform numbers.
        temperature: initial temperature.
        top_k: characters with their own bar.

    Used in: lesson 2, section 7 (try it: the sampling explorer).
    """

    description = "Sampling explorer"
    draw_options = (10, 100, 1_000, 10_000)

    def __init__(
        self,
        logits: ArrayLike,
        chars: Sequence[str],
        seed: int = 0,
        temperature: float = 1.0,
        top_k: int = 8,
    ) -> None:
        self.logits = np.asarray(logits, dtype=np.float64)
        self.chars = list(chars)
        self.top_k = top_k
        self.slider = temperature_slider(temperature)
        self.n_draws = widgets.SelectionSlider(
            options=[(f"{n:,}", n) for n in self.draw_options],
            value=1_000,
            description="number of draws",
            style={"description_width": "initial"},
        )
        self.seed = NumberBox("seed", seed, 0, SEED_MAX)
        self.message = widgets.HTML()
        self._uniforms: dict[int, np.ndarray] = {}  # cache: seed -> uniform numbers
        super().__init__(
            [self.slider, self.n_draws],
            figsize=(7.5, 3.4),
            rows=[self.slider, widgets.HBox([self.n_draws, self.seed.box]), self.message],
        )
        self.seed.on_change(lambda _seed: self.update())
        self.seed.on_message(lambda: setattr(self.message, "value", _messages_html(self.seed.message)))
        self.update()

    def uniforms(self) -> np.ndarray:
        """The fixed uniform numbers of the current seed, shape ``(max draws,)``."""
        seed = int(self.seed.value)
        if seed not in self._uniforms:
            self._uniforms[seed] = as_generator(seed).random(max(self.draw_options))
        return self._uniforms[seed]

    def draw(self) -> str:
        t, n = self.slider.value, self.n_draws.value
        view = sampling_view(self.logits, self.chars, t, self.uniforms()[:n], self.top_k)
        self.ax.clear()
        histogram_vs_exact(self.ax, view, title=f"{n:,} draws at T = {_label(t)} (seed {self.seed.value:,})")
        chi = view.chi_square
        if chi.dof == 0:
            return (
                f"<b>T = {_label(t)}</b>, {n:,} draws · no chi-square test: it needs two groups of "
                "5+ expected draws (more draws, or a higher T)"
            )
        verdict = "consistent with the exact probabilities" if chi.p_value >= 0.001 else "a poor fit"
        return (
            f"<b>T = {_label(t)}</b>, {n:,} draws · chi-square {chi.statistic:.1f} on {chi.dof} "
            f"degrees of freedom, p = {chi.p_value:.3f}: {verdict}"
        )


class TrainingMonitor:
    """A live view of a training run: progress bar, loss curve and the latest sample.

    Display it, then feed it from the training loop: :meth:`update` with the whole loss history
    (lesson 3), or :meth:`on_step` and :meth:`on_eval` as callbacks of
    :func:`helpers.char_lstm.train` (lesson 4, which builds one with :meth:`for_char_lstm`). The
    curve is redrawn as a PNG without pyplot. Where widgets cannot run (GitHub) it shows a line of
    text instead: plot the final curve in a normal cell after training.

    Args:
        total_steps: the number of steps the run will take (for the progress bar).
        loss_label: y-axis label of the curve.
        redraw_every: with :meth:`on_step`, redraw the curve every this many steps.

    Used in: lesson 3, section 4 (training) and lesson 4, section 3 (training a small LSTM live).
    """

    def __init__(
        self, total_steps: int, loss_label: str = "training loss (nats/char)", redraw_every: int | None = None
    ) -> None:
        self.total_steps = total_steps
        self.redraw_every = redraw_every or max(1, total_steps // 50)
        self.figure = Figure(figsize=(6.5, 2.6), dpi=100)
        self.ax = self.figure.add_subplot()
        self.figure.subplots_adjust(left=0.11, right=0.95, top=0.88, bottom=0.2)
        self.ax.set(xlabel="training step", ylabel=loss_label, xlim=(0, total_steps), title="waiting for step 1 …")
        self._line = None
        self._val_line = None
        self.loss_label = loss_label
        self.train_history: list[tuple[int, float]] = []
        self.val_history: list[tuple[int, float]] = []
        self.clock = Progress(total_steps)  # time spent and time left
        self.chars_per_step = 0
        self.progress = widgets.IntProgress(value=0, min=0, max=total_steps, description="step 0")
        self.status = widgets.HTML()
        self.image = widgets.Image(value=figure_to_png(self.figure), format="png", layout=widgets.Layout(max_width="100%"))
        self.sample = widgets.HTML()
        self.root = widgets.VBox([widgets.HBox([self.progress, self.status]), self.image, self.sample])

    @classmethod
    def for_char_lstm(cls, total_steps: int, chars_per_step: int = 0) -> "TrainingMonitor":
        """A monitor for :func:`helpers.char_lstm.train` (training and validation nats/char)."""
        monitor = cls(total_steps, loss_label="loss (nats/char)")
        monitor.chars_per_step = chars_per_step
        return monitor

    def _draw(self) -> None:
        if self.train_history:
            steps, losses = zip(*self.train_history)
            if self._line is None:
                (self._line,) = self.ax.plot(steps, losses, color="#d9480f", label="training (smoothed)")
            else:
                self._line.set_data(steps, losses)
            top = max(losses)
            title = f"step {steps[-1]:,}: training loss {losses[-1]:.3f}"
            if self.val_history:
                vsteps, vlosses = zip(*self.val_history)
                if self._val_line is None:
                    (self._val_line,) = self.ax.plot(vsteps, vlosses, "o-", color="#1c7ed6", label="validation")
                    self.ax.legend(loc="upper right", frameon=False)
                else:
                    self._val_line.set_data(vsteps, vlosses)
                top = max(top, max(vlosses))
                title += f", validation {vlosses[-1]:.3f}"
            self.ax.set_ylim(0, top * 1.05)
            self.ax.set_title(title)
        self.image.value = figure_to_png(self.figure)

    def _show_progress(self, step: int) -> None:
        self.clock.update(step)
        self.progress.value = step
        self.progress.description = f"step {step:,}"
        rate = self.clock.rate()
        speed = f" · {rate * self.chars_per_step:,.0f} characters/s" if rate and self.chars_per_step else ""
        self.status.value = f"{self.clock.text()}{speed}"

    def update(self, history: Sequence[tuple[int, float]], sample: str | None = None) -> None:
        """Show the loss ``history`` (pairs of step and loss) and, if given, a new ``sample``."""
        if history:
            self.train_history = list(history)
            self._draw()
            self._show_progress(history[-1][0])
        if sample is not None:
            step = f" at step {history[-1][0]:,}" if history else ""
            self._show_sample(sample, step)

    def _show_sample(self, sample: str, where: str) -> None:
        self.sample.value = f"<b>latest sample{where}:</b><pre style='white-space: pre-wrap'>{html.escape(sample)}</pre>"

    def on_step(self, step: int, loss: float) -> None:
        """Training-loop callback: one step done with (smoothed) training ``loss``."""
        self.train_history.append((step, loss))
        self._show_progress(step)
        if step % self.redraw_every == 0:
            self._draw()

    def on_eval(self, step: int, train_loss: float, val_loss: float, model: object = None) -> None:
        """Evaluation callback: add a validation point and, for a char-LSTM, a sample at T = 0.8."""
        self.val_history.append((step, val_loss))
        self._draw()
        if model is not None:
            from .lstm_numpy import FastSampler

            text, _ = FastSampler(model).sample("\n", 240, 0.8, seed=0)
            self._show_sample(text, f" at step {step:,} (T = 0.8)")

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        return _mimebundle(self.root, "Training monitor (live in JupyterLab while the training cell runs)")


class SampleExplorer:
    """Temperature slider and seed → a generated text, coloured by how likely each character was.

    Args:
        generate: ``generate(temperature, seed) -> (text, probs)``, where ``probs[i]`` is the
            probability the model's own (``T = 1``) distribution gave the ``i``-th character.
        temperature: initial temperature.
        seed: initial seed.

    Use a generator with shared noise per seed (as :func:`helpers.tiny_rnn.generate`), so that
    moving the slider morphs the text rather than replacing it.

    Used in: lesson 3, section 7 (try it: the sample explorer).
    """

    description = "Sample explorer"

    def __init__(
        self,
        generate: Callable[[float, int], tuple[str, np.ndarray]],
        temperature: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.generate = generate
        self.slider = temperature_slider(temperature, max_temperature=3.0)
        self.seed = NumberBox("seed", seed, 0, SEED_MAX)
        self.message = widgets.HTML()
        self.text = widgets.HTML()
        self.output = widgets.HTML()
        self.root = widgets.VBox([widgets.HBox([self.slider, self.seed.box]), self.message, self.text, self.output])
        self.slider.observe(lambda _change: self.update(), names="value")
        self.seed.on_change(lambda _seed: self.update())
        self.seed.on_message(lambda: setattr(self.message, "value", _messages_html(self.seed.message)))
        self.update()

    def update(self) -> None:
        """Generate for the current temperature and seed, and show it."""
        t = self.slider.value
        sample, probs = self.generate(t, self.seed.value)
        surprise = float(np.mean(-np.log2(np.maximum(probs, 1e-300))))
        self.text.value = (
            f"<b>T = {_label(t)}</b> · surprise under the model's own (T = 1) probabilities "
            f"<b>{surprise:.2f} bits/char</b> · distinct 4-grams "
            f"<b>{distinct_ngram_fraction(sample, 4):.0%}</b> (low = repetitive)"
        )
        self.output.value = colored_text_html(sample, probs)

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        return _mimebundle(self.root, f"{self.description} ({_RUN_ME})", text_html=self.text.value + self.output.value)


def _prompt_box(prompt: str) -> widgets.Textarea:
    """The dashboards' prompt: applied when it loses focus (Enter makes a new line)."""
    return widgets.Textarea(
        value=prompt,
        description="prompt",
        continuous_update=False,
        layout=widgets.Layout(width="100%", max_width="560px", height="4.5em"),
    )


class _Dashboard:
    """The wiring both dashboards share (their logic is a :class:`helpers.dashboard_logic.DashboardLogic`).

    Builds the prompt box, the length (slider and box) and seed boxes, the line of refused input,
    the status line, the browser-drawn chart (``chart_view``, following its knobs in the browser)
    and the shaded text; each typed value goes to the logic, and the logic's results go to the
    views. Subclasses make their knobs and chart, then call :meth:`_wire`.

    Answers ahead: after each answer, the kernel previews the knobs' neighbouring stops
    (:meth:`moves_ahead`, :meth:`helpers.dashboard_logic.DashboardLogic.preview`), one per turn of
    its event loop (a new move waits for one preview at most), and sends each to the page
    (:meth:`helpers.frontend.ShadedText.send_ahead`), which shows it at once if a knob moves there.
    Measured in the browser tests (README, "Dashboards drawn in the browser").
    """

    description = "dashboard"

    def _wire(self, logic: DashboardLogic, knobs: Mapping[str, widgets.Widget], chart: frontend._Chart) -> None:
        """``knobs``: each knob of the logic (a name in ``logic.KNOBS``) and the control that sets it."""
        self.logic = logic
        self.knobs = dict(knobs)
        self._generation = 0  # counts the kernel's answers; answers ahead are made for the latest only
        self._last_moved: tuple[str, int] = (next(iter(self.knobs)), 1)  # knob and direction of the last move
        self.prompt = _prompt_box(logic.state.prompt)
        low, high = logic.length_range
        self.length = NumberBox("", logic.length.value, low, high, width="70px", number=logic.length)
        self.length_slider = widgets.IntSlider(
            value=logic.length.value, min=low, max=high, step=logic.sampler.length_step,
            description=f"length ({logic.unit}s)" if logic.unit != "character" else "length", readout=False,
            continuous_update=False, style={"description_width": "initial"}, layout=widgets.Layout(width="260px"),
        )
        self.seed = NumberBox("seed", logic.seed.value, 0, SEED_MAX, number=logic.seed)
        self.error = widgets.HTML()
        self.status = widgets.HTML()
        self.chart_view = chart
        chart.unit = logic.unit
        self.output = frontend.ShadedText(unit=logic.unit)
        for control in self.knobs.values():
            self.output.follow(control)
        self.output.show_status_in(self.status)
        self.root = widgets.VBox([
            self.prompt, *self.knobs.values(), widgets.HBox([self.length_slider, self.length.box, self.seed.box]),
            self.error, self.status, chart, self.output,
        ])
        self.prompt.observe(lambda _change: self.set_prompt(), names="value")
        self.length_slider.observe(lambda change: setattr(self.length, "value", change["new"]), names="value")
        self.length.on_change(lambda n: (setattr(self.length_slider, "value", n), self.update()))
        self.seed.on_change(lambda _n: self.update())
        for box in (self.length, self.seed):
            box.on_message(self._show_errors)
        chart.show(**logic.chart_data())
        self.update()

    # What the notebooks and benchmarks read.
    @property
    def result(self):
        """The last :class:`helpers.lstm_numpy.Continuation` (its ``text``, ``probs``, ...)."""
        return self.logic.result

    @property
    def state(self):
        """The :class:`helpers.lstm_numpy.PromptState` of the prompt in use."""
        return self.logic.state

    @property
    def chart(self):
        """The still chart (matplotlib, :mod:`helpers.plots`) at the current values: the picture a
        reader without a kernel sees, and the browser tests' reference picture."""
        return self.logic.still_chart()

    def _show_errors(self) -> None:
        self.error.value = self.logic.error_html

    def set_prompt(self) -> None:
        """Read the prompt through the model (a new chart and text), or say why it was not used."""
        if self.logic.set_prompt(self.prompt.value):
            self.chart_view.show(**self.logic.chart_data())
            self.update()
        self._show_errors()

    def _set(self, **values: object) -> None:
        """A knob moved (its logic attribute and new value): note where to, then update."""
        for name, value in values.items():
            stops = _stops(self.knobs[name])[0]
            old = getattr(self.logic, name)
            if old in stops and value in stops:
                self._last_moved = (name, 1 if stops.index(value) >= stops.index(old) else -1)
            setattr(self.logic, name, value)
        self.update()

    def update(self) -> None:
        """Regenerate the text for the current values (the chart follows its knobs by itself), then
        prepare the answers for the knobs' neighbouring stops (:meth:`answers_ahead`)."""
        self.logic.generate()
        self.status.value = self.logic.status_html()
        self.output.show(self.logic.text_content())
        self._generation += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script, a test): no page to send them to
            return
        loop.call_soon(self._next_ahead, loop, self._generation, self.moves_ahead())

    def moves_ahead(self) -> Iterator[tuple[list[int], dict[str, object]]]:
        """The knobs' neighbouring stops, the likeliest next move first (the last knob moved, onward):
        for each, the followed controls' indices (the page's key) and the knob's new value."""
        indices = {name: control.index for name, control in self.knobs.items()}
        name, step = self._last_moved
        order = [(name, step), (name, -step)] + [(n, s) for n in self.knobs if n != name for s in (1, -1)]
        for knob, s in order:
            stops = _stops(self.knobs[knob])[0]
            index = indices[knob] + s
            if 0 <= index < len(stops):
                yield [index if n == knob else i for n, i in indices.items()], {knob: stops[index]}

    def _next_ahead(self, loop: asyncio.AbstractEventLoop, generation: int,
                    moves: Iterator[tuple[list[int], dict[str, object]]]) -> None:
        """Send the page one answer ahead, then give the kernel's event loop back (a message that has
        come in, a new move, goes first) and come back for the next; stop once the knobs moved on."""
        if generation != self._generation:
            return
        move = next(moves, None)
        if move is None:
            return
        indices, knobs = move
        answer = self.logic.preview(**knobs)
        self.output.send_ahead(indices, answer.status, answer.content)
        loop.call_soon(self._next_ahead, loop, generation, moves)

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        return _mimebundle(self.root, f"{self.description} ({_RUN_ME})", text_html=self.logic.still_html())


def _stops_slider(description: str, stops: Sequence, value: object, off: object) -> widgets.SelectionSlider:
    options = [("off" if s == off else f"{s:g}", s) for s in stops]
    return widgets.SelectionSlider(
        options=options, value=value, description=description, continuous_update=True,
        style={"description_width": "110px"}, layout=widgets.Layout(width="100%", max_width="560px"),
    )


class TemperatureDashboard(_Dashboard):
    """The lesson-4 dashboard: a prompt, a temperature, a length and a seed → the next-character
    distribution and a coloured continuation from a character model, live.

    Shows the distribution of the character after the prompt as bars at the chosen T (top
    characters, the model's own ``T = 1`` bars faint behind them) with its entropy, and the
    continuation shaded by how likely the model (at ``T = 1``) thought each character was. The noise
    is shared across temperatures (one stream per seed), so moving the slider morphs the text: it
    stays the same up to the first choice that flips.

    The bars are drawn in the browser and follow the slider there (no kernel round trip). The text
    comes from the kernel, which reruns the model from the first flipped choice
    (:meth:`helpers.lstm_numpy.FastSampler.continuation`); after each move it also sends the page the
    texts of the slider's two neighbouring stops (answers ahead, :meth:`_Dashboard.moves_ahead`), so
    a step of the slider shows its text at once too. The logic is
    :class:`helpers.dashboard_logic.TemperatureLogic`; the text is the same as
    :func:`helpers.char_lstm.sample` gives for the same arguments.

    A prompt with a character the model does not know, a length or seed out of range: the message
    shows in red and the last good value stays in use.

    Over tokens (lesson 7): pass ``sampler=`` a :class:`helpers.token_sampling.TokenSampler` (the
    small GPT's): the bars show tokens, the length counts tokens, the shade covers whole tokens, and
    the answers ahead work the same way:
    ``TemperatureDashboard(sampler=token_sampling.TokenSampler(model, tokenizer), length=100, top_k=10)``.

    Args:
        model: a :class:`helpers.char_lstm.CharLSTM` (e.g. ``load_pretrained()``); ignored if
            ``sampler`` is given.
        prompt, temperature, length, seed: initial values of the controls.
        top_k: characters (or tokens) with their own bar.
        sampler: the sampler to use instead of the character model's ``FastSampler``.

    Used in: lesson 4, section 9 (the dashboard), the presentation notebook (`make present`) and
    lesson 7 (the dashboard over tokens).
    """

    description = "Temperature dashboard"

    def __init__(
        self,
        model: object = None,
        prompt: str = "ROMEO:\n",
        temperature: float = 0.8,
        length: int = 300,
        seed: int = 0,
        top_k: int = 15,
        sampler: object = None,
    ) -> None:
        if sampler is None:
            from .lstm_numpy import FastSampler  # numpy only: the dashboard needs no torch

            sampler = FastSampler(model)
        self.slider = temperature_slider(temperature, max_temperature=3.0)
        self.slider.layout = widgets.Layout(width="100%", max_width="560px")  # shrinks in narrow windows
        logic = TemperatureLogic(sampler, prompt, self.slider.value, length, seed, top_k)
        self.bars = frontend.TemperatureChart(*_stops(self.slider), top_k=top_k)
        self.bars.follow(self.slider, "t_index")
        self.slider.observe(lambda change: self._set(temperature=change["new"]), names="value")
        self._wire(logic, {"temperature": self.slider}, self.bars)


def _stops(slider: widgets.SelectionSlider) -> tuple[list, list[str]]:
    """A selection slider's values and labels, in order."""
    return [value for _, value in slider.options], [label for label, _ in slider.options]


class TruncationDashboard(_Dashboard):
    """The lesson-6 dashboard: temperature, top-k, top-p, min-p and their order, all at once.

    Shows the distribution of the character after the prompt as the sampler sees it: the survivors
    as solid bars with their final (renormalised) probability, the cut characters as hatched grey
    outlines at the probability they would have had; a status line (how many characters survive,
    the share of the model's own probability they hold, the entropy); and a continuation sampled
    with every knob at every step, shaded by the model's own (``T = 1``) probability. The noise is
    shared, so moving any knob changes the text only from the first choice that flips, and the text
    equals :func:`helpers.char_lstm.sample` with the same knobs (tests check this).

    The chart follows all five knobs in the browser (it computes the kept set itself); the text and
    the status line come from the kernel, which also sends the page those of every knob's
    neighbouring stops after each move (answers ahead), so a one-stop move of any knob shows at once.
    The logic is :class:`helpers.dashboard_logic.TruncationLogic`.

    Over tokens, as :class:`TemperatureDashboard`: pass ``sampler=`` a
    :class:`helpers.token_sampling.TokenSampler` (lengths in tokens, the bars and the counts of
    survivors are tokens).

    Args:
        model: a :class:`helpers.char_lstm.CharLSTM`; ignored if ``sampler`` is given.
        prompt, temperature, top_k, top_p, min_p, temperature_last, length, seed: initial values
            (``top_k=None``, ``top_p=1`` and ``min_p=0`` are "off").
        sampler: the sampler to use instead of the character model's ``FastSampler``.

    Used in: lesson 6, section 6 (a live dashboard with every knob).
    """

    description = "Truncation dashboard"

    def __init__(
        self,
        model: object = None,
        prompt: str = "ROMEO:\nI will ",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float = 1.0,
        min_p: float = 0.0,
        temperature_last: bool = False,
        length: int = 300,
        seed: int = 0,
        sampler: object = None,
    ) -> None:
        if sampler is None:
            from .lstm_numpy import FastSampler  # numpy only: the dashboard needs no torch

            sampler = FastSampler(model)
        self.temperature = temperature_slider(temperature, max_temperature=3.0)
        logic = TruncationLogic(sampler, prompt, self.temperature.value, top_k, top_p, min_p,
                                temperature_last, length, seed)  # bad knobs raise clear errors here
        width = widgets.Layout(width="100%", max_width="560px")
        self.temperature.layout = width
        self.temperature.style = {"description_width": "110px"}  # the four sliders line up
        self.top_k = _stops_slider("top-k", TOP_K_STOPS, top_k or 0, 0)
        self.top_p = _stops_slider("top-p", TOP_P_STOPS, top_p, 1.0)
        self.min_p = _stops_slider("min-p", MIN_P_STOPS, min_p, 0.0)
        self.order = widgets.ToggleButtons(
            options=[("temperature first (transformers, vLLM)", False), ("temperature last (llama.cpp)", True)],
            value=temperature_last, description="order", style={"description_width": "initial", "button_width": "auto"},
        )
        self.bars = frontend.TruncationChart(
            *_stops(self.temperature),
            stops={name: _stops(slider) for name, slider in (("top_k", self.top_k), ("top_p", self.top_p), ("min_p", self.min_p))},
            top=logic.top,
        )
        knobs = {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p, "min_p": self.min_p,
                 "temperature_last": self.order}
        for name, control in knobs.items():
            self.bars.follow(control, {"temperature": "t_index", "temperature_last": "order_index"}.get(name, f"{name}_index"))
            control.observe(lambda change, name=name: self._set(**{name: change["new"]}), names="value")
        self._wire(logic, knobs, self.bars)

    @property
    def truncation(self) -> Truncation:
        """The knobs' current values."""
        return self.logic.truncation

    @property
    def view(self):
        """The :class:`helpers.plots.TruncationView` the chart shows (lesson 6 reads ``kept_count``)."""
        return self.logic.view
