"""The one cache policy (dlvision.cache): results keyed by the source of the code that computes
them, weights fingerprinted by their values, every file written atomically."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from dlvision import cache
from dlvision.transfer import classifiers


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package ``fake_course`` with two modules, importable for the test only."""
    root = tmp_path / "fake_course"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "losses.py").write_text("def loss(x):\n    return x.mean()\n")
    (root / "steps.py").write_text("STEPS = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m.startswith("fake_course")]:
        del sys.modules[name]
    cache.source_fingerprint.cache_clear()


def test_editing_the_code_changes_its_fingerprint(package):
    before = cache.source_fingerprint("fake_course.losses")
    whole = cache.source_fingerprint("fake_course")
    (package / "losses.py").write_text("def loss(x):\n    return x.sum()\n")
    cache.source_fingerprint.cache_clear()  # a new process reads the files again
    assert cache.source_fingerprint("fake_course.losses") != before
    assert cache.source_fingerprint("fake_course") != whole  # a package counts every module
    steps = cache.source_fingerprint("fake_course.steps")
    (package / "losses.py").write_text("def loss(x):\n    return x.max()\n")
    cache.source_fingerprint.cache_clear()
    assert cache.source_fingerprint("fake_course.steps") == steps  # another module: no change


def test_a_result_of_edited_code_is_computed_again(tmp_path, monkeypatch):
    # Editing the classifier's training loop (dlvision.models.training) must not serve results
    # cached by the old loop: it is in the code the results cache is keyed by.
    assert "dlvision.models.training" in classifiers._CODE
    monkeypatch.setenv("DLVISION_DATA", str(tmp_path))
    built = []

    def build():
        built.append(1)
        return []

    spec = {"method": "probe", "train": "a", "test": "b"}
    classifiers._cached(spec, build, True)
    classifiers._cached(spec, build, True)
    assert len(built) == 1
    real = cache.source_fingerprint
    monkeypatch.setattr(classifiers, "source_fingerprint", lambda *names: "edited" + real(*names))
    classifiers._cached(spec, build, True)
    assert len(built) == 2


def test_weights_fingerprint_follows_the_values_not_the_object():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    copy = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    copy.load_state_dict(net.state_dict())
    assert cache.weights_fingerprint(copy) == cache.weights_fingerprint(net)
    assert cache.weights_fingerprint(net.state_dict()) == cache.weights_fingerprint(
        copy.state_dict())
    with torch.no_grad():
        copy[2].bias[1] += 1e-6
    assert cache.weights_fingerprint(copy) != cache.weights_fingerprint(net)
    # The same weights cut elsewhere are another network.
    assert cache.weights_fingerprint(net[:2]) != cache.weights_fingerprint(net)


def test_an_interrupted_write_leaves_the_old_file_and_no_part(tmp_path):
    path = tmp_path / "sub" / "result.json"
    with cache.atomic_path(path) as tmp:
        tmp.write_text("first")
    assert path.read_text() == "first"
    with pytest.raises(KeyboardInterrupt), cache.atomic_path(path) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert path.read_text() == "first"
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]
    cache.save_atomic({"x": torch.ones(2)}, path)
    assert torch.load(path, weights_only=True)["x"].tolist() == [1.0, 1.0]
    cache.write_text_atomic(path, "é, in UTF-8")
    assert path.read_bytes() == "é, in UTF-8".encode()
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]
