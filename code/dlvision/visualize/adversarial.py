"""Adversarial images: small changes to an image that change what a network sees.

``fooling_image`` is the course's construction (Szegedy et al., 2014, as in CS231n): from an
image, step along the normalized gradient of the target class's score until the network
predicts the target. ``fgsm`` (Goodfellow et al., 2015) and ``pgd`` (Madry et al., 2018) are
the standard attacks with a budget: every pixel may move by at most ε, in 0-255 pixel units of
the displayed image. Every function returns an ``Attack``: the images and what it took.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..models.weights import WeightsInfo
from .common import evaluating, info_of, perturbation_size, pixel_scale, prepare
from .saliency import score_gradient


@dataclass(frozen=True)
class Attack:
    """Adversarial images and what they cost, one entry per image.

    images : (N, 3, H, W) in the network's input space, valid images (pixels in [0, 1] once
        denormalized).
    predictions : (N,) what the network predicts for them.
    success : (N,) bool: predicted as the target (targeted), or no longer as the true class.
    steps : (N,) gradient steps taken (0 when the image already was what was asked).
    l2, linf : (N,) size of the change in pixel units (0-255) of the displayed image: the
        Euclidean norm over all pixels and channels, and the largest change of one value.
    """

    images: torch.Tensor
    predictions: torch.Tensor
    success: torch.Tensor
    steps: torch.Tensor
    l2: torch.Tensor
    linf: torch.Tensor

    @property
    def success_rate(self) -> float:
        return float(self.success.float().mean())

    def __len__(self) -> int:
        return len(self.images)


def _attack(model: nn.Module, X: torch.Tensor, X_adv: torch.Tensor, info: WeightsInfo,
            steps: torch.Tensor, *, y: torch.Tensor | None, target: torch.Tensor | None
            ) -> Attack:
    with torch.no_grad(), evaluating(model):
        predictions = model(X_adv).argmax(1)
    success = predictions == target if target is not None else predictions != y
    l2, linf = perturbation_size(X, X_adv, info)
    return Attack(X_adv.detach().cpu(), predictions.cpu(), success.cpu(), steps.cpu(), l2, linf)


def fooling_step(model: nn.Module, X: torch.Tensor, target, *, lr: float = 1.0
                 ) -> torch.Tensor:
    """One step of the course's rule for every image: x + η g / ‖g‖₂, g = ∂ score_target / ∂x.

    X: (N, 3, H, W) in the network's input space; target: one class index, or (N,). lr: η, the
    L2 length of the step in the input space (each image's gradient is normalized by its own
    norm). Returns a new tensor, not clamped to valid images (``fooling_image`` clamps). The
    model and X are left as they were.
    """
    gradient = score_gradient(model, X, target)  # (N, 3, H, W)
    norms = gradient.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
    return X.detach() + lr * gradient / norms


def fooling_image(model: nn.Module, X: torch.Tensor, target, *, lr: float = 1.0,
                  max_iter: int = 100, info: WeightsInfo | None = None,
                  progress: bool = False) -> Attack:
    """The course's fooling images: x ← x + η g / ‖g‖₂, g = ∂ score_target / ∂x, until the
    network predicts ``target``.

    X: (N, 3, H, W) in the network's input space; target: one class index, or (N,). lr: η, the
    length of each step in the input space. max_iter: steps before giving up on an image (its
    ``success`` is then False). Each step is clamped to valid images (pixels in [0, 1]), so the
    image that fools the network is one that can be saved and shown. All images are attacked
    together, each stopping as soon as it is predicted as the target. ``info``: the network's
    normalization (default: ``model.weights_info``). The model and X are left as they were.
    """
    info = info_of(model, info)
    X, target = prepare(model, X, target, what="targets")
    X_adv, steps = X.clone(), torch.zeros(len(X), dtype=torch.int64, device=X.device)
    active = torch.ones(len(X), dtype=torch.bool, device=X.device)
    with evaluating(model), tqdm(total=max_iter, desc="fooling images", disable=not progress) \
            as bar:
        for step in range(max_iter + 1):
            idx = active.nonzero().flatten()
            if len(idx) == 0:
                break
            with torch.enable_grad():
                x = X_adv[idx].requires_grad_(True)
                scores = model(x)
                done = scores.argmax(1) == target[idx]
                active[idx[done]] = False
                if step == max_iter or done.all():
                    continue
                chosen = scores.gather(1, target[idx, None])[~done].sum()
                (gradient,) = torch.autograd.grad(chosen, x)
            moving = idx[~done]
            g = gradient[~done]
            g = g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
            X_adv[moving] = info.clamp(X_adv[moving] + lr * g)
            steps[moving] += 1
            bar.update(1)
    return _attack(model, X, X_adv, info, steps, y=None, target=target)


def _loss_gradient(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        loss = F.cross_entropy(model(x), labels, reduction="sum")
        (gradient,) = torch.autograd.grad(loss, x)
    return gradient


def fgsm(model: nn.Module, X: torch.Tensor, y, *, epsilon: float, target=None,
         info: WeightsInfo | None = None) -> Attack:
    """The fast gradient sign method: one step of ε on every pixel, along the sign of the
    gradient of the loss.

    X: (N, 3, H, W) in the network's input space; y: (N,) true classes. epsilon: the change of
    every pixel value, in 0-255 units (8 is the usual L∞ budget on CIFAR-10; ImageNet
    work often uses 4 or 16). Untargeted by
    default (raise the loss of y; success when the prediction is no longer y); with
    ``target`` (an int or (N,)), lower the loss of the target instead (success when predicted as
    the target). Returns an ``Attack`` (steps = 1).
    """
    return pgd(model, X, y, epsilon=epsilon, alpha=epsilon, steps=1, target=target, info=info)


def pgd(model: nn.Module, X: torch.Tensor, y, *, epsilon: float, alpha: float | None = None,
        steps: int = 10, target=None, info: WeightsInfo | None = None) -> Attack:
    """Projected gradient descent: ``steps`` FGSM steps of ``alpha``, each followed by a
    projection back into the ε-ball around X (every pixel within ε of its value, in 0-255
    units) and into the valid images.

    It starts from X itself, without Madry et al.'s random start inside the ball, so it is
    deterministic. alpha defaults to 2.5 ε / steps (Madry et al.). Same arguments and result
    as ``fgsm``, which is its one-step case with alpha = ε; PGD can find adversarial images
    that FGSM misses at the same ε.
    """
    if epsilon < 0 or steps < 1:
        raise ValueError(f"expected epsilon ≥ 0 and steps ≥ 1, got {epsilon} and {steps}")
    info = info_of(model, info)
    X, y = prepare(model, X, y)
    goal = None if target is None else prepare(model, X, target, what="targets")[1]
    alpha = 2.5 * epsilon / steps if alpha is None else alpha
    scale = pixel_scale(info, X.device)  # input-space units per pixel unit, per channel
    eps, step = epsilon / scale, alpha / scale
    X_adv = X.clone()
    with evaluating(model):
        for _ in range(steps):
            if goal is None:  # away from the true class
                X_adv = X_adv + step * _loss_gradient(model, X_adv, y).sign()
            else:  # towards the target
                X_adv = X_adv - step * _loss_gradient(model, X_adv, goal).sign()
            X_adv = info.clamp(torch.maximum(torch.minimum(X_adv, X + eps), X - eps))
    return _attack(model, X, X_adv, info, torch.full((len(X),), steps, device=X.device),
                   y=y, target=goal)
