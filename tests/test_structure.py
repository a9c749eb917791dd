"""The shape of ``helpers``: an import graph without cycles, and dashboards that need no PyTorch.

The graph is read from the source with :mod:`ast`, without importing anything: every ``import`` and
``from ... import`` of every module of the package (subpackages included), at module level and
inside functions alike (a function's import runs when the function is first called, and a circle
through it breaks the same way, only later). Imports under ``if TYPE_CHECKING:`` never run and are
left out. A module ``helpers.a`` that imports ``helpers.b`` is an edge ``a → b``;
``from . import name`` is an edge to the submodule ``name`` if there is one, else to the package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "helpers"
NUMPY_SAMPLER = "helpers.lstm_numpy"  # the fused sampler: a second LSTM, in numpy
TORCH_FREE = (NUMPY_SAMPLER, "helpers.widgets")  # what the dashboards need must not need PyTorch


@dataclass
class Module:
    name: str
    path: Path
    internal: dict[str, int] = field(default_factory=dict)  # helpers module -> line of the first import
    external: dict[str, int] = field(default_factory=dict)  # top-level package (numpy, torch, ...) -> line
    dynamic: list[int] = field(default_factory=list)  # lines calling importlib / __import__


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    def __init__(self, module: Module, modules: set[str], is_package: bool) -> None:
        self.module, self.modules = module, modules
        self.package = module.name if is_package else module.name.rpartition(".")[0]

    def _internal(self, name: str, line: int) -> None:
        if name != self.module.name:
            self.module.internal.setdefault(name, line)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):  # never runs: only the else branch counts
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if name.split(".")[0] == PACKAGE:
                while name not in self.modules and "." in name:  # import helpers.a.b.c: the deepest module
                    name = name.rpartition(".")[0]
                self._internal(name, node.lineno)
            else:
                self.module.external.setdefault(name.split(".")[0], node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0:
            base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                self.module.external.setdefault(base.split(".")[0], node.lineno)
                return
        else:
            parts = self.package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            self._internal(sub if sub in self.modules else base, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__"):
            self.module.dynamic.append(node.lineno)
        self.generic_visit(node)


def import_graph(root: Path = ROOT) -> dict[str, Module]:
    """Every module of ``helpers`` (under ``root``) with the modules and packages it imports."""
    paths = sorted((root / PACKAGE).rglob("*.py"))
    names = {_module_name(p, root) for p in paths}
    graph = {}
    for path in paths:
        module = Module(_module_name(path, root), path)
        _Imports(module, names, path.name == "__init__.py").visit(ast.parse(path.read_text(), str(path)))
        graph[module.name] = module
    return graph


def find_cycle(graph: dict[str, Module]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None`` (depth-first search, deterministic)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for nxt in sorted(graph[name].internal):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[name] = 2
        path.pop()
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def path_to(graph: dict[str, Module], start: str, package: str) -> list[str] | None:
    """The import chain from ``start`` to an external ``package`` (breadth-first), or ``None``."""
    chains = {start: [start]}
    queue = [start]
    while queue:
        name = queue.pop(0)
        if package in graph[name].external:
            return chains[name] + [package]
        for nxt in sorted(graph[name].internal):
            if nxt in graph and nxt not in chains:
                chains[nxt] = chains[name] + [nxt]
                queue.append(nxt)
    return None


def _describe(graph: dict[str, Module], chain: list[str]) -> str:
    steps = []
    for a, b in zip(chain, chain[1:]):
        line = graph[a].internal.get(b) or graph[a].external.get(b)
        steps.append(f"{a} imports {b} ({graph[a].path.relative_to(ROOT)}, line {line})")
    return "; ".join(steps)


# --- the reader itself, on made-up packages -----------------------------------------------------

def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Module]:
    for name, source in {"__init__.py": "", **files}.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return import_graph(tmp_path)


def test_the_reader_finds_a_circle_through_a_function_and_ignores_type_checking(tmp_path):
    graph = _package(tmp_path, {
        "a.py": "from . import b\n",
        "b.py": "def f():\n    from .c import thing\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\nimport helpers.a\n",
        "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\n",
    })
    assert find_cycle(graph) == ["helpers.a", "helpers.b", "helpers.c", "helpers.a"]
    assert "torch" not in graph["helpers.d"].external
    del graph["helpers.c"].internal["helpers.a"]
    assert find_cycle(graph) is None


def test_the_reader_resolves_subpackages_and_transitive_imports(tmp_path):
    graph = _package(tmp_path, {
        "sub/__init__.py": "from .one import check\nfrom . import two\n",
        "sub/one.py": "from .. import heavy\nfrom ..light import x\n",
        "sub/two.py": "from . import one\n",
        "heavy.py": "def f():\n    import torch.nn\n",
        "light.py": "import numpy as np\n",
    })
    assert set(graph["helpers.sub"].internal) == {"helpers.sub.one", "helpers.sub.two"}
    assert set(graph["helpers.sub.one"].internal) == {"helpers.heavy", "helpers.light"}
    assert path_to(graph, "helpers.sub.two", "torch") == ["helpers.sub.two", "helpers.sub.one", "helpers.heavy", "torch"]
    assert path_to(graph, "helpers.light", "torch") is None


# --- the real package ---------------------------------------------------------------------------

GRAPH = import_graph()


def test_the_import_graph_of_helpers_has_no_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, (
        "import circle: " + " → ".join(cycle) + ". " + _describe(GRAPH, cycle) + ". Break it: pass a "
        "callback or an object in, or move the shared code to a module both can import."
    )


def test_the_graph_is_complete_no_dynamic_imports():
    dynamic = {m.name: m.dynamic for m in GRAPH.values() if m.dynamic}
    assert not dynamic, f"importlib / __import__ hides edges from this test: {dynamic}"


@pytest.mark.parametrize("name", TORCH_FREE)
def test_the_numpy_sampler_and_the_dashboards_need_no_torch(name):
    """Transitively, through every helpers module they import (inside functions too)."""
    assert name in GRAPH, f"{name} is missing"
    chain = path_to(GRAPH, name, "torch")
    assert chain is None, f"{name} needs PyTorch: " + " → ".join(chain) + ". " + _describe(GRAPH, chain)


def test_the_numpy_sampler_does_not_import_the_torch_model():
    assert "helpers.char_lstm" not in GRAPH[NUMPY_SAMPLER].internal, "it is built from arrays, not from a CharLSTM"


@pytest.mark.parametrize("name", ["helpers.char_lstm", NUMPY_SAMPLER])
def test_the_models_show_nothing(name):
    """No UI in the model: training reports through callbacks, the lesson displays the monitor."""
    for ui in ("ipywidgets", "IPython", "matplotlib"):
        chain = path_to(GRAPH, name, ui)
        assert chain is None, f"{name} reaches {ui}: " + " → ".join(chain) + ". " + _describe(GRAPH, chain)


def test_importing_them_really_loads_no_torch():
    """The same claim at run time, in a fresh interpreter."""
    code = (
        f"import sys, {', '.join(TORCH_FREE)}\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
