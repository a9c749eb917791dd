"""The rating activity as a student uses it: notebooks/class/rate_the_samples.ipynb in JupyterLab.

The student types an id, presses Start, reads the first sample beside its prototype (the page must
show exactly the texts Python generates for that student's first sample), tries Next with a question
unanswered (refused, naming it), answers the four questions with the mouse, presses Next: the file
``ratings/<id>.json`` beside the notebook then holds those four ratings for that sample, and the
second sample is on screen. Text is 12 pt (16 px) or larger. Only the setup cell and the widget's cell
run here (the teacher's part and the demonstration are nbval's to run).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from helpers import rating

from .conftest import SHOTS
from .driver import cell_widget, run_lesson, shutdown_lesson_kernel, widget_cell, with_only_the_cells_for

NAME = "class/rate_the_samples.ipynb"
STUDENT = "s03"
CLICKS = {"novelty": 4, "typicality": 2, "cohesion": 3, "difficulty": 5}


def test_a_student_rates_a_sample_and_it_is_saved(page, lab_server):
    with_only_the_cells_for(lab_server, NAME, "rating_widget.RatingWidget(")
    run_lesson(page.page, lab_server, NAME, timeout_s=120)
    index, _ = widget_cell(NAME, "rating_widget.RatingWidget(")
    root = cell_widget(page.page, index)

    root.locator("input[type='text']").first.fill(STUDENT)
    root.locator("button", has_text="Start").click()
    expect(root).to_contain_text("Sample 1 of 7", timeout=60_000)
    first = rating.assignment(STUDENT)[0]
    bank = rating.SampleBank()
    boxes = root.locator("pre")
    assert boxes.nth(0).inner_text() == rating.PROMPTS[first.prompt] + bank.text(first), "not the student's first sample"
    assert boxes.nth(1).inner_text() == rating.PROMPTS[first.prompt] + bank.prototype(first.prompt)

    groups = root.locator(".widget-toggle-buttons")
    assert groups.count() == len(rating.QUESTIONS)
    for n, question in enumerate(rating.QUESTIONS[:-1]):
        groups.nth(n).locator("button", has_text=str(CLICKS[question])).click()
    root.locator("button", has_text="Next").click()
    expect(root).to_contain_text("difficulty is not answered yet", timeout=15_000)
    saved = Path(lab_server.root) / "notebooks" / "class" / "ratings" / f"{STUDENT}.json"
    assert not saved.exists(), "saved with a question unanswered"

    groups.nth(len(rating.QUESTIONS) - 1).locator("button", has_text=str(CLICKS["difficulty"])).click()
    root.locator("button", has_text="Next").click()
    expect(root).to_contain_text("Sample 2 of 7", timeout=30_000)
    expect(root).to_contain_text("Saved: 1 of 7 rated")
    shots = SHOTS / "rating"
    shots.mkdir(parents=True, exist_ok=True)
    root.screenshot(path=str(shots / "second_sample.png"))

    file = rating.read_ratings(saved)
    assert file.student == STUDENT and file.ratings == {first: CLICKS}, file.ratings
    sizes = root.evaluate("(el) => [...el.querySelectorAll('pre, button, input, .widget-html-content')]"
                          ".filter((e) => e.offsetParent !== null && (e.tagName === 'INPUT' || e.innerText.trim()))"
                          ".map((e) => [e.tagName, parseFloat(getComputedStyle(e).fontSize)])")
    small = [s for s in sizes if not s[1] >= 16]
    assert len(sizes) > 10 and not small, f"the activity's text must be 12 pt (16 px) or larger: {small}"

    shutdown_lesson_kernel(lab_server, "rate_the_samples.ipynb")
    assert not page.blocked, f"the page asked for something beyond this machine: {page.blocked}"
    assert not page.console_errors, f"browser console errors: {page.console_errors}"
