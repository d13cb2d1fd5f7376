"""Training data for the GANs: MNIST and CelebA (mini: centred digits), scaled to [-1, 1].

A generator ending in ``tanh`` produces values in [-1, 1], so real images are scaled the same
way before the discriminator compares them.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import transforms as T

from ..profile import Profile, current
from .digits import ImageTensorDataset, digits
from .download import DataNotFoundError

CELEBA_FOLDER = "img_align_celeba"
GAN_SIZES = (32, 64)


def _to_gan_range(data: ImageTensorDataset) -> ImageTensorDataset:
    data.images = data.images * 2 - 1  # [0, 1] -> [-1, 1]
    return data


def _check_size(size: int) -> None:
    if size not in GAN_SIZES:
        raise ValueError(
            f"size must be one of {GAN_SIZES} (the course's architectures), got {size}"
        )


def gan_transform(size: int) -> T.Compose:
    """PIL image → (C, size, size) tensor in [-1, 1]: resize, centre crop, rescale."""
    return T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(),
                      T.Normalize(0.5, 0.5)])


def mnist(
    split: str = "train", *, size: int = 32, profile: str | Profile | None = None
) -> Dataset:
    """Handwritten digits for the conditional GANs: (1, size, size) in [-1, 1], labels 0-9.

    Full: torchvision's MNIST (60,000 train / 10,000 test), downloaded once under
    ``$DLVISION_DATA/mnist``. Mini: scikit-learn's digits, centred (1,797 in "all").
    """
    _check_size(size)
    prof = current(profile)
    if prof.is_mini:
        return _to_gan_range(digits(split, placement="centred", size=size))
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    from torchvision.datasets import MNIST

    root = prof.data_dir / "mnist"
    try:
        return MNIST(root, train=split == "train", download=True, transform=gan_transform(size))
    except Exception as err:  # torchvision raises RuntimeError or URLError when offline
        raise DataNotFoundError(
            f"MNIST could not be downloaded ({err}). Put the four files train-images-idx3-ubyte, "
            f"train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte "
            f"(or their .gz) in {root / 'MNIST' / 'raw'} and run again."
        ) from err


class ImageFolderFlat(Dataset):
    """Every image file of one folder, as GAN inputs; the label is always 0."""

    def __init__(self, folder: Path, *, size: int):
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
        self.transform = gan_transform(size)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.files[index]) as img:
            return self.transform(img.convert("RGB")), 0


def celeba(*, size: int = 32, profile: str | Profile | None = None) -> Dataset:
    """Aligned celebrity faces for the DCGAN: (3, size, size) in [-1, 1], size 32 or 64.

    Full: a local ``img_align_celeba/`` folder under ``$DLVISION_DATA`` (or its ``celeba/``
    subfolder, where torchvision puts it), else torchvision's download, which Google Drive's
    quota often refuses. Mini: all ten centred digits, (1, size, size).
    """
    _check_size(size)
    prof = current(profile)
    if prof.is_mini:
        return _to_gan_range(digits("all", placement="centred", size=size))
    for folder in (prof.data_dir / CELEBA_FOLDER, prof.data_dir / "celeba" / CELEBA_FOLDER):
        if folder.is_dir() and any(folder.iterdir()):
            return ImageFolderFlat(folder, size=size)
    from torchvision.datasets import CelebA

    try:
        CelebA(prof.data_dir, split="all", download=True)  # unpacks into celeba/img_align_celeba
    except Exception as err:
        raise DataNotFoundError(
            f"CelebA could not be downloaded ({err}); Google Drive often refuses it once its "
            f"daily quota is spent. Download img_align_celeba.zip by hand (from the CelebA "
            f"site's Google Drive or a Kaggle mirror) and unzip it so that the .jpg files are "
            f"in {prof.data_dir / CELEBA_FOLDER}/"
        ) from err
    return ImageFolderFlat(prof.data_dir / "celeba" / CELEBA_FOLDER, size=size)
