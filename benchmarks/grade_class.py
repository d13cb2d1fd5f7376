"""Grading a class: the time per submission with 1 and 2 jobs, and the speed-up.

For each exercise, a class of ``--per-exercise`` submissions, every one a distinct file (the
grade cache would otherwise run byte-identical ones once): half the solution, a third the
solution with one answer replaced by a mutant of ``tests/mutants/`` (as in
``tests/test_grade_batch.py``), the rest broken (empty, invalid JSON), each with the student's
name in a cell of its own. Each class is graded with ``--jobs 1`` then ``--jobs 2``, each run
into a fresh results folder (no cache). Not a test: nothing is asserted about the times.

    .venv/bin/python benchmarks/grade_class.py --per-exercise 30      # the whole measurement
    .venv/bin/python benchmarks/grade_class.py --per-exercise 6 --parts 0-getting-started
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the mutants, and how the tests build a class

from test_grade_batch import MUTANT, SOLUTIONS, mutant_notebook  # noqa: E402

from dlvision.grading.batch import WITH_POINTS, grade_batch  # noqa: E402


def write_class(folder: Path, part: str, n: int) -> None:
    """``n`` distinct submissions of ``part`` in ``folder``: right, wrong and broken ones."""
    folder.mkdir(parents=True)
    question, mutant = MUTANT[part]
    right = nbformat.read(SOLUTIONS[part], as_version=4)
    wrong = mutant_notebook(SOLUTIONS[part], question, mutant)
    n_right, n_wrong = n // 2, n // 3
    for k in range(n):
        path = folder / f"s{k:03d}_{part}.ipynb"
        if k < n_right + n_wrong:
            nb = nbformat.from_dict(json.loads(nbformat.writes(right if k < n_right else wrong)))
            nb.cells.append(nbformat.v4.new_markdown_cell(f"Submitted by student {k}"))
            nbformat.write(nb, path)
        else:
            path.write_bytes(b"" if k % 2 else f'{{"cells": [ student {k}'.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-exercise", type=int, default=30)
    parser.add_argument("--parts", nargs="*", default=sorted(SOLUTIONS))
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlvision-grade-class-") as tmp:
        for part in args.parts:
            folder = Path(tmp, part)
            write_class(folder, part, args.per_exercise)
            times = {}
            for jobs in args.jobs:
                started = time.monotonic()
                batch = grade_batch([folder], Path(tmp, f"out-{part}-{jobs}"), jobs=jobs)
                times[jobs] = time.monotonic() - started
                graded = sum(s.status in WITH_POINTS for s in batch.submissions)
                print(f"{part} --jobs {jobs}: {len(batch.submissions)} submissions, "
                      f"{batch.graded_now} notebooks run, {graded} graded, "
                      f"{times[jobs]:.0f} s", flush=True)
            rows.append((part, len(batch.submissions), batch.graded_now, times))
    head = " | ".join(f"--jobs {j}: s (s per submission)" for j in args.jobs)
    print(f"\n| exercise | submissions | notebooks run | {head} | speed-up |")
    print("|---|---:|---:|" + "---:|" * len(args.jobs) + "---:|")
    total = {j: 0.0 for j in args.jobs}
    for part, n, run, times in rows:
        cells = " | ".join(f"{times[j]:.0f} ({times[j] / n:.1f})" for j in args.jobs)
        print(f"| {part} | {n} | {run} | {cells} | "
              f"{times[args.jobs[0]] / times[args.jobs[-1]]:.2f} |")
        for j in args.jobs:
            total[j] += times[j]
    n = sum(r[1] for r in rows)
    cells = " | ".join(f"{total[j]:.0f} ({total[j] / n:.1f})" for j in args.jobs)
    print(f"| all | {n} | {sum(r[2] for r in rows)} | {cells} | "
          f"{total[args.jobs[0]] / total[args.jobs[-1]]:.2f} |")


if __name__ == "__main__":
    main()
