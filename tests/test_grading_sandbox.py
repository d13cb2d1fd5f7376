"""The sandbox process: answers run there, under a time limit, and cannot reach the judge;
the versions of an answer are tried newest first, and the first that passes counts.

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
from dlvision.grading.runner import (
    DELETED,
    MAX_VERSIONS,
    SAVED,
    Version,
    grade_answers,
    write_manifest,
)

PART = get_part("0-getting-started")


def save_versions(folder: Path, versions: dict[str, list[tuple[int, str | None]]]) -> None:
    """Define each version of each answer from its source as a notebook would (in
    ``__main__``, so that cloudpickle saves it by value), "in" the cell given with it, and
    record them; a source None is the cell deleting the name."""
    history = {}
    for name, cells in versions.items():
        history[name] = []
        for cell, source in cells:
            if source is None:
                history[name].append(Version(DELETED, cell, f"del {name}"))
                continue
            namespace = {"__name__": "__main__"}
            exec(source, namespace)
            file = f"{name}.cell{cell}.pickle"
            (folder / file).write_bytes(cloudpickle.dumps(namespace[name]))
            history[name].append(Version(SAVED, cell, source.strip().splitlines()[0], file))
    write_manifest(folder, history)


def save_answers(folder: Path, sources: dict[str, str]) -> None:
    """One version of each answer, defined by cell 1."""
    save_versions(folder, {name: [(1, source)] for name, source in sources.items()})


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


@pytest.mark.parametrize("manifest", ["not json", "[1, 2]", '{"gray_to_rgb": "saved"}',
                                      '{"gray_to_rgb": [{"status": "saved", "file": "../x"}]}'])
def test_an_unreadable_manifest_means_nothing_was_saved(tmp_path, manifest):
    (tmp_path / "manifest.json").write_text(manifest)
    (tmp_path / "gray_to_rgb.pickle").write_bytes(b"whatever")
    results = grade_answers(PART, tmp_path, time_limit=5)
    assert [r.status for r in results] == [MISSING] * 3
    assert all(r.points == 0 for r in results)


def test_unloadable_answers_are_errors(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({
        "imagenet_normalize": [{"status": "saved", "file": "imagenet_normalize.pickle"}],
        "gray_to_rgb": [{"status": "unpicklable", "error": "TypeError: cannot pickle 'generator'"}],
    }))
    (tmp_path / "imagenet_normalize.pickle").write_bytes(b"\x80\x04not a pickle")
    results = {r.question: r for r in grade_answers(PART, tmp_path, time_limit=20)}
    assert results["normalize"].status == ERROR
    assert "could not be passed to the grader" in results["normalize"].message
    assert results["gray-to-rgb"].status == ERROR
    assert "cannot pickle 'generator'" in results["gray-to-rgb"].message
    assert results["parameters-per-layer"].status == MISSING


WRONG_GRAY = """
def gray_to_rgb(images):
    return images
"""
NOT_YET = """
def imagenet_normalize(images):
    raise NotImplementedError()
"""
RIGHT_NORMALIZE = """
def imagenet_normalize(images):
    import torch
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], dtype=images.dtype).view(1, 3, 1, 1)
    return (images - mean) / std
"""


def test_a_later_cell_that_replaces_or_deletes_an_answer_costs_nothing_and_is_named(tmp_path):
    save_versions(tmp_path, {"gray_to_rgb": [(4, RESTARTED), (9, WRONG_GRAY)],
                             "imagenet_normalize": [(3, RIGHT_NORMALIZE), (12, None)]})
    results = {r.question: r for r in grade_answers(PART, tmp_path, time_limit=20)}
    gray = results["gray-to-rgb"]
    assert gray.status == PASSED and gray.points == 1
    assert gray.message == ("graded: `gray_to_rgb` as cell 4 (`def gray_to_rgb(images):`) left "
                            "it, which passes; later, cell 9 (`def gray_to_rgb(images):`) "
                            "replaced it, and that version does not pass (wrong): keep the "
                            "right version in your notebook")
    normalize = results["normalize"]
    assert normalize.status == PASSED and normalize.points == 2
    assert "later, cell 12 (`del imagenet_normalize`) deleted it" in normalize.message


def test_the_newest_version_is_graded_when_none_passes(tmp_path):
    save_versions(tmp_path, {"imagenet_normalize": [(3, NOT_YET), (5, ENDLESS)],
                             "gray_to_rgb": [(4, WRONG_GRAY), (7, None)],
                             "parameters_per_layer": [(2, EXITS), (6, RIGHT_PARAMETERS)]})
    results = {r.question: r for r in grade_answers(PART, tmp_path, time_limit=5)}
    assert results["normalize"].status == TIMEOUT
    assert "the earlier versions of `imagenet_normalize`, left by cell 3 (`def " \
        "imagenet_normalize(images):`), do not pass either" in results["normalize"].message
    assert results["gray-to-rgb"].status == WRONG
    assert "graded: `gray_to_rgb` as cell 4 (`def gray_to_rgb(images):`) left it; later, cell 7 " \
        "(`del gray_to_rgb`) deleted it" in results["gray-to-rgb"].message
    # A wrong answer fixed later: the fix counts, and the feedback has nothing to add.
    assert results["parameters-per-layer"].status == PASSED
    assert results["parameters-per-layer"].message == ""


def test_only_the_newest_versions_are_tried(tmp_path):
    cells = [(1, RESTARTED)] + [(i, WRONG_GRAY) for i in range(2, MAX_VERSIONS + 2)]
    save_versions(tmp_path, {"gray_to_rgb": cells})
    [_, gray, _] = grade_answers(PART, tmp_path, time_limit=20)
    assert gray.status == WRONG
    assert "(1 older ones were not tried)" in gray.message


RIGHT_PARAMETERS = """
def parameters_per_layer(model):
    counts = {}
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if own:
            counts[name] = own
    return counts
"""
