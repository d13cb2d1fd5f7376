"""``dlvision grade``: run a copy of a notebook, save its answers as it goes, check them.

``grade_notebook(path)`` reads the notebook (a file that is not one is a ``NotANotebookError``),
finds its exercise and executes it cell by cell in a fresh kernel in the mini profile, with a
time limit per cell and a deadline for the whole notebook, recording the cells that raise, time
out, kill the kernel or are never reached, and going on with the next ones.

After every cell, each name the exercise asks for that the cell defined, changed or deleted is
saved: a *version* of the answer, serialized in the kernel with cloudpickle. So what a later
cell does (kill the kernel, ``exit``, hang, redefine or delete the answer) never loses an answer
written before it. A sandbox process then tries the versions of each answer on the checks'
inputs, newest first, until one passes, and the grader decides on what they returned (see the trust
model in ``dlvision/grading/__init__.py``); the feedback names a later cell that replaced or
deleted the answer graded. The file itself is only ever read.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync

from .checks import get_part, part_ids
from .decide import decide
from .question import (
    ERROR,
    GRADER_ENV,
    MISSING,
    TIMEOUT,
    CheckResult,
    Part,
    Question,
    chain_note,
    result,
)
from .report import NOT_RUN, CellRun, Report
from .sandbox import Sandbox, SandboxCrash, SandboxTimeout

DEFAULT_TIMEOUT = 120.0  # seconds per cell
SETUP_TIMEOUT = 60.0  # the least a cell that imports gets: torch alone takes seconds to load
DEFAULT_DEADLINE = 600.0  # seconds for the whole notebook, kernel start included
# The most one version of an answer gets on a check's inputs: a right one takes well under a
# second on them, they are tiny.
ANSWER_TIMEOUT = 20.0
MAX_VERSIONS = 3  # versions of one answer tried, newest first
RECOVER_TIMEOUT = 10.0  # seconds an interrupted kernel has to become responsive again
SAVE_TIMEOUT = 30.0  # seconds for saving the answers after a cell
STARTUP_TIMEOUT = 120.0  # seconds for the kernel to start
_TIMED_OUT = "dlvision-cell-timeout"  # marks the reply nbclient makes up for a timed-out cell
_IMPORTS = re.compile(r"^[ \t]*(?:import|from)[ \t]+\w", re.MULTILINE)
# What a restart costs, said wherever the kernel had to be restarted.
_RESTARTED = ("the answers saved before it are still graded, but the cells after it run "
              "without what earlier cells defined")

# The statuses of a version of an answer.
SAVED = "saved"  # its pickle is in the answers folder
UNPICKLABLE = "unpicklable"  # cloudpickle could not serialize it
DELETED = "deleted"  # the cell removed the name

_LOG = logging.getLogger("dlvision.grading.kernel")
_LOG.addHandler(logging.NullHandler())  # nbclient logs timeouts; the report says it better
_LOG.propagate = False

# Runs in the student's kernel after each cell: save each graded name whose value is not the
# object saved last (by value, so that the sandbox needs nothing from the notebook), and list
# what changed. The objects saved are kept alive in a module of their own, so that a new object
# cannot take the id of a freed one and pass for it.
_SAVE = """\
def _dlvision_save(names, folder, tag, everything):
    import json
    import pathlib
    import sys
    import types

    import cloudpickle

    store = sys.modules.setdefault("_dlvision_saved", types.ModuleType("_dlvision_saved"))
    last = store.__dict__.setdefault("last", {{}})
    namespace = globals()
    changes = {{}}
    for name in names:
        if name not in namespace:
            if last.pop(name, None) is not None:
                changes[name] = {{"status": "deleted"}}
            continue
        value = namespace[name]
        if name in last and last[name] is value and not everything:
            continue
        last[name] = value
        try:
            data = cloudpickle.dumps(value)
        except Exception as err:
            changes[name] = {{"status": "unpicklable", "error": f"{{type(err).__name__}}: {{err}}"}}
            continue
        file = f"{{name}}.{{tag}}.pickle"
        pathlib.Path(folder, file).write_bytes(data)
        changes[name] = {{"status": "saved", "file": file}}
    pathlib.Path(folder, f"changes.{{tag}}.json").write_text(json.dumps(changes))


_dlvision_save({names!r}, {folder!r}, {tag!r}, {everything!r})
del _dlvision_save
"""


class NotANotebookError(ValueError):
    """The file to grade is not a Jupyter notebook."""


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``; ``NotANotebookError`` saying why when it is not one."""
    hint = "submit the .ipynb file that Jupyter or Colab saves (File › Download › .ipynb)"
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise NotANotebookError(f"{path} is not a Jupyter notebook: it is not UTF-8 text "
                                f"({err.reason} at byte {err.start}); {hint}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotANotebookError(f"{path} is not a Jupyter notebook: it is not valid JSON "
                                f"({err.msg}, line {err.lineno} column {err.colno}); {hint}"
                                ) from err
    if not isinstance(data, dict) or not {"nbformat", "cells"} <= data.keys():
        raise NotANotebookError(f"{path} is not a Jupyter notebook: it is JSON without the "
                                f"'nbformat' and 'cells' of a notebook; {hint}")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as err:  # JSON that is not a notebook: nbformat's errors vary
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NotANotebookError(f"{path} is not a Jupyter notebook: {first}; {hint}") from err
    return notebook


def find_part(notebook: nbformat.NotebookNode, path: Path, part: str | None = None) -> Part:
    """The exercise a notebook answers: ``part`` if given, else the notebook's metadata
    (``metadata.dlvision.part``), else a part id found in the file name."""
    if part is not None:
        return get_part(part)
    declared = notebook.metadata.get("dlvision", {}).get("part")
    if declared in part_ids():
        return get_part(declared)
    named = [p for p in part_ids() if p in Path(path).stem]
    if len(named) == 1:
        return get_part(named[0])
    raise ValueError(f"cannot tell which exercise {Path(path).name} answers: its metadata names "
                     f"none and its file name contains none of {', '.join(part_ids())}; pass "
                     "--part")


def _first_line(cell) -> str:
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if len(first) <= 60 else first[:59] + "…"


def cell_limit(cell, timeout: float) -> float:
    """Seconds a code cell may run: ``timeout``, but at least ``SETUP_TIMEOUT`` for a cell that
    imports, so that a short ``--timeout`` never cuts the setup cell that loads torch."""
    return max(timeout, SETUP_TIMEOUT) if _IMPORTS.search(cell.source) else timeout


class _Kernel:
    """A kernel that runs a notebook's cells one at a time and survives what they do to it."""

    def __init__(self, notebook: nbformat.NotebookNode, *, workdir: Path):
        self._reply: dict = {}
        self._limit = DEFAULT_TIMEOUT  # seconds for the cell being run
        # On a timeout nbclient interrupts the kernel and hands back this reply instead of the
        # kernel's, so that a timed-out cell is told apart from one that raised. Its `timeout`
        # is a whole number of seconds; `timeout_func` may give any.
        self.client = NotebookClient(
            notebook, timeout_func=lambda cell: self._limit, kernel_name="python3",
            allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMED_OUT, "evalue": ""}, startup_timeout=STARTUP_TIMEOUT,
            shutdown_kernel="immediate", log=_LOG,
            on_cell_executed=self._keep_reply, resources={"metadata": {"path": str(workdir)}})

    def _keep_reply(self, cell, cell_index, execute_reply) -> None:
        self._reply = (execute_reply or {}).get("content", {})

    def running(self):
        env = dict(os.environ, DLVISION_PROFILE="mini", MPLBACKEND="agg", **{GRADER_ENV: "1"})
        # The kernel's own stdout and stderr: its start-up warnings, not the cells' outputs.
        return self.client.setup_kernel(env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

    def _restart(self) -> None:
        run_sync(self.client.km.restart_kernel)(now=True)
        run_sync(self.client.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)

    def _execute(self, code: str, timeout: float) -> dict | None:
        """Run the grader's own code (not a cell of the notebook); the content of the kernel's
        reply, or None when it did not reply in time or died."""
        kc = self.client.kc
        msg_id = kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = run_sync(kc.shell_channel.get_msg)(timeout=min(remaining, 1.0))
            except queue.Empty:
                if not run_sync(self.client.km.is_alive)():  # no reply is coming
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:  # not a late reply to a cell
                return msg["content"]
        return None

    def _responsive(self) -> bool:
        """Whether the kernel, just interrupted, runs code again; restarted when it does not."""
        if self._execute("pass", RECOVER_TIMEOUT) is not None:
            return True
        self._restart()
        return False

    def run(self, cell, index: int, limit: float, interrupted: str) -> CellRun | None:
        """Run one code cell for at most ``limit`` seconds; None if it ran cleanly, else what
        went wrong. ``interrupted`` says why a cell still running at ``limit`` was stopped."""
        first = _first_line(cell)
        self._reply = {}
        self._limit = limit
        try:
            self.client.execute_cell(cell, index)
        except DeadKernelError:
            self._restart()
            return CellRun(index + 1, "kernel died", "the kernel died (os._exit, a crash, or "
                           f"out of memory) and was restarted: {_RESTARTED}", first)
        if self._reply.get("ename") == _TIMED_OUT:
            if not self._responsive():  # it ignores interrupts
                interrupted += f"; it did not stop, so the kernel was restarted: {_RESTARTED}"
            return CellRun(index + 1, "timeout", interrupted, first)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return CellRun(index + 1, "error", f"{output.ename}: {output.evalue}", first)
        return None

    def save(self, names: Sequence[str], folder: Path, tag: str, *,
             everything: bool = False) -> str | None:
        """Save into ``folder`` each of ``names`` that changed since it was last saved (all of
        them with ``everything``), as ``<name>.<tag>.pickle``, and list the changes in
        ``changes.<tag>.json``. None if that worked, else why not."""
        code = _SAVE.format(names=list(names), folder=str(folder), tag=tag,
                            everything=everything)
        reply = self._execute(code, SAVE_TIMEOUT)
        if reply is None:  # serializing an answer hung or killed the kernel
            if run_sync(self.client.km.is_alive)():
                run_sync(self.client.km.interrupt_kernel)()
                if self._execute("pass", RECOVER_TIMEOUT) is not None:
                    return f"it took longer than {SAVE_TIMEOUT:g} s and was interrupted"
            self._restart()
            return f"the kernel died or hung; it was restarted: {_RESTARTED}"
        if reply.get("status") != "ok":
            return f"{reply.get('ename')}: {reply.get('evalue')}"
        return None


@dataclass(frozen=True)
class Version:
    """A value that a graded name took in the notebook, saved right after the cell that gave it.

    status : ``SAVED`` (its pickle is ``file``), ``UNPICKLABLE`` (``error`` says why) or
        ``DELETED``.
    cell : the 1-based index of that cell among the notebook's cells; None for the value at the
        end of the notebook, kept only when it differs from the last cell's (a name the answer
        uses was changed later).
    first_line : that cell's first line, to find it in the notebook.
    """

    status: str
    cell: int | None = None
    first_line: str = ""
    file: str = ""
    error: str = ""

    def where(self) -> str:
        if self.cell is None:
            return "the end of the notebook"
        return f"cell {self.cell}" + (f" (`{self.first_line}`)" if self.first_line else "")


def _changes(folder: Path, tag: str, names: Sequence[str], cell: int | None,
             first_line: str) -> dict[str, Version]:
    """The versions that saving after a cell (or at the end) wrote. The kernel wrote them, so
    trust nothing: a version counts as saved only when its file is there."""
    try:
        found = json.loads((folder / f"changes.{tag}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    versions = {}
    for name in names:
        entry = found.get(name)
        status = entry.get("status") if isinstance(entry, dict) else None
        file = f"{name}.{tag}.pickle"
        if status == SAVED and (folder / file).is_file():
            versions[name] = Version(SAVED, cell, first_line, file=file)
        elif status == UNPICKLABLE:
            versions[name] = Version(UNPICKLABLE, cell, first_line,
                                     error=str(entry.get("error", ""))[:500])
        elif status == DELETED:
            versions[name] = Version(DELETED, cell, first_line)
    return versions


def _same(folder: Path, a: Version, b: Version) -> bool:
    """Whether two versions hold the same value: the same pickle, or both unpicklable."""
    if a.status != b.status:
        return False
    if a.status != SAVED:
        return True
    return (folder / a.file).read_bytes() == (folder / b.file).read_bytes()


def _run_notebook(notebook: nbformat.NotebookNode, names: Sequence[str], *, workdir: Path,
                  answers: Path, timeout: float, deadline: float, started: float
                  ) -> tuple[list[CellRun], list[str], dict[str, list[Version]]]:
    """Run the notebook's code cells, saving the answers after each; the cells that went
    wrong, the problems of the grader itself, and each name's versions in the notebook's
    order."""
    kernel = _Kernel(notebook, workdir=workdir)
    cells: list[CellRun] = []
    problems: list[str] = []
    history: dict[str, list[Version]] = {name: [] for name in names}

    def save(tag: str, cell: int | None, first_line: str = "", everything: bool = False):
        failure = kernel.save(names, answers, tag, everything=everything)
        if failure is not None:
            where = f"after cell {cell}" if cell is not None else "at the end of the notebook"
            problems.append(f"the answers could not be saved {where}: {failure}")
        for name, version in _changes(answers, tag, names, cell, first_line).items():
            if cell is None and history[name] and _same(answers, history[name][-1], version):
                continue  # the end of the notebook left it as its last cell did
            history[name].append(version)

    with kernel.running():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            left = started + deadline - time.monotonic()
            if left <= 0:
                cells.append(CellRun(index + 1, NOT_RUN, f"the notebook's deadline of "
                                     f"{deadline:g} s was reached before it", _first_line(cell)))
                continue
            limit = cell_limit(cell, timeout)
            interrupted = f"ran longer than {limit:g} s and was interrupted"
            if left < limit:
                limit = left
                interrupted = (f"was still running when the notebook's deadline of "
                               f"{deadline:g} s was reached, and was interrupted")
            problem = kernel.run(cell, index, limit, interrupted)
            if problem is not None:
                cells.append(problem)
            save(f"cell{index + 1}", index + 1, _first_line(cell))
        save("end", None, everything=True)
    return cells, problems, history


# --- checking the answers -------------------------------------------------------------------


def write_manifest(folder: Path, history: dict[str, list[Version]]) -> None:
    """Record each name's versions in ``folder/manifest.json``, for ``grade_answers``."""
    data = {name: [asdict(v) for v in versions] for name, versions in history.items()}
    (Path(folder) / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def read_manifest(folder: Path, names: Sequence[str]) -> dict[str, list[Version]]:
    """Each name's versions, as ``write_manifest`` recorded them; a name whose entry cannot be
    read has none, and a saved version counts only when its file is in ``folder``."""
    try:
        found = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = {}
    found = found if isinstance(found, dict) else {}
    history: dict[str, list[Version]] = {}
    for name in names:
        entries = found.get(name)
        history[name] = []
        for entry in entries if isinstance(entries, list) else []:
            try:
                version = Version(**entry)
            except TypeError:  # not a dict of Version's fields
                continue
            if version.status in (UNPICKLABLE, DELETED) or (
                    version.status == SAVED and version.file == Path(version.file).name
                    and (Path(folder) / version.file).is_file()):
                history[name].append(version)
    return history


def _check_version(question: Question, version: Version, sandbox: Sandbox,
                   time_limit: float) -> CheckResult:
    """The verdict on one version of an answer; whatever the answer does, it never raises."""
    name = question.name
    if version.status == UNPICKLABLE:
        return result(question, ERROR,
                      f"`{name}` could not be passed to the grader: {version.error}")
    try:
        observation = sandbox.observe(question.id, file=version.file, time_limit=time_limit)
    except SandboxTimeout:
        return result(question, TIMEOUT, f"`{name}` ran longer than {time_limit:g} s on the "
                      "check's inputs and was stopped (an endless loop?)")
    except SandboxCrash as err:
        return result(question, ERROR, f"running `{name}` on the check's inputs failed: {err}")
    except Exception as err:  # what came back was not the observations format
        return result(question, ERROR, f"what `{name}` returned could not be read "
                      f"({type(err).__name__}: {err})")
    try:
        return decide(question, observation)
    except Exception as err:
        return result(question, ERROR, f"what `{name}` returned could not be judged "
                      f"({type(err).__name__}: {err})")


def _history_note(name: str, history: list[Version], graded: Version,
                  verdicts: dict[Version, CheckResult]) -> str:
    """What the feedback adds about the answer's other versions: the later cells that
    replaced or deleted the version graded, or the earlier versions that fail too."""
    later = history[history.index(graded) + 1:]
    if not later:
        others = [v.where() for v in verdicts if v is not graded]
        if not others:
            return ""
        untried = sum(v.status != DELETED for v in history) - len(verdicts)
        return (f"the earlier versions of `{name}`, left by {' and '.join(others)}, do not "
                "pass either" + (f" ({untried} older ones were not tried)" if untried else ""))
    changes = []
    for version in later:
        if version.status == DELETED:
            changes.append(f"{version.where()} deleted it")
        elif version.status == UNPICKLABLE:
            changes.append(f"{version.where()} replaced it with a value the grader cannot "
                           f"load ({version.error})")
        elif version.cell is None:
            changes.append("it had changed by the end of the notebook (a name it uses was "
                           "redefined by a later cell)")
        else:
            verdict = verdicts.get(version)
            changes.append(f"{version.where()} replaced it"
                           + (f", and that version does not pass ({verdict.status})"
                              if verdict is not None else ""))
    passed = verdicts[graded].passed
    return (f"graded: `{name}` as {graded.where()} left it"
            + (", which passes" if passed else "") + "; later, " + "; ".join(changes)
            + (": keep the right version in your notebook" if passed else ""))


def _grade_question(question: Question, history: list[Version], sandbox: Sandbox,
                    time_limit: float, missing_note: str = "") -> CheckResult:
    """The verdict on one question: its versions are tried newest first, and the first that
    passes earns the points; if none does, the newest one's verdict. Never raises."""
    name = question.name
    values = [v for v in history if v.status != DELETED]
    if not values:
        message = (f"the notebook does not define `{name}` (check its spelling, and that the "
                   "cell defining it ran without error)")
        return result(question, MISSING, message + (f"; {missing_note}" if missing_note else ""))
    verdicts: dict[Version, CheckResult] = {}
    for version in values[::-1][:MAX_VERSIONS]:
        verdicts[version] = _check_version(question, version, sandbox, time_limit)
        if verdicts[version].passed:
            break
    passing = [v for v, verdict in verdicts.items() if verdict.passed]
    graded = passing[0] if passing else values[-1]
    verdict = verdicts[graded]
    return verdict.noted(_history_note(name, history, graded, verdicts))


def grade_answers(exercise: Part, folder: Path, *, time_limit: float = ANSWER_TIMEOUT,
                  sandbox: Sandbox | None = None, missing_note: str = "") -> list[CheckResult]:
    """Check the answers saved in ``folder`` (``manifest.json`` and their pickles), each
    version in a sandbox process with ``time_limit`` seconds; one result per question of
    ``exercise``. ``missing_note`` is added to the feedback of an answer never defined. An
    answer checked with the course's versions of other answers (``Question.uses``) is told
    which of the student's own to fix first (``chain_note``)."""
    history = read_manifest(Path(folder), [q.name for q in exercise.questions])

    def grade_all(box: Sandbox) -> list[CheckResult]:
        results = [_grade_question(q, history[q.name], box, time_limit, missing_note)
                   for q in exercise.questions]
        by_name = {q.name: r for q, r in zip(exercise.questions, results, strict=True)}
        return [r.noted(chain_note(r, by_name)) for r in results]

    if sandbox is not None:
        return grade_all(sandbox)
    with Sandbox(folder, part=exercise.id) as own:
        return grade_all(own)


def grade_notebook(path: str | Path, *, timeout: float = DEFAULT_TIMEOUT,
                   deadline: float = DEFAULT_DEADLINE, part: str | None = None,
                   executed: str | Path | None = None) -> Report:
    """Grade the notebook at ``path`` and return the report; the file is never written.

    Parameters
    ----------
    path : the notebook (.ipynb) to grade.
    timeout : seconds each cell may run (a cell that imports gets at least ``SETUP_TIMEOUT``);
        an answer gets at most ``min(timeout, ANSWER_TIMEOUT)`` on the checks' inputs.
    deadline : seconds for running the whole notebook, kernel start included; the cells left
        when it is reached are reported as not run. Checking the answers comes after it.
    part : the exercise id (e.g. "0-getting-started"); None reads it from the notebook's
        metadata, else from its file name.
    executed : where to save the executed copy, with its outputs (None: nowhere).
    """
    started = time.monotonic()
    path = Path(path)
    if executed is not None and Path(executed).resolve() == path.resolve():
        raise ValueError(f"--executed {executed} would overwrite the graded notebook; "
                         "choose another file")
    notebook = read_notebook(path)
    exercise = find_part(notebook, path, part)
    names = [q.name for q in exercise.questions]
    with tempfile.TemporaryDirectory(prefix="dlvision-grade-") as tmp:
        workdir, answers = Path(tmp, "run"), Path(tmp, "answers")
        workdir.mkdir()
        answers.mkdir()
        shutil.copyfile(path, workdir / path.name)  # the kernel works beside a copy
        with Sandbox(answers, part=exercise.id) as sandbox:
            sandbox.start()  # it imports torch while the notebook runs
            cells, problems, history = _run_notebook(
                notebook, names, workdir=workdir, answers=answers, timeout=timeout,
                deadline=deadline, started=started)
            write_manifest(answers, history)
            not_run = [c.index for c in cells if c.status == NOT_RUN]
            missing_note = (f"the deadline was reached before cell {not_run[0]}, so the cells "
                            "from there on were not run" if not_run else "")
            results = grade_answers(exercise, answers, time_limit=min(timeout, ANSWER_TIMEOUT),
                                    sandbox=sandbox, missing_note=missing_note)
    if executed is not None:
        nbformat.write(notebook, str(executed))
    return Report(notebook=path.name, part=exercise.id, results=results, cells=cells,
                  problems=problems, seconds=time.monotonic() - started)
