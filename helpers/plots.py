"""Plots the lessons share, drawn with matplotlib's object API onto an ``Axes`` you pass in.

Each function works the same in a static notebook cell (``fig, ax = plt.subplots()``) and in a
widget callback (``Figure()`` without pyplot, see :mod:`helpers.widgets`), and returns the artists
it made so that a caller can update them instead of redrawing.

The *what to draw* is computed separately (``*_view`` functions returning plain data), so it can be
unit-tested without any figure.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from typing import Sequence

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from .data import printable
from .metrics import ChiSquareResult, chi_square_test
from .sampling import Truncation, sample_inverse_cdf
from .softmax import entropy, perplexity, softmax_with_temperature

__all__ = [
    "use_lesson_style",
    "figure_summary",
    "DistributionView",
    "distribution_view",
    "SamplingView",
    "sampling_view",
    "bar_distribution",
    "histogram_vs_exact",
    "TemperatureBars",
    "figure_to_png",
    "colored_text_html",
    "samples_table_html",
    "metric_vs_temperature",
    "TruncationView",
    "truncation_view",
    "truncation_bars",
    "TruncationBars",
    "MODEL_COLOR",
    "CUT_COLOR",
    "CUT_EDGE_COLOR",
    "TEMPERED_COLOR",
    "SAMPLE_COLOR",
]

MODEL_COLOR = "#9aa5b1"  # the model's own distribution (T = 1), drawn faint
TEMPERED_COLOR = "#d9480f"  # the distribution at the chosen temperature
SAMPLE_COLOR = "#1c7ed6"  # empirical frequencies of draws
CUT_COLOR = "#ced4da"  # tokens removed by top-k / top-p / min-p (drawn hatched)
CUT_EDGE_COLOR = "#868e96"  # their outline and hatching


def figure_summary(fig: Figure) -> str:
    """A text stand-in for a figure: what notebook tests compare, and what a screen reader reads.

    The figure's suptitle, then each visible panel's title with its axis labels, e.g.
    ``[figure: Perplexity = 2 ** entropy (x: temperature T (log scale); y: effective number of
    choices)]``. Panels with their axes switched off (a legend-only panel) are left out; a panel
    without a title says "untitled".

    Used in: every lesson (the plain-text form of each figure, set by :func:`use_lesson_style`).
    """
    panels = []
    for ax in fig.axes:
        if not ax.axison:
            continue
        labels = "; ".join(f"{axis}: {' '.join(label.split())}" for axis, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if label)
        title = " ".join(ax.get_title().split()) or "untitled"  # one line, even where the figure wraps it
        panels.append(f"{title} ({labels})" if labels else title)
    if not panels:
        return f"[figure with {len(fig.axes)} axes]"
    suptitle = " ".join(fig.get_suptitle().split())
    return "[figure: " + (f"{suptitle} — " if suptitle else "") + " | ".join(panels) + "]"


PROJECTOR_FONT_PT = 12  # the lessons' text size in figures (ticks and legends one point smaller)
PROJECTOR_MAX_WIDTH_IN = 10.0  # the widest figure a lesson draws, in inches (at 100 dpi: 1,000 px)


def projector_text_css(css_class: str) -> str:
    """A ``<style>`` block that sets every text of the widgets carrying ``css_class`` (their HTML
    lines, labels, text boxes, buttons and preformatted text) to the series' text size,
    :data:`PROJECTOR_FONT_PT` (12 pt = 16 CSS px; JupyterLab's widgets default to 13 px).

    Used by: the widgets of the concept quiz and of the rating activity (``helpers.quiz_widget``,
    ``helpers.rating_widget``), put in an ``HTML`` widget beside them.
    """
    c = f".{css_class}"
    px = round(PROJECTOR_FONT_PT * 4 / 3)
    return (f"<style>\n{c}, {c} .widget-html-content, {c} label, {c} input, {c} button, "
            f'{c} .widget-text input[type="text"], {c} .widget-label, {c} pre {{ font-size: {px}px; line-height: 1.4; }}\n'
            f"{c} .widget-html-content {{ white-space: normal; }}\n</style>")

# Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on white), as the lessons'
# colour cycle: lines told apart by colour ("C0", "C1", …) stay apart for readers with any common
# colour-vision deficiency. The lessons' fixed colours (orange against grey or blue) are safe too.
COLOR_CYCLE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")


def use_lesson_style() -> None:
    """Set the rcParams every lesson uses: PNG-friendly size and resolution, light grid, and a
    colour cycle that colour-blind readers can tell apart (:data:`COLOR_CYCLE`).

    In a notebook it also makes a figure's plain-text form list its titles instead of
    ``<Figure size …>``, so that the stored text of a plot says what it shows.

    Used in: every lesson's first cell, and the presentation notebook.
    """
    matplotlib.rcParams.update(
        {
            "figure.figsize": (8.0, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            # Legible on a projector: figures at most 10 inches (1,000 px) wide, so that a classroom
            # screen shows them at nearly full size, with 12-point text and 11-point ticks (16 and 15
            # px: the size of JupyterLab's own text). tests/test_plots_widgets.py holds every lesson
            # and widget to it.
            "font.size": PROJECTOR_FONT_PT,
            "axes.titlesize": PROJECTOR_FONT_PT + 1,
            "axes.labelsize": PROJECTOR_FONT_PT,
            "xtick.labelsize": PROJECTOR_FONT_PT - 1,
            "ytick.labelsize": PROJECTOR_FONT_PT - 1,
            "legend.fontsize": PROJECTOR_FONT_PT - 1,
            "figure.titlesize": PROJECTOR_FONT_PT + 1,
            "axes.prop_cycle": matplotlib.cycler(color=list(COLOR_CYCLE)),
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/plain"].for_type(
            Figure, lambda fig, printer, cycle: printer.text(figure_summary(fig))
        )


@dataclass(frozen=True)
class DistributionView:
    """What a bar chart of a tempered distribution shows.

    Attributes:
        labels: bar labels, the ``top_k`` most likely characters then ``"other"``.
        probs: probability of each bar at the chosen temperature, shape ``(top_k + 1,)``.
        reference: the same bars at ``T = 1`` (the model's own distribution).
        entropy_bits: entropy of the full tempered distribution, in bits.
        perplexity: effective number of choices of the full tempered distribution.

    Used in: lesson 1, sections 4 (the three regimes) and 7 (the temperature explorer).
    """

    labels: tuple[str, ...]
    probs: NDArray[np.float64]
    reference: NDArray[np.float64]
    entropy_bits: float
    perplexity: float


def distribution_view(
    logits: ArrayLike, chars: Sequence[str], temperature: float, top_k: int = 12
) -> DistributionView:
    """The ``top_k`` most likely characters and an ``"other"`` bar, at ``temperature`` and at 1.

    Temperature never changes the ranking, so the top ``top_k`` at ``T = 1`` are the top
    ``top_k`` at every temperature and the bars can stay in place while the slider moves.

    Used in: lesson 1, sections 4 (the three regimes) and 7 (the temperature explorer); the lesson-4 dashboard's chart.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or len(chars) != z.size:
        raise ValueError(f"need one logit per character: got {z.shape} logits, {len(chars)} chars")
    p_t = softmax_with_temperature(z, temperature)
    p_1 = softmax_with_temperature(z, 1.0)
    k = min(top_k, z.size)
    order = np.argsort(-z, kind="stable")[:k]
    return DistributionView(
        labels=tuple(printable(chars[i]) for i in order) + ("other",),
        probs=_top_bins(p_t, order),
        reference=_top_bins(p_1, order),
        entropy_bits=float(entropy(p_t, unit="bits")),
        perplexity=float(perplexity(p_t)),
    )


def _top_bins(values: NDArray[np.float64], order: NDArray[np.int64]) -> NDArray[np.float64]:
    """``values`` at the ``order`` indices, then everything else summed into one last bin."""
    top = values[order]
    return np.append(top, max(0.0, float(values.sum() - top.sum())))


@dataclass(frozen=True)
class SamplingView:
    """What the sampling histogram shows: draws at one temperature against the exact answer.

    Attributes:
        labels: the ``top_k`` most likely characters then ``"other"``.
        frequencies: fraction of the draws that landed in each bar, shape ``(top_k + 1,)``.
        probs: exact probability of each bar at this temperature.
        n_draws: number of draws.
        chi_square: the goodness-of-fit test of the draws over the full vocabulary.

    Used in: lesson 2, sections 3 (testing a sampler) and 7 (the sampling explorer).
    """

    labels: tuple[str, ...]
    frequencies: NDArray[np.float64]
    probs: NDArray[np.float64]
    n_draws: int
    chi_square: ChiSquareResult


def sampling_view(
    logits: ArrayLike,
    chars: Sequence[str],
    temperature: float,
    uniforms: ArrayLike,
    top_k: int = 8,
) -> SamplingView:
    """Draw one character per uniform number in ``uniforms`` (inverse CDF) at ``temperature``.

    Passing the same ``uniforms`` at every temperature (common random numbers) makes the histogram
    change smoothly as the temperature moves, instead of jumping to an unrelated sample.

    Used in: lesson 2, sections 3 (testing a sampler: 10,000 draws) and 7 (the sampling explorer).
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or len(chars) != z.size:
        raise ValueError(f"need one logit per character: got {z.shape} logits, {len(chars)} chars")
    u = np.atleast_1d(np.asarray(uniforms, dtype=np.float64))
    p = softmax_with_temperature(z, temperature)
    counts = np.bincount(sample_inverse_cdf(p, u), minlength=z.size).astype(np.float64)
    order = np.argsort(-z, kind="stable")[: min(top_k, z.size)]
    return SamplingView(
        labels=tuple(printable(chars[i]) for i in order) + ("other",),
        frequencies=_top_bins(counts / u.size, order),
        probs=_top_bins(p, order),
        n_draws=int(u.size),
        chi_square=chi_square_test(counts, p),
    )


def bar_distribution(
    ax: Axes,
    view: DistributionView,
    *,
    title: str | None = None,
    show_reference: bool = True,
    unit: str = "character",
) -> BarContainer:
    """Bars of ``view.probs`` (with the ``T = 1`` bars faint behind them). Returns the bars.
    ``unit``: what the bars are, for the axis label (``"character"``, or ``"token"`` in lesson 7).

    Used in: lesson 1, sections 4 (the three regimes) and 7 (the temperature explorer).
    """
    x = np.arange(len(view.labels))
    if show_reference:
        ax.bar(x, view.reference, width=0.8, color=MODEL_COLOR, alpha=0.45, label="T = 1 (model)")
    bars = ax.bar(x, view.probs, width=0.5, color=TEMPERED_COLOR, label="chosen T")
    ax.set_xticks(x, view.labels)
    ax.set_ylim(0, 1.2)  # room for the legend above the tallest possible bar
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("probability")
    ax.set_xlabel(f"next {unit} (top by probability, then all others)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", frameon=False, ncols=2)
    return bars


def histogram_vs_exact(ax: Axes, view: SamplingView, *, title: str | None = None) -> BarContainer:
    """Frequencies of the draws as bars, the exact probabilities as black ticks. Returns the bars.

    Used in: lesson 2, sections 3 (testing a sampler) and 7 (the sampling explorer).
    """
    x = np.arange(len(view.labels))
    bars = ax.bar(
        x, view.frequencies, width=0.7, color=SAMPLE_COLOR, alpha=0.75,
        label=f"drawn (n = {view.n_draws:,})",
    )
    ax.plot(x, view.probs, "_", color="black", markersize=22, markeredgewidth=2.5, label="exact")
    ax.set_xticks(x, view.labels)
    ax.set_ylabel("probability / frequency")
    ax.set_xlabel("character")
    ax.set_ylim(0, 1.2)  # room for the legend above the tallest possible bar
    ax.set_yticks(np.linspace(0, 1, 6))
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", frameon=False, ncols=2)
    return bars


class _BlitChart:
    """A figure that is drawn once and then redrawn in part: the fixed parts are cached as pixels,
    and :meth:`_blit` restores them, draws only the changing ``artists`` and encodes the PNG."""

    def __init__(self, figsize: tuple[float, float]) -> None:
        self.figure = Figure(figsize=figsize, dpi=100)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self.figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2)
        self._logits: NDArray[np.float64] | None = None
        self._chars: Sequence[str] = ()
        self._background = None

    def _cache(self, moving: Sequence) -> None:
        """Mark ``moving`` artists as drawn by :meth:`_blit` only, draw the rest and keep its pixels."""
        for artist in moving:
            artist.set_animated(True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)

    def _blit(self, moving: Sequence) -> bytes:
        if self._logits is None or self._background is None:
            raise RuntimeError("call show_logits() before render()")
        self.canvas.restore_region(self._background)
        for artist in moving:
            self.ax.draw_artist(artist)
        return _png_from_canvas(self.canvas)


class TemperatureBars(_BlitChart):
    """A bar chart of the next-character distribution that redraws in milliseconds as T moves.

    :meth:`show_logits` draws everything that does not depend on the temperature (axes, labels, the
    faint ``T = 1`` bars) once and keeps the rendered pixels. :meth:`render` then restores those
    pixels, sets the heights of the tempered bars and the title, draws only them, and encodes the
    PNG with light compression: a few milliseconds instead of a full matplotlib draw. The ranking
    never changes with T, so the bars keep their places.

    Args:
        figsize: inches (at 100 dpi).
        top_k: characters with their own bar (the rest share an "other" bar).
        unit: what the bars are (``"character"``; ``"token"`` for lesson 7's token model).

    Used in: lesson 4, section 9 and the presentation notebook (the dashboard's still picture, and the browser tests' reference picture).
    """

    def __init__(self, figsize: tuple[float, float] = (7.5, 3.0), top_k: int = 15, unit: str = "character") -> None:
        super().__init__(figsize)
        self.top_k = top_k
        self.unit = unit
        self._bars: BarContainer | None = None
        self._title = None
        self._where = ""
        self.view: DistributionView | None = None

    def show_logits(self, logits: ArrayLike, chars: Sequence[str], context: str = "") -> None:
        """Draw the fixed parts for a new distribution (``logits`` of shape ``(V,)``)."""
        self._logits = np.asarray(logits, dtype=np.float64)
        self._chars = list(chars)
        view = distribution_view(self._logits, self._chars, 1.0, self.top_k)
        self.ax.clear()
        self._bars = bar_distribution(self.ax, view, unit=self.unit)
        self._where = f"after {context!r}: " if context else ""
        self._title = self.ax.set_title(f"Next {self.unit} {self._where}")
        self._cache([*self._bars, self._title])  # drawn by render(), not part of the cached background

    def render(self, temperature: float, title: str | None = None) -> bytes:
        """PNG bytes of the chart at ``temperature`` (after :meth:`show_logits`).

        ``title`` replaces the title; the default names the temperature and the entropy.
        """
        if self._logits is None or self._bars is None or self._title is None:
            raise RuntimeError("call show_logits() before render()")
        self.view = distribution_view(self._logits, self._chars, temperature, self.top_k)
        for bar, height in zip(self._bars, self.view.probs):
            bar.set_height(height)
        t = "0 (greedy)" if temperature == 0 else f"{temperature:g}"
        self._title.set_text(title or f"Next {self.unit} {self._where}T = {t}, entropy {self.view.entropy_bits:.2f} bits")
        return self._blit([*self._bars, self._title])


def _png_from_canvas(canvas: FigureCanvasAgg) -> bytes:
    rgba = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buf = io.BytesIO()
    rgba.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def figure_to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (for an ``ipywidgets.Image``), without pyplot.

    Renders with Agg and encodes with light compression (zlib level 1): about half the time of
    ``fig.savefig`` for a slider's redraw, and the same pixels give the same bytes every time.

    Used in: lessons 1-3, the explorers and the training monitor (:mod:`helpers.widgets`).
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return _png_from_canvas(canvas)


def colored_text_html(text: str, probs: ArrayLike) -> str:
    """HTML of ``text`` with each character shaded by how unlikely it was (``probs``, same length).

    The shade follows ``-log10 p``: a character the model was sure of (p near 1) stays white,
    p = 0.1 is mid orange, p <= 0.01 full orange-red, so the choices that steered a sample stand
    out. A key above the text explains the scale; hovering a character shows its probability.

    Used in: lesson 3, section 5; lesson 4, section 7 (shading by probability); the dashboards' still pictures.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (len(text),):
        raise ValueError(f"need one probability per character: {len(text)} characters, shape {p.shape}")

    def shade(q: float) -> float:
        return 0.85 * min(1.0, max(0.0, -math.log10(max(q, 1e-12)) / 2.0))

    def span(content: str, q: float, title: str) -> str:
        return f'<span title="{title}" style="background: rgba(217, 72, 15, {shade(q):.2f})">{content}</span>'

    key = " ".join(span(f"&nbsp;p = {q:g}&nbsp;", q, f"p = {q:g}") for q in (1.0, 0.3, 0.1, 0.03, 0.01))
    body = "".join(
        span("⏎<br>" if ch == "\n" else html.escape(ch), float(q), f"p = {q:.3f}") for ch, q in zip(text, p)
    )
    return (
        f'<div style="font-size: 0.85em; margin-bottom: 4px">shade = how unlikely each character was: {key}</div>'
        '<div style="font-family: monospace; white-space: pre-wrap; line-height: 1.5">' + body + "</div>"
    )


def samples_table_html(rows: Sequence[dict[str, object]], text_key: str = "sample") -> str:
    """An HTML table with one row per sample: the ``text_key`` column as preformatted text (line
    breaks kept), the other columns as given (numbers formatted by the caller).

    Used in: lesson 4, section 6 (temperature on a real model); lesson 5, section 5.
    """
    if not rows:
        raise ValueError("give at least one row")
    keys = list(rows[0])
    head = "".join(f"<th style='text-align: left'>{html.escape(k)}</th>" for k in keys)
    body = []
    for row in rows:
        cells = []
        for k in keys:
            value = str(row[k])
            if k == text_key:
                cells.append(
                    "<td style='text-align: left'><pre style='white-space: pre-wrap; margin: 0; "
                    f"font-size: 0.85em'>{html.escape(value)}</pre></td>"
                )
            else:
                cells.append(f"<td style='text-align: left; vertical-align: top'>{html.escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def metric_vs_temperature(
    ax: Axes,
    temperatures: ArrayLike,
    values: ArrayLike,
    *,
    label: str,
    color: str | None = None,
    reference: float | None = None,
    reference_label: str = "real text (validation)",
) -> None:
    """A measurement of many samples against temperature: the mean at each temperature with a band
    from the 10th to the 90th percentile of the samples there, and optionally a dashed reference.

    ``temperatures`` and ``values`` are per sample (same length; NaNs are ignored).

    Used in: lesson 5, sections 3 (every measurement against temperature) and 6.
    """
    t = np.asarray(temperatures, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.shape != v.shape:
        raise ValueError(f"one temperature per value: {t.shape} against {v.shape}")
    grid = np.unique(t)
    groups = [v[(t == g) & ~np.isnan(v)] for g in grid]
    keep = np.array([g.size > 0 for g in groups])
    grid = grid[keep]
    groups = [g for g in groups if g.size]
    mean = np.array([g.mean() for g in groups])
    low = np.array([np.percentile(g, 10) for g in groups])
    high = np.array([np.percentile(g, 90) for g in groups])
    (line,) = ax.plot(grid, mean, "o-", ms=3, color=color, label=label)
    ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    if reference is not None:
        ax.axhline(reference, color="gray", ls="--", lw=1, label=reference_label)
    ax.set_xlabel("temperature T")


@dataclass(frozen=True)
class TruncationView:
    """What a chart of a truncated distribution shows, for the ``top`` most likely characters.

    Attributes:
        labels: the characters, most likely first (shape ``(top,)``).
        final: probability of each in the distribution actually sampled from (0 if cut).
        untruncated: its probability at the same ``T`` without truncation.
        kept: whether it survived, bool array of shape ``(top,)``.
        kept_count: how many of all ``V`` characters survived.
        vocab_size: ``V``.
        kept_mass: the share of the model's own (``T = 1``) probability the survivors hold.
        entropy_bits: entropy of the final distribution, in bits.

    Used in: lesson 6, sections 1 (three ways to cut a distribution) and 6 (all the knobs live).
    """

    labels: tuple[str, ...]
    final: NDArray[np.float64]
    untruncated: NDArray[np.float64]
    kept: NDArray[np.bool_]
    kept_count: int
    vocab_size: int
    kept_mass: float
    entropy_bits: float


def truncation_view(
    logits: ArrayLike, chars: Sequence[str], temperature: float, truncation: Truncation, top: int = 20
) -> TruncationView:
    """The ``top`` most likely characters of ``logits`` (shape ``(V,)``) at ``temperature``, before
    and after ``truncation``. Their order is the model's ranking, the same at every ``T``.

    Used in: lesson 6, sections 1 (three ways to cut a distribution) and 6 (all the knobs live).
    """
    from .softmax import check_logits, check_temperature

    z = check_logits(logits)
    t = check_temperature(temperature)
    if z.ndim != 1 or len(chars) != z.size:
        raise ValueError(f"need one logit per character: got {z.shape} logits, {len(chars)} chars")
    keep = truncation.mask(z, t)
    final = softmax_with_temperature(np.where(keep, z, -np.inf), t)
    order = np.argsort(-z, kind="stable")[: min(top, z.size)]
    return TruncationView(
        labels=tuple(printable(chars[i]) for i in order),
        final=final[order],
        untruncated=softmax_with_temperature(z, t)[order],
        kept=keep[order],
        kept_count=int(keep.sum()),
        vocab_size=int(z.size),
        kept_mass=float(softmax_with_temperature(z, 1.0)[keep].sum()),
        entropy_bits=float(entropy(final, unit="bits")),
    )


def truncation_bars(ax: Axes, view: TruncationView, *, title: str | None = None) -> BarContainer:
    """Solid bars for the survivors (their final, renormalised probability) and hatched grey
    outlines for the cut characters (the probability they would have had without truncation).
    Returns the survivors' bars.

    Used in: lesson 6, section 1 (three ways to cut a distribution).
    """
    x = np.arange(len(view.labels))
    cut = ~view.kept
    if cut.any():
        ax.bar(x[cut], view.untruncated[cut], width=0.7, color=CUT_COLOR, edgecolor=CUT_EDGE_COLOR, hatch="///",
               linewidth=0.6, label="cut (its probability without truncation)")
    bars = ax.bar(x[view.kept], view.final[view.kept], width=0.7, color=TEMPERED_COLOR, label="kept (renormalised)")
    ax.set_xticks(x, view.labels)
    ax.set_ylim(0, 1.2)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("probability")
    ax.set_xlabel(f"next character (the {len(view.labels)} most likely, in the model's order)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", frameon=False, ncols=2)
    return bars


class TruncationBars(_BlitChart):
    """:func:`truncation_bars` that redraws in milliseconds as the knobs move (as :class:`TemperatureBars`).

    :meth:`show_logits` draws the axes, labels and legend for a new distribution once and keeps the
    pixels; :meth:`render` sets the heights of the kept and cut bars and the title and draws only
    them. The characters keep their places (the model's ranking does not depend on the knobs).

    Used in: lesson 6, section 6 (the dashboard's still picture, and the browser tests' reference picture).
    """

    def __init__(self, figsize: tuple[float, float] = (7.5, 3.0), top: int = 20) -> None:
        super().__init__(figsize)
        self.top = top
        self._artists: list = []
        self.view: TruncationView | None = None

    def show_logits(self, logits: ArrayLike, chars: Sequence[str]) -> None:
        """Draw the fixed parts for a new distribution (``logits`` of shape ``(V,)``)."""
        self._logits = np.asarray(logits, dtype=np.float64)
        self._chars = list(chars)
        view = truncation_view(self._logits, self._chars, 1.0, Truncation(), self.top)
        self.ax.clear()
        everything = TruncationView(view.labels, view.final, view.untruncated, np.arange(len(view.labels)) % 2 == 0,
                                    0, view.vocab_size, 1.0, 0.0)  # one kept and one cut bar per slot for the legend
        truncation_bars(self.ax, everything, title=" ")
        self.ax.title.set_fontsize(PROJECTOR_FONT_PT - 1)
        self._cut, self._kept = self.ax.containers[-2], self.ax.containers[-1]
        x = np.arange(len(view.labels))
        for container in (self._cut, self._kept):
            container.remove()
        self._cut = self.ax.bar(x, np.zeros(x.size), width=0.7, color=CUT_COLOR, edgecolor=CUT_EDGE_COLOR, hatch="///", linewidth=0.6)
        self._kept = self.ax.bar(x, np.zeros(x.size), width=0.7, color=TEMPERED_COLOR)
        self._artists = [*self._cut, *self._kept, self.ax.title]
        self._cache(self._artists)

    def render(self, temperature: float, truncation: Truncation, title: str) -> bytes:
        """PNG bytes of the chart for these knobs (after :meth:`show_logits`)."""
        if self._logits is None:
            raise RuntimeError("call show_logits() before render()")
        self.view = view = truncation_view(self._logits, self._chars, temperature, truncation, self.top)
        for kept_bar, cut_bar, kept, final, before in zip(self._kept, self._cut, view.kept, view.final, view.untruncated):
            kept_bar.set_height(final)
            kept_bar.set_visible(bool(kept))
            cut_bar.set_height(before)
            cut_bar.set_visible(not kept)
        self.ax.title.set_text(title)
        return self._blit(self._artists)
