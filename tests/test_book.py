"""Chapter helpers and metrics: glue under a prefix, Markdown tables, confusion counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from dlvision import book
from dlvision.metrics import confusion_counts, most_confused


@dataclass(frozen=True)
class Row:
    name: str
    accuracy: float
    size: int | None = None
    scores: np.ndarray | None = None

    COLUMNS: ClassVar = (("name", "layer", "{}"), ("size", "size", "{:,}"),
                         ("accuracy", "accuracy", "{:.1%}"))

    @property
    def label(self) -> str:
        return self.name.upper()


@pytest.fixture
def glued(monkeypatch):
    values = {}
    monkeypatch.setattr(book, "_glue", values.__setitem__)
    return values


def test_glue_fields_glues_every_scalar_field_and_property_under_a_prefix(glued):
    names = book.glue_fields("best", Row("relu7", 0.889, scores=np.zeros(3)))
    assert glued == {"best_name": "relu7", "best_accuracy": 0.889, "best_label": "RELU7"}
    assert sorted(names) == sorted(glued)  # arrays and None are left out


def test_glue_all_skips_missing_values_and_rejects_arrays(glued):
    book.glue_all({"a": 1, "b": None, "c": math.nan, "d": "text"}, prefix="q1")
    assert glued == {"q1_a": 1, "q1_d": "text"}
    with pytest.raises(TypeError, match="cannot glue 'x'"):
        book.glue_all({"x": np.zeros(2)})


def test_a_cell_ending_with_glue_all_shows_nothing(glued):
    from IPython.core.formatters import DisplayFormatter

    names = book.glue_all({"a": 1, "b": 2.5})
    assert names == ["a", "b"]
    shown, _ = DisplayFormatter().format(names)  # what a notebook's last expression shows
    assert shown == {}
    assert DisplayFormatter().format(["a", "b"])[0]  # where a plain list would print


def test_a_rehearsal_glues_nan_so_that_its_pages_build(glued, monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "full")
    monkeypatch.setenv("DLVISION_SIZES", "rehearsal")
    book.glue_all({"a": math.nan, "b": None})
    assert list(glued) == ["a"] and math.isnan(glued["a"])


def test_markdown_table_formats_cells_and_leaves_missing_ones_empty():
    table = book.markdown_table([{"name": "relu7", "acc": 0.889, "size": 4096},
                                 {"name": "pixels", "acc": float("nan")}],
                                [("name", "layer", "{}"), ("size", "size", "{:,}"),
                                 ("acc", "accuracy", "{:.1%}")])
    assert table.splitlines() == ["| layer | size | accuracy |", "|---|---:|---:|",
                                  "| relu7 | 4,096 | 88.9% |", "| pixels |  |  |"]


def test_results_table_uses_the_rows_columns_in_the_order_asked():
    rows = [Row("relu7", 0.5, 4096), Row("pixels", 0.25)]
    assert book.results_table(rows, columns=("accuracy", "name")).splitlines() == [
        "| accuracy | layer |", "|---:|---|", "| 50.0% | relu7 |", "| 25.0% | pixels |"]
    assert book.results_table(rows).splitlines()[0] == "| layer | size | accuracy |"
    with pytest.raises(ValueError, match="unknown columns"):
        book.results_table(rows, columns=("speed",))


def test_confusion_counts_and_the_most_confused_pair():
    counts = confusion_counts([0, 0, 0, 1, 2, 2], [0, 1, 1, 1, 0, 2], 3)
    assert counts.tolist() == [[1, 2, 0], [0, 1, 0], [1, 0, 1]]
    assert most_confused(counts) == (0, 1, 2, 3)  # two of the three zeros taken for ones
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        confusion_counts([0, 3], [0, 0], 3)
    with pytest.raises(ValueError, match="one prediction per target"):
        confusion_counts([0, 1], [0], 3)


def test_book_cells_have_no_time_limit():
    """A busy laptop must make the build slower, not failed: no per-cell timeout."""
    from pathlib import Path

    import yaml

    config = yaml.safe_load((Path(__file__).parents[1] / "_config.yml").read_text())
    assert config["execute"]["timeout"] == -1


def test_pages_are_read_and_executed_in_the_books_order():
    """Sphinx reads pages alphabetically (Part 4's folder before Part 3's); the book's
    extension puts them in the table of contents' order, pages outside it last."""
    import importlib.util
    from pathlib import Path
    from types import SimpleNamespace

    from sphinx_external_toc.parsing import parse_toc_yaml

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("sitefixes", root / "book/_ext/sitefixes.py")
    sitefixes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sitefixes)
    docnames = sorted(["book/gans/dcgan", "book/conditional-gans/cdcgan", "book/intro",
                       "book/gans/principle", "not/in/toc", "exercises/3-gans"])
    env = SimpleNamespace(external_site_map=parse_toc_yaml(root / "_toc.yml"))
    sitefixes._read_in_toc_order(None, env, docnames)
    assert docnames == ["book/intro", "book/gans/principle", "book/gans/dcgan",
                        "book/conditional-gans/cdcgan", "exercises/3-gans", "not/in/toc"]


@pytest.fixture
def fresh_kernel(monkeypatch):
    """No name glued yet, as in a kernel that has just started."""
    monkeypatch.setattr(book, "_GLUED", set())


def test_glue_markdown_glues_a_fragment_whose_numbers_were_glued(glued, fresh_kernel):
    book.glue_all({"q1_share": 0.25, "q1_word": "close to"})
    name = book.glue_markdown("q1_said", "A share of {glue:text}`q1_share:.0%`, "
                                         "{glue:text}`q1_word` the ideal.")
    assert name == "q1_said"
    # pasted as MyST Markdown, roles and all
    assert glued["q1_said"].data == ("A share of {glue:text}`q1_share:.0%`, "
                                     "{glue:text}`q1_word` the ideal.")


def test_glue_markdown_refuses_a_fragment_quoting_a_name_never_glued(glued, fresh_kernel):
    book.glue_all({"q1_share": 0.25, "q1_nan": math.nan})  # NaN is skipped: not glued
    with pytest.raises(ValueError, match="quotes q1_missing, q1_nan, not glued"):
        book.glue_markdown("q1_said", "{glue:text}`q1_share:.0%` {glue:text}`q1_nan` "
                                      "{glue:text}`q1_missing:,`")
    assert "q1_said" not in glued


def test_glue_markdown_accepts_an_empty_fragment_for_the_profile_that_says_nothing(
        glued, fresh_kernel):
    book.glue_markdown("q1_said", "")
    assert glued["q1_said"].data == ""
