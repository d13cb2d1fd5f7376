"""The sandbox process: answers run there, under a time limit, and cannot reach the judge.

The answers are written here as a notebook kernel would write them (cloudpickle, by value),
without a kernel, so these tests take a few seconds of process start-up each.
"""

from __future__ import annotations

import json
from pathlib import Path

import cloudpickle
import pytest

from dlvision.grading import get_part
from dlvision.grading.question import ERROR, MISSING, PASSED, TIMEOUT, WRONG
from dlvision.grading.runner import grade_answers

PART = get_part("0-getting-started")


def save_answers(folder: Path, sources: dict[str, str]) -> None:
    """Define each answer from its source as a notebook would (in ``__main__``, so that
    cloudpickle saves it by value) and save it with a manifest."""
    manifest = {}
    for name, source in sources.items():
        namespace = {"__name__": "__main__"}
        exec(source, namespace)
        (folder / f"{name}.pickle").write_bytes(cloudpickle.dumps(namespace[name]))
        manifest[name] = {"status": "saved"}
    (folder / "manifest.json").write_text(json.dumps(manifest))


CHEAT = '''
def imagenet_normalize(images):
    """Makes every comparison succeed and the reference return its input, then answers wrong."""
    import torch
    import dlvision.data
    import dlvision.grading.compare as compare
    torch.isclose = lambda a, b, **kw: torch.ones_like(a, dtype=torch.bool)
    torch.equal = lambda a, b: True
    dlvision.data.normalize = dlvision.data.transforms.normalize = lambda x, *a, **k: x
    compare.compare_tensors = lambda *a, **k: None
    print("this must not reach the grader's output")
    return images
'''

RESTARTED = '''
def gray_to_rgb(images):
    return images if images.shape[1] == 3 else images.repeat(1, 3, 1, 1)
'''

ENDLESS = '''
def imagenet_normalize(images):
    while True:
        pass
'''

EXITS = '''
def parameters_per_layer(model):
    import os
    os._exit(7)
'''


def test_cheating_endless_and_crashing_answers(tmp_path, capfd):
    save_answers(tmp_path, {"imagenet_normalize": CHEAT, "gray_to_rgb": RESTARTED,
                            "parameters_per_layer": EXITS})
    results = {r.question: r for r in grade_answers(PART, tmp_path, time_limit=20)}
    # Patching the references and the comparisons inside the answer changes nothing: the
    # judge runs in this process, which never ran the answer.
    assert results["normalize"].status == WRONG, results["normalize"].message
    assert results["gray-to-rgb"].status == PASSED
    assert results["parameters-per-layer"].status == ERROR
    assert "died (exit code 7)" in results["parameters-per-layer"].message
    assert "must not reach" not in capfd.readouterr().out


def test_an_endless_answer_times_out_and_the_next_one_is_graded(tmp_path):
    save_answers(tmp_path, {"imagenet_normalize": ENDLESS, "gray_to_rgb": RESTARTED})
    results = {r.question: r for r in grade_answers(PART, tmp_path, time_limit=3)}
    assert results["normalize"].status == TIMEOUT
    assert "ran longer than 3 s" in results["normalize"].message
    assert results["gray-to-rgb"].status == PASSED  # in a fresh sandbox
    assert results["parameters-per-layer"].status == MISSING


@pytest.mark.parametrize("manifest", ["not json", "[1, 2]", '{"gray_to_rgb": "saved"}'])
def test_an_unreadable_manifest_means_nothing_was_saved(tmp_path, manifest):
    (tmp_path / "manifest.json").write_text(manifest)
    (tmp_path / "gray_to_rgb.pickle").write_bytes(b"whatever")
    results = grade_answers(PART, tmp_path, time_limit=5)
    assert [r.status for r in results] == [MISSING] * 3
    assert all(r.points == 0 for r in results)


def test_unloadable_answers_are_errors(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({
        "imagenet_normalize": {"status": "saved"},
        "gray_to_rgb": {"status": "unpicklable", "error": "TypeError: cannot pickle 'generator'"},
    }))
    (tmp_path / "imagenet_normalize.pickle").write_bytes(b"\x80\x04not a pickle")
    results = {r.question: r for r in grade_answers(PART, tmp_path, time_limit=20)}
    assert results["normalize"].status == ERROR
    assert "could not be passed to the grader" in results["normalize"].message
    assert results["gray-to-rgb"].status == ERROR
    assert "cannot pickle 'generator'" in results["gray-to-rgb"].message
    assert results["parameters-per-layer"].status == MISSING
