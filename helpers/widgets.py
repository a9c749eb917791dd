"""The lessons' interactive widgets: sliders wired to plots.

What to draw comes from :mod:`helpers.plots` (``distribution_view``, ``sampling_view``: plain data,
unit-tested); this module only wires controls to it.

Figures are drawn with :class:`matplotlib.figure.Figure` (never ``pyplot``) and shown as PNG bytes
in an :class:`ipywidgets.Image`, so no notebook backend hook can race the drawing (JupyterLab 4.6
sends widget messages on a kernel subshell; see README, "Blank figures").

Every app draws once when it is built, so an error in its callback fails the notebook test, and
shows that first picture as a static PNG where widgets cannot run (GitHub, nbviewer).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .metrics import distinct_ngram_fraction
from .plots import (
    bar_distribution,
    colored_text_html,
    distribution_view,
    figure_to_png,
    histogram_vs_exact,
    sampling_view,
)
from .sampling import as_generator

__all__ = [
    "temperature_grid",
    "temperature_slider",
    "TemperatureExplorer",
    "SamplingExplorer",
    "TrainingMonitor",
    "SampleExplorer",
]


def temperature_grid(max_temperature: float = 5.0) -> tuple[float, ...]:
    """Slider stops: 0 (greedy), fine steps below 1, coarser ones up to ``max_temperature``.

    0, 0.01 … 0.1 in steps of 0.01, 0.15 … 1 in steps of 0.05, 1.1 … 2 in steps of 0.1, then
    steps of 0.25. Most of the slider's length is spent below 2, where temperature matters most.
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


def _label(t: float) -> str:
    return "0 (greedy)" if t == 0 else f"{t:g}"


def temperature_slider(
    value: float = 1.0, max_temperature: float = 5.0, description: str = "temperature T"
) -> widgets.SelectionSlider:
    """A slider over :func:`temperature_grid`; its ``.value`` is the temperature (a float)."""
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
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
        self._uniforms: dict[int, np.ndarray] = {}  # cache: seed -> uniform numbers
        super().__init__(
            [self.slider, self.n_draws, self.seed],
            figsize=(7.5, 3.4),
            rows=[self.slider, widgets.HBox([self.n_draws, self.seed])],
        )
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
        histogram_vs_exact(self.ax, view, title=f"{n:,} draws at T = {_label(t)} (seed {self.seed.value})")
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

    Display it, then call :meth:`update` from the training callback; each call redraws the loss
    curve (as a PNG, without pyplot) and, when given, shows a new sample. Where widgets cannot run
    (GitHub) it shows a line of text instead: plot the final curve in a normal cell after training.

    Args:
        total_steps: the number of steps the run will take (for the progress bar).
        loss_label: y-axis label of the curve.
    """

    def __init__(self, total_steps: int, loss_label: str = "training loss (nats/char)") -> None:
        self.total_steps = total_steps
        self.figure = Figure(figsize=(6.5, 2.6), dpi=100)
        self.ax = self.figure.add_subplot()
        self.figure.subplots_adjust(left=0.11, right=0.95, top=0.88, bottom=0.2)
        self.ax.set(xlabel="training step", ylabel=loss_label, xlim=(0, total_steps), title="waiting for step 1 …")
        self._line = None
        self.loss_label = loss_label
        self.progress = widgets.IntProgress(value=0, min=0, max=total_steps, description="step 0")
        self.image = widgets.Image(value=figure_to_png(self.figure), format="png", layout=widgets.Layout(max_width="100%"))
        self.sample = widgets.HTML()
        self.root = widgets.VBox([self.progress, self.image, self.sample])

    def update(self, history: Sequence[tuple[int, float]], sample: str | None = None) -> None:
        """Show the loss ``history`` (pairs of step and loss) and, if given, a new ``sample``."""
        if history:
            steps, losses = zip(*history)
            if self._line is None:
                (self._line,) = self.ax.plot(steps, losses, color="#d9480f")
            else:
                self._line.set_data(steps, losses)
            self.ax.set_ylim(0, max(losses) * 1.05)
            self.ax.set_title(f"step {steps[-1]:,}: loss {losses[-1]:.3f}")
            self.image.value = figure_to_png(self.figure)
            self.progress.value = steps[-1]
            self.progress.description = f"step {steps[-1]:,}"
        if sample is not None:
            step = f" at step {history[-1][0]:,}" if history else ""
            self.sample.value = (
                f"<b>latest sample{step}:</b><pre style='white-space: pre-wrap'>{html.escape(sample)}</pre>"
            )

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
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
        self.text = widgets.HTML()
        self.output = widgets.HTML()
        self.root = widgets.VBox([widgets.HBox([self.slider, self.seed]), self.text, self.output])
        for control in (self.slider, self.seed):
            control.observe(lambda _change: self.update(), names="value")
        self.update()

    def update(self) -> None:
        """Generate for the current temperature and seed, and show it."""
        t = self.slider.value
        sample, probs = self.generate(t, int(self.seed.value))
        surprise = float(np.mean(-np.log2(np.maximum(probs, 1e-300))))
        self.text.value = (
            f"<b>T = {_label(t)}</b> · surprise under the model's own (T = 1) probabilities "
            f"<b>{surprise:.2f} bits/char</b> · distinct 4-grams "
            f"<b>{distinct_ngram_fraction(sample, 4):.0%}</b> (low = repetitive)"
        )
        self.output.value = colored_text_html(sample, probs)

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        return _mimebundle(self.root, f"{self.description} ({_RUN_ME})", text_html=self.text.value + self.output.value)
