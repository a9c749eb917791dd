"""The rating activity (helpers.rating, helpers.rating_widget; notebooks/class/rate_the_samples.ipynb):
assignment, files, pooling with problems named, the statistics, simulated raters, the widget."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from helpers import data, rating, rating_widget

SLOPES = {"novelty": 1.0, "typicality": -0.5, "cohesion": -0.8, "difficulty": 0.6}  # rating points per unit of T


class FakeBank:
    """A stand-in for rating.SampleBank (no model): texts that name their key."""

    def text(self, key: rating.SampleKey) -> str:
        return f"sample {key}"

    def prototype(self, prompt: int) -> str:
        return f"prototype of prompt {prompt}"


def said(widget: rating_widget.RatingWidget) -> str:
    """The widget's message line as the student reads it (HTML entities decoded)."""
    return html.unescape(widget.message.value)


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- assignment -------------------------------------------------------------------------------

@pytest.mark.parametrize("student", ["s01", "7", "alice", "student-12", "Bob.K"])
def test_each_student_rates_every_temperature_and_every_prompt_once(student):
    keys = rating.assignment(student)
    assert sorted(k.temperature for k in keys) == sorted(rating.TEMPERATURES)
    assert sorted(k.prompt for k in keys) == list(range(7))
    assert keys == rating.assignment(student)  # reproducible


def test_seven_consecutive_students_meet_every_prompt_at_every_temperature():
    for first in (1, 8, 23):
        met = Counter(k for n in range(first, first + 7) for k in rating.assignment(f"s{n:02d}"))
        assert set(met) == {rating.SampleKey(p, t) for p in range(7) for t in rating.TEMPERATURES}
        assert set(met.values()) == {1}


def test_orders_are_shuffled_between_students_and_temperatures_are_the_papers():
    orders = {tuple(k.temperature for k in rating.assignment(f"s{n:02d}")) for n in range(1, 15)}
    assert len(orders) > 10
    assert set(rating.TEMPERATURES) == set(data.load_peeperkorn_ratings().temperature.tolist())


@pytest.mark.parametrize("bad", ["", "two words", "../x", ".hidden", "a" * 41])
def test_an_unusable_id_is_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="a student id is"):
        rating.assignment(bad)


# --- simulated raters and the statistics --------------------------------------------------------

def test_simulated_raters_recover_the_known_slope_and_the_sign_of_rho(tmp_path):
    """30 raters × 7 ratings, ratings = 3 + offset + slope · (T - 1) + noise (SD 0.5), rounded to 1-5:
    the mixed model's slope is within 0.15 of the known one (its SE is about 0.04) and ρ has its sign."""
    rng = np.random.default_rng(0)
    for n in range(30):
        rating.simulate_rater(tmp_path, f"s{n:02d}", SLOPES, offset=float(rng.normal(0, 0.4)), noise=0.5, seed=n)
    pool = rating.pool_folder(tmp_path)
    assert len(pool) == 210 and not pool.problems
    for q, slope in SLOPES.items():
        st = rating.question_statistics(pool.temperature, pool.ratings[q], pool.rater)
        assert st.method == "mixed" and st.raters == 30
        assert abs(st.slope - slope) < 0.15, (q, st)
        assert np.sign(st.rho) == np.sign(slope)


def test_one_rater_gets_an_ols_slope_and_the_output_says_so(tmp_path):
    path = rating.simulate_rater(tmp_path, "s01", {"novelty": 1.0}, noise=0.3, seed=1)
    pool = rating.pool_files([path])
    st = rating.question_statistics(pool.temperature, pool.ratings["novelty"], pool.rater)
    assert st.method == "OLS" and st.note == rating.ONE_RATER_NOTE
    slope_np = np.polyfit(pool.temperature, pool.ratings["novelty"], 1)[0]
    assert st.slope == pytest.approx(slope_np)
    rows = [rating.ComparisonRow(q, rating.question_statistics(pool.temperature, pool.ratings[q], pool.rater),
                                 rating.paper_ratings()[q], "proxy", 0.5, 0.1, "unit", 7) for q in rating.QUESTIONS]
    text = rating.comparison_text(rows, who="you")
    assert "a random intercept per rater cannot be estimated" in text and "slope (SE) OLS" in text


def test_the_papers_statistics_reproduce_the_published_and_readme_figures():
    paper = rating.paper_ratings()
    rho = {q: round(paper[q].rho, 2) for q in rating.QUESTIONS}  # data/peeperkorn2024 README, lesson 5
    assert rho == {"novelty": 0.11, "typicality": -0.08, "cohesion": -0.09, "difficulty": 0.0}
    published = {"novelty": (0.31, 0.14), "typicality": (-0.10, 0.12), "cohesion": (-0.18, 0.11),
                 "difficulty": (0.24, 0.12)}  # their mixed model's slopes (SE): ../shared/FACTS.md
    assert {q: (round(paper[q].slope, 2), round(paper[q].se, 2)) for q in rating.QUESTIONS} == published
    assert all(st.method == "mixed" and st.n == 180 and st.raters == 36 and not st.note for st in paper.values())


# --- files and pooling ------------------------------------------------------------------------

def test_a_saved_file_reads_back_and_names_no_problem(tmp_path):
    file = rating.RatingsFile("s03", {k: {"novelty": 1, "typicality": 2, "cohesion": 3, "difficulty": 5}
                                      for k in rating.assignment("s03")[:4]})
    path = rating.save_ratings(tmp_path, file)
    assert path == tmp_path / "s03.json" and rating.read_ratings(path) == file
    content = json.loads(path.read_text())
    assert content["format"] == rating.FORMAT and content["student"] == "s03" and len(content["ratings"]) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["s03.json"]  # no temporary file left behind


def _good_entry() -> dict:
    key = rating.assignment("s09")[0]
    return {"prompt": key.prompt, "temperature": key.temperature,
            "novelty": 3, "typicality": 3, "cohesion": 3, "difficulty": 3}


def _file(student="s09", entries=None, fmt=rating.FORMAT) -> str:
    return json.dumps({"format": fmt, "student": student, "ratings": entries if entries is not None else [_good_entry()]})


BAD_FILES = {  # name: (content, words the message must contain)
    "not_json": ("this is not JSON {", ["not a JSON file", "To fix"]),
    "wrong_version": (_file(fmt="temperature-lessons/ratings/0"), ["format is", "another version", "rate again"]),
    "no_format": (json.dumps({"student": "s09", "ratings": []}), ["no 'format' field"]),
    "no_student": (json.dumps({"format": rating.FORMAT, "ratings": []}), ["no 'student' field"]),
    "missing_rating": (_file(entries=[{k: v for k, v in _good_entry().items() if k != "cohesion"}]),
                       ["rating number 1 has no cohesion", "add the missing field"]),
    "out_of_range": (_file(entries=[{**_good_entry(), "difficulty": 6}]), ["difficulty rating", "is 6", "outside the scale 1-5"]),
    "not_whole": (_file(entries=[{**_good_entry(), "novelty": 2.5}]), ["is 2.5, not a whole number from 1 to 5"]),
    "unknown_key": (_file(entries=[{**_good_entry(), "temperature": 0.5}]), ["unknown sample", "temperatures 0.001"]),
    "unknown_prompt": (_file(entries=[{**_good_entry(), "prompt": 9}]), ["unknown sample", "prompts are 0-6"]),
    "rated_twice": (_file(entries=[_good_entry(), _good_entry()]), ["rated twice", "keep one of the two entries"]),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_each_bad_file_is_named_with_its_fix_and_the_good_files_are_still_pooled(tmp_path, kind):
    content, words = BAD_FILES[kind]
    for n in (1, 2):
        rating.simulate_rater(tmp_path, f"s{n:02d}", SLOPES, seed=n)
    (tmp_path / f"{kind}.json").write_text(content)
    before = _bytes(tmp_path)
    pool = rating.pool_folder(tmp_path)
    assert _bytes(tmp_path) == before  # nothing modified, moved or deleted
    assert [p.name for p in pool.files] == ["s01.json", "s02.json"] and len(pool) == 14
    [problem] = pool.problems
    message = str(problem)
    assert message.startswith(f"{kind}.json: ") and "To fix:" in message and "the file is unchanged" in message
    for word in words:
        assert word in message, (word, message)


def test_two_files_of_one_student_are_both_named_and_the_rest_pooled(tmp_path):
    rating.simulate_rater(tmp_path, "s01", SLOPES, seed=1)
    rating.simulate_rater(tmp_path, "s02", SLOPES, seed=2)
    (tmp_path / "s02 (copy).json").write_bytes((tmp_path / "s02.json").read_bytes())
    before = _bytes(tmp_path)
    pool = rating.pool_folder(tmp_path)
    assert _bytes(tmp_path) == before
    assert [p.name for p in pool.files] == ["s01.json"] and set(pool.rater.tolist()) == {"s01"}
    assert sorted(p.file.name for p in pool.problems) == ["s02 (copy).json", "s02.json"]
    for problem in pool.problems:
        assert "student id 's02' is in 2 files (s02 (copy).json, s02.json)" in str(problem)
        assert "keep the right file" in str(problem)


def test_report_lists_the_problems_and_a_missing_folder_pools_nothing(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    pool = rating.pool_folder(tmp_path)
    text = rating.report(pool, FakeBank(), "")
    assert text.startswith("pooled 0 ratings by 0 rater(s) from 0 file(s); 1 file(s) left out")
    assert "x.json: it holds no JSON object" in text
    assert len(rating.pool_folder(tmp_path / "absent")) == 0


# --- the samples ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bank():
    return rating.SampleBank()


def test_samples_are_cached_seeded_and_their_prototype_is_the_coldest(bank):
    key = rating.SampleKey(2, 1.334)
    text = bank.text(key)
    assert len(text) == rating.LENGTH and bank.text(key) is text
    assert bank.prototype(2) == bank.text(rating.SampleKey(2, 0.001))
    assert rating.SampleBank(bank.model).text(key) == text  # the same seed, the same text
    assert bank.text(rating.SampleKey(2, 2.0)) != bank.text(rating.SampleKey(3, 2.0))
    with pytest.raises(KeyError, match="no sample"):
        bank.text(rating.SampleKey(7, 1.0))


def test_proxies_move_with_temperature_as_lesson_5_found(bank, corpus_text):
    keys = [rating.SampleKey(p, t) for p in range(7) for t in rating.TEMPERATURES]
    proxies = bank.proxies(keys, corpus_text)
    t = np.array([k.temperature for k in keys])
    from scipy import stats
    assert stats.spearmanr(t, proxies["novelty"]).statistic > 0.8          # distance to the prototype
    assert stats.spearmanr(t, proxies["difficulty"]).statistic > 0.8       # invented words
    assert stats.spearmanr(t, proxies["typicality"]).statistic < -0.8      # minus surprise
    assert proxies["novelty"][[k.temperature == 0.001 for k in keys]].max() == 0.0  # the prototype itself


# --- the widget -------------------------------------------------------------------------------

def test_the_widget_rates_saves_after_every_answer_and_resumes(tmp_path):
    w = rating_widget.RatingWidget(tmp_path / "ratings", FakeBank())
    assert "type your id and press Start" in w._repr_mimebundle_()["text/plain"]
    assert not w.next() and "Start first" in said(w)
    assert not w.start("two words") and "cannot be used" in said(w)
    assert w.start("s05") and "saved after each sample" in said(w)
    order = rating.assignment("s05")
    assert "Sample 1 of 7" in w.progress.value and str(order[0]) in w.sample.value
    assert f"prototype of prompt {order[0].prompt}" in w.sample.value
    assert not w.rate("novelty", 6) and "whole number from 1 to 5, not 6" in said(w)
    assert not w.rate("novelty", None) and not w.rate("beauty", 3) and "no question 'beauty'" in said(w)
    assert w.rate("novelty", 4) and w.rate("typicality", 2)
    assert not w.next() and "cohesion, difficulty are not answered yet" in said(w)
    assert not (tmp_path / "ratings").exists()
    w.buttons["cohesion"].value = 5   # a click
    w.rate("difficulty", 1)
    assert w.next()
    path = tmp_path / "ratings" / "s05.json"
    saved = json.loads(path.read_text())
    assert saved["student"] == "s05" and saved["format"] == rating.FORMAT
    assert saved["ratings"] == [{"prompt": order[0].prompt, "temperature": order[0].temperature,
                                 "novelty": 4, "typicality": 2, "cohesion": 5, "difficulty": 1}]
    assert "Sample 2 of 7" in w.progress.value and "1 of 7 rated" in w.saved.value and str(path.resolve()) in w.saved.value
    assert all(b.value is None for b in w.buttons.values())  # a fresh sample, fresh answers

    again = rating_widget.RatingWidget(tmp_path / "ratings", FakeBank())   # the notebook run again
    assert again.start("s05") and "Welcome back: 1 of 7" in said(again)
    assert "Sample 2 of 7" in again.progress.value and again.current == order[1]
    for key in order[1:]:
        for q in rating.QUESTIONS:
            again.rate(q, 3)
        assert again.next()
    assert "Done: all 7 rated" in again.progress.value and again.current is None
    assert len(rating.read_ratings(path).ratings) == 7


def test_the_widget_leaves_an_unreadable_file_alone(tmp_path):
    (tmp_path / "s06.json").write_text("{broken")
    w = rating_widget.RatingWidget(tmp_path, FakeBank())
    assert not w.start("s06")
    assert "cannot be read" in said(w) and "It is left as it is" in said(w)
    assert (tmp_path / "s06.json").read_text() == "{broken"
