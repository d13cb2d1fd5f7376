"""A handful of labelled ImageNet validation images, for looking inside networks.

Full profile: the 25 images of CS231n's ``imagenet_val_25.npz`` (keys ``X`` (25, 224, 224, 3)
uint8, ``y`` (25,) class indices, ``label_map`` index → name), downloaded once.
Mini profile: the held-out translated digits 0-4, which the stand-ins never saw in training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..profile import Profile, current
from .digits import ImageTensorDataset, digits, ink_boxes
from .download import DataNotFoundError, download
from .transforms import normalize, to_rgb

IMAGENET_VAL_URL = "http://cs231n.stanford.edu/imagenet_val_25.npz"
IMAGENET_VAL_FILE = "imagenet_val_25.npz"
MINI_CLASSES = (0, 1, 2, 3, 4)
MINI_TEST_FRACTION = 0.2


def _check_npz(path: Path) -> None:
    """The file's contents, since it has no published checksum: keys, shapes and dtypes."""
    try:
        with np.load(path, allow_pickle=True) as f:
            missing = {"X", "y", "label_map"} - set(f.files)
            if missing:
                raise ValueError(f"missing keys {sorted(missing)}")
            if f["X"].ndim != 4 or f["X"].shape[-1] != 3 or len(f["X"]) != len(f["y"]):
                raise ValueError(f"X has shape {f['X'].shape}, expected (N, H, W, 3)")
    except Exception as err:  # a truncated zip raises anything from BadZipFile to EOFError
        raise DataNotFoundError(
            f"{path.name} is not the expected ImageNet sample file ({err}); delete it and "
            f"download {IMAGENET_VAL_URL} again"
        ) from err


def mini_source(split: str, *, normalized: bool = True) -> ImageTensorDataset:
    """The mini "ImageNet": translated digits 0-4 on 32×32 canvases.

    The stand-in networks are trained on ``split="train"``; ``"test"`` is held out. Images are
    (N, 3, 32, 32) ImageNet-normalized, or with ``normalized=False`` the grey digits themselves,
    (N, 1, 32, 32) in [0, 1] on a black background. ``boxes`` holds each digit's exact box.
    """
    data = digits(split, classes=MINI_CLASSES, placement="translated", size=32,
                  test_fraction=MINI_TEST_FRACTION)
    data.boxes = ink_boxes(data.images)
    if normalized:
        data.images = normalize(to_rgb(data.images))
    return data


def imagenet_samples(
    *, profile: str | Profile | None = None, progress: bool = True
) -> ImageTensorDataset:
    """Labelled validation images of the pretrained networks' training task.

    Returns an ``ImageTensorDataset`` with images (N, 3, S, S) float32, ImageNet-normalized
    (full: N = 25, S = 224; mini: the held-out translated digits 0-4, S = 32); ``classes``
    holds every class name of the task, so ``classes[targets[i]]`` names image ``i``.
    ``boxes`` (N, 4) gives where each object is in mini (the digit's exact box); None in full,
    whose file has no boxes.
    """
    prof = current(profile)
    if prof.is_mini:
        return mini_source("test")

    path = download(IMAGENET_VAL_URL, prof.data_dir / IMAGENET_VAL_FILE,
                    validate=_check_npz, progress=progress)
    _check_npz(path)
    with np.load(path, allow_pickle=True) as f:
        X, y, label_map = f["X"], f["y"], f["label_map"].item()
    images = torch.from_numpy(X).permute(0, 3, 1, 2).float().div(255)  # (N, 3, H, W) in [0, 1]
    classes = [label_map[i] for i in range(max(label_map) + 1)]
    return ImageTensorDataset(normalize(images), torch.from_numpy(y), classes)
