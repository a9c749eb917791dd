"""Stored outputs that hold on the processors students have, not only on the one that stored them.

The notebooks' stored outputs are compared strictly by nbval on this machine (the `notebooks/` part
of this test session). Here the same strict nbval run is repeated on a simulated AVX2 laptop with
one CPU: OpenBLAS's Haswell kernels, PyTorch's and MKL's AVX2 code paths, ``taskset -c`` to one CPU
(so numpy and PyTorch also sum in another order, with one thread). It starts when the session starts
(tests/conftest.py), pinned to one CPU, and this test waits for it.

What may differ between processors, the digits of a long training run, is left uncompared only in
the training cells of lessons 3 and 4, and asserted by the cell after each
(tests/test_notebooks.py checks that rule).
"""

from __future__ import annotations

import re
import shutil
import sys

import pytest
from conftest import SIMULATED_PROCESSOR, SIMULATION, simulated_nbval_command


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("taskset"),
                    reason="simulating another processor needs Linux's taskset")
def test_strict_nbval_on_an_avx2_machine_with_one_cpu():
    assert SIMULATED_PROCESSOR["OPENBLAS_CORETYPE"] == "Haswell"
    assert simulated_nbval_command()[:3] == ["taskset", "-c", simulated_nbval_command()[2]]
    process = SIMULATION["process"]
    returncode = process.wait(timeout=1800)
    log = SIMULATION["log"].read_text(errors="replace")
    summary = log.strip().splitlines()[-1] if log.strip() else ""
    assert returncode == 0 and re.search(r"\d+ passed", summary) and "failed" not in summary, log[-6000:]
