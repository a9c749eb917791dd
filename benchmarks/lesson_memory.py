"""Peak memory of the kernel that runs each lesson (Binder's usual limit is 2 GB).

Runs every lesson top to bottom in a fresh kernel (nbclient, as the tests do) with one extra cell at
the end that reads the kernel's own peak resident set size (`resource.getrusage`, `ru_maxrss`), and
the wall time of the run. Nothing is written back to the notebooks.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/lesson_memory.py [--update-guide] [notebooks/NN_x.ipynb ...]

Prints one line per lesson, then one JSON object on its last line: {lesson: {"peak_rss_mb", "seconds"}}.
With --update-guide (all lessons), it also rewrites the table between the lesson_memory markers of
notebooks/teachers_guide.md ("What a student's machine needs").
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "notebooks" / "teachers_guide.md"
BEGIN, END = "<!-- lesson_memory:begin -->", "<!-- lesson_memory:end -->"
PEAK = "import resource; print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def peak_of(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return {"peak_rss_mb": round(kb / 1024), "seconds": round(seconds)}


def guide_table(result: dict) -> str:
    """The teacher's guide's table of run time and peak memory per lesson."""
    rows = ["| lesson | run time (s) | kernel peak memory (MB) |", "|---|---|---|"]
    rows += [f"| {name} | {r['seconds']} | {r['peak_rss_mb']} |" for name, r in result.items()]
    return "\n".join(rows)


def update_guide(result: dict, guide: Path = GUIDE) -> None:
    text = guide.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    guide.write_text(f"{head}{BEGIN}\n{guide_table(result)}\n{END}{tail}")


def main(argv: list[str]) -> None:
    update = "--update-guide" in argv
    argv = [a for a in argv if a != "--update-guide"]
    if update and argv:
        raise SystemExit("--update-guide measures every lesson: give no notebook paths with it")
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    result = {}
    for path in paths:
        result[path.stem] = peak_of(path.resolve())
        print(f"{path.stem}: peak {result[path.stem]['peak_rss_mb']} MB, {result[path.stem]['seconds']} s", flush=True)
    print(json.dumps(result))
    if update:
        update_guide(result)
        print(f"updated {GUIDE.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
