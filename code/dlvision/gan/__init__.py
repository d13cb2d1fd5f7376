"""Generative adversarial networks (Parts 3 and 4): DCGAN, the conditional cDCGAN and the
fully-connected cGAN.

Shaped like ``dlvision.transfer``: one module per idea.

``models``       ``Generator`` and ``Discriminator``, the course's DCGAN at 32×32 and 64×64,
                 with the DCGAN initialization (``dcgan_init``) or PyTorch's;
``conditional``  the conditional GANs of Part 4, G(z, y) and D(x, y) on digits:
                 ``ConditionalGenerator`` and ``ConditionalDiscriminator`` (the cDCGAN),
                 ``MLPConditionalGenerator`` and ``MLPConditionalDiscriminator`` (the
                 fully-connected cGAN), label-blind discriminators (``sees_labels=False``),
                 and the labels as networks take them (``one_hot``, ``label_maps``);
``losses``       the discriminator's loss, the non-saturating and the saturating generator loss;
``training``     one training loop for every GAN (``GANConfig``, ``train`` → ``Run``), with a
                 loss history, samples of fixed noise (and labels) at fixed steps, checkpoints
                 and resume, and ``TrainingDiverged``;
``runs``         the run cache (``trained_run``, ``trained_runs``, keyed by the configuration,
                 the data and the code version), each profile's default runs
                 (``default_config(profile, model)``), ``sample``, ``interpolate``,
                 ``save_samples``;
``judge``        samples judged by a digit classifier that never saw the GANs: coverage,
                 confidence, Fréchet distance, and a conditional GAN's label accuracy;
``experiments``  the course's experiments on DCGAN training (Part 3, Q5), and every run of
                 Parts 3 and 4's pages (``part_runs``).

They build on ``dlvision.data`` (``mnist``, ``celeba``: images in [-1, 1]), ``dlvision.models``
(``device_of``), ``dlvision.metrics`` (the Fréchet distance) and ``dlvision.plots``
(``image_grid(..., value_range=(-1, 1))``), never on ``dlvision.transfer``. Importing the
package loads the networks, the loop and ``sample``; ``judge`` and ``experiments`` are imported
where they are used.
"""

from .conditional import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    MLPConditionalDiscriminator,
    MLPConditionalGenerator,
    label_maps,
    one_hot,
)
from .losses import discriminator_loss, generator_loss
from .models import Discriminator, Generator, dcgan_init
from .runs import sample
from .training import GANConfig, Run, TrainingDiverged, train

__all__ = [
    "ConditionalDiscriminator",
    "ConditionalGenerator",
    "Discriminator",
    "GANConfig",
    "Generator",
    "MLPConditionalDiscriminator",
    "MLPConditionalGenerator",
    "Run",
    "TrainingDiverged",
    "dcgan_init",
    "discriminator_loss",
    "generator_loss",
    "label_maps",
    "one_hot",
    "sample",
    "train",
]
