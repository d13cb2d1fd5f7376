"""CelebA's aligned faces for the DCGAN (mini: all ten centred digits), scaled to [-1, 1].

Full profile: the ``.jpg`` files of ``img_align_celeba/``, under ``$DLVISION_DATA`` or its
``celeba/`` subfolder (where torchvision unpacks it), else torchvision's download, which Google
Drive's quota often refuses. Hidden and system files are ignored; every file is checked (its
size, first and last bytes) before the dataset is returned, and the files that passed are
remembered, so that the 202,599 files are checked once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from ..cache import source_fingerprint
from ..profile import Profile, current
from .digits import digits
from .download import DataNotFoundError
from .files import BadFilesError, DataLayoutError, ItemStatus, check_files, image_files, subfolders
from .gan_images import check_size, gan_transform, to_gan_range

CELEBA_FOLDER = "img_align_celeba"
# The code that turns a file into a tensor: editing it changes the fingerprints.
_PREPROCESSING = ("dlvision.data.celeba", "dlvision.data.gan_images")
MANUAL_ROUTE = ("Download img_align_celeba.zip by hand (from the CelebA site's Google Drive or a "
                "Kaggle mirror) and unzip it so that the .jpg files are in {folder}/")


class ImageFolderFlat(Dataset):
    """Every image file of one folder, as GAN inputs; the label is always 0.

    Items are ((3, size, size) float32 in [-1, 1], 0); ``files`` lists the images.
    """

    def __init__(self, folder: Path, *, size: int):
        self.files = image_files(folder)
        self.size = size
        self.transform = gan_transform(size)

    def fingerprint(self) -> str:
        """A hex digest of what the dataset yields, without reading the images: each file's
        path, size and modification time, and the image size (keys the GAN runs' cache)."""
        digest = hashlib.sha256(repr((type(self).__name__, self.size,
                                      source_fingerprint(*_PREPROCESSING))).encode())
        for path in self.files:
            stat = path.stat()
            digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path = self.files[index]
        try:
            with Image.open(path) as img:
                return self.transform(img.convert("RGB")), 0
        except OSError as err:  # checked when loaded, so the file changed since: name it
            raise BadFilesError(f"{path} cannot be read as an image ({err}); replace it with a "
                                "good copy") from err


def find_folder(data_dir: Path) -> Path | None:
    """The folder of CelebA's images under ``data_dir``, or None when there is none.

    Raises ``DataLayoutError`` for a folder without images, naming the subfolder that holds
    them when the archive was unpacked one level too deep (Kaggle's copy:
    ``img_align_celeba/img_align_celeba/*.jpg``).
    """
    for folder in (data_dir / CELEBA_FOLDER, data_dir / "celeba" / CELEBA_FOLDER):
        if not folder.is_dir():
            continue
        if image_files(folder):
            return folder
        inner = [f for f in subfolders(folder) if image_files(f)]
        if inner:
            raise DataLayoutError(f"{folder} holds no images, but {inner[0]} does: one folder "
                                  f"level too many. Move its files up into {folder}.")
        raise DataLayoutError(f"{folder} holds no images (*.jpg, *.png). "
                              + MANUAL_ROUTE.format(folder=folder))
    return None


def celeba(*, size: int = 32, profile: str | Profile | None = None) -> Dataset:
    """Aligned celebrity faces for the DCGAN: (3, size, size) in [-1, 1], size 32 or 64.

    Full: an ``ImageFolderFlat`` of CelebA's files, every label 0; ``BadFilesError`` lists
    unusable files (Git LFS pointers, empty or truncated files) before any is decoded. Mini:
    the training split of the ten centred digits, (1, size, size), as an
    ``ImageTensorDataset``: the test split stays unseen, for judging the samples against.
    """
    check_size(size)
    prof = current(profile)
    if prof.is_mini:
        return to_gan_range(digits("train", placement="centred", size=size))
    folder = find_folder(prof.data_dir)
    if folder is None:
        from torchvision.datasets import CelebA

        try:
            CelebA(prof.data_dir, split="all", download=True)  # unpacks into celeba/
        except Exception as err:
            raise DataNotFoundError(
                f"CelebA could not be downloaded ({err}); Google Drive often refuses it once "
                "its daily quota is spent. "
                + MANUAL_ROUTE.format(folder=prof.data_dir / CELEBA_FOLDER)
            ) from err
        folder = prof.data_dir / "celeba" / CELEBA_FOLDER
    data = ImageFolderFlat(folder, size=size)
    # Byte checks only (no PIL): 200,000 files take seconds, not minutes, the first time.
    check_files(data.files, root=folder, cache_dir=prof.cache_dir, verify=False)
    return data


def status(profile: str | Profile | None = None) -> ItemStatus:
    """Whether CelebA's folder is there, and every file in it usable."""
    prof = current(profile)
    try:
        folder = find_folder(prof.data_dir)
        if folder is None:
            return ItemStatus("CelebA", "missing", MANUAL_ROUTE.format(
                folder=prof.data_dir / CELEBA_FOLDER))
        files = image_files(folder)
        check_files(files, root=folder, cache_dir=prof.cache_dir, verify=False)
    except DataNotFoundError as err:
        return ItemStatus("CelebA", "broken", str(err))
    return ItemStatus("CelebA", "ok", f"{folder}: {len(files)} images")

