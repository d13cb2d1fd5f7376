"""The one cache policy of the package: keyed results, fingerprints, atomic writes.

A result is stored under a key that hashes everything that determines it (``cache_key``): its
settings, the fingerprints of the data and weights it was computed from (``weights_fingerprint``;
datasets have their own ``fingerprint()``), and the source of the code that computes it
(``source_fingerprint``), so that a changed setting, file or line of code gives a new file
instead of a stale answer, with no version number to bump by hand. ``load_or_build`` reads the
file, or computes and writes it. Every file the package keeps for its users (caches, downloads,
checkpoints, samples, notebooks, reports and grades) goes through ``atomic_path`` (a temporary
name in the same folder, renamed when complete), so an interrupted run never leaves a broken or
partial file, and an unreadable cache is rebuilt. (Scratch files in a temporary folder that is
thrown away, and the stand-in data of a rehearsal, are written directly.)
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from .profile import default_data_dir

T = TypeVar("T")


def default_cache_dir() -> Path:
    """``$DLVISION_DATA/cache`` (``~/.cache/dlvision/cache`` by default): what can be rebuilt."""
    return default_data_dir() / "cache"


def cache_key(spec: Any, *, length: int = 24) -> str:
    """A hex digest of ``spec`` (anything ``json`` can write, dict keys in any order)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@functools.cache
def source_fingerprint(*modules: str) -> str:
    """A hex digest of the source of ``modules`` (dotted names, e.g. "dlvision.gan.losses", in
    the order given; a package counts every ``.py`` file under it): the code a cached result
    depends on, so that editing it computes the result again."""
    digest = hashlib.sha256()
    for name in modules:
        module = importlib.import_module(name)
        files = ([Path(module.__file__)] if not hasattr(module, "__path__") else
                 sorted(p for folder in module.__path__ for p in Path(folder).rglob("*.py")))
        for path in files:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def weights_fingerprint(weights: nn.Module | Mapping[str, torch.Tensor]) -> str:
    """A hex digest of a network's exact weights and buffers (the names, dtypes, shapes and
    bytes of its ``state_dict``); for a module also its layers (its ``repr``), so that another
    cut point of the same network differs."""
    state = weights.state_dict() if isinstance(weights, nn.Module) else weights
    digest = hashlib.sha256(repr(weights).encode() if isinstance(weights, nn.Module) else b"")
    for name, t in state.items():
        t = t.detach().cpu().contiguous()
        digest.update(f"{name}{t.dtype}{tuple(t.shape)}".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder to write to; renamed to ``path`` when the block
    ends without an exception, removed in every case. Readers see the previous file or the
    whole new one, never a part, and an interruption leaves nothing behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    """``Path(path).write_text(text)`` in UTF-8, through ``atomic_path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_atomic(obj: Any, path: str | Path) -> None:
    """``torch.save(obj, path)`` through ``atomic_path``."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


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
