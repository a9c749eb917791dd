"""Shared fixtures. The corpus comes from $TINYSHAKESPEARE_PATH (CI, offline) or data/ (cached)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest
from hypothesis import settings
from notebook_tools import execute

from helpers import data

ROOT = Path(__file__).resolve().parent.parent
START = time.monotonic()  # the session's clock, for the timeline in the terminal summary
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CLASS_NOTEBOOKS = sorted((ROOT / "notebooks" / "class").glob("*.ipynb"))  # the one-session path, the quiz, the rating activity


def lesson_id(path: Path) -> str:
    """A lesson's number as its file name starts: "01" … "05", "05b" (a lesson in two parts), "06"."""
    return path.stem.split("_")[0]



@pytest.fixture(scope="session")
def corpus_text() -> str:
    """The verified Tiny Shakespeare text (fails with the loader's own clear error if absent)."""
    return data.load_corpus()


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory: pytest.TempPathFactory, corpus_text: str) -> Path:
    """A private copy of the corpus file that tests may point things at."""
    path = tmp_path_factory.mktemp("corpus") / "input.txt"
    path.write_text(corpus_text, encoding="utf-8")
    return path


@pytest.fixture
def copy_of(tmp_path: Path):
    def _copy(src: Path, name: str) -> Path:
        dst = tmp_path / name
        shutil.copy(src, dst)
        return dst

    return _copy


# Property tests: no example database in the repository; in CI (CI=true) a fixed set of examples so
# that a run is reproducible, locally a fresh random set each run.
settings.register_profile("ci", database=None, derandomize=True, deadline=None)
settings.register_profile("dev", database=None, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fast tests first (a failing unit test says more, sooner), then nbval's run of every lesson,
    then the browser, then the checks that use nbval's runs and wait for the background work (stored
    images, the nbgrader course, the simulated machine): the background goes on during the browser
    stage, which keeps one CPU busy, instead of the session waiting for it."""

    def stage(item: pytest.Item) -> int:
        if item.nodeid.startswith("tests/browser/"):
            return 2
        if item.nodeid.startswith((NBGRADER_TEST, QUIZ_COURSE_TEST, "tests/test_notebooks.py::test_running_again",
                                   SIMULATION_TEST)):
            return 3
        return 1 if type(item).__name__ == "IPyNbCell" else 0

    items.sort(key=stage)  # a stable sort: each stage keeps its order (a notebook's cells in order)
    names = ["unit and property tests", "strict nbval of every lesson", "browser",
             "checks on nbval's runs, nbgrader course, simulated machine"]
    STAGE_OF.update({item.nodeid: names[stage(item)] for item in items})


STAGE_OF: dict[str, str] = {}  # test id -> the name of its stage
STAGE_STARTS: dict[str, float] = {}  # stage -> when its first test started (seconds since the session began)


def _note_stage_start(nodeid: str, location: tuple) -> None:
    name = STAGE_OF.get(nodeid)
    if name and name not in STAGE_STARTS:
        STAGE_STARTS[name] = time.monotonic() - START


# ---------------------------------------------------------------------------------------------
# Strict nbval on another processor, one CPU: started at once, beside the rest of the session
# ---------------------------------------------------------------------------------------------
# An AVX2 laptop (OpenBLAS's Haswell kernels, PyTorch's and MKL's AVX2 paths) with one CPU, as the
# developers' guide simulates it. It runs pinned to one CPU while this session goes on with the other
# ones (helpers.threads keeps both from oversubscribing); tests/test_other_processors.py waits for it.

SIMULATED_PROCESSOR = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
SIMULATION_TEST = "tests/test_other_processors.py::test_strict_nbval_on_an_avx2_machine_with_one_cpu"
SIMULATION: dict[str, object] = {}  # "process", "log" once started
# The background work (this simulated machine, the nbgrader hand-ins) runs at a lower priority: the
# session's own chain of stages is what the run waits for, and the background fills the idle time.
# On Linux with autogroup scheduling a process's niceness only ranks it within its session, and
# Jupyter starts each kernel in a session of its own, so the sessions (autogroups) of the background
# kernels are lowered too: see lower_background_sessions().
BACKGROUND_NICENESS = 8


def lower_background_sessions(stop: threading.Event, period: float = 0.5) -> None:
    """Until ``stop`` is set, give every process this session started with the background's niceness
    (they inherit it, kernels included) the same niceness for its autogroup (/proc/PID/autogroup),
    so that a background kernel yields the CPUs to the session's own work. Not Linux: nothing."""
    import psutil

    if not Path(f"/proc/{os.getpid()}/autogroup").exists():
        return
    done: set[int] = set()
    while not stop.wait(period):
        for process in psutil.Process().children(recursive=True):
            try:
                if process.pid in done or process.nice() < BACKGROUND_NICENESS:
                    continue
                Path(f"/proc/{process.pid}/autogroup").write_text(str(BACKGROUND_NICENESS))
                done.add(process.pid)
            except (psutil.Error, OSError):
                continue  # ended meanwhile, or not ours to change


LOWERING = threading.Event()  # set at the end of the session: the watcher stops
TIMELINE: dict[str, list[float]] = {}  # background job -> [start, end] in seconds since the session began


def timed(job: str) -> None:
    """Note that background ``job`` starts now (first call) or has ended (second call); the terminal
    summary lists the jobs, so that a slow session shows which background work it waited for."""
    now = time.monotonic() - START
    TIMELINE.setdefault(job, [now, now])[1] = now


def simulated_nbval_command() -> list[str]:
    """Strict nbval over every notebook, pinned to this process's first CPU."""
    cpu = min(os.sched_getaffinity(0))
    # (no cache: the session beside it keeps pytest's cache, for --lf)
    return ["taskset", "-c", str(cpu), sys.executable, "-m", "pytest", "notebooks", "-q", "-p", "no:cacheprovider"]


def start_simulation(log: Path) -> None:
    if "process" in SIMULATION:
        return
    env = {**os.environ, **SIMULATED_PROCESSOR}
    env.pop("LESSONS_THREADS", None)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(variable, None)  # the simulated machine decides its own (one CPU)
    out = open(log, "wb")
    SIMULATION["log"] = log
    lower = (lambda: os.nice(BACKGROUND_NICENESS)) if hasattr(os, "nice") else None
    SIMULATION["process"] = process = subprocess.Popen(simulated_nbval_command(), cwd=ROOT, env=env, stdout=out,
                                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                       preexec_fn=lower)
    timed("strict nbval on the simulated AVX2 machine")
    threading.Thread(target=lambda: (process.wait(), timed("strict nbval on the simulated AVX2 machine")),
                     daemon=True).start()


NBGRADER_TEST = "tests/test_nbgrader_course.py::test_nbgrader_round_trip"
QUIZ_COURSE_TEST = "tests/test_quiz.py::test_nbgrader_round_trip"  # the concept quiz as an nbgrader assignment
GRADING: list = []  # the nbgrader course's grade_solution_later, when its tests are in the session
BACKGROUND: list[Path] = []  # temporary folders of the background work, removed at the end


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start, beside the session, the work that needs none of its results: the simulated machine's
    nbval run (one CPU), the nbgrader course's blank and mistaken hand-ins, and the concept quiz's
    course (the tests wait for them)."""
    if session.config.option.collectonly:
        return
    if shutil.which("taskset") and any(item.nodeid == SIMULATION_TEST for item in session.items):
        BACKGROUND.append(Path(tempfile.mkdtemp(prefix="simulated-nbval-")))
        start_simulation(BACKGROUND[-1] / "nbval.log")
    graded = [item for item in session.items if item.nodeid.startswith(NBGRADER_TEST)]
    if graded:
        BACKGROUND.append(Path(tempfile.mkdtemp(prefix="nbgrader-course-")))
        lessons = [item.callspec.params["lesson"] for item in graded]  # only the lessons selected
        graded[0].module.start_preparations(BACKGROUND[-1], BACKGROUND_NICENESS, lessons)
        GRADING.append(graded[0].module.grade_solution_later)
        quiz = [item for item in session.items if item.nodeid == QUIZ_COURSE_TEST]
        if quiz:  # after the lessons' courses, on their pool (its test then only reads the grades)
            quiz[0].module.start_course(graded[0].module._POOL[0], BACKGROUND[-1], BACKGROUND_NICENESS)
    if BACKGROUND:
        threading.Thread(target=lower_background_sessions, args=(LOWERING,), daemon=True).start()


def pytest_terminal_summary(terminalreporter) -> None:
    """Where the session's time went: when each stage started, and the background work beside them."""
    if TIMELINE or len(STAGE_STARTS) > 1:
        terminalreporter.section("timeline (seconds since the session began)")
        for name, start in STAGE_STARTS.items():
            terminalreporter.write_line(f"{start:6.0f}            stage starts: {name}")
        for job, (start, end) in sorted(TIMELINE.items(), key=lambda kv: kv[1]):
            terminalreporter.write_line(f"{start:6.0f} → {end:6.0f}  ({end - start:4.0f} s)  background: {job}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    LOWERING.set()
    process = SIMULATION.get("process")
    if process is not None and process.poll() is None:
        process.kill()
    for folder in BACKGROUND:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# One run of each lesson per test session: nbval's
# ---------------------------------------------------------------------------------------------
# nbval executes every lesson in strict mode, cell by cell, and compares the text outputs. The same
# run serves the other checks that need an executed lesson (its images against the stored ones,
# nbgrader's grading of the solution): each lesson is executed once, not once per check.

_NBVAL_CELLS: dict[Path, list] = {}  # notebook -> outputs of the code cells nbval has run so far
NBVAL_RUNS: dict[Path, nbformat.NotebookNode] = {}  # notebook -> the whole lesson as nbval ran it


def _as_output(out: dict, count: int) -> nbformat.NotebookNode:
    kind = out["output_type"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=out["name"], text=out["text"])
    if kind == "error":
        return nbformat.v4.new_output("error", ename=out["ename"], evalue=out["evalue"], traceback=out["traceback"])
    if kind == "execute_result":
        return nbformat.v4.new_output(kind, data=out["data"], metadata=out.get("metadata", {}), execution_count=count)
    return nbformat.v4.new_output(kind, data=out["data"], metadata=out.get("metadata", {}))


def _keep_nbval_run(item: pytest.Item, call: pytest.CallInfo) -> None:
    """Keep what nbval's run of each cell printed; after a notebook's last cell, assemble the run."""
    if call.when != "call" or type(item).__name__ != "IPyNbCell" or item.test_outputs is None:
        return
    path = Path(str(item.parent.fspath)).resolve()
    cells = _NBVAL_CELLS.setdefault(path, [])
    if item.cell_num != len(cells):  # a cell was skipped or run out of order: no complete run
        _NBVAL_CELLS.pop(path, None)
        return
    cells.append(list(item.test_outputs))
    nb = item.parent.nb
    code = [c for c in nb.cells if c.cell_type == "code"]
    if len(cells) == len(code):
        run = nbformat.reads(nbformat.writes(nb), as_version=4)
        for n, (cell, outputs) in enumerate(zip([c for c in run.cells if c.cell_type == "code"], cells), start=1):
            cell.execution_count = n
            cell.outputs = [_as_output(o, n) for o in outputs]
        NBVAL_RUNS[path] = run
        _NBVAL_CELLS.pop(path, None)
        if GRADING:  # the nbgrader course grades this run in the background from now on
            GRADING[0](path)


def executed_lesson(path: Path) -> nbformat.NotebookNode:
    """The lesson as executed in this session: nbval's run if nbval ran it, else a fresh run here
    (so that a test file run alone still works). A copy: callers may change it."""
    path = path.resolve()
    if path not in NBVAL_RUNS:
        NBVAL_RUNS[path] = execute(nbformat.read(path, as_version=4), cwd=path.parent)
    return nbformat.reads(nbformat.writes(NBVAL_RUNS[path]), as_version=4)


class _SessionWide:
    """Hooks for every test of the session, the notebooks' cells included: a conftest's own hooks only
    see the tests under its folder (here tests/), and nbval's cells live in notebooks/."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield
        _keep_nbval_run(item, call)

    def pytest_runtest_logstart(self, nodeid: str, location: tuple) -> None:
        _note_stage_start(nodeid, location)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_SessionWide(), "temperature-lessons-session")
