"""helpers.controls: a typed number is used as typed, or refused with a message; never changed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.controls import SEED_MAX, whole_number


@given(st.integers(min_value=50, max_value=1000), st.sampled_from(["", " ", "  "]), st.booleans())
def test_a_number_in_range_is_used_as_typed(n, space, plus):
    assert whole_number(f"{space}{'+' if plus else ''}{n}{space}", "length", 50, 1000) == n


@given(st.integers().filter(lambda n: not 0 <= n <= SEED_MAX))
def test_out_of_range_is_refused_never_clipped(n):
    with pytest.raises(ValueError, match=r"seed: .* type a whole number from 0 to 2,147,483,647"):
        whole_number(str(n), "seed", 0, SEED_MAX)


@pytest.mark.parametrize(
    "typed, says",
    [
        ("0", "0 is too small"),  # a length of 0 is not turned into 50
        ("99999999999", "99,999,999,999 is too large"),  # a huge seed is not clipped
        ("1.5", "'1.5' is not a whole number"),  # not read as 15
        ("1e3", "is not a whole number"),
        ("-2", "'-2' is a negative number"),
        ("", "the box is empty"),
        ("ten", "'ten' is not a whole number"),
    ],
)
def test_each_refusal_says_why(typed, says):
    with pytest.raises(ValueError) as info:
        whole_number(typed, "box", 1, 1000)
    assert str(info.value).startswith("box: ") and says in str(info.value)


def test_a_typed_number_keeps_the_last_good_value_and_says_why():
    from helpers.controls import TypedNumber

    box = TypedNumber("length", 250, 50, 1000)
    assert (box.value, box.message) == (250, "")
    assert not box.type("0") and box.value == 250
    assert box.message == "length: 0 is too small: type a whole number from 50 to 1,000 (still using 250)"
    assert box.type(" 300 ") and (box.value, box.message) == (300, "")
    assert not box.type("300") and box.message == ""  # the same number again: nothing new to do
    with pytest.raises(ValueError, match="length: 20 is too small"):
        TypedNumber("length", 20, 50, 1000)
