"""Keyed caches of results that take time to compute: trained stand-ins, features, runs.

A result is stored under a key that hashes everything that determines it (``cache_key``), so a
changed setting gives a new file instead of a stale answer. ``load_or_build`` reads the file, or
computes and writes it; files are written through a temporary name (``save_atomic``), so an
interrupted run never leaves a broken cache, and an unreadable one is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch

from .profile import default_data_dir

T = TypeVar("T")


def default_cache_dir() -> Path:
    """``$DLVISION_DATA/cache`` (``~/.cache/dlvision/cache`` by default): what can be rebuilt."""
    return default_data_dir() / "cache"


def cache_key(spec: Any, *, length: int = 24) -> str:
    """A hex digest of ``spec`` (anything ``json`` can write, dict keys in any order)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def save_atomic(obj: Any, path: str | Path) -> None:
    """``torch.save(obj, path)`` through a temporary file in the same folder, renamed when
    complete: readers see either the previous file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_or_build(
    path: str | Path,
    build: Callable[[], T],
    *,
    validate: Callable[[T], None] | None = None,
    what: str = "cache",
) -> tuple[T, bool]:
    """``(result, cached)``: the result stored at ``path``, else ``build()`` saved there.

    The file is read with ``torch.load(weights_only=True)`` on the CPU, so it may hold tensors,
    numbers, strings, lists and dicts. ``validate(result)`` may raise to reject a file that
    loads but does not fit (another architecture, say). A file that cannot be read or is
    rejected is rebuilt with a warning naming it (``what`` says what it held); ``cached`` tells
    whether the result came from the file.
    """
    path = Path(path)
    if path.exists():
        try:
            result = torch.load(path, map_location="cpu", weights_only=True)
            if validate is not None:
                validate(result)
            return result, True
        except Exception as err:  # cut short, from another version, or rejected: build again
            warnings.warn(f"ignoring the unreadable {what} {path} ({err}); computing it again",
                          stacklevel=2)
    result = build()
    save_atomic(result, path)
    return result, False
