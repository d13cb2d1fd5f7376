"""What an exercise notebook installs: the package's dependencies, not the book's tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every dlvision module that the exercise and solution notebooks import, and the ones the
# chapters import (a chapter can be opened as a notebook too).
NOTEBOOK_MODULES = ("dlvision", "dlvision.book", "dlvision.data", "dlvision.gan",
                    "dlvision.gan.judge", "dlvision.gan.runs", "dlvision.gan.experiments",
                    "dlvision.gan.parts", "dlvision.grading", "dlvision.metrics",
                    "dlvision.models", "dlvision.plots", "dlvision.transfer", "dlvision.visualize",
                    "dlvision.widgets")
BOOK_TOOLS = ("myst_nb", "jupyter_book", "sphinx", "docutils", "sqlalchemy",
              "pydata_sphinx_theme")


def test_the_book_s_tools_are_an_extra_not_a_dependency():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [requirement.split(">")[0].split("<")[0].split("=")[0].strip()
             for requirement in project["dependencies"]]
    assert not {"jupyter-book", "myst-nb", "sphinx"} & set(names), names
    book = " ".join(project["optional-dependencies"]["book"])
    assert "jupyter-book" in book and "myst-nb" in book
    assert '".[book,dev]"' in (ROOT / "Makefile").read_text()  # make installs it


@pytest.mark.parametrize("module", NOTEBOOK_MODULES)
def test_importing_what_a_notebook_uses_imports_no_book_tool(module):
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {BOOK_TOOLS!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT).stdout.split()
    assert loaded == [], f"importing {module} imports {loaded}"


def test_glue_without_the_book_s_tools_is_silent(monkeypatch):
    import dlvision.book as book

    monkeypatch.setitem(sys.modules, "myst_nb", None)  # as if not installed
    assert book.glue_all({"x": 1.0}) == ["x"]
