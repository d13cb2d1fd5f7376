"""15 Scene (Lazebnik et al. 2006): the target task of Part 1.

Full profile: 4,485 greyscale photographs of 15 scene categories, read from ``$DLVISION_DATA``
in either of two layouts:

* the course's ``15SceneData/{train,test}/<class>/*.jpg``;
* the original ``scene_categories/<class>/*.jpg``, split here into 100 training images per
  class (the protocol of the paper) and the rest for testing, the same way on every machine.

Mini profile: translated digits 5-9, with few labelled images per class: the mini stand-ins were
pretrained on digits 0-4, so the task is new to them, as 15 Scene is to ImageNet networks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..profile import Profile, current
from .digits import ImageTensorDataset, digits
from .download import DataNotFoundError
from .transforms import load_image, normalize, to_rgb

COURSE_FOLDER = "15SceneData"
ORIGINAL_FOLDER = "scene_categories"
TRAIN_PER_CLASS = 100
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MINI_CLASSES = (5, 6, 7, 8, 9)
MINI_TRAIN_PER_CLASS = 10
MINI_TEST_FRACTION = 0.5
_SPLIT_SEED = 0
# Bump when ``load_image`` changes how a file becomes a tensor: fingerprints, and the feature
# caches keyed by them, then change too.
PREPROCESSING_VERSION = 1

LAYOUT_HELP = f"""Put 15 Scene under {{data_dir}} in one of these layouts:
  {COURSE_FOLDER}/train/<class>/*.jpg and {COURSE_FOLDER}/test/<class>/*.jpg   (the course's)
  {ORIGINAL_FOLDER}/<class>/*.jpg   (the original archive, 15 class folders)
or set $DLVISION_DATA to the folder that holds one of them."""


class ImageFileDataset(Dataset):
    """Image files read on demand as ImageNet-normalized (3, size, size) tensors.

    Attributes: ``files`` (paths), ``targets`` (N,) int64 tensor, ``classes`` (names).
    """

    def __init__(self, files: Sequence[Path], targets: Sequence[int], classes: Sequence[str],
                 *, size: int = 224):
        self.files = [Path(f) for f in files]
        self.targets = torch.as_tensor(list(targets), dtype=torch.long)
        self.classes = list(classes)
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return load_image(self.files[index], size=self.size), int(self.targets[index])

    def fingerprint(self) -> str:
        """A hex digest of what the dataset yields, without reading the images.

        It covers each file's path, size and modification time, the labels, the class names,
        and the preprocessing (``load_image`` at ``size``, ``PREPROCESSING_VERSION``): replacing
        a file or changing the size gives a new fingerprint.
        """
        digest = hashlib.sha256(repr((type(self).__name__, self.classes, self.size,
                                      PREPROCESSING_VERSION)).encode())
        for path, target in zip(self.files, self.targets.tolist(), strict=True):
            stat = path.stat()
            digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{target}\n".encode())
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} files, {len(self.classes)} classes)"


def _class_folders(root: Path) -> list[Path]:
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _course_layout(root: Path, split: str) -> tuple[list[Path], list[int], list[str]]:
    split_dir = root / split
    if not split_dir.is_dir():
        raise DataNotFoundError(f"{root} has no {split}/ folder.\n" + LAYOUT_HELP.format(
            data_dir=root.parent))
    folders = _class_folders(split_dir)
    files, targets = [], []
    for label, folder in enumerate(folders):
        images = _images_in(folder)
        files += images
        targets += [label] * len(images)
    return files, targets, [f.name for f in folders]


def _original_layout(root: Path, split: str) -> tuple[list[Path], list[int], list[str]]:
    folders = _class_folders(root)
    rng = np.random.default_rng(_SPLIT_SEED)
    files, targets = [], []
    for label, folder in enumerate(folders):
        images = _images_in(folder)
        order = rng.permutation(len(images))
        chosen = order[:TRAIN_PER_CLASS] if split == "train" else order[TRAIN_PER_CLASS:]
        files += [images[i] for i in sorted(chosen)]
        targets += [label] * len(chosen)
    return files, targets, [f.name for f in folders]


def _first_per_class(targets: Sequence[int], n_per_class: int) -> np.ndarray:
    """Indices of the first ``n_per_class`` items of each class, in their original order."""
    targets = np.asarray(targets)
    keep = np.concatenate([np.flatnonzero(targets == c)[:n_per_class] for c in np.unique(targets)])
    return np.sort(keep)


def find_root(data_dir: Path) -> Path:
    """The 15 Scene folder under ``data_dir``; ``DataNotFoundError`` says what to create."""
    for name in (COURSE_FOLDER, ORIGINAL_FOLDER):
        candidate = data_dir / name
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    raise DataNotFoundError("15 Scene was not found.\n" + LAYOUT_HELP.format(data_dir=data_dir))


def scenes15(
    split: str = "train",
    *,
    n_per_class: int | None = None,
    root: str | Path | None = None,
    profile: str | Profile | None = None,
) -> ImageFileDataset | ImageTensorDataset:
    """The 15 Scene classification task (mini: translated digits 5-9).

    Parameters
    ----------
    split : "train" or "test".
    n_per_class : keep only the first n labelled images of each class of the *training* split;
        None keeps them all in full (100 per class) and ``MINI_TRAIN_PER_CLASS`` (10) in mini.
    root : the dataset folder (full profile); default: the first of ``15SceneData`` and
        ``scene_categories`` found under ``$DLVISION_DATA``.
    profile : "mini", "full" or None for the active profile.

    Returns a dataset of (image, label) with images (3, S, S) float32, ImageNet-normalized
    (S = 224 full, 32 mini); ``.classes`` names the labels, ``.targets`` holds them.
    """
    prof = current(profile)
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    if n_per_class is not None and n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive number of images, got {n_per_class}")

    if prof.is_mini:
        data = digits(split, classes=MINI_CLASSES, placement="translated",
                      size=prof.image_size, test_fraction=MINI_TEST_FRACTION)
        data.images = normalize(to_rgb(data.images))
        if split == "train":
            keep = _first_per_class(data.targets, n_per_class or MINI_TRAIN_PER_CLASS)
            data = ImageTensorDataset(data.images[keep], data.targets[keep], data.classes)
        return data

    root = Path(root) if root is not None else find_root(prof.data_dir)
    if not root.is_dir():
        raise DataNotFoundError(f"{root} is not a folder.\n"
                                + LAYOUT_HELP.format(data_dir=root.parent))
    layout = _course_layout if (root / "train").is_dir() else _original_layout
    files, targets, classes = layout(root, split)
    if not files:
        raise DataNotFoundError(f"no images (*.jpg, *.png) found in {root}.\n"
                                + LAYOUT_HELP.format(data_dir=root.parent))
    if split == "train" and n_per_class is not None:
        keep = _first_per_class(targets, n_per_class)
        files, targets = [files[i] for i in keep], [targets[i] for i in keep]
    return ImageFileDataset(files, targets, classes, size=prof.image_size)
