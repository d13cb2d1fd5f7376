"""Exercise 0, getting started: the three tensor manipulations the course relies on.

- ``normalize``: ImageNet normalization of a batch, the input every pretrained network expects
  (reference: ``dlvision.data.normalize``).
- ``gray-to-rgb``: one grey channel repeated three times, how 15 Scene's grey photographs enter
  VGG16 (reference: ``dlvision.data.to_rgb``).
- ``parameters-per-layer``: a network's parameter count, layer by layer, the table of Part 1's
  first question (reference: ``dlvision.models.parameters_per_layer``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from ...data.transforms import normalize, to_rgb
from ...models.mini import MiniVGG
from ...models.summary import parameters_per_layer
from ...models.zoo import freeze
from ..compare import compare_counts, compare_tensors
from ..question import Case, Part, Question


def _normalize_cases() -> list[Case]:
    g = torch.Generator().manual_seed(0)
    shapes = [(2, 3, 4, 5),
              (1, 3, 3, 3),  # one image, and H = W = 3 = C: a channel mix-up still runs
              (5, 3, 7, 2)]
    return [Case(f"a batch of {s[0]} random image{'s' if s[0] > 1 else ''}, shape {s}, "
                 "float32 in [0, 1]", (torch.rand(s, generator=g),)) for s in shapes]


def _judge_normalize(case: Case, got: Any) -> str | None:
    (images,) = case.args
    return compare_tensors(normalize(images), got, atol=1e-5, rtol=1e-5)


NORMALIZE = Question(
    id="normalize",
    name="imagenet_normalize",
    points=2,
    title="ImageNet normalization of a batch (N, 3, H, W)",
    cases=_normalize_cases,
    judge=_judge_normalize,
    hint="subtract IMAGENET_MEAN and divide by IMAGENET_STD, channel by channel; shaped "
         "(1, 3, 1, 1), they broadcast over (N, 3, H, W).",
)


def _gray_cases() -> list[Case]:
    g = torch.Generator().manual_seed(1)
    return [
        Case("a batch of 2 grey images, shape (2, 1, 4, 5), float32 in [0, 1]",
             (torch.rand(2, 1, 4, 5, generator=g),)),
        Case("a batch of 1 grey image, shape (1, 1, 3, 3), float32 in [0, 1]",
             (torch.rand(1, 1, 3, 3, generator=g),)),
        Case("a batch of 3 grey images, shape (3, 1, 2, 6), uint8 in [0, 255]",
             (torch.randint(0, 256, (3, 1, 2, 6), generator=g, dtype=torch.uint8),)),
        Case("a batch of 2 colour images, shape (2, 3, 4, 4), already RGB",
             (torch.rand(2, 3, 4, 4, generator=g),)),
    ]


def _judge_gray(case: Case, got: Any) -> str | None:
    (images,) = case.args
    return compare_tensors(to_rgb(images), got, atol=0, rtol=0)


GRAY_TO_RGB = Question(
    id="gray-to-rgb",
    name="gray_to_rgb",
    points=1,
    title="A grey batch (N, 1, H, W) as RGB (N, 3, H, W)",
    cases=_gray_cases,
    judge=_judge_gray,
    hint="copy the single channel (axis 1) three times, keeping N, H, W and the dtype; a batch "
         "that already has 3 channels comes back as it is.",
)


def _parameter_cases() -> list[Case]:
    # Building a layer draws its initial weights from the global generator: seed a private copy.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        plain = nn.Sequential(
            nn.Conv2d(3, 8, 3), nn.ReLU(),
            nn.Conv2d(8, 16, 3, bias=False), nn.Flatten(),
            nn.Linear(16 * 2 * 2, 10),
        )
        freeze(plain[0])
        blocks = nn.Sequential(OrderedDict(
            features=nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                   nn.MaxPool2d(2)),
            classifier=nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.ReLU(),
                                     nn.Dropout(), nn.Linear(16, 3)),
        ))
        vgg = MiniVGG(num_classes=5, widths=(4, 4, 8, 8, 8), hidden=16)
        freeze(vgg.features)
    return [
        Case("nn.Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(8, 16, 3, bias=False), Flatten(), "
             "Linear(64, 10)) whose first convolution is frozen", (plain,)),
        Case("a network with `features` (convolution, batch norm, ReLU, pooling) and "
             "`classifier` (flatten, linear, ReLU, dropout, linear) blocks", (blocks,)),
        Case("a small MiniVGG (13 convolutions with batch norm, 3 linear layers) whose "
             "convolutional part is frozen", (vgg,)),
    ]


def _judge_parameters(case: Case, got: Any) -> str | None:
    (model,) = case.args
    return compare_counts(parameters_per_layer(model), got)


PARAMETERS_PER_LAYER = Question(
    id="parameters-per-layer",
    name="parameters_per_layer",
    points=2,
    title="Parameters per layer of a network, as a dict name → count",
    cases=_parameter_cases,
    judge=_judge_parameters,
    hint="walk model.named_modules() and count the elements (numel) of each module's own "
         "parameters, module.parameters(recurse=False): weights and biases, frozen or not, but "
         "not buffers; leave out modules that hold none.",
)

PART = Part(
    id="0-getting-started",
    title="Getting started",
    questions=(NORMALIZE, GRAY_TO_RGB, PARAMETERS_PER_LAYER),
)
