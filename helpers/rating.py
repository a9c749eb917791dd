"""Peeperkorn et al. in miniature: a class rates the LSTM's samples at hidden temperatures.

The logic of the rating activity (``notebooks/class/rate_the_samples.ipynb``), without any widget
(the widget is :mod:`helpers.rating_widget`):

- **assignment**: each student rates one sample per temperature of Peeperkorn et al.'s seven
  (:data:`TEMPERATURES`), one per prompt of :data:`PROMPTS`, in an order shuffled from the
  student's id. Which prompt meets which temperature is a row of a 7 × 7 Latin square
  (:func:`latin_square_row`), so that seven students with consecutive numbers meet every
  (prompt, temperature) pair once between them;
- **samples** (:class:`SampleBank`): 300 characters from the shipped LSTM for each (prompt,
  temperature), seeded, generated once per prompt and cached; the prototype a sample is judged
  against is the T = 0.001 continuation of the same prompt, as the paper's prototype was its
  story at T = 0.001;
- **files**: one JSON file per student (``<folder>/<id>.json``, :func:`save_ratings`, written
  atomically: a temporary file, then a rename) and :func:`pool_folder`, which reads a folder of
  them, pools the good ones and names every bad one, with what is wrong and how to fix it,
  without modifying or deleting any file;
- **statistics** (:func:`question_statistics`, :func:`compare`): for each question Spearman's ρ
  with temperature (scipy) and the slope of a linear mixed-effects model with a random intercept
  per rater (statsmodels ``MixedLM``: ``rating ~ temperature``), the paper's own model, computed
  the same way on the class's ratings and on the paper's released ratings; with one rater, an
  ordinary least-squares slope instead (a random intercept needs several raters). Beside them,
  our automatic proxies (lesson 5's measurements) on the same samples;
- :func:`simulate_rater`: a simulated student whose ratings are a known straight line in
  temperature plus noise, for the tests and the notebook's demonstration.

Units: temperatures are dimensionless; ratings are points on the survey's 1-5 scales; a slope is
in rating points per unit of temperature.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from . import data

__all__ = [
    "FORMAT",
    "TEMPERATURES",
    "PROMPTS",
    "LENGTH",
    "QUESTIONS",
    "PROXIES",
    "SampleKey",
    "latin_square_row",
    "assignment",
    "SampleBank",
    "RatingsFile",
    "save_ratings",
    "read_ratings",
    "RatingsFileError",
    "Problem",
    "Pool",
    "pool_folder",
    "pool_files",
    "Statistic",
    "question_statistics",
    "paper_ratings",
    "ComparisonRow",
    "compare",
    "comparison_text",
    "report",
    "simulate_rater",
    "draw_means",
]

FORMAT = "temperature-lessons/ratings/1"  # the files' format version; a file with another is refused
TEMPERATURES: tuple[float, ...] = (0.001, 0.334, 0.667, 1.0, 1.334, 1.667, 2.0)  # Peeperkorn et al.'s seven
PROMPTS: tuple[str, ...] = (  # the same for every student: speaker lines the training text uses often
    "ROMEO:\n",
    "JULIET:\n",
    "MENENIUS:\n",
    "KING RICHARD III:\n",
    "DUKE VINCENTIO:\n",
    "QUEEN ELIZABETH:\n",
    "PETRUCHIO:\n",
)
LENGTH = 300  # characters per sample (the paper's stories were a few hundred words)
SEED = 2024  # sample (prompt p, temperature k) uses seed SEED + 7 p + k
QUESTIONS: tuple[str, ...] = tuple(data.PEEPERKORN_QUESTIONS)  # novelty, typicality, cohesion, difficulty
# For each question: our automatic proxy (lesson 5, section 5), its sign, and its unit.
PROXIES: dict[str, tuple[str, int, str]] = {
    "novelty": ("distance to the prototype", +1, "edit distance / length"),
    "typicality": ("minus surprise", -1, "nats/char"),
    "cohesion": ("form (the play's layout)", +1, "share of turns"),
    "difficulty": ("invented words", +1, "share of words"),
}


@dataclass(frozen=True, order=True)
class SampleKey:
    """Which sample: the index of its prompt in :data:`PROMPTS` and its temperature (one of
    :data:`TEMPERATURES`).

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).
    """

    prompt: int
    temperature: float

    def __str__(self) -> str:
        return f"(prompt {self.prompt}, T = {self.temperature:g})"


def _digest(student_id: str) -> int:
    return int.from_bytes(hashlib.sha256(student_id.encode("utf-8")).digest()[:8], "big")


def _check_id(student_id: str) -> str:
    if not isinstance(student_id, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}", student_id.strip()):
        raise ValueError(
            f"a student id is 1 to 40 letters, digits, '-', '_' or '.', starting with a letter or digit, "
            f"with no spaces (it names the file <id>.json), got {student_id!r}"
        )
    return student_id.strip()


def latin_square_row(student_id: str) -> int:
    """The row (0-6) of the 7 × 7 Latin square this student gets.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    If the id ends in a number (``"7"``, ``"s07"``, ``"student-12"``: numbers the teacher hands
    out), the row is that number modulo 7, so any seven consecutive numbers cover every row once
    and every (prompt, temperature) pair is rated by exactly one of them. Otherwise (a name) the
    row comes from a hash of the id: the same every time, balanced only on average over a class.
    """
    student_id = _check_id(student_id)
    number = re.search(r"(\d+)$", student_id)
    return int(number.group(1)) % 7 if number else _digest(student_id) % 7


def assignment(student_id: str) -> list[SampleKey]:
    """The seven samples this student rates, in the order they are shown: one per prompt and one
    per temperature.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    Prompt ``p`` meets temperature number ``(p + row) mod 7`` (``row`` from
    :func:`latin_square_row`); the order is shuffled by a generator seeded from a hash of the id,
    so it is the same for the same id on any machine, and hides the temperatures' order.
    """
    row = latin_square_row(student_id)
    keys = [SampleKey(p, TEMPERATURES[(p + row) % 7]) for p in range(len(PROMPTS))]
    order = np.random.default_rng(_digest(_check_id(student_id))).permutation(len(keys))
    return [keys[i] for i in order]


class SampleBank:
    """The activity's samples: ``length`` characters from ``model`` for each (prompt, temperature),
    generated on first use (one batched pass per prompt, all seven temperatures) and cached.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    Sample (prompt ``p``, temperature number ``k``) uses seed ``SEED + 7 p + k``: the samples are
    independent of each other, like the paper's stories, and the same on every machine for the
    same model. The prototype of a prompt is its sample at T = 0.001. ``model`` defaults to the
    shipped LSTM (``data/char_lstm.pt``; PyTorch is imported only then).
    """

    def __init__(self, model: Any = None, length: int = LENGTH) -> None:
        if model is None:
            from . import char_lstm

            model = char_lstm.load_pretrained()
        self.model, self.length = model, int(length)
        self._texts: dict[SampleKey, str] = {}
        self._surprise: dict[SampleKey, float] = {}
        self._proxies: dict[SampleKey, dict[str, float]] = {}

    def _generate(self, prompt: int) -> None:
        from . import char_lstm

        seeds = [SEED + 7 * prompt + k for k in range(len(TEMPERATURES))]
        texts, probs = char_lstm.sample_many(self.model, PROMPTS[prompt], self.length, TEMPERATURES, seeds)
        for t, text, p in zip(TEMPERATURES, texts, probs):
            self._texts[SampleKey(prompt, t)] = text
            self._surprise[SampleKey(prompt, t)] = float(np.mean(-np.log(p)))

    def _check(self, key: SampleKey) -> SampleKey:
        if not (0 <= key.prompt < len(PROMPTS) and key.temperature in TEMPERATURES):
            raise KeyError(f"no sample {key}: prompts are 0-{len(PROMPTS) - 1}, temperatures {TEMPERATURES}")
        if key not in self._texts:
            self._generate(key.prompt)
        return key

    def text(self, key: SampleKey) -> str:
        """The sample's continuation (``length`` characters, without its prompt)."""
        return self._texts[self._check(key)]

    def prototype(self, prompt: int) -> str:
        """The T = 0.001 continuation of prompt number ``prompt``: what novelty and typicality are judged against."""
        return self.text(SampleKey(prompt, TEMPERATURES[0]))

    def surprise(self, key: SampleKey) -> float:
        """Mean ``-log p`` of the sample's characters under the model's own (T = 1) distribution, nats/char."""
        return self._surprise[self._check(key)]

    def proxies(self, keys: Iterable[SampleKey], training_text: str) -> dict[str, np.ndarray]:
        """Lesson 5's automatic proxies for each sample of ``keys``: for every question of
        :data:`PROXIES`, a float64 array of shape ``(len(keys),)``, signed so that it should move
        with the question (``nan`` where a measurement is undefined, e.g. form without a complete
        turn). ``training_text`` is the text the invented words are looked up in (lesson 5 uses
        the training split)."""
        from . import metrics

        keys = list(keys)
        todo = [k for k in dict.fromkeys(keys) if k not in self._proxies]
        if todo:
            measured = metrics.measure_all([self.text(k) for k in todo], training_text)
            for i, k in enumerate(todo):
                distance = float(metrics.prototype_distance(self.text(k), self.prototype(k.prompt))[0])
                self._proxies[k] = {
                    "novelty": distance,
                    "typicality": -self.surprise(k),
                    "cohesion": float(measured["form"][i]),
                    "difficulty": float(measured["invented words"][i]),
                }
        return {q: np.array([self._proxies[k][q] for k in keys], dtype=np.float64) for q in PROXIES}


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

@dataclass
class RatingsFile:
    """One student's file: their id and, per rated sample, the four ratings (whole numbers 1-5).

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    On disk (JSON)::

        {"format": "temperature-lessons/ratings/1", "student": "s07",
         "ratings": [{"prompt": 3, "temperature": 0.667,
                      "novelty": 4, "typicality": 2, "cohesion": 3, "difficulty": 2}, ...]}
    """

    student: str
    ratings: dict[SampleKey, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> str:
        entries = [{"prompt": k.prompt, "temperature": k.temperature, **{q: int(r[q]) for q in QUESTIONS}}
                   for k, r in self.ratings.items()]
        return json.dumps({"format": FORMAT, "student": self.student, "ratings": entries}, indent=1) + "\n"


def save_ratings(folder: str | os.PathLike[str], ratings: RatingsFile) -> Path:
    """Write ``ratings`` to ``<folder>/<student>.json`` atomically; return the file's path.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): the widget saves after every answer.

    The JSON goes to a temporary file in the same folder, flushed to disk, then renamed over the
    old file (``os.replace``, atomic): a crash leaves either the old file or the new one, never half
    of one. The folder is created if needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_check_id(ratings.student)}.json"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(ratings.to_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class RatingsFileError(ValueError):
    """A ratings file that cannot be pooled: ``what`` is wrong, ``fix`` says how to repair it.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).
    """

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}. To fix: {fix}")
        self.what, self.fix = what, fix


_FIX_REWRITE = ("open it in the rating widget with the same id to check it, or delete the wrong entry in a "
                "text editor")


def _rating_value(value: object, question: str, key: SampleKey) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise RatingsFileError(f"the {question} rating of sample {key} is {value!r}, not a whole number from 1 to 5",
                               "write a whole number from 1 to 5 there (" + _FIX_REWRITE + ")")
    if not 1 <= value <= 5:
        raise RatingsFileError(f"the {question} rating of sample {key} is {value!r}, outside the scale 1-5",
                               "write a whole number from 1 to 5 there (" + _FIX_REWRITE + ")")
    return int(value)


def read_ratings(path: str | os.PathLike[str]) -> RatingsFile:
    """Read and check one student's file.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): the widget resumes a student's file.

    Raises :class:`RatingsFileError` (what is wrong and how to fix it) for a file that is not JSON,
    has another format version, misses a field, holds a rating that is not a whole number from 1
    to 5, names a sample that does not exist (:func:`assignment`'s prompts and temperatures), or
    rates one sample twice. Never modifies the file.
    """
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RatingsFileError(f"it is not a JSON file ({err})",
                               "move it out of the folder (it is not a ratings file) or restore the student's "
                               "own copy; ratings files are written by the rating widget") from None
    if not isinstance(content, dict):
        raise RatingsFileError("it holds no JSON object with 'format', 'student' and 'ratings'",
                               "move it out of the folder: it is not a ratings file")
    if "format" not in content:
        raise RatingsFileError("it has no 'format' field", f"it should read \"format\": \"{FORMAT}\"; "
                               "ask the student to run the rating widget again with the same id")
    if content["format"] != FORMAT:
        raise RatingsFileError(f"its format is {content['format']!r}, not {FORMAT!r} (another version of the activity)",
                               "ask the student to rate again with this version of the notebook")
    for name in ("student", "ratings"):
        if name not in content:
            raise RatingsFileError(f"it has no '{name}' field", "restore the student's own copy of the file, "
                                   "or ask the student to run the rating widget again with the same id")
    student = content["student"]
    try:
        student = _check_id(student)
    except ValueError as err:
        raise RatingsFileError(f"its student id is not usable: {err}", "write the student's id there") from None
    if not isinstance(content["ratings"], list):
        raise RatingsFileError("its 'ratings' is not a list", "restore the student's own copy of the file")
    file = RatingsFile(student)
    for n, entry in enumerate(content["ratings"], start=1):
        missing = [name for name in ("prompt", "temperature", *QUESTIONS) if not isinstance(entry, dict) or name not in entry]
        if missing:
            raise RatingsFileError(f"rating number {n} has no {', '.join(missing)}",
                                   "add the missing field(s), or delete that entry (" + _FIX_REWRITE + ")")
        prompt, temperature = entry["prompt"], entry["temperature"]
        known = (isinstance(prompt, int) and not isinstance(prompt, bool) and 0 <= prompt < len(PROMPTS)
                 and isinstance(temperature, (int, float)) and float(temperature) in TEMPERATURES)
        if not known:
            raise RatingsFileError(
                f"rating number {n} is of an unknown sample (prompt {prompt!r}, temperature {temperature!r}); "
                f"prompts are 0-{len(PROMPTS) - 1}, temperatures {', '.join(f'{t:g}' for t in TEMPERATURES)}",
                "correct that sample's key or delete the entry (" + _FIX_REWRITE + ")")
        key = SampleKey(prompt, float(temperature))
        if key in file.ratings:
            raise RatingsFileError(f"sample {key} is rated twice (rating number {n} repeats an earlier one)",
                                   "keep one of the two entries and delete the other in a text editor")
        file.ratings[key] = {q: _rating_value(entry[q], q, key) for q in QUESTIONS}
    return file


@dataclass(frozen=True)
class Problem:
    """A file left out of the pool: which file, what is wrong with it, how to fix it.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).
    """

    file: Path
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file.name}: {self.what}. To fix: {self.fix}. (Left out of the pool; the file is unchanged.)"


@dataclass(frozen=True)
class Pool:
    """The pooled ratings of a folder: one entry per (rater, sample).

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    ``rater`` (student ids), ``prompt``, ``temperature`` and each question's ``ratings[q]`` are
    arrays of shape ``(N,)``; ``files`` lists the files pooled, ``problems`` those left out.
    """

    rater: np.ndarray
    prompt: np.ndarray
    temperature: np.ndarray
    ratings: dict[str, np.ndarray]
    files: list[Path]
    problems: list[Problem]

    def __len__(self) -> int:
        return int(self.temperature.size)

    @property
    def keys(self) -> list[SampleKey]:
        """The sample of each entry, shape ``(N,)``."""
        return [SampleKey(int(p), float(t)) for p, t in zip(self.prompt, self.temperature)]

    def summary(self) -> str:
        """One line: ratings, raters and files pooled, and how many files were left out."""
        raters = len(set(self.rater.tolist()))
        left = f"; {len(self.problems)} file(s) left out (below)" if self.problems else ""
        return f"pooled {len(self)} ratings by {raters} rater(s) from {len(self.files)} file(s){left}"


def pool_folder(folder: str | os.PathLike[str]) -> Pool:
    """Pool every ``*.json`` file of ``folder`` (:func:`pool_files`); a missing folder pools nothing.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): the teacher's cell.
    """
    folder = Path(folder)
    return pool_files(sorted(folder.glob("*.json")) if folder.is_dir() else [])


def pool_files(paths: Iterable[str | os.PathLike[str]]) -> Pool:
    """Pool the ratings files ``paths``; name each file that cannot be pooled.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): a student's own file.

    A file that :func:`read_ratings` refuses becomes a :class:`Problem`; so do two files with the
    same student id (neither is pooled: the teacher keeps the right one). Everything else is
    pooled. No file is modified, moved or deleted.
    """
    problems: list[Problem] = []
    good: dict[str, list[tuple[Path, RatingsFile]]] = {}
    for path in map(Path, paths):
        try:
            file = read_ratings(path)
        except RatingsFileError as err:
            problems.append(Problem(path, err.what, err.fix))
            continue
        except OSError as err:
            problems.append(Problem(path, f"it cannot be read ({err.strerror})",
                                    "check that the file is there and that you may read it"))
            continue
        good.setdefault(file.student, []).append((path, file))
    pooled: list[tuple[Path, RatingsFile]] = []
    for student, found in good.items():
        if len(found) > 1:
            names = ", ".join(p.name for p, _ in found)
            for path, _ in found:
                problems.append(Problem(path, f"student id {student!r} is in {len(found)} files ({names})",
                                        "keep the right file in the folder and move the other(s) out"))
        else:
            pooled.append(found[0])
    problems.sort(key=lambda p: p.file.name)
    rows = [(file.student, key, r) for _, file in pooled for key, r in file.ratings.items()]
    return Pool(
        rater=np.array([s for s, _, _ in rows], dtype=str),
        prompt=np.array([k.prompt for _, k, _ in rows], dtype=np.int64),
        temperature=np.array([k.temperature for _, k, _ in rows], dtype=np.float64),
        ratings={q: np.array([r[q] for _, _, r in rows], dtype=np.float64) for q in QUESTIONS},
        files=[p for p, _ in pooled],
        problems=problems,
    )


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statistic:
    """One question's statistics on one set of ratings.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    ``rho``: Spearman's ρ of rating with temperature (no unit, -1 to 1; ``nan`` with fewer than
    3 ratings or no variation). ``slope`` and ``se``: rating points per unit of temperature and its
    standard error; ``method`` says which model gave them (``"mixed"``: a random intercept per
    rater; ``"OLS"``: one straight line, used when there is one rater); ``note``: anything the
    reader must know (why OLS, a warning from the fit), ``""`` if nothing.
    """

    rho: float
    slope: float
    se: float
    n: int
    raters: int
    method: str
    note: str = ""


ONE_RATER_NOTE = ("one rater: a random intercept per rater cannot be estimated, so the slope is an ordinary "
                  "least-squares (OLS) line through this rater's ratings")


def question_statistics(temperature: Sequence[float], rating: Sequence[float], rater: Sequence[Any]) -> Statistic:
    """Spearman's ρ of ``rating`` with ``temperature``, and the slope of ``rating ~ temperature``.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    All three arguments have shape ``(N,)``. With two raters or more the slope is that of a
    linear mixed-effects model with a random intercept per rater (``statsmodels``'
    ``smf.mixedlm("rating ~ temperature", df, groups=df["rater"])``, REML), the model Peeperkorn
    et al. fitted; with one rater, an ordinary least-squares slope, and :attr:`Statistic.note`
    says so. The fit's warnings are not shown; the note says what matters: a fit that did not
    converge, or the raters' variance estimated at 0.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels 0.14.6 warns of pandas deprecations when imported
        import pandas as pd
        import statsmodels.formula.api as smf

    df = pd.DataFrame({"temperature": np.asarray(temperature, dtype=np.float64),
                       "rating": np.asarray(rating, dtype=np.float64),
                       "rater": np.asarray(rater).astype(str)})
    n, raters = len(df), df["rater"].nunique()
    if n < 3 or df["temperature"].nunique() < 2:
        return Statistic(math.nan, math.nan, math.nan, n, raters, "none",
                         "too few ratings: need at least 3, at two temperatures or more")
    rho = float(stats.spearmanr(df["temperature"], df["rating"]).statistic) if df["rating"].nunique() > 1 else math.nan
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes below say what matters, from the fit itself
        if raters == 1:
            fit = smf.ols("rating ~ temperature", df).fit()
            method = "OLS"
            notes.append(ONE_RATER_NOTE)
        else:
            fit = smf.mixedlm("rating ~ temperature", df, groups=df["rater"]).fit(reml=True)
            method = "mixed"
            # Near a variance of 0 whether the optimiser reports convergence differs between
            # processors; the slope does not. So there the note says "near 0", not "did not converge".
            if float(fit.cov_re.iloc[0, 0]) < 0.02 * float(fit.scale):
                notes.append("the raters' own levels did not differ measurably (the random intercept's "
                             "variance is near 0), so the slope is close to an ordinary least-squares one")
            elif not fit.converged:
                notes.append("the mixed model's fit did not converge: read its slope with care")
    return Statistic(rho, float(fit.params["temperature"]), float(fit.bse["temperature"]), n, raters, method,
                     "; ".join(notes))


def paper_ratings() -> dict[str, Statistic]:
    """:func:`question_statistics` on Peeperkorn et al.'s 180 released ratings, per question.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    Their mixed-model slopes (SE) come out as they published them: novelty 0.31 (0.14), typicality
    -0.10 (0.12), cohesion -0.18 (0.11), difficulty 0.24 (0.12); the plain ρ as lesson 5 prints it.
    """
    r = data.load_peeperkorn_ratings()
    return {q: question_statistics(r.temperature, getattr(r, q), r.participant) for q in QUESTIONS}


@dataclass(frozen=True)
class ComparisonRow:
    """One question of :func:`compare`: the class's statistics, the paper's, and our proxy's.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    ``proxy_rho`` is Spearman's ρ of the proxy with temperature over the distinct samples the
    class rated (``proxy_n`` of them, NaN values left out); ``proxy_slope`` its OLS slope in the
    proxy's own unit (``proxy_unit``) per unit of temperature: not comparable with a rating slope.
    """

    question: str
    mine: Statistic
    paper: Statistic
    proxy: str
    proxy_rho: float
    proxy_slope: float
    proxy_unit: str
    proxy_n: int


def compare(pool: Pool, bank: SampleBank, training_text: str) -> list[ComparisonRow]:
    """For each question: the class's statistics, the paper's, and the proxy's, in one row.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): the teacher's cell.
    """
    paper = paper_ratings()
    distinct = sorted(set(pool.keys))
    proxies = bank.proxies(distinct, training_text) if distinct else {q: np.zeros(0) for q in PROXIES}
    t = np.array([k.temperature for k in distinct], dtype=np.float64)
    rows = []
    for q in QUESTIONS:
        name, _, unit = PROXIES[q]
        values = proxies[q]
        ok = ~np.isnan(values)
        if ok.sum() >= 3 and np.unique(t[ok]).size >= 2 and np.unique(values[ok]).size >= 2:
            rho = float(stats.spearmanr(t[ok], values[ok]).statistic)
            slope = float(np.polyfit(t[ok], values[ok], 1)[0])
        else:
            rho = slope = math.nan
        rows.append(ComparisonRow(q, question_statistics(pool.temperature, pool.ratings[q], pool.rater),
                                  paper[q], name, rho, slope, unit, int(ok.sum())))
    return rows


def _f(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.2f}"


def _slope(st: Statistic) -> str:
    return "n/a" if math.isnan(st.slope) else f"{st.slope:+.2f} ({st.se:.2f})"


def comparison_text(rows: Sequence[ComparisonRow], who: str = "class") -> str:
    """:func:`compare`'s rows as a fixed-width table, every statistic rounded to 2 decimals, then
    the notes (OLS for one rater, fit warnings).

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    Columns: the class's ρ and slope (SE) in rating points per unit of T, with the model used
    (``mixed`` or ``OLS``); the paper's, computed the same way (mixed); the proxy's ρ over the
    distinct samples rated, its slope in its own unit per unit of T, and how many samples it had.
    """
    if not rows:
        return "no ratings to compare"
    mine = rows[0].mine
    raters = f"{who} ({mine.raters} rater{'s' if mine.raters != 1 else ''})"
    width = max(23, len(raters) + 1)
    lines = [f"{'':11}| {raters:{width}}| {'paper (36 raters)':23}| proxy: our automatic measure of the same samples",
             f"{'question':11}| {'ρ':>6} {'slope (SE) ' + mine.method:>{width - 8}} | {'ρ':>6} {'slope (SE) mixed':>15} "
             f"| {'ρ':>6} {'slope':>6} {'n':>3}  measure; unit"]
    lines.append("-" * len(lines[1]))
    for r in rows:
        lines.append(f"{r.question:11}| {_f(r.mine.rho):>6} {_slope(r.mine):>{width - 8}} | {_f(r.paper.rho):>6} "
                     f"{_slope(r.paper):>15} | {_f(r.proxy_rho):>6} {_f(r.proxy_slope):>6} {r.proxy_n:3d}  "
                     f"{r.proxy}; {r.proxy_unit} per unit of T")
    lines.append(f"{who}: {mine.n} ratings by {mine.raters} rater(s); paper: {rows[0].paper.n} ratings by "
                 f"{rows[0].paper.raters} raters; slopes in rating points per unit of T")
    if mine.method == "OLS":
        lines.append(f"note: {ONE_RATER_NOTE}.")
    notes = sorted({f"{r.question}: {r.mine.note}" for r in rows if r.mine.note and r.mine.note != ONE_RATER_NOTE})
    lines += [f"note: {n.replace(ONE_RATER_NOTE + '; ', '')}" for n in notes]
    return "\n".join(lines)


def report(pool: Pool, bank: SampleBank, training_text: str, who: str = "class") -> str:
    """Everything the teacher's cell prints: what was pooled, each file left out (what is wrong,
    how to fix it), and :func:`comparison_text` of :func:`compare` (``""`` for it if nothing was
    pooled).

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).
    """
    lines = [pool.summary()]
    lines += [f"  ✗ {problem}" for problem in pool.problems]
    if len(pool):
        lines += ["", comparison_text(compare(pool, bank, training_text), who)]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Simulated raters and the plot
# ---------------------------------------------------------------------------------------------

def simulate_rater(
    folder: str | os.PathLike[str],
    student_id: str,
    slopes: Mapping[str, float],
    intercept: float | Mapping[str, float] = 3.0,
    offset: float = 0.0,
    noise: float = 0.5,
    seed: int = 0,
    answered: int | None = None,
) -> Path:
    """Write the file of a simulated student whose ratings are a known straight line in temperature.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb): the demonstration; and the tests.

    For each sample of :func:`assignment` (the first ``answered`` of them; all seven by default),
    question ``q`` gets ``intercept[q] + offset + slopes[q] · (T - 1) + noise · z`` (``intercept``:
    the rating at T = 1, one number or one per question), ``z`` standard
    normal from a generator seeded by ``seed``, rounded to a whole number and clipped to 1-5, as a
    student's answer is. ``slopes`` is in rating points per unit of temperature (questions not in
    it get slope 0); ``offset`` is this rater's own level (what the random intercept estimates).
    Rounding and clipping bend the line a little: keep ``intercept ± slope`` inside 1.5-4.5 and
    ``noise`` near 0.5 (rounding then averages out) for the slope to be recovered. Returns the path.
    """
    rng = np.random.default_rng(seed)
    levels = intercept if isinstance(intercept, Mapping) else {q: intercept for q in QUESTIONS}
    base = np.array([float(levels.get(q, 3.0)) for q in QUESTIONS])
    keys = assignment(student_id)[: answered if answered is not None else None]
    file = RatingsFile(_check_id(student_id))
    for key in keys:
        values = base + offset + np.array([slopes.get(q, 0.0) for q in QUESTIONS]) * (key.temperature - 1.0)
        values = np.clip(np.rint(values + noise * rng.standard_normal(len(QUESTIONS))), 1, 5)
        file.ratings[key] = {q: int(v) for q, v in zip(QUESTIONS, values)}
    return save_ratings(folder, file)


def draw_means(axes: Sequence[Any], pool: Pool, who: str = "class") -> None:
    """Draw, on four matplotlib axes (one per question), each rating of ``pool`` against its
    temperature (dots, slightly spread sideways so equal ratings do not hide each other), the
    class's mean at each temperature, and the paper's mean at each temperature.

    Used in: the rating activity (notebooks/class/rate_the_samples.ipynb).

    Colours: the lessons' colour-blind-safe cycle (``C0`` the class, ``C1`` the paper).
    """
    paper = data.load_peeperkorn_ratings()
    spread = (np.arange(len(pool)) % 5 - 2) * 0.02
    for ax, q in zip(axes, QUESTIONS):
        ax.plot(pool.temperature + spread, pool.ratings[q], "o", color="C0", alpha=0.35, ms=4)
        if len(pool):
            ts = sorted(set(pool.temperature.tolist()))
            ax.plot(ts, [pool.ratings[q][pool.temperature == t].mean() for t in ts], "-o", color="C0",
                    label=f"{who}: mean at each T")
        ax.plot(list(TEMPERATURES), [getattr(paper, q)[paper.temperature == t].mean() for t in TEMPERATURES],
                "--s", color="C1", label="Peeperkorn et al.: mean at each T")
        ax.set(title=q, xlabel="temperature T", ylabel="rating (1-5)", ylim=(0.8, 5.2), xticks=[0, 0.5, 1, 1.5, 2])
