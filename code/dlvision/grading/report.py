"""The grade of one notebook: per question, per cell that went wrong, and the total."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache import write_text_atomic
from .question import FEEDBACK_LEVELS, FULL, CheckResult

FEEDBACK_WIDTH = 72  # characters of feedback in the table; the full text follows it
NOT_RUN = "not run"  # a cell the notebook's deadline left out


@dataclass(frozen=True)
class CellRun:
    """A code cell of the graded notebook that did not run cleanly.

    index : 1-based position among all the notebook's cells. status : "error", "timeout",
    "kernel died" or "not run" (``NOT_RUN``: the notebook's deadline was reached before it).
    error : the exception ("NameError: name 'x' is not defined") or what happened.
    first_line : the cell's first line, to find it in the notebook.
    """

    index: int
    status: str
    error: str
    first_line: str = ""

    def describe(self) -> str:
        where = f"cell {self.index}" + (f" ({self.first_line})" if self.first_line else "")
        return f"{where}: {self.status}: {self.error}"


@dataclass
class Report:
    """What ``dlvision grade`` found: a result per question, the cells that failed, the time.

    feedback : how much of each answer's feedback the report shows (``FEEDBACK_LEVELS``):
    ``full``, the mistake and the hint with its code, as the notebook's ``check`` shows them;
    ``mistakes``, the mistake named in words, without the hint or code, for reports a class
    may share; ``scores``, the points only.
    """

    notebook: str
    part: str
    results: list[CheckResult]
    cells: list[CellRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # e.g. the answers could not be collected
    seconds: float = 0.0
    feedback: str = FULL

    def __post_init__(self) -> None:
        if self.feedback not in FEEDBACK_LEVELS:
            raise ValueError(f"unknown feedback level {self.feedback!r}; choose one of "
                             f"{', '.join(FEEDBACK_LEVELS)}")

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.max_points for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "part": self.part,
            "score": self.score,
            "max_score": self.max_score,
            "feedback_level": self.feedback,
            "questions": [r.to_dict(self.feedback) for r in self.results],
            "cells": [{"index": c.index, "status": c.status, "error": c.error,
                       "first_line": c.first_line} for c in self.cells],
            "problems": list(self.problems),
            "seconds": round(self.seconds, 2),
        }

    def write_json(self, path: str | Path) -> None:
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")


def _shorten(text: str, width: int = FEEDBACK_WIDTH) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _cell_lines(cells: list[CellRun]) -> list[str]:
    """One line per cell, but one for all the cells left when the deadline was reached."""
    lines = [f"  {c.describe()}" for c in cells if c.status != NOT_RUN]
    not_run = [c for c in cells if c.status == NOT_RUN]
    if len(not_run) == 1:
        lines.append(f"  {not_run[0].describe()}")
    elif not_run:
        lines.append(f"  cells {not_run[0].index} to {not_run[-1].index} ({len(not_run)} code "
                     f"cells): {NOT_RUN}: the notebook's deadline was reached before them")
    return lines


def format_report(report: Report) -> str:
    """The report as a table for a terminal, then the feedback at the report's level: of every
    lost point, and of an answer that passed but was replaced later in the notebook."""
    feedback = {r.question: r.feedback(report.feedback) for r in report.results}
    rows = [(r.question, f"{r.points}/{r.max_points}", r.status, _shorten(feedback[r.question]))
            for r in report.results]
    header = ("question", "points", "verdict", "feedback")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]

    def line(row) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + \
            "  " + row[3]

    out = [f"{report.notebook} · exercise {report.part} · graded in {report.seconds:.1f} s", "",
           line(header).rstrip(), *(line(row).rstrip() for row in rows),
           line(("total", f"{report.score}/{report.max_score}", "", "")).rstrip()]
    if report.problems:
        out += ["", "Problems:", *(f"  {p}" for p in report.problems)]
    if report.cells:
        out += ["", "Cells that did not run cleanly (grading went on with the next cells):",
                *_cell_lines(report.cells)]
    told = [r for r in report.results if feedback[r.question]]  # lost points, or replaced later
    if told:
        out += ["", "Feedback:"]
        for r in told:
            out.append(f"  {r.question}:")
            out += [f"    {text}" for text in feedback[r.question].splitlines()]
    return "\n".join(out)
