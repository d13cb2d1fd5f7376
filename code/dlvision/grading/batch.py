"""``dlvision grade SUBMISSIONS... --out DIR``: grade a whole class, in parallel, resumably.

Each submission is graded exactly as ``dlvision grade one.ipynb`` grades it
(``runner.grade_notebook``: its own kernel and sandbox process, in a temporary folder of its own
that holds a private copy of the file), by ``--jobs`` worker processes at once. A batch grades
one exercise: ``--part``, or else the exercise that most submissions' metadata name. A notebook
whose metadata names another exercise gets a "wrong exercise" row rather than a grade against
questions it never saw; grade each exercise's folder in its own batch.

What is cheap to tell is told before any kernel starts, and the batch goes on: an empty file or
invalid JSON ("not a notebook"), a notebook saved in another format version ("another Jupyter
version"), another exercise ("wrong exercise"). Two submissions with the same student id are
both graded, and each row names the other.

Every finished grade is written at once to ``DIR/.cache/grades/<key>.json`` (a temporary file
renamed into place, so a half-written entry is never read), keyed by the submission's bytes, the
package's version, the source of ``dlvision/grading/`` and the time limits. Running the batch
again (after Ctrl-C, or with late submissions added) grades only what no entry holds, and
byte-identical submissions are graded once.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlvision

from ..cache import write_text_atomic
from .question import FULL, TIMEOUT, CheckResult
from .report import NOT_RUN, CellRun, Report

# The status of a submission in grades.csv, best first. Only the first three have points.
GRADED = "graded"
KERNEL_DIED = "kernel died"  # graded: the answers saved before the crash count
DEADLINE_REACHED = "deadline reached"  # graded: the cells left were not run
NOT_A_NOTEBOOK = "not a notebook"
OTHER_VERSION = "another Jupyter version"
WRONG_EXERCISE = "wrong exercise"
GRADER_ERROR = "grader error"  # the grader itself failed on it: not cached, retried next run
WITH_POINTS = (GRADED, KERNEL_DIED, DEADLINE_REACHED)

CACHE = Path(".cache", "grades")  # under --out
_HINT = "submit the .ipynb file that Jupyter or Colab saves (File › Download › .ipynb)"


@dataclass
class Submission:
    """One file of the batch and what became of it.

    id : the student id, read from the file name by ``--id-pattern`` (default: the stem).
    status : one of the statuses above; ``detail`` says why in a sentence.
    duplicates : the other files of the batch with the same id.
    report : the grade, when the status is one of ``WITH_POINTS``.
    cached : whether the grade came from an earlier run.
    """

    path: Path
    id: str
    sha256: str
    status: str = ""
    detail: str = ""
    duplicates: list[str] = field(default_factory=list)
    report: Report | None = None
    cached: bool = False


@dataclass
class Batch:
    """The graded class: one ``Submission`` per file, the exercise, and what the run cost."""

    part: str
    submissions: list[Submission]
    graded_now: int = 0  # distinct contents graded by this run (not from the cache)
    seconds: float = 0.0  # wall-clock time of this run
    interrupted: bool = False  # Ctrl-C: the grades finished before it are in the cache


def find_submissions(paths: Sequence[str | Path], out: str | Path | None = None) -> list[Path]:
    """The notebooks to grade: each file given, and every ``*.ipynb`` under each folder given
    (but not under hidden folders such as ``.ipynb_checkpoints``, nor under ``out``)."""
    out_dir = Path(out).resolve() if out is not None else None
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_file():
            found.append(given)
        elif given.is_dir():
            inside = sorted(p for p in given.rglob("*.ipynb") if p.is_file()
                            and not any(part.startswith(".") for part in
                                        p.relative_to(given).parts[:-1])
                            and (out_dir is None or out_dir not in p.resolve().parents))
            if not inside:
                raise ValueError(f"no .ipynb file in the folder {given}: give the folder that "
                                 "holds the submitted notebooks, or the files themselves")
            found += inside
        else:
            raise FileNotFoundError(f"no file or folder {given}: check the path")
    unique = {p.resolve(): p for p in found}  # a file given twice is graded once
    return list(unique.values())


def id_regex(pattern: str | None) -> re.Pattern[str] | None:
    """The compiled ``--id-pattern``; a ``ValueError`` that shows a working one if it is not
    a regular expression with a group named ``id``."""
    if pattern is None:
        return None
    example = r"e.g. --id-pattern '^(?P<id>[a-z]+\d*)_' for jdoe42_exercise3.ipynb"
    try:
        regex = re.compile(pattern)
    except re.error as err:
        raise ValueError(f"--id-pattern {pattern!r} is not a regular expression ({err}); "
                         f"{example}") from err
    if "id" not in regex.groupindex:
        raise ValueError(f"--id-pattern {pattern!r} has no group named id; {example}")
    return regex


def student_id(path: Path, regex: re.Pattern[str] | None) -> tuple[str, str]:
    """The student id of a file, and a note when the pattern did not match its name (the id is
    then the file's stem)."""
    if regex is None:
        return path.stem, ""
    match = regex.search(path.stem)
    if match is None or not match.group("id"):
        return path.stem, f"the file name does not match --id-pattern, so the id is {path.stem}"
    return match.group("id"), ""


def declared_part(data: Any) -> str | None:
    """The exercise a notebook's metadata names (``metadata.dlvision.part``), or None."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    dl = metadata.get("dlvision") if isinstance(metadata, dict) else None
    part = dl.get("part") if isinstance(dl, dict) else None
    return part if isinstance(part, str) else None


def _screen(content: bytes, name: str) -> tuple[str, str, Any]:
    """What can be told of a file without running it: ("", "", its JSON) when it may be graded,
    else its status, why, and None. ``runner.read_notebook`` has the last word."""
    if not content.strip():
        return NOT_A_NOTEBOOK, f"{name} is empty; {_HINT}", None
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return NOT_A_NOTEBOOK, f"{name} is not valid JSON ({err}); {_HINT}", None
    version = data.get("nbformat") if isinstance(data, dict) else None
    if isinstance(version, int) and version != 4:
        return OTHER_VERSION, (f"{name} was saved as a version {version} notebook (nbformat "
                               f"{version}); the grader reads version 4: open it in Jupyter "
                               "or Colab and save it again"), None
    return "", "", data


def choose_part(declared: Sequence[str | None], part: str | None) -> str:
    """The batch's exercise: ``part`` if given, else the one most notebooks declare."""
    from .checks import get_part, part_ids

    if part is not None:
        return get_part(part).id  # an unknown one is a ValueError listing the known ones
    counts = Counter(p for p in declared if p in part_ids())
    ranked = counts.most_common()
    if not ranked:
        raise ValueError("no submission's metadata names its exercise: pass --part, one of "
                         f"{', '.join(part_ids())}")
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        tied = " and ".join(f"{p} ({n})" for p, n in ranked if n == ranked[0][1])
        raise ValueError(f"as many submissions answer {tied}: a batch grades one exercise; "
                         "pass --part, or grade each exercise's folder on its own")
    return ranked[0][0]


def grading_fingerprint() -> str:
    """A hash of the source of ``dlvision/grading/`` (the runner, the sandbox and every
    check): changing any of it makes the cached grades stale."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_key(sha256: str, part: str, timeout: float, deadline: float,
              fingerprint: str) -> str:
    """The name of a grade's cache entry: what the grade depends on, hashed."""
    text = json.dumps([sha256, part, timeout, deadline, dlvision.__version__, fingerprint])
    return hashlib.sha256(text.encode()).hexdigest()


def report_dict(report: Report) -> dict[str, Any]:
    """``report.to_dict()`` with the full feedback and, per question, the mistake alone
    (``CheckResult.mistake``): what the cache keeps, so that a cached grade can still be shown
    at any feedback level (``dlvision grade --feedback``)."""
    data = dataclasses.replace(report, feedback=FULL).to_dict()
    for question, verdict in zip(data["questions"], report.results, strict=True):
        question["mistake"] = verdict.mistake
    return data


def report_from_dict(data: dict[str, Any]) -> Report:
    """The ``Report`` that ``report_dict`` (or ``Report.to_dict``) wrote."""
    return Report(
        notebook=data["notebook"], part=data["part"],
        results=[CheckResult(q["id"], q["status"], q["points"], q["max_points"], q["feedback"],
                             q.get("mistake"))
                 for q in data["questions"]],
        cells=[CellRun(c["index"], c["status"], c["error"], c.get("first_line", ""))
               for c in data["cells"]],
        problems=list(data["problems"]), seconds=float(data["seconds"]))


def read_cached(entry: Path) -> Report | None:
    """The report in a cache entry, or None when there is none or it cannot be read."""
    try:
        return report_from_dict(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def grade_one(source: str, name: str, part: str, timeout: float, deadline: float,
              entry: str) -> dict[str, Any]:
    """Grade one submission as ``dlvision grade`` does, from a private copy named ``name``,
    and write its report to the cache ``entry`` (if ``cacheable``) before returning it (as
    ``to_dict``). Runs in a worker process: an exception is returned as ``{"error": ...}``,
    not raised."""
    from .runner import grade_notebook

    try:
        with tempfile.TemporaryDirectory(prefix="dlvision-submission-") as tmp:
            copy = Path(tmp, name)
            shutil.copyfile(source, copy)  # the kernel never learns where the class's files are
            report = grade_notebook(copy, timeout=timeout, deadline=deadline, part=part)
    except Exception as err:  # e.g. a kernel that could not start: not the student's fault
        return {"error": f"{type(err).__name__}: {err}"}
    data = report_dict(report)
    if cacheable(report):
        write_text_atomic(entry, json.dumps(data, ensure_ascii=False))
    return data


def cacheable(report: Report) -> bool:
    """Whether a grade depends on the submission alone: not when a time limit cut a cell, the
    notebook or an answer short, since that also depends on how busy the machine was. Such a
    grade is run again by the next batch."""
    return (all(r.status != TIMEOUT for r in report.results)
            and all(c.status not in ("timeout", NOT_RUN) for c in report.cells))


def status_of(report: Report) -> tuple[str, str]:
    """The status of a graded submission, and why, from the cells its report lists."""
    died = [c for c in report.cells if c.status == "kernel died"]
    not_run = [c for c in report.cells if c.status == NOT_RUN]
    if not_run:
        return DEADLINE_REACHED, (f"the deadline was reached before cell {not_run[0].index}: "
                                  f"{len(not_run)} code cells were not run")
    if died:
        return KERNEL_DIED, ("the kernel died in cell " + ", ".join(str(c.index) for c in died)
                             + "; the answers saved before it were graded")
    return GRADED, ""


def _share_cores(threads: int) -> None:
    """In a worker: its kernel's and sandbox's torch get ``threads`` threads (cores / jobs),
    unless the user said otherwise; more threads than cores only compete."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))


def grade_batch(paths: Sequence[str | Path], out: str | Path, *, part: str | None = None,
                id_pattern: str | None = None, jobs: int | None = None,
                timeout: float | None = None, deadline: float | None = None,
                progress: Callable[[Submission], None] | None = None,
                grader: Callable[..., dict[str, Any]] = grade_one) -> Batch:
    """Grade every notebook of ``paths`` (files, or folders searched for ``*.ipynb``).

    Parameters
    ----------
    out : the results folder; its ``.cache/grades/`` keeps each grade as it finishes.
    part : the exercise; None: the one most submissions' metadata name.
    id_pattern : a regular expression with a group ``id``, searched in each file's stem.
    jobs : submissions graded at once, each in worker process (default: the cores); 1 grades
        in this process.
    timeout, deadline : as for ``grade_notebook`` (seconds per cell, per notebook).
    progress : called with each submission once it has its status, cached ones included.
    grader : ``grade_one`` or a stand-in with its signature (tests).

    With ``jobs`` > 1 the workers are spawned processes, which import the caller's main
    module: a script that calls this needs the ``if __name__ == "__main__":`` guard (else every
    submission is a "grader error").

    Nothing under ``paths`` is ever written. Ctrl-C stops the batch: the grades finished by
    then stay in the cache and the ``Batch`` says ``interrupted``.
    """
    from .runner import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, NotANotebookError, read_notebook

    started = time.monotonic()
    progress = progress or (lambda sub: None)
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    deadline = DEFAULT_DEADLINE if deadline is None else deadline
    jobs = jobs or os.cpu_count() or 1
    regex = id_regex(id_pattern)
    out = Path(out)
    files = find_submissions(paths, out)

    submissions, screened = [], []
    for path in files:
        content = path.read_bytes()
        ident, note = student_id(path, regex)
        sub = Submission(path, ident, hashlib.sha256(content).hexdigest(), detail=note)
        status, why, data = _screen(content, path.name)
        if status:
            sub.status, sub.detail = status, why
        else:
            try:
                read_notebook(path)  # nbformat's own validation, as `dlvision grade` does
            except NotANotebookError as err:
                sub.status, sub.detail, data = NOT_A_NOTEBOOK, str(err), None
        submissions.append(sub)
        screened.append(declared_part(data) if data is not None else None)
    batch_part = choose_part([d for s, d in zip(submissions, screened, strict=True)
                              if not s.status], part)
    by_id: dict[str, list[Submission]] = {}
    for sub, declared in zip(submissions, screened, strict=True):
        by_id.setdefault(sub.id, []).append(sub)
        if not sub.status and declared is not None and declared != batch_part:
            sub.status = WRONG_EXERCISE
            sub.detail = (f"{sub.path.name} is exercise {declared} (its metadata says so); this "
                          f"batch grades {batch_part}")
    for same in by_id.values():
        for sub in same if len(same) > 1 else ():
            sub.duplicates = [o.path.name for o in same if o is not sub]

    fingerprint = grading_fingerprint()
    cache = out / CACHE
    waiting: dict[str, list[Submission]] = {}  # cache key → submissions with those bytes
    for sub in submissions:
        if sub.status:
            progress(sub)
            continue
        key = cache_key(sub.sha256, batch_part, timeout, deadline, fingerprint)
        report = read_cached(cache / f"{key}.json")
        if report is not None:
            _finish(sub, report, cached=True)
            progress(sub)
        else:
            waiting.setdefault(key, []).append(sub)

    batch = Batch(batch_part, submissions)

    def done(key: str, data: dict[str, Any]) -> None:
        batch.graded_now += "error" not in data
        for sub in waiting[key]:
            if "error" in data:
                sub.status, sub.detail = GRADER_ERROR, (f"the grader failed: {data['error']}; "
                                                        "run the batch again")
            else:
                _finish(sub, report_from_dict(data), cached=False)
            progress(sub)

    def arguments(key: str) -> tuple:
        first = waiting[key][0]
        return (str(first.path), first.path.name, batch_part, timeout, deadline,
                str(cache / f"{key}.json"))

    cache.mkdir(parents=True, exist_ok=True)
    try:
        if jobs == 1 or len(waiting) <= 1:
            for key in waiting:
                done(key, grader(*arguments(key)))
        else:
            workers = min(jobs, len(waiting))
            # Spawned, not forked: a fork of a process that has loaded torch may hang.
            with concurrent.futures.ProcessPoolExecutor(
                    workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_share_cores,
                    initargs=(max(1, (os.cpu_count() or 1) // workers),)) as pool:
                futures = {pool.submit(grader, *arguments(key)): key for key in waiting}
                try:
                    for future in concurrent.futures.as_completed(futures):
                        try:
                            data = future.result()
                        except Exception as err:  # a worker killed (memory?): the pool breaks
                            data = {"error": f"{type(err).__name__}: {err}"}
                        done(futures[future], data)
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    except KeyboardInterrupt:
        batch.interrupted = True
    batch.seconds = time.monotonic() - started
    return batch


def _finish(sub: Submission, report: Report, *, cached: bool) -> None:
    sub.report, sub.cached = report, cached
    status, why = status_of(report)
    sub.status = status
    sub.detail = "; ".join(text for text in (why, sub.detail) if text)

