"""The mini world: scikit-learn's 8×8 handwritten digits drawn on a larger canvas.

Every mini dataset of the course comes from here. ``placement="centred"`` draws each digit in
the middle of the canvas (the GANs' "MNIST" and "CelebA"); ``placement="translated"`` draws it,
smaller, at a seeded random position, so that where a digit sits varies as much as what it is,
as objects do in photographs (the mini "ImageNet" and "15 Scene"). Positions and splits depend
only on ``seed`` and the image index, never on the global random state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from ..metrics import bounding_boxes

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PLACEMENTS = ("centred", "translated")
SPLITS = ("train", "test", "all")


class ImageTensorDataset(Dataset):
    """Images and labels held in two tensors.

    Attributes
    ----------
    images : (N, C, H, W) float32.
    targets : (N,) int64, indices into ``classes``.
    classes : class names, ``classes[targets[i]]`` names image ``i``.
    boxes : (N, 4) int64 ``(top, left, bottom, right)`` of each image's object, bottom and right
        exclusive, where it is known (the mini digits), else None.
    """

    def __init__(self, images: torch.Tensor, targets: torch.Tensor, classes: Sequence[str],
                 boxes: torch.Tensor | None = None):
        if images.ndim != 4 or len(images) != len(targets):
            raise ValueError(
                f"expected images (N, C, H, W) and N targets, got {tuple(images.shape)} and "
                f"{tuple(targets.shape)}"
            )
        if boxes is not None and tuple(boxes.shape) != (len(images), 4):
            raise ValueError(f"expected boxes (N, 4) for {len(images)} images, "
                             f"got {tuple(boxes.shape)}")
        self.images = images
        self.targets = targets.long()
        self.classes = list(classes)
        self.boxes = boxes

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.targets[index])

    def fingerprint(self) -> str:
        """A hex digest that changes whenever the images, labels or class names change.

        Keys caches of results computed from the dataset (extracted features): two datasets
        with equal tensors share a fingerprint, whatever preprocessing produced them.
        """
        digest = hashlib.sha256(repr((type(self).__name__, self.classes)).encode())
        for t in (self.images, self.targets):
            t = t.detach().cpu().contiguous()
            digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
            digest.update(t.reshape(-1).view(torch.uint8).numpy())  # the raw bytes, no copy
        return digest.hexdigest()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({len(self)} images of shape {tuple(self.images.shape[1:])}, "
            f"{len(self.classes)} classes)"
        )


@lru_cache(maxsize=1)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: (1797, 8, 8) float32 in [0, 1] and (1797,) labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.images / 16.0).astype(np.float32), bunch.target.astype(np.int64)


def split_indices(
    labels: np.ndarray, *, split: str, test_fraction: float, seed: int
) -> np.ndarray:
    """Deterministic stratified split: the same indices for the same labels and seed.

    Within each class the images are shuffled by ``seed``; the last ``test_fraction`` of them
    form the test split. Returns sorted indices into ``labels``.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if split == "all":
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = round(len(idx) * test_fraction)
        chosen.append(idx[len(idx) - n_test :] if split == "test" else idx[: len(idx) - n_test])
    return np.sort(np.concatenate(chosen))


def render(
    digits8: torch.Tensor,
    *,
    size: int = 32,
    digit_size: int = 20,
    offsets: torch.Tensor | None = None,
) -> torch.Tensor:
    """Draw 8×8 digits, upsampled to ``digit_size``, on a black ``size``×``size`` canvas.

    digits8: (N, 8, 8) in [0, 1]. offsets: (N, 2) int top-left (row, column) of each digit, or
    None to centre them. Returns (N, 1, size, size) float32 in [0, 1].
    """
    if digit_size > size:
        raise ValueError(f"digit_size={digit_size} does not fit on a {size}×{size} canvas")
    big = F.interpolate(digits8[:, None], size=(digit_size, digit_size), mode="bicubic",
                        align_corners=False).clamp_(0, 1)  # (N, 1, d, d)
    canvas = torch.zeros(len(digits8), 1, size, size)
    if offsets is None:
        start = (size - digit_size) // 2
        canvas[:, :, start : start + digit_size, start : start + digit_size] = big
        return canvas
    for i, (r, c) in enumerate(offsets.tolist()):
        canvas[i, :, r : r + digit_size, c : c + digit_size] = big[i]
    return canvas


def random_offsets(
    n: int, *, size: int, digit_size: int, generator: torch.Generator
) -> torch.Tensor:
    """(n, 2) uniform top-left positions that keep a ``digit_size`` digit inside the canvas."""
    return torch.randint(0, size - digit_size + 1, (n, 2), generator=generator)


def digits(
    split: str = "all",
    *,
    classes: Sequence[int] = tuple(range(10)),
    placement: str = "centred",
    size: int = 32,
    digit_size: int | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> ImageTensorDataset:
    """scikit-learn's handwritten digits as (N, 1, size, size) images in [0, 1].

    Parameters
    ----------
    split : "train", "test" or "all"; a stratified split fixed by ``seed``.
    classes : which digits to keep; targets are renumbered 0..len(classes)-1 in this order and
        ``classes`` of the result names them ("zero", "one", ...).
    placement : "centred", or "translated" to a random position drawn once per image.
    size : canvas side in pixels.
    digit_size : side of the upsampled digit; default ``3 * size // 4`` centred (24 on 32) and
        ``5 * size // 8`` translated (20 on 32).
    test_fraction : share of each class held out in the test split.
    seed : fixes the split and the positions.

    Returns an ``ImageTensorDataset`` with images (N, 1, size, size) float32 in [0, 1].
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r}; choose one of {', '.join(PLACEMENTS)}")
    classes = [int(c) for c in classes]
    if not classes or any(c not in range(10) for c in classes) or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct digits 0-9, got {classes}")
    if digit_size is None:
        digit_size = 3 * size // 4 if placement == "centred" else 5 * size // 8

    images8, labels = _raw_digits()
    keep = np.isin(labels, classes)
    images8, labels = images8[keep], labels[keep]
    offsets = None
    if placement == "translated":
        # One position per image of the whole class subset, drawn before splitting, so that an
        # image keeps its position whichever split it is read from.
        gen = torch.Generator().manual_seed(seed)
        offsets = random_offsets(len(labels), size=size, digit_size=digit_size, generator=gen)
    idx = split_indices(labels, split=split, test_fraction=test_fraction, seed=seed)
    images = render(
        torch.from_numpy(images8[idx]),
        size=size,
        digit_size=digit_size,
        offsets=None if offsets is None else offsets[idx],
    )
    remap = {c: i for i, c in enumerate(classes)}
    targets = torch.tensor([remap[int(y)] for y in labels[idx]])
    return ImageTensorDataset(images, targets, [DIGIT_NAMES[c] for c in classes])


def ink_boxes(images: torch.Tensor, *, threshold: float = 0.0) -> torch.Tensor:
    """(N, 4) int64 ``(top, left, bottom, right)`` of the pixels above ``threshold`` in each
    image (bottom and right exclusive): the exact box of a digit drawn on black.

    images: (N, C, H, W) in [0, 1] on a black background. An empty image gets (0, 0, 0, 0).
    """
    return bounding_boxes(images.amax(dim=1) > threshold)


def retranslate(images: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
    """The images of a translated-digits dataset moved to fresh random positions.

    Used as data augmentation when training the mini stand-ins: each epoch sees every digit at
    a new place. Works by cropping each digit's bounding box, so it needs black backgrounds.
    images: (N, C, H, W) digits on black. Returns a tensor of the same shape.
    """
    size = images.shape[-1]
    out = torch.zeros_like(images)
    mask = images.amax(dim=1) > 0  # (N, H, W)
    rows, cols = mask.any(dim=2), mask.any(dim=1)  # (N, H), (N, W)
    for i in range(len(images)):
        r = torch.nonzero(rows[i]).flatten()
        c = torch.nonzero(cols[i]).flatten()
        if len(r) == 0:
            continue
        crop = images[i, :, r[0] : r[-1] + 1, c[0] : c[-1] + 1]
        h, w = crop.shape[-2:]
        top = int(torch.randint(0, size - h + 1, (1,), generator=generator))
        left = int(torch.randint(0, size - w + 1, (1,), generator=generator))
        out[i, :, top : top + h, left : left + w] = crop
    return out
