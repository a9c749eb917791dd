"""Driving lesson widgets in a real browser and checking them against the same widget in Python.

A widget under test is found in the page as the outermost ``.widget-vbox`` of a cell's output (or a
Voilà page). Its leaves, in document order, are read generically: sliders (their readout), text
areas, number boxes, dropdowns, toggle buttons, HTML lines and images.

The *oracle* is the same widget built in this test process from the same arguments. Each move is
made with a real gesture in the browser (arrow keys on a slider handle, typing into a box, picking
from a dropdown, clicking a toggle) and applied to the oracle as a plain value change; then the
browser must show exactly what the oracle computed: every control's value, every HTML line's text
and every image's pixels. The oracle also says which outputs the move changes, which is what the
latency measurement waits for: from the input event to the last of those outputs updated in the
page, timed by a MutationObserver in the page.
"""

from __future__ import annotations

import base64
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as w
import numpy as np
from PIL import Image

LEAVES = (".widget-slider, .widget-textarea, .widget-text, .widget-dropdown, .widget-toggle-buttons, "
          ".widget-html, img.widget-image, .widget-hprogress")

# Installed once per widget root: reads its leaves, and times input → the outputs a move changes.
_INSTRUMENT = """
(root) => {
  const LEAVES = %r;
  const leaves = () => [...root.querySelectorAll(LEAVES)];
  const kind = (el) => {
    const c = el.classList;
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
    }
  };
  const signature = (el) => kind(el) === 'html' ? el.querySelector('.widget-html-content').innerHTML : read(el);
  const L = root.__lat = { armed: false, t0: null, done: null, want: [], snap: [] };
  root.__read = () => leaves().map((el) => ({ kind: kind(el), value: read(el) }));
  root.__arm = (want) => {
    const els = leaves();
    Object.assign(L, { armed: true, t0: null, done: null, want, snap: want.map((i) => signature(els[i])) });
  };
  const check = () => {
    if (L.t0 === null || L.done !== null) return;
    const els = leaves();
    if (L.want.every((i, k) => signature(els[i]) !== L.snap[k])) L.done = performance.now();
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
    """What the browser shows for a leaf: a slider's readout, a box's text, an HTML string, PNG bytes."""
    kind = _kind(widget)
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

    def mismatches(self) -> list[str]:
        """How the page differs from the oracle (empty when it shows exactly what Python computed)."""
        shown, problems, image_no = self.read(), [], 0
        for i, (leaf, got) in enumerate(zip(leaves_of(self.oracle), shown)):
            want = shown_value(leaf)
            if got["kind"] == "image":
                if png_pixels(self.image_bytes(image_no)).tobytes() != png_pixels(want).tobytes():
                    problems.append(f"leaf {i} (image {image_no}): pixels differ from Python's figure")
                image_no += 1
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
            outputs = [i for i, k in enumerate(self.kinds) if k in ("html", "image")]
            self._want = [i for i in outputs if before[i] != after[i]]
        else:
            self._want = list(expect or [])
        self._gesture(move)
        latency = None
        if self._want:
            handle = self.root.evaluate_handle("(root) => root")
            self.page.wait_for_function("(root) => root.__lat.done !== null", arg=handle, timeout=30_000)
            latency = self.root.evaluate("(root) => root.__lat.done - root.__lat.t0")
            self.latencies.setdefault(f"{self.title} · {latency_key or move.name}", []).append(latency)
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


def run_lesson(page, server, name: str, timeout_s: float = 600) -> float:
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
    state, quiet = None, 0
    while time.monotonic() - start < timeout_s:
        page.wait_for_timeout(1000)
        state = page.evaluate(_RUN_STATE)
        done = state["status"] == "idle" and all(re.fullmatch(r"\[\d+\]:", p) for p in state["prompts"])
        quiet = quiet + 1 if done else 0
        if quiet >= 2:
            break
    else:
        raise AssertionError(f"{name}: Run All did not finish in {timeout_s:.0f} s; last state {state}")
    seconds = time.monotonic() - start
    counts = [int(p[1:-2]) for p in state["prompts"]]
    assert counts == list(range(1, len(counts) + 1)), f"{name}: cells ran out of order or not at all: {counts}"
    _dismiss_toasts(page)
    errors = page.evaluate(
        "() => [...document.querySelectorAll('%s .jp-OutputArea-output')]"
        ".map((e) => e.textContent).filter((t) => /Traceback|Error displaying widget|Error rendering/.test(t))"
        ".map((t) => t.slice(0, 600))" % NOTEBOOK
    )
    assert not errors, f"{name}: error output after Run All:\n" + "\n---\n".join(errors)
    return seconds


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
