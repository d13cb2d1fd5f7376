"""Image preprocessing shared by every loader: channel repetition and ImageNet normalization.

Both profiles feed the pretrained networks the same way: RGB images with values in [0, 1],
normalized with the ImageNet statistics the weights were trained with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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


def preprocess(
    image,
    *,
    size: int = 224,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> torch.Tensor:
    """An image as a pretrained network expects it: (3, size, size) float32, normalized.

    image: a PIL image (greyscale or colour), a NumPy array (H, W) or (H, W, C) of uint8 in
    [0, 255] or floats in [0, 1], or a tensor (H, W), (1, H, W) or (3, H, W) in [0, 1].
    The image is resized to ``size``×``size`` (bilinear, aspect ratio not kept, as the course
    does), a grey image has its channel repeated three times, and ``mean`` and ``std`` (the
    ImageNet statistics by default) are applied. ``WeightsInfo.preprocess`` calls it with a
    network's own size and statistics.
    """
    if isinstance(image, Image.Image):
        img = image.convert("L") if image.mode in ("L", "I", "I;16", "1") else image.convert("RGB")
        x = TF.to_tensor(img.resize((size, size), Image.BILINEAR))  # (1 or 3, size, size)
        return normalize(to_rgb(x), mean, std)
    if isinstance(image, np.ndarray):
        x = torch.from_numpy(image)
        x = x.float() / 255 if image.dtype == np.uint8 else x.float()
        x = x.permute(2, 0, 1) if x.ndim == 3 else x  # (H, W, C) -> (C, H, W)
    elif isinstance(image, torch.Tensor):
        x = image.float()
    else:
        raise TypeError(f"expected a PIL image, a NumPy array or a tensor, got "
                        f"{type(image).__name__}")
    if x.ndim == 2:
        x = x[None]  # (H, W) -> (1, H, W)
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        raise ValueError(f"expected a grey (H, W) or (1, H, W) image or an RGB (3, H, W) one, "
                         f"got shape {tuple(image.shape)}; one image at a time")
    x = TF.resize(x, [size, size], antialias=True).clamp(0, 1)
    return normalize(to_rgb(x), mean, std)


def load_image(
    path,
    *,
    size: int = 224,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> torch.Tensor:
    """Read an image file as a network input: ``preprocess`` of its pixels, (3, size, size).

    Greyscale files become three identical channels; the image is resized (not cropped) to
    ``size``×``size``, as the course does for 15 Scene.
    """
    with Image.open(path) as img:
        return preprocess(img, size=size, mean=mean, std=std)
