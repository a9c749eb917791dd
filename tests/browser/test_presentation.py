"""Presentation mode: `make present` (Voilà on the lesson-4 dashboard), in Chromium, offline.

The test takes the exact command `make present` runs (from `make -n`), starts it on a free port
with a token, and opens it with every request beyond loopback blocked: Voilà's page links icon
stylesheets from a CDN, and a classroom projector may well be offline. The dashboard must render
with no code on the page, and its controls must drive it exactly as the same widget in Python does.
"""

from __future__ import annotations

import secrets
import shlex
import subprocess

import nbformat

from helpers import char_lstm

from .conftest import LATENCIES, ROOT, SHOTS, Page, Server, _copy_notebooks, _free_port, _isolated_env
from .driver import Move, WidgetUnderTest, oracle

PRESENTATION = "notebooks/presentation/temperature_dashboard.ipynb"


def _present_command(port: int, token: str) -> list[str]:
    """The command `make present` runs, with server options for the test appended."""
    args = f"--no-browser --Voila.port={port} --Voila.port_retries=0 --Voila.token={token}"
    dry = subprocess.run(["make", "-s", "-n", "-o", ".venv/.installed", "present", f"VOILA_ARGS={args}"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    lines = [line for line in dry.stdout.splitlines() if "voila" in line]
    assert len(lines) == 1, f"`make -n present` printed {dry.stdout!r}"
    return shlex.split(lines[0])


def test_present_shows_the_dashboard_offline(browser, tmp_path_factory, lesson_style):
    home = tmp_path_factory.mktemp("voila")
    root = _copy_notebooks(home / "root")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = _present_command(port, token)
    cmd[0] = str(ROOT / cmd[0])  # .venv/bin/python, run from the copy
    server = Server("Voilà", cmd, port, token, root, _isolated_env(home), home / "voila.log")
    page = Page(browser, width=1280, height=900)
    try:
        server.wait_ready("voila/static/voila.js", timeout=120)  # a static file: starts no kernel
        page.page.goto(f"{server.url}?token={token}")
        widget = page.page.locator(".widget-vbox").first
        widget.wait_for(state="visible", timeout=120_000)
        shown = page.page.locator("body").inner_text()
        assert "load_pretrained" not in shown and "import" not in shown, "the page shows code"
        assert page.page.locator(".jp-CodeCell .jp-InputArea, .cm-editor").count() == 0, "the page shows code"
        assert page.page.locator("h1", has_text="Temperature, live").count() == 1

        source = next(c.source for c in nbformat.read(ROOT / PRESENTATION, as_version=4).cells if c.cell_type == "code")
        dashboard = oracle(source, model=char_lstm.load_pretrained())
        ui = WidgetUnderTest(page.page, widget, dashboard.root, "presentation (Voilà) · dashboard",
                             SHOTS / "presentation", LATENCIES)
        ui.assert_matches_oracle()
        ui.assert_images_drawn()
        prompt, temperature, length, length_box, seed = 0, 1, 2, 3, 4
        for gesture in ["right", "right", "right", "left", "end", "home"]:
            ui.move(Move(f"T {gesture}", temperature, gesture), latency_key="temperature T")
        ui.move(Move("length right", length, "right"), latency_key="length")
        ui.move(Move("length 150 typed", length_box, "type", "150"), latency_key="length")
        ui.move(Move("seed 5", seed, "type", "5"), latency_key="seed")
        ui.move(Move("prompt", prompt, "type", "JULIET:\n"), latency_key="prompt")
        page.page.screenshot(path=str(SHOTS / "presentation" / "page.png"))
        assert all("127.0.0.1" not in url for url in page.blocked)
        assert not [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e and "Failed to load resource" not in e], page.console_errors
    finally:
        page.close()
        left = server.stop()
    assert not left, f"processes left running after Voilà stopped: {left}"
