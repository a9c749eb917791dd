"""What the widgets' typed boxes accept: reading a typed value, or saying why it is not used.

No widgets here (see :mod:`helpers.widgets` for the wiring): a box's text goes in, a number or a
``ValueError`` whose message a student can act on comes out. Nothing is silently changed: ``0`` is
not turned into the smallest length, ``1.5`` is not read as 15, a huge seed is not clipped.

Used by the explorers and dashboards of lessons 2, 3, 4 and 6 (:class:`TypedNumber` is a box's
state: the number in use and the message for a refused entry).
"""

from __future__ import annotations

import re

__all__ = ["SEED_MAX", "whole_number", "TypedNumber"]

SEED_MAX = 2**31 - 1  # the largest seed a box accepts (what a browser's number input holds exactly)

_WHOLE = re.compile(r"[+]?\d+")


def whole_number(text: str, name: str, low: int, high: int) -> int:
    """The whole number typed in ``text``, if it lies in ``[low, high]``.

    Raises ``ValueError`` naming the box (``name``), what was typed and what is accepted, e.g.
    ``length: 0 is too small: type a whole number from 50 to 1,000``. Spaces around the number are
    ignored; anything else (``1.5``, ``1e3``, ``-2``, ``""``) is refused.

    Used in: lessons 2 and 3 (the explorers' seed box), 4 and 6 (the dashboards' length and seed).
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


class TypedNumber:
    """A box's state without the box: the number in use and why the last entry was refused.

    :meth:`type` reads what was typed with :func:`whole_number`. A good number becomes
    :attr:`value` and clears :attr:`message`; a bad one leaves :attr:`value` alone and sets
    :attr:`message`, e.g. ``length: 0 is too small: type a whole number from 50 to 1,000 (still
    using 250)``. Nothing is silently changed. A bad initial ``value`` raises ``ValueError``.

    Used in: lessons 2 and 3 (the explorers' seed box), 4 and 6 (the dashboards' length and seed),
    behind :class:`helpers.widgets.NumberBox`.
    """

    def __init__(self, name: str, value: int, low: int, high: int) -> None:
        self.name, self.low, self.high = name, low, high
        self.value = whole_number(str(value), name, low, high)
        self.message = ""

    def type(self, typed: str) -> bool:
        """Read ``typed``; ``True`` if it is a new number now in use."""
        try:
            number = whole_number(typed, self.name, self.low, self.high)
        except ValueError as err:
            self.message = f"{err} (still using {self.value:,})"
            return False
        self.message = ""
        changed, self.value = number != self.value, number
        return changed
