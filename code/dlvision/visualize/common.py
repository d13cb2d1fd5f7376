"""What every method of Part 2 needs: checked inputs, a network borrowed in eval mode, the
conversion between the network's input space and pixels of the displayed image."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from ..models.training import device_of
from ..models.weights import WeightsInfo


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode for the block, then each module back in the mode it was in.

    In train mode, batch norm would use (and update) the batch's statistics and dropout would
    change the scores between two gradient steps: looking inside a network must not do either.
    """
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def check_images(X: torch.Tensor) -> torch.Tensor:
    """X as a float batch (N, C, H, W); an unbatched image is a ``ValueError`` saying what to do."""
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"expected a tensor of images (N, C, H, W), got {type(X).__name__}")
    if X.ndim == 3:
        raise ValueError(f"expected a batch of images (N, C, H, W), got one image of shape "
                         f"{tuple(X.shape)}: pass X[None] (or X.unsqueeze(0)) for a batch of one")
    if X.ndim != 4:
        raise ValueError(f"expected a batch of images (N, C, H, W), got shape {tuple(X.shape)}")
    return X.detach() if X.is_floating_point() else X.detach().float()


def on_model(X: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """X checked (``check_images``), on the model's device and in its floating-point type:
    float32 for the course's networks, float64 for a network converted with ``.double()``."""
    parameter = next(model.parameters(), None)
    dtype = parameter.dtype if parameter is not None and parameter.is_floating_point() \
        else torch.float32
    return check_images(X).to(device_of(model), dtype)


def check_labels(y: torch.Tensor | int | list[int], n: int, n_classes: int,
                 what: str = "labels") -> torch.Tensor:
    """y as (n,) int64 class indices in [0, n_classes); an int is repeated n times."""
    y = torch.as_tensor(y)
    if y.ndim == 0:
        y = y.expand(n)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"expected {n} {what} (one per image), got shape {tuple(y.shape)}")
    if y.is_floating_point():
        raise TypeError(f"{what} must be integer class indices, got {y.dtype}")
    y = y.long()
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"{what} must be class indices in [0, {n_classes}) for this network, "
                         f"got values from {int(y.min())} to {int(y.max())}")
    return y


def prepare(model: nn.Module, X: torch.Tensor, y, what: str = "labels"
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """X on the model's device and y checked against the network's number of classes."""
    X = on_model(X, model)
    with torch.no_grad(), evaluating(model):
        n_classes = model(X[:1]).shape[1]
    return X, check_labels(y, len(X), n_classes, what).to(X.device)


def info_of(model: nn.Module, info: WeightsInfo | None = None) -> WeightsInfo:
    """The network's ``WeightsInfo`` (mean, std, classes): given, or the ``weights_info``
    attribute that ``dlvision.models.pretrained`` sets."""
    info = info if info is not None else getattr(model, "weights_info", None)
    if info is None:
        raise ValueError("this network has no weights_info: pass info=weights_info(name) "
                         "(dlvision.models.weights_info) to say how its inputs are normalized")
    return info


def pixel_scale(info: WeightsInfo, device: torch.device | str | None = None) -> torch.Tensor:
    """(1, 3, 1, 1): one unit of the network's input, in 0-255 pixel units, per channel."""
    return torch.tensor(info.std, device=device).view(1, -1, 1, 1) * 255


def perturbation_size(X: torch.Tensor, X_adv: torch.Tensor, info: WeightsInfo
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(l2, linf)``, each (N,): the size of ``X_adv - X`` in pixel units (0-255) of the
    displayed images. X, X_adv: (N, 3, H, W) in the network's input space."""
    delta = (X_adv - X).detach() * pixel_scale(info, X.device)
    return delta.flatten(1).norm(dim=1).cpu(), delta.flatten(1).abs().amax(dim=1).cpu()
