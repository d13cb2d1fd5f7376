"""Pretrained networks by name: ImageNet weights in full, trained stand-ins in mini.

``pretrained("vgg16")`` gives torchvision's VGG16 with its ImageNet weights in the full profile
and ``MiniVGG`` trained on translated digits 0-4 in the mini profile; ``"squeezenet1_1"`` likewise
gives SqueezeNet 1.1 or ``MiniSqueezeNet``. A stand-in is trained at first use (well under a
minute on two CPU cores), saved under the profile's cache folder, and read back afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..cache import cache_key, load_or_build, source_fingerprint
from ..data.digits import DIGIT_NAMES, retranslate
from ..data.download import DataNotFoundError
from ..data.imagenet import MINI_CLASSES, mini_source
from ..data.transforms import IMAGENET_MEAN, IMAGENET_STD, normalize, to_rgb
from ..profile import Profile, current
from .mini import MiniSqueezeNet, MiniVGG
from .training import accuracy, fit_classifier
from .weights import WeightsInfo

MODEL_NAMES = ("vgg16", "squeezenet1_1")
# The code that decides a stand-in's weights: the mini data, the architectures and the
# training recipe. Editing it trains the stand-ins again (deterministic: the same code gives
# the same weights, so results keyed by the weights survive an edit that changes nothing).
_STANDIN_CODE = ("dlvision.data.digits", "dlvision.data.imagenet", "dlvision.data.transforms",
                 "dlvision.models.mini", "dlvision.models.training", __name__)


@dataclass(frozen=True)
class StandIn:
    """How the mini profile builds and trains the stand-in of one pretrained network."""

    architecture: type[nn.Module]
    train: dict[str, Any] = field(default_factory=dict)

    def key(self, name: str) -> str:
        """Hash of everything that determines the trained weights."""
        return cache_key({"name": name, "arch": self.architecture.__name__, "train": self.train,
                          "classes": MINI_CLASSES, "code": source_fingerprint(*_STANDIN_CODE)},
                         length=12)


STANDINS = {
    "vgg16": StandIn(MiniVGG, {"epochs": 25, "lr": 1e-3, "batch_size": 64, "seed": 0}),
    "squeezenet1_1": StandIn(MiniSqueezeNet, {"epochs": 25, "lr": 2e-3, "batch_size": 64,
                                              "seed": 0}),
}


def _check_name(name: str) -> str:
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    return name


def _imagenet_weights(name: str):
    from torchvision import models

    return {"vgg16": models.VGG16_Weights.IMAGENET1K_V1,
            "squeezenet1_1": models.SqueezeNet1_1_Weights.IMAGENET1K_V1}[name]


def weights_info(name: str, *, profile: str | Profile | None = None) -> WeightsInfo:
    """The classes and input format of ``pretrained(name)``, without loading the network.

    Full: read from torchvision's ``IMAGENET1K_V1`` weights (ImageNet's 1,000 categories, their
    224×224 crop and ImageNet statistics). Mini: the stand-in's five digit classes, 32×32, and
    the same ImageNet statistics (the stand-ins were trained on images normalized with them).
    """
    _check_name(name)
    prof = current(profile)
    if prof.is_mini:
        return WeightsInfo(name, tuple(DIGIT_NAMES[c] for c in MINI_CLASSES), prof.image_size,
                           IMAGENET_MEAN, IMAGENET_STD)
    weights = _imagenet_weights(name)
    preprocessing = weights.transforms()
    return WeightsInfo(name, tuple(weights.meta["categories"]), preprocessing.crop_size[0],
                       tuple(preprocessing.mean), tuple(preprocessing.std))


def class_names(name: str, *, profile: str | Profile | None = None) -> list[str]:
    """The names of the classes the network predicts, in the order of its outputs.

    Full: ImageNet's 1,000 categories from the weights' metadata. Mini: "zero" ... "four".
    """
    return list(weights_info(name, profile=profile).classes)


def freeze(model: nn.Module) -> nn.Module:
    """Eval mode and no parameter gradients: the network is used, not trained."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def weights_path(name: str, *, profile: str | Profile | None = None) -> Path:
    """Where the weights of ``name`` live (or will) for the given profile."""
    _check_name(name)
    prof = current(profile)
    if prof.is_mini:
        return prof.cache_dir / "models" / f"mini-{name}-{STANDINS[name].key(name)}.pt"
    url = _imagenet_weights(name).url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def _load_imagenet(name: str, progress: bool) -> nn.Module:
    from torchvision import models

    weights = _imagenet_weights(name)
    try:
        return getattr(models, name)(weights=weights, progress=progress)
    except (OSError, RuntimeError) as err:  # URLError is an OSError
        raise DataNotFoundError(
            f"the ImageNet weights of {name} could not be loaded ({err}). Download "
            f"{weights.url} and save it as {weights_path(name, profile='full')} "
            "(the folder is $TORCH_HOME/hub/checkpoints)."
        ) from err


def train_standin(name: str, *, progress: bool = True) -> tuple[nn.Module, dict[str, Any]]:
    """Train the mini stand-in of ``name`` on translated digits 0-4, on the CPU.

    Each epoch moves every digit to a new random position. Returns the model (eval mode) and a
    record with its held-out accuracy and training time.
    """
    standin = STANDINS[_check_name(name)]
    train, test = mini_source("train", normalized=False), mini_source("test")
    # The initial weights come from the recipe's seed, not from whatever the global generator
    # holds at first use, so that every build trains the same stand-in.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(standin.train.get("seed", 0))
        model = standin.architecture(num_classes=len(MINI_CLASSES))
    start = time.perf_counter()
    fit_classifier(model, train.images, train.targets,
                   augment=lambda x, g: normalize(to_rgb(retranslate(x, generator=g))),
                   progress=progress, desc=f"training the mini {name}", **standin.train)
    seconds = time.perf_counter() - start
    record = {"name": name, "key": standin.key(name), "train_seconds": seconds,
              "test_accuracy": accuracy(model, test.images, test.targets),
              "n_train": len(train), "n_test": len(test)}
    return model, record


def standin_record(name: str, *, progress: bool = True) -> dict[str, Any]:
    """The mini stand-in's training record: held-out accuracy on digits 0-4, seconds, sizes.

    Trains the stand-in first if it is not cached yet.
    """
    _check_name(name)
    return _load_standin(name, current("mini"), progress)[1]


def _load_standin(name: str, prof: Profile, progress: bool) -> tuple[nn.Module, dict[str, Any]]:
    """The cached stand-in and its record; trains and caches it when the cache is missing."""
    model = STANDINS[name].architecture(num_classes=len(MINI_CLASSES))

    def build() -> dict[str, Any]:
        trained, record = train_standin(name, progress=progress)
        return {"state_dict": trained.state_dict(), "record": record}

    saved, _ = load_or_build(weights_path(name, profile=prof), build,
                             validate=lambda saved: model.load_state_dict(saved["state_dict"]),
                             what=f"cache of the mini {name}")
    model.load_state_dict(saved["state_dict"])
    return model, saved["record"]


def untrained(
    name: str, *, num_classes: int, profile: str | Profile | None = None, seed: int = 0
) -> nn.Module:
    """The architecture of ``pretrained(name)`` with fresh random weights, in train mode.

    Full: torchvision's network built with ``weights=None``; mini: its stand-in. The last
    layer has ``num_classes`` outputs. The weights are drawn from ``seed`` without touching
    the global random state. Used to train the same network from scratch, for comparison.
    """
    _check_name(name)
    prof = current(profile)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if prof.is_mini:
            model = STANDINS[name].architecture(num_classes=num_classes)
        else:
            from torchvision import models

            model = getattr(models, name)(weights=None, num_classes=num_classes)
    return model.to(prof.device)


def pretrained(
    name: str, *, profile: str | Profile | None = None, progress: bool = True
) -> nn.Module:
    """A pretrained network in eval mode, frozen, on the profile's device.

    Parameters
    ----------
    name : "vgg16" or "squeezenet1_1".
    profile : "mini", "full" or None for the active profile.
    progress : show download or training progress.

    Full: torchvision's network with ``IMAGENET1K_V1`` weights, input (N, 3, 224, 224),
    output (N, 1000) logits. Mini: its stand-in, input (N, 3, 32, 32), output (N, 5) logits.
    Inputs are ImageNet-normalized in both profiles. The network's ``weights_info`` attribute
    (a ``WeightsInfo``) holds its class names, input size and normalization.
    """
    _check_name(name)
    prof = current(profile)
    if prof.is_mini:
        model = _load_standin(name, prof, progress)[0]
    else:
        model = _load_imagenet(name, progress)
    model.weights_info = weights_info(name, profile=prof)
    return freeze(model).to(prof.device)
