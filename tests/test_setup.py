"""Setting up: which PyTorch build `make` installs, and JupyterLab opened at the repository root."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("install_torch", ROOT / "tools" / "install_torch.py")
install_torch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_torch)


@pytest.mark.parametrize(
    "system, gpu, cpu_index",
    [("Linux", False, True), ("Linux", True, False), ("Darwin", False, False), ("Windows", False, False)],
)
def test_the_cpu_build_only_on_linux_without_an_nvidia_gpu(system, gpu, cpu_index):
    assert install_torch.wants_cpu_index(system, gpu) is cpu_index
    command = install_torch.install_command("python", "torch==2.13.0", cpu_index)
    assert command[:4] == ["python", "-m", "pip", "install"] and "torch==2.13.0" in command
    assert ("--index-url" in command and install_torch.CPU_INDEX in command) is cpu_index


def test_a_gpu_is_seen_from_its_driver(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    assert not install_torch.has_nvidia_gpu(tmp_path)
    (tmp_path / "proc/driver/nvidia").mkdir(parents=True)
    (tmp_path / "proc/driver/nvidia/version").write_text("NVRM version: 550")
    assert install_torch.has_nvidia_gpu(tmp_path)


def test_the_pin_is_requirements_txt_s_and_this_machine_decides_the_cpu_build():
    pin = install_torch.pinned_torch()
    assert re.search(rf"^{re.escape(pin)}$", (ROOT / "requirements.txt").read_text(), flags=re.M)
    done = subprocess.run([sys.executable, str(ROOT / "tools/install_torch.py"), "--dry-run"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    if sys.platform == "linux" and not install_torch.has_nvidia_gpu():  # this machine: no GPU
        assert "Linux without an NVIDIA GPU: the CPU build" in done.stdout
        assert f"{pin} --index-url {install_torch.CPU_INDEX}" in done.stdout


def test_make_installs_pytorch_before_the_requirements():
    lines = subprocess.run(["make", "--no-print-directory", "-n", "-B", "install"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    torch_at = next(i for i, line in enumerate(lines) if "tools/install_torch.py" in line)
    requirements_at = next(i for i, line in enumerate(lines) if "-r requirements.txt" in line)
    assert torch_at < requirements_at


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_opens_lesson_one_with_the_repository_as_root(tmp_path):
    """The command `make lab` runs, started for real: README.md is reachable (the lessons link to it)
    and the page it opens is lesson 1. LAB_ARGS passes options through."""
    port, token = _free_port(), secrets.token_hex(16)
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    command = subprocess.run(["make", "--no-print-directory", "-n", "lab", f"LAB_ARGS={args}"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
    assert f'--ServerApp.root_dir="{ROOT}"' in command and command.endswith("notebooks/01_softmax_and_temperature.ipynb")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(shlex.split(command), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, body = time.monotonic() + 90, None
        while time.monotonic() < deadline and body is None:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/README.md?content=0",
                                             headers={"Authorization": f"token {token}"})
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=5) as resp:
                    body = resp.read()
            except (urllib.error.URLError, ConnectionError, OSError):
                assert server.poll() is None, log.read_text()
                time.sleep(0.5)
        assert body and b'"path": "README.md"' in body.replace(b'"path":"', b'"path": "'), log.read_text()
        assert f"Serving notebooks from local directory: {ROOT}" in log.read_text()
        opens = "".join(p.read_text() for p in (tmp_path / "runtime").glob("jpserver-*-open.html"))  # what a browser opens
        assert re.search(r"/lab/tree/notebooks/01_softmax_and_temperature\.ipynb", opens), opens
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_says_how_to_pass_options_and_which_pytorch_is_installed():
    readme = (ROOT / "README.md").read_text()
    assert 'make lab LAB_ARGS="' in readme and "tools/install_torch.py" in readme


def test_an_unreachable_cpu_index_is_seen_at_once():
    import time as _time

    start = _time.monotonic()
    assert not install_torch.reachable("http://127.0.0.1:9/whl/cpu/torch/", timeout_s=5)  # nothing listens there
    assert _time.monotonic() - start < 5
