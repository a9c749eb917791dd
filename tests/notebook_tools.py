"""Executing notebooks and comparing their outputs, for the notebook tests."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np

import nbformat
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_OUTPUT = "nbval-ignore-output"  # the cell tag with which nbval runs a cell without comparing it


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


class Picture:
    """A PNG output, equal to another when their pixels are the same up to anti-aliasing noise.

    Numbers that differ in their last bits (threads or processors add in another order) can move a
    plotted line by a millionth of a pixel, which changes the shade of a few edge pixels by a level
    or two out of 255. Allowed: at most 0.2 % of the pixels differing, none by more than 24 levels.
    A changed figure (another curve, bar, label or size) changes far more, by far more.
    """

    MAX_SHARE, MAX_LEVELS = 0.002, 24

    def __init__(self, b64: str) -> None:
        self.b64 = b64

    def pixels(self) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.open(io.BytesIO(base64.b64decode(self.b64))).convert("RGBA"), dtype=np.int16)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Picture):
            return NotImplemented
        if self.b64 == other.b64:
            return True
        a, b = self.pixels(), other.pixels()
        if a.shape != b.shape:
            return False
        diff = np.abs(a - b).max(axis=-1)
        return bool(diff.max() <= self.MAX_LEVELS and (diff > 0).mean() <= self.MAX_SHARE)

    def __repr__(self) -> str:
        return f"<PNG, {len(self.b64):,} base64 characters>"


def comparable_outputs(nb: nbformat.NotebookNode) -> list[list[dict]]:
    """Every code cell's outputs, with only the random widget model ids left out (and nothing of
    the cells tagged ``nbval-ignore-output``: the training cells, whose claims the next cell asserts).
    PNG figures compare by their pixels (:class:`Picture`)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if IGNORE_OUTPUT in cell.metadata.get("tags", []):
            cells.append("not compared")
            continue
        # Printed text is compared per stream, all of a cell's stdout together (as nbval does): how
        # it is split into messages, and where a figure shown meanwhile falls in it, is not content.
        outs: list[dict] = []
        streams: dict[str, dict] = {}
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                if out["name"] in streams:
                    streams[out["name"]]["text"] += out["text"]
                else:
                    streams[out["name"]] = {"type": "stream", "name": out["name"], "text": out["text"]}
                continue
            item = {"type": out["output_type"]}
            if "data" in out:
                item["data"] = {k: (Picture(v) if k == "image/png" else v) for k, v in out["data"].items() if k != WIDGET_VIEW}
                item["widget"] = WIDGET_VIEW in out["data"]
            if out["output_type"] == "error":
                item["error"] = (out["ename"], out["evalue"])
            outs.append(item)
        cells.append([streams[name] for name in sorted(streams)] + outs)
    return cells
