"""Generative adversarial networks (Parts 3 and 4): DCGAN, the conditional cDCGAN and the
fully-connected cGAN.

Shaped like ``dlvision.transfer``: one module per idea.

``models``       ``Generator`` and ``Discriminator``, the course's DCGAN at 32×32 and 64×64,
                 with the DCGAN initialization (``dcgan_init``) or PyTorch's;
``losses``       the discriminator's loss, the non-saturating and the saturating generator loss.

Planned (issues "Part 3" and "Part 4"): the conditional and fully-connected variants in
``models``; ``training``, one training loop for every GAN, with a loss history, sample grids at
fixed steps, checkpoints and resume; ``runs``, the run cache (``dlvision.cache.load_or_build``,
keyed by the configuration, the data and the code version) and ``sample``.

They build on ``dlvision.data`` (``mnist``, ``celeba``: images in [-1, 1]), ``dlvision.models``
(``device_of``), ``dlvision.metrics`` (the judge of samples) and ``dlvision.plots``
(``image_grid(..., value_range=(-1, 1))``), never on ``dlvision.transfer``.
"""

from .losses import discriminator_loss, generator_loss
from .models import Discriminator, Generator, dcgan_init

__all__ = ["Discriminator", "Generator", "dcgan_init", "discriminator_loss", "generator_loss"]
