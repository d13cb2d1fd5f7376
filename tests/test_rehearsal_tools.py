"""The Colab and Binder rehearsals (tools/) pass a notebook only when its checks say so.

The rehearsals themselves build environments and run for many minutes (``make
rehearse-notebooks``, ``make rehearse-binder``, in CI); here, the parts that decide pass or
fail, on the checks' real headlines.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from dlvision.assign import INSTALL_CELL_ID, install_cell_source
from dlvision.grading import check

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from rehearsal_common import check_problems, checked_questions, cpu_seconds, peak_rss
from rehearse_notebooks import PRETEND_COLAB, with_install_cell


def normalize(images):
    import torch

    from dlvision.data import IMAGENET_MEAN, IMAGENET_STD

    mean = torch.tensor(IMAGENET_MEAN, dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=images.dtype).view(1, 3, 1, 1)
    return (images - mean) / std


def test_checked_questions_are_read_from_the_cell_in_order():
    source = 'check("normalize", f)\nresult = check( \'gray-to-rgb\', g)\n# check later'
    assert checked_questions(source) == ["normalize", "gray-to-rgb"]
    assert checked_questions("print('no check here')") == []


def test_a_passing_check_passes_and_a_wrong_answer_fails(capsys):
    passing = str(check("normalize", normalize))
    wrong = str(check("normalize", lambda images: images))
    capsys.readouterr()
    source = 'check("normalize", imagenet_normalize)'
    assert check_problems(source, passing) == []
    problems = check_problems(source, wrong)
    assert any("shows no passing verdict" in p for p in problems)
    assert any(p.startswith("a check failed: ✘ normalize") for p in problems)


@pytest.mark.parametrize("output", ["", "✔ gray-to-rgb: passed (1/1 points)",
                                    "the check passed, we promise"])
def test_a_check_without_its_own_passing_headline_fails(output):
    assert check_problems('check("normalize", f)', output) == [
        "check 'normalize' shows no passing verdict"]


def test_a_failing_verdict_fails_even_in_a_cell_that_names_no_check():
    assert check_problems("grade_all()", "✘ fooling-step: wrong (0/2 points)\n    hint") == [
        "a check failed: ✘ fooling-step: wrong (0/2 points)"]


def test_peak_rss_is_this_process_memory():
    rss = peak_rss(os.getpid())
    assert 10 * 1024**2 < rss < 64 * 1024**3  # between 10 MiB and the machine's memory


def test_the_rehearsed_notebook_starts_with_the_exercises_install_cell(tmp_path):
    root = Path(__file__).resolve().parents[1]
    config = tmp_path / "_config.yml"
    config.write_text('{"repository": {"url": "file:///clone", "branch": "abc123"}}')
    notebook = with_install_cell(root / "solutions" / "0-getting-started.ipynb", config)
    kinds = [cell.cell_type for cell in notebook.cells]
    install = notebook.cells[kinds.index("code")]
    assert install.id == INSTALL_CELL_ID
    assert install.source == install_cell_source(config)
    assert '%pip install --quiet "dlvision @ git+file:///clone@abc123"' in install.source


def test_the_startup_file_makes_the_install_cell_believe_it_is_in_colab():
    namespace: dict = {}
    saved = sys.modules.pop("google.colab", None)
    try:
        exec(PRETEND_COLAB, namespace)
        assert "google.colab" in sys.modules
    finally:
        sys.modules.pop("google.colab", None)
        if saved is not None:
            sys.modules["google.colab"] = saved


def test_cpu_seconds_grow_with_the_work_this_process_does():
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # busy: 0.3 s of CPU
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.2  # ticks are 10 ms
