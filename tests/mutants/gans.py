"""Wrong and right answers to exercise 3, generative adversarial networks."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from dlvision.gan.losses import discriminator_loss as package_discriminator_loss
from dlvision.gan.losses import generator_loss as package_generator_loss

# discriminator-loss ---------------------------------------------------------------------------


def d_loss_maximized(d_real, d_fake):
    """Returns the objective of equation (7), to maximize, not the loss."""
    return torch.log(d_real).mean() + torch.log(1 - d_fake).mean()


def d_loss_averaged(d_real, d_fake):
    """Averages the two terms instead of adding them."""
    return -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean()) / 2


def d_loss_swapped_labels(d_real, d_fake):
    """Calls real images fake and generated ones real."""
    return -(torch.log(1 - d_real).mean() + torch.log(d_fake).mean())


def d_loss_one_mean(d_real, d_fake):
    """One binary cross-entropy over both batches: wrong when their sizes differ."""
    d = torch.cat([d_real, d_fake])
    labels = torch.cat([torch.ones_like(d_real), torch.zeros_like(d_fake)])
    return 2 * F.binary_cross_entropy(d, labels)


def d_loss_as_a_number(d_real, d_fake):
    """The right value, as a Python float: nothing to differentiate."""
    return -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean()).item()


def d_loss_real_only(d_real, d_fake):
    """Forgets the generated images' term."""
    return -torch.log(d_real).mean()


def d_loss_summed(d_real, d_fake):
    """Sums over each batch instead of taking the mean."""
    return -(torch.log(d_real).sum() + torch.log(1 - d_fake).sum())


def d_loss_per_image(d_real, d_fake):
    """Keeps one loss per image (no mean), on batches of the same size."""
    return -(torch.log(d_real) + torch.log(1 - d_fake))


# generator-loss -------------------------------------------------------------------------------


def g_loss_maximized(d_fake, saturating=False):
    """Returns the objectives, to maximize, not the losses."""
    if saturating:
        return -torch.log(1 - d_fake).mean()
    return torch.log(d_fake).mean()


def g_loss_saturating_sign(d_fake, saturating=False):
    """Saturating: minimizes −log(1 − D(G(z))), which is D's term, not G's."""
    if saturating:
        return -torch.log(1 - d_fake).mean()
    return -torch.log(d_fake).mean()


def g_loss_ignores_the_flag(d_fake, saturating=False):
    """Always the non-saturating loss."""
    return -torch.log(d_fake).mean()


def g_loss_flag_reversed(d_fake, saturating=False):
    """The saturating loss by default, and the non-saturating one when asked to saturate."""
    if not saturating:
        return torch.log(1 - d_fake).mean()
    return -torch.log(d_fake).mean()


def g_loss_detached(d_fake, saturating=False):
    """The right value computed on a detached copy: no gradient reaches G."""
    d = d_fake.detach()
    return torch.log(1 - d).mean() if saturating else -torch.log(d).mean()


# generator ------------------------------------------------------------------------------------


def _block(c_in, c_out, stride, padding, *, bias=False, activation=None):
    return [nn.ConvTranspose2d(c_in, c_out, 4, stride, padding, bias=bias),
            nn.BatchNorm2d(c_out), activation or nn.ReLU()]


class GeneratorSigmoid(nn.Module):
    """Ends with a sigmoid: images in [0, 1], not the data's [-1, 1]."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        self.main = nn.Sequential(*_block(nz, 4 * ngf, 1, 0), *_block(4 * ngf, 2 * ngf, 2, 1),
                                  *_block(2 * ngf, ngf, 2, 1),
                                  nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Sigmoid())

    def forward(self, z):
        return self.main(z)


class GeneratorPadded(nn.Module):
    """Pads the first transposed convolution: 1×1 noise becomes 2×2 maps, not 4×4."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        self.main = nn.Sequential(*_block(nz, 4 * ngf, 1, 1), *_block(4 * ngf, 2 * ngf, 2, 1),
                                  *_block(2 * ngf, ngf, 2, 1),
                                  nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class GeneratorWidening(nn.Module):
    """Widths in the discriminator's order (ngf, 2ngf, 4ngf) instead of narrowing."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        self.main = nn.Sequential(*_block(nz, ngf, 1, 0), *_block(ngf, 2 * ngf, 2, 1),
                                  *_block(2 * ngf, 4 * ngf, 2, 1),
                                  nn.ConvTranspose2d(4 * ngf, nc, 4, 2, 1, bias=False),
                                  nn.Tanh())

    def forward(self, z):
        return self.main(z)


class GeneratorLeaky(nn.Module):
    """LeakyReLU in the hidden blocks, the discriminator's activation."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        leaky = nn.LeakyReLU(0.2)
        self.main = nn.Sequential(*_block(nz, 4 * ngf, 1, 0, activation=leaky),
                                  *_block(4 * ngf, 2 * ngf, 2, 1, activation=leaky),
                                  *_block(2 * ngf, ngf, 2, 1, activation=leaky),
                                  nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class GeneratorWithBiases(nn.Module):
    """Biases in every transposed convolution (PyTorch's default)."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        self.main = nn.Sequential(*_block(nz, 4 * ngf, 1, 0, bias=True),
                                  *_block(4 * ngf, 2 * ngf, 2, 1, bias=True),
                                  *_block(2 * ngf, ngf, 2, 1, bias=True),
                                  nn.ConvTranspose2d(ngf, nc, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class GeneratorReluBeforeNorm(nn.Module):
    """ReLU before batch norm in each block."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        layers = []
        for c_in, c_out, stride, padding in ((nz, 4 * ngf, 1, 0), (4 * ngf, 2 * ngf, 2, 1),
                                             (2 * ngf, ngf, 2, 1)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride, padding, bias=False),
                       nn.ReLU(), nn.BatchNorm2d(c_out)]
        self.main = nn.Sequential(*layers, nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
                                  nn.Tanh())

    def forward(self, z):
        return self.main(z)


def generator_function(nz=100, ngf=32, nc=3):
    """Not a class, and returns the layers as a list rather than a module."""
    return [*_block(nz, 4 * ngf, 1, 0), *_block(4 * ngf, 2 * ngf, 2, 1),
            *_block(2 * ngf, ngf, 2, 1), nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh()]


# training-step --------------------------------------------------------------------------------
# The wrong steps are written out as a student would write them, not obtained from the check's
# `reference_step` and its keywords for common mistakes: a mutant built from the reference
# would test the reference against itself, and a wrong keyword there would go unnoticed.


def _d_update(G, D, opt_D, real, z, zero=True):
    loss = package_discriminator_loss(D(real), D(G(z).detach()))
    if zero:
        opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.item()


def _g_update(G, D, opt_G, z, zero=True, saturating=False):
    loss = package_generator_loss(D(G(z)), saturating=saturating)
    if zero:
        opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.item()


def step_without_zero_grad(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Never resets the gradients: each backward pass adds to the last."""
    for real, z in zip(reals, noises_D, strict=True):
        loss_D = _d_update(G, D, opt_D, real, z, zero=False)
    for z in noises_G:
        loss_G = _g_update(G, D, opt_G, z, zero=False)
    return loss_D, loss_G


def step_g_first(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Updates G before D."""
    for z in noises_G:
        loss_G = _g_update(G, D, opt_G, z)
    for real, z in zip(reals, noises_D, strict=True):
        loss_D = _d_update(G, D, opt_D, real, z)
    return loss_D, loss_G


def step_one_batch(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Gives D the real and generated images in one batch, which batch norm mixes."""
    for real, z in zip(reals, noises_D, strict=True):
        out = D(torch.cat([real, G(z).detach()]))
        loss_D = package_discriminator_loss(out[:len(real)], out[len(real):])
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
    for z in noises_G:
        loss_G = _g_update(G, D, opt_G, z)
    return loss_D.item(), loss_G


def step_saturating(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Trains G with the saturating loss."""
    for real, z in zip(reals, noises_D, strict=True):
        loss_D = _d_update(G, D, opt_D, real, z)
    for z in noises_G:
        loss_G = _g_update(G, D, opt_G, z, saturating=True)
    return loss_D, loss_G


def step_once_each(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """One update of each network, whatever k_D and k_G."""
    loss_D = _d_update(G, D, opt_D, reals[0], noises_D[0])
    return loss_D, _g_update(G, D, opt_G, noises_G[0])


def step_reusing_d_noise(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Trains G on the noise D has just seen, ignoring noises_G."""
    for real, z in zip(reals, noises_D, strict=True):
        loss_D = _d_update(G, D, opt_D, real, z)
    for _ in noises_G:
        loss_G = _g_update(G, D, opt_G, noises_D[-1])
    return loss_D, loss_G


def step_without_detach(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """D's loss flows into G, whose gradients are not reset before G's own update."""
    for real, z in zip(reals, noises_D, strict=True):
        loss_D = package_discriminator_loss(D(real), D(G(z)))
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
    for z in noises_G:
        loss_G = package_generator_loss(D(G(z)))
        loss_G.backward()
        opt_G.step()
        opt_G.zero_grad()
    return loss_D.item(), loss_G.item()


MUTANTS = {
    "discriminator-loss": [d_loss_maximized, d_loss_averaged, d_loss_swapped_labels,
                           d_loss_one_mean, d_loss_as_a_number, d_loss_real_only,
                           d_loss_per_image, d_loss_summed],
    "generator-loss": [g_loss_maximized, g_loss_saturating_sign, g_loss_ignores_the_flag,
                       g_loss_flag_reversed, g_loss_detached],
    "generator": [GeneratorSigmoid, GeneratorPadded, GeneratorWidening, GeneratorLeaky,
                  GeneratorWithBiases, GeneratorReluBeforeNorm, generator_function],
    "training-step": [step_without_zero_grad, step_g_first, step_one_batch, step_saturating,
                      step_once_each, step_reusing_d_noise, step_without_detach],
}


# Right answers written differently --------------------------------------------------------------


def d_loss_with_bce(d_real, d_fake):
    return (F.binary_cross_entropy(d_real, torch.ones_like(d_real))
            + F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake)))


def d_loss_clamped_sum(d_real, d_fake):
    eps = 1e-12
    return -(d_real.clamp_min(eps).log().sum() / len(d_real)
             + (1 - d_fake).clamp_min(eps).log().sum() / len(d_fake))


def g_loss_with_bce(d_fake, saturating=False):
    if saturating:
        return -F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake))
    return F.binary_cross_entropy(d_fake, torch.ones_like(d_fake))


def g_loss_log1p(d_fake, saturating=False):
    return torch.log1p(-d_fake).mean() if saturating else -torch.log(d_fake).mean()


class GeneratorOfAttributes(nn.Module):
    """Layers as attributes, registered convolutions first, functional activations."""

    def __init__(self, nz=100, ngf=32, nc=3):
        super().__init__()
        self.ups = nn.ModuleList([
            nn.ConvTranspose2d(nz, ngf * 4, kernel_size=4, stride=1, padding=0, bias=False),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, kernel_size=4, stride=2, padding=1, bias=False),
            nn.ConvTranspose2d(ngf * 2, ngf, kernel_size=4, stride=2, padding=1, bias=False),
        ])
        self.norms = nn.ModuleList([nn.BatchNorm2d(c) for c in (ngf * 4, ngf * 2, ngf)])
        self.to_image = nn.ConvTranspose2d(ngf, nc, kernel_size=4, stride=2, padding=1,
                                           bias=False)

    def forward(self, z):
        x = z
        for up, norm in zip(self.ups, self.norms, strict=True):
            x = F.relu(norm(up(x)))
        return torch.tanh(self.to_image(x))


class GeneratorInALoop(nn.Sequential):
    """An nn.Sequential built in a loop over the widths."""

    def __init__(self, nz=100, ngf=32, nc=3):
        widths = [ngf * 4, ngf * 2, ngf]
        layers = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False),
                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)]
        for c_in, c_out in itertools.pairwise(widths):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        super().__init__(*layers, nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())


def step_with_no_grad_fakes(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Fakes for D drawn under no_grad; the two halves of D's loss backpropagated apart."""
    for real, z in zip(reals, noises_D, strict=True):
        with torch.no_grad():
            fake = G(z)
        opt_D.zero_grad(set_to_none=False)
        loss_real = F.binary_cross_entropy(D(real), torch.ones(len(real)))
        loss_fake = F.binary_cross_entropy(D(fake), torch.zeros(len(fake)))
        loss_real.backward()
        loss_fake.backward()
        opt_D.step()
        loss_D = (loss_real + loss_fake).item()
    for z in noises_G:
        G.zero_grad()
        loss_G = -torch.log(D(G(z))).mean()
        loss_G.backward()
        opt_G.step()
    return loss_D, loss_G.item()


def step_with_indices(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """Indices over k_D and k_G; D's loss written out; tensors returned."""
    k_D, k_G = len(reals), len(noises_G)
    for i in range(k_D):
        d_real, d_fake = D(reals[i]), D(G(noises_D[i]).detach())
        loss_D = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
    for j in range(k_G):
        opt_G.zero_grad()
        loss_G = package_generator_loss(D(G(noises_G[j])))
        loss_G.backward()
        opt_G.step()
    return loss_D.detach(), loss_G.detach()


ALTERNATIVES = {
    "discriminator-loss": [d_loss_with_bce, d_loss_clamped_sum],
    "generator-loss": [g_loss_with_bce, g_loss_log1p],
    "generator": [GeneratorOfAttributes, GeneratorInALoop],
    "training-step": [step_with_no_grad_fakes, step_with_indices],
}
