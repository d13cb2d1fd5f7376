"""Exercise 0, getting started: the three tensor manipulations the course relies on.

- ``normalize``: ImageNet normalization of a batch, the input every pretrained network expects
  (reference: ``dlvision.data.normalize``).
- ``gray-to-rgb``: one grey channel repeated three times, how 15 Scene's grey photographs enter
  VGG16 (reference: ``dlvision.data.to_rgb``).
- ``parameters-per-layer``: a network's parameter count, layer by layer, the table of Part 1's
  first question (reference: ``dlvision.models.parameters_per_layer``).

Each reference is refused to the answers while they are checked (``Question.refuses``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from ...data.transforms import normalize, to_rgb
from ...models.mini import MiniVGG
from ...models.summary import count_parameters, parameters_per_layer
from ...models.zoo import freeze
from ..compare import compare_counts, compare_tensors
from ..question import Case, Feedback, Part, Question


def _normalize_cases() -> list[Case]:
    g = torch.Generator().manual_seed(0)
    batches = [((2, 3, 4, 5), torch.float32),
               ((1, 3, 3, 3), torch.float32),  # one image, and H = W = 3 = C: a mix-up runs
               ((5, 3, 7, 2), torch.float32),
               # The docstring promises the input's dtype: statistics made with torch.tensor's
               # default float32 turn half precision into float32 (float64 would stay float64).
               ((2, 3, 3, 4), torch.float16),
               ((2, 3, 2, 3), torch.float64)]
    return [Case(f"a batch of {s[0]} random image{'s' if s[0] > 1 else ''}, shape {s}, "
                 f"{str(dtype).removeprefix('torch.')} in [0, 1]",
                 (torch.rand(s, generator=g).to(dtype),)) for s, dtype in batches]


def _half_tolerant(expected: torch.Tensor, got: Any) -> str | None:
    # Half precision keeps about 3 decimal digits: computing in float32 and rounding back,
    # or in another order, moves a value by a unit in the last place (2e-3 near 2.6).
    tolerance = 4e-3 if expected.dtype == torch.float16 else 1e-5
    return compare_tensors(expected, got, atol=tolerance, rtol=tolerance)


NORMALIZE = Question(
    id="normalize",
    name="imagenet_normalize",
    points=2,
    title="ImageNet normalization of a batch (N, 3, H, W)",
    cases=_normalize_cases,
    reference=normalize,
    compare_with=_half_tolerant,
    hint="subtract IMAGENET_MEAN and divide by IMAGENET_STD, channel by channel; shaped "
         "(1, 3, 1, 1), they broadcast over (N, 3, H, W). Make them with the input's dtype, "
         "torch.tensor(IMAGENET_MEAN, dtype=images.dtype), so that a float16 or float64 batch "
         "keeps its dtype.",
    refuses=(normalize,),
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


GRAY_TO_RGB = Question(
    id="gray-to-rgb",
    name="gray_to_rgb",
    points=1,
    title="A grey batch (N, 1, H, W) as RGB (N, 3, H, W)",
    cases=_gray_cases,
    reference=to_rgb,
    tolerance=0,
    hint="copy the single channel (axis 1) three times, keeping N, H, W and the dtype; a batch "
         "that already has 3 channels comes back as it is.",
    refuses=(to_rgb,),
)


class ScaledBlock(nn.Module):
    """A convolution and a batch norm, then a learned scale per channel: a module with
    children that also holds a parameter of its own (``scale``, 4 values)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.BatchNorm2d(4)
        self.scale = nn.Parameter(torch.ones(4, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.norm(self.conv(x))


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
        scaled = nn.Sequential(OrderedDict(
            block=ScaledBlock(), pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(),
            head=nn.Linear(4, 2)))
    return [
        Case("nn.Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(8, 16, 3, bias=False), Flatten(), "
             "Linear(64, 10)) whose first convolution is frozen", (plain,)),
        Case("a network with `features` (convolution, batch norm, ReLU, pooling) and "
             "`classifier` (flatten, linear, ReLU, dropout, linear) blocks", (blocks,)),
        Case("a small MiniVGG (13 convolutions with batch norm, 3 linear layers) whose "
             "convolutional part is frozen", (vgg,)),
        Case("nn.Sequential(block=ScaledBlock(), pool, flatten, head=Linear(4, 2)), where "
             "ScaledBlock holds a Conv2d(3, 4, 3) and a BatchNorm2d(4) as children and a "
             "parameter of its own, `scale` (4 values)", (scaled,)),
    ]


def _own_parameters_missed(expected: dict[str, int], got: Any, model: nn.Module
                           ) -> Feedback | None:
    """A container with parameters of its own left out: only the leaves were counted."""
    modules = dict(model.named_modules())
    for name in expected.keys() - got.keys() if isinstance(got, dict) else ():
        if next(modules[name].children(), None) is not None:  # a container with its own
            own = [n for n, _ in modules[name].named_parameters(recurse=False)]
            return Feedback(f"`{name}` has children and also parameters of its own "
                            f"({', '.join(own)}: {expected[name]} values)", "count the own "
                            "parameters of every module, module.parameters(recurse=False), not "
                            "of the leaves only")
    return None


PARAMETERS_PER_LAYER = Question(
    id="parameters-per-layer",
    name="parameters_per_layer",
    points=2,
    title="Parameters per layer of a network, as a dict name → count",
    cases=_parameter_cases,
    reference=parameters_per_layer,
    compare_with=compare_counts,
    mistakes=(_own_parameters_missed,),
    hint="walk model.named_modules() and count the elements (numel) of each module's own "
         "parameters, module.parameters(recurse=False): weights, biases and any other, frozen "
         "or not, but not buffers. A module with children can hold parameters of its own too: "
         "do not keep the leaves only; leave out the modules that hold none.",
    refuses=(parameters_per_layer, count_parameters),
)

PART = Part(
    id="0-getting-started",
    title="Getting started",
    questions=(NORMALIZE, GRAY_TO_RGB, PARAMETERS_PER_LAYER),
)
