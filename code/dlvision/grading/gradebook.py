"""What a graded class gives the instructor and each student: ``grades.csv``, ``feedback/``
and the summary with the mistakes the class made most.

``write_gradebook(batch, out)`` writes, from a ``batch.Batch``:

- ``grades.csv``: one row per submission: the file, the student id, the status and why, the
  other files with the same id, the points per question, the total and the maximum;
- ``feedback/<id>.md`` and ``.html``: what the student sees, the report of ``dlvision grade``
  (``report.format_report``), or why the file was not graded;
- ``summary.md`` and ``summary.html``: per question the mean and the share of full marks, the
  feedback messages tallied across submissions (most frequent first), and in HTML a histogram
  of the totals and a bar per question, as inline SVG (the page needs nothing else).
"""

from __future__ import annotations

import csv
import html
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..cache import write_text_atomic
from .batch import WITH_POINTS, Batch, Submission
from .checks import get_part
from .report import format_report

TOP_MISTAKES = 20  # mistakes listed in the summary, most frequent first


def feedback_name(sub: Submission) -> str:
    """The file name (no suffix) of a submission's feedback: its id, made safe for a file
    name, and its file's stem too when another submission has the same id."""
    def safe(text: str) -> str:
        return re.sub(r"[^\w.-]+", "_", text).strip("._") or "submission"

    return safe(sub.id) + (f"--{safe(sub.path.stem)}" if sub.duplicates else "")


def _graded(batch: Batch) -> list[Submission]:
    return [s for s in batch.submissions if s.status in WITH_POINTS and s.report is not None]


def write_grades_csv(batch: Batch, path: Path) -> None:
    """``grades.csv``: one row per submission, one column per question's points."""
    questions = get_part(batch.part).questions
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "id", "status", "detail", "same id as",
                     *(q.id for q in questions), "total", "max"])
    for sub in batch.submissions:
        points = {r.question: r.points for r in sub.report.results} if sub.report else {}
        graded = sub.status in WITH_POINTS and sub.report is not None
        writer.writerow([
            sub.path.name, sub.id, sub.status, sub.detail, " ".join(sub.duplicates),
            *(points.get(q.id, "") if graded else "" for q in questions),
            sub.report.score if graded else "", get_part(batch.part).max_points])
    write_text_atomic(path, buffer.getvalue())


@dataclass(frozen=True)
class Mistake:
    """A feedback message (its first line) given on one question, and to how many."""

    question: str
    status: str
    message: str
    count: int


# Lines of a check's feedback that do not name the mistake: the input, the hint, and the
# runner's notes on the answer's other versions.
_NOT_THE_MISTAKE = ("on input:", "hint:", "graded: ", "the earlier versions of")


def named_mistake(message: str, status: str = "") -> str:
    """The line of a check's feedback that says what is wrong: the check's name for the
    mistake when it has one (the line after "expected …, got …"), else what came back.

    The input the answer was tried on is the same for every student, and the hint is the same
    for every mistake, so neither tells mistakes apart."""
    lines = [line.strip() for line in message.splitlines() if line.strip()
             and not line.strip().startswith(_NOT_THE_MISTAKE)]
    if len(lines) >= 2 and lines[0].startswith("expected"):
        return lines[1]
    return lines[0] if lines else status


def tally_mistakes(batch: Batch) -> list[Mistake]:
    """The mistakes of the answers that lost points across the graded submissions
    (``named_mistake``), counted, most frequent first."""
    order = {q.id: i for i, q in enumerate(get_part(batch.part).questions)}
    counts: Counter[tuple[str, str, str]] = Counter()
    for sub in _graded(batch):
        for r in sub.report.results:
            if not r.passed:
                counts[r.question, r.status, named_mistake(r.message, r.status)] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], order.get(item[0][0], 0),
                                                      item[0][2]))
    return [Mistake(q, status, message, n) for (q, status, message), n in ranked]


def feedback_text(sub: Submission) -> str:
    """What a student reads: the grade's report, or why the file was not graded."""
    if sub.report is not None and sub.status in WITH_POINTS:
        text = format_report(sub.report)
        return text + (f"\n\nNote: {sub.detail}" if sub.detail else "")
    return f"{sub.path.name} was not graded: {sub.status}.\n\n{sub.detail}"


def write_feedback(batch: Batch, folder: Path) -> None:
    """``feedback/<id>.md`` and ``.html`` for every submission."""
    for sub in batch.submissions:
        title = f"{sub.id} · exercise {batch.part}"
        if sub.report is not None and sub.status in WITH_POINTS:
            title += f" · {sub.report.score}/{sub.report.max_score}"
        text = feedback_text(sub)
        name = feedback_name(sub)
        write_text_atomic(folder / f"{name}.md", f"# {title}\n\n```text\n{text}\n```\n")
        write_text_atomic(folder / f"{name}.html", _page(title, f"<pre>{html.escape(text)}</pre>"))


@dataclass(frozen=True)
class QuestionStats:
    """How the class did on one question."""

    question: str
    points: int
    mean: float
    full_marks: float  # the share of graded submissions with all its points


def question_stats(batch: Batch) -> list[QuestionStats]:
    graded = _graded(batch)
    stats = []
    for q in get_part(batch.part).questions:
        got = [next((r.points for r in s.report.results if r.question == q.id), 0)
               for s in graded]
        stats.append(QuestionStats(q.id, q.points, statistics.fmean(got) if got else 0.0,
                                   sum(p == q.points for p in got) / len(got) if got else 0.0))
    return stats


def _counts(batch: Batch) -> str:
    by_status = Counter(s.status for s in batch.submissions)
    return ", ".join(f"{status}: {n}" for status, n in by_status.most_common())


def summary_markdown(batch: Batch) -> str:
    """``summary.md``: the class's totals, each question, the mistakes made most, the files
    not graded."""
    part = get_part(batch.part)
    graded = _graded(batch)
    totals = [s.report.score for s in graded]
    lines = [f"# Exercise {part.id}: {len(batch.submissions)} submissions", "",
             f"Statuses: {_counts(batch)}.", ""]
    if totals:
        lines += [f"Total, out of {part.max_points}: mean {statistics.fmean(totals):.1f}, "
                  f"median {statistics.median(totals):g}, full marks "
                  f"{sum(t == part.max_points for t in totals)} of {len(totals)}.", ""]
    lines += ["## Questions", "", "| question | points | mean | full marks |",
              "|---|---:|---:|---:|"]
    lines += [f"| {s.question} | {s.points} | {s.mean:.2f} | {s.full_marks:.0%} |"
              for s in question_stats(batch)]
    mistakes = tally_mistakes(batch)
    lines += ["", "## The mistakes the class made most", ""]
    if mistakes:
        lines += ["| submissions | question | verdict | feedback |", "|---:|---|---|---|"]
        lines += [f"| {m.count} | {m.question} | {m.status} | {_cell(m.message)} |"
                  for m in mistakes[:TOP_MISTAKES]]
        if len(mistakes) > TOP_MISTAKES:
            lines += ["", f"({len(mistakes) - TOP_MISTAKES} rarer ones are in the feedback "
                      "files.)"]
    else:
        lines.append("None: every graded answer passed." if graded
                     else "No submission was graded.")
    left = [s for s in batch.submissions if s.status not in WITH_POINTS]
    if left:
        lines += ["", "## Not graded", ""]
        lines += [f"- {s.path.name} ({s.id}): {s.status}: {s.detail}" for s in left]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _svg(figure) -> str:
    """A matplotlib figure as inline SVG, without its metadata (a date, which would make
    every run's page differ)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.S)


def histogram_svg(totals: list[int], max_points: int) -> str:
    """The totals' histogram, one bar per possible total."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.6))
    ax = figure.subplots()
    counts = Counter(totals)
    ax.bar(range(max_points + 1), [counts.get(t, 0) for t in range(max_points + 1)],
           color="#4c72b0")
    ax.set_xlabel(f"total (out of {max_points})")
    ax.set_ylabel("submissions")
    ax.set_xticks(range(max_points + 1))
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def questions_svg(stats: list[QuestionStats]) -> str:
    """A horizontal bar per question: the share of the class with full marks."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 0.4 * len(stats) + 0.8))
    ax = figure.subplots()
    names = [s.question for s in stats][::-1]
    shares = [100 * s.full_marks for s in stats][::-1]
    ax.barh(names, shares, color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel("full marks (% of graded submissions)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>body {{ font-family: sans-serif; "
            "max-width: 60em; margin: 2em auto; }} table {{ border-collapse: collapse; }} "
            "td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; }} "
            "pre {{ white-space: pre-wrap; }}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n")


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_html(batch: Batch) -> str:
    """``summary.html``: the summary, with the totals' histogram and a bar per question."""
    part = get_part(batch.part)
    stats = question_stats(batch)
    totals = [s.report.score for s in _graded(batch)]
    body = [f"<p>{len(batch.submissions)} submissions. Statuses: "
            f"{html.escape(_counts(batch))}.</p>"]
    if totals:
        body += ["<h2>Totals</h2>", histogram_svg(totals, part.max_points)]
    body += ["<h2>Questions</h2>", questions_svg(stats),
             _table(["question", "points", "mean", "full marks"],
                    [[s.question, str(s.points), f"{s.mean:.2f}", f"{s.full_marks:.0%}"]
                     for s in stats]),
             "<h2>The mistakes the class made most</h2>"]
    mistakes = tally_mistakes(batch)[:TOP_MISTAKES]
    none = "None: every graded answer passed." if totals else "No submission was graded."
    body.append(_table(["submissions", "question", "verdict", "feedback"],
                       [[str(m.count), m.question, m.status, m.message] for m in mistakes])
                if mistakes else f"<p>{none}</p>")
    left = [s for s in batch.submissions if s.status not in WITH_POINTS]
    if left:
        body += ["<h2>Not graded</h2>",
                 _table(["file", "id", "status", "why"],
                        [[s.path.name, s.id, s.status, s.detail] for s in left])]
    return _page(f"Exercise {part.id}: {len(batch.submissions)} submissions", "\n".join(body))


def write_gradebook(batch: Batch, out: Path) -> list[Path]:
    """Write grades.csv, feedback/ and the summary into ``out``; the files written."""
    out = Path(out)
    write_grades_csv(batch, out / "grades.csv")
    write_feedback(batch, out / "feedback")
    write_text_atomic(out / "summary.md", summary_markdown(batch))
    write_text_atomic(out / "summary.html", summary_html(batch))
    return [out / "grades.csv", out / "feedback", out / "summary.md", out / "summary.html"]
