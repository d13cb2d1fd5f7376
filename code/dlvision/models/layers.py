"""Named cut points of VGG- and SqueezeNet-shaped networks, and cutting a network at one.

A pretrained network is a stack of layers; transfer learning takes the output of one of them as
a description of the image. This module names every layer the way the papers do, so that a
chapter can ask for ``"relu7"`` or ``"pool5"`` instead of ``model.classifier[4]``:

* VGG (torchvision's ``vgg16`` and ``vgg16_bn``, and ``MiniVGG``): ``conv{b}_{i}``, ``bn{b}_{i}``
  (batch-norm variants only), ``relu{b}_{i}``, ``pool{b}`` for the i-th convolution of block b,
  then ``avgpool``, then ``fc6 relu6 drop6 fc7 relu7 drop7 fc8``;
* SqueezeNet (``squeezenet1_1`` and ``MiniSqueezeNet``): ``conv1 [bn1] relu1 pool1``, then
  ``fire2``, ``fire3``, ... with ``pool{k}`` after the k-th layer, then the classifier
  ``drop{k} conv{k} [relu{k}] avgpool{k}`` (``conv10`` in SqueezeNet 1.1).

The names are found by walking ``model.features``, so they hold with and without batch norm and
for the small stand-ins as for the real networks. ``"features"`` is accepted everywhere as an
alias for the last layer of ``model.features`` (``pool5`` for VGG16, ``fire9`` for SqueezeNet).
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
from torch import nn

FEATURES_ALIAS = "features"
GLOBAL_POOLS = ("avg", "max")


def _is_fire(module: nn.Module) -> bool:
    """SqueezeNet's fire module: a squeeze convolution and two parallel expand convolutions."""
    return all(hasattr(module, a) for a in ("squeeze", "expand1x1", "expand3x3"))


def _check_model(model: nn.Module) -> None:
    if not isinstance(getattr(model, "features", None), nn.Sequential) or not isinstance(
        getattr(model, "classifier", None), nn.Sequential
    ):
        raise TypeError(
            f"expected a VGG- or SqueezeNet-shaped network with `features` and `classifier` "
            f"Sequentials, got {type(model).__name__}; use dlvision.models.pretrained('vgg16') "
            "or pretrained('squeezenet1_1')"
        )


def _vgg_stages(model: nn.Module) -> list[tuple[str, nn.Module]]:
    stages, block, conv = [], 1, 0
    for m in model.features:
        if isinstance(m, nn.Conv2d):
            conv += 1
            name = f"conv{block}_{conv}"
        elif isinstance(m, nn.MaxPool2d):
            name = f"pool{block}"
            block, conv = block + 1, 0
        else:  # BatchNorm2d -> bn1_1, ReLU -> relu1_1: named after the convolution they follow
            name = {nn.BatchNorm2d: "bn", nn.ReLU: "relu"}.get(type(m), type(m).__name__.lower())
            name = f"{name}{block}_{conv}"
        stages.append((name, m))
    stages += [("avgpool", model.avgpool), ("flatten", nn.Flatten(1))]
    fc = block - 1  # VGG16 has 5 blocks, so its first fully-connected layer is fc6
    for m in model.classifier:
        if isinstance(m, nn.Linear):
            fc += 1
            name = f"fc{fc}"
        else:
            name = {nn.ReLU: "relu", nn.Dropout: "drop"}.get(type(m), type(m).__name__.lower())
            name = f"{name}{fc}"
        stages.append((name, m))
    return stages


def _squeezenet_stages(model: nn.Module) -> list[tuple[str, nn.Module]]:
    stages, k = [], 0
    for m in model.features:
        if isinstance(m, nn.Conv2d) or _is_fire(m):
            k += 1
            name = f"{'fire' if _is_fire(m) else 'conv'}{k}"
        else:  # pool{k} follows layer k, as maxpool1/4/8 do in the SqueezeNet paper
            name = {nn.BatchNorm2d: "bn", nn.ReLU: "relu", nn.MaxPool2d: "pool"}.get(
                type(m), type(m).__name__.lower()) + str(k)
        stages.append((name, m))
    k += 1  # the classifier is one more layer: conv10 in SqueezeNet 1.1
    for m in model.classifier:
        name = {nn.Dropout: "drop", nn.Conv2d: "conv", nn.ReLU: "relu",
                nn.AdaptiveAvgPool2d: "avgpool"}.get(type(m), type(m).__name__.lower())
        stages.append((f"{name}{k}", m))
    stages.append(("flatten", nn.Flatten(1)))
    return stages


def as_sequential(model: nn.Module) -> nn.Sequential:
    """The network as one ``nn.Sequential`` whose children carry the layer names.

    The layers are ``model``'s own modules (shared, not copied), plus the ``nn.Flatten`` that
    the model's ``forward`` applies between its convolutional and fully-connected parts (named
    ``"flatten"``), so ``as_sequential(model)(x)`` equals ``model(x)``.
    """
    _check_model(model)
    fire = any(_is_fire(m) for m in model.features)
    stages = _squeezenet_stages(model) if fire else _vgg_stages(model)
    names = [n for n, _ in stages]
    if len(set(names)) != len(names):
        raise TypeError(f"could not give the layers of {type(model).__name__} distinct names")
    return nn.Sequential(OrderedDict(stages))


def layer_names(model: nn.Module) -> list[str]:
    """Every cut point of ``model``, from the input to the output (see the module docstring)."""
    return [n for n in as_sequential(model)._modules if n != "flatten"]


def layer_index(model: nn.Module, layer: str) -> int:
    """Position of ``layer`` among the children of ``as_sequential(model)``."""
    return _index_of(as_sequential(model), model, layer)


def _index_of(staged: nn.Sequential, model: nn.Module, layer: str) -> int:
    names = list(staged._modules)
    if layer == FEATURES_ALIAS:
        layer = names[len(model.features) - 1]
    if layer == "flatten" or layer not in names:
        valid = [n for n in names if n != "flatten"]
        raise ValueError(
            f"unknown layer {layer!r} for {type(model).__name__}; valid names are "
            f"{', '.join(valid)} (and {FEATURES_ALIAS!r}, the end of model.features)"
        )
    return names.index(layer)


def truncate(model: nn.Module, layer: str, *, global_pool: str | None = None) -> nn.Sequential:
    """The network cut just after ``layer``: its output is that layer's activation.

    Parameters
    ----------
    model : a VGG- or SqueezeNet-shaped network (``pretrained("vgg16")`` and the like).
    layer : a name from ``layer_names(model)``, e.g. ``"relu7"``, ``"pool5"``, ``"conv5_3"``.
    global_pool : None keeps the activation as it is; ``"avg"`` or ``"max"`` reduces a
        convolutional map (N, C, H, W) to (N, C) by averaging or taking the maximum over the
        positions, which keeps *what* was detected and forgets *where*.

    Returns an ``nn.Sequential`` of named layers that shares its modules and weights with
    ``model`` (nothing is copied: deep-copy ``model`` first to train the result separately).
    For VGG16 at 224×224: ``relu7`` gives (N, 4096), ``pool5`` (N, 512, 7, 7), ``conv5_3``
    (N, 512, 14, 14).
    """
    staged = as_sequential(model)
    end = _index_of(staged, model, layer)
    cut = staged[: end + 1]
    if global_pool is not None:
        if global_pool not in GLOBAL_POOLS:
            raise ValueError(f"global_pool must be one of {GLOBAL_POOLS} or None, "
                             f"got {global_pool!r}")
        if "flatten" in cut._modules:
            raise ValueError(f"{layer!r} already gives one vector per image; global_pool "
                             "applies to convolutional layers")
        pool = nn.AdaptiveAvgPool2d(1) if global_pool == "avg" else nn.AdaptiveMaxPool2d(1)
        cut.add_module(f"global_{global_pool}pool", pool)  # (N, C, H, W) -> (N, C, 1, 1)
        cut.add_module("flatten", nn.Flatten(1))  # -> (N, C)
    return cut


def split(model: nn.Module, layer: str) -> tuple[nn.Sequential, nn.Sequential]:
    """``(bottom, top)`` with ``top(bottom(x)) == model(x)``, cut just after ``layer``.

    Both share their modules with ``model``. ``layer=None`` is not accepted: the bottom of a
    network trained entirely is the identity, which callers express themselves.
    """
    staged = as_sequential(model)
    end = _index_of(staged, model, layer)
    return staged[: end + 1], staged[end + 1 :]


def with_new_head(model: nn.Module, num_classes: int, *, seed: int = 0) -> nn.Sequential:
    """A deep copy of ``model`` as named layers, its last layer replaced by a fresh one.

    The last layer that has weights (``fc8`` of VGG16, ``conv10`` of SqueezeNet) becomes a new
    ``Linear`` or 1×1 ``Conv2d`` with ``num_classes`` outputs, initialized from ``seed``
    without touching the global random state. Every parameter of the copy is trainable; freeze
    what should stay fixed. ``model`` itself is left as it is.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    staged = copy.deepcopy(as_sequential(model))
    name, old = next((n, m) for n, m in reversed(staged._modules.items())
                     if isinstance(m, nn.Linear | nn.Conv2d))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if isinstance(old, nn.Linear):
            new = nn.Linear(old.in_features, num_classes)
        else:
            new = nn.Conv2d(old.in_channels, num_classes, kernel_size=old.kernel_size)
    staged._modules[name] = new.to(old.weight.device)
    for p in staged.parameters():
        p.requires_grad_(True)
    return staged
