"""Checks of dataset files and folders, done before any work starts.

Real copies of a dataset come with surprises that fail late or, worse, silently: hidden files
from macOS or Windows, Git LFS pointers instead of images, truncated downloads, folders whose
names differ only in case. This module lists folders the way every loader should (ignoring
system files, matching names case-insensitively), checks image files cheaply (their size, first
bytes and last bytes; optionally PIL's header check) and remembers which files passed, keyed by
each file's size and modification time, so that a second load costs a ``stat`` per file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from tqdm.auto import tqdm

from ..cache import atomic_path, source_fingerprint
from ..profile import Profile, current
from .download import DataNotFoundError
from .imagenet import IMAGENET_VAL_FILE, _check_npz

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# Folders and files that archivers and file browsers add; never data. Compared lower-cased.
SYSTEM_NAMES = frozenset({"__macosx", "thumbs.db", "desktop.ini", "$recycle.bin"})
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
JPEG_START, JPEG_END = b"\xff\xd8\xff", b"\xff\xd9"
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"
SHOWN_PROBLEMS = 5
_TAIL = 4096  # bytes read from the end of a file: room for zero padding after the end marker


class DataLayoutError(DataNotFoundError):
    """Dataset folders are not laid out as expected; the message says what was found."""


class BadFilesError(DataNotFoundError):
    """Files of a dataset cannot be used; ``problems`` lists them, the message says the fix."""

    def __init__(self, message: str, problems: Sequence[FileProblem] = ()):
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class FileProblem:
    """What is wrong with one file: ``kind`` is "lfs", "empty", "truncated" or "unreadable"."""

    path: Path
    kind: str
    detail: str


@dataclass(frozen=True)
class ItemStatus:
    """The state of one thing the full profile needs, as ``dlvision info`` shows it.

    ``status`` is "ok"; "absent" (not on disk, but fetched automatically at first use);
    "missing" (must be put in place by hand); or "broken" (on disk but unusable).
    """

    name: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        """Whether a full build can go ahead as far as this item is concerned."""
        return self.status in ("ok", "absent")


# --- listing folders ----------------------------------------------------------------------------


def is_ignored(name: str) -> bool:
    """Hidden and system entries: ``.*`` (with macOS's ``._x.jpg``), ``__MACOSX``, ``Thumbs.db``…"""
    return name.startswith(".") or name.lower() in SYSTEM_NAMES


def _entries(folder: Path) -> list[os.DirEntry]:
    """The entries of ``folder`` that can be data, sorted by name.

    ``os.scandir`` knows each entry's type without a ``stat`` per file: listing CelebA's
    200,000 files this way takes a fraction of a second.
    """
    with os.scandir(folder) as entries:
        return sorted((e for e in entries if not is_ignored(e.name)), key=lambda e: e.name)


def _is_image(entry: os.DirEntry) -> bool:
    return os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES and entry.is_file()


def visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` that can be data, sorted by name."""
    return [Path(e.path) for e in _entries(folder)]


def subfolders(folder: Path) -> list[Path]:
    """The visible subfolders of ``folder``, sorted by name."""
    return [Path(e.path) for e in _entries(folder) if e.is_dir()]


def image_files(folder: Path) -> list[Path]:
    """The visible ``.jpg``, ``.jpeg`` and ``.png`` files of ``folder``, sorted by name."""
    return [Path(e.path) for e in _entries(folder) if _is_image(e)]


def by_lower_name(folders: Iterable[Path]) -> tuple[dict[str, Path], list[str]]:
    """Folders keyed by their lower-cased name, and a problem for each clash.

    Two folders whose names differ only in case (``coast/`` and ``Coast/``) would hold one class
    on a case-insensitive disk and two on Linux, so neither is chosen: each clash is returned as
    a line naming both, for the caller to raise.
    """
    found: dict[str, Path] = {}
    clashes = []
    for folder in folders:
        key = folder.name.lower()
        if key in found:
            clashes.append(f"{found[key]}/ and {folder}/ differ only in case: merge them into "
                           "one folder")
        else:
            found[key] = folder
    return found, clashes


def describe_folder(folder: Path, limit: int = 6) -> str:
    """A short account of what ``folder`` holds, for error messages."""
    entries = _entries(folder)
    folders = [f"{e.name}/" for e in entries if e.is_dir()]
    counts = {"image file": sum(map(_is_image, entries))}
    counts["other file"] = len(entries) - len(folders) - counts["image file"]
    parts = []
    if folders:
        more = f" and {len(folders) - limit} more" if len(folders) > limit else ""
        parts.append(f"{_plural(len(folders), 'folder')} ({', '.join(folders[:limit])}{more})")
    parts += [_plural(n, what) for what, n in counts.items() if n]
    return f"{folder} holds " + (", ".join(parts) if parts else "nothing (hidden files aside)")


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


# --- checking files -----------------------------------------------------------------------------


def _read_ends(path: Path) -> tuple[bytes, bytes]:
    """The first 64 bytes and the last ``_TAIL`` bytes of a file."""
    with open(path, "rb") as f:
        head = f.read(64)
        f.seek(max(0, f.seek(0, os.SEEK_END) - _TAIL))
        return head, f.read()


def _decodes(path: Path) -> str | None:
    """Decode the whole file at reduced size (JPEG's draft mode); the error text, or None."""
    try:
        with Image.open(path) as img:
            img.draft("L", (max(1, img.width // 8), max(1, img.height // 8)))
            img.load()
    except Exception as err:  # PIL raises OSError, SyntaxError, ValueError… on bad data
        return str(err) or type(err).__name__
    return None


def file_problem(path: Path, *, verify: bool = True) -> FileProblem | None:
    """What is wrong with the image file at ``path``, or None when it looks whole.

    Reads the first and last bytes: an empty file, a Git LFS pointer, a file that is not a
    JPEG or PNG, and a JPEG or PNG that stops before its end marker are caught without
    decoding. A missing end marker can also be trailing junk after a complete image, so only a
    file that then fails a decode at reduced size is called truncated. ``verify`` adds PIL's
    header check (``Image.verify``), about four times the cost of the byte checks.
    """
    if path.stat().st_size == 0:
        return FileProblem(path, "empty", "empty (0 bytes)")
    head, tail = _read_ends(path)
    if head.startswith(LFS_POINTER):
        return FileProblem(path, "lfs", "a Git LFS pointer (a short text file), not the image")
    if head.startswith(JPEG_START):
        end = JPEG_END
    elif head.startswith(PNG_START):
        end = PNG_END
    else:
        return FileProblem(path, "unreadable", "not a JPEG or PNG file")
    if verify:
        try:
            with Image.open(path) as img:
                img.verify()
        except Exception as err:
            return FileProblem(path, "unreadable", f"not a readable image ({err})")
    if not tail.rstrip(b"\0").endswith(end):
        error = _decodes(path)
        if error is not None:
            return FileProblem(path, "truncated", f"truncated ({error})")
    return None


def _git_clone_of(path: Path) -> Path | None:
    """The git working tree that holds ``path``, if any."""
    for parent in path.parents:
        if (parent / ".git").exists():
            return parent
    return None


def _fix(problem: FileProblem) -> str:
    """How to repair a file with this problem."""
    if problem.kind == "lfs":
        clone = _git_clone_of(problem.path)
        where = f"in {clone}" if clone else "in the git clone they come from"
        return (f"Git LFS pointers: the files were cloned without Git LFS. Run `git lfs pull` "
                f"{where}, or download the dataset archive instead of cloning.")
    return ("Empty, truncated or unreadable files: replace each with a good copy (extract it "
            "again from the archive or download it again), or delete it.")


def problems_message(problems: Sequence[FileProblem], *, checked: int) -> str:
    """The text of a ``BadFilesError``: the first few files, how many more, and the fixes."""
    lines = [f"{len(problems)} of {checked} files cannot be used:"]
    lines += [f"  {p.path}: {p.detail}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"  and {len(problems) - SHOWN_PROBLEMS} more")
    lines.append("To fix them:")
    lines += [f"  {fix}" for fix in dict.fromkeys(map(_fix, problems))]  # each fix once
    return "\n".join(lines)


def _cache_file(cache_dir: Path, root: Path) -> Path:
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache_dir / "checked-files" / f"{root.name}-{key}.json"


def _read_cache(path: Path) -> dict[str, list[int]]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return record.get("files", {}) if record.get("code") == _checking_code() else {}


def _checking_code() -> str:
    # Files passed by other checks are checked again: the record is keyed by this module's code.
    return source_fingerprint(__name__)


def _write_cache(path: Path, files: dict[str, list[int]]) -> None:
    """Write atomically; a cache that cannot be written only costs a check next time."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"code": _checking_code(), "files": files}))
    except OSError:
        pass


def check_files(
    files: Sequence[Path],
    *,
    root: Path,
    cache_dir: Path | None,
    verify: bool = True,
    progress: bool = True,
) -> None:
    """Check every image file with ``file_problem``; raise one ``BadFilesError`` for all.

    Parameters
    ----------
    files : image files under ``root`` (listed from it: paths that start with it).
    root : the dataset folder; names the cache, which holds one entry per file of ``root``.
    cache_dir : where the record of files that passed is kept (a JSON file of
        relative path → [size, modification time]); None checks every file every time.
    verify : also run PIL's header check (see ``file_problem``).
    progress : show a bar when many files are to be checked.

    A file passed before is checked again only when its size or modification time changed.
    """
    cache_path = None if cache_dir is None else _cache_file(cache_dir, root)
    passed = {} if cache_path is None else _read_cache(cache_path)
    under_root = str(root) + os.sep
    todo = []
    for path in files:
        stat = os.stat(path)
        name = str(path).removeprefix(under_root)  # cheaper than relpath on 200,000 files
        key = [stat.st_size, stat.st_mtime_ns]
        if passed.get(name) != key:
            todo.append((path, name, key))
    if not todo:
        return
    problems = []
    bar = tqdm(todo, desc=f"checking {root.name}", unit="file", leave=False,
               disable=not progress or len(todo) < 2000)
    for path, name, key in bar:
        problem = file_problem(path, verify=verify)
        if problem is None:
            passed[name] = key
        else:
            passed.pop(name, None)
            problems.append(problem)
    if cache_path is not None:
        _write_cache(cache_path, passed)
    if problems:
        raise BadFilesError(problems_message(problems, checked=len(files)), problems)


def weights_status(name: str, path: Path, *, when_absent: str) -> ItemStatus:
    """Whether a weights file is usable: present, not empty, not a Git LFS pointer.

    ``when_absent`` says what happens to an absent file ("downloaded at first use"…): absent
    weights are fetched or trained automatically, so they are not an error.
    """
    if not path.is_file():
        return ItemStatus(name, "absent", f"{when_absent} ({path})")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(len(LFS_POINTER))
    if size == 0 or head == LFS_POINTER:
        what = "empty" if size == 0 else "a Git LFS pointer"
        return ItemStatus(name, "broken", f"{path} is {what}: delete it, it is {when_absent}")
    return ItemStatus(name, "ok", f"{path} ({size / 2**20:.1f} MiB)")


def imagenet_samples_status(profile: str | Profile | None = None) -> ItemStatus:
    """The ImageNet sample file: its keys, shapes and dtypes, when it is there."""
    path = current(profile).data_dir / IMAGENET_VAL_FILE
    if not path.is_file():
        return ItemStatus("ImageNet samples", "absent", f"downloaded at first use ({path})")
    try:
        _check_npz(path)
    except DataNotFoundError as err:
        return ItemStatus("ImageNet samples", "broken", str(err))
    return ItemStatus("ImageNet samples", "ok", str(path))
