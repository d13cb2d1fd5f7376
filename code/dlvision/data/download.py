"""Downloads that are atomic and verified, and the error that says where to put files by hand."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from ..cache import atomic_path

_CHUNK = 1 << 20


class DataNotFoundError(FileNotFoundError):
    """A dataset is neither on disk nor downloadable; the message says what to put where."""


class ChecksumError(ValueError):
    """A downloaded file does not have the expected SHA-256; nothing was written."""


def sha256sum(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    validate: Callable[[Path], None] | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` unless ``dest`` already exists; return ``dest``.

    The bytes go to a temporary file in the same folder, which is renamed to ``dest`` only once
    the transfer is complete and verified: an interrupted or corrupt download never leaves a
    file at ``dest``, and no partial file is left behind.

    Parameters
    ----------
    sha256 : expected hex digest; a mismatch raises ``ChecksumError``.
    validate : called with the temporary path after the checksum; raise to reject the file
        (used where the file has no published checksum, to check its contents instead).
    progress : show a tqdm bar.
    """
    dest = Path(dest)
    if dest.exists():
        return dest
    try:
        with atomic_path(dest) as tmp:
            _fetch(url, tmp, sha256=sha256, validate=validate, progress=progress,
                   timeout=timeout, dest=dest)
    except (urllib.error.URLError, OSError) as err:
        if isinstance(err, DataNotFoundError):
            raise
        raise DataNotFoundError(
            f"could not download {url} ({err}); download it yourself and save it as {dest}"
        ) from err
    return dest


def _fetch(url: str, tmp: Path, *, sha256: str | None, validate: Callable[[Path], None] | None,
           progress: bool, timeout: float, dest: Path) -> None:
    """The bytes of ``url`` into ``tmp``, checked against ``sha256`` and ``validate``."""
    digest = hashlib.sha256()
    with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"download {dest.name}",
                  disable=not progress) as bar:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    if sha256 is not None and digest.hexdigest() != sha256.lower():
        raise ChecksumError(
            f"{url} downloaded with SHA-256 {digest.hexdigest()}, expected {sha256}; the "
            f"file was discarded. Try again later, or place a good copy at {dest} by hand."
        )
    if validate is not None:
        validate(tmp)
