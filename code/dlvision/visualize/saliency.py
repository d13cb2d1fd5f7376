"""Saliency maps (Simonyan et al., 2014): which pixels the class score is most sensitive to.

``saliency_map`` is the course's definition: the gradient of the correct class's score (before
the softmax) with respect to the input image, in absolute value, maximum over the channels.
Beside it, two common refinements (SmoothGrad; gradient × input) and what measures them: a
sanity check against the same network with random weights (Adebayo et al., 2018) and the box
that a thresholded map draws around the object.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..metrics import bounding_boxes
from .common import check_labels, evaluating, on_model


def score_gradient(model: nn.Module, X: torch.Tensor, y) -> torch.Tensor:
    """∂ score_{y_i}(X_i) / ∂X_i for each image: (N, C, H, W), on X's device.

    model: a classifier giving scores (N, K) before the softmax. X: (N, C, H, W) in its input
    space. y: (N,) class indices (or one int for all). One backward pass for the batch: in eval
    mode the images do not interact, so the gradient of the summed scores is each image's own.
    The model's parameters get no gradient and X is left as it was.
    """
    device = X.device
    X = on_model(X, model)
    with evaluating(model), torch.enable_grad():
        x = X.clone().requires_grad_(True)
        scores = model(x)
        # Checked against the scores of this pass: no extra forward pass to count classes.
        y = check_labels(y, len(X), scores.shape[1]).to(scores.device)
        (gradient,) = torch.autograd.grad(scores.gather(1, y[:, None]).sum(), x)
    return gradient.to(device)


def saliency_map(model: nn.Module, X: torch.Tensor, y) -> torch.Tensor:
    """The course's saliency map: |∂ score_y / ∂x|, maximum over the channels.

    X: (N, C, H, W) in the network's input space; y: (N,) the classes to explain (the correct
    ones in the course). Returns (N, H, W), ≥ 0, on X's device.
    """
    return score_gradient(model, X, y).abs().amax(dim=1)


def gradient_times_input(model: nn.Module, X: torch.Tensor, y) -> torch.Tensor:
    """|Σ_c gradient × input|, the channels summed before the absolute value: (N, H, W), ≥ 0.

    The gradient says how much a pixel *could* change the score; multiplying by the pixel says
    how much it *does* (to first order, from a black image in the network's input space).
    """
    return (score_gradient(model, X, y) * X.detach()).sum(dim=1).abs()


def smoothgrad(model: nn.Module, X: torch.Tensor, y, *, n_samples: int = 25,
               noise: float = 0.15, seed: int = 0) -> torch.Tensor:
    """SmoothGrad (Smilkov et al., 2017): the saliency map averaged over noisy copies of X.

    noise: the noise's standard deviation, as a fraction of each image's value range (the
    paper's 10-20 %). n_samples: noisy copies per image. The noise is drawn from ``seed``
    without touching the global random state. Returns (N, H, W), ≥ 0.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    generator = torch.Generator().manual_seed(seed)
    spread = (X.detach().flatten(1).amax(1) - X.detach().flatten(1).amin(1)).view(-1, 1, 1, 1)
    total = torch.zeros(X.shape[0], *X.shape[2:], device=X.device)
    for _ in range(n_samples):
        eps = torch.randn(X.shape, generator=generator).to(X.device) * noise * spread
        total += saliency_map(model, X + eps, y)
    return total / n_samples


def randomized_copy(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A deep copy of ``model`` with every layer's weights drawn again (the model is untouched).

    The "model randomization test" of Adebayo et al. (2018): a saliency method that explains
    the network must give different maps once the learned weights are gone. Each module's own
    ``reset_parameters`` draws the new weights (PyTorch's default initialization), from
    ``seed``; batch-norm statistics are reset too.
    """
    clone = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in clone.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
            if hasattr(module, "reset_running_stats"):
                module.reset_running_stats()
    return clone


def saliency_box(maps: torch.Tensor, *, quantile: float = 0.9) -> torch.Tensor:
    """The box around the most salient pixels of each map: (N, 4) int64 ``(top, left, bottom,
    right)``, bottom and right exclusive.

    maps: (N, H, W). The pixels above the map's ``quantile`` (the top 10 % by default) are kept,
    then the smallest box holding the rows and columns where they fall. A crude localization
    (Simonyan et al. refine it with GraphCut), but one that can be scored against a true box.
    """
    if maps.ndim != 3:
        raise ValueError(f"expected maps (N, H, W), got shape {tuple(maps.shape)}")
    if not 0 <= quantile < 1:
        raise ValueError(f"quantile must be in [0, 1), got {quantile}")
    maps = maps.detach().float().cpu()
    threshold = torch.quantile(maps.flatten(1), quantile, dim=1).view(-1, 1, 1)
    # A sparse map (most pixels exactly 0) has its quantile at its minimum: ``>=`` alone would
    # keep every pixel and box the whole image. Its minimum is then not salient, unless the map
    # is constant (no pixel stands out, the box is the whole image).
    lowest = maps.flatten(1).amin(dim=1).view(-1, 1, 1)
    constant = maps.flatten(1).amax(dim=1).view(-1, 1, 1) == lowest
    return bounding_boxes((maps >= threshold) & ((maps > lowest) | constant))
