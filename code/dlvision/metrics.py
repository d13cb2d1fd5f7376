"""Measures of predictions, maps and samples: confusion counts and the most frequent confusion;
rank correlation between maps, overlap between boxes and the share of a map inside a region
(Part 2's saliency, measured); the
Fréchet distance between two sets of features (Parts 3 and 4: a GAN's samples against real
images, in the features of ``dlvision.gan.judge``'s classifier); the style of digits (ink and
slant) and how much of a table's variance its rows and its columns explain (Part 4's question of
what the noise vector encodes once the label is fixed); a GAN's loss curves summed up in three
numbers (``loss_summary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F


def confusion_counts(targets: Sequence[int], predictions: Sequence[int],
                     n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) int64 counts: cell (i, j) is how many images of class i were
    predicted j. targets, predictions: (N,) labels in [0, n_classes)."""
    targets, predictions = np.asarray(targets), np.asarray(predictions)
    if targets.shape != predictions.shape:
        raise ValueError(f"got {targets.shape} targets and {predictions.shape} predictions; "
                         "expected one prediction per target")
    for name, labels in (("targets", targets), ("predictions", predictions)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} must be labels in [0, {n_classes}), got values from "
                             f"{labels.min()} to {labels.max()}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (targets, predictions), 1)
    return counts


class Confusion(NamedTuple):
    """The most frequent error: ``count`` of the ``of`` images of class ``true`` were
    predicted ``predicted``."""

    true: int
    predicted: int
    count: int
    of: int


def most_confused(counts: np.ndarray) -> Confusion:
    """The off-diagonal cell of a confusion matrix with the most images (the first one on a
    tie, in row-major order). counts: (K, K) as ``confusion_counts`` returns it."""
    counts = np.asarray(counts)
    errors = counts - np.diag(np.diag(counts))
    true, predicted = divmod(int(errors.argmax()), counts.shape[1])
    return Confusion(true, predicted, int(counts[true, predicted]), int(counts[true].sum()))


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks 0..D-1 along the last dimension, ties given the mean of their ranks."""
    order = x.argsort(dim=-1)
    ranks = torch.empty_like(x, dtype=torch.float64)
    ranks.scatter_(-1, order, torch.arange(x.shape[-1], dtype=torch.float64).expand_as(x).clone())
    # Average the ranks of equal values (a map with many exact zeros has many ties).
    out = torch.empty_like(ranks)
    for i, (row, r) in enumerate(zip(x.reshape(-1, x.shape[-1]), ranks.reshape(-1, x.shape[-1]),
                                     strict=True)):
        _, inverse = torch.unique(row, return_inverse=True)
        sums = torch.zeros(int(inverse.max()) + 1, dtype=torch.float64).index_add_(0, inverse, r)
        counts = torch.bincount(inverse).double()
        out.reshape(-1, x.shape[-1])[i] = (sums / counts)[inverse]
    return out


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman's rank correlation between ``a[i]`` and ``b[i]``, for each i: (N,) in [-1, 1].

    a, b: (N, ...) of the same shape, e.g. two saliency maps (N, H, W) of the same images. 1
    means the same ordering of pixels, 0 no relation. A constant map has no ordering: its
    correlation is NaN.
    """
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"expected two batches (N, ...) of the same shape, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    ra, rb = _ranks(a.detach().flatten(1).cpu()), _ranks(b.detach().flatten(1).cpu())
    ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    return ((ra * rb).sum(1) / (ra.norm(dim=1) * rb.norm(dim=1))).float()


def bounding_boxes(mask: torch.Tensor) -> torch.Tensor:
    """(N, 4) int64 ``(top, left, bottom, right)`` of the True pixels of each mask (N, H, W),
    bottom and right exclusive; an empty mask gets (0, 0, 0, 0)."""
    if mask.ndim != 3:
        raise ValueError(f"expected masks (N, H, W), got shape {tuple(mask.shape)}")
    mask = mask.detach().bool().cpu()
    boxes = torch.zeros(len(mask), 4, dtype=torch.int64)
    for i, (rows, cols) in enumerate(zip(mask.any(dim=2), mask.any(dim=1), strict=True)):
        r, c = torch.nonzero(rows).flatten(), torch.nonzero(cols).flatten()
        if len(r):
            boxes[i] = torch.stack([r[0], c[0], r[-1] + 1, c[-1] + 1])
    return boxes


def box_masks(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(N, H, W) bool: True inside each box. boxes: (N, 4) ``(top, left, bottom, right)``,
    bottom and right exclusive (as ``bounding_boxes`` gives them)."""
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"expected (N, 4) boxes (top, left, bottom, right), got shape "
                         f"{tuple(boxes.shape)}")
    rows = torch.arange(height).view(1, -1, 1)
    cols = torch.arange(width).view(1, 1, -1)
    top, left, bottom, right = (boxes.detach().cpu().long()[:, i].view(-1, 1, 1)
                                for i in range(4))
    return (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)


def mass_share(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The share of each map's total that falls where its mask is True: (N,) in [0, 1].

    maps: (N, H, W) ≥ 0 (saliency maps, sizes of a change); masks: (N, H, W) bool (a box from
    ``box_masks``, the strokes of a digit...). Compare it with the mask's share of the area:
    a map spread evenly gets exactly that. An all-zero map has no share: NaN.
    """
    if maps.shape != masks.shape or maps.ndim != 3:
        raise ValueError(f"expected maps and masks (N, H, W) of the same shape, got "
                         f"{tuple(maps.shape)} and {tuple(masks.shape)}")
    maps = maps.detach().double().cpu()
    inside = (maps * masks.detach().cpu().bool()).flatten(1).sum(1)
    return (inside / maps.flatten(1).sum(1)).float()


def stroke_regions(grey: torch.Tensor, boxes: torch.Tensor, *, threshold: float = 0.5
                   ) -> dict[str, torch.Tensor]:
    """Four disjoint regions of drawings on a dark background, each (N, H, W) bool: the stroke's
    ``"interior"`` (stroke pixels whose 8 neighbours are all stroke), its ``"outline"`` (the
    stroke's edge pixels and the background pixels touching them), the ``"rest of box"`` (the
    background inside the box that is not outline) and the rest of the image (``"outside"``).

    grey: (N, H, W) in [0, 1], bright strokes on a dark background; a pixel is stroke above
    ``threshold``. boxes: (N, 4) ``(top, left, bottom, right)``, the drawing's box. With
    ``mass_share`` they say where a map's total goes, against each region's share of the area.
    """
    if grey.ndim != 3:
        raise ValueError(f"expected grey images (N, H, W), got shape {tuple(grey.shape)}")
    stroke = (grey.detach().cpu() > threshold).float()[:, None]  # (N, 1, H, W)
    grown = F.max_pool2d(stroke, 3, stride=1, padding=1)[:, 0].bool()  # stroke or touching it
    interior = (-F.max_pool2d(-stroke, 3, stride=1, padding=1))[:, 0].bool()
    box = box_masks(boxes, grey.shape[1], grey.shape[2])
    return {"interior": interior, "outline": grown & ~interior, "rest of box": box & ~grown,
            "outside": ~box & ~grown}


def speckle(maps: torch.Tensor) -> torch.Tensor:
    """(N,) how much each map (N, H, W) ≥ 0 jumps from pixel to pixel: the mean absolute
    difference between horizontal and vertical neighbours, over the map's mean. 0 for a constant
    map; about 1 for independent exponential noise, lower for smooth maps."""
    if maps.ndim != 3:
        raise ValueError(f"expected maps (N, H, W), got shape {tuple(maps.shape)}")
    maps = maps.detach().double().cpu()
    jumps = ((maps[:, 1:] - maps[:, :-1]).abs().mean(dim=(1, 2))
             + (maps[:, :, 1:] - maps[:, :, :-1]).abs().mean(dim=(1, 2))) / 2
    return (jumps / maps.mean(dim=(1, 2)).clamp_min(1e-12)).float()


def _area(box: torch.Tensor) -> torch.Tensor:
    return (box[:, 2] - box[:, 0]).clamp_min(0) * (box[:, 3] - box[:, 1]).clamp_min(0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of ``a[i]`` and ``b[i]``: (N,) in [0, 1].

    a, b: (N, 4) boxes ``(top, left, bottom, right)``, bottom and right exclusive.
    """
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 4:
        raise ValueError(f"expected two (N, 4) boxes (top, left, bottom, right), got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    a, b = a.double(), b.double()
    height = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp_min(0)
    width = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp_min(0)
    inter = height * width
    union = _area(a) + _area(b) - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-12), torch.zeros_like(union)).float()


def frechet_distance(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray, *,
                     weights: torch.Tensor | np.ndarray | None = None) -> float:
    """The Fréchet distance between two sets of feature vectors, each seen as a Gaussian:
    ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½).

    a (N, D), b (M, D), N, M ≥ 2. weights : (N,) ≥ 0, how much each row of ``a`` counts in its
    mean and covariance (NumPy's reliability weights: equal weights are the same as none, a
    zero weight leaves the row out); default, all equal. 0 for two sets with the same mean and
    covariance; the FID of the literature is this distance in the features of one particular
    Inception network, so a value computed in other features is not comparable with published
    FIDs.
    """
    from scipy import linalg

    a, b = (np.asarray(torch.as_tensor(x).double().cpu()) for x in (a, b))
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"expected two sets of at least 2 feature vectors of the same size, got "
                         f"shapes {a.shape} and {b.shape}")
    if weights is not None:
        weights = np.asarray(torch.as_tensor(weights).double().cpu())
        if weights.shape != (len(a),) or (weights < 0).any() or (weights > 0).sum() < 2:
            raise ValueError(f"expected {len(a)} weights ≥ 0, at least 2 of them positive, got "
                             f"shape {weights.shape}")
    mean_a, mean_b = np.average(a, axis=0, weights=weights), b.mean(0)
    # A feature that is always 0 (a dead ReLU) makes a covariance singular, and its square root
    # unstable: a tiny ridge keeps it defined, far below anything a distance reports.
    ridge = 1e-8 * np.eye(a.shape[1])
    cov_a = np.cov(a, rowvar=False, aweights=weights) + ridge
    cov_b = np.cov(b, rowvar=False) + ridge
    root = np.real(linalg.sqrtm(cov_a @ cov_b))  # rounding leaves tiny imaginary parts
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


class Shares(NamedTuple):
    """Fractions of a table's variance (they sum to 1): explained by its rows, by its columns,
    and left over (what neither explains alone)."""

    rows: float
    columns: float
    residual: float

    @property
    def columns_within_rows(self) -> float:
        """Of the variance left within each row, the share that the columns explain alike in
        every row: columns / (columns + residual), in [0, 1] (0 when nothing is left). In a
        table of digits (rows) by noise vectors (columns), how much of the variation between
        two samples of one digit comes from their noise the same way for every digit."""
        within = self.columns + self.residual
        return self.columns / within if within > 1e-12 else 0.0


def two_way_shares(table: torch.Tensor | np.ndarray) -> Shares:
    """How much of the variance of ``table`` (R, C), R, C ≥ 2, comes from its rows and how much
    from its columns: the sums of squares of a two-way analysis of variance without
    interaction, divided by the total sum of squares. A table whose values depend on the
    column only gives columns = 1; all-equal values give (0, 0, 0)."""
    values = np.asarray(torch.as_tensor(table).double().cpu())
    if values.ndim != 2 or min(values.shape) < 2:
        raise ValueError(f"expected a table (R, C) with R, C ≥ 2, got shape {values.shape}")
    mean = values.mean()
    total = ((values - mean) ** 2).sum()
    if total == 0:
        return Shares(0.0, 0.0, 0.0)
    rows = values.shape[1] * ((values.mean(1) - mean) ** 2).sum() / total
    columns = values.shape[0] * ((values.mean(0) - mean) ** 2).sum() / total
    return Shares(float(rows), float(columns), float(1 - rows - columns))


def _ink_weights(images: torch.Tensor) -> torch.Tensor:
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"expected grey images (N, 1, H, W) in [-1, 1], got shape "
                         f"{tuple(images.shape)}")
    return ((images[:, 0].double() + 1) / 2).clamp(0, 1)  # (N, H, W): 0 background, 1 ink


def ink(images: torch.Tensor) -> torch.Tensor:
    """(N,) the fraction of each image's area covered by ink, for white-on-black images (N, 1,
    H, W) in [-1, 1]: thicker or larger strokes give more."""
    return _ink_weights(images).mean(dim=(1, 2)).float()


def slant(images: torch.Tensor) -> torch.Tensor:
    """(N,) how far each stroke leans, from the image's second moments (N, 1, H, W) in [-1, 1]:
    the horizontal shift per row of the ink's principal direction, −μ₁₁ / μ₀₂ with rows counted
    downwards. 0 for an upright digit, positive when the top leans right (/), negative when it
    leans left; 0 for an empty image."""
    w = _ink_weights(images)
    n, h, width = w.shape
    rows = torch.arange(h, dtype=w.dtype).view(1, h, 1)
    cols = torch.arange(width, dtype=w.dtype).view(1, 1, width)
    mass = w.sum(dim=(1, 2)).clamp_min(1e-12)
    r_mean = (w * rows).sum(dim=(1, 2)) / mass
    c_mean = (w * cols).sum(dim=(1, 2)) / mass
    dr = rows - r_mean.view(n, 1, 1)
    dc = cols - c_mean.view(n, 1, 1)
    mu11 = (w * dr * dc).sum(dim=(1, 2)) / mass
    mu02 = (w * dr * dr).sum(dim=(1, 2)) / mass
    return torch.where(mu02 > 1e-12, -mu11 / mu02.clamp_min(1e-12), 0.0).float()


def against_spread(value: float, spread: Sequence[float], *, lower_is_better: bool) -> str:
    """"better", "worse" or "within seed noise": ``value`` of one run against the same measure
    of the reference setting over several seeds (``spread``, at least 2 values).

    A run counts as better or worse only outside the range that the seeds span: inside it,
    another seed of the reference could have scored the same, and the difference says nothing.
    """
    if len(spread) < 2:
        raise ValueError(f"a spread needs at least 2 seeds, got {len(spread)}")
    low, high = min(spread), max(spread)
    if low <= value <= high:
        return "within seed noise"
    return "better" if (value < low) == lower_is_better else "worse"


def loss_summary(history: dict[str, Sequence[float]], steps: int) -> dict[str, float]:
    """A GAN's loss curves over its first ``steps`` steps (≥ 1), in three numbers.

    history : a run's record, one value per step of "loss_d", "loss_g" and "d_fake"
    (``dlvision.gan.training.Run.history``). Returns ``loss_d_end``, D's mean loss over the
    last tenth (near 0: D wins outright); ``d_fake``, D's mean output on generated images over
    the last tenth; ``swing``, how much G's loss oscillates over the second half: the standard
    deviation of its 25-step moving average around the straight line that fits it best, so that
    a loss that climbs or falls steadily does not count as swinging (a steady run swings
    little).
    """
    if not 1 <= steps <= len(history["loss_d"]):
        raise ValueError(f"steps must be between 1 and the {len(history['loss_d'])} steps "
                         f"recorded, got {steps}")
    tail = slice(steps - max(1, steps // 10), steps)
    g = np.asarray(history["loss_g"][steps // 2:steps])
    window = min(25, len(g))
    smooth = np.convolve(g, np.ones(window) / window, mode="valid")
    if len(smooth) >= 2:  # around its trend: a steady climb or fall is not a swing
        t = np.arange(len(smooth))
        smooth = smooth - np.polyval(np.polyfit(t, smooth, 1), t)
    return {"loss_d_end": float(np.mean(history["loss_d"][tail])),
            "d_fake": float(np.mean(history["d_fake"][tail])), "swing": float(np.std(smooth))}
