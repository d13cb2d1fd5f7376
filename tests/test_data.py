"""The loaders of both profiles: shapes, ranges, classes, splits and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from dlvision.data import (
    DataNotFoundError,
    celeba,
    denormalize,
    digits,
    imagenet_samples,
    mini_source,
    mnist,
    normalize,
    scenes15,
    to_rgb,
)
from dlvision.data import imagenet as imagenet_module

# --- the mini world -----------------------------------------------------------------------------


def _centroids(images: torch.Tensor) -> torch.Tensor:
    """(N, 2) centre of mass (row, column) of each (N, 1, H, W) image."""
    h, w = images.shape[-2:]
    mass = images.sum(dim=(1, 2, 3))
    rows = (images.sum(dim=(1, 3)) * torch.arange(h)).sum(1) / mass
    cols = (images.sum(dim=(1, 2)) * torch.arange(w)).sum(1) / mass
    return torch.stack([rows, cols], 1)


def test_digits_are_all_of_sklearn_in_unit_range():
    from sklearn.datasets import load_digits

    data = digits()
    assert data.images.shape == (1797, 1, 32, 32)
    assert data.images.dtype == torch.float32
    assert data.images.min() == 0 and 0.9 < data.images.max() <= 1
    assert np.bincount(data.targets.numpy()).tolist() == np.bincount(load_digits().target).tolist()
    assert data.classes[3] == "three"


def test_digit_splits_are_stratified_disjoint_and_deterministic():
    train, test = digits("train"), digits("test")
    assert len(train) + len(test) == 1797
    counts = np.bincount(test.targets.numpy())
    assert np.all(np.abs(counts - 0.2 * np.bincount(digits().targets.numpy())) <= 1)
    flat_train = {tuple(x.flatten().tolist()) for x in train.images}
    assert not any(tuple(x.flatten().tolist()) in flat_train for x in test.images)
    assert torch.equal(digits("test").images, test.images)


def test_centred_digits_sit_in_the_middle():
    centres = _centroids(digits(placement="centred").images)
    assert torch.all((centres - 15.5).abs() < 4)


def test_translated_digits_move_around_the_canvas():
    data = digits(placement="translated")
    centres = _centroids(data.images)
    assert centres.std(0).min() > 2.5  # centred digits vary far less than this
    assert data.images[:, :, :, :2].sum() > 0 and data.images[:, :, :, -2:].sum() > 0
    assert torch.equal(digits(placement="translated").images, data.images)
    assert not torch.equal(digits(placement="translated", seed=1).images, data.images)


def test_translated_digits_keep_their_position_in_every_split():
    everything = digits(classes=(5, 6), placement="translated")
    test = digits("test", classes=(5, 6), placement="translated")
    rows = {tuple(x.flatten().tolist()) for x in everything.images}
    assert all(tuple(x.flatten().tolist()) in rows for x in test.images)


def test_classes_are_renumbered_in_the_order_given():
    data = digits(classes=(7, 2))
    assert data.classes == ["seven", "two"]
    assert set(data.targets.tolist()) == {0, 1}


@pytest.mark.parametrize("kwargs, match", [
    ({"classes": (3, 11)}, "distinct digits 0-9"),
    ({"classes": ()}, "distinct digits 0-9"),
    ({"placement": "random"}, "unknown placement"),
    ({"split": "val"}, "unknown split"),
    ({"size": 16, "digit_size": 20}, "does not fit"),
])
def test_digits_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        digits(**kwargs)


def test_mini_scenes15_is_few_labelled_translated_digits_five_to_nine():
    train, test = scenes15("train"), scenes15("test")
    assert train.classes == ["five", "six", "seven", "eight", "nine"]
    assert train.images.shape == (50, 3, 32, 32)
    assert np.bincount(train.targets.numpy()).tolist() == [10] * 5
    assert 400 < len(test) < 500 and test.images.shape[1:] == (3, 32, 32)
    # three identical channels, ImageNet-normalized: the background is (0 - mean) / std
    shown = denormalize(test.images)
    assert torch.allclose(shown[:, 0], shown[:, 2], atol=1e-6)
    assert test.images[:, 0].min() == pytest.approx(-0.485 / 0.229, abs=1e-5)


def test_mini_scenes15_at_another_size_draws_the_same_digits_larger():
    default, larger = scenes15("test"), scenes15("test", size=64)
    assert larger.images.shape[1:] == (3, 64, 64) and default.images.shape[1:] == (3, 32, 32)
    assert torch.equal(larger.targets, default.targets)


def test_mini_scenes15_takes_the_first_labels_of_each_class():
    three, ten = scenes15("train", n_per_class=3), scenes15("train", n_per_class=10)
    assert len(three) == 15
    assert all(any(torch.equal(x, y) for y in ten.images) for x in three.images)


def test_mini_scenes15_train_and_test_do_not_overlap():
    train, test = scenes15("train", n_per_class=50), scenes15("test")
    seen = {tuple(x.flatten().tolist()) for x in train.images}
    assert not any(tuple(x.flatten().tolist()) in seen for x in test.images)


@pytest.mark.parametrize("kwargs, match", [
    ({"split": "validation"}, "unknown split"), ({"n_per_class": 0}, "positive"),
    ({"size": 0}, "positive number of pixels"),
])
def test_scenes15_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        scenes15(**kwargs)


def test_mini_imagenet_samples_are_held_out_digits_zero_to_four():
    samples = imagenet_samples()
    assert samples.classes == ["zero", "one", "two", "three", "four"]
    assert samples.images.shape[1:] == (3, 32, 32) and 150 < len(samples) < 200
    train = {tuple(x.flatten().tolist()) for x in mini_source("train").images}
    assert not any(tuple(x.flatten().tolist()) in train for x in samples.images)


def test_mini_gan_data_is_centred_digits_in_minus_one_one():
    data = mnist()
    assert data.images.shape == (1438, 1, 32, 32) and len(mnist("test")) == 359
    assert data.images.min() == -1 and data.images.max() <= 1 and data.images.max() > 0.8
    assert len(data.classes) == 10
    faces = celeba(size=64)
    assert faces.images.shape == (1438, 1, 64, 64)  # the training digits: the test ones judge
    assert torch.equal(celeba(size=32).images, data.images)


def test_gan_data_rejects_sizes_without_an_architecture():
    with pytest.raises(ValueError, match="32, 64"):
        celeba(size=48)


# --- transforms ---------------------------------------------------------------------------------


def test_to_rgb_repeats_the_grey_channel():
    grey = torch.rand(2, 1, 5, 4)
    rgb = to_rgb(grey)
    assert rgb.shape == (2, 3, 5, 4)
    assert all(torch.equal(rgb[:, c], grey[:, 0]) for c in range(3))
    assert to_rgb(grey[0]).shape == (3, 5, 4)
    assert to_rgb(rgb) is rgb


def test_to_rgb_rejects_two_channels_and_bad_ranks():
    with pytest.raises(ValueError, match="1 or 3 channels"):
        to_rgb(torch.rand(2, 2, 4, 4))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        to_rgb(torch.rand(4, 4))


def test_normalize_uses_imagenet_statistics_per_channel():
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = torch.rand(2, 3, 4, 4)
    assert torch.allclose(normalize(x), (x - mean) / std)
    assert torch.allclose(normalize(mean.expand(1, 3, 2, 2)), torch.zeros(1, 3, 2, 2))
    assert torch.allclose(denormalize(normalize(x)), x, atol=1e-6)


def test_normalize_asks_for_rgb_first():
    with pytest.raises(ValueError, match="to_rgb"):
        normalize(torch.rand(1, 1, 4, 4))


# --- full profile, offline: fake trees and files built here --------------------------------------


def _grey_jpeg(path, seed: int, size=(20, 14)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=size[::-1], dtype=np.uint8)
    Image.fromarray(pixels, mode="L").save(path)


def test_full_scenes15_reads_the_course_layout(data_dir):
    classes = ["bedroom", "coast", "forest"]
    for split, n in (("train", 3), ("test", 2)):
        for c in classes:
            for i in range(n):
                _grey_jpeg(data_dir / "15SceneData" / split / c / f"{i}.jpg", seed=i)
    train, test = scenes15("train", profile="full"), scenes15("test", profile="full")
    assert (len(train), len(test)) == (9, 6)
    assert train.classes == classes
    x, y = train[4]
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32 and y == 1
    shown = denormalize(x)
    assert torch.allclose(shown[0], shown[1], atol=1e-6)
    assert torch.allclose(shown[1], shown[2], atol=1e-6)
    assert len(scenes15("train", n_per_class=1, profile="full")) == 3
    # Another size on request (another network's input): the same images, resized.
    small = scenes15("train", size=64, profile="full")
    assert small[4][0].shape == (3, 64, 64) and small.files == train.files


def test_full_scenes15_splits_the_original_layout_100_per_class(data_dir):
    for c in ("CALsuburb", "MITcoast"):
        for i in range(103):
            path = data_dir / "scene_categories" / c / f"image_{i:04d}.jpg"
            _grey_jpeg(path, seed=i, size=(6, 5))
    train, test = scenes15("train", profile="full"), scenes15("test", profile="full")
    assert np.bincount(train.targets.numpy()).tolist() == [100, 100]
    assert np.bincount(test.targets.numpy()).tolist() == [3, 3]
    assert not set(train.files) & set(test.files)
    assert train.files == scenes15("train", profile="full").files  # same split every time
    assert train[0][0].shape == (3, 224, 224)


def test_full_scenes15_missing_names_the_folder_and_layouts(data_dir):
    with pytest.raises(DataNotFoundError) as err:
        scenes15(profile="full")
    message = str(err.value)
    assert str(data_dir) in message
    assert "15SceneData/train/<class>/*.jpg" in message and "scene_categories/<class>" in message


def test_full_scenes15_never_falls_back_to_mini(data_dir):
    with pytest.raises(DataNotFoundError):
        scenes15("test", profile="full")


def _fake_imagenet_npz(path, n=4):
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.integers(0, 256, (n, 224, 224, 3), dtype=np.uint8),
             y=np.arange(n), label_map=np.array({i: f"class {i}" for i in range(10)}))


def test_full_imagenet_samples_download_once_and_normalize(data_dir, tmp_path, monkeypatch):
    source = tmp_path / "served.npz"
    _fake_imagenet_npz(source)
    monkeypatch.setattr(imagenet_module, "IMAGENET_VAL_URL", source.as_uri())
    samples = imagenet_samples(profile="full", progress=False)
    assert samples.images.shape == (4, 3, 224, 224)
    assert samples.classes[2] == "class 2" and samples.targets.tolist() == [0, 1, 2, 3]
    assert denormalize(samples.images).max() <= 1
    source.unlink()  # a second call reads the downloaded copy
    assert torch.equal(imagenet_samples(profile="full", progress=False).images, samples.images)


def test_full_imagenet_samples_reject_a_corrupt_file_and_keep_nothing(data_dir, tmp_path,
                                                                       monkeypatch):
    source = tmp_path / "served.npz"
    source.write_bytes(b"PK\x03\x04 this is not a zip archive")
    monkeypatch.setattr(imagenet_module, "IMAGENET_VAL_URL", source.as_uri())
    with pytest.raises(DataNotFoundError, match="not the expected ImageNet sample file"):
        imagenet_samples(profile="full", progress=False)
    assert list(data_dir.iterdir()) == []


def test_full_imagenet_samples_unreachable_names_the_file(data_dir, monkeypatch):
    monkeypatch.setattr(imagenet_module, "IMAGENET_VAL_URL", "file:///nonexistent/x.npz")
    with pytest.raises(DataNotFoundError, match=str(data_dir / "imagenet_val_25.npz")):
        imagenet_samples(profile="full", progress=False)


def test_full_mnist_offline_names_the_folder(data_dir, monkeypatch):
    import torchvision.datasets

    def offline(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(DataNotFoundError, match=str(data_dir / "mnist" / "MNIST" / "raw")):
        mnist(profile="full")


def test_full_celeba_reads_a_local_folder(data_dir):
    for i in range(3):
        path = data_dir / "img_align_celeba" / f"{i:06d}.jpg"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(np.full((218, 178, 3), 40 * i, dtype=np.uint8)).save(path)
    faces = celeba(size=64, profile="full")
    x, _ = faces[2]
    assert len(faces) == 3 and x.shape == (3, 64, 64)
    assert -1 <= x.min() and x.max() <= 1 and x.mean() == pytest.approx(80 / 255 * 2 - 1, abs=0.02)


def test_full_celeba_missing_explains_the_manual_route(data_dir, monkeypatch):
    import torchvision.datasets

    def quota(*args, **kwargs):
        raise RuntimeError("Too many users have viewed or downloaded this file recently")

    monkeypatch.setattr(torchvision.datasets, "CelebA", quota)
    with pytest.raises(DataNotFoundError, match="img_align_celeba"):
        celeba(profile="full")
