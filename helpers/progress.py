"""Time spent and time left of a running loop (training), for the monitors and the log lines.

The time left is the steps still to run divided by the *recent* rate (the last :data:`RECENT_S`
seconds), not the average since the start, so that it follows a machine that becomes busy (a class
starting its own training on a shared hub) or free again.

Lesson 3, section 4 and lesson 4, section 3 show it while their models train.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["RECENT_S", "Progress", "format_seconds"]

RECENT_S = 10.0  # the time left is estimated from the rate over this many recent seconds


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``: a duration for people.

    Used by: helpers.progress.Progress (the time spent and left in lessons 3 and 4's training monitors).
    """
    s = int(round(max(seconds, 0.0)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """Where a loop of ``total`` steps is: :meth:`update` after each step, then read
    :attr:`elapsed`, :meth:`remaining` (seconds) and :meth:`text`.

    ``clock`` (seconds, default :func:`time.perf_counter`) can be replaced in tests.

    Used by: the training monitors of lessons 3 and 4 (helpers.widgets.TrainingMonitor) and
    `python -m helpers.char_lstm train`.
    """

    def __init__(self, total: int, clock: Callable[[], float] = time.perf_counter) -> None:
        if total < 1:
            raise ValueError(f"a loop needs at least one step, got total={total}")
        self.total = total
        self.clock = clock
        self.step = 0
        self._start: float | None = None
        self._recent: deque[tuple[float, int]] = deque()

    def update(self, step: int) -> None:
        """Step ``step`` (1 … total) has just finished."""
        now = self.clock()
        if self._start is None:  # timing starts at the end of the first step (it includes set-up)
            self._start = now
        self.step = step
        self._recent.append((now, step))
        while len(self._recent) > 2 and now - self._recent[1][0] >= RECENT_S:
            self._recent.popleft()

    @property
    def elapsed(self) -> float:
        """Seconds since the first step finished."""
        return 0.0 if self._start is None else self.clock() - self._start

    def rate(self) -> float | None:
        """Steps per second over the recent window, or None before two steps are done."""
        if len(self._recent) < 2:
            return None
        (t0, s0), (t1, s1) = self._recent[0], self._recent[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 and s1 > s0 else None

    def remaining(self) -> float | None:
        """Seconds still to run at the recent rate (0 when done), or None before it can be told."""
        if self.step >= self.total:
            return 0.0
        rate = self.rate()
        return None if rate is None else (self.total - self.step) / rate

    def text(self) -> str:
        """``"12 s spent, about 48 s left"`` (or ``"done in 1 min 02 s"``)."""
        if self.step >= self.total:
            return f"done in {format_seconds(self.elapsed)}"
        left = self.remaining()
        spent = f"{format_seconds(self.elapsed)} spent"
        return spent if left is None else f"{spent}, about {format_seconds(left)} left"
