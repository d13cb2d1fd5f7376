"""The Binder rehearsal in a real browser (``make rehearse-binder``).

What a student gets from the site's Binder button, rebuilt here and driven through the Jupyter
interface as a person would:

1. The clone's HEAD commit, as Binder checks it out (``git archive``), in
   ``_build/rehearsal-binder/repo``, and the environment ``binder/`` describes built in a fresh
   virtual environment with this machine's Python: ``binder/requirements.txt``, then
   ``binder/postBuild``. (Binder's image has its own Python, see ``binder/runtime.txt``; the
   PyTorch CPU index that ``requirements.txt`` adds cannot be reached here, so its line is left
   out and pip takes the same torch release from its configured index.)
2. Notebook 7, the interface the launch buttons open (``/tree/<path>``), serves that folder on
   127.0.0.1 with a random token, pinned to one CPU (``taskset``), since Binder gives a
   notebook one or two cores; its times are the "on one core" times stated in the solutions.
3. Headless Chromium (Debian's, through Selenium) opens each solution notebook by the launch
   URL's path, runs all cells from the menu (Run → Run All Cells), waits as long as it takes
   until every code cell has run and the kernel is idle, and reads the rendered outputs: every
   check's feedback must be visible and say it passed. The kernel's peak memory (``VmHWM``)
   must stay under Binder's 2 GiB.
4. In one chapter notebook with a slider (FGSM's ε in ``visualization/adversarial``: its
   ``.ipynb`` twin in ``notebooks/`` if there is one, else the MyST page opened as a notebook
   through jupytext), moving the slider must change the image shown.

Screenshots, ``results.md`` and ``results.json`` go to ``_build/rehearsal-binder/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rehearsal_common import (
    BINDER_MEMORY,
    BUILD,
    REPO,
    GiB,
    NotebookResult,
    check_problems,
    checked_questions,
    cpu_seconds,
    data_dir,
    fresh_venv,
    head_commit,
    peak_rss,
    pip_install,
    run,
    write_report,
)

OUT = BUILD / "rehearsal-binder"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHAPTER = "visualization/adversarial"  # has a slider for FGSM's ε (see book/ and widgets.py)
TRACEBACK = "Traceback (most recent call last)"  # how IPython shows an exception
POLL = 2.0  # seconds between two looks at the page: no deadline, a busy machine is slow
# How long nothing may change in a running notebook before the rehearsal gives up on it: a
# guard against a hung kernel, not a budget (the longest cell of a solution takes a minute).
STALL = 1800.0


def build_environment(repo: Path, venv: Path) -> Path:
    """``binder/``'s environment in a fresh virtual environment; its bin folder."""
    requirements = (repo / "binder" / "requirements.txt").read_text().splitlines()
    # The PyTorch CPU index is not among the registries this machine reaches; pip finds the
    # same releases in its configured index.
    kept = [line for line in requirements if not line.strip().startswith("--extra-index-url")]
    (venv.parent / "requirements-here.txt").write_text("\n".join(kept) + "\n")
    python = fresh_venv(venv)
    seconds = pip_install(python, ["-r", str(venv.parent / "requirements-here.txt")])
    print(f"  binder/requirements.txt: {seconds:.0f} s", flush=True)
    env = os.environ | {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
                        **jupyter_dirs()}  # postBuild's Jupyter settings, where the server reads
    start = time.perf_counter()
    run(["bash", repo / "binder" / "postBuild"], env=env, cwd=repo)
    print(f"  binder/postBuild: {time.perf_counter() - start:.0f} s", flush=True)
    return venv / "bin"


def jupyter_dirs() -> dict[str, str]:
    """Jupyter's settings and runtime folders, inside the rehearsal's: Binder's home is its
    own, and this machine's user settings must neither leak in nor be written."""
    return {"JUPYTER_CONFIG_DIR": str(OUT / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(OUT / "jupyter-runtime")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """Notebook 7 on 127.0.0.1 with a token, serving ``root``, its kernels on one CPU."""

    def __init__(self, bin_dir: Path, root: Path, log: Path):
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cpu = str(min(os.sched_getaffinity(0)))
        command = ["taskset", "-c", cpu, str(bin_dir / "jupyter-notebook"), "--no-browser",
                   "--ip=127.0.0.1", f"--port={self.port}",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:  # CI runs as root; Binder does not
            command.append("--allow-root")
        env = os.environ | {"DLVISION_DATA": str(data_dir()), **jupyter_dirs()}
        env.pop("DLVISION_STATIC_WIDGETS", None)  # a live notebook: the sliders are widgets
        self.log = log.open("w")
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"the notebook server stopped: see {log}")
            time.sleep(1)

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def _answers(self) -> bool:
        try:
            self.api("status")
            return True
        except OSError:
            return False

    def kernel_pids(self) -> dict[str, int]:
        """Kernel id → process id, for this server's running kernels."""
        pids = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            match = re.search(r"kernel-([0-9a-f-]{36})\.json", cmdline)
            if "ipykernel" in cmdline and match and str(OUT) in cmdline:
                pids[match.group(1)] = int(proc.name)
        return pids

    def shutdown_kernels(self) -> None:
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def browser():
    """Headless Chromium with the flags that work on a machine without network (see
    tests/test_browser.py)."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 "--window-size=1400,1000", f"--user-data-dir={OUT / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    return driver


# The notebook's cells as the interface shows them: kind, input prompt ("[3]:", "[*]:", "[ ]:")
# and the text of the rendered outputs. textContent, unlike innerText, includes cells scrolled
# out of view.
CELLS = """
return Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell'))
  .map(cell => ({
    code: cell.classList.contains('jp-CodeCell'),
    prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
    output: Array.from(cell.querySelectorAll('.jp-OutputArea-output'))
      .map(o => o.textContent).join('\\n'),
  }));
"""
KERNEL_NAME = """
const name = document.querySelector('[data-jp-item-name="kernelName"]');
return name ? name.textContent : null;
"""
KERNEL_STATUS = """
const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
return indicator ? indicator.getAttribute('data-status') : null;
"""


def open_notebook(driver, server: Server, path: str) -> None:
    """Open ``path`` as the launch button does (``/tree/<path>``) and wait for an idle kernel."""
    driver.get(f"{server.url}/tree/{path}?token={server.token}")

    def ready() -> bool:
        if driver.find_elements("css selector", ".jp-FileEditor"):
            driver.save_screenshot(str(OUT / "opened-as-text.png"))
            raise RuntimeError(f"{path} opened in the text editor, not as a notebook (see "
                               "opened-as-text.png)")
        accept = driver.find_elements("css selector", ".jp-Dialog .jp-mod-accept")
        if accept:  # "Select Kernel": take the one offered, as a student would
            accept[0].click()
            return False
        kernel = driver.execute_script(KERNEL_NAME) or ""
        return (driver.execute_script(KERNEL_STATUS) == "idle"
                and kernel.strip() not in ("", "No Kernel")
                and any(cell["code"] for cell in driver.execute_script(CELLS)))

    wait_for(driver, ready, f"{path}: the notebook and its kernel")


def wait_for(driver, ready, what: str, progress=None) -> None:
    """Poll until ``ready()``; give up only when ``progress()`` (default: nothing) has not
    changed for ``STALL`` seconds."""
    last, since = None, time.monotonic()
    while not ready():
        now = progress() if progress else None
        if now != last:
            last, since = now, time.monotonic()
        if time.monotonic() - since > STALL:
            driver.save_screenshot(str(OUT / "stalled.png"))
            raise RuntimeError(f"{what}: nothing changed for {STALL:.0f} s (see stalled.png)")
        time.sleep(POLL)


def click_menu(driver, menu: str, item: str) -> None:
    """Click a menu bar entry, then one of its items, as a person does."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//li[contains(@class,'lm-MenuBar-item')]"
                                  f"[.//*[normalize-space()='{menu}']]").click()
    driver.find_element(By.XPATH, f"//li[contains(@class,'lm-Menu-item')]"
                                  f"[.//*[normalize-space()='{item}']]").click()


def run_all(driver, what: str) -> tuple[list[dict], float]:
    """Run → Run All Cells, then wait until every code cell has a number and the kernel is
    idle; the cells as shown, and the seconds it took."""
    start = time.perf_counter()
    click_menu(driver, "Run", "Run All Cells")

    def done() -> bool:
        # Queued cells show [*]; after an error, the interface clears the queue and the cells
        # below keep [ ]: the notebook is then done too, and the error is reported.
        cells = [c for c in driver.execute_script(CELLS) if c["code"]]
        prompts = [c["prompt"].strip() for c in cells]
        numbered = bool(cells) and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        finished = numbered or any(TRACEBACK in c["output"] for c in cells)
        return (driver.execute_script(KERNEL_STATUS) == "idle" and "[*]:" not in prompts
                and finished)

    def progress() -> str:
        return json.dumps(driver.execute_script(CELLS))

    wait_for(driver, done, what, progress)
    return driver.execute_script(CELLS), time.perf_counter() - start


def rehearse_solution(driver, server: Server, repo: Path, path: str) -> NotebookResult:
    """One solution notebook through the interface: its time, memory and checks."""
    import nbformat

    open_notebook(driver, server, path)
    shown, seconds = run_all(driver, path)
    pids = server.kernel_pids()
    # One kernel runs: the notebook's own, started when it opened.
    rss = max((peak_rss(pid) for pid in pids.values()), default=0)
    cpu = sum(cpu_seconds(pid) for pid in pids.values())
    driver.save_screenshot(str(OUT / f"{Path(path).stem}.png"))
    sources = [c.source for c in nbformat.read(repo / path, as_version=4).cells]
    problems, checks, passed = [], 0, 0
    if len(sources) != len(shown):
        problems.append(f"the interface shows {len(shown)} cells, the file has {len(sources)}")
    for index, (source, cell) in enumerate(zip(sources, shown, strict=False)):
        if TRACEBACK in cell["output"]:
            problems.append(f"cell {index} shows an error: {cell['output'][-300:]}")
        elif cell["code"] and not re.fullmatch(r"\[\d+\]:", cell["prompt"].strip()):
            problems.append(f"cell {index} did not run (prompt {cell['prompt'].strip()!r})")
        questions = checked_questions(source)
        found = check_problems(source, cell["output"]) if cell["code"] else []
        checks += len(questions)
        passed += len(questions) - sum("shows no passing verdict" in p for p in found)
        problems += [f"cell {index}: {p}" for p in found]
    if rss > BINDER_MEMORY:
        problems.append(f"the kernel peaked at {rss / GiB:.2f} GiB, over Binder's "
                        f"{BINDER_MEMORY / GiB:.0f} GiB")
    server.shutdown_kernels()
    return NotebookResult(path, seconds, cpu, rss, checks, passed, problems)


# The src of each image in the outputs of the cell holding a slider, and the slider's value.
SLIDER_IMAGES = """
const slider = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider');
if (!slider) return null;
const cell = slider.closest('.jp-Cell');
return {value: (cell.querySelector('.widget-readout') || {}).textContent,
        images: Array.from(cell.querySelectorAll('.jp-OutputArea-output img')).map(i => i.src)};
"""


def rehearse_slider(driver, server: Server, repo: Path) -> list[str]:
    """Move the chapter's slider: the image shown must change. Problems found."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    twin = Path("notebooks") / f"{CHAPTER}.ipynb"
    path = str(twin if (repo / twin).exists() else Path("book") / f"{CHAPTER}.md")
    open_notebook(driver, server, path)
    _, seconds = run_all(driver, path)
    print(f"  {path}: ran in {seconds:.0f} s", flush=True)
    before = driver.execute_script(SLIDER_IMAGES)
    if not before or not before["images"]:
        driver.save_screenshot(str(OUT / "slider-missing.png"))
        return [f"{path}: no slider with an image below it (see slider-missing.png)"]
    handle = driver.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) "
                                                  ".widget-slider .noUi-handle")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    driver.save_screenshot(str(OUT / "slider-before.png"))
    # Drag the handle a third of the track towards its farther end, as a person would; the
    # slider snaps to a value, and the panel redraws when the handle is released.
    track = driver.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) "
                                                 ".widget-slider .noUi-target")
    offset = track.size["width"] // 3
    if handle.location["x"] > track.location["x"] + track.size["width"] / 2:
        offset = -offset
    ActionChains(driver).click_and_hold(handle).move_by_offset(offset, 0).release().perform()

    def redrawn() -> bool:
        now = driver.execute_script(SLIDER_IMAGES)
        return bool(now and now["images"] and now["images"] != before["images"]
                    and driver.execute_script(KERNEL_STATUS) == "idle")

    wait_for(driver, redrawn, f"{path}: the figure after moving the slider",
             lambda: json.dumps(driver.execute_script(SLIDER_IMAGES)))
    after = driver.execute_script(SLIDER_IMAGES)
    driver.save_screenshot(str(OUT / "slider-after.png"))
    server.shutdown_kernels()
    print(f"  slider {before['value']} → {after['value']}: the image changed", flush=True)
    if before["value"] == after["value"]:
        return [f"{path}: the image changed but the slider still reads {after['value']}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse-environment", action="store_true",
                        help="keep the environment of the last run (for working on this "
                             "script; the rehearsal proper builds a fresh one)")
    parser.add_argument("--only", choices=("solutions", "slider"),
                        help="run one of the two halves (for working on this script)")
    args = parser.parse_args(argv)
    # Stopped from outside (CI's time limit, kill), still close the browser and the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for program in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(program):
            raise SystemExit(f"{program} is missing: apt-get install chromium chromium-driver")
    if shutil.which("taskset") is None:
        raise SystemExit("taskset is missing: apt-get install util-linux")

    commit = head_commit()
    repo, venv = OUT / "repo", OUT / "venv"
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if not (args.reuse_environment and (venv / "bin" / "jupyter-notebook").exists()):
        print(f"binder/ environment for commit {commit[:12]} ...", flush=True)
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir()
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO,
                                 stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
        build_environment(repo, venv)
    build_seconds = time.perf_counter() - start

    server = Server(venv / "bin", repo, OUT / "server.log")
    driver = browser()
    results, slider_problems = [], []
    try:
        solutions = sorted((repo / "solutions").glob("*.ipynb"))
        for solution in solutions if args.only != "slider" else []:
            path = str(solution.relative_to(repo))
            print(f"{path} ...", flush=True)
            result = rehearse_solution(driver, server, repo, path)
            results.append(result)
            print(f"  {result.seconds:.0f} s ({result.cpu_seconds:.0f} s of CPU on one core), "
                  f"kernel peak "
                  f"{result.peak_rss_bytes / GiB:.2f} GiB, {result.checks_passed}/"
                  f"{result.checks} checks passed"
                  + "".join(f"\n  FAILED: {p}" for p in result.problems), flush=True)
        if args.only != "solutions":
            print(f"{CHAPTER} (slider) ...", flush=True)
            slider_problems = rehearse_slider(driver, server, repo)
    finally:
        driver.quit()
        server.stop()

    notes = [f"Binder rehearsal of commit {commit[:12]} in headless Chromium, Notebook 7, "
             f"the kernel pinned to one core; environment built in {build_seconds:.0f} s "
             f"(this machine's Python {sys.version.split()[0]}).",
             "Slider (" + CHAPTER + "): "
             + ("not rehearsed (--only solutions)." if args.only == "solutions"
                else "moving it changed the image." if not slider_problems
                else "FAILED: " + "; ".join(slider_problems))]
    report = write_report(OUT, "Binder rehearsal", results, notes)
    print(report.read_text())
    if slider_problems or not all(r.passed for r in results):
        print(f"The Binder rehearsal FAILED (see above and the screenshots in {OUT})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
