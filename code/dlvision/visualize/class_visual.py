"""Class visualization (Simonyan et al., 2014; Yosinski et al., 2015): the image a network
finds most typical of a class, found by gradient ascent on the image.

From noise (or a real image), repeat: jitter the image by a random translation; take a step
x ← x + η ∇L / ‖∇L‖₂ on L = score_target(x) − λ‖x‖²; undo the jitter; clamp to valid images;
blur now and then. The score alone would be maximized by high-frequency patterns no photograph
contains; the L2 penalty, the jitter and the blur are the priors that keep the image
image-like. ``class_visualization_step`` is one step, ``class_visualization`` the whole loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..models.training import device_of
from ..models.weights import WeightsInfo
from .common import check_labels, evaluating, info_of

REFERENCE_SIZE = 224  # the course's sizes (jitter up to 16 pixels) are for 224×224 inputs


def jitter(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """x (N, C, H, W) rolled by dy rows and dx columns (what leaves one side enters the other);
    ``jitter(jitter(x, dy, dx), -dy, -dx)`` is x."""
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """x (N, C, H, W) blurred by a Gaussian of standard deviation ``sigma`` pixels, channel by
    channel (two 1-D passes, reflected borders); same shape."""
    if sigma <= 0:
        return x
    radius = max(1, round(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    rows = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    cols = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), rows, groups=channels)
    return F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), cols, groups=channels)


def class_visualization_step(model: nn.Module, x: torch.Tensor, target: int, *,
                             l2_reg: float = 1e-3, lr: float = 5.0) -> torch.Tensor:
    """One step of gradient ascent on L = score_target(x) − l2_reg ‖x‖²: x + lr ∇L / ‖∇L‖₂.

    x: (1, 3, H, W) in the network's input space (not modified). Returns the new image, same
    shape, not clamped (the loop clamps after undoing the jitter). The model is used in eval
    mode and its parameters get no gradient.
    """
    with evaluating(model), torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        objective = model(x)[0, target] - l2_reg * x.pow(2).sum()
        (gradient,) = torch.autograd.grad(objective, x)
    return x.detach() + lr * gradient / gradient.norm().clamp_min(1e-12)


@dataclass(frozen=True)
class ClassVisualization:
    """The result of ``class_visualization``.

    image : (3, H, W) in the network's input space (``info.denormalize`` it to show it).
    target : the class index.
    probability : the network's softmax probability of the target for ``image``.
    steps : the iterations after which ``history`` was kept, the last one included.
    history : (len(steps), 3, H, W) the image after each of ``steps``.
    scores : (num_iterations,) the target's score before each step.
    probabilities : (num_iterations + 1,) the target's softmax probability after 0, 1, ...,
        num_iterations steps (the last is ``probability``).
    """

    image: torch.Tensor
    target: int
    probability: float
    steps: tuple[int, ...]
    history: torch.Tensor
    scores: torch.Tensor
    probabilities: torch.Tensor

    def steps_to(self, probability: float) -> int | None:
        """The steps after which the target's probability first reached ``probability`` (0:
        the start already did); None if it never did within the run."""
        reached = (self.probabilities >= probability).nonzero().flatten()
        return int(reached[0]) if len(reached) else None


def scaled_jitter(max_jitter: int, size: int) -> int:
    """``max_jitter`` pixels of a 224-pixel image, in pixels of a ``size``-pixel one (at least
    1): 16 stays 16 at 224 and becomes 2 at 32."""
    return max(1, round(max_jitter * size / REFERENCE_SIZE))


def class_visualization(model: nn.Module, target: int, *, l2_reg: float = 1e-3, lr: float = 5.0,
                        num_iterations: int = 200, blur_every: int = 10, blur_sigma: float = 0.5,
                        max_jitter: int = 16, init_img: torch.Tensor | None = None,
                        keep: int = 5, seed: int = 0, info: WeightsInfo | None = None,
                        progress: bool = True) -> ClassVisualization:
    """Gradient ascent from noise (or ``init_img``) on the score of class ``target``.

    Parameters (the course's defaults)
    ----------------------------------
    l2_reg : λ, weight of the penalty λ‖x‖² on the image (in the network's input space).
    lr : η, length of each step (the gradient is normalized).
    num_iterations : steps of gradient ascent.
    blur_every, blur_sigma : a Gaussian blur of ``blur_sigma`` pixels every ``blur_every`` steps
        (0 for none).
    max_jitter : largest random translation, in pixels of a 224×224 image; scaled to the
        network's input size (``scaled_jitter``: 16 at 224, 2 at 32), since a 16-pixel jitter
        would move a 32-pixel image by half its width. The blur stays in pixels.
    init_img : (1, 3, H, W) or (3, H, W) start in the network's input space; default: Gaussian
        noise of standard deviation 1 (the spread of normalized images).
    keep : how many images to keep in ``history`` (at most ``num_iterations``), evenly spread
        over the run (5 of 200 steps: every 40th, each just after a blur).
    seed : draws the noise and the jitter, without touching the global random state.
    info : the network's input format (default: ``model.weights_info``).

    Returns a ``ClassVisualization``. The model is left as it was.
    """
    info = info_of(model, info)
    if num_iterations < 1:
        raise ValueError(f"num_iterations must be at least 1, got {num_iterations}")
    target = int(check_labels(target, 1, len(info.classes), what="target")[0])
    device = device_of(model)
    generator = torch.Generator().manual_seed(seed)
    size = info.input_size
    if init_img is None:
        x = torch.randn(1, 3, size, size, generator=generator)
    else:
        x = init_img.detach().float().clone()
        x = x[None] if x.ndim == 3 else x
        if x.ndim != 4 or x.shape[0] != 1 or x.shape[1] != 3:
            raise ValueError(f"init_img must be one image (3, H, W) or (1, 3, H, W), got "
                             f"{tuple(init_img.shape)}")
    x = x.to(device)
    jitter_max = scaled_jitter(max_jitter, x.shape[-1]) if max_jitter > 0 else 0
    # Steps 1..num_iterations only: with keep > num_iterations, round() would also give 0,
    # a step that is never taken (``steps`` and ``history`` would then differ in length).
    kept = sorted({max(1, round(i * num_iterations / keep)) for i in range(1, keep + 1)}
                  ) if keep > 0 else []
    history, scores, probabilities = [], [], []
    with evaluating(model):
        for t in tqdm(range(1, num_iterations + 1), desc=f"class {info.classes[target]}",
                      disable=not progress):
            dy, dx = (torch.randint(-jitter_max, jitter_max + 1, (2,), generator=generator)
                      .tolist() if jitter_max else (0, 0))
            with torch.no_grad():
                logits = model(x)[0]
            scores.append(float(logits[target]))
            probabilities.append(float(logits.softmax(0)[target]))
            x = jitter(class_visualization_step(model, jitter(x, dy, dx), target,
                                                l2_reg=l2_reg, lr=lr), -dy, -dx)
            x = info.clamp(x)
            if blur_every and t % blur_every == 0:
                x = gaussian_blur(x, blur_sigma)
            if t in kept:
                history.append(x[0].cpu())
        with torch.no_grad():
            probability = float(model(x).softmax(1)[0, target])
    return ClassVisualization(x[0].cpu(), target, probability, tuple(kept),
                              torch.stack(history) if history else torch.empty(0),
                              torch.tensor(scores), torch.tensor([*probabilities, probability]))
