"""The capstone's cases (helpers/detective.py): fixed by the student's number, each hiding its own
temperature."""

from __future__ import annotations

import pytest

from helpers.detective import HIDDEN_RANGE, _hidden_temperature, detective_case


def test_detective_case_is_fixed_by_the_seed_and_hides_its_temperature():
    a, b, c = detective_case(3), detective_case(3), detective_case(4)
    assert a.text == b.text and a.text != c.text and len(a.text) == 400
    assert a.logits.shape == (400, 65) and a.chosen.shape == (400,)
    assert not a.logits.flags.writeable and not a.chosen.flags.writeable
    assert "T =" not in repr(a) and "1.4" not in repr(a)
    hidden = [_hidden_temperature(s) for s in range(40)]
    assert len(set(hidden)) > 20, "each student a different T"
    assert all(HIDDEN_RANGE[0] <= t <= HIDDEN_RANGE[1] for t in hidden)
    for bad in (-1, 2.5, "7", True):
        with pytest.raises(ValueError, match="seed"):
            detective_case(bad)
    with pytest.raises(ValueError, match="length"):
        detective_case(3, length=5)
