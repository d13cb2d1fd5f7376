"""Figures and tables: what they draw, and the errors for mismatched inputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from dlvision.plots import (
    activation_grid,
    confusion_matrix,
    fooling_grid,
    heatmap_overlay,
    history_multiples,
    history_plot,
    image_grid,
    line_plot,
    panels_plot,
    prediction_bars,
    scatter_2d,
    steps_plot,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_shows_grey_images_in_grey():
    grey = torch.rand(5, 1, 8, 8)
    fig = image_grid(grey.expand(-1, 3, -1, -1), titles=list("abcde"), ncols=3, title="digits")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and [ax.get_title() for ax in shown] == list("abcde")
    assert np.allclose(shown[0].images[0].get_array(), grey[0, 0].numpy(), atol=1e-5)
    assert fig._suptitle.get_text() == "digits"


def test_image_grid_maps_the_value_range_to_black_and_white():
    samples = torch.tensor([-1.0, 0.0, 1.0, 3.0]).view(1, 1, 2, 2)  # a GAN's range, one outlier
    fig = image_grid(samples, value_range=(-1, 1))
    shown = fig.axes[0].images[0].get_array()
    assert np.allclose(shown, [[0.0, 0.5], [1.0, 1.0]])  # clipped above the range
    with pytest.raises(ValueError, match="low < high"):
        image_grid(samples, value_range=(1, -1))


def test_heatmap_overlay_draws_each_image_and_its_scaled_map():
    images = torch.rand(3, 3, 6, 6)
    maps = torch.arange(3 * 36, dtype=torch.float32).view(3, 6, 6)
    fig = heatmap_overlay(images, maps, titles=["a", "b", "c"], title="saliency")
    axes = np.array(fig.axes).reshape(2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["a", "b", "c"]
    assert all(len(ax.images) == 1 for ax in axes[0]) and all(len(ax.images) == 2
                                                                for ax in axes[1])
    heat = axes[1, 2].images[1].get_array()
    assert heat.min() == 0 and heat.max() == 1  # each map scaled to its own range
    with pytest.raises(ValueError, match=r"maps \(N, H, W\)"):
        heatmap_overlay(images, maps[:2])


def test_image_grid_rejects_mismatched_titles():
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        image_grid(torch.rand(3, 1, 4, 4), titles=["a", "b"], value_range=(0, 1))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        image_grid(torch.rand(3, 4, 4))


def test_activation_grid_puts_the_input_first():
    fig = activation_grid(torch.rand(3, 8, 8), torch.randn(6, 8, 8), ncols=4, value_range=(0, 1))
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 7 and shown[0].get_title() == "input" and shown[6].get_title() == "map 5"


def test_prediction_bars_draw_one_bar_per_class():
    preds = [[("cat", 0.7), ("dog", 0.2)], [("car", 0.5), ("bus", 0.4)]]
    fig = prediction_bars(torch.rand(2, 3, 8, 8), preds, value_range=(0, 1))
    bars = [ax for ax in fig.axes if ax.patches]
    assert len(bars) == 2
    assert sorted(p.get_width() for p in bars[0].patches) == pytest.approx([0.2, 0.7])
    with pytest.raises(ValueError, match="predictions for 1 images, expected 2"):
        prediction_bars(torch.rand(2, 3, 8, 8), preds[:1])


def test_line_plot_skips_missing_values_and_draws_baselines():
    fig = line_plot(["a", "b", "c"], {"one": [0.1, None, 0.3]}, title="t", xlabel="x",
                    baselines={"chance": 0.2})
    ax = fig.axes[0]
    assert np.isnan(ax.lines[0].get_ydata()[1]) and len(ax.lines) == 2
    assert ax.get_title() == "t"
    with pytest.raises(ValueError, match="2 values for 3 x labels"):
        line_plot(["a", "b", "c"], {"one": [0.1, 0.2]}, title="t", xlabel="x")


def test_confusion_matrix_rows_are_shares_of_each_true_class():
    fig = confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], ["a", "b"], title="cm")
    shares = fig.axes[0].images[0].get_array()
    assert np.allclose(shares, [[2 / 3, 1 / 3], [0, 1]])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "1", "2"]
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("predicted class",
                                                                    "true class")
    fig = confusion_matrix([0, 1], [1, 1], ["a", "b"], title="cm", xlabel="digit read",
                           ylabel="digit asked for")
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("digit read",
                                                                    "digit asked for")


def test_scatter_2d_draws_one_group_per_class():
    ax = scatter_2d(np.random.default_rng(0).normal(size=(6, 2)), [0, 1, 2, 0, 1, 2],
                    ["a", "b", "c"], title="s")
    assert len(ax.collections) == 3


def test_fooling_grid_shows_each_change_around_grey():
    originals = torch.full((2, 3, 4, 4), 0.5)
    fooled = originals.clone()
    fooled[:, :, 0, 0] += 0.02  # a change too small to see, until amplified
    fig = fooling_grid(originals, fooled, titles=[("cat", "dog"), ("car", "stingray")])
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 8
    assert [ax.get_title() for ax in axes[:4]] == ["cat", "→ dog", "difference",
                                                   "difference ×10"]
    # Grey images (R = G = B) are drawn with one channel: (H, W).
    difference, amplified = (np.asarray(ax.images[0].get_array()) for ax in axes[2:4])
    assert difference[0, 0] == pytest.approx(0.51) and difference[1, 1] == 0.5
    assert amplified[0, 0] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="same shape"):
        fooling_grid(originals, fooled[:1])


def test_panels_plot_draws_one_panel_per_label_and_checks_lengths():
    fig = panels_plot([0.1, 0.5, 0.9], {"loss": {"a": [1, 2, 3], "b": [3, 2, 1]},
                                        "gradient": {"a": [0, 0, 1]}}, xlabel="D(G(z))")
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "gradient"]
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="curve 'a' has 2 values for 3"):
        panels_plot([1, 2, 3], {"loss": {"a": [1, 2]}}, xlabel="x")


def test_history_plot_smooths_and_pads_shorter_runs():
    long = {k: [float(i) for i in range(10)] for k in ("loss_d", "loss_g", "d_real", "d_fake")}
    short = {k: [5.0] * 4 for k in long}
    fig = history_plot({"long": long, "short": short}, smooth=3)
    assert len(fig.axes) == 4 and fig.axes[0].get_ylabel() == "D's loss"
    long_line, short_line = fig.axes[0].lines
    np.testing.assert_allclose(long_line.get_ydata()[:4], [0, 0.5, 1, 2])  # moving average
    assert np.isnan(short_line.get_ydata()[4:]).all()  # padded, not drawn


def test_steps_plot_sorts_each_run_s_own_steps_and_draws_baselines():
    fig = steps_plot({"a": {500: 0.9, 0: 0.1, 100: 0.5}, "b": {0: 0.2, 1000: 0.7}},
                     ylabel="label accuracy", title="t", baselines={"chance": 0.1})
    ax = fig.axes[0]
    a, b, chance = ax.lines
    assert list(a.get_xdata()) == [0, 100, 500] and list(a.get_ydata()) == [0.1, 0.5, 0.9]
    assert list(b.get_xdata()) == [0, 1000]
    assert list(chance.get_ydata()) == [0.1, 0.1]
    with pytest.raises(ValueError, match="at least one curve"):
        steps_plot({}, ylabel="y", title="t")


def test_history_multiples_draw_each_run_beside_the_reference_over_its_own_steps():
    reference = {k: [1.0] * 10 for k in ("loss_d", "loss_g")}
    runs = {f"run {i}": {k: [float(i)] * 6 for k in ("loss_d", "loss_g")} for i in range(5)}
    fig = history_multiples(runs, reference, ncols=4, smooth=1)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == list(runs)  # one panel per run, the 8th hidden
    grey_d, run_d, grey_g, run_g = shown[3].lines
    assert list(run_d.get_ydata()) == [3.0] * 6 and list(grey_d.get_ydata()) == [1.0] * 6
    assert grey_d.get_color() == grey_g.get_color() != run_d.get_color() != run_g.get_color()
    with pytest.raises(ValueError, match="at least one run"):
        history_multiples({}, reference)
