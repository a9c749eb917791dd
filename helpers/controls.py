"""What the widgets' typed boxes accept: reading a typed value, or saying why it is not used.

No widgets here (see :mod:`helpers.widgets` for the wiring): a box's text goes in, a number or a
``ValueError`` whose message a student can act on comes out. Nothing is silently changed: ``0`` is
not turned into the smallest length, ``1.5`` is not read as 15, a huge seed is not clipped.

Used by the explorers and dashboards of lessons 2, 3, 4 and 6.
"""

from __future__ import annotations

import re

__all__ = ["SEED_MAX", "whole_number"]

SEED_MAX = 2**31 - 1  # the largest seed a box accepts (what a browser's number input holds exactly)

_WHOLE = re.compile(r"[+]?\d+")


def whole_number(text: str, name: str, low: int, high: int) -> int:
    """The whole number typed in ``text``, if it lies in ``[low, high]``.

    Raises ``ValueError`` naming the box (``name``), what was typed and what is accepted, e.g.
    ``length: 0 is too small: type a whole number from 50 to 1,000``. Spaces around the number are
    ignored; anything else (``1.5``, ``1e3``, ``-2``, ``""``) is refused.
    """
    typed = str(text).strip()
    accepted = f"type a whole number from {low:,} to {high:,}"
    if not typed:
        raise ValueError(f"{name}: the box is empty: {accepted}")
    if not _WHOLE.fullmatch(typed):
        kind = "a negative number" if typed.startswith("-") and _WHOLE.fullmatch(typed[1:]) else "not a whole number"
        raise ValueError(f"{name}: {typed!r} is {kind}: {accepted}")
    value = int(typed)
    if value < low:
        raise ValueError(f"{name}: {value:,} is too small: {accepted}")
    if value > high:
        raise ValueError(f"{name}: {value:,} is too large: {accepted}")
    return value
