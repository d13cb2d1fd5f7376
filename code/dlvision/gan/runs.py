"""Trained GANs cached by everything that decides them, and samples from them.

``trained_run(config, data)`` trains once and then reads the result: the key hashes the
configuration, the data's fingerprint and the source of the code that trains (``models``,
``losses``, ``training``), so a chapter, a rebuild and ``dlvision sample`` all get the same run,
and a change to any of them trains again. A run interrupted halfway resumes from its
checkpoint, next to the cache file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..cache import cache_key, default_cache_dir, load_or_build
from ..profile import Profile, current
from . import losses, models, training
from .training import GANConfig, Run, run_from_checkpoint, run_state, train

# The mini profile's default run, chosen by measurement on the ten digits (the chapter shows
# the course's own setting beside it, and how it collapses there).
MINI_DEFAULT = GANConfig(ngf=16, ndf=16, batch_size=64, shift=2, steps=1500)


def default_config(profile: str | Profile | None = None) -> GANConfig:
    """The default DCGAN run of a profile. Full: the course's settings. Mini: the same
    architecture, narrower, on smaller batches of shifted digits (see ``MINI_DEFAULT``)."""
    return GANConfig() if not current(profile).is_mini else MINI_DEFAULT


def code_version() -> str:
    """A digest of the source of the modules that decide a run: editing them trains again."""
    digest = hashlib.sha256()
    for module in (models, losses, training):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def run_path(config: GANConfig, data: Dataset) -> Path:
    """Where the run of ``config`` on ``data`` is cached."""
    fingerprint = getattr(data, "fingerprint", None)
    if not callable(fingerprint):
        raise TypeError(f"{type(data).__name__} has no fingerprint(): a run on it cannot be "
                        "cached (use dlvision.data's datasets, or call train directly)")
    key = cache_key({"config": config.as_dict(), "data": fingerprint(),
                     "code": code_version()})
    return default_cache_dir() / "gans" / f"{key}.pt"


def trained_run(config: GANConfig, data: Dataset, *, progress: bool = True) -> Run:
    """The run of ``config`` on ``data``: read from the cache, else trained (resuming an
    interrupted training) and cached. Networks in eval mode, on the CPU."""
    path = run_path(config, data)
    partial = path.with_name(path.stem + ".checkpoint.pt")

    def build() -> dict:
        return run_state(train(config, data, checkpoint=partial, progress=progress))

    state, _ = load_or_build(path, build, what="cached GAN run")
    partial.unlink(missing_ok=True)
    return run_from_checkpoint(state)


@torch.no_grad()
def sample(generator: models.Generator, n: int, *, seed: int = 0,
           batch_size: int = 500) -> torch.Tensor:
    """n images (n, C, H, W) in [-1, 1] from noise drawn with ``seed``, G in eval mode."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    generator.eval()
    z = torch.randn(n, generator.nz, generator=torch.Generator().manual_seed(seed))
    device = next(generator.parameters()).device
    return torch.cat([generator(z[i:i + batch_size].to(device)).cpu()
                      for i in range(0, n, batch_size)])


def save_samples(images: torch.Tensor, path: str | Path, **arrays: np.ndarray) -> Path:
    """Write ``images`` (N, C, H, W) float32 in [-1, 1] (and any other arrays, such as
    ``labels``) to an .npz file, through a temporary name."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"the sample file must end in .npz, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part.npz")
    np.savez(partial, images=images.float().numpy(), **arrays)
    partial.replace(path)
    return path


__all__ = ["MINI_DEFAULT", "code_version", "default_config", "run_path", "sample",
           "save_samples", "trained_run"]
