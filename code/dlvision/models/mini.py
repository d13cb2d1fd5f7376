"""The mini profile's stand-ins for VGG16 and SqueezeNet 1.1, sized for 3×32×32 inputs.

They keep the attribute names of torchvision's networks (``features``, ``avgpool``,
``classifier``) and the same order of layers, so that code that cuts VGG16 after ``relu7`` or
reads SqueezeNet's fire modules runs unchanged on them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

VGG16_BLOCKS = (2, 2, 3, 3, 3)  # convolutions per block, as in VGG16


class MiniVGG(nn.Module):
    """VGG16's layout at 32×32: 13 conv3×3 layers in 5 blocks, each ended by a 2×2 max pool,
    then fc6-relu6-dropout-fc7-relu7-dropout-fc8.

    Unlike VGG16 it uses batch normalization after each convolution, which lets it train from
    scratch in seconds. Input (N, 3, 32, 32) ImageNet-normalized → logits (N, num_classes).
    """

    def __init__(
        self,
        num_classes: int = 5,
        *,
        widths: Sequence[int] = (16, 32, 64, 64, 64),
        hidden: int = 128,
        dropout: float = 0.5,
    ):
        super().__init__()
        if len(widths) != len(VGG16_BLOCKS):
            raise ValueError(
                f"widths needs one entry per block ({len(VGG16_BLOCKS)}), got {widths}"
            )
        layers: list[nn.Module] = []
        in_channels = 3
        for width, n_convs in zip(widths, VGG16_BLOCKS, strict=True):
            for _ in range(n_convs):
                layers += [nn.Conv2d(in_channels, width, 3, padding=1),
                           nn.BatchNorm2d(width), nn.ReLU()]
                in_channels = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)  # (N, 3, 32, 32) -> (N, widths[-1], 1, 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(in_channels, hidden), nn.ReLU(), nn.Dropout(dropout),  # fc6, relu6
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),  # fc7, relu7
            nn.Linear(hidden, num_classes),  # fc8
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class Fire(nn.Module):
    """SqueezeNet's fire module: a 1×1 "squeeze" convolution to few channels, then 1×1 and 3×3
    "expand" convolutions side by side, concatenated. Batch normalization follows each stage,
    which torchvision's SqueezeNet does not have, so that the stand-in trains reliably.

    (N, in_channels, H, W) → (N, expand1x1 + expand3x3, H, W).
    """

    def __init__(self, in_channels: int, squeeze: int, expand1x1: int, expand3x3: int):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(in_channels, squeeze, 1), nn.BatchNorm2d(squeeze),
                                     nn.ReLU())
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)
        self.expand = nn.Sequential(nn.BatchNorm2d(expand1x1 + expand3x3), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze(x)
        return self.expand(torch.cat([self.expand1x1(x), self.expand3x3(x)], dim=1))


class MiniSqueezeNet(nn.Module):
    """SqueezeNet 1.1's layout at 32×32: a stem convolution, then fire modules (1×1 squeeze,
    parallel 1×1 and 3×3 expand) between max pools, and a 1×1 convolution classifier averaged
    over space: no fully-connected layer at all.

    Built differently from ``MiniVGG`` on purpose, so the two stand-ins can be compared as
    VGG16 and SqueezeNet are. Input (N, 3, 32, 32) → logits (N, num_classes).
    """

    def __init__(self, num_classes: int = 5, *, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),  # 16×16
            Fire(32, 8, 32, 32), Fire(64, 8, 32, 32),
            nn.MaxPool2d(2),  # 8×8
            Fire(64, 16, 48, 48), Fire(96, 16, 48, 48),
            nn.MaxPool2d(2),  # 4×4
            Fire(96, 24, 64, 64), Fire(128, 24, 64, 64),
        )
        # SqueezeNet 1.1 puts a ReLU after the last convolution; trained from scratch in a few
        # epochs, a class whose scores all turn negative there stops learning for good, so the
        # stand-in leaves it out.
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Conv2d(128, num_classes, 1), nn.AdaptiveAvgPool2d(1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)
