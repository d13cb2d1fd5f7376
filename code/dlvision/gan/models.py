"""The course's DCGAN (Radford et al., 2016): a generator of transposed convolutions and a
discriminator of convolutions, mirror images of each other.

At 32×32 (the course's setting, ``ngf = ndf = 32``, ``nz = 100``)::

    G: z (nz, 1, 1) → ConvT 4ngf, k4 s1 p0 → (128, 4, 4) → ConvT 2ngf, k4 s2 p1 → (64, 8, 8)
                    → ConvT ngf → (32, 16, 16) → ConvT nc → (nc, 32, 32), tanh: [-1, 1]
    D: x (nc, 32, 32) → Conv ndf, k4 s2 p1 → (32, 16, 16) → Conv 2ndf → (64, 8, 8)
                      → Conv 4ndf → (128, 4, 4) → Conv 1, k4 s1 p0 → (1, 1, 1), sigmoid: (0, 1)

Every hidden layer is followed by batch norm, then ReLU in G and LeakyReLU(0.2) in D. No layer
has a bias, as in PyTorch's DCGAN example: batch norm's shift makes one useless. At 64×64, each
network has one more block (widths 8ngf … ngf), as in PyTorch's DCGAN tutorial, whose widths are
``ngf = ndf = 64``.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

SIZES = (32, 64)
INITS = ("dcgan", "default")


def _blocks(size: int) -> int:
    """Blocks between the 4×4 maps and the image: 3 at 32×32, 4 at 64×64."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES} (the course's images), got {size}")
    return {32: 3, 64: 4}[size]


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN paper's initialization, for ``model.apply``: the weights of convolutions (and
    of fully-connected layers, in the cGAN) ~ N(0, 0.02); batch norm scales ~ N(1, 0.02) and
    shifts 0. Biases keep PyTorch's initialization, as in PyTorch's DCGAN example."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _initialize(model: nn.Module, init: str) -> None:
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if init == "dcgan":
        model.apply(dcgan_init)  # "default" keeps PyTorch's own (Kaiming uniform)


class Generator(nn.Module):
    """G: noise (N, nz, 1, 1) or (N, nz) → images (N, nc, size, size) in [-1, 1].

    nz : size of the noise vector z ~ N(0, I). ngf : width of the last hidden layer; the layers
    before it have 2, 4 (and 8 at 64×64) times as many channels. nc : image channels (1 for
    digits, 3 for faces). size : 32 or 64. init : "dcgan" (N(0, 0.02), the paper's) or
    "default" (PyTorch's).
    """

    def __init__(self, nz: int = 100, ngf: int = 32, nc: int = 3, size: int = 32,
                 init: str = "dcgan") -> None:
        super().__init__()
        self.nz, self.nc, self.size = nz, nc, size
        widths = [ngf * 2**i for i in reversed(range(_blocks(size)))]  # e.g. 128, 64, 32
        layers: list[nn.Module] = [  # (nz, 1, 1) → (widths[0], 4, 4)
            nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for c_in, c_out in pairwise(widths):  # each doubles the size
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        _initialize(self, init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim == 2:
            z = z[:, :, None, None]
        if z.ndim != 4 or z.shape[1:] != (self.nz, 1, 1):
            raise ValueError(f"expected noise of shape (N, {self.nz}) or (N, {self.nz}, 1, 1), "
                             f"got {tuple(z.shape)}")
        return self.main(z)


class Discriminator(nn.Module):
    """D: images (N, nc, size, size) in [-1, 1] → (N,) probabilities that each is real.

    ndf : width of the first layer; the next ones have 2, 4 (and 8 at 64×64) times as many
    channels. nc, size, init : as for ``Generator``.
    """

    def __init__(self, ndf: int = 32, nc: int = 3, size: int = 32, init: str = "dcgan") -> None:
        super().__init__()
        self.nc, self.size = nc, size
        widths = [ndf * 2**i for i in range(_blocks(size))]  # e.g. 32, 64, 128
        layers: list[nn.Module] = []
        for c_in, c_out in pairwise([nc, *widths]):  # each halves the size
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(0.2, inplace=True)]
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False), nn.Sigmoid()]  # 4×4 → 1×1
        self.main = nn.Sequential(*layers)
        _initialize(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1:] != (self.nc, self.size, self.size):
            raise ValueError(f"expected images of shape (N, {self.nc}, {self.size}, "
                             f"{self.size}), got {tuple(x.shape)}")
        return self.main(x).flatten()


__all__ = ["INITS", "SIZES", "Discriminator", "Generator", "dcgan_init"]
