"""The one-session slides (`make slides`) in Chromium with the network switched off.

The test builds the deck with the exact command `make slides` runs (into a temporary folder), opens
it from disk as a teacher opens it from a USB stick, with the browser offline and every request that
is not a file recorded, then visits every slide and checks that it rendered: visible text, every
picture loaded at nearly its own size (figures keep the lessons' 12-pt text), the formula typeset by
MathJax, nothing asked of the network, no JavaScript error. Three slides are saved as screenshots.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import nbformat

from .conftest import ROOT, SHOTS

NOTEBOOK = ROOT / "notebooks" / "class" / "one_session.ipynb"
SCREENSHOTS = {"1. Temperature divides the logits": "formula", "3. Novel is not creative": "novel_not_creative",
               "5. Tokens: where LLMs use temperature": "tokens"}


def _slides_command(out: Path) -> list[str]:
    """The command `make slides` runs, building into ``out``."""
    dry = subprocess.run(["make", "-s", "-n", "-o", ".venv/.installed", "slides", f"SLIDES_ARGS=--out {out}"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    lines = [line for line in dry.stdout.splitlines() if "build_slides" in line]
    assert len(lines) == 1, f"`make -n slides` printed {dry.stdout!r}"
    command = shlex.split(lines[0])
    command[0] = str(ROOT / command[0])
    return command


def _expected_slides(nb) -> tuple[int, int]:
    """(slides and subslides, notes cells) that the notebook's slideshow metadata asks for."""
    kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
    return sum(k in ("slide", "subslide") for k in kinds), kinds.count("notes")


def test_slides_open_offline_and_every_slide_renders(browser, tmp_path):
    out = tmp_path / "deck"
    subprocess.run(_slides_command(out), cwd=ROOT, check=True, capture_output=True)
    deck = out / "one_session.slides.html"
    assert deck.is_file()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    slides, notes = _expected_slides(nb)

    context = browser.new_context(viewport={"width": 1280, "height": 720})  # a projector's 720p
    context.set_offline(True)
    asked, failed, errors = [], [], []

    def route(r):
        if urlparse(r.request.url).scheme == "file":
            r.continue_()
        else:
            asked.append(r.request.url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text[:300]))
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"[:300]))
    try:
        page.goto(deck.as_uri())
        # The template loads reveal.js as a require.js module (no global): the same module, by its path.
        page.evaluate("() => new Promise((done) => require(['reveal.js/dist/reveal.js'], (R) => done(window.Reveal = R)))")
        page.wait_for_function("() => Reveal.isReady()", timeout=30_000)
        # A teacher who presses keys at once: nbconvert's template re-renders a slide's formulas at every
        # slide change, which failed ("Math Processing Error") while MathJax's first pass over the deck
        # was still running (the offline template queues it). Then wait for MathJax to finish.
        page.evaluate("() => { for (let h = 0; h < Reveal.getHorizontalSlides().length; h++) Reveal.slide(h, 0); }")
        page.wait_for_function("() => MathJax.isReady && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running",
                               timeout=30_000)
        assert "Math Processing Error" not in page.locator(".reveal").inner_text(), "keys pressed early broke a formula"
        page.evaluate("() => Reveal.configure({transition: 'none', backgroundTransition: 'none'})")  # no slide in motion
        indices = page.evaluate("() => Reveal.getSlides().map((s) => Reveal.getIndices(s))")
        assert len(indices) == slides, f"{len(indices)} slides in the deck, {slides} in the notebook's metadata"
        assert page.locator(".reveal aside.notes").count() == notes, "every 'notes' cell is a speaker note"
        shots = SHOTS / "slides"
        shots.mkdir(parents=True, exist_ok=True)
        titles = []
        for n, where in enumerate(indices):
            page.evaluate("([h, v]) => Reveal.slide(h, v)", [where["h"], where.get("v") or 0])
            page.wait_for_function("() => !window.MathJax || !MathJax.Hub || MathJax.Hub.queue.pending === 0")
            current = page.locator(".reveal .slides section.present:not(.stack)")
            assert current.count() == 1, f"slide {n + 1}: {current.count()} sections shown"
            text = current.inner_text().strip()
            assert len(text) > 20, f"slide {n + 1} shows almost nothing: {text!r}"
            assert "Math Processing Error" not in text and "Traceback" not in text, f"slide {n + 1}: {text[:300]}"
            images = current.locator("img")
            for i in range(images.count()):
                img = images.nth(i)
                loaded = img.evaluate("(el) => el.complete && el.naturalWidth > 0")
                assert loaded, f"slide {n + 1}: image {i + 1} is missing"
                if img.evaluate("(el) => !!el.closest('.jp-OutputArea-output')"):  # a figure a cell drew
                    shown = img.evaluate("(el) => el.getBoundingClientRect().width / el.naturalWidth")
                    assert shown >= 0.9, f"slide {n + 1}: a figure shown at {shown:.0%} of its size: its 12-pt text shrinks"
                    box = img.bounding_box()
                    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280 + 1, f"slide {n + 1}: a figure runs off the screen"
            smallest = current.evaluate(  # CSS px as drawn: reveal.js scales the whole slide to the screen
                "(el) => Reveal.getScale() * Math.min(...[...el.querySelectorAll('pre, td, th, p, li')]"
                ".filter((e) => e.innerText.trim()).map((e) => parseFloat(getComputedStyle(e).fontSize)))")
            assert smallest >= 16, f"slide {n + 1}: text drawn at {smallest:.1f} px, below 12 pt (16 px)"
            cut = current.evaluate("(el) => [...el.querySelectorAll('pre')].filter((e) => e.scrollWidth > e.clientWidth + 1)"
                                   ".map((e) => e.innerText.slice(0, 60))")
            assert not cut, f"slide {n + 1}: printed lines wider than the slide: {cut}"
            height = current.evaluate("(el) => el.scrollHeight")
            assert height <= 700, f"slide {n + 1} is {height} px tall: the bottom is cut off a 700-px slide"
            heading = current.locator("h1, h2, h3").first
            title = heading.text_content().strip().rstrip("¶").strip() if heading.count() else ""  # (CSS shows it in capitals)
            titles.append(title)
            if title in SCREENSHOTS:
                page.screenshot(path=str(shots / f"{n + 1:02d}_{SCREENSHOTS[title]}.png"))
        assert "Math Processing Error" not in page.locator(".reveal").inner_text(), "a formula failed (notes included)"
        formula = page.locator(".reveal section:not(.stack)", has=page.locator("h2", has_text="1. Temperature divides the logits"))
        assert formula.locator(".MathJax_Display, .MathJax, mjx-container").count() >= 1, "the formula was not typeset"
        assert set(SCREENSHOTS) <= set(titles), f"slides not found: {set(SCREENSHOTS) - set(titles)}"
    finally:
        context.close()
    assert not asked, f"the deck asked the network for {asked}"
    # MathJax 2 declares a font at about:blank to detect fonts; a page opened from disk (origin null) may
    # not load it, and says so. That is its only request that fails, and it changes nothing shown.
    failed = [f for f in failed if not f.startswith("about:blank")]
    errors = [e for e in errors if "font at 'about:blank'" not in e and e != "Failed to load resource: net::ERR_FAILED"]
    assert not failed, f"requests failed: {failed}"
    assert not errors, f"JavaScript errors: {errors}"
