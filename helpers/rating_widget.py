"""The rating activity's widget: one sample at a time beside its prototype, the paper's four
questions on 1-5 scales, "Next", and the student's file saved after every answer.

Wiring only: what to show, which samples, the file's format and its atomic writing are in
:mod:`helpers.rating`. Nothing here draws a figure (no pyplot in callbacks: see README, "Blank
figures"). Everything a click does can be done from Python (:meth:`RatingWidget.start`,
:meth:`RatingWidget.rate`, :meth:`RatingWidget.next`), which the tests use.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import ipywidgets as widgets

from . import data, plots, rating

__all__ = ["SCALE_ENDS", "RatingWidget"]

# The words at the two ends of each 1-5 scale shown under the questions (ours: the question's
# wording is the survey's, from helpers.data.PEEPERKORN_QUESTIONS).
SCALE_ENDS = {
    "novelty": ("not novel at all", "very novel"),
    "typicality": ("not typical at all", "very typical"),
    "cohesion": ("not consistent at all", "very consistent"),
    "difficulty": ("very easy to follow", "very difficult to follow"),
}
_RUN_ME = "interactive in JupyterLab: run the notebook, type your id and press Start"
_STYLE = plots.projector_text_css("lesson-rating")  # 12 pt = 16 px: questions, scale ends, boxes, samples


def _wording(question: str) -> str:
    text = data.PEEPERKORN_QUESTIONS[question]
    return text.split(" (higher = ")[0]  # the survey's words, without our note on the file's column


class RatingWidget:
    """Type your id, press Start, then rate each sample and press Next; the file is saved each time.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): the student part.

    ``folder`` is where ``<id>.json`` goes (created when the first answer is saved). If the
    student's file is already there (the notebook was run again, the kernel restarted), the widget
    continues from it: nothing already rated is asked again or lost. A file there that cannot be
    read is left untouched and the widget refuses to start, saying why. ``bank`` (a
    :class:`helpers.rating.SampleBank`) is built from the shipped LSTM at the first Start if not given.
    """

    def __init__(self, folder: str | os.PathLike[str] = "ratings", bank: rating.SampleBank | None = None) -> None:
        self.folder = Path(folder)
        self._bank = bank
        self.file: rating.RatingsFile | None = None
        self.order: list[rating.SampleKey] = []
        self.id_box = widgets.Text(description="your id", placeholder="e.g. s07 (from your teacher)",
                                   layout=widgets.Layout(width="320px"))
        self.start_button = widgets.Button(description="Start", button_style="primary")
        self.message = widgets.HTML()
        self.style = widgets.HTML(_STYLE)  # (a style sheet: shows nothing)
        self.progress = widgets.HTML()
        self.sample = widgets.HTML()
        self.buttons = {q: widgets.ToggleButtons(options=[1, 2, 3, 4, 5], index=None,
                                                 style={"button_width": "44px"}) for q in rating.QUESTIONS}
        questions = []
        for n, q in enumerate(rating.QUESTIONS, start=1):
            low, high = SCALE_ENDS[q]
            label = widgets.HTML(f"<b>{n}. {html.escape(q)}</b>: {html.escape(_wording(q))}<br>"
                                 f"1 = {html.escape(low)} … 5 = {html.escape(high)}")
            questions.append(widgets.VBox([label, self.buttons[q]]))
        self.next_button = widgets.Button(description="Next", button_style="success")
        self.saved = widgets.HTML()
        self.rating_area = widgets.VBox([self.progress, self.sample, *questions, self.next_button, self.saved],
                                        layout=widgets.Layout(display="none"))
        self.root = widgets.VBox([self.style, widgets.HBox([self.id_box, self.start_button]), self.message,
                                  self.rating_area])
        self.root.add_class("lesson-rating")
        self.start_button.on_click(lambda _button: self.start())
        self.next_button.on_click(lambda _button: self.next())

    # --- state ----------------------------------------------------------------------------------

    @property
    def student(self) -> str | None:
        """The id of the student rating now (``None`` before Start)."""
        return self.file.student if self.file else None

    @property
    def path(self) -> Path | None:
        """Where the student's file is saved (``None`` before Start)."""
        return (self.folder / f"{self.file.student}.json").resolve() if self.file else None

    @property
    def current(self) -> rating.SampleKey | None:
        """The sample on screen (``None`` before Start and once every sample is rated)."""
        if not self.file:
            return None
        left = [k for k in self.order if k not in self.file.ratings]
        return left[0] if left else None

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#b2182b" if error else "inherit"
        self.message.value = f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""

    # --- actions --------------------------------------------------------------------------------

    def start(self, student_id: str | None = None) -> bool:
        """Start (or resume) rating as ``student_id`` (default: the id typed in the box).

        Returns whether rating could start; if not, :attr:`message` says why (a bad id, or a file
        for this id that cannot be read, which is left as it is).
        """
        if student_id is not None:
            self.id_box.value = student_id
        typed = self.id_box.value.strip()
        try:
            order = rating.assignment(typed)
        except ValueError as err:
            self._say(f"Type your id first: {err}." if not typed else f"That id cannot be used: {err}.", error=True)
            return False
        path = self.folder / f"{typed}.json"
        if path.exists():
            try:
                file = rating.read_ratings(path)
            except rating.RatingsFileError as err:
                self._say(f"Your file {path.resolve()} is there but cannot be read: {err.what}. It is left as it is; "
                          f"show this message to your teacher. To fix: {err.fix}.", error=True)
                return False
            resumed = f"Welcome back: {len(file.ratings)} of {len(order)} already rated (from {path.resolve()}). "
        else:
            file, resumed = rating.RatingsFile(typed), ""
        if self._bank is None:
            self._bank = rating.SampleBank()
        self.file, self.order = file, order
        self.id_box.disabled = self.start_button.disabled = True
        self.rating_area.layout.display = None
        self._say(resumed + f"Your answers are saved after each sample to {self.path}.")
        self._show()
        return True

    def rate(self, question: str, value: object) -> bool:
        """Answer ``question`` with ``value`` (a whole number from 1 to 5), as a click does.

        Returns whether the answer was taken; if not, :attr:`message` says why.
        """
        if question not in self.buttons:
            self._say(f"There is no question {question!r}: the questions are {', '.join(rating.QUESTIONS)}.", error=True)
            return False
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            self._say(f"The {question} rating must be a whole number from 1 to 5, not {value!r}.", error=True)
            return False
        self.buttons[question].value = value
        return True

    def next(self) -> bool:
        """Save the answers to the sample on screen and show the next one ("Next").

        Refused, with a message naming them, while a question is unanswered. Returns whether the
        answers were saved.
        """
        key = self.current
        if self.file is None or key is None:
            self._say("Type your id and press Start first." if self.file is None else "You have rated every sample.",
                      error=self.file is None)
            return False
        missing = [q for q, b in self.buttons.items() if b.value is None]
        if missing:
            self._say(f"Answer every question before Next: {', '.join(missing)} "
                      f"{'is' if len(missing) == 1 else 'are'} not answered yet.", error=True)
            return False
        self.file.ratings[key] = {q: int(b.value) for q, b in self.buttons.items()}
        try:
            rating.save_ratings(self.folder, self.file)
        except OSError as err:
            del self.file.ratings[key]
            self._say(f"Could not save to {self.path} ({err.strerror}): your answers are still on screen; "
                      "ask your teacher where to save, then press Next again.", error=True)
            return False
        self._say("")
        self._show()
        return True

    # --- drawing --------------------------------------------------------------------------------

    def _show(self) -> None:
        assert self.file is not None and self._bank is not None
        done, total = len(self.file.ratings), len(self.order)
        self.saved.value = (f"Saved: {done} of {total} rated, in <code>{html.escape(str(self.path))}</code>"
                            if done else "")
        key = self.current
        for b in self.buttons.values():
            b.index = None
        if key is None:
            self.progress.value = f"<b>Done: all {total} rated.</b> Run the next cell to see your ratings beside the paper's."
            self.sample.value = ""
            self.next_button.disabled = True
            for b in self.buttons.values():
                b.disabled = True
            return
        prompt = rating.PROMPTS[key.prompt]
        self.progress.value = f"<b>Sample {done + 1} of {total}</b> (its temperature is hidden)"

        def box(title: str, text: str) -> str:
            return (f'<div style="flex:1;min-width:260px"><b>{title}</b><pre style="white-space:pre-wrap;'
                    f'border:1px solid #999;padding:6px;margin:2px">'
                    f"<b>{html.escape(prompt)}</b>{html.escape(text)}</pre></div>")

        self.sample.value = ('<div style="display:flex;gap:12px;flex-wrap:wrap">'
                             + box("The sample to rate", self._bank.text(key))
                             + box("The prototype (the same prompt, the lowest temperature)",
                                   self._bank.prototype(key.prompt))
                             + "</div>")

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        bundle = self.root._repr_mimebundle_()
        bundle["text/plain"] = f"Rating activity ({_RUN_ME})"
        return bundle
