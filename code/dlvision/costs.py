"""What a rebuild of the book in the full profile computes, in floating-point operations, and
how long that takes on a device.

FLOPs are counted by torch's own counter (``torch.utils.flop_counter``), which counts the
matrix products and convolutions an operation runs, a multiply and an add apart; elementwise
operations (activations, normalization, the optimizer) are not counted. The counts come from
the networks themselves, never from a formula typed here:

* the ImageNet networks (torchvision's VGG16 and SqueezeNet 1.1 at 224×224) are built on the
  ``meta`` device, where shapes flow but nothing is computed, stored or downloaded;
* a GAN step is one real step of ``gan.training.train`` on random images (two per batch, on the
  CPU), scaled to the configuration's batch: its FLOPs are proportional to the batch.

How many passes each page makes is counted from the pages' code in ``full_rebuild`` (one entry
per page and kind of work); where a loop may stop early (an attack that succeeds), the count is
its upper bound. A device's sustained rate, ``measure_throughput``, turns FLOPs into time.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from .gan.parts import conditional_configs, part_configs
from .gan.training import GANConfig, train
from .models import TrainConfig, split, truncate
from .profile import Profile, make_profile
from .transfer import FINE_TUNING, FROM_SCRATCH

# The course's datasets in the full profile: 15 Scene's split (100 training images per class,
# the rest for testing) and the 25 ImageNet images of Part 2.
SCENE15_TRAIN, SCENE15_TEST = 1500, 2985
IMAGENET_SAMPLES = 25


def count_flops(compute: Callable[[], object]) -> int:
    """The FLOPs of the matrix products and convolutions that ``compute()`` runs."""
    with FlopCounterMode(display=False) as counter:
        compute()
    return counter.get_total_flops()


@functools.cache
def _network(name: str) -> nn.Module:
    from torchvision import models  # only here: building the networks is all this needs

    with torch.device("meta"):
        return getattr(models, name)(weights=None)


@functools.cache
def network_flops(name: str, *, layer: str | None = None, after: str | None = None,
                  backward: bool = False, size: int = 224) -> int:
    """FLOPs per image of torchvision's ``name`` ("vgg16", "squeezenet1_1") at ``size``.

    layer : cut the network after this layer (``models.truncate``); None keeps it whole.
    after : count only the layers after this one (the part a fine-tuning trains, when the
        layers up to ``after`` are frozen and run once); None starts at the input.
    backward : forward and backward (gradients of the weights and of the input).
    """
    net = _network(name) if layer is None else truncate(_network(name), layer)
    x = torch.empty(1, 3, size, size, device="meta")
    if after is not None:
        bottom, net = split(net, after)
        with torch.no_grad():
            x = bottom(x)
    if backward:
        x.requires_grad_()
        return count_flops(lambda: net(x).sum().backward())
    with torch.no_grad():
        return count_flops(lambda: net(x))


def _steps_shape(config: GANConfig) -> tuple:
    # What a step's FLOPs depend on: not the seed, the optimizer, the losses or the length.
    return (config.model, config.nz, config.ngf, config.ndf, config.size, config.d_steps,
            config.g_steps, config.d_sees_labels)


@functools.cache
def _gan_step_flops_per_image(shape: tuple, channels: int) -> float:
    model, nz, ngf, ndf, size, d_steps, g_steps, sees = shape
    config = GANConfig(model=model, nz=nz, ngf=ngf, ndf=ndf, size=size, d_steps=d_steps,
                       g_steps=g_steps, d_sees_labels=sees, batch_size=2, steps=1, n_fixed=10)
    images = torch.rand(4 * d_steps, channels, size, size) * 2 - 1
    data = TensorDataset(images, torch.arange(len(images)) % 10)
    return count_flops(lambda: train(config, data, progress=False, device="cpu")) / 2


def gan_step_flops(config: GANConfig, *, channels: int = 1) -> int:
    """FLOPs of one training step of ``config`` (``d_steps`` updates of D, ``g_steps`` of G),
    measured on a real step with batches of two random images of ``channels`` channels (3 for
    CelebA, 1 for the digits), scaled to ``config.batch_size``."""
    return round(_gan_step_flops_per_image(_steps_shape(config), channels) * config.batch_size)


@dataclass(frozen=True)
class Workload:
    """One kind of work of one page: ``flops`` in all, ``what`` in words."""

    page: str
    what: str
    flops: int


def _classifier_flops(config: TrainConfig, n_train: int, n_test: int, *, forward: int,
                      step: int) -> int:
    # fit_classifier's epochs of steps on the training set, then predictions on both sets.
    return config.epochs_for(n_train) * n_train * step + (n_train + n_test) * forward


def _transfer(profile: Profile) -> list[Workload]:
    page = "transfer-learning/scene15"
    images = SCENE15_TRAIN + SCENE15_TEST
    vgg, whole = network_flops("vgg16"), network_flops("vgg16", backward=True)
    flattened = ("pool3", "pool4", "pool5", "relu6", "relu7")
    averaged = ("pool1", "pool2", "pool3", "pool4", "pool5")
    cuts = sum(network_flops("vgg16", layer=layer) for layer in flattened + averaged)
    squeeze = network_flops("squeezenet1_1")  # its eight fire modules, each cut once
    tuning = FINE_TUNING.with_(steps=profile.train_steps)
    scratch = FROM_SCRATCH.with_(steps=profile.train_steps)
    few = profile.labels_per_class
    return [
        Workload(page, f"VGG16 features cut at {len(flattened + averaged)} layers, and "
                 "SqueezeNet's at its 8 fire modules, on every image (SVM sweeps)",
                 images * (cuts + 8 * squeeze)),
        Workload(page, "4 fine-tunings (after pool4 and whole network, 2 learning rates)",
                 2 * (images * network_flops("vgg16", layer="pool4")
                      + _classifier_flops(tuning, SCENE15_TRAIN, SCENE15_TEST,
                                          forward=network_flops("vgg16", after="pool4"),
                                          step=network_flops("vgg16", after="pool4",
                                                             backward=True)))
                 + 2 * _classifier_flops(tuning, SCENE15_TRAIN, SCENE15_TEST, forward=vgg,
                                         step=whole)),
        Workload(page, f"VGG16 trained from scratch: on all the images, and on {len(few)} "
                 f"smaller sets ({', '.join(map(str, few))} images per class)",
                 sum(_classifier_flops(scratch, n, SCENE15_TEST, forward=vgg, step=whole)
                     for n in (SCENE15_TRAIN, *(15 * k for k in few)))),
        Workload(page, "the linear probe and the few-label SVMs (features of the smaller sets)",
                 SCENE15_TRAIN * network_flops("vgg16", layer="relu7")
                 + sum(15 * k for k in few) * 2 * vgg),
    ]


def _visualization(profile: Profile) -> list[Workload]:
    squeeze = network_flops("squeezenet1_1", backward=True)
    vgg = network_flops("vgg16", backward=True)
    n, steps = IMAGENET_SAMPLES, profile.image_steps
    targets, attack_steps = 4, min(100, profile.image_steps)
    # The course's 5 classes; on SqueezeNet also 3 learning rates, 4 λ and 3 real starts.
    classes, squeeze_runs = 5, 5 + 3 + 4 + 3
    return [
        Workload("visualization/saliency", "saliency maps: plain, SmoothGrad (25 noisy "
                 "copies), gradient × input, a randomized network",
                 n * (1 + 25 + 1 + 1) * squeeze),
        Workload("visualization/adversarial", f"fooling images: {targets} targets × {n} images "
                 f"× at most {attack_steps} steps, on SqueezeNet and on VGG16",
                 targets * n * attack_steps * (squeeze + vgg)),
        Workload("visualization/class-visualization", f"class visualization, {steps} steps: "
                 f"{squeeze_runs} runs on SqueezeNet, {classes} on VGG16",
                 steps * (squeeze_runs * squeeze + classes * vgg)),
    ]


def _gans(configs: dict[str, GANConfig], page: str, channels: int, what: str) -> Workload:
    flops = sum(c.steps * gan_step_flops(c, channels=channels) for c in configs.values())
    return Workload(page, f"{len(configs)} {what}", flops)


def full_rebuild(profile: Profile | None = None) -> list[Workload]:
    """What each page of the book computes in the full profile, by kind of work.

    The counts follow the pages' code; the GAN runs are the parts' own lists
    (``gan.parts.part_configs``, ``conditional_configs``). Pages that classify a handful
    of images are left out (their cost is a few seconds on any device).
    """
    profile = profile or make_profile("full", sizes="standard")
    return [
        *_transfer(profile),
        *_visualization(profile),
        _gans(part_configs(profile), "gans (Part 3)", 3,
              "DCGAN runs on CelebA: the default, 2 more seeds, Q1's and Q5's experiments"),
        _gans(conditional_configs(profile), "conditional-gans (Part 4)", 1,
              "runs on MNIST: cDCGAN, cGAN, the label-blind D and the unconditional DCGAN"),
    ]


def measure_throughput(device: torch.device | str | None = None, *, repeats: int = 5,
                       batch_size: int = 8) -> float:
    """The FLOPs per second that ``device`` sustains on SqueezeNet 1.1's forward and backward
    passes at 224×224 (random weights; a median of ``repeats`` timed passes after one warm-up).

    Small networks run further from a device's peak than VGG16 does, so a time estimated from
    this rate errs on the long side.
    """
    from torchvision import models

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    net = models.squeezenet1_1(weights=None).to(device)
    x = torch.randn(batch_size, 3, 224, 224, device=device, requires_grad=True)
    flops = batch_size * network_flops("squeezenet1_1", backward=True)

    def once() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        net(x).sum().backward()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    once()
    return flops / statistics.median(once() for _ in range(repeats))


def hours(flops: float, throughput: float) -> float:
    """Hours to compute ``flops`` at ``throughput`` FLOPs per second."""
    if not (throughput > 0 and math.isfinite(throughput)):
        raise ValueError(f"throughput must be a positive number of FLOPs per second, got "
                         f"{throughput}")
    return flops / throughput / 3600


__all__ = ["IMAGENET_SAMPLES", "SCENE15_TEST", "SCENE15_TRAIN", "Workload", "count_flops",
           "full_rebuild", "gan_step_flops", "hours", "measure_throughput", "network_flops"]
