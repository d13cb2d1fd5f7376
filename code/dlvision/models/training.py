"""A plain supervised training loop and an accuracy helper, for small in-memory datasets."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from tqdm.auto import tqdm


@torch.inference_mode()
def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """Logits of ``model`` for images (N, C, H, W), in batches, on the model's device.

    Returns (N, num_classes) on the CPU. The model is put in eval mode.
    """
    model.eval()
    device = next(model.parameters()).device
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
    device = next(model.parameters()).device
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
