"""Training and using classifiers on small in-memory datasets: a plain supervised loop, its
options, predictions, accuracy and top-k classes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn
from tqdm.auto import tqdm


def device_of(module: nn.Module) -> torch.device:
    """Where ``module``'s parameters (else its buffers) are; the CPU for a module with neither."""
    tensor = next(module.parameters(), None)
    if tensor is None:
        tensor = next(module.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")


@dataclass(frozen=True)
class TrainConfig:
    """How to train a classifier with Adam and cross-entropy.

    steps : about how many optimizer steps (rounded up to whole epochs of the training set).
    batch_size : images per step.
    lr : Adam's learning rate (decayed to zero along a cosine).
    weight_decay : L2 penalty on the weights, as Adam's ``weight_decay``.
    seed : shuffling, dropout and any fresh layer draw from generators seeded by it.
    """

    steps: int = 300
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be positive, got steps={self.steps}, "
                             f"batch_size={self.batch_size}")

    def with_(self, **changes) -> TrainConfig:
        """A copy with some fields changed: ``FINE_TUNING.with_(lr=1e-3)``."""
        return replace(self, **changes)

    def epochs_for(self, n: int) -> int:
        """Epochs that make about ``steps`` optimizer steps on ``n`` training images."""
        return max(1, math.ceil(self.steps / math.ceil(n / self.batch_size)))


@torch.inference_mode()
def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """Logits of ``model`` for images (N, C, H, W), in batches, on the model's device.

    Returns (N, num_classes) on the CPU. The model is put in eval mode.
    """
    model.eval()
    device = device_of(model)
    outputs = [model(images[i : i + batch_size].to(device)).cpu()
               for i in range(0, len(images), batch_size)]
    return torch.cat(outputs)


def accuracy(model: nn.Module, images: torch.Tensor, targets: torch.Tensor, **kwargs) -> float:
    """Share of images whose highest logit is the target, in [0, 1]."""
    return (predict(model, images, **kwargs).argmax(1) == targets).float().mean().item()


def fit_classifier(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int = 25,
    lr: float = 1e-3,
    weight_decay: float = 5e-4,
    batch_size: int = 64,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    seed: int = 0,
    progress: bool = True,
    desc: str = "train",
) -> list[float]:
    """Train ``model`` with Adam, a cosine learning-rate decay and cross-entropy on in-memory
    images; return the mean loss of each epoch.

    images: (N, C, H, W) on any device, moved batch by batch to the model's device.
    targets: (N,) int64. augment: called once per epoch as ``augment(images, generator)`` and
    must return new images of the same shape (e.g. fresh translations).

    Only the parameters that require a gradient are updated. The global random state is left
    untouched: shuffling, dropout and augmentation draw from generators seeded by ``seed``.
    """
    device = device_of(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameter; unfreeze the layers to train")
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    # Cosine decay to zero: the last epochs take small steps, so the final weights do not depend
    # on where the last large step happened to land.
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    # Dropout draws from the global generators: fork them so the caller's state is unchanged.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        bar = tqdm(range(epochs), desc=desc, disable=not progress)
        for _ in bar:
            model.train()
            epoch_images = augment(images, generator) if augment is not None else images
            order = torch.randperm(len(images), generator=generator)
            total = 0.0
            for i in range(0, len(order), batch_size):
                idx = order[i : i + batch_size]
                x, y = epoch_images[idx].to(device), targets[idx].to(device)
                loss = nn.functional.cross_entropy(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
            schedule.step()
            losses.append(total / len(images))
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    model.eval()
    return losses


@torch.inference_mode()
def top_k(model: nn.Module, images: torch.Tensor, classes: Sequence[str], *,
          k: int = 5) -> list[list[tuple[str, float]]]:
    """The ``k`` most probable classes of each image, with their softmax probabilities.

    images: (N, 3, H, W) normalized as the network expects. Returns N lists of ``k``
    ``(class name, probability)`` pairs, most probable first; probabilities in [0, 1].
    """
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, 3, H, W), got {tuple(images.shape)}; "
                         "add a batch dimension with x.unsqueeze(0)")
    if not 1 <= k <= len(classes):
        raise ValueError(f"k must be between 1 and the number of classes ({len(classes)}), "
                         f"got {k}")
    probs = predict(model, images).softmax(dim=1)  # (N, num_classes)
    values, indices = probs.topk(k, dim=1)
    return [[(classes[i], float(p)) for p, i in zip(vs.tolist(), ix.tolist(), strict=True)]
            for vs, ix in zip(values, indices, strict=True)]
