"""The concept quiz as a student uses it alone: notebooks/class/quiz.ipynb run in JupyterLab in Chromium.

Lesson 1's quiz: choose a wrong option with the mouse, press Check, and the page must show that
option's explanation (the misconception it stands for) and the running score; then the right option
→ ✓ and one point. The text is 12 pt (16 px) or larger.
"""

from __future__ import annotations

from playwright.sync_api import expect

from helpers import quiz

from .conftest import SHOTS
from .driver import cell_widget, run_lesson, shutdown_lesson_kernel, widget_cell

NAME = "class/quiz.ipynb"


def test_quiz_lesson1_wrong_then_right(page, lab_server):
    run_lesson(page.page, lab_server, NAME, timeout_s=120)
    root = cell_widget(page.page, widget_cell(NAME, 'quiz_widget.QuizWidget("01")')[0])
    q = quiz.questions("01")[0]
    wrong = next(o for o in q.options if not o.correct)
    right = next(o for o in q.options if o.correct)
    first = root.locator(".widget-radio-box").first
    check = root.locator("button", has_text="Check").first
    feedback = root.locator(".widget-html-content").nth(3)   # title, score, question 1's prompt, its feedback
    score = root.locator(".widget-html-content").nth(1)

    first.locator("label", has_text=f"{wrong.key}) {wrong.text}").click()
    check.click()
    expect(feedback).to_contain_text("✗", timeout=15_000)
    expect(feedback).to_contain_text(wrong.explanation)
    expect(score).to_contain_text("Score: 0 of 9")
    shots = SHOTS / "quiz"
    shots.mkdir(parents=True, exist_ok=True)
    root.screenshot(path=str(shots / "lesson1_wrong_option.png"))

    first.locator("label", has_text=f"{right.key}) {right.text}").click()
    check.click()
    expect(feedback).to_contain_text("✓", timeout=15_000)
    expect(feedback).to_contain_text(right.explanation)
    expect(score).to_contain_text("Score: 1 of 9")
    root.screenshot(path=str(shots / "lesson1_right_option.png"))

    sizes = root.evaluate("(el) => [...el.querySelectorAll('label, button, input, .widget-html-content')]"
                          ".filter((e) => e.offsetParent !== null && (e.tagName === 'INPUT' || e.innerText.trim()))"
                          ".map((e) => [e.tagName, parseFloat(getComputedStyle(e).fontSize)])")
    small = [s for s in sizes if not s[1] >= 16]
    assert any(s[0] == "INPUT" for s in sizes) and not small, f"the quiz's text must be 12 pt (16 px) or larger: {small}"

    shutdown_lesson_kernel(lab_server, "quiz.ipynb")
    assert not page.blocked, f"the page asked for something beyond this machine: {page.blocked}"
    assert not page.console_errors, f"browser console errors: {page.console_errors}"
