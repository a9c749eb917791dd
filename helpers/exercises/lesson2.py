"""Lesson 2's exercises (02_sampling.ipynb, "Exercises"): Pearson's chi-square statistic, one
generator per generated text (common random numbers), and where shared noise first leaves greedy.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line.
"""

from __future__ import annotations

import numpy as np

from .. import sampling
from .runner import Exercise, Mistake, close, number, unreadable

# --- Exercise 1: Pearson's chi-square statistic -----------------------------------------------


def chi_square_reference(counts: np.ndarray, probs: np.ndarray) -> float:
    """``fn(counts, probs) -> float``: Pearson's ``sum((O - E)**2 / E)`` with ``E = n * probs``.

    ``counts`` are the observed counts of ``n = counts.sum()`` draws, shape ``(V,)``; ``probs`` the
    distribution they should follow.

    Used by: lesson 2, exercise 1's check (``check.chi_square_statistic``).
    """
    expected = counts.sum() * probs
    return float(np.sum((counts - expected) ** 2 / expected))


def _e(counts, probs):
    return counts.sum() * probs


def _where(a) -> str:
    return f"for counts {a.counts.astype(int).tolist()} (n = {a.counts.sum():,.0f} draws) and probs {a.probs.tolist()}"


_YOU = "{where} you return {got:.4g}, expected {want:.4g}: "

chi_square_statistic = Exercise(
    name="chi_square_statistic",
    reference=chi_square_reference,
    params=("counts", "probs"),
    cases=[
        (np.array([48.0, 30.0, 22.0]), np.array([0.5, 0.3, 0.2])),
        (np.array([5_210.0, 2_880.0, 1_650.0, 260.0]), np.array([0.5, 0.3, 0.17, 0.03])),
        (np.array([0.0, 7.0, 13.0]), np.array([0.1, 0.4, 0.5])),
    ],
    read=number,
    same=close(atol=1e-9, rtol=1e-6),
    quotes={"where": _where, "n": lambda a: a.counts.sum()},
    mistakes=[
        Mistake("one_value_per_character", lambda c, p: ((c - _e(c, p)) ** 2 / _e(c, p)).tolist(),
                "return one number (the statistic), got {raw!r}.", spot=unreadable),
        Mistake("counts_against_probabilities", lambda c, p: float(np.sum((c - p) ** 2 / p)),
                _YOU + "you compared the counts with the probabilities themselves. The expected counts are "
                "E = n * probs, with n = counts.sum() the number of draws."),
        Mistake("frequencies", lambda c, p: float(np.sum((c / c.sum() - p) ** 2 / p)),
                _YOU + "you compared frequencies (counts / n) with the probabilities: that makes the statistic "
                "n = {n:,.0f} times too small, so even a broken sampler would pass the test. Pearson's statistic "
                "compares counts: E = n * probs."),
        Mistake("divided_by_observed", lambda c, p: float(np.sum((c - _e(c, p)) ** 2 / c)),
                _YOU + "you divided by the observed counts O; divide by the expected counts E = n * probs (by O, "
                "a character never drawn divides by 0)."),
        Mistake("not_squared", lambda c, p: float(np.sum((c - _e(c, p)) / _e(c, p))),
                _YOU + "you summed (O - E) / E without squaring: the differences cancel (they always sum to 0). "
                "Square each difference: (O - E)**2 / E."),
        Mistake("absolute_differences", lambda c, p: float(np.sum(np.abs(c - _e(c, p)) / _e(c, p))),
                _YOU + "you used |O - E| instead of (O - E)**2: Pearson's statistic squares the differences."),
        Mistake("not_divided", lambda c, p: float(np.sum((c - _e(c, p)) ** 2)),
                _YOU + "you forgot to divide each squared difference by its expected count E: a difference of 10 "
                "draws means much more for a rare character than for a common one."),
    ],
    general="{where} expected {want:.4g}, got {got:.4g}. The statistic is sum((O - E)**2 / E) with E = n * probs.",
    success="Pearson's statistic compares counts with n * probs; with frequencies it would be n times too small.",
)


# --- Exercise 2: one generator per generated text ----------------------------------------------

def _rows(step_logits, temperatures, row_rng, step_rng) -> np.ndarray:
    """Indices (K, S): ``row_rng()`` once per temperature, ``step_rng(that, s)`` at each step."""
    out = []
    for t in temperatures:
        r = row_rng()
        out.append([sampling.sample(z, t, step_rng(r, s)) for s, z in enumerate(step_logits)])
    return np.array(out, dtype=np.int64)


def sample_steps_reference(step_logits: np.ndarray, temperatures, seed: int) -> np.ndarray:
    """``fn(step_logits (S, V), temperatures (K,), seed) -> (K, S)`` indices.

    Row ``k`` samples every step at ``temperatures[k]`` with :func:`helpers.sampling.sample` and
    one generator ``np.random.default_rng(seed)`` made afresh for that row: each step its own
    random number, every row the same numbers (common random numbers).

    Used by: lesson 2, exercise 2's check (``check.sample_steps``).
    """
    return _rows(step_logits, temperatures, lambda: np.random.default_rng(seed), lambda r, s: r)


def _one_generator_for_all(step_logits, temperatures, seed):
    rng = np.random.default_rng(seed)
    return _rows(step_logits, temperatures, lambda: rng, lambda r, s: r)


def _indices(x) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise ValueError(x)
    return np.asarray(x, dtype=np.int64)


_STEPS = np.tile(np.array([1.0, 0.6, 0.3, 0.0, -0.5]), (12, 1))
_STEPS[6:] = _STEPS[0, ::-1]  # the distribution changes half-way, as in a real text
_SHAPE = ("for {steps} steps at {temps} temperatures return shape ({temps}, {steps}), one row per temperature; "
          "got {got.shape}")

sample_steps = Exercise(
    name="sample_steps",
    reference=sample_steps_reference,
    params=("step_logits", "temperatures", "seed"),
    cases=[(_STEPS, [0.5, 1.0, 2.0], 0), (_STEPS, [0.5, 1.0, 2.0], 7)],
    read=_indices,
    same=lambda a, b: np.shape(a) == np.shape(b) and np.array_equal(a, b),
    quotes={"steps": lambda a: len(a.step_logits), "temps": lambda a: len(a.temperatures),
            "row_at_1": lambda a: a.got[list(a.temperatures).index(1.0)].tolist()},
    mistakes=[
        Mistake("not_indices", lambda zs, ts, seed: "a text",
                "return an array of indices (ints), got {raw!r}", spot=unreadable),
        Mistake("one_row_per_step", lambda zs, ts, seed: sample_steps_reference(zs, ts, seed).T,
                _SHAPE + " (you have one row per step: transpose it).",
                spot=lambda a: a.got.shape == a.want.shape[::-1] != a.want.shape),
        Mistake("one_temperature_only", lambda zs, ts, seed: sample_steps_reference(zs, ts[:1], seed)[0],
                _SHAPE + ".", spot=lambda a: a.got.shape != a.want.shape),
        Mistake("unseeded", lambda zs, ts, seed: _rows(zs, ts, np.random.default_rng, lambda r, s: r),
                "two calls with seed {seed} gave different indices: your sampler is not reproducible. Make the "
                "generator from the seed, np.random.default_rng(seed), not unseeded (np.random.default_rng()) nor "
                "from numpy's global state.",
                spot=lambda a: not np.array_equal(a.got, a.again())),
        Mistake("the_seed_at_every_step", lambda zs, ts, seed: _rows(zs, ts, lambda: None, lambda r, s: seed),
                "with seed {seed} your row at T = 1 is {row_at_1}: one pick, repeated for as long as the distribution "
                "stays the same, because every step got the same random number. Passing the int seed to "
                "sampling.sample (or calling np.random.default_rng(seed) at every step) restarts the stream at each "
                "step, and with the same distribution you pick the same character again: a loop that is really a "
                "bug. Make one generator per row, rng = np.random.default_rng(seed), and pass rng to every step."),
        Mistake("one_generator_for_all_temperatures", _one_generator_for_all,
                "with seed {seed} the rows do not share their random numbers: you made one generator for all "
                "temperatures, so each temperature continues the stream where the one before stopped. For common "
                "random numbers start the stream afresh from the seed for every temperature "
                "(np.random.default_rng(seed) inside the loop over temperatures, outside the loop over steps)."),
        Mistake("seed_plus_step", lambda zs, ts, seed: _rows(zs, ts, lambda: None, lambda r, s: seed + s),
                "with seed {seed} you seeded step s with seed + s: reproducible, but the streams of neighbouring "
                "seeds overlap (step 1 of seed 0 uses seed 1, as does step 0 of seed 1), so seed 0 and seed 1 give "
                "shifted copies of one text. Make one generator per row, rng = np.random.default_rng(seed), and "
                "pass rng to every step."),
    ],
    general="with seed {seed} expected {want_shown}, got {got_shown}. For each temperature make "
            "rng = np.random.default_rng(seed), then call sampling.sample(step_logits[s], T, rng) for each step.",
    success="One generator per temperature: every step its own random number, every temperature the same numbers.",
)


# --- Exercise 3: where shared noise first leaves greedy ----------------------------------------

_GRID = np.round(np.arange(0.0, 3.0001, 0.05), 2)
_Z = np.array([2.0, 1.2, 0.3, 0.0, -1.0])


def first_change_reference(logits: np.ndarray, noise: np.ndarray, temperatures: np.ndarray) -> float | None:
    """``fn(logits, noise, temperatures) -> T`` or ``None``: the first temperature in the
    (increasing) grid at which the Gumbel-max choice, with this fixed noise, differs from the
    greedy choice; ``None`` if it never does.

    Used by: lesson 2, exercise 3's check (``check.first_change_temperature``).
    """
    choices = sampling.choices_across_temperatures(logits, temperatures, noise)
    changed = np.flatnonzero(choices != choices[0])
    return None if changed.size == 0 else float(temperatures[changed[0]])


def _first_change_cases() -> list[tuple]:
    rng = np.random.default_rng(5)
    return [(_Z, sampling.gumbel_noise(rng, _Z.shape), _GRID) for _ in range(25)]


def _first_differing(choices, temperatures):
    changed = np.flatnonzero(np.asarray(choices) != choices[0])
    return None if changed.size == 0 else float(temperatures[changed[0]])


first_change_temperature = Exercise(
    name="first_change_temperature",
    reference=first_change_reference,
    params=("logits", "noise", "temperatures"),
    cases=_first_change_cases,
    read=lambda x: None if x is None else number(x),
    quotes={"noise_shown": lambda a: np.round(a.noise, 3).tolist(), "logits_list": lambda a: a.logits.tolist()},
    mistakes=[
        Mistake("not_a_temperature", lambda z, g, ts: [first_change_reference(z, g, ts)],
                "return one temperature (a number), or None when the choice never changes; got {raw!r}.",
                spot=unreadable),
        Mistake("a_temperature_where_none", lambda z, g, ts: first_change_reference(z, g, ts) or float(ts[-1]),
                "with noise {noise_shown} the choice never changes on this grid, so the answer is None; you "
                "returned {raw!r}.",
                spot=lambda a: a.want is None and a.got is not None),
        Mistake("no_noise", lambda z, g, ts: _first_differing([np.argmax(z / max(t, 1e-9)) for t in ts], ts),
                "with noise {noise_shown} the choice changes at T = {want}, you return None: without the noise "
                "argmax(logits / T) is the greedy choice at every T. Take argmax(logits / T + noise), with the "
                "*same* noise at every T (sampling.sample_gumbel_max).",
                spot=lambda a: a.got is None and a.want is not None),
        Mistake("noise_divided_by_T_too",
                lambda z, g, ts: _first_differing([np.argmax(z if t == 0 else (z + g) / t) for t in ts], ts),
                "with noise {noise_shown} you return T = {got}, expected {want}: you divided the noise by T too. "
                "argmax((logits + noise) / T) is the same choice at every T > 0; Gumbel-max tempers only the "
                "logits: argmax(logits / T + noise)."),
        Mistake("the_position_in_the_grid",
                lambda z, g, ts: (lambda t: None if t is None else int(np.flatnonzero(ts == t)[0]))(
                    first_change_reference(z, g, ts)),
                "with noise {noise_shown} you return {got:g}, the position in the grid; return the temperature "
                "there, temperatures[i] = {want}."),
    ],
    general="with logits {logits_list} and noise {noise_shown} the choice first differs from greedy at T = {want}, "
            "you returned {raw!r}. Use the *same* noise at every T and compare each choice with the one at T = 0 "
            "(the argmax of the logits).",
    success="With shared noise, the choice stays greedy until some other token's logit/T + noise overtakes it.",
)

EXERCISES = [chi_square_statistic, sample_steps, first_change_temperature]
