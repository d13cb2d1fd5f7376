"""``dlvision grade`` on whole notebooks: solutions, untouched exercises and bad submissions.

Each notebook is graded once per test session (a kernel start and the notebook's imports cost
a few seconds); the tests then read the shared reports. The bad submissions are the solution
notebooks edited: a cell that kills the kernel appended, a wrong answer swapped in.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from dlvision.cli import main
from dlvision.gan.judge import digit_judge
from dlvision.grading import get_part
from dlvision.grading.question import ERROR, MISSING, NOT_ANSWERED, PASSED, WRONG
from dlvision.grading.report import NOT_RUN, Report, format_report
from dlvision.grading.runner import SETUP_TIMEOUT, cell_limit, find_part, grade_notebook
from dlvision.models import pretrained

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
GETTING_STARTED = ROOT / "solutions" / "0-getting-started.ipynb"
TRANSFER = ROOT / "solutions" / "1-transfer-learning.ipynb"
VISUALIZATION = ROOT / "solutions" / "2-visualization.ipynb"
GANS = ROOT / "solutions" / "3-gans.ipynb"
CONDITIONAL = ROOT / "solutions" / "4-conditional-gans.ipynb"
BAD_TIMEOUT = 5  # seconds per cell for the notebook that loops forever
# Seconds for the notebook that sleeps an hour: its first cell, which needs no import, must
# run before then even on a busy machine.
DEADLINE = 20
# A right answer that needs no import, for the notebooks that must not wait for torch.
GRAY_TO_RGB = ("def gray_to_rgb(images):\n"
               "    if images.shape[1] == 3:\n"
               "        return images\n"
               "    return images.repeat(1, 3, 1, 1)\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Graded:
    report: Report
    executed: nbformat.NotebookNode
    unchanged: bool  # the graded file's bytes are the same after grading


# The grader's own limits (2 minutes a cell, 10 a notebook) are for a class's submissions on an
# instructor's machine; a busy test machine may run the solutions several times slower, and
# must not fail them for it. The tests of the limits set their own, short ones.
GENEROUS = {"timeout": 3600.0, "deadline": 4 * 3600.0}


def grade(path: Path, folder: Path, **kwargs) -> Graded:
    kwargs = {**GENEROUS, **kwargs}
    before = sha256(path)
    executed = folder / f"{path.stem}.executed.ipynb"
    report = grade_notebook(path, executed=executed, **kwargs)
    return Graded(report, nbformat.read(executed, as_version=4), sha256(path) == before)


def variant(folder: Path, name: str, edit, solution: Path = GETTING_STARTED) -> Path:
    """A copy of a solution notebook (the getting-started one by default), edited."""
    nb = nbformat.read(solution, as_version=4)
    edit(nb)
    path = folder / f"{solution.stem}-{name}.ipynb"
    nbformat.write(nb, path)
    return path


def swap_answer(nb, name: str, body: str) -> None:
    """Replace the solution block of the cell defining ``name`` with ``body`` (indented)."""
    cell = nb.cells[code_index(nb, "", f"def {name}(")]
    head, rest = cell.source.split("### BEGIN SOLUTION\n")
    _, tail = rest.split("### END SOLUTION")
    cell.source = (head.rstrip(" ") + "".join(f"    {line}\n" for line in body.splitlines())
                   + tail.lstrip())


def code_index(nb, start: str, contains: str = "") -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                and c.source.startswith(start) and contains in c.source)


def loops_forever(nb):
    """A loop, then an answer. Nothing heavy to import: under load, importing torch could take
    longer than the short time limit of this notebook."""
    nb.cells = [nbformat.v4.new_code_cell("while True:\n    pass"),
                nbformat.v4.new_code_cell(GRAY_TO_RGB)]


def raises_at_import(nb):
    cell = nb.cells[code_index(nb, "import torch")]
    cell.source = cell.source.replace("import dlvision\n", "import dlvision_is_not_installed\n")


def killed_like_out_of_memory(nb):
    """The out-of-memory killer's signal, after the last cell."""
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)"))


def sleeps_past_the_deadline(nb):
    """An answer, a cell that ignores interrupts and sleeps an hour, then another answer."""
    nb.cells = [nbformat.v4.new_code_cell(GRAY_TO_RGB),
                nbformat.v4.new_code_cell("import signal\nimport time\n\n"
                                          "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                          "time.sleep(3600)"),
                nbformat.v4.new_code_cell("def imagenet_normalize(images):\n"
                                          "    return images\n"),
                nbformat.v4.new_code_cell("print('never printed')")]


def dies_while_saved(nb):
    """An answer whose serialization kills the kernel, between two right answers."""
    nb.cells = [nbformat.v4.new_code_cell(GRAY_TO_RGB),
                nbformat.v4.new_code_cell("import os\n\n\nclass Boom:\n"
                                          "    def __reduce__(self):\n"
                                          "        os._exit(1)\n\n\n"
                                          "imagenet_normalize = Boom()\n"),
                nbformat.v4.new_code_cell("def parameters_per_layer(model):\n"
                                          "    return {name: sum(p.numel() for p in "
                                          "m.parameters(recurse=False))\n"
                                          "            for name, m in model.named_modules()\n"
                                          "            if list(m.parameters(recurse=False))}\n")]


def replaced_then_exits(nb):
    """Right answers, then a cell that redefines one, replaces one by its own result and
    deletes the third, then a cell that exits the kernel."""
    nb.cells.append(nbformat.v4.new_code_cell(
        "def imagenet_normalize(images):\n"
        "    return images\n"
        "\n"
        "\n"
        "parameters_per_layer = parameters_per_layer(model)\n"
        "del gray_to_rgb\n"))
    nb.cells.append(nbformat.v4.new_code_cell("import os\n\nos._exit(0)"))


def wrong_getting_started(nb):
    """Statistics in float32 (a float16 batch comes back float32), the package's to_rgb, and
    the leaves' parameters only."""
    swap_answer(nb, "imagenet_normalize", "mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)\n"
                "std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)\n"
                "return (images - mean) / std")
    swap_answer(nb, "gray_to_rgb", "return dlvision.data.to_rgb(images)")
    swap_answer(nb, "parameters_per_layer",
                "return {name: sum(p.numel() for p in module.parameters())\n"
                "        for name, module in model.named_modules()\n"
                "        if not list(module.children()) and list(module.parameters())}")


def wrong_transfer(nb):
    """The package's truncate, features divided by a norm that may be 0, an SVM fitted on the
    test set."""
    swap_answer(nb, "relu7_extractor", 'return dlvision.transfer.truncate(vgg, "relu7").eval()')
    cell = nb.cells[code_index(nb, "", "def extract_l2_features(")]
    cell.source = cell.source.replace("X / norms.clamp_min(1e-12)", "X / norms")
    swap_answer(nb, "svm_test_accuracy", "svm = LinearSVC(C=C).fit(X_test, y_test)\n"
                "return float(svm.score(X_test, y_test))")


def wrong_visualization(nb):
    """The package's saliency_map, and the class-visualization step without its penalty (the
    step with jitter and blur calls it, and is checked with the course's step instead)."""
    swap_answer(nb, "compute_saliency_maps",
                "return dlvision.visualize.saliency_map(model, X, y)")
    cell = nb.cells[code_index(nb, "", "def class_visualization_step(")]
    cell.source = cell.source.replace(" - l2_reg * x.pow(2).sum()", "")
    nb.cells[code_index(nb, "import matplotlib")].source += "\nimport dlvision.visualize"


def wrong_gans(nb):
    """The package's discriminator loss, a generator ending with a sigmoid, and a training step
    that never resets its gradients."""
    swap_answer(nb, "discriminator_loss", "return dlvision.gan.discriminator_loss(d_real, d_fake)")
    cell = nb.cells[code_index(nb, "", "class DCGANGenerator(")]
    cell.source = cell.source.replace("nn.Tanh()", "nn.Sigmoid()")
    cell = nb.cells[code_index(nb, "", "def training_step(")]
    cell.source = cell.source.replace("        opt_D.zero_grad()\n", "").replace(
        "        opt_G.zero_grad()\n", "")
    nb.cells[code_index(nb, "import matplotlib")].source += "\nimport dlvision.gan"


def wrong_loss(nb):
    """Issue 22's held-out submission: the solution with real and generated images swapped in
    D's loss, which the training step (right) calls."""
    swap_answer(nb, "discriminator_loss",
                "return -(torch.log(1 - d_real).mean() + torch.log(d_fake).mean())")


def wrong_conditional_gans(nb):
    """Label maps channels last, and the grid drawn in training mode."""
    swap_answer(nb, "label_maps", "return y[:, None, None, :].expand(-1, size, size, -1)")
    cell = nb.cells[code_index(nb, "", "def labelled_grid(")]
    cell.source = cell.source.replace("    G.eval()\n", "")


def tampers_with_the_helpers(nb):
    swap_answer(nb, "imagenet_normalize", "return images")
    nb.cells.append(nbformat.v4.new_code_cell(
        "import dlvision.data\n"
        "import dlvision.grading\n"
        "# Break the reference, fake the check, then remove both names.\n"
        "dlvision.data.normalize = dlvision.data.transforms.normalize = lambda x, *a, **k: x\n"
        "dlvision.grading.check = lambda *args, **kwargs: print('passed')\n"
        "del check, dlvision\n"
        "\n"
        "\n"
        "def imagenet_normalize(images):\n"
        "    return images\n"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, session_data) -> dict[str, Graded]:
    folder = tmp_path_factory.mktemp("graded")
    with pytest.MonkeyPatch.context() as env:  # the kernels see the test session's data folder
        env.setenv("DLVISION_DATA", str(session_data))
        # A student trains the stand-in once, on a notebook's first run: train it here, so
        # that the times measured below are those of grading a notebook.
        for name in ("vgg16", "squeezenet1_1"):  # exercises 1 and 2
            pretrained(name, profile="mini", progress=False)
        digit_judge(profile="mini", progress=False)  # exercise 3's judge of the samples
        runs = {f"solution/{p.stem}": grade(p, folder) for p in SOLUTIONS}
        runs.update({f"exercise/{p.stem}": grade(p, folder) for p in EXERCISES})
        runs["loops"] = grade(variant(folder, "loops", loops_forever), folder,
                              timeout=BAD_TIMEOUT)
        runs["import"] = grade(variant(folder, "import", raises_at_import), folder)
        runs["tamper"] = grade(variant(folder, "tamper", tampers_with_the_helpers), folder)
        runs["oom"] = grade(variant(folder, "oom", killed_like_out_of_memory, TRANSFER), folder)
        runs["deadline"] = grade(variant(folder, "deadline", sleeps_past_the_deadline), folder,
                                 deadline=DEADLINE)
        runs["exit"] = grade(variant(folder, "exit", replaced_then_exits), folder)
        runs["unsaveable"] = grade(variant(folder, "unsaveable", dies_while_saved), folder)
        runs["wrong/0-getting-started"] = grade(
            variant(folder, "wrong", wrong_getting_started), folder)
        runs["wrong/1-transfer-learning"] = grade(
            variant(folder, "wrong", wrong_transfer, TRANSFER), folder)
        runs["wrong/2-visualization"] = grade(
            variant(folder, "wrong", wrong_visualization, VISUALIZATION), folder)
        runs["wrong/3-gans"] = grade(variant(folder, "wrong", wrong_gans, GANS), folder)
        runs["wrong-loss/3-gans"] = grade(variant(folder, "wrong-loss", wrong_loss, GANS),
                                          folder)
        runs["wrong/4-conditional-gans"] = grade(
            variant(folder, "wrong", wrong_conditional_gans, CONDITIONAL), folder)
    return runs


def statuses(report: Report) -> dict[str, str]:
    return {r.question: r.status for r in report.results}


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_scores_full_marks(graded, path):
    report = graded[f"solution/{path.stem}"].report
    assert report.part == path.stem
    assert report.score == report.max_score == get_part(path.stem).max_points, \
        format_report(report)
    assert report.cells == [] and report.problems == []


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_untouched_exercise_scores_zero(graded, path):
    report = graded[f"exercise/{path.stem}"].report
    assert report.score == 0 and report.max_score > 0
    assert set(statuses(report).values()) == {NOT_ANSWERED}


def check_verdicts(executed) -> dict[str, str]:
    """What the notebook's own ``check(...)`` cells printed: question → status."""
    verdicts = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            for match in re.finditer(r"^[✔✘] ([\w-]+): ([a-z ]+) \(", output.get("text", ""),
                                     re.MULTILINE):
                verdicts[match[1]] = match[2]
    return verdicts


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", ["solution", "exercise", "wrong"])
def test_checks_in_the_notebook_agree_with_the_grader(graded, kind, path):
    run = graded[f"{kind}/{path.stem}"]
    assert check_verdicts(run.executed) == statuses(run.report)


def test_a_cell_that_loops_forever_times_out_and_grading_goes_on(graded):
    report = graded["loops"].report
    [cell] = report.cells  # that cell only: the time limit is not so short as to hurt others
    assert cell.status == "timeout" and f"longer than {BAD_TIMEOUT} s" in cell.error
    assert cell.first_line == "while True:"
    # The cell after it ran: its answer is graded.
    assert statuses(report) == {"normalize": MISSING, "gray-to-rgb": PASSED,
                                "parameters-per-layer": MISSING}


def test_a_notebook_that_raises_at_import_gets_a_report(graded):
    report = graded["import"].report
    errors = [c.error for c in report.cells]
    assert errors[0] == "ModuleNotFoundError: No module named 'dlvision_is_not_installed'"
    assert any("name 'check' is not defined" in e for e in errors[1:])
    # The answers themselves only need torch, imported before the failing line.
    assert set(statuses(report).values()) == {PASSED}


def test_redefining_or_deleting_the_helpers_does_not_fool_the_grader(graded):
    run = graded["tamper"]
    assert run.report.cells == []
    assert statuses(run.report) == {"normalize": WRONG, "gray-to-rgb": PASSED,
                                    "parameters-per-layer": PASSED}


def test_grading_never_writes_the_notebook(graded):
    assert all(run.unchanged for run in graded.values())


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_prints_the_table_and_writes_the_json(graded, tmp_path):
    """The CLI around a notebook without kernel work: every answer missing."""
    path = tmp_path / "0-getting-started-empty.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Nothing yet")])
    nbformat.write(nb, path)
    before = sha256(path)
    code, out, _ = run_cli("grade", str(path), "--json", str(tmp_path / "r.json"))
    assert code == 0 and sha256(path) == before
    assert re.search(r"^normalize\s+0/2\s+missing\s+the notebook does not define", out, re.M)
    assert re.search(r"^total\s+0/5", out, re.M)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == 0 and data["max_score"] == 5 and data["part"] == "0-getting-started"
    assert [q["id"] for q in data["questions"]] == ["normalize", "gray-to-rgb",
                                                    "parameters-per-layer"]
    assert {q["status"] for q in data["questions"]} == {MISSING}


def test_json_report_of_a_solution(graded, tmp_path):
    report = graded["solution/0-getting-started"].report
    report.write_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == data["max_score"] == 5
    assert all(q["passed"] and q["points"] == q["max_points"] for q in data["questions"])


@pytest.mark.parametrize(("content", "message"), [
    (b"{ this is not json", "is not a Jupyter notebook: it is not valid JSON"),
    (b'{"cells": []}', "is not a Jupyter notebook: it is JSON without the 'nbformat'"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": 3}]}',
     "is not a Jupyter notebook: "),
    (bytes(range(256)), "is not a Jupyter notebook: it is not UTF-8 text"),
])
def test_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "0-getting-started.ipynb"
    path.write_bytes(content)
    code, out, err = run_cli("grade", str(path))
    assert code == 2 and out == ""
    assert message in err and "File › Download › .ipynb" in err
    assert path.read_bytes() == content


@pytest.mark.parametrize("option", ["--timeout", "--deadline"])
def test_time_limits_must_be_positive(tmp_path, option):
    code, _, err = run_cli("grade", str(tmp_path / "0-getting-started.ipynb"), option, "0")
    assert code == 2 and f"{option} must be a positive number of seconds, got 0" in err


def test_a_missing_file_is_a_clear_error(tmp_path):
    code, _, err = run_cli("grade", str(tmp_path / "nowhere.ipynb"))
    assert code == 2 and "nowhere.ipynb" in err


def test_the_exercise_comes_from_metadata_then_file_name(tmp_path):
    nb = nbformat.v4.new_notebook()
    assert find_part(nb, Path("jdoe_0-getting-started (1).ipynb")).id == "0-getting-started"
    nb.metadata["dlvision"] = {"part": "0-getting-started"}
    assert find_part(nb, Path("homework.ipynb")).id == "0-getting-started"
    with pytest.raises(ValueError, match="cannot tell which exercise homework.ipynb.*--part"):
        find_part(nbformat.v4.new_notebook(), Path("homework.ipynb"))
    with pytest.raises(ValueError, match="unknown exercise"):
        find_part(nb, Path("homework.ipynb"), part="9-nope")


def test_executed_copy_cannot_overwrite_the_notebook(tmp_path):
    path = variant(tmp_path, "copy", lambda nb: None)
    with pytest.raises(ValueError, match="would overwrite the graded notebook"):
        grade_notebook(path, executed=path)


def test_the_table_lists_failed_cells_and_the_feedback(graded):
    text = format_report(graded["tamper"].report)
    assert re.search(r"^normalize\s+0/2\s+wrong\s+on input: a batch of 2 random images", text,
                     re.M)
    assert "Feedback:" in text and "hint: subtract IMAGENET_MEAN" in text
    text = format_report(graded["loops"].report)
    assert "Cells that did not run cleanly" in text
    assert re.search(r"cell \d+ \(while True:\): timeout: ran longer than 5 s", text)


@pytest.mark.parametrize("run", ["exit", "oom"])
def test_a_kernel_killed_after_the_answers_keeps_every_point(graded, run):
    report = graded[run].report
    assert report.score == report.max_score, format_report(report)
    [cell] = report.cells
    assert cell.status == "kernel died" and cell.index == len(graded[run].executed.cells)
    assert "the answers saved before it are still graded" in cell.error


def test_the_deadline_holds_and_the_cells_left_are_not_run(graded):
    report = graded["deadline"].report
    assert report.seconds < DEADLINE + 120  # the cell alone would have slept an hour
    sleeping, *left = report.cells
    assert (sleeping.index, sleeping.status) == (2, "timeout")
    assert f"still running when the notebook's deadline of {DEADLINE} s was reached" in \
        sleeping.error and "the kernel was restarted" in sleeping.error  # it ignored SIGINT
    assert [(c.index, c.status) for c in left] == [(3, NOT_RUN), (4, NOT_RUN)]
    results = {r.question: r for r in report.results}
    assert results["gray-to-rgb"].status == PASSED  # saved before the cell that hung
    assert results["normalize"].status == MISSING
    assert "the deadline was reached before cell 3" in results["normalize"].message
    assert "cells 3 to 4 (2 code cells): not run" in format_report(report)


def test_a_cell_that_imports_gets_a_minute_whatever_the_timeout():
    assert cell_limit(nbformat.v4.new_code_cell("import torch\nx = 1"), 5) == SETUP_TIMEOUT
    assert cell_limit(nbformat.v4.new_code_cell("x = 1\nfrom torch import nn"), 5) == SETUP_TIMEOUT
    assert cell_limit(nbformat.v4.new_code_cell("x = 'import torch'"), 5) == 5
    assert cell_limit(nbformat.v4.new_code_cell("import torch"), 300) == 300


def test_an_answer_replaced_later_keeps_its_points_and_the_cell_is_named(graded):
    report = graded["exit"].report
    assert report.score == report.max_score, format_report(report)
    last = len(graded["exit"].executed.cells) - 1  # the cell before the one that exits
    messages = {r.question: r.message for r in report.results}
    assert f"later, cell {last} (`def imagenet_normalize(images):`) replaced it, and that " \
        "version does not pass (wrong): keep the right version" in messages["normalize"]
    assert f"later, cell {last} (`def imagenet_normalize(images):`) deleted it" in \
        messages["gray-to-rgb"]
    assert "replaced it, and that version does not pass (error)" in \
        messages["parameters-per-layer"]
    assert "Feedback:" in format_report(report)


@pytest.mark.parametrize(("part", "question", "status", "says"), [
    ("0-getting-started", "normalize", WRONG,
     "float16 in [0, 1]\nexpected dtype torch.float16, got torch.float32"),
    ("0-getting-started", "gray-to-rgb", ERROR,
     "write this yourself; `dlvision.data.to_rgb` is the package's own code"),
    ("0-getting-started", "parameters-per-layer", WRONG,
     "`block` has children and also parameters of its own"),
    ("1-transfer-learning", "relu7-extractor", ERROR,
     "write this yourself; `dlvision.models.truncate` is the package's own code"),
    ("1-transfer-learning", "l2-features", WRONG, "row 1 of your X is NaN"),
    ("1-transfer-learning", "svm-accuracy", WRONG, "an SVM fitted on the test set"),
    ("2-visualization", "saliency-map", ERROR,
     "write this yourself; `dlvision.visualize.saliency_map` is the package's own code"),
    ("2-visualization", "class-visualization-step", WRONG,
     "the objective is the target's score minus l2_reg times the *squared* L2 norm"),
    ("3-gans", "discriminator-loss", ERROR,
     "write this yourself; `dlvision.gan.discriminator_loss` is the package's own code"),
    ("3-gans", "generator", WRONG, "the images are all ≥ 0: the last activation is tanh"),
    ("3-gans", "training-step", WRONG, "the gradients were never reset"),
    ("4-conditional-gans", "label-maps", WRONG, "channels go first in PyTorch"),
    ("4-conditional-gans", "labelled-grid", WRONG,
     "the generator was in training mode, where batch norm uses the statistics of the batch"),
])
def test_each_wrong_answer_loses_its_points_with_feedback_naming_the_mistake(
        graded, part, question, status, says):
    report = graded[f"wrong/{part}"].report
    [verdict] = [r for r in report.results if r.question == question]
    assert verdict.status == status and verdict.points == 0
    assert says in verdict.message, verdict.message
    untouched = {"1-transfer-learning": {"preprocess-grey", "pca-features"},
                 "2-visualization": {"fooling-step", "fooling-image", "regularized-step"},
                 "3-gans": {"generator-loss"},
                 "4-conditional-gans": {"one-hot", "conditional-generator"}}.get(part, set())
    assert {r.question for r in report.results if r.passed} == untouched


def test_a_wrong_answer_costs_only_its_points_not_those_of_the_answers_calling_it(graded):
    """Exercises 2 and 3: the answer built on a wrong one is checked with the course's version
    of it, and its feedback sends the student to the wrong one, not to its own code."""
    run = graded["wrong-loss/3-gans"]
    report = run.report
    assert statuses(report) == {"discriminator-loss": WRONG, "generator-loss": PASSED,
                                "generator": PASSED, "training-step": PASSED}
    assert (report.score, report.max_score) == (7, 9)
    [step] = [r for r in report.results if r.question == "training-step"]
    assert "your `discriminator_loss` is wrong (question discriminator-loss): fix it first" \
        in step.message
    assert "values are wrong" not in step.message and "hint:" not in step.message
    assert check_verdicts(run.executed) == statuses(report)  # the notebook's check agrees
    step_cell = next(c for c in run.executed.cells if c.source.startswith(
        'check("training-step"'))
    assert "fix it first" in step_cell.outputs[0]["text"]
    [regularized] = [r for r in graded["wrong/2-visualization"].report.results
                     if r.question == "regularized-step"]
    assert regularized.passed
    assert "your `class_visualization_step` is wrong (question class-visualization-step): " \
        "fix it first" in regularized.message


def test_the_feedback_level_chooses_what_the_report_shows(graded, tmp_path):
    path = tmp_path / "0-getting-started-empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# None")]),
                   path)
    code, out, _ = run_cli("grade", str(path), "--feedback", "scores", "--json",
                           str(tmp_path / "r.json"))
    assert code == 0 and re.search(r"^normalize\s+0/2\s+missing\s*$", out, re.M), out
    assert "does not define" not in out and "Feedback:" not in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["feedback_level"] == "scores"
    assert {q["feedback"] for q in data["questions"]} == {""}
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stopped:
        main(["grade", str(path), "--feedback", "hints"])
    assert stopped.value.code == 2 and "invalid choice: 'hints'" in err.getvalue()


def test_an_answer_that_kills_the_kernel_when_saved_costs_only_itself(graded):
    report = graded["unsaveable"].report
    assert statuses(report) == {"normalize": MISSING, "gray-to-rgb": PASSED,
                                "parameters-per-layer": PASSED}
    [problem] = report.problems
    assert problem.startswith("the answers could not be saved after cell 2: the kernel died")
