"""The rehearsal's generated files are read by the full profile's own loaders, offline."""

from __future__ import annotations

import gzip
import socket
import struct

import numpy as np
import pytest
import torch

from dlvision.data import celeba, imagenet_samples, mnist, scenes15
from dlvision.models import pretrained, weights_path
from dlvision.rehearsal import (
    MNIST_COUNTS,
    N_CELEBA,
    N_IMAGENET,
    SCENE_CLASSES,
    SCENE_PER_CLASS,
    idx_bytes,
    rehearsal_config,
    write_files,
)


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to reach the network fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the full profile tried to download instead of reading the files")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The rehearsal's files, without VGG16's 528 MB of weights (see the slow test)."""
    root = tmp_path_factory.mktemp("rehearsal")
    written = write_files(root / "data", root / "torch", models=("squeezenet1_1",))
    return root, written


@pytest.fixture
def full(files, monkeypatch):
    root, _ = files
    monkeypatch.setenv("DLVISION_DATA", str(root / "data"))
    monkeypatch.setenv("TORCH_HOME", str(root / "torch"))  # torch.hub reads it at each call
    return root


def test_weights_are_where_torchvision_looks(full):
    for name in ("vgg16", "squeezenet1_1"):
        path = weights_path(name, profile="full")
        assert path.parent == full / "torch" / "hub" / "checkpoints"
    assert weights_path("squeezenet1_1", profile="full").is_file()


def test_pretrained_loads_the_random_weights(full, offline):
    model = pretrained("squeezenet1_1", profile="full", progress=False)
    torch.manual_seed(0)
    from torchvision.models import squeezenet1_1

    expected = squeezenet1_1(weights=None).state_dict()  # the seeded initialization
    assert all(torch.equal(t, expected[k]) for k, t in model.state_dict().items())
    with torch.inference_mode():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)


def test_imagenet_samples_load(full, offline):
    samples = imagenet_samples(profile="full", progress=False)
    assert samples.images.shape == (N_IMAGENET, 3, 224, 224)
    assert len(samples.classes) == 1000 and samples.classes[0] == "tench"
    assert len(samples.targets.unique()) == N_IMAGENET >= 4  # distinct: Q3 of Part 1 takes four


def test_scenes15_in_the_course_layout(full):
    train, test = scenes15("train", profile="full"), scenes15("test", profile="full")
    assert sorted(train.classes) == sorted(SCENE_CLASSES) == sorted(test.classes)
    assert len(train) == 15 * SCENE_PER_CLASS["train"] and len(test) == 15 * SCENE_PER_CLASS["test"]
    image, label = train[0]
    assert image.shape == (3, 224, 224) and 0 <= label < 15
    from PIL import Image

    sizes = set()
    for path in train.files:
        with Image.open(path) as img:
            assert img.mode == "L" and img.format == "JPEG"
            sizes.add(img.size)
    assert len(sizes) > 1  # varied sizes, as real photographs


def test_mnist_files_in_the_idx_format(full, offline):
    for root in (full / "data" / "MNIST" / "raw", full / "data" / "mnist" / "MNIST" / "raw"):
        data = gzip.decompress((root / "train-images-idx3-ubyte.gz").read_bytes())
        assert struct.unpack(">4I", data[:16]) == (2051, MNIST_COUNTS["train"], 28, 28)
        labels = (root / "t10k-labels-idx1-ubyte").read_bytes()
        assert struct.unpack(">2I", labels[:8]) == (2049, MNIST_COUNTS["t10k"])
        assert max(labels[8:]) <= 9
    train = mnist("train", profile="full")  # torchvision's reader, without downloading
    assert len(train) == MNIST_COUNTS["train"] and train[0][0].shape == (1, 32, 32)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("model", ["cdcgan", "cgan"])
def test_conditional_gans_train_and_are_judged_on_the_mnist_files(full, offline, monkeypatch,
                                                                  model):
    """The full profile's path of Part 4 at rehearsal sizes: the course's networks, two steps
    on the generated MNIST files, then the label accuracy of the digit judge trained on them."""
    import dlvision
    from dlvision.gan.judge import judge_run
    from dlvision.gan.runs import default_config
    from dlvision.gan.training import train

    monkeypatch.setenv("DLVISION_SIZES", "rehearsal")
    profile = dlvision.setup("full")
    config = default_config(profile, model)
    assert config.model == model and config.steps == 2 and config.ngf in (128, 256)
    run = train(config, mnist("train", profile=profile), progress=False, device="cpu")
    assert run.step == 2 and run.samples[2].shape == (10, 1, 32, 32)
    assert run.fixed_labels.tolist() == list(range(10))
    verdict = judge_run(run, n=20, steps=[2], profile=profile)[2]
    assert 0 <= verdict["label_accuracy"] <= 1 and verdict["frechet"] >= 0
    assert verdict["within_label_spread"] >= 0


def test_celeba_folder(full):
    faces = celeba(size=64, profile="full")
    assert len(faces) == N_CELEBA and faces[0][0].shape == (3, 64, 64)


def test_idx_bytes_round_trip():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data = idx_bytes(images)
    assert data[:4] == b"\x00\x00\x08\x03"
    assert np.array_equal(np.frombuffer(data[16:], np.uint8).reshape(2, 28, 28), images)


def test_config_forces_execution_and_keeps_extension_paths(tmp_path):
    import yaml

    from dlvision.rehearsal import OUTPUT

    book = tmp_path / "book"
    (book / "ext").mkdir(parents=True)
    (book / "_config.yml").write_text(
        "title: t\nexecute:\n  execute_notebooks: cache\n  timeout: 600\n"
        "sphinx:\n  local_extensions:\n    fixes: ext\n")
    out = rehearsal_config(book / "_config.yml", book / OUTPUT / "c.yml", cache=tmp_path / "c")
    settings = yaml.safe_load(out.read_text())
    assert settings["execute"] == {"execute_notebooks": "force", "timeout": -1,
                                   "cache": str(tmp_path / "c"),
                                   "exclude_patterns": ["solutions/*"]}  # chapters only
    assert settings["sphinx"]["local_extensions"] == {"fixes": str(book / "ext")}


@pytest.mark.slow
def test_vgg16_random_weights_load(tmp_path, monkeypatch, offline):
    write_files(tmp_path / "data", tmp_path / "torch", models=("vgg16",))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    model = pretrained("vgg16", profile="full", progress=False)
    assert model.classifier[-1].out_features == 1000
