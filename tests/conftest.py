"""Shared fixtures. The corpus comes from $TINYSHAKESPEARE_PATH (CI, offline) or data/ (cached)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import data

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


@pytest.fixture(scope="session")
def corpus_text() -> str:
    """The verified Tiny Shakespeare text (fails with the loader's own clear error if absent)."""
    return data.load_corpus()


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory: pytest.TempPathFactory, corpus_text: str) -> Path:
    """A private copy of the corpus file that tests may point things at."""
    path = tmp_path_factory.mktemp("corpus") / "input.txt"
    path.write_text(corpus_text, encoding="utf-8")
    return path


@pytest.fixture
def copy_of(tmp_path: Path):
    def _copy(src: Path, name: str) -> Path:
        dst = tmp_path / name
        shutil.copy(src, dst)
        return dst

    return _copy


# Property tests: no example database in the repository; in CI (CI=true) a fixed set of examples so
# that a run is reproducible, locally a fresh random set each run.
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", database=None, derandomize=True, deadline=None)
settings.register_profile("dev", database=None, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests last (the nbgrader course, then the browser): a failing unit test says more, sooner."""
    items.sort(key=lambda item: (item.nodeid.startswith("tests/browser/"), item.nodeid.startswith("tests/test_nbgrader_course.py::test_nbgrader_round_trip")))
