"""Peak memory of the kernel that runs each lesson (Binder's usual limit is 2 GB).

Runs every lesson top to bottom in a fresh kernel (nbclient, as the tests do) with one extra cell at
the end that reads the kernel's own peak resident set size (`resource.getrusage`, `ru_maxrss`), and
the wall time of the run. Nothing is written back to the notebooks.

    TINYSHAKESPEARE_PATH=... .venv/bin/python benchmarks/lesson_memory.py [notebooks/NN_x.ipynb ...]

Prints one line per lesson, then one JSON object on its last line: {lesson: {"peak_rss_mb", "seconds"}}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
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


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    result = {}
    for path in paths:
        result[path.stem] = peak_of(path.resolve())
        print(f"{path.stem}: peak {result[path.stem]['peak_rss_mb']} MB, {result[path.stem]['seconds']} s", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
