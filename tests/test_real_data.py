"""The problems met on real copies of the datasets, reproduced on generated files, and their fix.

Each test builds a small tree in the style of a published copy (15 Scene, MNIST, CelebA) with
one defect: names differing in case, system files, Git LFS pointers, truncated or empty files,
folders one level too deep, corrupt idx files. No network: torchvision's downloads are replaced.
"""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
import torchvision.datasets
from PIL import Image

from dlvision.data import (
    BadFilesError,
    DataLayoutError,
    DataNotFoundError,
    celeba,
    gan_transform,
    mnist,
    scenes15,
)
from dlvision.data import files as files_module

LFS_POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               b"size 12345\n")


def jpeg(path, seed: int = 0, size: tuple[int, int] | None = None) -> None:
    """A small grey JPEG, ``size`` (width, height) or between 8×8 and 40×30, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    w, h = size or (8 + seed % 33, 8 + seed % 23)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8)).save(path)


def scene_tree(root, classes: dict[str, list[str]], n: int = 2) -> None:
    """``root/<split>/<class>/<i>.jpg`` for each split's class folder names."""
    for split, names in classes.items():
        for c, name in enumerate(names):
            for i in range(n):
                jpeg(root / split / name / f"{i}.jpg", seed=10 * c + i)


def full_scenes(split="train", **kwargs):
    return scenes15(split, profile="full", **kwargs)


# --- 15 Scene: labels by class name ---------------------------------------------------------------


def test_class_folders_differing_in_case_across_splits_get_the_same_label(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["Coast", "bedroom", "livingroom"],
                                          "test": ["coast", "Bedroom", "livingRoom"]})
    train, test = full_scenes("train"), full_scenes("test")
    # Sorted case-sensitively per split, "Coast" came first in train and "Bedroom" in test.
    assert train.classes == test.classes == ["bedroom", "Coast", "livingroom"]
    for data in (train, test):
        named = [data.classes[t].lower() for t in data.targets.tolist()]
        assert named == [f.parent.name.lower() for f in data.files]


def test_a_class_missing_from_one_split_is_named(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["coast", "forest", "store"],
                                          "test": ["coast", "store"]})
    with pytest.raises(DataLayoutError, match=r"forest/ in .*train has no folder"):
        full_scenes("test")


def test_an_empty_class_folder_is_named(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["coast", "forest"], "test": ["coast"]})
    (data_dir / "15SceneData" / "test" / "forest").mkdir()
    with pytest.raises(DataLayoutError, match=r"test/forest has no images"):
        full_scenes("train")


def test_two_folders_differing_only_in_case_in_one_split_are_named(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["coast", "Coast"], "test": ["coast"]})
    with pytest.raises(DataLayoutError, match="differ only in case") as err:
        full_scenes()
    assert "train/Coast/" in str(err.value) and "train/coast/" in str(err.value)


def test_system_files_and_folders_are_ignored(data_dir):
    root = data_dir / "15SceneData"
    scene_tree(root, {"train": ["coast", "forest"], "test": ["coast", "forest"]})
    clean = full_scenes()
    junk = b"\x00\x05\x16\x07AppleDouble resource fork, not an image"
    for split in ("train", "test"):
        jpeg(root / "__MACOSX" / split / "coast" / "._0.jpg")
        (root / split / "coast" / "._0.jpg").write_bytes(junk)
        (root / split / "coast" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
        (root / split / "desktop.ini").write_text("[.ShellClassInfo]")
        (root / split / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        (root / split / "__MACOSX").mkdir()
    train = full_scenes()
    assert train.files == clean.files and train.classes == ["coast", "forest"]
    assert len(full_scenes("test")) == 4


def test_split_folders_are_matched_ignoring_case(data_dir):
    scene_tree(data_dir / "15SceneData", {s: ["coast", "forest"] for s in ("Train", "Test")})
    assert len(full_scenes("train")) == len(full_scenes("test")) == 4


def test_a_missing_split_folder_says_what_was_found(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["coast"], "validation": ["coast"]})
    with pytest.raises(DataLayoutError, match=r"has no test/ folder") as err:
        full_scenes()
    assert "2 folders (train/, validation/)" in str(err.value)


def test_one_folder_level_too_many_names_the_folder_to_use(data_dir):
    inner = data_dir / "15SceneData" / "15SceneData"
    scene_tree(inner, {"train": ["coast"], "test": ["coast"]})
    with pytest.raises(DataLayoutError, match="one folder level too many") as err:
        full_scenes()
    assert f"root='{inner}'" in str(err.value)
    assert len(full_scenes(root=inner)) == 2


def test_images_directly_in_a_split_folder_are_a_layout_error(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["coast"], "test": ["coast"]})
    jpeg(data_dir / "15SceneData" / "train" / "stray.jpg")
    with pytest.raises(DataLayoutError, match="holds 1 images directly"):
        full_scenes()


def _old_original_split(root):
    """The files earlier versions took for training: classes drawn in case-sensitive order."""
    rng = np.random.default_rng(0)
    chosen = set()
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        images = sorted(folder.iterdir())
        chosen |= {images[i] for i in rng.permutation(len(images))[:100]}
    return chosen


def test_original_layout_one_class_list_and_the_same_split_as_before(data_dir):
    root = data_dir / "scene_categories"
    for c, (name, n) in enumerate((("MITcoast", 102), ("bedroom", 101), ("CALsuburb", 103))):
        for i in range(n):
            (root / name).mkdir(parents=True, exist_ok=True)
            Image.new("L", (4, 3), 10 * c).save(root / name / f"image_{i:04d}.jpg")
    (root / "__MACOSX").mkdir()
    train, test = full_scenes("train"), full_scenes("test")
    assert train.classes == test.classes == ["bedroom", "CALsuburb", "MITcoast"]
    assert set(train.files) == _old_original_split(root) - {root / "__MACOSX"}
    assert np.bincount(test.targets.numpy()).tolist() == [1, 3, 2]
    assert all(test.classes[t] == f.parent.name
               for f, t in zip(test.files, test.targets.tolist(), strict=True))


def test_original_layout_class_too_small_to_split_is_named(data_dir):
    for name, n in (("coast", 101), ("forest", 100)):
        for i in range(n):
            (data_dir / "scene_categories" / name).mkdir(parents=True, exist_ok=True)
            Image.new("L", (4, 3)).save(data_dir / "scene_categories" / name / f"{i}.jpg")
    with pytest.raises(DataLayoutError, match=r"forest has 100 images"):
        full_scenes()


# --- 15 Scene: files checked before any work -----------------------------------------------------


def test_an_lfs_pointer_names_the_file_and_git_lfs_pull(data_dir):
    clone = data_dir / "course-data"
    (clone / ".git").mkdir(parents=True)
    root = clone / "15SceneData"
    scene_tree(root, {"train": ["coast", "forest"], "test": ["coast", "forest"]})
    pointer = root / "train" / "forest" / "1.jpg"
    pointer.write_bytes(LFS_POINTER)
    with pytest.raises(BadFilesError) as err:
        full_scenes(root=root)
    message = str(err.value)
    assert f"{pointer}: a Git LFS pointer" in message
    assert f"`git lfs pull` in {clone}" in message
    assert [p.path for p in err.value.problems] == [pointer]
    assert len(full_scenes("test", root=root)) == 4  # the other split is fine


def test_empty_and_truncated_files_are_named_at_load_time(data_dir):
    root = data_dir / "15SceneData"
    scene_tree(root, {"train": ["coast"], "test": ["coast"]}, n=3)
    empty, cut = root / "train" / "coast" / "0.jpg", root / "train" / "coast" / "2.jpg"
    empty.write_bytes(b"")
    jpeg(cut, size=(40, 30))
    cut.write_bytes(cut.read_bytes()[:600])  # of about 1 kB
    with Image.open(cut) as img:
        img.verify()  # PIL's header check alone does not see the truncation
    with pytest.raises(BadFilesError) as err:
        full_scenes("train")
    message = str(err.value)
    assert "2 of 3 files cannot be used" in message
    assert f"{empty}: empty (0 bytes)" in message and f"{cut}: truncated" in message
    assert "replace each with a good copy" in message


def test_zero_padding_and_junk_after_a_complete_jpeg_are_accepted(data_dir):
    root = data_dir / "15SceneData"
    scene_tree(root, {"train": ["coast"], "test": ["coast"]})
    padded, junk = root / "train" / "coast" / "0.jpg", root / "train" / "coast" / "1.jpg"
    padded.write_bytes(padded.read_bytes() + b"\0" * 300)
    junk.write_bytes(junk.read_bytes() + b"trailing bytes some cameras add")
    assert len(full_scenes()) == 2


def test_many_bad_files_are_listed_five_then_counted(data_dir):
    root = data_dir / "15SceneData"
    scene_tree(root, {"train": ["coast"], "test": ["coast"]}, n=8)
    for i in range(7):
        (root / "train" / "coast" / f"{i}.jpg").write_bytes(b"not an image")
    with pytest.raises(BadFilesError, match="and 2 more") as err:
        full_scenes()
    assert len(err.value.problems) == 7 and "not a JPEG or PNG file" in str(err.value)


def test_files_checked_once_are_not_opened_again_until_they_change(data_dir, monkeypatch):
    root = data_dir / "15SceneData"
    scene_tree(root, {"train": ["coast", "forest"], "test": ["coast", "forest"]})
    first = full_scenes()

    def opened(*args, **kwargs):
        raise AssertionError("a file that passed was opened again")

    with monkeypatch.context() as patch:
        patch.setattr(Image, "open", opened)
        patch.setattr(files_module, "_read_ends", opened)
        assert full_scenes().fingerprint() == first.fingerprint()
    changed = root / "train" / "coast" / "0.jpg"
    changed.write_bytes(LFS_POINTER)  # a new size and time: checked again
    with pytest.raises(BadFilesError, match="0.jpg: a Git LFS pointer"):
        full_scenes()


def test_a_file_that_breaks_after_loading_is_named_when_read(data_dir):
    scene_tree(data_dir / "15SceneData", {"train": ["coast"], "test": ["coast"]})
    train = full_scenes()
    train.files[0].write_bytes(b"")
    with pytest.raises(BadFilesError, match=str(train.files[0])):
        train[0]


# --- 15 Scene: n_per_class ------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["mini", "full"])
def test_n_per_class_on_the_test_split_is_an_error(data_dir, profile):
    with pytest.raises(ValueError, match="training split only"):
        scenes15("test", n_per_class=5, profile=profile)


def test_n_per_class_beyond_a_class_names_it_and_its_count(data_dir):
    scene_tree(data_dir / "15SceneData", {s: ["coast", "forest"] for s in ("train", "test")}, n=3)
    (data_dir / "15SceneData" / "train" / "forest" / "2.jpg").unlink()
    assert len(full_scenes(n_per_class=2)) == 4
    with pytest.raises(ValueError, match=r"class 'forest' has 2; ask for at most 2"):
        full_scenes(n_per_class=3)
    with pytest.raises(ValueError, match=r"'five' has \d\d, .*'nine' has \d\d"):
        scenes15("train", n_per_class=500, profile="mini")


# --- MNIST ----------------------------------------------------------------------------------------


def idx_bytes(kind: str, array: np.ndarray) -> bytes:
    magic = {"images": 2051, "labels": 2049}[kind]
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist_split(folder, split: str, n: int, *, gz: bool, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    prefix = {"train": "train", "test": "t10k"}[split]
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"images-idx3-ubyte": rng.integers(0, 256, (n, 28, 28)),
              "labels-idx1-ubyte": np.arange(n) % 10}
    for name, array in arrays.items():
        data = idx_bytes("images" if "images" in name else "labels", array)
        path = folder / f"{prefix}-{name}{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(data) if gz else data)


@pytest.fixture
def no_download(monkeypatch):
    """torchvision's MNIST replaced: any call is recorded and fails as it does offline."""
    calls = []

    def offline(root, *args, **kwargs):
        calls.append(root)
        (root / "MNIST" / "raw").mkdir(parents=True)  # as torchvision does before downloading
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    return calls


def test_mnist_test_split_reads_t10k_files_alone_from_mnist_raw(data_dir, no_download):
    write_mnist_split(data_dir / "MNIST" / "raw", "test", 12, gz=True)
    data = mnist("test", profile="full")
    x, y = data[3]
    assert len(data) == 12 and x.shape == (1, 32, 32) and y == 3
    assert -1 <= x.min() and x.max() <= 1
    assert data.classes[3] == "three" and data.targets.tolist() == [i % 10 for i in range(12)]
    assert mnist("test", size=64, profile="full")[0][0].shape == (1, 64, 64)
    assert no_download == []


def test_mnist_items_are_those_torchvision_gave(data_dir):
    raw = data_dir / "mnist" / "MNIST" / "raw"
    for split, n in (("train", 6), ("test", 4)):
        write_mnist_split(raw, split, n, gz=False, seed=n)
    ours = mnist("train", profile="full")
    theirs = torchvision.datasets.MNIST(data_dir / "mnist", train=True, transform=gan_transform(32))
    assert all(torch.equal(ours[i][0], theirs[i][0]) and ours[i][1] == theirs[i][1]
               for i in range(6))
    assert len(mnist("all", profile="full")) == 10
    assert ours.fingerprint() == mnist("train", profile="full").fingerprint()
    assert ours.fingerprint() != mnist("train", size=64, profile="full").fingerprint()


@pytest.mark.parametrize("defect, message", [
    (lambda b: b[: len(b) // 2], "not a whole gzip file"),
    (lambda b: b"this is not gzip", "not a whole gzip file"),
    (lambda b: gzip.compress(gzip.decompress(b)[:-5]), "bytes of data, expected"),
    (lambda b: gzip.compress(b"\0\0\x08\x01" + gzip.decompress(b)[4:]), "magic number 2049"),
    (lambda b: LFS_POINTER, "git lfs pull"),
])
def test_a_corrupt_mnist_file_is_reported_as_corrupt(data_dir, no_download, defect, message):
    raw = data_dir / "MNIST" / "raw"
    write_mnist_split(raw, "test", 5, gz=True)
    bad = raw / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(defect(bad.read_bytes()))
    with pytest.raises(BadFilesError, match=message) as err:
        mnist("test", profile="full")
    assert f"MNIST file {bad} is corrupt" in str(err.value)
    assert "downloaded" not in str(err.value).split(".")[0] and no_download == []


def test_mnist_labels_must_match_the_images(data_dir, no_download):
    raw = data_dir / "MNIST" / "raw"
    write_mnist_split(raw, "train", 5, gz=False)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes("labels", np.arange(4)))
    with pytest.raises(BadFilesError, match="4 labels for the 5 images"):
        mnist(profile="full")


def test_mnist_with_one_file_of_a_split_names_the_other(data_dir, no_download):
    write_mnist_split(data_dir / "MNIST" / "raw", "test", 5, gz=True)
    (data_dir / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataLayoutError, match="not t10k-labels-idx1-ubyte"):
        mnist("test", profile="full")
    assert no_download == []


def test_a_failed_mnist_download_leaves_nothing_behind(data_dir, no_download, monkeypatch):
    with pytest.raises(DataNotFoundError, match="could not be downloaded") as err:
        mnist(profile="full")
    assert str(data_dir / "MNIST" / "raw") in str(err.value)
    assert len(no_download) == 1 and list(data_dir.iterdir()) == []
    monkeypatch.setenv("DLVISION_DATA", str(data_dir / "not-yet"))
    with pytest.raises(DataNotFoundError):
        mnist(profile="full")
    assert not (data_dir / "not-yet").exists()


def test_a_completed_mnist_download_is_moved_into_place(data_dir, monkeypatch):
    def download(root, train, download):
        for split in ("train", "test"):
            write_mnist_split(root / "MNIST" / "raw", split, 3, gz=False)

    monkeypatch.setattr(torchvision.datasets, "MNIST", download)
    assert len(mnist("test", profile="full")) == 3
    assert sorted(p.name for p in data_dir.iterdir()) == ["mnist"]
    assert len(list((data_dir / "mnist" / "MNIST" / "raw").iterdir())) == 4


# --- CelebA ---------------------------------------------------------------------------------------


def test_celeba_ignores_system_files_and_names_bad_ones(data_dir):
    folder = data_dir / "img_align_celeba"
    for i in range(4):
        jpeg(folder / f"{i:06d}.jpg", seed=i + 30)
    (folder / "._000000.jpg").write_bytes(b"\0\5\26\7 AppleDouble")
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    faces = celeba(profile="full")
    assert len(faces) == 4
    # The fingerprint that keys the GAN runs: the same files give the same one, the other
    # size or a replaced file another.
    before = faces.fingerprint()
    assert before == celeba(profile="full").fingerprint()
    assert before != celeba(size=64, profile="full").fingerprint()
    jpeg(folder / "000003.jpg", seed=99, size=(40, 30))
    assert before != celeba(profile="full").fingerprint()
    (folder / "000001.jpg").write_bytes(LFS_POINTER)
    cut = folder / "000002.jpg"
    jpeg(cut, size=(40, 30))
    cut.write_bytes(cut.read_bytes()[:600])
    with pytest.raises(BadFilesError) as err:
        celeba(profile="full")
    assert {p.kind for p in err.value.problems} == {"lfs", "truncated"}
    assert "git lfs pull" in str(err.value) and str(cut) in str(err.value)


def test_celeba_one_folder_level_too_many_names_the_inner_folder(data_dir):
    inner = data_dir / "img_align_celeba" / "img_align_celeba"
    jpeg(inner / "000001.jpg")
    with pytest.raises(DataLayoutError, match="one folder level too many") as err:
        celeba(profile="full")
    assert str(inner) in str(err.value)
