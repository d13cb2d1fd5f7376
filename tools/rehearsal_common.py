"""What the Colab and the Binder rehearsals share: fresh environments, checks' verdicts, memory.

``tools/rehearse_notebooks.py`` (Colab) and ``tools/rehearse_binder.py`` (Binder, in a browser)
both build a fresh virtual environment, run every solution notebook in a kernel of it, read
the checks' verdicts from the outputs and measure the kernel's peak memory. The helpers here
are plain functions over paths and strings, so that ``tests/test_rehearsal_tools.py`` can test
the parts that decide pass or fail without building anything.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "_build"
# What Colab already has and the course needs (issue 20): the rehearsal starts from these only.
COLAB_PACKAGES = (
    "torch", "torchvision", "scikit-learn", "matplotlib", "numpy", "ipywidgets", "tqdm",
    "pillow", "nbformat", "nbclient", "ipykernel", "pyyaml", "cloudpickle", "requests",
)
# Binder gives a notebook about this much memory; an exercise must fit in it.
BINDER_MEMORY = 2 * 1024**3
GiB = 1024**3

# `check("normalize", imagenet_normalize)`: the question id is the first argument.
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([\w.-]+)["']""")


def checked_questions(source: str) -> list[str]:
    """The question ids that a cell's source checks, in order: ``check("saliency-map", f)``."""
    return CHECK_CALL.findall(source)


def check_problems(source: str, output: str) -> list[str]:
    """What is wrong with the checks' feedback of one cell, one line each (empty: all passed).

    source : the cell's code. output : the text the cell showed (printed or rendered).
    Each question the cell checks must show its passing headline, ``✔ <id>: passed``, and no
    line may be a failing one (``✘ ...``), whatever question it names.
    """
    problems = []
    for question in checked_questions(source):
        if not re.search(rf"^\s*✔ {re.escape(question)}: passed\b", output, re.MULTILINE):
            problems.append(f"check {question!r} shows no passing verdict")
    problems += [f"a check failed: {line.strip()}" for line in output.splitlines()
                 if line.lstrip().startswith("✘")]
    return problems


def peak_rss(pid: int) -> int:
    """The peak resident memory of a running process, in bytes (Linux ``VmHWM``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"/proc/{pid}/status has no VmHWM line: is this Linux?")
    return int(match.group(1)) * 1024


def cpu_seconds(pid: int) -> float:
    """The CPU time a running process has used, in seconds, its threads and waited-for
    children included. On a busy machine wall time says more about the neighbours than about
    the notebook; a kernel pinned to one core uses about as much CPU time as it would take on
    that core alone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14-17 of proc(5) (utime, stime, cutime, cstime), counted here from field 3.
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def data_dir() -> Path:
    """The course's data and cache folder for a rehearsal: ``$DLVISION_DATA`` where it is set
    (CI sets it, and the book's build has filled it), else a fresh one under ``_build/``."""
    if os.environ.get("DLVISION_DATA"):
        return Path(os.environ["DLVISION_DATA"]).resolve()
    return BUILD / "rehearsal-data"


def head_commit() -> str:
    """The clone's HEAD commit: what a git URL of the clone installs. Says so on stderr when
    the work tree has uncommitted changes, which the rehearsal then does not see."""
    commit = run(["git", "rev-parse", "HEAD"], capture=True).strip()
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], capture=True)
    if dirty.strip():
        print(f"note: uncommitted changes are not rehearsed; the package is installed from "
              f"the commit {commit[:12]}", file=sys.stderr)
    return commit


def run(command: Sequence[str | os.PathLike], *, capture: bool = False,
        env: dict[str, str] | None = None, cwd: Path = REPO) -> str:
    """Run a command in the repository; raise, with its output, when it fails."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.STDOUT if capture else None, check=False)
    if result.returncode != 0:
        shown = f":\n{result.stdout}" if capture else " (its output is above)"
        raise RuntimeError(f"`{' '.join(map(str, command))}` failed with status "
                           f"{result.returncode}{shown}")
    return result.stdout if capture else ""


def fresh_venv(path: Path) -> Path:
    """A new, empty virtual environment at ``path`` (a previous one is removed); its python.
    Made from this machine's Python (``venv`` uses the base interpreter even when run from
    another virtual environment)."""
    if path.exists():
        shutil.rmtree(path)
    run([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def pip_install(python: Path, arguments: Iterable[str]) -> float:
    """``python -m pip install --quiet ARGUMENTS`` with pip's own configuration (the index,
    its download cache); the seconds it took."""
    start = time.perf_counter()
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *arguments])
    return time.perf_counter() - start


def installed(python: Path) -> set[str]:
    """The distributions installed in ``python``'s environment, as ``name==version``."""
    frozen = run([python, "-m", "pip", "list", "--format=freeze",
                  "--disable-pip-version-check"], capture=True)
    return {line.strip() for line in frozen.splitlines() if "==" in line}


@dataclass
class NotebookResult:
    """One notebook's rehearsal: its time, its kernel's peak memory, what went wrong."""

    notebook: str
    seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    checks: int
    checks_passed: int
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def write_report(folder: Path, title: str, results: Sequence[NotebookResult],
                 notes: Sequence[str] = ()) -> Path:
    """``results.json`` and ``results.md`` (a table) in ``folder``; the markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(
        {"notes": list(notes), "notebooks": [asdict(r) | {"passed": r.passed}
                                             for r in results]}, indent=2) + "\n")
    lines = [f"# {title}", "", *notes, "",
             "| notebook | time (s) | kernel CPU time (s) | kernel peak RSS (GiB) | checks passed "
             "| verdict |",
             "|---|---:|---:|---:|---:|---|"]
    for r in results:
        verdict = "passed" if r.passed else "FAILED: " + "; ".join(r.problems)
        lines.append(f"| {r.notebook} | {r.seconds:.0f} | {r.cpu_seconds:.0f} | "
                     f"{r.peak_rss_bytes / GiB:.2f} | "
                     f"{r.checks_passed}/{r.checks} | {verdict} |")
    markdown = folder / "results.md"
    markdown.write_text("\n".join(lines) + "\n")
    return markdown
