"""One training loop for every GAN of the course, in the spirit of PyTorch's DCGAN example.

Each step: ``d_steps`` updates of D on a batch of real images and a batch of generated ones,
then ``g_steps`` updates of G through D (the first on the generated batch D has just seen, as
in PyTorch's example; the others on new noise). ``train`` keeps, per step, both losses and D's mean
outputs on real and generated images (D(x) and D(G(z))), and at the steps listed in
``snapshots`` the samples of one fixed noise batch, so that a chapter can show how the samples
evolve without training again. It writes a checkpoint every ``checkpoint_every`` steps (through
a temporary file) and resumes from it: on the CPU, a resumed run ends with the same weights as
one that was never interrupted. A loss that becomes NaN or infinite stops the run with
``TrainingDiverged``, and the last good checkpoint stays as it was.

The same loop trains the conditional GANs of Part 4 (``GANConfig.model``, see
``conditional``): D then sees each real image with its label and each generated one with the
label G was asked for, drawn uniformly at random for each image; the fixed noise comes with
fixed labels, the classes in turn. An unconditional run draws exactly what it drew before
conditional GANs were added: the same configuration gives the same weights.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from ..cache import save_atomic
from .conditional import (
    N_CLASSES,
    ConditionalDiscriminator,
    ConditionalGenerator,
    MLPConditionalDiscriminator,
    MLPConditionalGenerator,
)
from .losses import discriminator_loss, generator_loss
from .models import Discriminator, Generator

HISTORY = ("loss_d", "loss_g", "d_real", "d_fake")
# "dcgan": Part 3's Generator and Discriminator; "cdcgan": the course's conditional DCGAN;
# "cgan": its fully-connected conditional GAN.
MODELS = ("dcgan", "cdcgan", "cgan")


@dataclass(frozen=True)
class GANConfig:
    """Everything that decides a GAN run (and keys its cache). Defaults: the course's DCGAN.

    nz, ngf, ndf, size, init : the networks (see ``Generator``, ``Discriminator``, and
        ``dlvision.gan.conditional`` for what ngf and ndf mean in the conditional ones).
    lr_g, lr_d, beta1 : Adam's learning rates and β1 (β2 = 0.999).
    batch_size : real images per D update, and generated images per update.
    steps : training steps; each is ``d_steps`` D updates then ``g_steps`` G updates.
    saturating : G minimizes log(1 − D(G(z))) (the minimax game's loss) instead of
        −log D(G(z)).
    real_label : D's target on real images (1 in the course; 0.9 is one-sided label
        smoothing, see ``losses.discriminator_loss``).
    shift : real images are translated at random by up to ``shift`` pixels each time they are
        drawn (0: never), a data augmentation for small datasets.
    seed : draws the data order, the noise, the shifts and the initial weights (and, in a
        conditional GAN, the labels G is asked for and dropout's masks).
    snapshots : steps after which the samples of the fixed noise are kept (step 0: before any
        update).
    n_fixed : size of the fixed noise batch (conditional: with labels 0, 1, ..., 9, 0, 1...).
    model : "dcgan" (Part 3), "cdcgan" or "cgan" (Part 4, conditional on the digit).
    d_sees_labels : False for a conditional GAN whose discriminator is not shown the labels,
        cD(x) instead of cD(x, y) (the course's Q11).
    """

    nz: int = 100
    ngf: int = 32
    ndf: int = 32
    size: int = 32
    init: str = "dcgan"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    batch_size: int = 128
    steps: int = 1000
    d_steps: int = 1
    g_steps: int = 1
    saturating: bool = False
    real_label: float = 1.0
    shift: int = 0
    seed: int = 0
    snapshots: tuple[int, ...] = ()
    n_fixed: int = 64
    model: str = "dcgan"
    d_sees_labels: bool = True

    def __post_init__(self) -> None:
        for name in ("nz", "ngf", "ndf", "batch_size", "steps", "d_steps", "g_steps",
                     "n_fixed"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.shift < 0 or any(s < 0 or s > self.steps for s in self.snapshots):
            raise ValueError(f"expected shift ≥ 0 and snapshots within 0..{self.steps}, got "
                             f"shift={self.shift}, snapshots={self.snapshots}")
        if not 0.5 < self.real_label <= 1:
            raise ValueError(f"real_label must be in (0.5, 1], got {self.real_label}")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if not (self.conditional or self.d_sees_labels):
            raise ValueError("d_sees_labels=False is for the conditional models (cdcgan, cgan): "
                             "a DCGAN's discriminator sees no labels anyway")
        if self.model == "cdcgan" and self.size != 32:
            raise ValueError(f"the cDCGAN is for 32×32 images, got size={self.size}")
        object.__setattr__(self, "snapshots", tuple(sorted(set(self.snapshots))))

    @property
    def conditional(self) -> bool:
        """Whether G and D take the class as well: G(z, y), D(x, y)."""
        return self.model != "dcgan"

    def with_(self, **changes: Any) -> GANConfig:
        """A copy with some fields changed: ``DEFAULT.with_(beta1=0.9)``."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the message says when, and where the last good
    checkpoint is."""


@dataclass
class Run:
    """A trained GAN and its record.

    history : name → one value per step, for "loss_d", "loss_g", "d_real" (D's mean output on
        real images) and "d_fake" (on generated ones, before G's update).
    samples : step → (n_fixed, C, H, W) G's images of the fixed noise in [-1, 1], on the CPU,
        at each of the configuration's ``snapshots`` steps.
    generators : step → G's weights (a state dict) at each of those steps, to draw and judge
        many samples of the run's past (``generator_at``).
    fixed_noise : (n_fixed, nz) the noise of the samples.
    seconds : training time (resumed runs add up their parts).
    fixed_labels : (n_fixed,) int64 the labels of the samples, the classes in turn
        (0, 1, ..., 9, 0, ...), for a conditional run; None otherwise.
    measures : step → what the run's samples and losses measure at each kept step (filled by
        ``dlvision.gan.parts.part_runs``, the book's one call; empty otherwise).
    """

    config: GANConfig
    generator: Generator | ConditionalGenerator | MLPConditionalGenerator
    discriminator: Discriminator | ConditionalDiscriminator | MLPConditionalDiscriminator
    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY})
    samples: dict[int, torch.Tensor] = field(default_factory=dict)
    generators: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)
    fixed_noise: torch.Tensor | None = None
    seconds: float = 0.0
    fixed_labels: torch.Tensor | None = None
    measures: dict[int, dict[str, float]] = field(default_factory=dict)

    @property
    def step(self) -> int:
        return len(self.history["loss_d"])

    def generator_at(self, step: int) -> nn.Module:
        """G as it was after ``step`` (one of the snapshot steps), in eval mode on the CPU."""
        if step not in self.generators:
            raise ValueError(f"no generator kept at step {step}; the run kept steps "
                             f"{sorted(self.generators)}")
        G = copy.deepcopy(self.generator).cpu()
        G.load_state_dict(self.generators[step])
        return G.eval()


# --- data ------------------------------------------------------------------------------------


class _BatchOrder:
    """Batches of dataset indices, epoch after epoch, from batch number ``start``: a
    ``batch_sampler`` for a ``DataLoader`` that lives as long as the run.

    Each epoch is a permutation drawn from (seed, epoch) alone, so batch k is the same whether
    the run was resumed or not. The last incomplete batch of an epoch is dropped.
    """

    def __init__(self, n: int, batch_size: int, seed: int, start: int = 0) -> None:
        self.per_epoch = n // batch_size
        if self.per_epoch == 0:
            raise ValueError(f"batch_size {batch_size} is larger than the dataset ({n} images)")
        self.n, self.batch_size, self.seed, self.start = n, batch_size, seed, start

    def __iter__(self) -> Iterator[list[int]]:
        k = self.start
        while True:
            epoch, offset = divmod(k, self.per_epoch)
            order = torch.randperm(self.n, generator=torch.Generator().manual_seed(
                self.seed * 1_000_003 + epoch))
            chunks = order[: self.per_epoch * self.batch_size].view(self.per_epoch, -1)
            yield from chunks[offset:].tolist()
            k = (epoch + 1) * self.per_epoch


def _batches(data: Dataset, batch_size: int, seed: int, start: int = 0, *,
             labels: bool = False) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """Batches of real images (B, C, H, W) in ``_BatchOrder``'s order, each with its labels
    (B,) int64 when ``labels``, else None."""
    order = _BatchOrder(len(data), batch_size, seed, start)
    images, targets = getattr(data, "images", None), getattr(data, "targets", None)
    if isinstance(images, torch.Tensor):  # in memory: no loader needed
        if not labels:
            return ((images[idx], None) for idx in order)
        if isinstance(targets, torch.Tensor):
            return ((images[idx], targets[idx]) for idx in order)
    # Files: decoded by worker processes, started once for the whole run (a few hundred files,
    # as in a rehearsal, are read faster than workers start).
    workers = min(4, os.cpu_count() or 1) if len(data) >= 1000 else 0
    loader = DataLoader(data, batch_sampler=order, num_workers=workers)
    return ((x, y if labels else None) for x, y in loader)


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator
                 ) -> torch.Tensor:
    """Each image (N, C, H, W) in [-1, 1] translated by up to ``max_shift`` pixels in each
    direction, the uncovered border filled with -1 (black)."""
    if max_shift == 0:
        return images
    n, _, h, w = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=-1.0)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator).tolist()
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


# --- training ----------------------------------------------------------------------------------


def _networks(config: GANConfig, nc: int) -> tuple[nn.Module, nn.Module]:
    """G and D of ``config`` for images of ``nc`` channels, initialized from ``config.seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        if config.model == "dcgan":
            return (Generator(config.nz, config.ngf, nc, config.size, config.init),
                    Discriminator(config.ndf, nc, config.size, config.init))
        G, D = {"cdcgan": (ConditionalGenerator, ConditionalDiscriminator),
                "cgan": (MLPConditionalGenerator, MLPConditionalDiscriminator)}[config.model]
        return (G(config.nz, config.ngf, nc, config.size, config.init),
                D(config.ndf, nc, config.size, config.init, sees_labels=config.d_sees_labels))


def _optimizers(config: GANConfig, G: nn.Module, D: nn.Module):
    return (torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=(config.beta1, 0.999)),
            torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=(config.beta1, 0.999)))


def run_state(run: Run, opt_g: torch.optim.Optimizer | None = None,
              opt_d: torch.optim.Optimizer | None = None,
              noise_rng: torch.Generator | None = None,
              dropout_rng: torch.Tensor | None = None) -> dict[str, Any]:
    """A run as plain tensors and numbers (``torch.save`` writes it, ``weights_only`` reads it):
    with the optimizers and the random generators' states (the noise's; torch's global one,
    which dropout draws from), a checkpoint to resume from; without, what a finished run
    needs."""
    return {"config": run.config.as_dict(), "generator": run.generator.state_dict(),
            "discriminator": run.discriminator.state_dict(),
            "opt_g": opt_g.state_dict() if opt_g is not None else {},
            "opt_d": opt_d.state_dict() if opt_d is not None else {},
            "history": run.history, "samples": run.samples, "generators": run.generators,
            "fixed_noise": run.fixed_noise, "fixed_labels": run.fixed_labels,
            "seconds": run.seconds,
            "noise_rng": noise_rng.get_state() if noise_rng is not None else None,
            "dropout_rng": dropout_rng}


def _same_training(saved: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether a checkpoint can go on as ``wanted``: the same settings, except that a run may
    be continued for more steps (and keep other snapshots)."""
    def ignored(config: dict[str, Any]) -> dict[str, Any]:
        config = {**GANConfig().as_dict(), **config}  # fields added since: their defaults
        return {k: v for k, v in config.items() if k not in ("steps", "snapshots")}

    return ignored(saved) == ignored(wanted)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint written by ``train``, on the CPU (plain tensors and numbers only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def run_from_checkpoint(state: dict[str, Any]) -> Run:
    """The ``Run`` a checkpoint (or a cached run) holds, networks in eval mode on the CPU."""
    config = GANConfig(**{**state["config"], "snapshots": tuple(state["config"]["snapshots"])})
    G, D = _networks(config, _channels(state["generator"], config))
    G.load_state_dict(state["generator"])
    D.load_state_dict(state["discriminator"])
    return Run(config, G.eval(), D.eval(), {k: list(v) for k, v in state["history"].items()},
               # "snapshots": what checkpoints written before the name changed call them
               {int(k): v for k, v in state.get("samples", state.get("snapshots", {})).items()},
               {int(k): v for k, v in state["generators"].items()}, state["fixed_noise"],
               float(state["seconds"]), state.get("fixed_labels"))


def _channels(generator: dict[str, torch.Tensor], config: GANConfig) -> int:
    """Image channels of a saved generator, from its last layer: a transposed convolution's
    output channels, or a fully-connected layer's outputs per pixel."""
    last = [v for k, v in generator.items() if k.endswith(".weight") and v.ndim >= 2][-1]
    return last.shape[1] if last.ndim == 4 else last.shape[0] // config.size**2


def train(config: GANConfig, data: Dataset, *, checkpoint: str | Path | None = None,
          checkpoint_every: int = 500, device: torch.device | str | None = None,
          progress: bool = True) -> Run:
    """Train a GAN on ``data`` (items (image (C, H, W) in [-1, 1], label)) with ``config``.

    The labels are used by the conditional models only (``config.model``: "cdcgan", "cgan"),
    and must then be digits 0-9. checkpoint : a file to save to every ``checkpoint_every`` steps
    and at the end, and to resume from when it exists (its configuration must be ``config``'s,
    but for ``steps`` and ``snapshots``: a finished run can be trained longer). device :
    default: the GPU when there is one. Returns the ``Run``; raises ``TrainingDiverged`` when a
    loss stops being finite.
    """
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    first, _ = data[0]
    if first.shape[-2:] != (config.size, config.size):
        raise ValueError(f"the images are {tuple(first.shape)}, the networks are for "
                         f"{config.size}×{config.size}: load the data at size={config.size}")
    G, D = _networks(config, first.shape[0])
    run = Run(config, G, D)
    opt_g, opt_d = _optimizers(config, G, D)
    noise_rng = torch.Generator().manual_seed(config.seed)
    run.fixed_noise = torch.randn(config.n_fixed, config.nz, generator=noise_rng)
    if config.conditional:  # each class in turn: rows of 10 show one class per column
        run.fixed_labels = torch.arange(config.n_fixed) % N_CLASSES
    dropout_rng = None
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        state = load_checkpoint(path)
        if not _same_training(state["config"], config.as_dict()):
            raise ValueError(f"{path} is a checkpoint of another configuration; delete it, "
                             "or give another --out, to train this one")
        if len(state["history"]["loss_d"]) > config.steps:
            raise ValueError(f"{path} has already trained {len(state['history']['loss_d'])} "
                             f"steps, more than the {config.steps} asked for")
        run = run_from_checkpoint({**state, "config": config.as_dict()})
        G, D = run.generator, run.discriminator
        opt_g, opt_d = _optimizers(config, G, D)
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        noise_rng.set_state(state["noise_rng"])
        dropout_rng = state.get("dropout_rng")
    G.to(device).train()
    D.to(device).train()
    opt_g, opt_d = _move_optimizers(opt_g, opt_d, device)
    if 0 in config.snapshots and 0 not in run.samples:
        _snapshot(run, 0, device)
    batches = _batches(data, config.batch_size, config.seed, start=run.step * config.d_steps,
                       labels=config.conditional)

    def generated() -> tuple[torch.Tensor, torch.Tensor | None]:
        """A batch of G's images, and the labels it was asked for (None if unconditional)."""
        z = torch.randn(config.batch_size, config.nz, generator=noise_rng).to(device)
        if not config.conditional:
            return G(z), None
        y = torch.randint(0, N_CLASSES, (config.batch_size,), generator=noise_rng).to(device)
        return G(z, y), y

    def discriminated(x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """D's probabilities that images x (of labels y) are real."""
        return D(x) if y is None else D(x, y)

    saved_step = run.step

    def diverged(step: int, what: str, value: float):
        where = (f"the last good checkpoint, at step {saved_step}, is kept in {path}"
                 if path is not None and saved_step > 0 else "no checkpoint was saved")
        raise TrainingDiverged(
            f"training diverged at step {step}: {what} is {value} ({where}). Lower the learning "
            "rates (lr_g, lr_d), or check the data's range ([-1, 1]).")

    started = time.perf_counter()
    bar = tqdm(range(run.step + 1, config.steps + 1), desc="training the GAN",
               disable=not progress, initial=run.step, total=config.steps)
    with _own_global_rng(config.seed, device, dropout_rng):  # dropout's draws, if any
        for step in bar:
            for _ in range(config.d_steps):
                real, labels = next(batches)
                real = random_shift(real, config.shift, noise_rng).to(device)
                labels = labels.to(device) if labels is not None else None
                fake, fake_labels = generated()
                # D's update leaves G alone (detach)
                d_real = discriminated(real, labels)
                d_fake = discriminated(fake.detach(), fake_labels)
                if not (d_real.isfinite().all() and d_fake.isfinite().all()):  # BCE would raise
                    diverged(step, "D's output", float("nan"))
                loss_d = discriminator_loss(d_real, d_fake, real_label=config.real_label)
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()
            for k in range(config.g_steps):
                if k > 0:  # the first G update uses the batch D has just seen, as PyTorch's
                    fake, fake_labels = generated()
                loss_g = generator_loss(discriminated(fake, fake_labels),
                                        saturating=config.saturating)
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
            values = {"loss_d": loss_d.item(), "loss_g": loss_g.item(),
                      "d_real": d_real.mean().item(), "d_fake": d_fake.mean().item()}
            for name in ("loss_d", "loss_g"):
                if not math.isfinite(values[name]):
                    diverged(step, name, values[name])
            for name, value in values.items():
                run.history[name].append(value)
            if step in config.snapshots:
                _snapshot(run, step, device)
            if path is not None and (step % checkpoint_every == 0 or step == config.steps):
                run.seconds += time.perf_counter() - started
                started = time.perf_counter()
                save_atomic(run_state(run, opt_g, opt_d, noise_rng, torch.get_rng_state()),
                            path)
                saved_step = step
            if progress and step % 50 == 0:
                bar.set_postfix(loss_d=f"{values['loss_d']:.2f}",
                                loss_g=f"{values['loss_g']:.2f}")
    bar.close()
    run.seconds += time.perf_counter() - started
    G.cpu().eval()
    D.cpu().eval()
    return run


@contextmanager
def _own_global_rng(seed: int, device: torch.device, state: torch.Tensor | None):
    """Give the run torch's global random generators (which dropout draws from) of its own:
    seeded with ``seed``, or set to ``state`` from a checkpoint (CPU), and the caller's left as
    they were. The DCGAN draws nothing from them."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed(seed)
        if state is not None:
            torch.set_rng_state(state)
        yield


def _move_optimizers(opt_g, opt_d, device: torch.device):
    for opt in (opt_g, opt_d):
        for state in opt.state.values():
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and key != "step":
                    state[key] = value.to(device)
    return opt_g, opt_d


@torch.no_grad()
def _snapshot(run: Run, step: int, device: torch.device) -> None:
    """Keep G's weights and its images of the fixed noise (and labels), drawn in eval mode
    (batch norm's running statistics, as ``sample`` draws), then back in train mode."""
    G = run.generator
    run.generators[step] = {k: v.detach().cpu().clone() for k, v in G.state_dict().items()}
    G.eval()
    z = run.fixed_noise.to(device)
    images = G(z) if run.fixed_labels is None else G(z, run.fixed_labels.to(device))
    run.samples[step] = images.cpu()
    G.train()


__all__ = [
    "HISTORY",
    "MODELS",
    "GANConfig",
    "Run",
    "TrainingDiverged",
    "load_checkpoint",
    "random_shift",
    "run_from_checkpoint",
    "run_state",
    "train",
]
