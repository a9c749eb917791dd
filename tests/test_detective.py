"""The capstone's cases (helpers/detective.py): fixed by the student's number, each hiding its own
temperature."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import detective
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


# --- The exam variant: the temperatures come from the teacher's secret --------------------------------

SECRET = "a teacher's secret, not in the repository"


def test_exam_temperatures_need_the_secret_and_depend_on_it(monkeypatch):
    monkeypatch.delenv(detective.SECRET_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=detective.SECRET_VARIABLE):
        detective.exam_temperature(3)
    with pytest.raises(ValueError, match="at least 8 characters"):
        detective.exam_temperature(3, "short")
    ours = [detective.exam_temperature(s, SECRET) for s in range(40)]
    theirs = [detective.exam_temperature(s, SECRET + "!") for s in range(40)]
    low, high = detective.HIDDEN_RANGE
    assert all(low <= t <= high and t == round(t, 2) for t in ours)
    assert sum(a != b for a, b in zip(ours, theirs)) >= 35  # another secret, other temperatures
    assert sum(a != detective._hidden_temperature(s) for s, a in enumerate(ours)) >= 35  # not the public scheme
    monkeypatch.setenv(detective.SECRET_VARIABLE, SECRET)
    assert detective.exam_temperature(3) == ours[3]


def test_an_exam_case_file_holds_no_temperature_and_grades_with_the_secret(tmp_path, monkeypatch):
    from helpers.char_lstm import sample_many
    from helpers.metrics import fit_temperature

    monkeypatch.setenv(detective.SECRET_VARIABLE, SECRET)
    paths = detective.write_exam_cases([5, 6], tmp_path, length=400)
    assert [p.name for p in paths] == ["case_5.npz", "case_6.npz"]
    with np.load(paths[0]) as f:
        assert set(f.files) == {"format", "seed", "prompt", "text", "logits", "chosen"}
    monkeypatch.delenv(detective.SECRET_VARIABLE)  # the student's machine
    case = detective.load_exam_case(paths[0])
    assert case.seed == 5 and len(case.text) == 400 and case.logits.shape == (400, 65)
    hidden = detective.exam_temperature(5, SECRET)
    # regenerating the text at the right T with the public noise scheme does not give it back
    public, _ = sample_many(detective._pretrained(), case.prompt, 400, [hidden], seed=[10_000 + 5])
    assert public[0] != case.text
    estimate, _ = fit_temperature(case.logits, case.chosen)
    grade = detective.grade_exam(case, estimate, SECRET)
    assert grade.hidden == hidden and grade.passed and abs(estimate - hidden) <= grade.tolerance
    assert not detective.grade_exam(case, hidden + 5 * grade.tolerance, SECRET).passed
    with pytest.raises(ValueError, match=detective.SECRET_VARIABLE):
        detective.grade_exam(case, estimate)  # no secret here: no grade
    with pytest.raises(ValueError, match="must be a number"):
        detective.grade_exam(case, "warm", SECRET)


def test_a_missing_or_damaged_exam_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="your teacher gave you"):
        detective.load_exam_case(tmp_path / "case_1.npz")
    bad = tmp_path / "case_2.npz"
    bad.write_bytes(b"not a numpy file")
    with pytest.raises(ValueError, match="ask your teacher for the file again"):
        detective.load_exam_case(bad)
    other = tmp_path / "case_3.npz"
    np.savez(other, format=np.array("something else"), seed=np.array(3))
    with pytest.raises(ValueError, match="not an exam case"):
        detective.load_exam_case(other)
