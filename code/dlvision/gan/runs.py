"""Trained GANs cached by everything that decides them, and samples from them.

``trained_run(config, data)`` trains once and then reads the result: the key hashes the
configuration, the data's fingerprint and the source of the code that trains (``models``,
``conditional``, ``losses``, ``training``), so a chapter, a rebuild and ``dlvision sample`` all
get the same run, and a change to any of them trains again. A run interrupted halfway resumes
from its checkpoint, next to the cache file.

``default_config(profile, model)`` gives each profile's default run of each model: the course's
settings in the full profile, settings chosen by measurement in the mini one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..cache import (
    atomic_path,
    cache_key,
    default_cache_dir,
    load_or_build,
    source_fingerprint,
)
from ..profile import Profile, current
from . import conditional, losses, models, training
from .conditional import N_CLASSES, is_conditional
from .training import MODELS, GANConfig, Run, run_from_checkpoint, run_state, train

# The course's setting (noise 100, ngf = ndf = 32, Adam 2e-4 and β1 0.5, batches of 128), over
# the steps at which it shows its samples on CelebA.
COURSE_SETTING = GANConfig(steps=8000, snapshots=(0, 500, 1000, 2000, 4000, 8000))
# The mini profile's default run, chosen by measurement on the 1,438 training digits (the judge
# on 1,000 samples, against the 359 test digits): the course's architecture, losses and
# optimizer, narrower (ngf = ndf = 16) on batches of 32, no shifts (the digits are centred, and
# shifted real digits teach G to draw shifted ones), one-sided label smoothing (D's target on
# real digits 0.9), and noise of 5 numbers. With the course's 100, this setting stayed collapsed
# on one digit until about step 1,500 (on one seed, not all ten digits at 3,000); with 10 or 5,
# three seeds out of three drew all ten by step 1,000, and with 5 every digit had 5-15 % of the
# samples at step 3,000 and the judge's confidence was within 0.1 of its confidence on real
# digits (with 10, 0.01 short of it). Q5's page measures nz = 10 and 1,000 against it.
MINI_DEFAULT = GANConfig(nz=5, ngf=16, ndf=16, batch_size=32, real_label=0.9, steps=3000,
                         snapshots=(0, 200, 400, 750, 1000, 1500, 2000, 2500, 3000))
# Every line of the full profile on CPU, in seconds: two steps of tiny batches.
REHEARSAL = COURSE_SETTING.with_(steps=2, batch_size=4, n_fixed=4, snapshots=(0, 1, 2))

# Part 4, on MNIST: the course's conditional GANs at the course's widths (cDCGAN: 128,
# fully-connected cGAN: 256, see ``conditional``), Adam 2e-4 and β1 0.5, batches of 128, over
# the steps at which the course shows the samples; the fixed noise makes a 10×10 grid, one
# class per column.
COURSE_CONDITIONAL = {
    "cdcgan": COURSE_SETTING.with_(model="cdcgan", ngf=128, ndf=128, n_fixed=100),
    "cgan": COURSE_SETTING.with_(model="cgan", ngf=256, ndf=256, n_fixed=100),
}
# The mini profile's, chosen by measurement on the ten digits (the judge on 1,000 samples;
# CPU). cDCGAN: a quarter of the course's widths on batches of 32. For its first few hundred
# steps it draws one image per digit, whatever the noise, often the right digit and sometimes
# not (label accuracy jumps between 80 and 100 % as digits flip); with ndf = 32 (not 16) it
# leaves that collapse by step 700-1100, and by 1,300 steps draws varied digits, 96 % of them
# the digit asked for (96.7 % at 1,500 steps, for 15 % more time). Fully-connected cGAN: half
# the course's widths (its steps are cheap); it ignores the labels for its first 1,000-1,500
# steps, then learns them (92 % at 3,000 steps).
MINI_CONDITIONAL = {
    "cdcgan": GANConfig(model="cdcgan", ngf=32, ndf=32, batch_size=32, steps=1300, n_fixed=100,
                        snapshots=(0, 100, 200, 300, 500, 700, 900, 1100, 1300)),
    "cgan": GANConfig(model="cgan", ngf=128, ndf=128, batch_size=64, steps=3000, n_fixed=100,
                      snapshots=(0, 250, 500, 1000, 1500, 2000, 2500, 3000)),
}


def default_config(profile: str | Profile | None = None, model: str = "dcgan") -> GANConfig:
    """The default run of ``model`` ("dcgan", "cdcgan", "cgan") in a profile.

    DCGAN: full, the course's settings (``COURSE_SETTING``); mini, the same architecture,
    narrower, on smaller batches, with one-sided label smoothing (``MINI_DEFAULT``).
    Conditional GANs: full, the course's (``COURSE_CONDITIONAL``); mini, narrower and shorter
    (``MINI_CONDITIONAL``).
    In a rehearsal of the full profile, the course's networks for two steps of tiny batches.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    prof = current(profile)
    if model == "dcgan":
        if prof.is_mini:
            return MINI_DEFAULT
        return REHEARSAL if prof.is_rehearsal else COURSE_SETTING
    if prof.is_mini:
        return MINI_CONDITIONAL[model]
    course = COURSE_CONDITIONAL[model]
    return (course.with_(steps=2, batch_size=4, n_fixed=10, snapshots=(0, 1, 2))
            if prof.is_rehearsal else course)


def code_version() -> str:
    """A digest of the source of the modules that decide a run: editing them trains again."""
    return source_fingerprint(*(module.__name__ for module in (models, conditional, losses,
                                                                training)))


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
    checkpoint = path.with_name(path.stem + ".checkpoint.pt")
    trained: list[Run] = []  # the run trained now, if it was not cached

    def build() -> dict:
        trained.append(train(config, data, checkpoint=checkpoint, progress=progress))
        return run_state(trained[0])

    state, cached = load_or_build(path, build, what="cached GAN run")
    checkpoint.unlink(missing_ok=True)
    return run_from_checkpoint(state) if cached else trained[0]


def _call_in_worker(task: Callable[[], object], data_dir: str) -> None:
    """Run ``task`` (which caches what it computes) in a worker process, on one thread."""
    os.environ["DLVISION_DATA"] = data_dir  # the parent's cache folder
    torch.set_num_threads(1)
    task()


def trained_runs(jobs: Mapping[str, tuple[GANConfig, Dataset]], *, workers: int | None = None,
                 also: Sequence[Callable[[], object]] = (), progress: bool = True
                 ) -> dict[str, Run]:
    """Several runs: name → (config, data) gives name → ``Run``, like ``trained_run`` each.

    The runs that are not cached yet train in parallel, ``workers`` processes of one thread
    each (default: one per CPU core on a CPU machine; one at a time on a GPU, which a single
    run already fills). Small networks gain little from a second thread, so two runs side by
    side on two cores finish in about half the time of one after the other. also : other
    cached work that the pages need next, such as training the digit judge (functions of no
    argument, picklable): when runs are to be trained, it shares their workers, started first;
    otherwise it is not called.
    """
    missing = {name: job for name, job in jobs.items() if not run_path(*job).exists()}
    if workers is None:
        workers = 1 if torch.cuda.is_available() else (os.cpu_count() or 1)
    if missing and len(missing) + len(also) > 1 and workers > 1:
        context = multiprocessing.get_context("spawn")  # no forked torch threads or CUDA
        data_dir = str(default_cache_dir().parent)
        n_tasks = len(missing) + len(also)
        with ProcessPoolExecutor(min(workers, n_tasks), mp_context=context) as pool:
            futures = [pool.submit(_call_in_worker, task, data_dir) for task in also]
            futures += [pool.submit(_call_in_worker, partial(trained_run, config, data,
                                                             progress=False), data_dir)
                        for config, data in missing.values()]
            for future in tqdm(as_completed(futures), total=len(futures),
                               desc="training GANs", disable=not progress):
                future.result()  # a worker's error is raised here
    return {name: trained_run(config, data, progress=progress)
            for name, (config, data) in jobs.items()}


def class_labels(n: int, labels: int | Sequence[int] | torch.Tensor) -> torch.Tensor:
    """(n,) labels: one class for all (an int), or a sequence of n classes."""
    labels = torch.as_tensor(labels)
    if labels.ndim == 0:
        return labels.expand(n)
    if labels.shape != (n,):
        raise ValueError(f"expected one label per image, (n,) = ({n},), or a single class, got "
                         f"labels of shape {tuple(labels.shape)}")
    return labels


def _asked(generator: nn.Module, n: int, labels) -> torch.Tensor | None:
    """The labels to give ``generator`` for n images, after checking that it takes them."""
    if not is_conditional(generator):
        if labels is not None:
            raise ValueError(f"{type(generator).__name__} is not conditional: it takes no labels")
        return None
    if labels is None:
        raise ValueError(f"{type(generator).__name__} is conditional: say which digits to draw, "
                         f"e.g. labels=torch.arange(n) % {N_CLASSES}")
    return class_labels(n, labels)


@torch.no_grad()
def sample(generator: nn.Module, n: int, *, labels: int | Sequence[int] | torch.Tensor |
           None = None, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """n images (n, C, H, W) in [-1, 1] from noise drawn with ``seed``, G in eval mode.

    labels : for a conditional generator (required), the class of each image (n,), or one
    class for all; for an unconditional one, None. The noise depends on ``seed`` and ``n``
    alone: the same seed with other labels draws the same styles of other digits.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    y = _asked(generator, n, labels)
    generator.eval()
    z = torch.randn(n, generator.nz, generator=torch.Generator().manual_seed(seed))
    device = next(generator.parameters()).device
    batches = []
    for i in range(0, n, batch_size):
        zi = z[i:i + batch_size].to(device)
        batches.append((generator(zi) if y is None else
                        generator(zi, y[i:i + batch_size].to(device))).cpu())
    return torch.cat(batches)


@torch.no_grad()
def interpolate(generator: nn.Module, z0: torch.Tensor, z1: torch.Tensor, *,
                steps: int = 8, label: int | None = None) -> torch.Tensor:
    """G's images along the straight line from noise ``z0`` to ``z1`` (each (nz,)):
    (steps, C, H, W) in [-1, 1], the first of z0, the last of z1. A smooth change of image
    between them says that G maps nearby noise to nearby images, rather than memorizing a
    list of pictures. label : the class of every image, for a conditional generator (the noise
    then changes the style of one digit)."""
    if steps < 2 or z0.shape != (generator.nz,) or z1.shape != (generator.nz,):
        raise ValueError(f"expected two noise vectors of shape ({generator.nz},) and steps ≥ 2, "
                         f"got {tuple(z0.shape)}, {tuple(z1.shape)} and {steps}")
    y = _asked(generator, steps, label)
    generator.eval()
    alphas = torch.linspace(0, 1, steps)[:, None]
    z = (1 - alphas) * z0 + alphas * z1  # (steps, nz)
    device = next(generator.parameters()).device
    return (generator(z.to(device)) if y is None else generator(z.to(device), y.to(device))).cpu()


def save_samples(images: torch.Tensor, path: str | Path, **arrays: np.ndarray) -> Path:
    """Write ``images`` (N, C, H, W) float32 in [-1, 1] (and any other arrays, such as
    ``labels``) to an .npz file, through a temporary name."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"the sample file must end in .npz, got {path.name}")
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        np.savez(stream, images=images.float().numpy(), **arrays)
    return path


__all__ = ["COURSE_CONDITIONAL", "COURSE_SETTING", "MINI_CONDITIONAL", "MINI_DEFAULT",
           "REHEARSAL", "class_labels", "code_version", "default_config", "interpolate",
           "run_path", "sample", "save_samples", "trained_run", "trained_runs"]
