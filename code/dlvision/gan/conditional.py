"""The course's conditional GANs (Part 4): a generator cG(z, y) that draws the digit y asked for,
and a discriminator cD(x, y) that judges whether x is a real image *of class y*.

Two architectures, both on 32×32 digits with a one-hot y of size 10:

**cDCGAN** (the course's widths are ``ngf = ndf = 128`` here; a quarter-width network is
``ngf = ndf = 32``). Each input has its own branch; the branches are concatenated::

    G: z (nz, 1, 1) → ConvT 2ngf, k4 s1 p0, BN, ReLU → (256, 4, 4) ┐ concatenated:
       y (10, 1, 1) → ConvT 2ngf, k4 s1 p0, BN, ReLU → (256, 4, 4) ┘ (512, 4, 4)
       → ConvT 2ngf, k4 s2 p1, BN, ReLU → (256, 8, 8) → ConvT ngf, … → (128, 16, 16)
       → ConvT nc, k4 s2 p1 → (nc, 32, 32), tanh: [-1, 1]
    D: x (nc, 32, 32)          → Conv ndf/2, k4 s2 p1, LReLU → (64, 16, 16) ┐ concatenated:
       y maps (10, 32, 32)     → Conv ndf/2, k4 s2 p1, LReLU → (64, 16, 16) ┘ (128, 16, 16)
       → Conv 2ndf, k4 s2 p1, BN, LReLU → (256, 8, 8) → Conv 4ndf, … → (512, 4, 4)
       → Conv 1, k4 s1 p0 → (1, 1, 1), sigmoid: (0, 1)

As in the DCGAN, ``ngf`` is the width of G's last hidden layer and ``ndf`` that of D's first.
Layers followed by batch norm have no bias (its shift makes one useless); the branches of D and
the two output layers have one. LeakyReLU slopes are 0.2. In D, y enters as *label maps*: its
one-hot vector repeated at every pixel, 10 planes of 32×32, one of them all ones.

**Fully-connected cGAN** (Mirza & Osindero, 2014, as in the course)::

    G: [z, y] (nz + 10) → FC ngf → FC 2ngf → FC 4ngf, each BN, LReLU → FC nc·32·32, tanh
    D: [x flattened, y] (nc·32·32 + 10) → FC 4ndf → FC 2ndf → FC ndf, each LReLU, dropout
       → FC 1, sigmoid

with the course's widths ``ngf = ndf = 256`` (G: 256, 512, 1024; D: 1024, 512, 256).

Every network takes y as class indices (N,) int64 in 0-9 or as one-hot vectors (N, 10) (any
float vectors of that size: mixtures of classes too). Weights are initialized as the DCGAN's
(``dcgan_init``, N(0, 0.02)) or left to PyTorch (``init="default"``).

**Label-blind discriminators** (the course's Q11: cD(x) instead of cD(x, y)):
``sees_labels=False`` removes D's label input and keeps the rest of the network. In the cDCGAN
the image branch then takes the whole first layer (ndf channels instead of ndf/2), so that from
the concatenation on the two discriminators are layer for layer the same; in the
fully-connected one the first layer reads the image alone. Either still *accepts* y (checked,
then ignored), so that the training loop calls every discriminator the same way. (Feeding
zeros in place of the label maps would do nearly the same, but would leave D a label branch
that computes a constant, and readers wondering what it is for.)
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from .models import _initialize

N_CLASSES = 10  # the ten digits


def one_hot(labels: torch.Tensor, n: int | None = None, *, n_classes: int = N_CLASSES,
            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Labels as one-hot vectors (N, n_classes) of ``dtype``.

    labels : class indices (N,) int64 in 0..n_classes-1, or one-hot vectors (N, n_classes),
        returned as they are (cast to ``dtype``). n : the batch size they must have, if known.
    Anything else is a ``ValueError`` that says what to pass.
    """
    how = (f"pass class indices (N,) int64 in 0..{n_classes - 1}, or one-hot vectors "
           f"(N, {n_classes}) such as F.one_hot(labels, {n_classes}).float()")
    if labels is None:
        raise ValueError(f"a conditional network needs the labels of its images: {how}")
    labels = torch.as_tensor(labels)
    if labels.ndim == 1:
        if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
            raise ValueError(f"class indices must be integers, got {labels.dtype}: {how}")
        if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"labels must be classes 0..{n_classes - 1}, got values from "
                             f"{int(labels.min())} to {int(labels.max())}: {how}")
        vectors = F.one_hot(labels.long(), n_classes)
    elif labels.ndim == 2 and labels.shape[1] == n_classes:
        vectors = labels
    else:
        raise ValueError(f"expected labels of shape (N,) or (N, {n_classes}), got "
                         f"{tuple(labels.shape)}: {how}")
    if n is not None and len(vectors) != n:
        raise ValueError(f"expected labels for {n} images, got {len(vectors)}")
    return vectors.to(dtype)


def label_maps(labels: torch.Tensor, size: int = 32, n: int | None = None, *,
               n_classes: int = N_CLASSES, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Labels (as ``one_hot`` takes them) as D's label input: (N, n_classes, size, size), the
    one-hot vector repeated at every pixel (plane y all ones, the others zeros)."""
    vectors = one_hot(labels, n, n_classes=n_classes, dtype=dtype)
    return vectors[:, :, None, None].expand(-1, -1, size, size)  # (N, 10, size, size)


def _noise(z: torch.Tensor, nz: int) -> torch.Tensor:
    """Noise (N, nz) or (N, nz, 1, 1) as (N, nz, 1, 1)."""
    if z.ndim == 2:
        z = z[:, :, None, None]
    if z.ndim != 4 or z.shape[1:] != (nz, 1, 1):
        raise ValueError(f"expected noise of shape (N, {nz}) or (N, {nz}, 1, 1), "
                         f"got {tuple(z.shape)}")
    return z


def _images(x: torch.Tensor, nc: int, size: int) -> torch.Tensor:
    if x.ndim != 4 or x.shape[1:] != (nc, size, size):
        raise ValueError(f"expected images of shape (N, {nc}, {size}, {size}), "
                         f"got {tuple(x.shape)}")
    return x


def _check_size(size: int) -> None:
    if size != 32:
        raise ValueError(f"the cDCGAN is the course's 32×32 network, got size={size}")


class ConditionalGenerator(nn.Module):
    """cG of the cDCGAN: noise (N, nz) or (N, nz, 1, 1) and labels → images (N, nc, 32, 32) in
    [-1, 1].

    nz : size of the noise z ~ N(0, I). ngf : width of the last hidden layer (course: 128); each
    branch and the layer after them have 2ngf channels. nc : image channels (1 for digits).
    init : "dcgan" (N(0, 0.02)) or "default" (PyTorch's). labels : class indices (N,) int64 in
    0-9, or one-hot vectors (N, 10).
    """

    def __init__(self, nz: int = 100, ngf: int = 128, nc: int = 1, size: int = 32,
                 init: str = "dcgan", *, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        _check_size(size)
        self.nz, self.nc, self.size, self.n_classes = nz, nc, size, n_classes

        def branch(c_in: int) -> nn.Sequential:  # (c_in, 1, 1) → (2ngf, 4, 4)
            return nn.Sequential(nn.ConvTranspose2d(c_in, 2 * ngf, 4, 1, 0, bias=False),
                                 nn.BatchNorm2d(2 * ngf), nn.ReLU(True))

        self.z_branch, self.y_branch = branch(nz), branch(n_classes)
        self.main = nn.Sequential(  # (4ngf, 4, 4) → (nc, 32, 32)
            nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1), nn.Tanh())
        _initialize(self, init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        z = _noise(z, self.nz)
        y = one_hot(labels, len(z), n_classes=self.n_classes, dtype=z.dtype).to(z.device)
        h = torch.cat([self.z_branch(z), self.y_branch(y[:, :, None, None])], 1)  # (4ngf, 4, 4)
        return self.main(h)


class ConditionalDiscriminator(nn.Module):
    """cD of the cDCGAN: images (N, nc, 32, 32) in [-1, 1] and labels → (N,) probabilities
    that each is a real image of its label.

    ndf : width of the first layer (course: 128), half for the image branch and half for the
    label branch; the next layers have 2ndf and 4ndf channels. sees_labels : False for the
    label-blind discriminator cD(x) (see the module's notes): the image branch is ndf wide and
    the labels are ignored. nc, init, labels : as for ``ConditionalGenerator``.
    """

    def __init__(self, ndf: int = 128, nc: int = 1, size: int = 32, init: str = "dcgan", *,
                 sees_labels: bool = True, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        _check_size(size)
        if sees_labels and ndf % 2:
            raise ValueError(f"ndf must be even (half of the first layer sees the image, half "
                             f"the labels), got {ndf}")
        self.nc, self.size, self.n_classes, self.sees_labels = nc, size, n_classes, sees_labels

        def branch(c_in: int, c_out: int) -> nn.Sequential:  # (c_in, 32, 32) → (c_out, 16, 16)
            return nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, True))

        self.x_branch = branch(nc, ndf // 2 if sees_labels else ndf)
        self.y_branch = branch(n_classes, ndf // 2) if sees_labels else None
        self.main = nn.Sequential(  # (ndf, 16, 16) → (1, 1, 1)
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * ndf, 4 * ndf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(4 * ndf), nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * ndf, 1, 4, 1, 0), nn.Sigmoid())
        _initialize(self, init)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = _images(x, self.nc, self.size)
        h = self.x_branch(x)  # (ndf/2 or ndf, 16, 16)
        if self.sees_labels:
            maps = label_maps(labels, self.size, len(x), n_classes=self.n_classes,
                              dtype=x.dtype)  # (N, 10, 32, 32)
            h = torch.cat([h, self.y_branch(maps.to(x.device))], 1)  # (ndf, 16, 16)
        elif labels is not None:
            one_hot(labels, len(x), n_classes=self.n_classes)  # checked, then ignored
        return self.main(h).flatten()


class MLPConditionalGenerator(nn.Module):
    """cG of the fully-connected cGAN: noise (N, nz) (or (N, nz, 1, 1)) and labels → images
    (N, nc, size, size) in [-1, 1].

    ngf : width of the first hidden layer (course: 256); the next two have 2ngf and 4ngf units.
    nz, nc, init, labels : as for ``ConditionalGenerator``; size : the images' side.
    """

    def __init__(self, nz: int = 100, ngf: int = 256, nc: int = 1, size: int = 32,
                 init: str = "dcgan", *, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        self.nz, self.nc, self.size, self.n_classes = nz, nc, size, n_classes
        widths = [ngf, 2 * ngf, 4 * ngf]  # e.g. 256, 512, 1024
        layers: list[nn.Module] = []
        for c_in, c_out in pairwise([nz + n_classes, *widths]):
            layers += [nn.Linear(c_in, c_out, bias=False), nn.BatchNorm1d(c_out),
                       nn.LeakyReLU(0.2, True)]
        layers += [nn.Linear(widths[-1], nc * size * size), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        _initialize(self, init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        z = _noise(z, self.nz).flatten(1)  # (N, nz)
        y = one_hot(labels, len(z), n_classes=self.n_classes, dtype=z.dtype).to(z.device)
        return self.main(torch.cat([z, y], 1)).view(-1, self.nc, self.size, self.size)


class MLPConditionalDiscriminator(nn.Module):
    """cD of the fully-connected cGAN: images (N, nc, size, size) in [-1, 1] and labels → (N,)
    probabilities that each is a real image of its label.

    ndf : width of the last hidden layer (course: 256); the ones before have 4ndf and 2ndf
    units. dropout : the probability of dropping each hidden unit in training (course: 0.3).
    sees_labels : False for the label-blind discriminator cD(x): the first layer reads the
    image alone and the labels are ignored. nc, size, init, labels : as for the generator.
    """

    def __init__(self, ndf: int = 256, nc: int = 1, size: int = 32, init: str = "dcgan", *,
                 dropout: float = 0.3, sees_labels: bool = True,
                 n_classes: int = N_CLASSES) -> None:
        super().__init__()
        self.nc, self.size, self.n_classes, self.sees_labels = nc, size, n_classes, sees_labels
        widths = [4 * ndf, 2 * ndf, ndf]  # e.g. 1024, 512, 256
        inputs = nc * size * size + (n_classes if sees_labels else 0)
        layers: list[nn.Module] = []
        for c_in, c_out in pairwise([inputs, *widths]):
            layers += [nn.Linear(c_in, c_out), nn.LeakyReLU(0.2, True), nn.Dropout(dropout)]
        layers += [nn.Linear(widths[-1], 1), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)
        _initialize(self, init)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = _images(x, self.nc, self.size).flatten(1)  # (N, nc·size·size)
        if labels is not None or self.sees_labels:
            y = one_hot(labels, len(x), n_classes=self.n_classes, dtype=x.dtype).to(x.device)
            if self.sees_labels:
                h = torch.cat([h, y], 1)
        return self.main(h).flatten()


GENERATORS = (ConditionalGenerator, MLPConditionalGenerator)


def is_conditional(generator: nn.Module) -> bool:
    """Whether ``generator`` draws from labels as well as noise, G(z, y)."""
    return isinstance(generator, GENERATORS)


__all__ = [
    "N_CLASSES",
    "ConditionalDiscriminator",
    "ConditionalGenerator",
    "MLPConditionalDiscriminator",
    "MLPConditionalGenerator",
    "is_conditional",
    "label_maps",
    "one_hot",
]
