"""helpers.threads: the CPU budget, other programs' load, and the thread policy for BLAS and PyTorch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from helpers import threads


def _blas_threads() -> int:
    return max(lib.num_threads for lib in ThreadpoolController().select(user_api="blas").lib_controllers)


def test_budget_is_within_the_cpus_this_process_may_use():
    assert 1 <= threads.cpu_budget() <= len(threads.allowed_cpus()) <= (os.cpu_count() or 1)


@pytest.mark.parametrize(
    "files, quota",
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),  # cgroup v2, 1.5 CPUs
        ({"cpu.max": "max 100000\n"}, None),  # cgroup v2, no limit
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),  # v1, no limit
        ({}, None),  # no cgroup files at all (macOS)
    ],
)
def test_cgroup_quota_is_read_from_v2_and_v1_files(tmp_path, monkeypatch, files, quota):
    monkeypatch.setattr(threads, "_own_cgroup_paths", lambda: {"": "/", "cpu": "/"})
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert threads.cgroup_quota(tmp_path) == quota


def test_a_quota_lowers_the_budget_and_never_below_one(monkeypatch):
    monkeypatch.setattr(threads, "allowed_cpus", lambda: list(range(64)))  # a big host ...
    monkeypatch.setattr(threads, "cgroup_quota", lambda: 2.5)  # ... with a 2.5-CPU container
    assert threads.cpu_budget() == 2
    monkeypatch.setattr(threads, "cgroup_quota", lambda: 0.5)
    assert threads.cpu_budget() == 1


def test_busy_time_is_read_for_our_cpus_only(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text(
        "cpu  300 0 30 1000 5 0 0 0 0 0\n"
        "cpu0 100 0 10 500 5 0 0 7 0 0\n"  # user 100, system 10, steal 7 (another VM's time)
        "cpu1 200 0 20 500 0 0 0 0 0 0\n"
        "intr 1 2 3\n"
    )
    ticks = threads._CLOCK_TICKS
    assert threads._busy_seconds([0], stat) == pytest.approx(117 / ticks)
    assert threads._busy_seconds([0, 1], stat) == pytest.approx(337 / ticks)
    assert threads._busy_seconds([5], stat) is None and threads._busy_seconds([0], tmp_path / "none") is None


def _run(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_beside_busy_programs_a_helper_runs_one_thread():
    """One CPU-bound program per allowed CPU: the policy must not add a second spinning thread."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    busy = [subprocess.Popen([sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{c}}})\nwhile True: pass"])
            for c in cpus]
    try:
        time.sleep(0.5)
        out = _run(f"""
            import os, time
            os.sched_setaffinity(0, {set(cpus)!r})
            from helpers import threads
            time.sleep(0.3)
            with threads.adaptive_threads() as pool:
                print(threads.busy_elsewhere(), pool.threads)
        """)
    finally:
        for p in busy:
            p.kill()
    others, used = out.split()
    assert float(others) > 0.6 * len(cpus) and int(used) == 1, out


def test_outside_the_helpers_code_runs_one_thread_unless_overridden():
    """A lesson's own cell (small products) must not spin a second thread on a busy machine."""
    code = """
        import helpers.char_lstm
        import torch
        from threadpoolctl import threadpool_info
        import scipy.linalg  # loaded later: sized from the environment, at most the budget
        from helpers import threads
        blas = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
        numpy_blas = next(n for path, n in blas.items() if "numpy" in path)
        print(numpy_blas, torch.get_num_threads(), max(blas.values()) <= threads.cpu_budget())
    """
    assert _run(code).split() == ["1", "1", "True"]
    assert _run(code, {threads.ENV_VAR: "2"}).split()[:2] == ["2", "2"]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_pinned_to_one_cpu_everything_uses_one_thread():
    """``taskset -c 0``: numpy's BLAS and PyTorch are capped at one thread on import, helpers run one."""
    out = _run("""
        import os
        os.sched_setaffinity(0, {0})
        import helpers.char_lstm
        import torch
        from threadpoolctl import threadpool_info
        from helpers import threads
        with threads.adaptive_threads() as pool:
            inside = pool.threads
        blas = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        print(threads.cpu_budget(), blas, torch.get_num_threads(), inside)
    """)
    assert out == "1 1 1 1", out


def test_inside_a_helper_the_policy_decides_and_outside_one_thread_comes_back():
    import torch

    import helpers.char_lstm  # noqa: F401  (PyTorch under the policy)

    threads.set_threads(2)
    try:
        with threads.adaptive_threads() as pool:
            assert pool.threads == 2 and _blas_threads() == 2 and torch.get_num_threads() == 2
            with threads.adaptive_threads() as inner:  # nested helpers share the outer decision
                assert inner is pool
    finally:
        threads.set_threads("auto")
    with threads.adaptive_threads():
        pass
    assert (_blas_threads(), torch.get_num_threads()) == (1, 1), "outside the helpers: one thread"


def test_decorated_helpers_follow_the_policy():
    seen = []

    @threads.adaptive
    def work() -> None:
        seen.append(_blas_threads())
        np.ones((64, 64)) @ np.ones((64, 64))

    threads.set_threads(1)
    try:
        work()
    finally:
        threads.set_threads("auto")
    assert seen == [1]


def test_overrides_and_their_errors(monkeypatch):
    monkeypatch.setenv(threads.ENV_VAR, "1")
    assert threads.decide() == 1
    monkeypatch.setenv(threads.ENV_VAR, "auto")
    assert threads.decide() == threads.free_cpus()
    for bad in ("two", "0", "-1", "1.5"):
        monkeypatch.setenv(threads.ENV_VAR, bad)
        with pytest.raises(ValueError, match=threads.ENV_VAR):
            threads.decide()
    monkeypatch.delenv(threads.ENV_VAR)
    for bad in (0, -2, 1.5, True, "many"):
        with pytest.raises(ValueError, match="set_threads"):
            threads.set_threads(bad)


def test_a_bad_override_stops_the_import_with_its_message():
    done = subprocess.run([sys.executable, "-c", "import helpers"], capture_output=True, text=True,
                          env={**os.environ, threads.ENV_VAR: "lots"})
    assert done.returncode != 0 and "LESSONS_THREADS='lots'" in done.stderr


def test_describe_says_what_it_sees_and_decides():
    line = threads.describe()
    assert "CPUs allowed" in line and "budget" in line and "busy" in line and "BLAS" in line


def test_the_readme_says_what_the_policy_does_and_how_to_override_it():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "helpers.threads" in readme and threads.ENV_VAR in readme and "set_threads" in readme
