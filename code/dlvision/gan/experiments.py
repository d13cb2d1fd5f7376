"""The course's experiments on DCGAN training (Part 3, Q5), each one change to the default run.

``experiments(base, steps)`` returns, for each experiment of the course's list, the
configuration that differs from ``base`` by that one change, trained for ``steps`` steps: the
step by which the default run draws every digit (``experiment_steps``), so that each change is
compared with a default that has already learned. ``seeds(base, steps)`` gives the default run
with other seeds, as long: a change counts as better or worse only outside their spread. Two of
the course's items need no run of their own: "longer training" compares the default run with
itself at two points, and "interpolation" draws from the default's generator.

``part_jobs(profile)`` lists every run that the pages of Part 3 show, so that whichever page
runs first trains them all together (``part_runs``), keeping both cores of a laptop busy to the
end rather than one page's few runs at a time; ``conditional_jobs(profile)`` does the same for
Part 4.
"""

from __future__ import annotations

from functools import partial

from torch.utils.data import Dataset

from ..profile import Profile, current
from .training import GANConfig, Run

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


def _cost(config: GANConfig) -> float:
    """A rough relative cost of a run, to start the longest first."""
    width = max(config.ngf, config.ndf)
    # A fully-connected layer does one multiply per weight and image, a convolution one per
    # weight and position: measured on a CPU, a step of the cGAN costs about a hundredth of
    # what this count says of a convolutional network of the same width.
    per_weight = 0.01 if config.model == "cgan" else 1.0
    return (config.steps * (config.d_steps + config.g_steps) * config.batch_size * width**2
            * (config.size / 32) ** 2 * per_weight)


def _longest_first(jobs: dict[str, tuple[GANConfig, Dataset]]) -> dict[str, tuple[GANConfig,
                                                                                 Dataset]]:
    return {name: jobs[name] for name in sorted(jobs, key=lambda name: -_cost(jobs[name][0]))}


def part_configs(profile: Profile) -> dict[str, GANConfig]:
    """Every run of Part 3's pages, name → configuration.

    "default" (``runs.default_config``) and the same with other seeds ("seed 1", "seed 2",
    ``seeds``) as long as the experiments; in the mini profile "course", the course's own
    setting for ``COURSE_STEPS_MINI`` steps (Q4); "only D" and "only G" (Q1, ``one_sided``); and
    each of the ``experiments`` of Q5, by its name.
    """
    from .runs import COURSE_SETTING, default_config

    base = default_config(profile)
    at = experiment_steps(profile)
    configs = {"default": base, **seeds(base, at)}
    if profile.is_mini:
        configs["course"] = COURSE_SETTING.with_(
            steps=COURSE_STEPS_MINI, snapshots=range(0, COURSE_STEPS_MINI + 1, 100))
    configs.update(one_sided(base))
    configs.update(experiments(base, at))
    return configs


def part_jobs(profile: Profile) -> dict[str, tuple[GANConfig, Dataset]]:
    """Every run of Part 3's pages (``part_configs``), name → (configuration, data), longest
    first."""
    from ..data import celeba

    configs = part_configs(profile)
    data = {size: celeba(size=size, profile=profile)
            for size in {c.size for c in configs.values()}}
    return _longest_first({name: (c, data[c.size]) for name, c in configs.items()})


# Part 4's two comparison runs in the mini profile, shorter than the cDCGAN and compared with it
# at the same step (one at which it keeps its generator): Q11's label-blind D at 500 steps,
# where the cDCGAN obeys its labels best; Q14's DCGAN without labels at 900, by when the
# cDCGAN's digits have become varied.
COMPARISON_STEPS_MINI = {"blind D": 500, "unconditional": 900}


def comparison_steps(name: str, profile: Profile) -> int:
    """How long Part 4's comparison run ``name`` ("blind D" or "unconditional") trains: mini,
    ``COMPARISON_STEPS_MINI``; full, as long as the cDCGAN."""
    from .runs import default_config

    if name not in COMPARISON_STEPS_MINI:
        raise ValueError(f"no comparison run {name!r}: expected one of "
                         f"{sorted(COMPARISON_STEPS_MINI)}")
    return COMPARISON_STEPS_MINI[name] if profile.is_mini else default_config(profile,
                                                                              "cdcgan").steps


def conditional_configs(profile: Profile) -> dict[str, GANConfig]:
    """Every run of Part 4's own pages, name → configuration: "cdcgan" and "cgan", the default
    runs of the two conditional GANs (``runs.default_config``); "blind D", the cDCGAN whose
    discriminator is not shown the labels (Q11), and "unconditional", the cDCGAN's setting with
    no label anywhere, a DCGAN (Q14), each ``comparison_steps`` long."""
    from .runs import default_config

    cdcgan = default_config(profile, "cdcgan")

    def shorter(name: str) -> GANConfig:
        at = comparison_steps(name, profile)
        return cdcgan.with_(steps=at, snapshots=[s for s in cdcgan.snapshots if s <= at])

    return {"cdcgan": cdcgan,
            "blind D": shorter("blind D").with_(d_sees_labels=False),
            "unconditional": shorter("unconditional").with_(model="dcgan"),
            "cgan": default_config(profile, "cgan")}


def conditional_jobs(profile: Profile) -> dict[str, tuple[GANConfig, Dataset]]:
    """Every run of Part 4's pages (``conditional_configs``), name → (configuration, data),
    longest first, all on the training digits (``mnist("train")``). In the mini profile also
    "part 3", Part 3's default run (``part_jobs``), which trains on the same digits (in the
    full profile it draws faces)."""
    from ..data import mnist

    data = mnist("train", profile=profile)
    jobs = {name: (config, data) for name, config in conditional_configs(profile).items()}
    if profile.is_mini:
        jobs["part 3"] = part_jobs(profile)["default"]
    return _longest_first(jobs)


def part_runs(part: int, profile: str | Profile | None = None, *, progress: bool = True
              ) -> dict[str, Run]:
    """Every run of Part 3's (``part_jobs``) or Part 4's (``conditional_jobs``) pages, name →
    ``Run``: trained once by the first page that asks, two at a time on a CPU, with the digit
    judge that measures them beside them (``judge.digit_judge``), then read from the cache.
    The profile is resolved here, once, and handed down."""
    from .judge import digit_judge, judge_path
    from .runs import trained_runs

    prof = current(profile)
    if part not in (3, 4):
        raise ValueError(f"part must be 3 or 4, got {part!r}")
    jobs = part_jobs(prof) if part == 3 else conditional_jobs(prof)
    # Part 3 judges digits in the mini profile only (faces in full); Part 4 always. A judge
    # already cached (by Part 3) is not handed to a worker that would only load it.
    judged = part == 4 or prof.is_mini
    also = ([partial(digit_judge, profile=prof, progress=False)]
            if judged and not judge_path(profile=prof).exists() else [])
    return trained_runs(jobs, also=also, progress=progress)


__all__ = ["COMPARISON_STEPS_MINI", "COURSE_STEPS_MINI", "EXPERIMENT_STEPS_MINI", "OTHER_SEEDS",
           "comparison_steps", "conditional_configs", "conditional_jobs", "experiment_steps",
           "experiments", "one_sided", "part_configs", "part_jobs", "part_runs", "seeds"]
