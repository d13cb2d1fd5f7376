"""Measures of digit style and of where a table's variance comes from (Part 4, Q15)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlvision.metrics import Shares, against_spread, ink, loss_summary, slant, two_way_shares


def stroke(offsets: list[int], *, width: int = 1) -> torch.Tensor:
    """A white-on-black image (1, 1, 32, 32) in [-1, 1]: one stroke from row 8 to row 23, at
    column 16 + offsets[row - 8]."""
    image = -torch.ones(1, 1, 32, 32)
    for row, offset in zip(range(8, 24), offsets, strict=True):
        image[0, 0, row, 16 + offset:16 + offset + width] = 1
    return image


def test_slant_is_zero_upright_positive_leaning_right_and_proportional_to_the_shear():
    upright = stroke([0] * 16)
    right = stroke([(23 - r) // 2 for r in range(8, 24)])  # the top is further right: /
    left = torch.flip(right, dims=[3])
    slants = slant(torch.cat([upright, right, left]))
    assert slants[0] == pytest.approx(0, abs=1e-6)
    assert slants[1] > 0.4 and slants[2] == pytest.approx(-slants[1].item(), abs=1e-6)
    # A shear of half a pixel per row, measured by the moments, up to the rounding of pixels.
    assert slants[1].item() == pytest.approx(0.5, abs=0.05)


def test_slant_does_not_depend_on_where_the_digit_is_or_how_thick():
    base = stroke([(23 - r) // 3 for r in range(8, 24)])
    moved = torch.roll(base, shifts=(3, -4), dims=(2, 3))
    thick = stroke([(23 - r) // 3 for r in range(8, 24)], width=3)
    values = slant(torch.cat([base, moved, thick]))
    assert values[1].item() == pytest.approx(values[0].item(), abs=1e-5)
    assert values[2].item() == pytest.approx(values[0].item(), abs=0.02)


def test_ink_counts_the_inked_fraction_of_the_image():
    assert ink(stroke([0] * 16)).item() == pytest.approx(16 / 1024)
    assert ink(stroke([0] * 16, width=3)).item() == pytest.approx(48 / 1024)
    grey = torch.zeros(1, 1, 32, 32)  # mid-grey is half ink
    assert ink(grey).item() == pytest.approx(0.5)
    assert slant(-torch.ones(2, 1, 32, 32)).tolist() == [0.0, 0.0]  # nothing drawn


def test_style_measures_refuse_colour_images_with_a_clear_error():
    with pytest.raises(ValueError, match=r"grey images \(N, 1, H, W\)"):
        ink(torch.zeros(2, 3, 32, 32))


def test_two_way_shares_split_the_variance_between_rows_and_columns():
    rows = torch.arange(4.0)[:, None].expand(4, 5)
    assert two_way_shares(rows) == pytest.approx((1.0, 0.0, 0.0))
    assert two_way_shares(rows.T) == pytest.approx((0.0, 1.0, 0.0))
    additive = torch.arange(4.0)[:, None] + 3 * torch.arange(5.0)[None, :]
    shares = two_way_shares(additive)
    # Sums of squares by hand: rows 5·Σ(i − 1.5)² = 25, columns 4·9·Σ(j − 2)² = 360.
    assert shares.rows == pytest.approx(25 / 385) and shares.columns == pytest.approx(360 / 385)
    assert shares.residual == pytest.approx(0, abs=1e-12)
    noise = torch.randn(6, 7, generator=torch.Generator().manual_seed(0))
    shares = two_way_shares(noise)
    assert math.isclose(sum(shares), 1.0) and shares.residual > 0.5
    assert two_way_shares(torch.ones(3, 3)) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="R, C ≥ 2"):
        two_way_shares(torch.ones(1, 5))


def test_the_columns_share_within_rows_leaves_the_rows_out():
    # Rows far apart, plus the same column effect in every row: all within-row variation is
    # the columns', however large the rows' share of the total.
    additive = 100 * torch.arange(4.0)[:, None] + torch.arange(5.0)[None, :]
    shares = two_way_shares(additive)
    assert shares.rows > 0.99 and shares.columns_within_rows == pytest.approx(1.0)
    # A 2×2 table with an interaction only: rows and columns explain nothing.
    assert two_way_shares(torch.tensor([[1.0, -1.0], [-1.0, 1.0]])).columns_within_rows == 0
    # Hand computation: columns 0.5, residual 0.25 → 2/3.
    assert Shares(0.25, 0.5, 0.25).columns_within_rows == pytest.approx(2 / 3)
    assert two_way_shares(torch.ones(3, 3)).columns_within_rows == 0.0


def test_a_run_is_better_or_worse_only_outside_the_seeds_range():
    seeds = [10.0, 14.0, 12.0]
    assert against_spread(11.0, seeds, lower_is_better=True) == "within seed noise"
    assert against_spread(14.0, seeds, lower_is_better=True) == "within seed noise"  # the edge
    assert against_spread(9.0, seeds, lower_is_better=True) == "better"
    assert against_spread(15.0, seeds, lower_is_better=True) == "worse"
    assert against_spread(9.0, seeds, lower_is_better=False) == "worse"
    assert against_spread(15.0, seeds, lower_is_better=False) == "better"
    with pytest.raises(ValueError, match="at least 2 seeds"):
        against_spread(1.0, [1.0], lower_is_better=True)


def test_loss_summary_reads_the_end_of_d_s_curves_and_the_swing_of_g_s():
    steps = 100
    steady = {"loss_d": [2.0] * 90 + [1.0] * 10, "loss_g": [0.7] * steps,
              "d_fake": [0.5] * 90 + [0.25] * 10}
    summary = loss_summary(steady, steps)
    # The last tenth of D's curves; a flat G loss does not swing.
    assert summary == pytest.approx({"loss_d_end": 1.0, "d_fake": 0.25, "swing": 0.0},
                                    abs=1e-12)
    # G's loss flipping between -1 and 1 every 25 steps swings; only the second half counts.
    wave = [0.0] * 100 + [1.0 if (i // 25) % 2 else -1.0 for i in range(100)]
    long = {**steady, "loss_d": [1.0] * 200, "d_fake": [0.5] * 200}
    swinging = loss_summary({**long, "loss_g": wave}, 200)
    assert 0.3 < swinging["swing"] < 1.0
    # A loss that climbs steadily (a run drifting, not oscillating) does not swing.
    climbing = loss_summary({**long, "loss_g": list(np.linspace(3.0, 4.0, 200))}, 200)
    assert climbing["swing"] < 1e-9
    # The same wave on a climb swings as much as the wave alone.
    tilted = [w + c for w, c in zip(wave, np.linspace(3.0, 4.0, 200), strict=True)]
    assert loss_summary({**long, "loss_g": tilted}, 200)["swing"] == pytest.approx(
        swinging["swing"], rel=0.05)
    assert loss_summary(steady, 50)["loss_d_end"] == 2.0  # only the first 50 steps
    with pytest.raises(ValueError, match="between 1 and the 100 steps"):
        loss_summary(steady, 0)
