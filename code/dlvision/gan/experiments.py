"""The course's experiments on DCGAN training (Part 3, Q5), each one change to the default run.

``experiments(base, steps)`` returns, for each experiment of the course's list, the
configuration that differs from ``base`` by that one change, trained for ``steps`` steps (the
default run keeps its generator at that step too, so each experiment is compared with the
default at the same point of training). Two of the course's items need no run of their own:
"longer training" compares the default run with itself at two points, and "interpolation"
draws from the default's generator.
"""

from __future__ import annotations

from ..profile import Profile, current
from .training import GANConfig


def experiment_steps(profile: str | Profile | None = None) -> int:
    """How long each experiment trains: a step at which the default run keeps its generator
    (mini: a third of the default run; full: half of the course's 8,000 steps)."""
    prof = current(profile)
    if prof.is_mini:
        return 500
    return 1 if prof.is_rehearsal else 4000


def experiments(base: GANConfig, steps: int) -> dict[str, GANConfig]:
    """Experiment name → its configuration: ``base`` with one change, ``steps`` steps long,
    keeping its generator at the end (``snapshots``)."""
    short = base.with_(steps=steps, snapshots=(0, steps))
    smaller, larger = max(2, base.ngf // 4), base.ngf * 2
    return {
        "Adam β1 = 0.9": short.with_(beta1=0.9),
        "saturating G loss": short.with_(saturating=True),
        "5 D updates per step": short.with_(d_steps=5),
        "5 G updates per step": short.with_(g_steps=5),
        "nz = 10": short.with_(nz=10),
        "nz = 1000": short.with_(nz=1000),
        f"ngf = ndf = {smaller}": short.with_(ngf=smaller, ndf=max(2, base.ndf // 4)),
        f"ngf = ndf = {larger}": short.with_(ngf=larger, ndf=base.ndf * 2),
        "PyTorch's default init": short.with_(init="default"),
        "learning rates × 5": short.with_(lr_g=base.lr_g * 5, lr_d=base.lr_d * 5),
        "learning rates ÷ 5": short.with_(lr_g=base.lr_g / 5, lr_d=base.lr_d / 5),
        "64×64, one more block": short.with_(size=64),
    }


__all__ = ["experiment_steps", "experiments"]
