"""The two profiles of the course, device choice, seeding, data and cache folders.

``mini`` (the default) runs offline on a laptop CPU with data shipped inside scikit-learn;
``full`` uses the real datasets and ImageNet weights. Both run the same functions: a profile only
supplies data, models and default sizes.

Sizes (image side, optimizer steps, labels per class, steps on an image) come in two sets,
chosen by ``$DLVISION_SIZES``:

* ``standard`` (the default): the course's sizes;
* ``rehearsal``: the full profile with a handful of steps and labels, for ``make rehearse-full``,
  which runs every chapter in the full profile on small generated files (random weights, a few
  images) to prove that its code paths run; its numbers mean nothing. Images stay 224×224 and
  the networks keep their 1,000 classes. The mini profile has no rehearsal sizes: it ignores
  ``$DLVISION_SIZES=rehearsal`` (so that ``current("mini")`` still works inside a rehearsal),
  and ``make_profile("mini", sizes="rehearsal")`` is a ``ValueError``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

PROFILES = ("mini", "full")
SIZES = ("standard", "rehearsal")
PROFILE_ENV = "DLVISION_PROFILE"
SIZES_ENV = "DLVISION_SIZES"
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
    train_steps : optimizer steps of a linear probe, a fine-tuning or a training from scratch.
    labels_per_class : the numbers of labelled images per class that the chapters compare.
    image_steps : gradient steps of the methods that optimize an image (class visualization;
        fooling images stop earlier when they succeed).
    sizes : "standard", or "rehearsal" (full only: a few steps and labels, see the module).
    """

    name: str
    device: torch.device
    seed: int
    data_dir: Path
    cache_dir: Path
    image_size: int
    train_steps: int
    labels_per_class: tuple[int, ...]
    image_steps: int = 200
    sizes: str = "standard"

    @property
    def is_mini(self) -> bool:
        return self.name == "mini"

    @property
    def is_rehearsal(self) -> bool:
        return self.sizes == "rehearsal"

    def describe(self) -> str:
        """One line for the top of a chapter."""
        name = f"{self.name} (rehearsal sizes)" if self.is_rehearsal else self.name
        return f"dlvision profile: {name} · device: {self.device} · seed: {self.seed}"

    def __str__(self) -> str:
        return self.describe()


# The course's numbers of labels per class for the "how much each approach needs labels" curve.
_LABELS_PER_CLASS = (3, 5, 10, 25, 50)
_SIZES = {
    ("mini", "standard"): {"image_size": 32, "train_steps": 300,
                           "labels_per_class": _LABELS_PER_CLASS},
    ("full", "standard"): {"image_size": 224, "train_steps": 300,
                           "labels_per_class": _LABELS_PER_CLASS},
    # Every line of the full profile, once, on CPU: one optimizer step (at least one epoch of
    # the tiny generated training set, see transfer.classifiers) and one number of labels, 2,
    # the fewest with which cross-validation can still choose a layer and C. 15 Scene's images
    # at 64×64: the same networks and code (VGG16's adaptive pooling takes any input of at
    # least 32×32), at a twelfth of the cost of 224×224, which made the rehearsal of Part 1
    # alone take six minutes on two cores. ImageNet's samples keep their 224×224.
    ("full", "rehearsal"): {"image_size": 64, "train_steps": 1,
                            "labels_per_class": (2,), "image_steps": 2},
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


def resolve_sizes(profile_name: str, sizes: str | None = None) -> str:
    """The set of sizes that applies: the argument, else ``$DLVISION_SIZES``, else "standard".

    Raises ``ValueError`` for a name that is not in ``SIZES``, and for an explicit
    ``sizes="rehearsal"`` in the mini profile; the mini profile ignores the environment's
    "rehearsal" (it has only its standard sizes).
    """
    explicit = sizes is not None
    if not explicit:
        sizes = os.environ.get(SIZES_ENV) or "standard"
    name = str(sizes).strip().lower()
    if name not in SIZES:
        source = "sizes=" if explicit else f"${SIZES_ENV}"
        raise ValueError(
            f"unknown sizes {sizes!r} (from {source}); choose one of {', '.join(SIZES)}: "
            "'standard' is the course, 'rehearsal' runs the full profile with a few steps and "
            "images (make rehearse-full)"
        )
    if (profile_name, name) not in _SIZES:
        if not explicit:
            return "standard"
        raise ValueError(
            f"sizes={name!r} exists for the full profile only; the {profile_name} profile has "
            "only its standard sizes"
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


def make_profile(
    profile: str | Profile | None = None, *, seed: int = 0, sizes: str | None = None
) -> Profile:
    """Build the ``Profile`` for a name without seeding or activating anything.

    ``sizes``: "standard" or "rehearsal"; None reads ``$DLVISION_SIZES`` (see ``resolve_sizes``).
    """
    name = resolve_profile_name(profile)
    sizes = resolve_sizes(name, sizes)
    data_dir = default_data_dir()
    return Profile(
        name=name,
        device=choose_device(),
        seed=seed,
        data_dir=data_dir,
        cache_dir=data_dir / "cache",
        sizes=sizes,
        **_SIZES[name, sizes],
    )


def setup(profile: str | None = None, seed: int = 0, *, sizes: str | None = None) -> Profile:
    """Choose the profile, seed every generator and pick the device; return the profile.

    Parameters
    ----------
    profile : "mini", "full" or None. None reads ``$DLVISION_PROFILE``, and falls back to
        "mini". The argument wins over the environment.
    seed : seed for Python's ``random``, NumPy and torch.
    sizes : "standard", "rehearsal" (full only) or None for ``$DLVISION_SIZES``, else
        "standard".

    The returned profile also becomes the one that loaders and models use when they are not
    given one explicitly (see ``current``).
    """
    global _active
    _active = make_profile(profile, seed=seed, sizes=sizes)
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
