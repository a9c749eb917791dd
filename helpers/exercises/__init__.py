"""Checkers for the lessons' exercises: ``import helpers.exercises as check``.

Each ``check.<name>(your_function)`` runs your function on several cases. If all pass it prints a
short confirmation; otherwise it raises :class:`ExerciseFailed` with a hint aimed at the usual
mistake (dividing probabilities instead of logits, forgetting to subtract the max, the wrong axis,
T = 0, …), not just "wrong". An unwritten exercise (``raise NotImplementedError()``) is rejected
with a reminder to write it.

One module per lesson (:mod:`~helpers.exercises.lesson1` … :mod:`~helpers.exercises.lesson7`)
holds that lesson's exercises, each a reference function, its cases and a catalogue of named
mistakes (a wrong implementation and its hint); :mod:`~helpers.exercises.runner` is the one runner
that checks them all. A mistake is one line in the exercise's ``mistakes`` list, e.g. in
``lesson3.py``::

    Mistake("returns_the_loss", lambda params, ids: float(_nll(params, ids).mean()),
            "you return {got:.4f}, the mean loss in nats; perplexity is exp of it."),

and ``python -m pytest tests/test_exercises.py`` proves the new hint reachable (the teacher's
guide, "Grading", shows how).
"""

from __future__ import annotations

from . import lesson1, lesson2, lesson3, lesson4, lesson5, lesson5b, lesson6, lesson7
from .lesson1 import gains_when_heated, softmax_with_temperature, temperature_for_perplexity
from .lesson2 import chi_square_statistic, first_change_temperature, sample_steps
from .lesson3 import rnn_step, text_perplexity, wrong_gradients
from .lesson4 import lstm_step, temper_probabilities, tempered_rows
from .lesson5 import crossing_temperature, invented_word_rate, spearman_interval
from .lesson5b import characters_needed, temperature_detective
from .lesson6 import min_p_distribution, nucleus_size, top_p_filter
from .lesson7 import merge_pair, repetition_penalty, tail_share
from .runner import Exercise, ExerciseFailed, Mistake

LESSONS = {
    "lesson1": lesson1, "lesson2": lesson2, "lesson3": lesson3, "lesson4": lesson4,
    "lesson5": lesson5, "lesson5b": lesson5b, "lesson6": lesson6, "lesson7": lesson7,
}
"""Each lesson's module; its ``EXERCISES`` lists its checkers in the lesson's order."""

__all__ = [
    "ExerciseFailed", "Exercise", "Mistake", "LESSONS",
    "softmax_with_temperature", "gains_when_heated", "temperature_for_perplexity",
    "chi_square_statistic", "sample_steps", "first_change_temperature",
    "rnn_step", "wrong_gradients", "text_perplexity",
    "lstm_step", "temper_probabilities", "tempered_rows",
    "spearman_interval", "crossing_temperature", "invented_word_rate",
    "characters_needed", "temperature_detective",
    "top_p_filter", "min_p_distribution", "nucleus_size",
    "repetition_penalty", "tail_share", "merge_pair",
]
