"""Wrong and right answers to exercise 4, conditional GANs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# one-hot --------------------------------------------------------------------------------------


def one_hot_as_integers(labels):
    """Keeps F.one_hot's int64."""
    return F.one_hot(labels, 10)


def one_hot_sized_by_the_batch(labels):
    """Lets F.one_hot guess the number of classes from the largest label in the batch."""
    return F.one_hot(labels).float()


def one_hot_reversed(labels):
    """Counts the classes from the end."""
    return F.one_hot(9 - labels, 10).float()


def one_hot_transposed(labels):
    """One row per class, one column per image: (10, N)."""
    return F.one_hot(labels, 10).float().T


# label-maps -----------------------------------------------------------------------------------


def maps_channels_last(y, size=32):
    """(N, size, size, 10): channels last, as in NumPy images."""
    return y[:, None, None, :].expand(-1, size, size, -1)


def maps_not_expanded(y, size=32):
    """Stops at (N, 10, 1, 1), the generator's label input."""
    return y[:, :, None, None]


def maps_of_the_class_number(y, size=32):
    """One map holding the class number instead of ten one-hot planes."""
    return y.argmax(1).float()[:, None, None, None].expand(-1, 1, size, size)


def maps_ignoring_size(y, size=32):
    """Always 32×32."""
    return y[:, :, None, None].expand(-1, -1, 32, 32)


# conditional-generator ------------------------------------------------------------------------


def _branch(c_in, c_out):
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 1, 0, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


def _trunk(ngf, nc, *, tanh=True, last_bias=True):
    return nn.Sequential(
        nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ngf),
        nn.ReLU(), nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf),
        nn.ReLU(), nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=last_bias),
        nn.Tanh() if tanh else nn.Identity())


class LabelFirst(nn.Module):
    """Concatenates the label's maps before the noise's."""

    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.z_branch, self.y_branch = _branch(nz, 2 * ngf), _branch(10, 2 * ngf)
        self.main = _trunk(ngf, nc)

    def forward(self, z, y):
        return self.main(torch.cat([self.y_branch(y[:, :, None, None]), self.z_branch(z)], 1))


class NarrowLabelBranch(nn.Module):
    """Gives the label's branch ngf channels instead of 2·ngf."""

    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.z_branch, self.y_branch = _branch(nz, 2 * ngf), _branch(10, ngf)
        self.main = _trunk(ngf, nc)
        self.main[0] = nn.ConvTranspose2d(3 * ngf, 2 * ngf, 4, 2, 1, bias=False)

    def forward(self, z, y):
        return self.main(torch.cat([self.z_branch(z), self.y_branch(y[:, :, None, None])], 1))


class NoTanh(nn.Module):
    """Leaves the last layer's output as it is, not squashed into [-1, 1]."""

    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.z_branch, self.y_branch = _branch(nz, 2 * ngf), _branch(10, 2 * ngf)
        self.main = _trunk(ngf, nc, tanh=False)

    def forward(self, z, y):
        return self.main(torch.cat([self.z_branch(z), self.y_branch(y[:, :, None, None])], 1))


class LabelWithoutNorm(nn.Module):
    """No batch norm in the label's branch."""

    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.z_branch = _branch(nz, 2 * ngf)
        self.y_branch = nn.Sequential(nn.ConvTranspose2d(10, 2 * ngf, 4, 1, 0, bias=False),
                                      nn.ReLU())
        self.main = _trunk(ngf, nc)

    def forward(self, z, y):
        return self.main(torch.cat([self.z_branch(z), self.y_branch(y[:, :, None, None])], 1))


class NoiseOnly(nn.Module):
    """Builds the label's branch but never uses it: the label is ignored."""

    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.z_branch, self.y_branch = _branch(nz, 2 * ngf), _branch(10, 2 * ngf)
        self.main = _trunk(ngf, nc)

    def forward(self, z, y):
        h = self.z_branch(z)
        return self.main(torch.cat([h, h], 1))


# labelled-grid --------------------------------------------------------------------------------


def _draw(G, noise, labels):
    with torch.no_grad():
        return G(noise, F.one_hot(labels, 10).float())


def grid_by_columns(G, z):
    """Column order: the ten digits of z_0 first, then those of z_1."""
    G.eval()
    C = len(z)
    return _draw(G, z.repeat_interleave(10, 0), torch.arange(10).repeat(C))


def grid_in_training_mode(G, z):
    """Forgets G.eval(): batch norm normalizes with the grid's own statistics."""
    C = len(z)
    return _draw(G, z.repeat(10, 1, 1, 1), torch.arange(10).repeat_interleave(C))


def grid_of_one_digit(G, z):
    """Asks for digit 0 in every row."""
    G.eval()
    return _draw(G, z.repeat(10, 1, 1, 1), torch.zeros(10 * len(z), dtype=torch.long))


def grid_with_new_noise(G, z):
    """Draws new noise for every row instead of reusing z."""
    G.eval()
    C = len(z)
    noise = torch.randn(10 * C, *z.shape[1:], generator=torch.Generator().manual_seed(0))
    return _draw(G, noise, torch.arange(10).repeat_interleave(C))


MUTANTS = {
    "one-hot": [one_hot_as_integers, one_hot_sized_by_the_batch, one_hot_reversed,
                one_hot_transposed],
    "label-maps": [maps_channels_last, maps_not_expanded, maps_of_the_class_number,
                   maps_ignoring_size],
    "conditional-generator": [LabelFirst, NarrowLabelBranch, NoTanh, LabelWithoutNorm,
                              NoiseOnly],
    "labelled-grid": [grid_by_columns, grid_in_training_mode, grid_of_one_digit,
                      grid_with_new_noise],
}


# Right answers written differently --------------------------------------------------------------


def one_hot_from_eye(labels):
    return torch.eye(10)[labels]


def one_hot_scattered(labels):
    return torch.zeros(len(labels), 10).scatter_(1, labels[:, None], 1.0)


def maps_repeated(y, size=32):
    return y.view(len(y), 10, 1, 1).repeat(1, 1, size, size)


def maps_by_einsum(y, size=32):
    return torch.einsum("nc,hw->nchw", y, torch.ones(size, size))


class CDCGANOfAttributes(nn.Module):
    """The label's branch registered first, layers as attributes, functional activations."""

    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.up_y = nn.ConvTranspose2d(10, 2 * ngf, 4, 1, 0, bias=False)
        self.norm_y = nn.BatchNorm2d(2 * ngf)
        self.up_z = nn.ConvTranspose2d(nz, 2 * ngf, 4, 1, 0, bias=False)
        self.norm_z = nn.BatchNorm2d(2 * ngf)
        self.up1 = nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False)
        self.norm1 = nn.BatchNorm2d(2 * ngf)
        self.up2 = nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(ngf)
        self.to_image = nn.ConvTranspose2d(ngf, nc, 4, 2, 1)

    def forward(self, z, y):
        h_z = F.relu(self.norm_z(self.up_z(z)))
        h_y = F.relu(self.norm_y(self.up_y(y.view(-1, 10, 1, 1))))
        h = torch.cat([h_z, h_y], dim=1)
        h = F.relu(self.norm1(self.up1(h)))
        h = F.relu(self.norm2(self.up2(h)))
        return torch.tanh(self.to_image(h))


class CDCGANOfSequentials(nn.Module):
    def __init__(self, nz=100, ngf=128, nc=1):
        super().__init__()
        self.z_branch, self.y_branch = _branch(nz, 2 * ngf), _branch(10, 2 * ngf)
        self.main = _trunk(ngf, nc)

    def forward(self, z, y):
        return self.main(torch.cat([self.z_branch(z), self.y_branch(y[..., None, None])], 1))


def grid_in_a_loop(G, z):
    G.eval()
    rows = []
    with torch.no_grad():
        for digit in range(10):
            y = torch.zeros(len(z), 10)
            y[:, digit] = 1
            rows.append(G(z, y))
    return torch.cat(rows)


def grid_by_indexing(G, z):
    G.eval()
    C = len(z)
    index = torch.arange(10 * C)
    with torch.no_grad():
        return G(z[index % C], torch.eye(10)[index // C])


ALTERNATIVES = {
    "one-hot": [one_hot_from_eye, one_hot_scattered],
    "label-maps": [maps_repeated, maps_by_einsum],
    "conditional-generator": [CDCGANOfAttributes, CDCGANOfSequentials],
    "labelled-grid": [grid_in_a_loop, grid_by_indexing],
}
