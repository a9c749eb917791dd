"""The one timing helper the benchmark scripts share (imported as `from timing import ...`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def elapsed_ms(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn()``, in milliseconds."""
    start = time.perf_counter()
    fn()
    return 1000 * (time.perf_counter() - start)


def median_ms(fn: Callable[[object], object], args: Iterable[object]) -> float:
    """Median wall time, in milliseconds, of ``fn(arg)`` over ``args`` (e.g. seeds or temperatures)."""
    return statistics.median(elapsed_ms(lambda: fn(arg)) for arg in args)
