"""Browser tests: JupyterLab (and Voilà) on 127.0.0.1, driven in Debian's Chromium by Playwright.

The servers run on a temporary copy of the notebooks, with a random token; every request the page
makes to anything but loopback is aborted and recorded. Each server is stopped by its PID, its
kernels are shut down first, and the tests fail if any of its processes is left running.

`make test` runs these with the rest of the suite (`tests/browser/install_chromium.sh` installs
Chromium with apt-get where it is missing). Without Chromium they are skipped, except in CI
(``CI=true``), where that is a failure. Screenshots and the latency figures go to
``tests/browser/screenshots/`` (not committed; `make screenshots` refreshes the README's two).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SHOTS = ROOT / "tests" / "browser" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# As this machine's notes advise: no background traffic, no first-run pages, no sandbox (root).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
]
LATENCIES: dict[str, list[float]] = {}  # "lesson 4 · temperature T" -> milliseconds, for the report


# ----------------------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


class Server:
    """A Jupyter server process on 127.0.0.1 (JupyterLab or Voilà), stopped by its PID."""

    def __init__(self, name: str, cmd: list[str], port: int, token: str, cwd: Path, env: dict, log: Path):
        self.name, self.port, self.token, self.log = name, port, token, log
        self.root = cwd  # the folder it serves
        self.url = f"http://127.0.0.1:{port}/"
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def get(self, path: str, timeout: float = 10, method: str = "GET") -> bytes:
        """The body of ``path`` on this server, asked for with the token."""
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with _NO_PROXY.open(req, timeout=timeout) as resp:
            return resp.read()

    def request(self, method: str, path: str, timeout: float = 10) -> object:
        """A JSON API call with the token; returns the decoded body (None if empty)."""
        body = self.get(path, timeout, method)
        return json.loads(body) if body else None

    def wait_ready(self, path: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before it was ready:\n{self.log_tail()}")
            try:
                self.get(path, timeout=5)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        pytest.fail(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def shutdown_kernels(self) -> None:
        """Shut every kernel of this server down through its API (JupyterLab's sessions first)."""
        try:
            for session in self.request("GET", "api/sessions") or []:
                self.request("DELETE", f"api/sessions/{session['id']}", timeout=30)
            for kernel in self.request("GET", "api/kernels") or []:
                self.request("DELETE", f"api/kernels/{kernel['id']}", timeout=30)
        except (urllib.error.URLError, OSError):
            pass  # Voilà has no such API; its kernels end with it (checked by stop())

    def stop(self) -> list[str]:
        """Stop the server by its PID; return the command lines of any process left behind."""
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        _, alive = psutil.wait_procs(children, timeout=15)
        left = []
        for p in alive:
            try:
                left.append(" ".join(p.cmdline()))
                p.kill()
            except psutil.NoSuchProcess:
                pass
        self._log_file.close()
        return left


def _isolated_env(home: Path) -> dict:
    """The environment for a server: this venv's Jupyter, with no user config or workspaces."""
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("JUPYTER_DATA_DIR", None)
    return env


def _copy_notebooks(dest: Path) -> Path:
    """A temporary copy of notebooks/ (lessons and presentation), so the tests never edit the repo."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks",
                    ignore=shutil.ignore_patterns("student", ".ipynb_checkpoints", "__pycache__"))
    return dest


@pytest.fixture(scope="package")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """JupyterLab on 127.0.0.1 with a token, on a copy of the notebooks, commsOverSubshells off."""
    home = tmp_path_factory.mktemp("lab")
    root = _copy_notebooks(home / "root")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=", "--allow-root",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    server = Server("JupyterLab", cmd, port, token, root, _isolated_env(home), home / "lab.log")
    try:
        server.wait_ready("api/status")
        setting = server.request("GET", "lab/api/settings/@jupyterlab/apputils-extension:kernels-settings")
        # overrides.json changes the setting's default, which the settings API reports in the schema
        default = setting["schema"]["properties"]["commsOverSubshells"].get("default")
        assert setting["settings"].get("commsOverSubshells", default) == "disabled", (
            "JupyterLab would send widget messages on a kernel subshell (blank figures); run `make install`, "
            "which copies binder/overrides.json into this environment's share/jupyter/lab/settings"
        )
        yield server
    finally:
        server.shutdown_kernels()
        left = server.stop()
    assert not left, f"processes left running after JupyterLab stopped: {left}"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium (never a browser downloaded by Playwright)."""
    if not CHROMIUM.exists():
        message = (f"{CHROMIUM} not found: install Debian's chromium (sudo apt-get install chromium); "
                   "`make test` does this where it may")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="package")
def browser(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A fresh browser context and page that can reach loopback only; what else it asked for is kept."""

    def __init__(self, browser, width: int = 1400, height: int = 1000):
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text[:300]))
        self.page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"[:300]))

    def _route(self, route) -> None:
        if urlparse(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("internetdisconnected")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    p = Page(browser)
    yield p
    p.close()


@pytest.fixture
def lesson_style():
    """The lessons' matplotlib style (it changes figure pixels) for the oracles, undone afterwards."""
    import matplotlib

    from helpers import plots

    with matplotlib.rc_context():
        plots.use_lesson_style()
        yield


def pytest_terminal_summary(terminalreporter) -> None:
    if not LATENCIES:
        return
    import statistics

    SHOTS.mkdir(parents=True, exist_ok=True)
    rows = {k: {"n": len(v), "median_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1),
                "all_ms": [round(x, 1) for x in v]} for k, v in LATENCIES.items()}
    (SHOTS / "latency.json").write_text(json.dumps(rows, indent=1) + "\n")
    terminalreporter.section("browser latency: input event -> every output it changes (ms); "
                             "'bars': the chart drawn in the page, 'text': the outputs that wait for the kernel")
    for key, r in rows.items():
        terminalreporter.write_line(f"{key:<64} n={r['n']:>3}  median {r['median_ms']:>6.0f}  max {r['max_ms']:>6.0f}")
