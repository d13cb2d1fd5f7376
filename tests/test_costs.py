"""FLOP counts of a full rebuild (dlvision.costs): counted from the networks, consistent with
each other, and turned into time the same way whatever the device."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from dlvision import costs
from dlvision.gan.runs import MINI_DEFAULT
from dlvision.gan.training import train
from dlvision.profile import make_profile


def test_count_flops_counts_a_matrix_product_as_multiplies_and_adds():
    layer = nn.Linear(3, 4, bias=False)
    assert costs.count_flops(lambda: layer(torch.ones(5, 3))) == 2 * 5 * 3 * 4


def test_a_network_cut_in_two_costs_what_the_whole_costs():
    whole = costs.network_flops("vgg16")
    assert costs.network_flops("vgg16", layer="pool4") + costs.network_flops(
        "vgg16", after="pool4") == whole
    # VGG16 at 224×224: about 15.5 G multiply-adds per image (Simonyan and Zisserman, 2015).
    assert 30e9 < whole < 32e9
    # Backward computes two products per forward one: weights' and inputs' gradients.
    assert 2.9 * whole < costs.network_flops("vgg16", backward=True) < 3.1 * whole
    assert costs.network_flops("squeezenet1_1") < whole / 30


def test_a_gan_step_is_counted_on_a_real_step_and_scales_with_the_batch():
    config = MINI_DEFAULT.with_(batch_size=4, steps=1, snapshots=())
    data = TensorDataset(torch.rand(8, 1, 32, 32) * 2 - 1, torch.zeros(8, dtype=torch.long))
    measured = costs.count_flops(lambda: train(config, data, progress=False, device="cpu"))
    assert costs.gan_step_flops(config) == measured
    assert costs.gan_step_flops(config.with_(batch_size=8)) == 2 * measured
    # Five D updates per step: more work than one, less than five whole steps (G updates once).
    five = costs.gan_step_flops(config.with_(d_steps=5))
    assert measured < five < 5 * measured
    # Colour images cost more in D's first layer and G's last.
    assert costs.gan_step_flops(config, channels=3) > measured


def test_the_rebuild_counts_every_page_and_shrinks_with_the_profile_s_sizes(monkeypatch):
    # GAN steps are measured on the CPU: a constant stands in for them here.
    monkeypatch.setattr(costs, "gan_step_flops", lambda config, channels=1: 1_000)
    full = costs.full_rebuild(make_profile("full", sizes="standard"))
    pages = {w.page.split("/")[0].split(" ")[0] for w in full}
    assert pages == {"transfer-learning", "visualization", "gans", "conditional-gans"}
    assert all(w.flops > 0 and w.what for w in full)
    rehearsal = costs.full_rebuild(make_profile("full", sizes="rehearsal"))
    # One training epoch and two image steps instead of ~300 steps and 200: far less work.
    assert sum(w.flops for w in rehearsal) < sum(w.flops for w in full) / 2


def test_hours_divides_and_refuses_a_rate_that_is_not_one():
    assert costs.hours(7200e12, 1e12) == pytest.approx(2.0)
    for rate in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="FLOPs per second"):
            costs.hours(1e12, rate)


def test_measure_throughput_is_a_positive_rate_on_the_cpu():
    rate = costs.measure_throughput("cpu", repeats=1, batch_size=1)
    assert 1e7 < rate < 1e14
