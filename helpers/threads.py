"""How many CPU threads the lessons' number crunching uses: one policy for numpy's BLAS and PyTorch.

Why a policy: numpy's BLAS (OpenBLAS) and PyTorch each start one worker thread per CPU they see,
and their workers *spin* while they wait for each other. On a dedicated, idle laptop that is what
you want (two threads train lesson 4's LSTM about twice as fast as one). Beside other busy programs
(a class sharing a JupyterHub node, a laptop compiling something, Binder), or in a container whose
CPU quota is smaller than the machine, the workers wait for CPUs they cannot get and everything
becomes many times slower: ``benchmarks/contention.py`` measures it.

The policy, applied by the helpers themselves (nothing for a student to do):

1. **Budget.** The CPUs this process may use: its CPU affinity (``taskset``, a JupyterHub's
   cpuset), lowered to a cgroup CPU quota where there is one (Docker ``--cpus``, Binder,
   Kubernetes limits; cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``). :func:`cpu_budget`.
2. **Free CPUs.** The budget minus what other processes keep busy on those CPUs *now*: on Linux,
   ``/proc/stat`` between two moments at least :data:`WINDOW_S` apart, minus this process's own
   CPU time; on macOS, the one-minute load average minus this process's own use; elsewhere none is
   assumed. Rounded to whole CPUs, at least 1. :func:`free_cpus`.
3. **Each heavy helper runs with that many threads** for numpy's BLAS (through ``threadpoolctl``)
   and for PyTorch (``torch.set_num_threads``), decided when it starts; training loops decide
   again as they go (at most every :data:`WINDOW_S` seconds), so a run that starts alone and is
   then joined by a class keeps up. :func:`adaptive_threads`, :func:`adaptive`.
4. **Outside the helpers** (the lessons' own cells, your code), numpy's BLAS and PyTorch run one
   thread, set when ``helpers`` (and PyTorch, when ``helpers.char_lstm`` imports it) is imported and
   again after each heavy helper: the products there are small, where one thread is as fast as two
   when the machine is idle and never waits for a busy CPU (lesson 4's first cell beside busy
   programs: 145 ms with one thread, 433 ms with two, in ``benchmarks/contention.py``). Libraries
   loaded later read their pool size from ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and
   ``MKL_NUM_THREADS``, set to the budget unless you set them, so that a kernel in a 2-CPU container
   on a 64-core host never starts 64 workers. :func:`use_outside_default`.

Override: the environment variable ``LESSONS_THREADS`` (set before JupyterLab starts, e.g.
``LESSONS_THREADS=1 make lab``) or, in a notebook, ``helpers.threads.set_threads(1)``; either
fixes the count for every helper. ``set_threads("auto")`` (or ``LESSONS_THREADS=auto``) returns to
the policy. :func:`describe` says what the policy sees and decides.

Lesson: none teaches this module; the README's "Threads" section and the teacher's guide explain it.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

__all__ = [
    "ENV_VAR",
    "WINDOW_S",
    "cpu_budget",
    "allowed_cpus",
    "busy_elsewhere",
    "free_cpus",
    "decide",
    "set_threads",
    "adaptive_threads",
    "adaptive",
    "use_outside_default",
    "describe",
]

ENV_VAR = "LESSONS_THREADS"
WINDOW_S = 0.25  # other processes' load is measured over at least this many seconds
_FIRST_WINDOW_S = 0.05  # the very first measurement, if nothing was measured before

P = ParamSpec("P")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------------
# The budget: CPUs this process may use
# ---------------------------------------------------------------------------------------------

def allowed_cpus() -> list[int]:
    """The CPUs this process may run on (its affinity), as CPU numbers. All CPUs where unknown.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return list(range(os.cpu_count() or 1))


def _own_cgroup_paths() -> dict[str, str]:
    """``{controller: path}`` from ``/proc/self/cgroup`` (``""`` is the cgroup v2 unified path)."""
    paths: dict[str, str] = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    except (OSError, ValueError):
        pass
    return paths


def cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The cgroup CPU quota in CPUs (e.g. 1.5), or ``None`` if there is none or it cannot be read.

    Reads cgroup v2 ``cpu.max`` (``"max 100000"`` = none, ``"150000 100000"`` = 1.5 CPUs) or
    cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota ``-1`` = none), in this process's
    own cgroup and in the mounted root (a container sees its own cgroup there).

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    paths = _own_cgroup_paths()
    candidates: list[tuple[Path, str]] = []
    for base in (root / paths.get("", "/").lstrip("/"), root):
        candidates.append((base / "cpu.max", "v2"))
    for controller in ("cpu", "cpu,cpuacct"):
        sub = paths.get("cpu", "/").lstrip("/")
        for base in (root / controller / sub, root / controller):
            candidates.append((base / "cpu.cfs_quota_us", "v1"))
    for path, version in candidates:
        try:
            if version == "v2":
                quota, period = path.read_text().split()[:2]
                if quota == "max":
                    return None
                return int(quota) / int(period)
            quota = int(path.read_text())
            period = int((path.parent / "cpu.cfs_period_us").read_text())
            return None if quota <= 0 else quota / period
        except (OSError, ValueError):
            continue
    return None


def cpu_budget() -> int:
    """How many CPUs this process may really use: its affinity, lowered to the cgroup CPU quota
    if there is one (containers, Binder, a JupyterHub with limits). At least 1.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    cpus = len(allowed_cpus())
    quota = cgroup_quota()
    if quota is not None:
        cpus = min(cpus, max(1, int(quota)))  # 1.5 CPUs of quota: one thread never waits, two would
    return max(1, cpus)


# ---------------------------------------------------------------------------------------------
# Other processes' load
# ---------------------------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class _Snapshot:
    wall: float  # seconds (perf_counter)
    busy: float | None  # CPU-seconds spent by everything on our CPUs (Linux), or None
    own: float  # CPU-seconds spent by this process (all its threads)


def _busy_seconds(cpus: list[int], stat: Path = Path("/proc/stat")) -> float | None:
    """CPU-seconds the CPUs ``cpus`` spent busy since boot (user, nice, system, irq, softirq and
    steal: time given to other virtual machines counts as busy), from ``/proc/stat``; None if absent."""
    try:
        lines = stat.read_text().splitlines()
    except OSError:
        return None
    wanted = {f"cpu{c}" for c in cpus}
    total = 0
    found = False
    for line in lines:
        name, _, rest = line.partition(" ")
        if name in wanted:
            fields = [int(x) for x in rest.split()]
            user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
            total += user + nice + system + irq + softirq + steal
            found = True
    return total / _CLOCK_TICKS if found else None


def _own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _snapshot() -> _Snapshot:
    return _Snapshot(time.perf_counter(), _busy_seconds(allowed_cpus()), _own_cpu_seconds())


class _LoadMonitor:
    """Other processes' CPU use on our CPUs, measured between successive calls (no thread of its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: _Snapshot | None = None
        self._measured = False
        self._others = 0.0

    def start(self) -> None:
        """Take the first snapshot now (at import), so that the first decision needs no wait."""
        with self._lock:
            if self._last is None:
                self._last = _snapshot()

    def busy_elsewhere(self) -> float:
        with self._lock:
            if self._last is None:
                self._last = _snapshot()
            if not self._measured:  # the first measurement needs a window, however short
                time.sleep(max(0.0, _FIRST_WINDOW_S - (time.perf_counter() - self._last.wall)))
            now = _snapshot()
            if not self._measured or now.wall - self._last.wall >= WINDOW_S:
                self._others = self._measure(self._last, now)
                self._last, self._measured = now, True
            return self._others

    @staticmethod
    def _measure(before: _Snapshot, after: _Snapshot) -> float:
        window = max(after.wall - before.wall, 1e-9)
        own = after.own - before.own
        if before.busy is not None and after.busy is not None:
            return max(0.0, (after.busy - before.busy - own) / window)
        try:  # macOS and other Unixes: the 1-minute load average, less our own recent use
            return max(0.0, os.getloadavg()[0] - own / window)
        except (AttributeError, OSError):  # Windows: unknown, assume none
            return 0.0


_monitor = _LoadMonitor()


def busy_elsewhere() -> float:
    """How many of our CPUs other processes keep busy, on average since the last measurement
    (at least :data:`WINDOW_S` seconds ago), e.g. 2.0 beside two busy programs. Cheap to call often.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    return _monitor.busy_elsewhere()


def free_cpus() -> int:
    """CPUs this process can get now: the budget, less what other processes keep busy. At least 1.

    Rounded to the nearest whole CPU, so an idle browser tab (0.2 CPUs) costs no thread, a busy
    program (1 CPU) costs one.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    budget = cpu_budget()
    room = len(allowed_cpus()) - busy_elsewhere()
    return max(1, min(budget, int(room + 0.5)))


# ---------------------------------------------------------------------------------------------
# The decision, and applying it
# ---------------------------------------------------------------------------------------------

_fixed: int | None = None  # set_threads(n); None = the policy (or LESSONS_THREADS)


def _from_environment() -> int | None:
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value in ("", "auto"):
        return None
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{ENV_VAR}={value!r}: give a whole number of threads (e.g. 1) or 'auto'") from None
    if n < 1:
        raise ValueError(f"{ENV_VAR}={value!r}: the number of threads must be at least 1 (or 'auto')")
    return n


def set_threads(n: int | str) -> None:
    """Fix the number of threads every helper uses (``n >= 1``), or ``"auto"`` for the policy.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    global _fixed
    if n == "auto":
        _fixed = None
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_threads takes a whole number of threads >= 1 or 'auto', got {n!r}")
    _fixed = n


def decide() -> int:
    """The number of threads a heavy helper should use now (see the module's docstring).

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    if _fixed is not None:
        return _fixed
    from_env = _from_environment()
    if from_env is not None:
        return from_env
    return free_cpus()


class _Pools:
    """numpy's BLAS (through threadpoolctl) and PyTorch's threads, set together."""

    def __init__(self) -> None:
        self._controller = None
        self._modules = 0  # len(sys.modules) when the controller was made

    def _blas(self):
        """threadpoolctl's controller of every BLAS library loaded (numpy's, scipy's own copy, ...):
        made again after new imports, which may have loaded another one."""
        if self._controller is None or len(sys.modules) != self._modules:
            import numpy  # noqa: F401  (loads the BLAS library that threadpoolctl then finds)
            from threadpoolctl import ThreadpoolController

            self._controller = ThreadpoolController().select(user_api="blas")
            self._modules = len(sys.modules)
        return self._controller

    def get(self) -> tuple[int, int | None]:
        blas = self._blas()
        counts = [lib.num_threads for lib in blas.lib_controllers]
        torch = sys.modules.get("torch")
        return (max(counts) if counts else 1), (torch.get_num_threads() if torch is not None else None)

    def set(self, blas_threads: int, torch_threads: int | None) -> None:
        self._blas().limit(limits=blas_threads)
        torch = sys.modules.get("torch")  # only if a lesson uses PyTorch: never imported from here
        if torch is not None and torch_threads is not None and torch.get_num_threads() != torch_threads:
            torch.set_num_threads(torch_threads)


_pools = _Pools()
_active = threading.local()


class AdaptiveThreads:
    """The thread counts in force inside :func:`adaptive_threads`; :meth:`refresh` decides again.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """

    def __init__(self) -> None:
        self.threads = 0
        self._decided_at = 0.0

    def refresh(self, force: bool = False) -> int:
        """Decide again if :data:`WINDOW_S` seconds have passed (or ``force``); return the count."""
        now = time.perf_counter()
        if force or now - self._decided_at >= WINDOW_S:
            n = decide()
            if n != self.threads:
                _pools.set(n, n)
                self.threads = n
            self._decided_at = now
        return self.threads


@contextmanager
def adaptive_threads() -> Iterator[AdaptiveThreads]:
    """Run the ``with`` block with the policy's thread count for numpy's BLAS and PyTorch; restore
    the previous counts afterwards. Nested blocks share the outer decision. Long loops call
    ``.refresh()`` on the yielded object to follow a changing load.

    Used by: the training loops of lessons 3 and 4 and the dashboards (the README's thread policy).
    """
    outer = getattr(_active, "current", None)
    if outer is not None:
        yield outer
        return
    current = AdaptiveThreads()
    _active.current = current
    try:
        current.refresh(force=True)
        yield current
    finally:
        _active.current = None
        outside = _outside_threads()
        _pools.set(outside, outside)


def adaptive(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``fn`` inside :func:`adaptive_threads`.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with adaptive_threads():
            return fn(*args, **kwargs)

    return wrapper


_LIBRARY_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


OUTSIDE_THREADS = 1  # numpy's BLAS and PyTorch outside the heavy helpers, unless overridden


def _outside_threads() -> int:
    return _fixed or _from_environment() or OUTSIDE_THREADS


def use_outside_default() -> int:
    """Set numpy's BLAS (every BLAS library loaded) and PyTorch (if imported) to the count for code
    outside the helpers: one thread, or the override. Returns it.

    Libraries loaded later (scipy's own OpenBLAS, PyTorch's OpenMP and MKL) size their pools from
    the environment when they load: the variables in :data:`_LIBRARY_VARIABLES` are set to the
    budget (or the override) unless the user set them.

    Used by: the helpers' thread policy (README, "Threads: fast on a shared or busy machine"); no lesson calls it.
    """
    pool = _fixed or _from_environment() or cpu_budget()
    for variable in _LIBRARY_VARIABLES:
        os.environ.setdefault(variable, str(pool))
    outside = _outside_threads()
    _pools.set(outside, outside)
    return outside


def describe() -> str:
    """One line: what the policy sees and what it decides now.

    Used in: lesson 6, section 6 (all the knobs live: what the thread policy decided on this machine).
    """
    quota = cgroup_quota()
    blas, torch_threads = _pools.get()
    override = _fixed or _from_environment()
    return (
        f"{len(allowed_cpus())} CPUs allowed"
        + (f", a cgroup quota of {quota:g} CPUs" if quota is not None else ", no CPU quota")
        + f" -> budget {cpu_budget()}; other processes keep {busy_elsewhere():.1f} CPUs busy -> "
        + (f"fixed at {override} (override)" if override else f"{free_cpus()} threads for the next heavy helper")
        + f"; now (outside the helpers: {_outside_threads()}): BLAS {blas}"
        + (f", PyTorch {torch_threads}" if torch_threads is not None else "")
    )


_monitor.start()
