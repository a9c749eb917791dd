"""Binder's configuration agrees with the one students install locally (and opens lesson 1).

repo2docker cannot run here (no Docker registry, no PyPI mirror of the CPU torch index), so these
tests check what can drift: the pins, the Python version, the JupyterLab setting, the build step
that fetches the corpus, and the README's launch link.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import ROOT

BINDER = ROOT / "binder"
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)$")


def _requirements(path: Path) -> tuple[dict[str, str], list[str]]:
    """(pins by lower-case name, other non-comment lines) of a requirements file."""
    pins, other = {}, []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if m := PIN.match(line):
            name = m[1].lower().replace("_", "-")
            assert name not in pins, f"{path.name}: {name} pinned twice"
            pins[name] = m[2]
        else:
            other.append(line)
    return pins, other


def test_binder_pins_every_package_as_requirements_txt_does():
    local, local_other = _requirements(ROOT / "requirements.txt")
    binder, binder_other = _requirements(BINDER / "requirements.txt")
    assert set(binder) == set(local), f"only in binder: {set(binder) - set(local)}, only local: {set(local) - set(binder)}"
    differ = {name: (local[name], binder[name]) for name in local if name != "torch" and local[name] != binder[name]}
    assert not differ, f"pins that differ (requirements.txt, binder): {differ}"
    assert "-e ." in local_other and "-e ." in binder_other, "both install the helpers package"


def test_binder_takes_the_same_torch_as_a_cpu_build():
    local, _ = _requirements(ROOT / "requirements.txt")
    binder, binder_other = _requirements(BINDER / "requirements.txt")
    assert binder["torch"] == f"{local['torch']}+cpu", "the same release, CPU-only build"
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder_other


def test_binder_python_is_the_one_the_project_supports():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11"' in pyproject


def test_binder_build_sets_up_jupyterlab_and_the_corpus():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only if it is executable"
    script = post_build.read_text()
    assert "cp binder/overrides.json" in script and "share/jupyter/lab/settings" in script
    assert "data.load_corpus()" in script, "the corpus is downloaded and verified at build time"
    overrides = json.loads((BINDER / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:kernels-settings"]["commsOverSubshells"] == "disabled"


def test_readme_binder_badge_opens_lesson_1():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\(https://mybinder\.org/v2/gh/([^/\s]+)/([^/\s]+)/(\w+)\?urlpath=([^)\s]+)\)", readme)
    assert links, "the README has a Binder badge"
    for _owner, _repo, ref, urlpath in links:
        assert ref == "main"
        assert urlpath.startswith(("lab/tree/", "voila/render/")), urlpath
        assert (ROOT / urlpath.split("/", 2)[2]).is_file(), f"the badge opens {urlpath}, which is not in the repo"
    assert links[0][3] == "lab/tree/notebooks/01_softmax_and_temperature.ipynb", "the first badge opens lesson 1"


@pytest.mark.parametrize("name", ["requirements.txt", "binder/requirements.txt"])
def test_torch_is_pinned_exactly(name):
    pins, _ = _requirements(ROOT / name)
    assert re.fullmatch(r"2\.13\.0(\+cpu)?", pins["torch"]), "a bare or ranged torch pulls a CUDA build"


def test_voila_on_binder_loads_the_same_extensions_as_make_present():
    config = json.loads((BINDER / "voila_server_config.json").read_text())["VoilaConfiguration"]
    makefile = (ROOT / "Makefile").read_text()
    opts = re.search(r"^VOILA_OPTS := (.*)$", makefile, flags=re.M)[1].split()
    denied = [o.split("=", 1)[1] for o in opts if o.startswith("--VoilaConfiguration.extension_denylist=")]
    assert denied and denied == config["extension_denylist"]
    assert "--theme=light" in opts and config["theme"] == "light"
    assert "voila_server_config.json" in (BINDER / "postBuild").read_text()


def test_post_build_runs_and_installs_its_settings(tmp_path, corpus_text):
    """Run postBuild as repo2docker would (from the repository root), into a temporary prefix."""
    import subprocess
    import sys

    env = dict(os.environ, NB_PYTHON_PREFIX=str(tmp_path),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run([str(BINDER / "postBuild")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    settings = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert settings == json.loads((BINDER / "overrides.json").read_text())
    voila = json.loads((tmp_path / "etc/jupyter/jupyter_server_config.d/voila_lessons.json").read_text())
    assert voila == json.loads((BINDER / "voila_server_config.json").read_text())

