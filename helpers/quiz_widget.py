"""The concept quiz in JupyterLab: one lesson's questions as widgets, a "Check" button per question.

Only the wiring lives here; the questions and their grading are :mod:`helpers.quiz`'s. Each
question shows its prompt and the lesson section it draws on, then radio buttons (multiple choice)
or a text box (a number or a short answer), a **Check** button, and the feedback: ✓ with why, or the
explanation of the misconception the answer stands for. A line at the top keeps the running score.
Text is 16 px (12 pt) or larger, so the quiz reads on a projector.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from . import plots, quiz

__all__ = ["QuizWidget"]

_RUN_ME = "interactive in JupyterLab: run the cell to answer"

# The series' text size (12 pt = 16 px) for prompts, options, boxes, buttons and feedback; radio
# options that wrap instead of running off the page.
_STYLE = plots.projector_text_css("lesson-quiz") + """<style>
.lesson-quiz .widget-radio-box label { white-space: normal; height: auto; margin: 2px 0; }
.lesson-quiz .widget-radio-box { width: 100%; }
</style>"""


class QuizWidget:
    """One lesson's concept quiz: every question with its control, a Check button and its feedback.

    Args:
        lesson: ``"01"`` … ``"07"`` or ``"05b"`` (an unknown lesson raises ValueError naming the valid ones).

    Attributes:
        questions: the lesson's :class:`helpers.quiz.Question` objects, in order.
        controls: question id → its input widget (``RadioButtons`` whose values are the option
            letters, or a ``Text`` box); set ``.value`` to answer.
        buttons: question id → its "Check" button (``.click()`` checks in Python too).
        feedback: question id → the ``HTML`` line showing the last verdict.
        score: the ``HTML`` line with the running score.
        results: question id → the last :class:`helpers.quiz.Feedback` of a checked question.
        root: the widget to display (the object itself displays as it).

    Used in: the concept quiz (notebooks/class/quiz.ipynb), one widget cell per lesson.
    """

    def __init__(self, lesson: str) -> None:
        self.questions = quiz.questions(lesson)
        self.lesson = self.questions[0].lesson
        self.controls: dict[str, widgets.ValueWidget] = {}
        self.buttons: dict[str, widgets.Button] = {}
        self.feedback: dict[str, widgets.HTML] = {}
        self.results: dict[str, quiz.Feedback] = {}
        # One layout and one style object per kind, shared by all the quiz's widgets: a notebook
        # stores every widget model it shows, and ~70 questions would otherwise store ~1 MB of them.
        self._wide, self._box, self._button = (widgets.Layout(width="100%"), widgets.Layout(width="420px"),
                                               widgets.Layout(width="120px", margin="4px 0 0 0"))
        self._html_style, self._button_style = HTMLStyle(), widgets.ButtonStyle()
        self._radio_style, self._text_style = DescriptionStyle(), TextStyle(description_width="initial")
        self.score = widgets.HTML(layout=self._wide, style=self._html_style)
        title = quiz.LESSONS[self.lesson]
        rows: list[widgets.Widget] = [
            widgets.HTML(_STYLE + f"<h3>Lesson {self.lesson.lstrip('0')}: {html.escape(title)}</h3>",
                         layout=self._wide, style=self._html_style),
            self.score,
        ]
        for number, q in enumerate(self.questions, start=1):
            rows += self._question_rows(number, q)
        self.root = widgets.VBox(rows, layout=widgets.Layout(max_width="900px"))
        self.root.add_class("lesson-quiz")
        self._show_score()

    def _question_rows(self, number: int, q: quiz.Question) -> list[widgets.Widget]:
        """The prompt, the control, the Check button and the feedback line of one question."""
        prompt = widgets.HTML(
            f"<p><b>{number}.</b> {html.escape(q.prompt)}<br><i>From {html.escape(q.section)}.</i></p>",
            layout=self._wide, style=self._html_style,
        )
        if q.kind == quiz.CHOICE:
            control = widgets.RadioButtons(options=[(f"{o.key}) {o.text}", o.key) for o in q.options], value=None,
                                           layout=self._wide, style=self._radio_style)
        else:
            control = widgets.Text(
                value="", placeholder="a number, e.g. 0.25" if q.kind == quiz.NUMBER else "a word or a few",
                description="Your answer:", layout=self._box, style=self._text_style,
            )
        button = widgets.Button(description="Check", tooltip=f"check your answer to question {number}",
                                layout=self._button, style=self._button_style)
        out = widgets.HTML(layout=self._wide, style=self._html_style)
        button.on_click(lambda _button, qid=q.id: self.check(qid))
        self.controls[q.id], self.buttons[q.id], self.feedback[q.id] = control, button, out
        return [prompt, control, button, out]

    def check(self, question_id: str) -> quiz.Feedback:
        """Check the answer now in the question's control; show the verdict and update the score."""
        q = quiz.question(question_id)
        if q.id not in self.controls:
            raise ValueError(f"{question_id!r} is not a question of lesson {self.lesson}: {list(self.controls)}")
        result = quiz.check(q, self.controls[q.id].value)
        self.results[q.id] = result
        colour = "#1b7837" if result.correct else ("#555555" if not result.valid else "#b2182b")
        self.feedback[q.id].value = (f'<span style="color:{colour}"><b>{result.mark}</b> '
                                     f"{html.escape(result.explanation)}</span>")
        self._show_score()
        return result

    def _show_score(self) -> None:
        right = sum(r.correct for r in self.results.values())
        self.score.value = (f"<p><b>Score: {right} of {len(self.questions)}</b> "
                            f"({len(self.results)} checked). Choose or type an answer, then press Check.</p>")

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        bundle = self.root._repr_mimebundle_()
        bundle["text/plain"] = (f"Concept quiz, lesson {self.lesson.lstrip('0')}: {len(self.questions)} questions "
                                f"({_RUN_ME})")
        return bundle
