"""15 Scene (Lazebnik et al. 2006): the target task of Part 1.

Full profile: 4,485 greyscale photographs of 15 scene categories, read from ``$DLVISION_DATA``
in either of two layouts:

* the course's ``15SceneData/{train,test}/<class>/*.jpg``;
* the original ``scene_categories/<class>/*.jpg``, split here into 100 training images per
  class (the protocol of the paper) and the rest for testing, the same way on every machine.

Labels go by class name: folder names are matched ignoring case, across splits as within one
(published copies spell ``Coast`` in one split and ``coast`` in the other), the classes are
sorted by lower-cased name once for the dataset, and hidden and system files (``.*``,
``__MACOSX``, ``Thumbs.db``) are ignored. Anything that would shift a label (a class missing
from a split, an empty class folder, two folders differing only in case) is an error, and every
file of a split is checked before the split is returned.

Mini profile: translated digits 5-9, with few labelled images per class: the mini stand-ins were
pretrained on digits 0-4, so the task is new to them, as 15 Scene is to ImageNet networks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..cache import source_fingerprint
from ..profile import Profile, current
from .digits import ImageTensorDataset, digits
from .download import DataNotFoundError
from .files import (
    BadFilesError,
    DataLayoutError,
    ItemStatus,
    by_lower_name,
    check_files,
    describe_folder,
    image_files,
    subfolders,
    visible,
)
from .transforms import load_image, normalize, to_rgb

COURSE_FOLDER = "15SceneData"
ORIGINAL_FOLDER = "scene_categories"
SPLITS = ("train", "test")
TRAIN_PER_CLASS = 100
MINI_CLASSES = (5, 6, 7, 8, 9)
MINI_TRAIN_PER_CLASS = 10
MINI_TEST_FRACTION = 0.5
_SPLIT_SEED = 0
# The code that turns a file into a tensor: editing it changes the fingerprints, and the
# feature caches keyed by them.
_PREPROCESSING = ("dlvision.data.scenes15", "dlvision.data.transforms")

LAYOUT_HELP = f"""Put 15 Scene under {{data_dir}} in one of these layouts:
  {COURSE_FOLDER}/train/<class>/*.jpg and {COURSE_FOLDER}/test/<class>/*.jpg   (the course's)
  {ORIGINAL_FOLDER}/<class>/*.jpg   (the original archive, 15 class folders)
or set $DLVISION_DATA to the folder that holds one of them. Folder names are matched ignoring
case; every class needs images in both splits."""

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
        path = self.files[index]
        try:
            image = load_image(path, size=self.size)
        except OSError as err:  # checked when loaded, so the file changed since: name it
            raise BadFilesError(f"{path} cannot be read as an image ({err}); replace it with a "
                                "good copy") from err
        return image, int(self.targets[index])

    def fingerprint(self) -> str:
        """A hex digest of what the dataset yields, without reading the images.

        It covers each file's path, size and modification time, the labels, the class names,
        and the preprocessing (``load_image`` at ``size``, and the source of the code that
        loads): replacing a file, changing the size or editing that code gives a new one.
        """
        digest = hashlib.sha256(repr((type(self).__name__, self.classes, self.size,
                                      source_fingerprint(*_PREPROCESSING))).encode())
        for path, target in zip(self.files, self.targets.tolist(), strict=True):
            stat = path.stat()
            digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{target}\n".encode())
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} files, {len(self.classes)} classes)"


@dataclass(frozen=True)
class SceneLayout:
    """15 Scene as found on disk, before any image is opened.

    Attributes
    ----------
    root : the dataset folder.
    kind : "course" (``train/`` and ``test/`` folders) or "original" (class folders only).
    classes : class names sorted by lower-cased name, as spelled in the training split; the
        label of ``classes[i]`` is ``i`` in both splits.
    files : for "train" and "test", the image files of each class, in class order.
    """

    root: Path
    kind: str
    classes: list[str]
    files: dict[str, list[list[Path]]]

    def split(self, split: str) -> tuple[list[Path], list[int]]:
        """The files of one split and their labels, class after class."""
        files = [f for group in self.files[split] for f in group]
        targets = [label for label, group in enumerate(self.files[split]) for _ in group]
        return files, targets

    def summary(self, split: str) -> str:
        """"1500 (100 per class)", or "2985 (50 to 289 per class)"."""
        counts = [len(group) for group in self.files[split]]
        low, high = min(counts), max(counts)
        per_class = f"{low}" if low == high else f"{low} to {high}"
        return f"{sum(counts)} ({per_class} per class)"


def _layout_error(root: Path, problems: Sequence[str]) -> DataLayoutError:
    return DataLayoutError("\n".join([f"15 Scene in {root} cannot be used as it is:",
                                      *(f"  {p}" for p in problems),
                                      LAYOUT_HELP.format(data_dir=root.parent)]))


def _nested_root(root: Path) -> Path | None:
    """The single folder inside ``root`` that holds the dataset, if ``root`` holds just that.

    Unpacking an archive into a folder of its own name gives ``15SceneData/15SceneData/train``.
    """
    inner = subfolders(root)
    if len(inner) != 1 or image_files(root) or image_files(inner[0]):
        return None
    folders, _ = by_lower_name(subfolders(inner[0]))
    if set(folders) & set(SPLITS) or any(image_files(f) for f in folders.values()):
        return inner[0]
    return None


def _course_layout(root: Path, split_dirs: dict[str, Path]) -> SceneLayout:
    absent = [s for s in SPLITS if s not in split_dirs]
    if absent:
        found = [s for s in SPLITS if s in split_dirs]
        raise _layout_error(root, [f"{split_dirs[found[0]]} has no {absent[0]}/ folder beside "
                                   f"it ({describe_folder(root)})"])
    problems = []
    classes = {}
    for split in SPLITS:
        classes[split], clashes = by_lower_name(subfolders(split_dirs[split]))
        problems += clashes
        loose = image_files(split_dirs[split])
        if loose:
            problems.append(f"{split_dirs[split]} holds {len(loose)} images directly; they "
                            "belong in its class folders")
        if not classes[split]:
            problems.append(f"{split_dirs[split]} has no class folders")
    for split, other in (SPLITS, SPLITS[::-1]):
        only = sorted(set(classes[split]) - set(classes[other]))
        if only:
            names = ", ".join(f"{classes[split][k].name}/" for k in only)
            problems.append(f"{names} in {split_dirs[split]} has no folder of the same name "
                            f"(ignoring case) in {split_dirs[other]}")
    if problems:
        raise _layout_error(root, problems)
    keys = sorted(classes["train"])  # lower-cased names: one order for both splits
    files = {s: [image_files(classes[s][k]) for k in keys] for s in SPLITS}
    empty = [classes[s][k] for s in SPLITS for i, k in enumerate(keys) if not files[s][i]]
    if empty:
        raise _layout_error(root, [f"{folder} has no images (*.jpg, *.png)" for folder in empty])
    return SceneLayout(root, "course", [classes["train"][k].name for k in keys], files)


def _original_layout(root: Path, folders: dict[str, Path]) -> SceneLayout:
    if not folders:
        raise _layout_error(root, [f"{describe_folder(root)}: no class folders"])
    keys = sorted(folders)
    images = {k: image_files(folders[k]) for k in keys}
    problems = [
        f"{folders[k]} has {len(images[k])} images; this layout takes {TRAIN_PER_CLASS} of "
        "each class for training and the rest for testing, so it needs more"
        for k in keys if len(images[k]) <= TRAIN_PER_CLASS
    ]
    if problems:
        raise _layout_error(root, problems)
    # Draw the classes' splits in the order earlier versions did (case-sensitive names), so
    # the same files are chosen; labels still follow the lower-cased names.
    rng = np.random.default_rng(_SPLIT_SEED)
    chosen: dict[str, dict[str, list[Path]]] = {s: {} for s in SPLITS}
    for k in sorted(keys, key=lambda k: folders[k].name):
        order = rng.permutation(len(images[k]))
        for split, picked in zip(SPLITS, (order[:TRAIN_PER_CLASS], order[TRAIN_PER_CLASS:]),
                                 strict=True):
            chosen[split][k] = [images[k][i] for i in sorted(picked)]
    files = {s: [chosen[s][k] for k in keys] for s in SPLITS}
    return SceneLayout(root, "original", [folders[k].name for k in keys], files)


def read_layout(root: str | Path) -> SceneLayout:
    """The classes and files of 15 Scene under ``root``, from folder listings alone.

    Raises ``DataLayoutError``, naming what was found and the layouts expected, for: split
    folders without their pair, one folder level too many, a class folder without a
    counterpart in the other split or without images, two folders whose names differ only in
    case, and (original layout) a class with too few images to split.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError(f"{root} is not a folder.\n"
                                + LAYOUT_HELP.format(data_dir=root.parent))
    folders, clashes = by_lower_name(subfolders(root))
    if clashes:
        raise _layout_error(root, clashes)
    split_dirs = {s: folders[s] for s in SPLITS if s in folders}
    if split_dirs:
        return _course_layout(root, split_dirs)
    nested = _nested_root(root)
    if nested is not None:
        raise _layout_error(root, [
            f"{root} holds only {nested.name}/, which holds the dataset: one folder level too "
            f"many. Move the contents of {nested} up into {root}, or pass root='{nested}'"])
    return _original_layout(root, folders)


def _first_per_class(targets: Sequence[int], n_per_class: int,
                     classes: Sequence[str]) -> np.ndarray:
    """Indices of the first ``n_per_class`` items of each class, in their original order.

    Raises ``ValueError`` naming each class that has fewer.
    """
    targets = np.asarray(targets)
    per_class = [np.flatnonzero(targets == label) for label in range(len(classes))]
    counts = [len(indices) for indices in per_class]
    short = [f"{name!r} has {n}" for name, n in zip(classes, counts, strict=True)
             if n < n_per_class]
    if short:
        raise ValueError(f"n_per_class={n_per_class} is more than the training split holds: "
                         f"class {', '.join(short)}; ask for at most {min(counts)}")
    return np.sort(np.concatenate([indices[:n_per_class] for indices in per_class]))


def find_root(data_dir: Path) -> Path:
    """The 15 Scene folder under ``data_dir``; ``DataNotFoundError`` says what to create."""
    if data_dir.is_dir():
        folders, _ = by_lower_name(subfolders(data_dir))
        for name in (COURSE_FOLDER, ORIGINAL_FOLDER):
            candidate = folders.get(name.lower())
            if candidate is not None and visible(candidate):
                return candidate
        found = f"{describe_folder(data_dir)}.\n"
    else:
        found = f"{data_dir} does not exist.\n"
    raise DataNotFoundError("15 Scene was not found: " + found
                            + LAYOUT_HELP.format(data_dir=data_dir))


def scenes15(
    split: str = "train",
    *,
    n_per_class: int | None = None,
    root: str | Path | None = None,
    size: int | None = None,
    profile: str | Profile | None = None,
) -> ImageFileDataset | ImageTensorDataset:
    """The 15 Scene classification task (mini: translated digits 5-9).

    Parameters
    ----------
    split : "train" or "test".
    n_per_class : keep only the first n labelled images of each class of the training split;
        None keeps them all in full (100 per class) and ``MINI_TRAIN_PER_CLASS`` (10) in mini.
        Asking for more than a class has is a ``ValueError``; so is any n for the test split,
        which is always whole so that accuracies can be compared.
    root : the dataset folder (full profile); default: the first of ``15SceneData`` and
        ``scene_categories`` found under ``$DLVISION_DATA``.
    size : the side S of the images; default: the profile's (224 full, 32 mini, 64 in a
        rehearsal), the size its networks are trained and evaluated at.
    profile : "mini", "full" or None for the active profile.

    Returns a dataset of (image, label) with images (3, S, S) float32, ImageNet-normalized;
    ``.classes`` names the labels, ``.targets`` holds them.

    Raises ``DataNotFoundError`` when the data is not there, ``DataLayoutError`` when its
    folders are wrong and ``BadFilesError`` when files of the split cannot be read, all before
    any image is decoded. Files that passed are remembered under the profile's ``cache_dir``.
    """
    prof = current(profile)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    if size is not None and size < 1:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    size = size or prof.image_size
    if n_per_class is not None and n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive number of images, got {n_per_class}")
    if n_per_class is not None and split == "test":
        raise ValueError(f"n_per_class={n_per_class} applies to the training split only: the "
                         "test split is always whole, so that accuracies can be compared")

    if prof.is_mini:
        data = digits(split, classes=MINI_CLASSES, placement="translated",
                      size=size, test_fraction=MINI_TEST_FRACTION)
        data.images = normalize(to_rgb(data.images))
        if split == "train":
            keep = _first_per_class(data.targets, n_per_class or MINI_TRAIN_PER_CLASS,
                                    data.classes)
            data = ImageTensorDataset(data.images[keep], data.targets[keep], data.classes)
        return data

    layout = read_layout(root if root is not None else find_root(prof.data_dir))
    files, targets = layout.split(split)
    check_files(files, root=layout.root, cache_dir=prof.cache_dir)
    if n_per_class is not None:
        keep = _first_per_class(targets, n_per_class, layout.classes)
        files, targets = [files[i] for i in keep], [targets[i] for i in keep]
    return ImageFileDataset(files, targets, layout.classes, size=size)


def status(profile: str | Profile | None = None) -> ItemStatus:
    """Whether 15 Scene is ready for the full profile: its layout and every file checked."""
    prof = current(profile)
    try:
        root = find_root(prof.data_dir)
    except DataNotFoundError:
        return ItemStatus("15 Scene", "missing", f"put it in {prof.data_dir / COURSE_FOLDER}/"
                      f"{{train,test}}/<class>/ or {prof.data_dir / ORIGINAL_FOLDER}/<class>/")
    try:
        layout = read_layout(root)
        check_files([f for s in SPLITS for f in layout.split(s)[0]], root=layout.root,
                    cache_dir=prof.cache_dir)
    except DataNotFoundError as err:
        return ItemStatus("15 Scene", "broken", str(err))
    return ItemStatus("15 Scene", "ok", f"{root} ({layout.kind} layout): {len(layout.classes)} "
                  f"classes; train {layout.summary('train')}, test {layout.summary('test')}")
