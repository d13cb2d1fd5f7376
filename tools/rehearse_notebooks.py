"""The Colab rehearsal (``make rehearse-notebooks``): every solution notebook, as a student runs
its exercise in Google Colab, in an environment holding only what Colab already has.

1. A fresh virtual environment in ``_build/rehearsal-notebooks/venv`` gets Colab's preinstalled
   packages that the course uses (``COLAB_PACKAGES``), from pip's configured index, and nothing
   else: not this clone's package.
2. A kernel of that environment pretends to be Colab: an IPython startup file puts a
   ``google.colab`` module in ``sys.modules``, which is what the exercises' first cell tests.
3. Each solution notebook runs top to bottom (nbclient, no time limit per cell) with that first
   cell added where ``dlvision assign`` puts it, its text made by ``install_cell_source``, so
   the package is installed exactly as in Colab: ``%pip install "dlvision @ git+URL@REV"``,
   the URL being this clone (``git+file://localhost/…``) and the revision its HEAD commit.
4. Every ``check(...)`` must show ``✔ <question>: passed``; a cell that raises, or a check that
   does not pass, fails the rehearsal, naming the notebook and the cell.

It writes ``results.md`` and ``results.json`` (time and kernel peak RSS per notebook, and what
the install cell added: packages and seconds) and the executed notebooks under
``_build/rehearsal-notebooks/``. ``--one-core`` pins the kernel to one CPU (``taskset``), which
is how the times stated at the top of the solutions are measured.

One environment serves all notebooks: the first notebook's install cell installs the package
(that is the install measured); the others run the same cell, which finds it installed. The
data cache is ``$DLVISION_DATA`` where it is set (CI), else a fresh ``_build/rehearsal-data``:
the first notebook that needs a stand-in network trains it, as on a student's first run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from rehearsal_common import (
    BUILD,
    COLAB_PACKAGES,
    REPO,
    GiB,
    NotebookResult,
    check_problems,
    checked_questions,
    cpu_seconds,
    data_dir,
    fresh_venv,
    head_commit,
    installed,
    peak_rss,
    pip_install,
    write_report,
)

from dlvision.assign import INSTALL_CELL_ID, install_cell_source

OUT = BUILD / "rehearsal-notebooks"
KERNEL_NAME = "colab-rehearsal"
PRETEND_COLAB = '''\
"""Pretend to be Google Colab: the exercises' first cell installs the package only there."""
import sys
import types

sys.modules.setdefault("google.colab", types.ModuleType("google.colab"))
'''


def write_kernel(python: Path, *, one_core: bool) -> dict[str, str]:
    """A kernelspec for ``python``'s environment, with the Colab startup file; the environment
    variables under which nbclient finds it."""
    ipython_dir = OUT / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-pretend-colab.py").write_text(PRETEND_COLAB)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if one_core:
        taskset = shutil.which("taskset")
        if taskset is None:
            raise SystemExit("--one-core needs taskset (Debian's util-linux package)")
        argv = [taskset, "-c", str(min(os.sched_getaffinity(0))), *argv]
    spec = OUT / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Colab rehearsal", "language": "python",
        "env": {"IPYTHONDIR": str(ipython_dir), "DLVISION_DATA": str(data_dir())},
    }, indent=2))
    return {"JUPYTER_PATH": str(OUT / "jupyter")}


def with_install_cell(solution: Path, spec_config: Path) -> nbformat.NotebookNode:
    """The solution notebook with the exercises' install cell where ``dlvision assign`` puts
    it: before the first code cell."""
    notebook = nbformat.read(solution, as_version=4)
    first_code = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    notebook.cells.insert(first_code, nbformat.v4.new_code_cell(
        install_cell_source(spec_config), id=INSTALL_CELL_ID))
    return notebook


def output_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell showed as text: its streams and its results' plain text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "\n".join(parts)


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """How long the kernel took to run a cell, from nbclient's recorded timestamps."""
    from datetime import datetime

    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run_notebook(notebook: nbformat.NotebookNode, name: str, workdir: Path) -> NotebookResult:
    """Run every cell in a fresh kernel, then read the checks' verdicts and the kernel's peak
    memory. A cell that raises stops the notebook, as it would stop a student."""
    client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=None,
                            resources={"metadata": {"path": str(workdir)}})
    problems: list[str] = []
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                problems.append(f"cell {index} ({cell.get('id')}) raised: "
                                f"{str(error).strip().splitlines()[-1]}")
                break
        seconds = time.perf_counter() - start
        pid = client.km.provisioner.pid
        rss, cpu = peak_rss(pid), cpu_seconds(pid)
    checks = passed = 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        questions = checked_questions(cell.source)
        found = check_problems(cell.source, output_text(cell))
        checks += len(questions)
        passed += len(questions) - sum("shows no passing verdict" in p for p in found)
        problems += [f"cell {index} ({cell.get('id')}): {p}" for p in found]
    return NotebookResult(name, seconds, cpu, rss, checks, passed, problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="solution notebooks to run (default: solutions/*.ipynb)")
    parser.add_argument("--one-core", action="store_true",
                        help="pin the kernel to one CPU, to measure the time on one core")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((REPO / "solutions").glob("*.ipynb"))

    OUT.mkdir(parents=True, exist_ok=True)
    commit = head_commit()
    print(f"Colab's packages into a fresh environment ({len(COLAB_PACKAGES)} asked) ...",
          flush=True)
    python = fresh_venv(OUT / "venv")
    base_seconds = pip_install(python, COLAB_PACKAGES)
    before = installed(python)
    print(f"  {len(before)} distributions in {base_seconds:.0f} s", flush=True)
    os.environ.update(write_kernel(python, one_core=args.one_core))

    with tempfile.TemporaryDirectory() as folder:
        # install_cell_source reads the repository from a _config.yml: one naming this clone.
        # pip refuses a URL without a host (git+file:///path): git reads file://localhost/path.
        config = Path(folder) / "_config.yml"
        config.write_text(json.dumps({"repository": {"url": f"file://localhost{REPO}",
                                                     "branch": commit}}))
        workdir = OUT / "content"  # Colab's working folder is /content
        workdir.mkdir(exist_ok=True)
        results, added, install_seconds = [], None, None
        for path in notebooks:
            print(f"{path.name} ...", flush=True)
            notebook = with_install_cell(path, config)
            result = run_notebook(notebook, path.name, workdir)
            nbformat.write(notebook, OUT / path.name)
            if added is None:  # the first notebook's install cell did the install
                added = sorted(installed(python) - before)
                install = next(c for c in notebook.cells if c.get("id") == INSTALL_CELL_ID)
                install_seconds = cell_seconds(install)
            results.append(result)
            print(f"  {result.seconds:.0f} s ({result.cpu_seconds:.0f} s of CPU), kernel peak "
                  f"{result.peak_rss_bytes / GiB:.2f} GiB,"
                  f" {result.checks_passed}/{result.checks} checks passed"
                  + "".join(f"\n  FAILED: {p}" for p in result.problems), flush=True)

    notes = [
        f"Colab rehearsal of commit {commit[:12]}"
        + (", kernel pinned to one core" if args.one_core else f", {os.cpu_count()} cores")
        + f"; data cache {data_dir()}.",
        f"Colab's packages: {len(before)} distributions installed in {base_seconds:.0f} s.",
        f"The install cell (`%pip install \"dlvision @ git+file://…@{commit[:12]}\"`) added "
        f"{len(added or [])} distributions in {install_seconds or float('nan'):.0f} s: "
        + (", ".join(added) if added else "none") + ".",
    ]
    report = write_report(OUT, "Colab rehearsal", results, notes)
    print(report.read_text())
    failed = [r.notebook for r in results if not r.passed]
    if failed:
        print(f"The Colab rehearsal FAILED in {', '.join(failed)} (see above and the executed "
              f"notebooks in {OUT})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
