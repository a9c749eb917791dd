"""Executing notebooks and comparing their outputs, for the notebook tests."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def execute(nb: nbformat.NotebookNode, cwd: Path, allow_errors: bool = False) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel of this environment (in place); return it."""
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def comparable_outputs(nb: nbformat.NotebookNode) -> list[list[dict]]:
    """Every code cell's outputs, with only the random widget model ids left out."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs: list[dict] = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream" and outs and outs[-1].get("name") == out["name"]:
                outs[-1]["text"] += out["text"]  # how a stream is split into messages is not content
                continue
            item = {"type": out["output_type"]}
            if "text" in out:
                item["name"], item["text"] = out["name"], out["text"]
            if "data" in out:
                item["data"] = {k: v for k, v in out["data"].items() if k != WIDGET_VIEW}
                item["widget"] = WIDGET_VIEW in out["data"]
            if out["output_type"] == "error":
                item["error"] = (out["ename"], out["evalue"])
            outs.append(item)
        cells.append(outs)
    return cells
