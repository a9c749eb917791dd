"""Driving lesson widgets in a real browser and checking them against the same widget in Python.

A widget under test is found in the page as the outermost ``.widget-vbox`` of a cell's output (or a
Voilà page). Its leaves, in document order, are read generically: sliders (their readout), text
areas, number boxes, dropdowns, toggle buttons, HTML lines and images, and the dashboards' views
drawn in the browser (:mod:`helpers.frontend`): a chart and a shaded text, each of which writes what
it drew to its ``data-state`` attribute (JSON).

The *oracle* is the same widget built in this test process from the same arguments. Each move is
made with a real gesture in the browser (arrow keys on a slider handle, typing into a box, picking
from a dropdown, clicking a toggle) and applied to the oracle as a plain value change; then the
browser must show exactly what the oracle computed: every control's value, every HTML line's text,
every image's pixels, every chart's data (labels and kept sets exactly, probabilities to 1e-9: the
chart computes them in the page) and every shaded text's characters and probabilities. A chart's
drawing is read back too: the bars' heights, measured in a screenshot of the chart, must be the
data's, as they are in matplotlib's picture of the same state (the reference picture).

The oracle also says which outputs the move changes, which is what the latency measurement waits
for: from the input event to each of those outputs updated in the page, timed by a
MutationObserver in the page. For a move that redraws a chart, the chart's time ("bars") and the
last other output's time ("text": what waits for the kernel) are filed separately.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as w
import nbformat
import numpy as np
from PIL import Image

LEAVES = (".widget-slider, .widget-textarea, .widget-text, .widget-dropdown, .widget-toggle-buttons, "
          ".widget-html, img.widget-image, .widget-hprogress, .lesson-chart, .lesson-shaded-text")

# Installed once per widget root: reads its leaves, and times input → the outputs a move changes.
_INSTRUMENT = """
(root) => {
  const LEAVES = %r;
  const leaves = () => [...root.querySelectorAll(LEAVES)];
  const kind = (el) => {
    const c = el.classList;
    if (c.contains('lesson-chart')) return 'chart';
    if (c.contains('lesson-shaded-text')) return 'shaded';
    if (c.contains('widget-slider')) return 'slider';
    if (c.contains('widget-textarea')) return 'textarea';
    if (c.contains('widget-text')) return 'text';
    if (c.contains('widget-dropdown')) return 'dropdown';
    if (c.contains('widget-toggle-buttons')) return 'toggle';
    if (c.contains('widget-html')) return 'html';
    if (c.contains('widget-image')) return 'image';
    return 'progress';
  };
  const read = (el) => {
    switch (kind(el)) {
      case 'slider': return el.querySelector('.widget-readout').textContent.trim();
      case 'textarea': return el.querySelector('textarea').value;
      case 'text': return el.querySelector('input').value;
      case 'dropdown': { const s = el.querySelector('select'); return (s.selectedOptions[0]?.textContent ?? '').replace(/\u00a0/g, ' '); }
      case 'toggle': return el.querySelector('button.mod-active')?.textContent.trim() ?? '';
      case 'html': return el.querySelector('.widget-html-content').textContent;
      case 'image': return el.src;
      case 'progress': return el.querySelector('.progress-bar')?.style.width ?? '';
      case 'chart': return el.dataset.state ?? '';
      case 'shaded': {
        const body = el.querySelector('.lesson-shaded-body');
        return JSON.stringify({ ...JSON.parse(el.dataset.state ?? '{}'), shown: body ? body.textContent : '' });
      }
    }
  };
  const signature = (el) => {
    const k = kind(el);
    if (k === 'html') return el.querySelector('.widget-html-content').innerHTML;
    return k === 'chart' || k === 'shaded' ? (el.dataset.state ?? '') : read(el);
  };
  const L = root.__lat = { armed: false, t0: null, done: null, want: [], snap: [], at: {} };
  root.__read = () => leaves().map((el) => ({ kind: kind(el), value: read(el) }));
  root.__arm = (want) => {
    const els = leaves();
    Object.assign(L, { armed: true, t0: null, done: null, want, snap: want.map((i) => signature(els[i])), at: {} });
  };
  const check = () => {
    if (L.t0 === null || L.done !== null) return;
    const els = leaves(), now = performance.now();
    L.want.forEach((i, k) => { if (!(i in L.at) && signature(els[i]) !== L.snap[k]) L.at[i] = now; });
    if (L.want.every((i) => i in L.at)) L.done = now;
  };
  new MutationObserver(check).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  for (const type of ['keydown', 'change', 'click']) {
    document.addEventListener(type, () => { if (L.armed) { L.armed = false; L.t0 = performance.now(); check(); } }, true);
  }
  return root.__read().map((x) => x.kind);
}
""" % LEAVES

_IMAGE_BYTES = """
async (img) => {
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
"""

# How much of the image, as the browser drew it, differs from its background (top-left pixel).
_INK = """
(img) => {
  if (!img.complete || img.naturalWidth === 0) return -1;
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) ink++;
  }
  return ink / (c.width * c.height);
}
"""

_TEXT_OF_HTML = "(html) => { const d = document.createElement('div'); d.innerHTML = html; return d.textContent; }"


def _kind(widget: w.Widget) -> str | None:
    from helpers import frontend

    if isinstance(widget, frontend._Chart):
        return "chart"
    if isinstance(widget, frontend.ShadedText):
        return "shaded"
    if isinstance(widget, (w.SelectionSlider, w.IntSlider, w.FloatSlider)):
        return "slider"
    if isinstance(widget, w.Textarea):
        return "textarea"
    if isinstance(widget, (w.BoundedIntText, w.IntText, w.Text)):
        return "text"
    if isinstance(widget, w.Dropdown):
        return "dropdown"
    if isinstance(widget, w.ToggleButtons):
        return "toggle"
    if isinstance(widget, w.HTML):
        return "html"
    if isinstance(widget, w.Image):
        return "image"
    if isinstance(widget, w.IntProgress):
        return "progress"
    return None


def leaves_of(root: w.Widget) -> list[w.Widget]:
    """The leaf widgets of ``root`` in the order the browser lays them out."""
    if isinstance(root, w.Box):
        return [leaf for child in root.children for leaf in leaves_of(child)]
    return [root] if _kind(root) else []


def shown_value(widget: w.Widget) -> str | bytes:
    """What the browser shows for a leaf: a slider's readout, a box's text, an HTML string, PNG bytes,
    a chart's data (Python's answer for the controls it follows), a shaded text's characters."""
    kind = _kind(widget)
    if kind == "chart":
        return widget.state()
    if kind == "shaded":
        return {**widget.state(), "shown": widget.content["text"].replace("\n", "⏎")}
    if isinstance(widget, (w.SelectionSlider, w.Dropdown, w.ToggleButtons)):
        return widget._options_labels[widget.index]  # (``.label`` stays "" when built with value=0)
    if kind in ("textarea", "text", "slider"):
        return str(widget.value)
    return widget.value


def oracle(source: str, **namespace) -> object:
    """Run a lesson's widget cell in this process (given the names it uses); return its widget."""
    from helpers import data, widgets

    namespace.setdefault("widgets", widgets)
    namespace.setdefault("data", data)
    namespace.setdefault("np", np)
    *body, last = source.strip().splitlines()
    exec("\n".join(body), namespace)  # noqa: S102 - the lesson's own cell, from this repository
    return eval(last, namespace)  # noqa: S307


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def chart_differences(got: dict, want: dict, where: str) -> list[str]:
    """How the chart data the page drew differs from Python's: labels, kept sets and the title must
    be equal, numbers equal to 1e-9 (the page computes them with the same formulas)."""
    if got.keys() != want.keys():
        return [f"{where}: the page drew {sorted(got)}, Python computed {sorted(want)}"]
    problems = []
    for key, value in want.items():
        shown = got[key]
        if isinstance(value, list) and value and isinstance(value[0], float):
            close = len(shown) == len(value) and np.allclose(shown, value, rtol=0, atol=1e-9)
        elif isinstance(value, float):
            close = abs(shown - value) <= 1e-9
        else:
            close = shown == value
        if not close:
            problems.append(f"{where}: {key}: page {str(shown)[:160]} != Python {str(value)[:160]}")
    return problems


_TEMPERED = "tempered"


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])


def _bar_tops(rgb: np.ndarray, xs: list[float], y0: float, y1: float, match) -> list[float]:
    """The height (in probability) of the bar drawn at each column ``x`` of ``rgb``: the topmost
    pixel that ``match`` accepts, scanning down from probability 1.02 (below the legend) to 0."""
    heights = []
    top = int(round(y0 - 1.02 * (y0 - y1)))
    for x in xs:
        column = rgb[top : int(round(y0)), int(round(x))]
        hits = np.flatnonzero(match(column))
        heights.append(0.0 if hits.size == 0 else (y0 - (top + hits[0])) / (y0 - y1))
    return heights


def bars_in_picture(rgb: np.ndarray, state: dict, xs: list[float], unit: float, y0: float, y1: float) -> dict:
    """The bars' heights read off a picture of a chart (the page's or matplotlib's): ``drawn`` for the
    chosen-T or kept bars (orange), ``behind`` for the faint T = 1 bars or the hatched cut ones."""
    from helpers import plots

    def near(color: str, tolerance: int):
        return lambda px: np.abs(px[..., :3].astype(int) - _rgb(color)).max(axis=-1) <= tolerance

    faint = 255 - 0.45 * (255 - _rgb(plots.MODEL_COLOR))  # the T = 1 bars: alpha 0.45 on white

    def greyish(px):  # the hatched cut bars: their fill, their lines and what lies between
        c = px[..., :3].astype(int)
        return (np.ptp(c, axis=-1) <= 30) & (c.max(axis=-1) <= 225) & (c.min(axis=-1) >= 110)

    drawn = _bar_tops(rgb, xs, y0, y1, near(plots.TEMPERED_COLOR, 40))
    if "reference" in state:  # the faint bars are wider: read them beside the orange one
        behind = _bar_tops(rgb, [x + 0.32 * unit for x in xs], y0, y1,
                           lambda px: np.abs(px[..., :3].astype(int) - faint).max(axis=-1) <= 14)
    else:
        behind = _bar_tops(rgb, [x + 0.2 * unit for x in xs], y0, y1, greyish)  # off the vertical grid line
    return {"drawn": drawn, "behind": behind}


def expected_bars(state: dict) -> dict:
    """What :func:`bars_in_picture` should read for a chart's data."""
    if "reference" in state:
        return {"drawn": state["probs"], "behind": state["reference"]}
    return {"drawn": [f if k else 0.0 for f, k in zip(state["final"], state["kept"])],
            "behind": [0.0 if k else u for u, k in zip(state["untruncated"], state["kept"])]}


def bar_differences(read: dict, want: dict, where: str, pixels: float, tolerance_px: float = 3.0) -> list[str]:
    """Bars whose height in a picture is more than ``tolerance_px`` pixels off the data."""
    problems = []
    for part in ("drawn", "behind"):
        for i, (got, value) in enumerate(zip(read[part], want[part])):
            if abs(got - value) * pixels > tolerance_px:
                problems.append(f"{where}: {part} bar {i}: {got:.3f} in the picture, {value:.3f} in the data")
    return problems


@dataclass
class Move:
    """One gesture on the ``control``-th control (0-based, among the controls in page order)."""

    name: str
    control: int
    gesture: str  # "right", "left", "home", "end" (sliders), "type" (boxes), "select", "click"
    value: str | None = None  # the text to type, option to select or button to click


@dataclass
class WidgetUnderTest:
    """A widget in the page, its Python oracle (or None) and where its screenshots go."""

    page: object  # playwright Page
    root: object  # Locator of the widget's outermost VBox
    oracle: w.Widget | None
    title: str  # e.g. "lesson 4 · dashboard", for the latency report and screenshots
    shots: Path
    latencies: dict[str, list[float]]
    kinds: list[str] = field(default_factory=list)
    count: int = 0

    def __post_init__(self) -> None:
        self.root.scroll_into_view_if_needed()
        self.kinds = self.root.evaluate(_INSTRUMENT)
        if self.oracle is not None:
            expected = [_kind(leaf) for leaf in leaves_of(self.oracle)]
            assert self.kinds == expected, f"{self.title}: the page shows {self.kinds}, Python built {expected}"
        self.shots.mkdir(parents=True, exist_ok=True)
        self.screenshot("initial")

    # ------------------------------------------------------------------ reading

    @property
    def controls(self) -> list[int]:
        """Indices (among the leaves) of the controls."""
        return [i for i, k in enumerate(self.kinds) if k in ("slider", "textarea", "text", "dropdown", "toggle")]

    def read(self) -> list[dict]:
        """Every leaf as shown: ``{"kind": ..., "value": ...}`` (an image's value is its blob URL)."""
        return self.root.evaluate("(root) => root.__read()")

    def texts(self) -> list[str]:
        """The text of every HTML leaf, in page order."""
        return [x["value"] for x in self.read() if x["kind"] == "html"]

    def image_bytes(self, n: int = 0) -> bytes:
        return base64.b64decode(self.root.locator("img.widget-image").nth(n).evaluate(_IMAGE_BYTES))

    def ink(self, n: int = 0) -> float:
        """The share of the ``n``-th image's pixels, as drawn by the browser, that are not background."""
        return self.root.locator("img.widget-image").nth(n).evaluate(_INK)

    def assert_images_drawn(self, min_ink: float = 0.01) -> None:
        for n in range(self.kinds.count("image")):
            ink = self.ink(n)
            assert ink >= min_ink, f"{self.title}: image {n} is blank or missing (non-background share {ink:.4f})"
        for n in range(self.kinds.count("chart")):
            self.check_chart_drawing(n, min_ink)

    def check_chart_drawing(self, n: int = 0, min_ink: float = 0.01) -> None:
        """The ``n``-th chart as the browser drew it: not blank, projector-sized text, and bars as tall
        as its data says, as they are in matplotlib's picture of the same state (with an oracle)."""
        from helpers import plots

        chart = self.root.locator(".lesson-chart").nth(n)
        plot = json.loads(chart.get_attribute("data-plot"))
        state = json.loads(chart.get_attribute("data-state"))
        box, svg = chart.bounding_box(), chart.locator("svg").bounding_box()
        scale = svg["width"] / plot["width"]
        smallest = chart.evaluate("(el) => Math.min(...[...el.querySelectorAll('text')].filter((t) => t.textContent.trim())"
                                  ".map((t) => parseFloat(getComputedStyle(t).fontSize)))")
        least = (plots.PROJECTOR_FONT_PT - 1) * 4 / 3  # 11 pt in CSS pixels: ticks and legend; the rest 12 pt
        assert smallest * scale >= least - 0.05, f"{self.title}: chart text drawn at {smallest * scale:.1f} px < {least:.1f} px"
        rgb = png_pixels(chart.screenshot())[..., :3]
        ink = float((np.abs(rgb.astype(int) - 255).sum(axis=-1) > 30).mean())
        assert ink >= min_ink, f"{self.title}: chart {n} is blank (non-background share {ink:.4f})"
        left, right = plot["left"], plot["right"]
        span = plot["x_hi"] - plot["x_lo"]
        xs = [svg["x"] - box["x"] + scale * (left + (i - plot["x_lo"]) / span * (right - left)) for i in range(len(state["labels"]))]
        y0 = svg["y"] - box["y"] + scale * plot["bottom"]
        y1 = svg["y"] - box["y"] + scale * (plot["bottom"] - (plot["bottom"] - plot["top"]) / plot["y_max"])
        want = expected_bars(state)
        read = bars_in_picture(rgb, state, xs, scale * (right - left) / span, y0, y1)
        problems = bar_differences(read, want, f"{self.title}: the page's chart", y0 - y1)
        if self.oracle is not None:
            leaf = [x for x in leaves_of(self.oracle) if _kind(x) == "chart"][n]
            ref = leaf.reference_picture()
            ref_rgb = png_pixels(ref["png"])[..., :3]
            unit = ref["x"][1] - ref["x"][0] if len(ref["x"]) > 1 else 1.0
            ref_read = bars_in_picture(ref_rgb, state, ref["x"], unit, ref["y0"], ref["y1"])
            problems += bar_differences(ref_read, want, f"{self.title}: matplotlib's reference picture", ref["y0"] - ref["y1"])
        assert not problems, "\n".join(problems)

    def mismatches(self) -> list[str]:
        """How the page differs from the oracle (empty when it shows exactly what Python computed)."""
        shown, problems, image_no = self.read(), [], 0
        for i, (leaf, got) in enumerate(zip(leaves_of(self.oracle), shown)):
            want = shown_value(leaf)
            if got["kind"] == "image":
                if png_pixels(self.image_bytes(image_no)).tobytes() != png_pixels(want).tobytes():
                    problems.append(f"leaf {i} (image {image_no}): pixels differ from Python's figure")
                image_no += 1
            elif got["kind"] == "chart":
                problems += chart_differences(json.loads(got["value"] or "{}"), want, f"leaf {i} (chart)")
            elif got["kind"] == "shaded":
                if json.loads(got["value"] or "{}") != want:
                    problems.append(f"leaf {i} (shaded text): page {got['value'][:200]!r} != Python {str(want)[:200]!r}")
            elif got["kind"] == "html":
                want_text = self.page.evaluate(_TEXT_OF_HTML, want)
                if got["value"] != want_text:
                    problems.append(f"leaf {i} (html): page {got['value'][:200]!r} != Python {want_text[:200]!r}")
            elif got["kind"] != "progress" and got["value"] != want:
                problems.append(f"leaf {i} ({got['kind']}): page {got['value']!r} != Python {want!r}")
        return problems

    def assert_matches_oracle(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while (problems := self.mismatches()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not problems, f"{self.title}: the page does not show what Python computed:\n" + "\n".join(problems)

    # ------------------------------------------------------------------ moving

    def _apply_to_oracle(self, move: Move) -> None:
        controls = [leaf for leaf in leaves_of(self.oracle) if _kind(leaf) in ("slider", "textarea", "text", "dropdown", "toggle")]
        c = controls[move.control]
        if isinstance(c, w.SelectionSlider):
            last = len(c.options) - 1
            c.index = {"right": min(c.index + 1, last), "left": max(c.index - 1, 0), "home": 0, "end": last}[move.gesture]
        elif isinstance(c, (w.IntSlider, w.FloatSlider)):
            c.value = {"right": min(c.value + c.step, c.max), "left": max(c.value - c.step, c.min),
                       "home": c.min, "end": c.max}[move.gesture]
        elif isinstance(c, (w.Dropdown, w.ToggleButtons)):
            c.index = c._options_labels.index(move.value)
        elif isinstance(c, (w.BoundedIntText, w.IntText)):
            c.value = int(move.value)
        else:
            c.value = move.value

    def _gesture(self, move: Move) -> None:
        """Arm the timer, then make the gesture; the timer starts at its key press, change or click."""
        leaf = self.root.locator(LEAVES).nth(self.controls[move.control])
        arm = lambda: self.root.evaluate("(root, want) => root.__arm(want)", self._want)  # noqa: E731
        if move.gesture in ("right", "left", "home", "end"):
            leaf.locator(".noUi-handle").focus()
            arm()
            self.page.keyboard.press({"right": "ArrowRight", "left": "ArrowLeft", "home": "Home", "end": "End"}[move.gesture])
        elif move.gesture == "type":
            box = leaf.locator("textarea, input").first
            box.fill(move.value)
            arm()
            self.page.keyboard.press("Tab" if self.kinds[self.controls[move.control]] == "textarea" else "Enter")
        elif move.gesture == "select":
            arm()
            leaf.locator("select").select_option(label=move.value)
        elif move.gesture == "click":
            arm()
            leaf.locator("button", has_text=move.value).click()
        else:
            raise ValueError(f"unknown gesture {move.gesture!r}")

    def move(self, move: Move, latency_key: str | None = None, expect: list[int] | None = None) -> float | None:
        """Make ``move`` in the page (and in the oracle), wait for the outputs it changes, check them.

        ``expect``: for a widget without an oracle, the leaves that must change. Returns the latency
        in ms (None if the move changes no output), also filed under ``latency_key``.
        """
        if self.oracle is not None:
            before = [shown_value(leaf) for leaf in leaves_of(self.oracle)]
            self._apply_to_oracle(move)
            after = [shown_value(leaf) for leaf in leaves_of(self.oracle)]
            outputs = [i for i, k in enumerate(self.kinds) if k in ("html", "image", "chart", "shaded")]
            self._want = [i for i in outputs if before[i] != after[i]]
        else:
            self._want = list(expect or [])
        self._gesture(move)
        latency = None
        if self._want:
            handle = self.root.evaluate_handle("(root) => root")
            self.page.wait_for_function("(root) => root.__lat.done !== null", arg=handle, timeout=30_000)
            lat = self.root.evaluate("(root) => ({ t0: root.__lat.t0, done: root.__lat.done, at: root.__lat.at })")
            latency = lat["done"] - lat["t0"]
            key = f"{self.title} · {latency_key or move.name}"
            charts = [i for i in self._want if self.kinds[i] == "chart"]
            others = [i for i in self._want if self.kinds[i] != "chart"]
            if charts:  # drawn in the page ("bars") and what waits for the kernel ("text"), apart
                self.latencies.setdefault(f"{key} · bars", []).append(max(lat["at"][str(i)] for i in charts) - lat["t0"])
                if others:
                    self.latencies.setdefault(f"{key} · text", []).append(max(lat["at"][str(i)] for i in others) - lat["t0"])
            else:
                self.latencies.setdefault(key, []).append(latency)
        else:
            self.page.wait_for_timeout(500)  # nothing should change; give a wrong change time to show
        if self.oracle is not None:
            self.assert_matches_oracle()
        self.assert_images_drawn()
        self.screenshot(move.name)
        return latency

    def screenshot(self, name: str) -> Path:
        self.count += 1
        path = self.shots / f"{self.count:02d}_{re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_')}.png"
        self.root.screenshot(path=str(path))
        return path


# ---------------------------------------------------------------------------------- JupyterLab

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"

_RUN_STATE = """
() => {
  const nb = document.querySelector('%s');
  if (!nb) return null;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map((e) => e.textContent.trim());
  const status = nb.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status');
  return { prompts, status };
}
""" % NOTEBOOK


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _dismiss_toasts(page) -> None:
    for button in page.locator(".Toastify button", has_text=re.compile("^(No|Dismiss)$")).all():
        try:
            button.click(timeout=1000)
        except Exception:  # noqa: BLE001 - a toast that went away by itself is fine
            pass


def run_lesson(page, server, name: str, timeout_s: float = 240) -> float:
    """Open ``notebooks/name`` in JupyterLab, clear its stored outputs, Run All, wait until every code
    cell has run and the kernel is idle; fail on any error output. Returns the run time in seconds."""
    page.goto(f"{server.url}lab/tree/notebooks/{name}?reset&token={server.token}")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    _dismiss_toasts(page)
    _menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function("() => [...document.querySelectorAll('%s .jp-CodeCell .jp-InputArea-prompt')]"
                           ".every((e) => !/\\d/.test(e.textContent))" % NOTEBOOK, timeout=30_000)
    start = time.monotonic()
    _menu(page, "Run", "Run All Cells")
    state, quiet, asked, halted = None, 0, 1, 0
    while time.monotonic() - start < timeout_s:
        page.wait_for_timeout(1000)
        state = page.evaluate(_RUN_STATE)
        prompts = state["prompts"]
        done = state["status"] == "idle" and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        quiet = quiet + 1 if done else 0
        if quiet >= 2:
            break
        # Stopped part-way: the kernel idle, no cell running or queued, some not run, for 3 s. After an
        # error that is the error's report; with no error output it is the page's glitch (seen twice
        # here under load: the menu click lost, or the run stopped after cell 1): ask once more.
        stopped = state["status"] == "idle" and "[*]:" not in prompts and "[ ]:" in prompts
        halted = halted + 1 if stopped and time.monotonic() - start > 15 else 0
        if halted >= 3:
            errors = _error_outputs(page)
            assert not errors, f"{name}: Run All stopped at an error:\n" + "\n---\n".join(errors)
            assert asked < 2, f"{name}: Run All Cells was asked twice and stopped with no error; last state {state}"
            _dismiss_toasts(page)
            _menu(page, "Run", "Run All Cells")
            asked, halted = asked + 1, 0
    else:
        errors = _error_outputs(page)
        raise AssertionError(f"{name}: Run All did not finish in {timeout_s:.0f} s; last state {state}; "
                             f"error outputs: {errors}")
    seconds = time.monotonic() - start
    counts = [int(p[1:-2]) for p in state["prompts"]]
    assert counts == list(range(counts[0], counts[0] + len(counts))), f"{name}: cells ran out of order or not at all: {counts}"
    _dismiss_toasts(page)
    errors = _error_outputs(page)
    assert not errors, f"{name}: error output after Run All:\n" + "\n---\n".join(errors)
    return seconds


def _error_outputs(page) -> list[str]:
    """The text of every output of the open notebook that reports an error (first 600 characters)."""
    return page.evaluate(
        "() => [...document.querySelectorAll('%s .jp-OutputArea-output')]"
        ".map((e) => e.textContent).filter((t) => /Traceback|Error displaying widget|Error rendering/.test(t))"
        ".map((t) => t.slice(0, 600))" % NOTEBOOK
    )


def cell_widget(page, cell_index: int):
    """The outermost widget VBox in the output of the notebook's ``cell_index``-th cell (0-based,
    markdown cells included)."""
    cell = page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").nth(cell_index)
    cell.scroll_into_view_if_needed()
    root = cell.locator(".jp-OutputArea-output .widget-vbox").first
    root.wait_for(state="visible", timeout=30_000)
    return root


def shutdown_lesson_kernel(server, name: str) -> None:
    """Shut down the kernel of ``name`` (each lesson's kernel holds a few hundred MB)."""
    for session in server.request("GET", "api/sessions") or []:
        if session.get("path", "").endswith(name):
            server.request("DELETE", f"api/sessions/{session['id']}", timeout=30)


# ----------------------------------------------------------------------------- the notebooks served

_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def widget_cell(name: str, marker: str) -> tuple[int, str]:
    """Index (markdown cells included) and source of the first code cell of ``notebooks/name`` that
    contains ``marker``."""
    nb = nbformat.read(_NOTEBOOKS / name, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and marker in cell.source:
            return i, cell.source
    raise AssertionError(f"{name}: no code cell contains {marker!r}")


def with_only_the_cells_for(server, name: str, *markers: str) -> None:
    """In the served copy of ``notebooks/name``, empty every code cell but its first (the setup) and
    those that contain one of ``markers`` (a comment stays in their place, so cells keep their
    indices): the long measurements are nbval's and the simulated machine's to run."""
    path = Path(server.root) / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    kept = [c for c in code[1:] if any(m in c.source for m in markers)]
    assert len(kept) == len(markers), f"{name}: a marker is missing or repeated"
    for cell in code[1:]:
        if cell not in kept:
            cell.source = "# (left out of the browser test: nbval runs this cell)"
    nbformat.write(nb, path)
