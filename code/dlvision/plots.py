"""Figures for the chapters: image grids, heat-map overlays, curves, confusion matrices.

Every function returns a matplotlib ``Figure`` and never calls ``plt.show()``: a notebook
displays the figure it gets, a script saves it. Images are tensors (N, C, H, W) whose values
span ``value_range``: (0, 1) by default, (-1, 1) for a GAN's samples. A network's normalized
inputs are denormalized first, with its ``WeightsInfo.denormalize``: plots know nothing of
any network's statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .metrics import confusion_counts

ValueRange = tuple[float, float]


def _displayable(image: torch.Tensor, value_range: ValueRange) -> np.ndarray:
    """(C, H, W) tensor with values in ``value_range`` -> (H, W) or (H, W, 3) array in [0, 1]
    for ``imshow``; values outside the range are clipped."""
    low, high = value_range
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    image = (image.detach().float().cpu() - low) / (high - low)
    if image.shape[0] == 3 and torch.allclose(image[0], image[1], atol=1e-5) \
            and torch.allclose(image[1], image[2], atol=1e-5):
        image = image[:1]  # a grey image repeated three times: show it with a grey colour map
    array = image.clamp(0, 1).numpy()
    return array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)


def _grid(n: int, ncols: int, size: float, extra_height: float = 0.0):
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + extra_height) * nrows),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes.flat[:n]


def _finish(fig: Figure, title: str | None, image_axes=()) -> Figure:
    """Hide the ticks of the axes that show images, add the title, lay the figure out."""
    for ax in image_axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(images: torch.Tensor, *, titles: Sequence[str] | None = None, ncols: int = 8,
               title: str | None = None, value_range: ValueRange = (0.0, 1.0),
               size: float = 1.6) -> Figure:
    """A grid of images with optional captions.

    images: (N, C, H, W), C = 1 or 3, values in ``value_range`` ((0, 1) for images, (-1, 1)
    for a GAN's samples). titles: N captions. size: inches per image.
    """
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    fig, axes = _grid(len(images), ncols, size, extra_height=0.25 if titles else 0)
    for i, ax in enumerate(axes):
        ax.imshow(_displayable(images[i], value_range), cmap="gray", vmin=0, vmax=1)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return _finish(fig, title, axes)


def fooling_grid(originals: torch.Tensor, fooled: torch.Tensor, *,
                 titles: Sequence[tuple[str, str]] | None = None, amplify: float = 10.0,
                 title: str | None = "Image, fooled image, their difference (grey: no change), "
                 "and the difference ×10", size: float = 1.6) -> Figure:
    """The course's figure of fooling images: per row, the image, the fooled image, their
    difference and the difference × ``amplify``, grey meaning no change.

    originals, fooled: (N, C, H, W) displayable images in [0, 1] (denormalize first). titles: N
    pairs (the true class, the class it is now predicted as), shown over the first two columns.
    """
    if originals.shape != fooled.shape or originals.ndim != 4:
        raise ValueError(f"expected two batches (N, C, H, W) of the same shape, got "
                         f"{tuple(originals.shape)} and {tuple(fooled.shape)}")
    if titles is not None and len(titles) != len(originals):
        raise ValueError(f"got {len(titles)} titles for {len(originals)} images")
    difference = (fooled - originals).detach().cpu()  # in [-1, 1]
    columns = (originals.detach().cpu(), fooled.detach().cpu(), difference / 2 + 0.5,
               (amplify * difference).clamp(-1, 1) / 2 + 0.5)
    images = torch.stack(columns, dim=1).flatten(0, 1)  # row after row: (4N, C, H, W)
    captions = None
    if titles is not None:
        captions = [text for before, after in titles
                    for text in (before, f"→ {after}", "difference", f"difference ×{amplify:g}")]
    return image_grid(images, titles=captions, ncols=4, title=title, size=size)


def heatmap_overlay(images: torch.Tensor, maps: torch.Tensor | Mapping[str, torch.Tensor], *,
                    titles: Sequence[str] | None = None, title: str | None = None,
                    value_range: ValueRange = (0.0, 1.0), alpha: float = 0.6,
                    cmap: str = "hot", size: float = 1.8) -> Figure:
    """Each image above the same image overlaid with its heat maps (saliency maps, say).

    images: (N, C, H, W) with values in ``value_range``. maps: (N, H, W), or name -> (N, H, W)
    for several kinds of map, one row each, named on the left. Maps take any real values; each
    is scaled to its own [min, max] (so compare where a map is high, not how high). alpha:
    opacity of the map over the (greyed) image. Returns a figure of 1 + len(maps) rows.
    """
    rows = {"": maps} if isinstance(maps, torch.Tensor) else dict(maps)
    n = len(images)
    for m in rows.values():
        if images.ndim != 4 or m.ndim != 3 or len(m) != n or m.shape[-2:] != images.shape[-2:]:
            raise ValueError(f"expected images (N, C, H, W) and maps (N, H, W) of the same N, "
                             f"H, W, got {tuple(images.shape)} and {tuple(m.shape)}")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    fig, axes = plt.subplots(1 + len(rows), n, figsize=(size * n, (1 + len(rows)) * size + 0.3),
                             squeeze=False)
    for i in range(n):
        shown = _displayable(images[i], value_range)
        grey = shown if shown.ndim == 2 else shown.mean(axis=2)
        axes[0, i].imshow(shown, cmap="gray", vmin=0, vmax=1)
        if titles is not None:
            axes[0, i].set_title(titles[i], fontsize=9)
        for r, m in enumerate(rows.values(), start=1):
            heat = m[i].detach().float().cpu()
            heat = ((heat - heat.min()) / (heat.max() - heat.min()).clamp_min(1e-12)).numpy()
            axes[r, i].imshow(grey, cmap="gray", vmin=0, vmax=1)
            axes[r, i].imshow(heat, cmap=cmap, vmin=0, vmax=1, alpha=alpha)
    for r, name in enumerate(rows, start=1):
        axes[r, 0].set_ylabel(name, fontsize=9)
    return _finish(fig, title, axes.flat)


def image_boxes(images: torch.Tensor, boxes: Mapping[str, torch.Tensor], *,
                titles: Sequence[str] | None = None, ncols: int = 8, title: str | None = None,
                value_range: ValueRange = (0.0, 1.0), size: float = 1.8) -> Figure:
    """Images with boxes drawn over them, one colour per kind of box, with a legend.

    images: (N, C, H, W) with values in ``value_range``. boxes: name -> (N, 4) boxes
    ``(top, left, bottom, right)`` in pixels, bottom and right exclusive (e.g. "object" and
    "saliency"). titles: N captions.
    """
    for name, b in boxes.items():
        if tuple(b.shape) != (len(images), 4):
            raise ValueError(f"boxes {name!r} have shape {tuple(b.shape)}, expected "
                             f"({len(images)}, 4)")
    fig, axes = _grid(len(images), ncols, size, extra_height=0.25 if titles else 0)
    for i, ax in enumerate(axes):
        ax.imshow(_displayable(images[i], value_range), cmap="gray", vmin=0, vmax=1)
        for k, (name, b) in enumerate(boxes.items()):
            top, left, bottom, right = (float(v) for v in b[i])
            ax.add_patch(plt.Rectangle((left - 0.5, top - 0.5), right - left, bottom - top,
                                       fill=False, linewidth=2, edgecolor=f"C{k + 2}",
                                       label=name if i == 0 else None))
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.legend(loc="lower center", ncols=len(boxes), fontsize=9, frameon=False)
    fig = _finish(fig, title, axes)
    fig.subplots_adjust(bottom=0.12)
    return fig


def activation_grid(image: torch.Tensor, maps: torch.Tensor, *, ncols: int = 8,
                    title: str | None = None, value_range: ValueRange = (0.0, 1.0),
                    size: float = 1.5) -> Figure:
    """An input image followed by activation maps, each scaled to its own range.

    image: (C, H, W) with values in ``value_range``; maps: (K, h, w), e.g. the output of the
    first convolution for that image. Bright is high; each map gets its own colour scale, so
    compare shapes, not brightness.
    """
    if image.ndim != 3 or maps.ndim != 3:
        raise ValueError(f"expected one image (C, H, W) and maps (K, h, w), got "
                         f"{tuple(image.shape)} and {tuple(maps.shape)}")
    fig, axes = _grid(len(maps) + 1, ncols, size, extra_height=0.25)
    axes[0].imshow(_displayable(image, value_range), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("input", fontsize=9)
    for k, ax in enumerate(axes[1:]):
        ax.imshow(maps[k].detach().float().cpu().numpy(), cmap="viridis")
        ax.set_title(f"map {k}", fontsize=9)
    return _finish(fig, title, axes)


def prediction_bars(images: torch.Tensor, predictions: Sequence[Sequence[tuple[str, float]]], *,
                    titles: Sequence[str] | None = None, title: str | None = None,
                    value_range: ValueRange = (0.0, 1.0), size: float = 2.2) -> Figure:
    """Each image above a bar chart of its top classes and their probabilities.

    images: (N, C, H, W) with values in ``value_range``; predictions: for each image,
    (class name, probability) pairs, most probable first, as ``top_k`` returns them.
    """
    n = len(images)
    if len(predictions) != n:
        raise ValueError(f"got predictions for {len(predictions)} images, expected {n}")
    fig, axes = plt.subplots(2, n, figsize=(size * n, 2 * size),
                             gridspec_kw={"height_ratios": [1, 0.9]}, squeeze=False)
    for i in range(n):
        top, bottom = axes[0, i], axes[1, i]
        top.imshow(_displayable(images[i], value_range), cmap="gray", vmin=0, vmax=1)
        top.set_xticks([])
        top.set_yticks([])
        if titles is not None:
            top.set_title(titles[i], fontsize=9)
        names = [name for name, _ in predictions[i]][::-1]
        probs = [p for _, p in predictions[i]][::-1]
        bottom.barh(range(len(probs)), probs, color="tab:blue")
        bottom.set_yticks(range(len(probs)), [s[:18] for s in names], fontsize=8)
        bottom.set_xlim(0, 1)
        bottom.set_xlabel("probability", fontsize=8)
        bottom.tick_params(axis="x", labelsize=8)
    return _finish(fig, title)


def line_plot(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
              title: str, xlabel: str, ylabel: str = "test accuracy",
              baselines: Mapping[str, float] | None = None, percent: bool = True,
              size: tuple[float, float] = (8.5, 3.8)) -> Figure:
    """Curves over ordered categories (layers by depth, numbers of labels...).

    series: name -> one value per x label (None where it does not apply). baselines: name ->
    value drawn as a dashed horizontal line. ``percent`` formats the y axis as percentages of
    values in [0, 1].
    """
    fig, ax = plt.subplots(figsize=size)
    x = np.arange(len(x_labels))
    for name, values in series.items():
        if len(values) != len(x_labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(x_labels)} "
                             "x labels")
        y = np.array([np.nan if v is None else v for v in values], dtype=float)
        ax.plot(x, y, marker="o", label=name)
    for k, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, linestyle="--", color=f"C{len(series) + k}", label=name)
    ax.set_xticks(x, list(x_labels))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if percent:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: hides no point
    fig.tight_layout()
    return fig


def _smoothed(values: Sequence[float], window: int) -> np.ndarray:
    """A moving average over ``window`` values (fewer at the start), NaN kept as gaps."""
    y = np.asarray(values, dtype=float)
    if window <= 1 or len(y) == 0:
        return y
    kernel = np.ones(min(window, len(y)))
    filled = np.nan_to_num(y)
    counts = np.convolve(~np.isnan(y), kernel)[: len(y)]
    with np.errstate(invalid="ignore"):
        averaged = np.convolve(filled, kernel)[: len(y)] / counts
    return np.where(np.isnan(y), np.nan, averaged)


def panels_plot(x: Sequence[float], panels: Mapping[str, Mapping[str, Sequence[float]]], *,
                xlabel: str, title: str | None = None, smooth: int = 1,
                size: tuple[float, float] = (4.2, 3.2)) -> Figure:
    """Side-by-side panels of curves over a numeric x (training steps, a probability...).

    panels: y label of a panel → {curve name → one value per x}. smooth: moving average over
    that many values (1: none), for noisy per-step records such as a GAN's losses.
    """
    if not panels:
        raise ValueError("nothing to plot: give at least one panel")
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]),
                             squeeze=False)
    for ax, (ylabel, curves) in zip(axes[0], panels.items(), strict=True):
        for name, values in curves.items():
            if len(values) != len(x):
                raise ValueError(f"curve {name!r} has {len(values)} values for {len(x)} x values")
            ax.plot(x, _smoothed(values, smooth), label=name)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def steps_plot(curves: Mapping[str, Mapping[int, float]], *, ylabel: str, title: str,
               baselines: Mapping[str, float] | None = None, percent: bool = True,
               size: tuple[float, float] = (7.5, 3.6)) -> Figure:
    """Measures taken at some steps of training, one curve per run.

    curves: run name → {step → value}; runs may be measured at different steps. baselines:
    name → value drawn as a dashed horizontal line (chance, a target). ``percent`` formats the
    y axis as percentages of values in [0, 1].
    """
    if not curves:
        raise ValueError("nothing to plot: give at least one curve")
    fig, ax = plt.subplots(figsize=size)
    for name, values in curves.items():
        steps = sorted(values)
        ax.plot(steps, [values[s] for s in steps], marker="o", label=name)
    for k, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, linestyle="--", color=f"C{len(curves) + k}", label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if percent:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


HISTORY_LABELS = {"loss_d": "D's loss", "loss_g": "G's loss", "d_real": "D(x), real images",
                  "d_fake": "D(G(z)), generated"}


def history_plot(histories: Mapping[str, Mapping[str, Sequence[float]]], *,
                 keys: Sequence[str] = ("loss_d", "loss_g", "d_real", "d_fake"),
                 labels: Mapping[str, str] | None = None, smooth: int = 25,
                 title: str | None = None) -> Figure:
    """A GAN's training records: one panel per key, one curve per run.

    histories: run name → its history (key → one value per step; runs may differ in length).
    labels: key → the panel's y label. smooth: moving average over that many steps.
    """
    labels = {**HISTORY_LABELS, **(labels or {})}
    longest = max((len(h[keys[0]]) for h in histories.values()), default=0)
    x = np.arange(1, longest + 1)
    panels = {labels.get(k, k): {name: list(h[k]) + [float("nan")] * (longest - len(h[k]))
                                 for name, h in histories.items()} for k in keys}
    return panels_plot(x, panels, xlabel="step", title=title, smooth=smooth)


def history_multiples(histories: Mapping[str, Mapping[str, Sequence[float]]],
                      reference: Mapping[str, Sequence[float]], *,
                      keys: Sequence[str] = ("loss_d", "loss_g"), reference_name: str = "default",
                      ncols: int = 4, smooth: int = 25, title: str | None = None,
                      size: tuple[float, float] = (3.0, 2.2)) -> Figure:
    """Small multiples of GAN training records: one panel per run, each beside the reference.

    histories: run name → its history (key → one value per step). reference: the history
    drawn in grey in every panel, over the same steps as the run (the default run, say). keys:
    the records drawn, in colour (solid: the run; grey, same style: the reference). All panels
    share their y axis, so that a larger loss looks larger.
    """
    if not histories:
        raise ValueError("nothing to plot: give at least one run")
    nrows = -(-len(histories) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False, sharex=True, sharey=True)
    styles = ["-", "--", ":", "-."]
    for ax, (name, history) in zip(axes.flat, histories.items(), strict=False):
        n = len(history[keys[0]])
        x = np.arange(1, n + 1)
        for k, key in enumerate(keys):
            ax.plot(x, _smoothed(list(reference[key])[:n], smooth), color="0.6",
                    linestyle=styles[k % 4], linewidth=1)
            ax.plot(x, _smoothed(history[key], smooth), color=f"C{k}", linestyle=styles[k % 4],
                    linewidth=1.2, label=key)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(histories):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=f"C{k}", linestyle=styles[k % 4]) for k in
               range(len(keys))] + [plt.Line2D([], [], color="0.6")]
    fig.legend(handles, [*(HISTORY_LABELS.get(k, k) for k in keys), reference_name],
               loc="lower center", ncol=len(keys) + 1,
               fontsize=9, bbox_to_anchor=(0.5, -0.02))
    for ax in axes[-1]:
        ax.set_xlabel("step")
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def confusion_matrix(targets: Sequence[int], predictions: Sequence[int],
                     classes: Sequence[str], *, title: str, size: float | None = None,
                     xlabel: str = "predicted class", ylabel: str = "true class") -> Figure:
    """The confusion matrix, rows normalized: cell (i, j) is the share of class i predicted j.

    Counts are written in the cells; the diagonal holds each class's recall. ``xlabel`` and
    ``ylabel`` name the axes (a conditional GAN's: the digit read, the digit asked for).
    """
    k = len(classes)
    counts = confusion_counts(targets, predictions, k)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    side = size or max(3.5, 0.45 * k + 1.5)
    fig, ax = plt.subplots(figsize=(side + 0.8, side))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fontsize = 9 if k <= 10 else 6
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=fontsize,
                        color="white" if shares[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), classes, rotation=45 if k > 5 else 0, ha="right" if k > 5 else "center",
                  fontsize=fontsize + 1)
    ax.set_yticks(range(k), classes, fontsize=fontsize + 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the row")
    fig.tight_layout()
    return fig


def scatter_2d(points: np.ndarray, labels: Sequence[int], classes: Sequence[str], *,
               title: str, ax=None):
    """Points (N, 2) coloured by class, on ``ax`` or a new figure; returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    labels = np.asarray(labels)
    for c, name in enumerate(classes):
        chosen = labels == c
        ax.scatter(points[chosen, 0], points[chosen, 1], s=8, alpha=0.7, label=name)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
