"""What a pretrained network's weights expect of an image and say of their outputs.

torchvision's ``weights=`` enums carry their preprocessing and class names; ``WeightsInfo`` does
the same for both profiles, so that no chapter retypes normalization constants. Every caller
goes through it (or the functions of ``dlvision.data.transforms`` it calls): loaders, feature
extraction, chapters, and methods that must normalize, clamp and denormalize at each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..data import transforms


@dataclass(frozen=True)
class WeightsInfo:
    """A pretrained network's classes and input format.

    name : "vgg16" or "squeezenet1_1".
    classes : the class names, in the order of the network's outputs.
    input_size : side of the square images it takes (224 full, 32 mini).
    mean, std : per-channel statistics of its normalization (ImageNet's in both profiles).
    """

    name: str
    classes: tuple[str, ...]
    input_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """(x - mean) / std: x (3, H, W) or (N, 3, H, W) in [0, 1] → the network's input."""
        return transforms.normalize(x, self.mean, self.std)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Undo ``normalize`` and clip to [0, 1], for display; same shapes."""
        return transforms.denormalize(x, self.mean, self.std)

    def clamp(self, x: torch.Tensor) -> torch.Tensor:
        """Clip a normalized image to the images that exist: those whose pixels, denormalized,
        lie in [0, 1]. x: (3, H, W) or (N, 3, H, W); same shape back."""
        low = transforms.normalize(torch.zeros_like(x), self.mean, self.std)
        high = transforms.normalize(torch.ones_like(x), self.mean, self.std)
        return torch.maximum(torch.minimum(x, high), low)

    def preprocess(self, image) -> torch.Tensor:
        """A PIL image, array or tensor as this network's input (3, input_size, input_size);
        see ``dlvision.data.transforms.preprocess``."""
        return transforms.preprocess(image, size=self.input_size, mean=self.mean, std=self.std)

    def load_image(self, path: str | Path) -> torch.Tensor:
        """An image file as this network's input (3, input_size, input_size)."""
        return transforms.load_image(path, size=self.input_size, mean=self.mean, std=self.std)
