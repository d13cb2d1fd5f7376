"""Every run of a part of the book, trained and measured, in one call: ``part_runs(3)`` or
``part_runs(4)``.

``part_configs(profile)`` lists every run that the pages of Part 3 show (the default, its
seeds, the course's setting, Q1's one-sided runs and Q5's ``experiments``), so that whichever
page runs first trains them all together, keeping both cores of a laptop busy to the end rather
than one page's few runs at a time; ``conditional_configs(profile)`` does the same for Part 4.
``part_runs`` trains what is not cached yet (``runs.trained_runs``), with the digit judge
beside the runs, then measures every kept step of every run (``Run.measures``: the digit
judge's numbers, or on faces their Fréchet distance and spread, and the loss curves' summary),
each measure cached too. A page reads its numbers from there.
"""

from __future__ import annotations

from functools import partial

import torch
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..data import celeba, mnist
from ..metrics import loss_summary
from ..models import pretrained
from ..profile import Profile, current
from .experiments import (
    COURSE_STEPS_MINI,
    comparison_steps,
    experiment_steps,
    experiments,
    one_sided,
    seeds,
)
from .judge import digit_judge, judge_face_run, judge_path, judge_run
from .runs import COURSE_SETTING, default_config, trained_runs
from .training import GANConfig, Run


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
    configs = part_configs(profile)
    data = {size: celeba(size=size, profile=profile)
            for size in {c.size for c in configs.values()}}
    return _longest_first({name: (c, data[c.size]) for name, c in configs.items()})


def conditional_configs(profile: Profile) -> dict[str, GANConfig]:
    """Every run of Part 4's own pages, name → configuration: "cdcgan" and "cgan", the default
    runs of the two conditional GANs (``runs.default_config``); "blind D", the cDCGAN whose
    discriminator is not shown the labels (Q11), and "unconditional", the cDCGAN's setting with
    no label anywhere, a DCGAN (Q14), each ``comparison_steps`` long."""
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
    data = mnist("train", profile=profile)
    jobs = {name: (config, data) for name, config in conditional_configs(profile).items()}
    if profile.is_mini:
        jobs["part 3"] = part_jobs(profile)["default"]
    return _longest_first(jobs)


def part_runs(part: int, profile: str | Profile | None = None, *, progress: bool = True
              ) -> dict[str, Run]:
    """Every run of Part 3's (``part_jobs``) or Part 4's (``conditional_jobs``) pages, name →
    ``Run``, trained and measured (``Run.measures``): trained once by the first page that asks,
    two at a time on a CPU, with the digit judge that measures them beside them
    (``judge.digit_judge``), then read from the cache. Part 3 draws digits in the mini profile
    and faces in the full one; Part 4 always digits. The profile is resolved here, once, and
    handed down."""
    prof = current(profile)
    if part not in (3, 4):
        raise ValueError(f"part must be 3 or 4, got {part!r}")
    jobs = part_jobs(prof) if part == 3 else conditional_jobs(prof)
    digits = part == 4 or prof.is_mini
    # A judge already cached (by Part 3) is not handed to a worker that would only load it.
    also = ([partial(digit_judge, profile=prof, progress=False)]
            if digits and not judge_path(profile=prof).exists() else [])
    runs = trained_runs(jobs, also=also, progress=progress)
    # Every kept step measured: the judge's numbers on digits, or on faces the Fréchet distance
    # and spread of as many samples as the first 1,000 real images (``judge_face_run``); and
    # the loss curves' summary after step 0.
    if not digits:  # loaded once for every run: the real faces and the network that sees them
        data = celeba(size=32, profile=prof)
        real = torch.stack([data[i][0] for i in range(min(1000, len(data)))])
        network = pretrained("squeezenet1_1", profile=prof)
    for run in tqdm(runs.values(), desc="measuring GANs", disable=not progress):
        judged = (judge_run(run, profile=prof) if digits
                  else judge_face_run(run, real, network=network))
        run.measures = {step: {**judged[step],
                               **(loss_summary(run.history, step) if step else {})}
                        for step in judged}
    return runs


__all__ = ["conditional_configs", "conditional_jobs", "part_configs", "part_jobs", "part_runs"]
