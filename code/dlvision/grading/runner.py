"""``dlvision grade``: run a copy of a notebook, collect its answers, check them.

``grade_notebook(path)`` reads the notebook (a file that is not one is a ``NotANotebookError``),
finds its exercise, executes it cell by cell in a fresh kernel in the mini profile, with a time
limit per cell, recording the cells that raise, time out or kill the kernel and going on with
the next ones. It then serializes the names the exercise asks for, has a sandbox process try
them on the checks' inputs, and judges what they returned (see the trust model in
``dlvision/grading/__init__.py``). The file itself is only ever read.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync

from .checks import get_part, part_ids
from .judge import judge
from .question import ERROR, MISSING, TIMEOUT, CheckResult, Part, Question, result
from .report import CellRun, Report
from .sandbox import Sandbox, SandboxCrash, SandboxTimeout, answer_path

DEFAULT_TIMEOUT = 120.0  # seconds per cell, and per question when the answers are checked
RECOVER_TIMEOUT = 10.0  # seconds an interrupted kernel has to become responsive again
STARTUP_TIMEOUT = 120.0  # seconds for the kernel to start
_TIMED_OUT = "dlvision-cell-timeout"  # marks the reply nbclient makes up for a timed-out cell

_LOG = logging.getLogger("dlvision.grading.kernel")
_LOG.addHandler(logging.NullHandler())  # nbclient logs timeouts; the report says it better
_LOG.propagate = False

# Runs in the student's kernel after the notebook: serialize each name the exercise asks for
# (by value, so that the sandbox needs nothing from the notebook), and say what was found.
_COLLECT = """\
def _dlvision_collect(names, folder, namespace):
    import json
    import pathlib

    import cloudpickle

    found = {{}}
    for name in names:
        if name not in namespace:
            found[name] = {{"status": "missing"}}
            continue
        try:
            data = cloudpickle.dumps(namespace[name])
        except Exception as err:
            found[name] = {{"status": "unpicklable", "error": f"{{type(err).__name__}}: {{err}}"}}
            continue
        pathlib.Path(folder, name + ".pickle").write_bytes(data)
        found[name] = {{"status": "saved"}}
    pathlib.Path(folder, "manifest.json").write_text(json.dumps(found))


_dlvision_collect({names!r}, {folder!r}, globals())
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


class _Kernel:
    """A kernel that runs a notebook's cells one at a time and survives what they do to it."""

    def __init__(self, notebook: nbformat.NotebookNode, *, workdir: Path, timeout: float):
        self.timeout = timeout
        self._reply: dict = {}
        # On a timeout nbclient interrupts the kernel and hands back this reply instead of the
        # kernel's, so that a timed-out cell is told apart from one that raised.
        self.client = NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
            interrupt_on_timeout=True, error_on_timeout={"ename": _TIMED_OUT, "evalue": ""},
            startup_timeout=STARTUP_TIMEOUT, shutdown_kernel="immediate", log=_LOG,
            on_cell_executed=self._keep_reply, resources={"metadata": {"path": str(workdir)}})

    def _keep_reply(self, cell, cell_index, execute_reply) -> None:
        self._reply = (execute_reply or {}).get("content", {})

    def running(self):
        env = dict(os.environ, DLVISION_PROFILE="mini", MPLBACKEND="agg")
        # The kernel's own stdout and stderr: its start-up warnings, not the cells' outputs.
        return self.client.setup_kernel(env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

    def _restart(self) -> None:
        run_sync(self.client.km.restart_kernel)(now=True)
        run_sync(self.client.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)

    def _execute(self, code: str, timeout: float) -> dict | None:
        """Run the grader's own code (not a cell of the notebook); the content of the kernel's
        reply, or None when it did not reply in time."""
        kc = self.client.kc
        msg_id = kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = run_sync(kc.shell_channel.get_msg)(timeout=remaining)
            except queue.Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:  # not a late reply to a cell
                return msg["content"]
        return None

    def run(self, cell, index: int) -> CellRun | None:
        """Run one code cell; None if it ran cleanly, else what went wrong."""
        first = _first_line(cell)
        self._reply = {}
        try:
            self.client.execute_cell(cell, index)
        except DeadKernelError:
            self._restart()
            return CellRun(index + 1, "kernel died",
                           "the kernel died (os._exit, a crash, or out of memory); it was "
                           "restarted, so what earlier cells defined is lost", first)
        if self._reply.get("ename") == _TIMED_OUT:
            message = f"ran longer than {self.timeout:g} s and was interrupted"
            if self._execute("pass", RECOVER_TIMEOUT) is None:  # it ignores interrupts
                self._restart()
                message += "; it did not stop, so the kernel was restarted and what earlier " \
                           "cells defined is lost"
            return CellRun(index + 1, "timeout", message, first)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return CellRun(index + 1, "error", f"{output.ename}: {output.evalue}", first)
        return None

    def collect(self, names: Sequence[str], folder: Path) -> str | None:
        """Serialize ``names`` into ``folder``; None if that worked, else why not."""
        code = _COLLECT.format(names=list(names), folder=str(folder))
        reply = self._execute(code, max(self.timeout, RECOVER_TIMEOUT))
        if reply is None:
            return "the kernel did not answer (still busy, or dead)"
        if reply.get("status") != "ok":
            return f"{reply.get('ename')}: {reply.get('evalue')}"
        return None


def _saved_answers(folder: Path, names: Sequence[str]) -> dict[str, dict]:
    """What the collecting cell found, per name; it ran in the student's kernel, so trust
    nothing: an entry counts as saved only when its file is there."""
    try:
        found = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = {}
    if not isinstance(found, dict):
        found = {}
    saved = {}
    for name in names:
        entry = found.get(name)
        entry = entry if isinstance(entry, dict) else {}
        if entry.get("status") == "saved" and answer_path(folder, name).is_file():
            saved[name] = {"status": "saved"}
        elif entry.get("status") == "unpicklable":
            saved[name] = {"status": "unpicklable", "error": str(entry.get("error", ""))[:500]}
        else:
            saved[name] = {"status": "missing"}
    return saved


def _grade_question(question: Question, saved: dict, sandbox: Sandbox,
                    time_limit: float) -> CheckResult:
    """The verdict on one question; whatever the answer does, it never raises."""
    name = question.name
    entry = saved[name]
    if entry["status"] == "missing":
        return result(question, MISSING,
                      f"the notebook does not define `{name}` (check its spelling, and that "
                      "the cell defining it ran without error)")
    if entry["status"] == "unpicklable":
        return result(question, ERROR,
                      f"`{name}` could not be passed to the grader: {entry['error']}")
    try:
        observation = sandbox.observe(question.id, time_limit=time_limit)
    except SandboxTimeout:
        return result(question, TIMEOUT, f"`{name}` ran longer than {time_limit:g} s on the "
                      "check's inputs and was stopped (an endless loop?)")
    except SandboxCrash as err:
        return result(question, ERROR, f"running `{name}` on the check's inputs failed: {err}")
    except Exception as err:  # what came back was not the observations format
        return result(question, ERROR, f"what `{name}` returned could not be read "
                      f"({type(err).__name__}: {err})")
    try:
        return judge(question, observation)
    except Exception as err:
        return result(question, ERROR, f"what `{name}` returned could not be judged "
                      f"({type(err).__name__}: {err})")


def grade_answers(exercise: Part, folder: Path, *, time_limit: float = DEFAULT_TIMEOUT,
                  sandbox: Sandbox | None = None) -> list[CheckResult]:
    """Check the answers saved in ``folder`` (``manifest.json`` and one pickle per name), each
    in a sandbox process with ``time_limit`` seconds; one result per question of ``exercise``.
    """
    saved = _saved_answers(Path(folder), [q.name for q in exercise.questions])
    if sandbox is not None:
        return [_grade_question(q, saved, sandbox, time_limit) for q in exercise.questions]
    with Sandbox(folder, part=exercise.id) as own:
        return [_grade_question(q, saved, own, time_limit) for q in exercise.questions]


def grade_notebook(path: str | Path, *, timeout: float = DEFAULT_TIMEOUT,
                   part: str | None = None, executed: str | Path | None = None) -> Report:
    """Grade the notebook at ``path`` and return the report; the file is never written.

    Parameters
    ----------
    path : the notebook (.ipynb) to grade.
    timeout : seconds each cell may run, and each question's answer on the check's inputs.
    part : the exercise id (e.g. "0-getting-started"); None reads it from the notebook's
        metadata, else from its file name.
    executed : where to save the executed copy, with its outputs (None: nowhere).
    """
    start = time.monotonic()
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
            kernel = _Kernel(notebook, workdir=workdir, timeout=timeout)
            cells, problems = [], []
            with kernel.running():
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type == "code" and cell.source.strip():
                        problem = kernel.run(cell, index)
                        if problem is not None:
                            cells.append(problem)
                failure = kernel.collect(names, answers)
            if failure is not None:
                problems.append(f"the answers could not be collected from the notebook's "
                                f"kernel: {failure}")
            results = grade_answers(exercise, answers, time_limit=timeout, sandbox=sandbox)
    if executed is not None:
        nbformat.write(notebook, str(executed))
    return Report(notebook=path.name, part=exercise.id, results=results, cells=cells,
                  problems=problems, seconds=time.monotonic() - start)
