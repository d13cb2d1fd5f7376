"""Image preprocessing shared by every loader: channel repetition and ImageNet normalization.

Both profiles feed the pretrained networks the same way: RGB images with values in [0, 1],
normalized with the ImageNet statistics the weights were trained with.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from PIL import Image
from torchvision.transforms import functional as TF

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _channel_view(stats: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    """Statistics shaped (C, 1, 1) to broadcast over (..., C, H, W)."""
    return torch.as_tensor(stats, dtype=like.dtype, device=like.device).view(-1, 1, 1)


def _check_images(x: torch.Tensor, name: str = "images") -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"expected {name} of shape (C, H, W) or (N, C, H, W), got {tuple(x.shape)}"
        )


def to_rgb(x: torch.Tensor) -> torch.Tensor:
    """Repeat a single grey channel three times; RGB input is returned unchanged.

    x: (1, H, W) or (N, 1, H, W), or already 3 channels. Returns (3, H, W) or (N, 3, H, W).
    The three copies are identical, so the network sees the grey image as a colourless photo.
    """
    _check_images(x)
    channels = x.shape[-3]
    if channels == 3:
        return x
    if channels != 1:
        raise ValueError(f"expected 1 or 3 channels, got {channels} (shape {tuple(x.shape)})")
    return x.expand(*x.shape[:-3], 3, *x.shape[-2:]).contiguous()


def normalize(
    x: torch.Tensor,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> torch.Tensor:
    """(x - mean) / std per channel.

    x: (3, H, W) or (N, 3, H, W) with values in [0, 1]. Returns the same shape, roughly zero
    mean and unit variance per channel on ImageNet photographs.
    """
    _check_images(x)
    if x.shape[-3] != len(mean):
        raise ValueError(
            f"expected {len(mean)} channels, got {x.shape[-3]}; repeat a grey channel with "
            "to_rgb(x) first"
        )
    return (x - _channel_view(mean, x)) / _channel_view(std, x)


def denormalize(
    x: torch.Tensor,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> torch.Tensor:
    """Undo ``normalize`` and clip to [0, 1], for display. Same shapes as ``normalize``."""
    _check_images(x)
    return (x * _channel_view(std, x) + _channel_view(mean, x)).clamp(0, 1)


def load_image(path, *, size: int = 224) -> torch.Tensor:
    """Read an image file as a network input: (3, size, size) float32, ImageNet-normalized.

    Greyscale files become three identical channels; the image is resized (not cropped) to
    ``size``×``size``, as the course does for 15 Scene.
    """
    with Image.open(path) as img:
        img = img.convert("L") if img.mode in ("L", "I", "I;16", "1") else img.convert("RGB")
        img = img.resize((size, size), Image.BILINEAR)
        x = TF.to_tensor(img)  # (1 or 3, size, size) in [0, 1]
    return normalize(to_rgb(x))
