"""Where a network's parameters are: a count per layer, and a table of shapes.

Part 1 asks how VGG16's 138 million parameters are spread over its layers; the answer is a
table built from ``parameter_table`` (named layers) or ``parameters_per_layer`` (module names).
Both count with ``count_parameters``.
"""

from __future__ import annotations

from torch import nn

from .layers import as_sequential


def count_parameters(module: nn.Module, *, recurse: bool = True) -> int:
    """Number of scalars in ``module``'s parameter tensors, weights and biases, trainable or
    frozen alike; with ``recurse=False`` only its own, not its children's. Buffers (batch
    normalization's running statistics) are not parameters and are not counted."""
    return sum(p.numel() for p in module.parameters(recurse=recurse))


def parameters_per_layer(model: nn.Module) -> dict[str, int]:
    """Number of parameters held by each layer of ``model``, keyed by the layer's name.

    A *layer* is a module that holds parameters itself, not only through its children: a
    ``Conv2d``, a ``Linear``, a ``BatchNorm2d``... Its name is the one ``model.named_modules()``
    gives (``"features.0"``, ``"classifier.6"``). Its count is the number of scalars in its own
    parameter tensors, weights and biases, trainable or frozen alike. Buffers such as batch
    normalization's running statistics are not parameters and are not counted. Layers without
    parameters (ReLU, pooling, dropout) and containers (``Sequential``) are left out.

    Returns a dict in the order of ``named_modules()``: layer name → number of parameters.
    The values sum to ``count_parameters(model)`` when no parameter is shared.
    """
    counts = {}
    for name, module in model.named_modules():
        own = count_parameters(module, recurse=False)  # this module's tensors, not its children's
        if own:
            counts[name] = own
    return counts


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return "fc"
    if isinstance(module, nn.Conv2d):
        return "conv"
    return "batch norm" if isinstance(module, nn.BatchNorm2d) else "fire"


def parameter_table(model: nn.Module) -> list[dict]:
    """One row per named layer that has parameters: its name, weight and bias shapes, and count.

    Layers are named as ``layer_names`` names them (``"conv1_1"``, ``"fc6"``, ``"fire2"``).
    Rows are dicts with keys ``layer``, ``kind`` ("conv", "fc", "batch norm" or "fire"),
    ``weight`` (shape tuple), ``bias`` (shape tuple or None) and ``parameters`` (int, weights
    and biases). Works on a model built on the ``meta`` device, which has shapes but no memory.
    """
    rows = []
    for name, m in as_sequential(model).named_children():
        count = count_parameters(m)
        if not count:
            continue
        weight = getattr(m, "weight", None)
        bias = getattr(m, "bias", None)
        rows.append({"layer": name, "kind": _kind(m),
                     "weight": tuple(weight.shape) if weight is not None else None,
                     "bias": tuple(bias.shape) if bias is not None else None,
                     "parameters": count})
    return rows
