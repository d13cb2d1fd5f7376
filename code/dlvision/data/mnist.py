"""MNIST for the conditional GANs (mini: scikit-learn's digits, centred), scaled to [-1, 1].

Full profile: the idx files of MNIST, read here (no torchvision involved unless they are
absent). Each split needs only its own two files, ``.gz`` or not, in the first of these folders
that holds any of them:

* ``$DLVISION_DATA/MNIST/raw/`` (torchvision's layout with ``root=$DLVISION_DATA``);
* ``$DLVISION_DATA/mnist/MNIST/raw/`` (where earlier versions downloaded them).

When a split's files are absent from both, torchvision downloads the four files into a
temporary folder, which is moved into the second folder once complete: a failed download leaves
nothing behind. A file that is there but corrupt is reported as such, never downloaded over.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ..cache import source_fingerprint
from ..profile import Profile, current
from .digits import DIGIT_NAMES, ImageTensorDataset, digits
from .download import DataNotFoundError
from .files import LFS_POINTER, BadFilesError, DataLayoutError, FileProblem, ItemStatus
from .gan_images import check_size, gan_transform, to_gan_range

FOLDERS = (Path("MNIST", "raw"), Path("mnist", "MNIST", "raw"))
DOWNLOAD_FOLDER = FOLDERS[1]
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SPLITS = ("train", "test", "all")
# idx format: a big-endian uint32 magic number, one uint32 per dimension, then uint8 data.
IDX_MAGIC = {"images": 2051, "labels": 2049}
IDX_DIMS = {"images": 3, "labels": 1}
# The code that turns the idx files into tensors: editing it changes the fingerprints.
_PREPROCESSING = ("dlvision.data.mnist", "dlvision.data.gan_images")


class MNISTDataset(Dataset):
    """Handwritten digits held in memory as bytes, made GAN inputs when indexed.

    Attributes
    ----------
    data : (N, H, W) uint8 tensor, the digits as stored (28×28 for MNIST).
    targets : (N,) int64 tensor, the digit shown, 0-9.
    classes : the digits' names, ``classes[targets[i]]`` names image ``i``.
    size : side of the images returned: each item is ((1, size, size) float32 in [-1, 1],
        label), resized as torchvision's MNIST with ``gan_transform(size)`` does it.
    """

    def __init__(self, data: torch.Tensor, targets: torch.Tensor, *, size: int):
        self.data = data
        self.targets = targets.long()
        self.classes = list(DIGIT_NAMES)
        self.size = size
        self.transform = gan_transform(size)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.data[index].numpy())), int(self.targets[index])

    def fingerprint(self) -> str:
        """A hex digest of the digits, labels, class names and preprocessing."""
        digest = hashlib.sha256(repr((type(self).__name__, self.classes, self.size,
                                      source_fingerprint(*_PREPROCESSING))).encode())
        digest.update(self.data.numpy().tobytes())
        digest.update(self.targets.numpy().tobytes())
        return digest.hexdigest()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self)} digits of {tuple(self.data.shape[1:])}, "
                f"as (1, {self.size}, {self.size}))")


def _corrupt(path: Path, what: str, kind: str = "unreadable") -> BadFilesError:
    fix = ("Run `git lfs pull` in the clone it comes from, or delete it" if kind == "lfs"
           else "Delete it")
    return BadFilesError(
        f"MNIST file {path} is corrupt: {what}. {fix} and run again to have MNIST downloaded, "
        "or replace it with a good copy.", [FileProblem(path, kind, what)])


def read_idx(path: str | Path, kind: str) -> np.ndarray:
    """An idx file (gzipped when its name ends in ``.gz``) as a uint8 array.

    kind: "images", giving (N, rows, cols), or "labels", giving (N,). Raises
    ``BadFilesError`` naming the file when it is not a whole idx file of that kind.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw.startswith(LFS_POINTER):
        raise _corrupt(path, "it is a Git LFS pointer, not the data", kind="lfs")
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:  # not gzip, or cut short
            raise _corrupt(path, f"not a whole gzip file ({err})") from err
    header = 4 * (1 + IDX_DIMS[kind])
    if len(raw) < header:
        raise _corrupt(path, f"{len(raw)} bytes, fewer than the {header} of an idx header")
    magic, *shape = struct.unpack(f">{1 + IDX_DIMS[kind]}I", raw[:header])
    if magic != IDX_MAGIC[kind]:
        raise _corrupt(path, f"magic number {magic}, expected {IDX_MAGIC[kind]} (idx {kind})")
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise _corrupt(path, f"{len(raw)} bytes of data, expected {expected} for its header's "
                       f"shape {tuple(shape)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) uint8 digits and (N,) int64 labels from a split's two idx files."""
    images, labels = read_idx(images_path, "images"), read_idx(labels_path, "labels")
    if len(images) != len(labels):
        raise _corrupt(labels_path, f"{len(labels)} labels for the {len(images)} images of "
                       f"{images_path.name}")
    if labels.max(initial=0) > 9:
        raise _corrupt(labels_path, f"a label {labels.max()}, outside 0-9")
    return images, labels.astype(np.int64)


def _existing(folder: Path, name: str) -> Path | None:
    """``folder/name``, else ``folder/name.gz``, else None."""
    for path in (folder / name, folder / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def find_split_files(data_dir: Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of "train" or "test", or None when no folder has either.

    Raises ``DataLayoutError`` when the first folder holding one of them lacks the other.
    """
    for folder in FOLDERS:
        found = [_existing(data_dir / folder, name) for name in SPLIT_FILES[split]]
        if all(found):
            return found[0], found[1]
        if any(found):
            present = next(p for p in found if p is not None)
            absent = next(n for n, p in zip(SPLIT_FILES[split], found, strict=True) if p is None)
            raise DataLayoutError(
                f"MNIST's {split} split needs two files; {data_dir / folder} has {present.name} "
                f"but not {absent} (or {absent}.gz). Put it there, or delete {present.name} to "
                "have both downloaded.")
    return None


def _download(data_dir: Path, split: str) -> None:
    """torchvision's download of the four files into a temporary folder, moved into place."""
    from torchvision.datasets import MNIST

    target = data_dir / DOWNLOAD_FOLDER
    fresh = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mnist-download-", dir=data_dir))
    try:
        MNIST(tmp, train=split == "train", download=True)  # writes tmp/MNIST/raw/
        target.mkdir(parents=True, exist_ok=True)
        for path in (tmp / "MNIST" / "raw").iterdir():
            if not (target / path.name).exists():
                os.replace(path, target / path.name)
    except Exception as err:  # torchvision raises RuntimeError or URLError when offline
        names = " and ".join(SPLIT_FILES[split])
        raise DataNotFoundError(
            f"MNIST could not be downloaded ({err}). Put {names} (or their .gz) in "
            f"{data_dir / FOLDERS[0]} or {target} and run again."
        ) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if fresh and not any(data_dir.iterdir()):
            data_dir.rmdir()


def _load_split(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    files = find_split_files(data_dir, split)
    if files is None:
        _download(data_dir, split)
        files = find_split_files(data_dir, split)
    return read_split(*files)


def mnist(
    split: str = "train", *, size: int = 32, profile: str | Profile | None = None
) -> MNISTDataset | ImageTensorDataset:
    """Handwritten digits for the conditional GANs: (1, size, size) in [-1, 1], labels 0-9.

    Parameters
    ----------
    split : "train", "test" or "all".
    size : 32 or 64.
    profile : "mini", "full" or None for the active profile.

    Full: MNIST, 60,000 train / 10,000 test digits of 28×28 (see the module's notes for the
    folders searched), as an ``MNISTDataset``. Mini: scikit-learn's digits, centred (1,438
    train / 359 test), as an ``ImageTensorDataset``. Both have ``.classes`` and ``.targets``.
    """
    check_size(size)
    prof = current(profile)
    if prof.is_mini:
        return to_gan_range(digits(split, placement="centred", size=size))
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    parts = [_load_split(prof.data_dir, s) for s in SPLIT_FILES if split in (s, "all")]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return MNISTDataset(torch.from_numpy(images), torch.from_numpy(labels), size=size)


def status(profile: str | Profile | None = None) -> ItemStatus:
    """Whether each split's files are there and whole (each file is read)."""
    data_dir = current(profile).data_dir
    found, absent = [], []
    try:
        for split in SPLIT_FILES:
            files = find_split_files(data_dir, split)
            if files is None:
                absent.append(split)
                continue
            images, _ = read_split(*files)
            found.append(f"{split} {len(images)} in {files[0].parent}")
    except DataNotFoundError as err:
        return ItemStatus("MNIST", "broken", str(err))
    if absent:
        found.append(f"{' and '.join(absent)} downloaded at first use into "
                     f"{data_dir / DOWNLOAD_FOLDER}")
    return ItemStatus("MNIST", "absent" if absent else "ok", "; ".join(found))
