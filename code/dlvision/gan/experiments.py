"""The course's experiments on DCGAN training (Part 3, Q5), each one change to the default run.

``experiments(base, steps)`` returns, for each experiment of the course's list, the
configuration that differs from ``base`` by that one change, trained for ``steps`` steps: the
step by which the default run draws every digit (``experiment_steps``), so that each change is
compared with a default that has already learned. ``seeds(base, steps)`` gives the default run
with other seeds, as long: a change counts as better or worse only outside their spread. Two of
the course's items need no run of their own: "longer training" compares the default run with
itself at two points, and "interpolation" draws from the default's generator.

Part 4's comparison runs are set here too (``comparison_steps``). This module only says what
each run is; ``parts`` trains, caches and judges every run of a part in one call.
"""

from __future__ import annotations

from ..profile import Profile
from .runs import default_config
from .training import GANConfig

# The mini default's seed is 0; these two more show how much the same setting varies from one
# seed to the next.
OTHER_SEEDS = (1, 2)
# The step at which the experiments are compared, mini: the first kept step at which each of
# the default's three seeds draws all ten digits (see ``runs.MINI_DEFAULT``).
EXPERIMENT_STEPS_MINI = 1000


def experiment_steps(profile: Profile) -> int:
    """How long each experiment trains: mini, ``EXPERIMENT_STEPS_MINI``, by when the default
    run draws every digit; full, half of the course's 8,000 steps; a rehearsal, 1."""
    if profile.is_mini:
        return EXPERIMENT_STEPS_MINI
    return 1 if profile.is_rehearsal else 4000


def seeds(base: GANConfig, steps: int) -> dict[str, GANConfig]:
    """The default run with each of ``OTHER_SEEDS``, ``steps`` long, keeping its generator at
    the end: "seed 1", "seed 2"."""
    return {f"seed {seed}": base.with_(seed=seed, steps=steps, snapshots=(0, steps))
            for seed in OTHER_SEEDS}


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


def one_sided(base: GANConfig) -> dict[str, GANConfig]:
    """Q1's two runs, a tenth of ``base``'s steps long: "only D" learns (G's learning rate is
    0), "only G" learns (D's is 0)."""
    short = max(2, base.steps // 10)
    frozen = base.with_(steps=short, snapshots=(0, short))
    return {"only D": frozen.with_(lr_g=0.0), "only G": frozen.with_(lr_d=0.0)}


# The course's own setting in the mini profile (ngf = ndf = 32, batches of 128): longer than the
# default run takes on the clock (a step costs about seven of the default's on a CPU; the
# chapter measures it), its samples kept every 100 steps to find when it first draws every
# digit.
COURSE_STEPS_MINI = 600


# Part 4's two comparison runs in the mini profile, shorter than the cDCGAN and compared with it
# at the same step (one at which it keeps its generator): Q11's label-blind D at 500 steps,
# where the cDCGAN obeys its labels best; Q14's DCGAN without labels at 900, by when the
# cDCGAN's digits have become varied.
COMPARISON_STEPS_MINI = {"blind D": 500, "unconditional": 900}


def comparison_steps(name: str, profile: Profile) -> int:
    """How long Part 4's comparison run ``name`` ("blind D" or "unconditional") trains: mini,
    ``COMPARISON_STEPS_MINI``; full, as long as the cDCGAN."""
    if name not in COMPARISON_STEPS_MINI:
        raise ValueError(f"no comparison run {name!r}: expected one of "
                         f"{sorted(COMPARISON_STEPS_MINI)}")
    return COMPARISON_STEPS_MINI[name] if profile.is_mini else default_config(profile,
                                                                              "cdcgan").steps


__all__ = ["COMPARISON_STEPS_MINI", "COURSE_STEPS_MINI", "EXPERIMENT_STEPS_MINI", "OTHER_SEEDS",
           "comparison_steps", "experiment_steps", "experiments", "one_sided", "seeds"]
