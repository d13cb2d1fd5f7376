"""The DCGAN of Part 3: the course's architecture layer by layer, its initialization, and the
losses against hand computations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlvision.gan.losses import discriminator_loss, generator_loss
from dlvision.gan.models import Discriminator, Generator


def layers(model: nn.Module, kind) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, kind)]


def spec(conv: nn.Module) -> tuple:
    return (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
            conv.bias is not None)


def test_generator_is_the_course_s_at_32():
    G = Generator()  # nz = 100, ngf = 32, nc = 3
    assert [spec(c) for c in layers(G, nn.ConvTranspose2d)] == [
        (100, 128, (4, 4), (1, 1), (0, 0), False),
        (128, 64, (4, 4), (2, 2), (1, 1), False),
        (64, 32, (4, 4), (2, 2), (1, 1), False),
        (32, 3, (4, 4), (2, 2), (1, 1), False),
    ]
    kinds = [type(m).__name__ for m in G.main]
    assert kinds == ["ConvTranspose2d", "BatchNorm2d", "ReLU"] * 3 + ["ConvTranspose2d", "Tanh"]
    z = torch.randn(5, 100, generator=torch.Generator().manual_seed(0))
    images = G(z)
    assert images.shape == (5, 3, 32, 32)
    assert images.abs().max() <= 1 and images.std() > 0.01
    assert torch.equal(G(z[:, :, None, None]), images)  # (N, nz) or (N, nz, 1, 1)


def test_discriminator_is_the_course_s_at_32():
    D = Discriminator(nc=1)
    assert [spec(c) for c in layers(D, nn.Conv2d)] == [
        (1, 32, (4, 4), (2, 2), (1, 1), False),
        (32, 64, (4, 4), (2, 2), (1, 1), False),
        (64, 128, (4, 4), (2, 2), (1, 1), False),
        (128, 1, (4, 4), (1, 1), (0, 0), False),
    ]
    kinds = [type(m).__name__ for m in D.main]
    assert kinds == ["Conv2d", "BatchNorm2d", "LeakyReLU"] * 3 + ["Conv2d", "Sigmoid"]
    assert all(m.negative_slope == 0.2 for m in layers(D, nn.LeakyReLU))
    p = D(torch.rand(4, 1, 32, 32) * 2 - 1)
    assert p.shape == (4,) and ((p > 0) & (p < 1)).all()


def test_64_by_64_adds_one_block_to_each_network():
    G, D = Generator(ngf=64, size=64), Discriminator(ndf=64, size=64)
    assert [c.out_channels for c in layers(G, nn.ConvTranspose2d)] == [512, 256, 128, 64, 3]
    assert [c.out_channels for c in layers(D, nn.Conv2d)] == [64, 128, 256, 512, 1]
    images = G(torch.randn(2, 100))
    assert images.shape == (2, 3, 64, 64) and D(images).shape == (2,)


def test_the_dcgan_initialization_and_pytorch_s_default():
    G = Generator(ngf=64)
    weights = torch.cat([c.weight.flatten() for c in layers(G, nn.ConvTranspose2d)])
    assert abs(weights.mean().item()) < 1e-3 and weights.std().item() == pytest.approx(0.02,
                                                                                       rel=0.05)
    scales = torch.cat([b.weight for b in layers(G, nn.BatchNorm2d)])
    assert scales.mean().item() == pytest.approx(1, abs=0.01) and scales.std() > 0.01
    default = Generator(ngf=64, init="default")
    assert all((b.weight == 1).all() for b in layers(default, nn.BatchNorm2d))
    first = layers(default, nn.ConvTranspose2d)[0].weight
    assert first.std().item() != pytest.approx(0.02, rel=0.2)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Generator(size=48), "size must be one of"),
    (lambda: Discriminator(init="xavier"), "init must be one of"),
])
def test_bad_settings_are_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_wrong_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"noise of shape \(N, 100\)"):
        Generator()(torch.randn(2, 10))
    with pytest.raises(ValueError, match=r"images of shape \(N, 3, 32, 32\)"):
        Discriminator()(torch.randn(2, 1, 32, 32))


def test_losses_against_hand_computations():
    d_real, d_fake = torch.tensor([0.9, 0.6]), torch.tensor([0.2, 0.5])
    expected_d = -((math.log(0.9) + math.log(0.6)) / 2 + (math.log(0.8) + math.log(0.5)) / 2)
    assert discriminator_loss(d_real, d_fake).item() == pytest.approx(expected_d, rel=1e-6)
    assert generator_loss(d_fake).item() == pytest.approx(
        -(math.log(0.2) + math.log(0.5)) / 2, rel=1e-6)
    assert generator_loss(d_fake, saturating=True).item() == pytest.approx(
        (math.log(0.8) + math.log(0.5)) / 2, rel=1e-6)


def test_one_sided_label_smoothing_moves_the_real_target_alone():
    d_real, d_fake = torch.tensor([0.9, 0.6]), torch.tensor([0.2, 0.5])
    real = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1) + 0.9 * math.log(0.6)
             + 0.1 * math.log(0.4)) / 2
    fake = -(math.log(0.8) + math.log(0.5)) / 2  # generated images keep their target 0
    assert discriminator_loss(d_real, d_fake, real_label=0.9).item() == pytest.approx(
        real + fake, rel=1e-6)
    # Its minimum over D(x) is at 0.9, not at 1: D gains nothing by growing surer.
    p = torch.linspace(0.5, 0.999, 500)
    losses = torch.stack([discriminator_loss(q[None], torch.zeros(1), real_label=0.9)
                          for q in p])
    assert p[losses.argmin()].item() == pytest.approx(0.9, abs=2e-3)
    with pytest.raises(ValueError, match="real_label"):
        discriminator_loss(d_real, d_fake, real_label=0.3)


def test_only_the_saturating_loss_vanishes_where_d_rejects_the_samples():
    """Q3: through the sigmoid, d/da log(1 − σ(a)) = −σ(a) → 0 when D(G(z)) → 0, while
    d/da −log σ(a) = −(1 − σ(a)) → −1."""
    logits = torch.tensor([-8.0, 0.0], requires_grad=True)  # D(G(z)) ≈ 0.0003, then 0.5
    (saturating,) = torch.autograd.grad(
        generator_loss(torch.sigmoid(logits), saturating=True), logits)
    (non_saturating,) = torch.autograd.grad(generator_loss(torch.sigmoid(logits)), logits)
    p = torch.sigmoid(logits.detach())
    torch.testing.assert_close(saturating, -p / 2)  # mean over 2
    torch.testing.assert_close(non_saturating, -(1 - p) / 2)
    assert abs(saturating[0]) < 1e-3 < 0.4 < abs(non_saturating[0])


def test_a_certain_discriminator_gives_a_large_finite_loss():
    loss = discriminator_loss(torch.tensor([1.0]), torch.tensor([1.0]))
    assert math.isfinite(loss.item()) and loss.item() == pytest.approx(100)
