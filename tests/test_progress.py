"""helpers.progress: time spent and time left of a loop, from the recent rate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.progress import RECENT_S, Progress, format_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_time_left_from_a_steady_rate():
    clock = Clock()
    p = Progress(100, clock)
    assert p.text() == "0 s spent" and p.remaining() is None
    for step in range(1, 11):  # one step per second
        p.update(step)
        clock.now += 1.0
    clock.now -= 1.0
    assert p.remaining() == pytest.approx(90.0)
    assert p.text() == "9 s spent, about 1 min 30 s left"


def test_time_left_follows_a_machine_that_becomes_busy():
    clock = Clock()
    p = Progress(1000, clock)
    step = 0
    for _ in range(100):  # 10 steps per second while alone ...
        step += 1
        p.update(step)
        clock.now += 0.1
    for _ in range(60):  # ... then 1 step per second beside a class's training runs
        step += 1
        p.update(step)
        clock.now += 1.0
    clock.now -= 1.0
    assert p.rate() == pytest.approx(1.0, rel=0.05)  # the recent rate, not the average since the start
    assert p.remaining() == pytest.approx(1000 - step, rel=0.05)


def test_done():
    clock = Clock()
    p = Progress(3, clock)
    for step in (1, 2, 3):
        p.update(step)
        clock.now += 20
    assert p.remaining() == 0.0 and p.text() == "done in 1 min 00 s"
    with pytest.raises(ValueError, match="at least one step"):
        Progress(0)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_format_seconds_reads_back(seconds):
    text = format_seconds(seconds)
    parts = text.split()
    units = {"s": 1, "min": 60, "h": 3600}
    total = sum(int(n) * units[u] for n, u in zip(parts[::2], parts[1::2]))
    assert abs(total - seconds) < (60 if seconds >= 3600 else 0.51)  # hours drop the seconds


def test_recent_window_is_bounded():
    clock = Clock()
    p = Progress(10**6, clock)
    for step in range(1, 10_001):
        p.update(step)
        clock.now += 0.01
    assert len(p._recent) <= RECENT_S / 0.01 + 3
