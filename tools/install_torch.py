"""Install the PyTorch release that requirements.txt pins, as the CPU build where PyPI's would bring CUDA.

On Linux, PyPI's torch wheel bundles NVIDIA's CUDA libraries (several GB) that a machine without an
NVIDIA GPU never uses; PyTorch's own CPU index has the same release without them (about 200 MB).
This script picks:

- Linux without an NVIDIA GPU: ``pip install torch==X --index-url https://download.pytorch.org/whl/cpu``;
- Linux with an NVIDIA GPU, macOS, Windows: ``pip install torch==X`` (PyPI's wheel: CUDA where there
  is a GPU to use it; on macOS and Windows PyPI's wheel is already the CPU build).

If PyTorch's CPU index cannot be reached (an offline mirror, a firewall: asked once, with a short
timeout), it says so and installs from the default index instead, without pip's minute of retries. ``make lab`` and ``make test`` run it before installing requirements.txt, whose
``torch==X`` the installed build then satisfies. Standard library only: it runs in a new, empty venv.

    python tools/install_torch.py            # install
    python tools/install_torch.py --dry-run  # print the decision and the command, install nothing
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def pinned_torch(requirements: Path = REQUIREMENTS) -> str:
    """The ``torch==X`` line of requirements.txt (exactly one must be there)."""
    pins = re.findall(r"^(torch==[\w.+]+)\s*(?:#.*)?$", requirements.read_text(), flags=re.M)
    if len(pins) != 1:
        raise SystemExit(f"{requirements} must pin torch exactly once (torch==X), found {pins}")
    return pins[0]


def has_nvidia_gpu(root: Path = Path("/")) -> bool:
    """An NVIDIA driver is loaded (``/proc/driver/nvidia``) or ``nvidia-smi`` is on the PATH."""
    return (root / "proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def wants_cpu_index(system: str, gpu: bool) -> bool:
    """Linux without an NVIDIA GPU: the CPU build from PyTorch's index instead of PyPI's CUDA build."""
    return system == "Linux" and not gpu


def reachable(url: str = CPU_INDEX + "/torch/", timeout_s: float = 10.0) -> bool:
    """Whether ``url`` answers at all (any HTTP status counts: the server is there)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout_s).close()
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return True


def install_command(python: str, pin: str, cpu_index: bool) -> list[str]:
    """The pip command that installs ``pin`` (from PyTorch's CPU index if ``cpu_index``). Without
    compiling to bytecode: the Makefile compiles the whole environment afterwards, on every core."""
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", pin]
    if cpu_index:
        command += ["--index-url", CPU_INDEX]
    return command


def installed_torch(python: str) -> str | None:
    """The version of torch installed for ``python`` (e.g. ``2.13.0+cpu``), or None."""
    done = subprocess.run([python, "-m", "pip", "show", "torch"], capture_output=True, text=True)
    found = re.search(r"^Version: (\S+)", done.stdout, flags=re.M)
    return found[1] if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the decision and the command only")
    args = parser.parse_args(argv)
    pin = pinned_torch()
    system, gpu = platform.system(), has_nvidia_gpu()
    cpu_index = wants_cpu_index(system, gpu)
    command = install_command(sys.executable, pin, cpu_index)
    reason = ("Linux without an NVIDIA GPU: the CPU build" if cpu_index
              else f"{system}{' with an NVIDIA GPU' if gpu else ''}: PyPI's build")
    print(f"PyTorch: {pin} — {reason}")
    print("  " + " ".join(command))
    if args.dry_run:
        return 0
    version = installed_torch(sys.executable)
    if version is not None and version.split("+")[0] == pin.split("==")[1]:
        print(f"  already installed: torch {version}")
        return 0
    if cpu_index and not reachable():
        print(f"PyTorch's CPU index ({CPU_INDEX}) cannot be reached; installing {pin} from the default "
              "index instead (on Linux that can be the CUDA build, several GB).", file=sys.stderr)
        command = install_command(sys.executable, pin, cpu_index=False)
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
