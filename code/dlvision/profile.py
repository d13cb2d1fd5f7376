"""The two profiles of the course, device choice, seeding, data and cache folders.

``mini`` (the default) runs offline on a laptop CPU with data shipped inside scikit-learn;
``full`` uses the real datasets and ImageNet weights. Both run the same functions: a profile only
supplies data, models and default sizes.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

PROFILES = ("mini", "full")
PROFILE_ENV = "DLVISION_PROFILE"
DATA_ENV = "DLVISION_DATA"


@dataclass(frozen=True)
class Profile:
    """What one profile supplies: its name, where data lives, and default sizes.

    Attributes
    ----------
    name : "mini" or "full".
    device : where models run (CUDA when present, else CPU).
    seed : the seed that ``setup`` applied.
    data_dir : downloaded and hand-placed datasets (``$DLVISION_DATA``).
    cache_dir : models, features and other results that can be rebuilt (``data_dir/cache``).
    image_size : side of the square images the pretrained networks take (224 full, 32 mini).
    batch_size : default batch size for feature extraction and evaluation.
    """

    name: str
    device: torch.device
    seed: int
    data_dir: Path
    cache_dir: Path
    image_size: int
    batch_size: int

    @property
    def is_mini(self) -> bool:
        return self.name == "mini"

    def describe(self) -> str:
        """One line for the top of a chapter."""
        return f"dlvision profile: {self.name} · device: {self.device} · seed: {self.seed}"

    def __str__(self) -> str:
        return self.describe()


_SIZES = {
    "mini": {"image_size": 32, "batch_size": 256},
    "full": {"image_size": 224, "batch_size": 32},
}

_active: Profile | None = None


def resolve_profile_name(profile: str | Profile | None = None) -> str:
    """The profile name that applies: the argument, else ``$DLVISION_PROFILE``, else ``"mini"``.

    Raises ``ValueError`` for a name that is not a profile.
    """
    if isinstance(profile, Profile):
        return profile.name
    if profile is None:
        profile = os.environ.get(PROFILE_ENV) or "mini"
        source = f"${PROFILE_ENV}"
    else:
        source = "profile="
    name = str(profile).strip().lower()
    if name not in PROFILES:
        raise ValueError(
            f"unknown profile {profile!r} (from {source}); choose one of {', '.join(PROFILES)}: "
            "'mini' runs offline on a CPU, 'full' uses the real data and ImageNet weights"
        )
    return name


def default_data_dir() -> Path:
    """``$DLVISION_DATA``, else ``$XDG_CACHE_HOME/dlvision``, else ``~/.cache/dlvision``."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "dlvision"


def choose_device() -> torch.device:
    """CUDA when a GPU is visible, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so that a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (students' code draws from the legacy global state)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.benchmark = False


def make_profile(profile: str | Profile | None = None, *, seed: int = 0) -> Profile:
    """Build the ``Profile`` for a name without seeding or activating anything."""
    name = resolve_profile_name(profile)
    data_dir = default_data_dir()
    return Profile(
        name=name,
        device=choose_device(),
        seed=seed,
        data_dir=data_dir,
        cache_dir=data_dir / "cache",
        **_SIZES[name],
    )


def setup(profile: str | None = None, seed: int = 0) -> Profile:
    """Choose the profile, seed every generator and pick the device; return the profile.

    Parameters
    ----------
    profile : "mini", "full" or None. None reads ``$DLVISION_PROFILE``, and falls back to
        "mini". The argument wins over the environment.
    seed : seed for Python's ``random``, NumPy and torch.

    The returned profile also becomes the one that loaders and models use when they are not
    given one explicitly (see ``current``).
    """
    global _active
    _active = make_profile(profile, seed=seed)
    seed_everything(seed)
    return _active


def current(profile: str | Profile | None = None) -> Profile:
    """The profile a function should use.

    An explicit ``Profile`` is returned as is; a name builds that profile; None gives the one
    chosen by the last ``setup()`` call, or, when ``setup`` was never called, the profile named
    by ``$DLVISION_PROFILE`` (default "mini").
    """
    if isinstance(profile, Profile):
        return profile
    if profile is not None:
        return make_profile(profile)
    if _active is not None:
        return _active
    return make_profile(None)
