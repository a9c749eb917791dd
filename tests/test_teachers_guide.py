"""The teacher's guide (notebooks/teachers_guide.md) stays in step with the lessons: its tables are
compared with what they describe (the lessons' headers and nbgrader metadata, and the benchmark's
figures as the README quotes them), so a stale number fails."""

from __future__ import annotations

import importlib.util
import re

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT

GUIDE = ROOT / "notebooks" / "teachers_guide.md"
README = ROOT / "README.md"


def _section(text: str, heading: str) -> str:
    """The text under a ``## `` heading that starts with ``heading``, up to the next ``## ``."""
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def _rows(table_text: str) -> list[list[str]]:
    """The body rows of the first Markdown table in ``table_text``, as lists of stripped cells."""
    lines = [line for line in table_text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _header(path) -> str:
    return nbformat.read(path, as_version=4).cells[0].source


def _minutes(text: str) -> int:
    """The class time a **Time:** line states ("about 85 minutes")."""
    return int(re.search(r"\*\*Time:\*\*\s+about (\d+) minutes", text)[1])


def _points(path) -> str:
    """The lesson's points as the guide writes them: "5", or "4 + 2 written" with graded answers."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade")]
    auto = sum(c.metadata["nbgrader"]["points"] for c in cells if c.cell_type == "code")
    written = sum(c.metadata["nbgrader"]["points"] for c in cells if c.cell_type == "markdown")
    return f"{auto} + {written} written" if written else f"{auto}"


def _title(path) -> tuple[str, str]:
    """(number, title) from the lesson's first line, "# Lesson 5b — Title"."""
    number, title = re.match(r"# Lesson (\w+) — (.+)", _header(path)).groups()
    return number, title


def test_the_series_at_a_glance_is_the_lessons_own_numbers():
    """One row per lesson, in order: its number, its file and title, the class time its header states,
    and the points its nbgrader cells carry."""
    rows = _rows(_section(GUIDE.read_text(), "The series at a glance"))
    assert len(rows) == len(NOTEBOOKS), "one row per lesson in notebooks/"
    for (number, lesson, time, points), path in zip(rows, NOTEBOOKS):
        own_number, own_title = _title(path)
        name, target = re.fullmatch(r"\[(.+)\]\((.+)\)", lesson).groups()
        assert (number, target) == (own_number, path.name)
        assert set(re.findall(r"[\w-]+", name)) <= set(re.findall(r"[\w-]+", own_title)), (name, own_title)
        assert int(re.match(r"about (\d+) min", time)[1]) == _minutes(_header(path)), f"{path.name}: class time"
        assert points == _points(path), f"{path.name}: points"


def _lesson_section(guide: str, path) -> str:
    number, _ = _title(path)
    return _section(guide, f"Lesson {number}:")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_lesson_section_states_the_lessons_own_time(path):
    assert _minutes(_lesson_section(GUIDE.read_text(), path)) == _minutes(_header(path))


def _lesson_memory():
    spec = importlib.util.spec_from_file_location("lesson_memory", ROOT / "benchmarks" / "lesson_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def _measured() -> dict[str, dict[str, int]]:
    """The guide's table of run time and peak memory, written by `benchmarks/lesson_memory.py --update-guide`."""
    bench = _lesson_memory()
    table = GUIDE.read_text().split(bench.BEGIN, 1)[1].split(bench.END, 1)[0]
    return {name: {"seconds": int(s), "peak_rss_mb": int(m)} for name, s, m in _rows(table)}


def test_the_memory_table_has_every_lesson_in_the_benchmarks_format():
    measured = _measured()
    assert list(measured) == [p.stem for p in NOTEBOOKS]
    table = GUIDE.read_text().split(_lesson_memory().BEGIN, 1)[1].split(_lesson_memory().END, 1)[0].strip()
    assert _lesson_memory().guide_table(measured) == table, "edit the table only through lesson_memory.py --update-guide"


def test_the_readme_quotes_the_same_benchmark_figures():
    """The README quotes the benchmark's last run too: both copies must be the same run."""
    measured = _measured()
    readme = " ".join(README.read_text().split())
    peaks = {name: m["peak_rss_mb"] for name, m in measured.items()}
    low, high = min(peaks, key=peaks.get), max(peaks, key=peaks.get)
    number = {p.stem: _title(p)[0] for p in NOTEBOOKS}
    assert f"the kernel peaks at {peaks[low]}–{peaks[high]} MB" in readme
    assert f"peak {peaks[low]} MB (lesson {number[low]}) to {peaks[high]} MB (lesson {number[high]})" in readme
    seconds = [f"{m['seconds']} s" for m in measured.values()]
    runs = re.search(r"runs of ((?:\d+ s, )*\d+ s and \d+ s) for lessons", readme)[1]
    assert runs == ", ".join(seconds[:-1]) + f" and {seconds[-1]}", runs


_BOUNDS = {  # what "the notebook runs in ..." promises, in seconds: (at least, at most)
    "a few seconds": (0, 15),
    "under a minute": (0, 60),
    "about a minute": (30, 120),
}


def _promised(text: str) -> tuple[int, int] | None:
    said = re.search(r"runs in (a few seconds|under a minute|about a minute|under (\d+) minutes)", " ".join(text.split()))
    if said is None:
        return None
    return (0, 60 * int(said[2])) if said[2] else _BOUNDS[said[1]]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_measured_run_time_keeps_what_the_lesson_and_the_guide_promise(path):
    """A lesson's header and its guide section say how long the notebook runs; the benchmark's
    measured run time must agree with both."""
    seconds = _measured()[path.stem]["seconds"]
    promises = [p for p in (_promised(_header(path)), _promised(_lesson_section(GUIDE.read_text(), path))) if p]
    for low, high in promises:
        assert low <= seconds <= high, f"{path.stem} measured {seconds} s, stated {low}–{high} s"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_guide_covers_every_exercise_and_its_points(path):
    guide = GUIDE.read_text()
    assert f"]({path.name})" in guide, "the guide links the lesson"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            name = re.match(r"\s*check\.(\w+)\(", cell.source)[1]
            assert f"`{name}` ({meta['points']})" in guide, \
                f"the guide's grading table lacks {name} ({meta['points']} points)"


def test_the_readme_links_the_guide():
    assert "(notebooks/teachers_guide.md)" in README.read_text()
