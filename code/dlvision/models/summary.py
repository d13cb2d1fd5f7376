"""Where a network's parameters are: a count per layer, and a table of shapes.

Part 1 asks how VGG16's 138 million parameters are spread over its layers; the answer is a
table built from ``parameter_table`` (named layers) or ``parameters_per_layer`` (module names).
Both count with ``count_parameters``.
"""

from __future__ import annotations

import torch
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


def _describe(module: nn.Module) -> str:
    """A short reading of a layer's settings: "100 → 128, 4×4, stride 1" for a convolution."""
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = "×".join(str(k) for k in module.kernel_size)
        stride = "×".join(str(s) for s in dict.fromkeys(module.stride))  # 2, not 2×2
        return f"{module.in_channels} → {module.out_channels}, {kernel}, stride {stride}"
    if isinstance(module, nn.Linear):
        return f"{module.in_features} → {module.out_features}"
    if isinstance(module, nn.modules.batchnorm._NormBase):
        return str(module.num_features)
    if isinstance(module, nn.LeakyReLU):
        return f"slope {module.negative_slope:g}"
    # Whether an activation overwrites its input says nothing about the network: left out.
    settings = [part for part in module.extra_repr().split(", ")
                if part and not part.startswith("inplace=")]
    return ", ".join(settings)


def layer_table(model: nn.Module, *example: torch.Tensor) -> list[dict]:
    """One row per layer of any network, in the order ``named_modules()`` gives them: a table
    that fits a page where ``print(model)``'s long lines do not.

    A *layer* is a module without children (a convolution, a batch norm, an activation). Rows
    are dicts with keys ``layer`` (its name, ``"main.0"``), ``kind`` (its class,
    ``"ConvTranspose2d"``), ``settings`` (channels, kernel and stride, features, slope...) and
    ``parameters`` (its own weights and biases). Given ``example`` inputs (a batch of one is
    enough), the network runs once on them in evaluation mode, without gradients, and each row
    also has ``output``: the shape of the layer's output without the batch dimension (a tuple,
    or None for a layer the forward pass did not reach). The examples are moved to the device
    of the network's parameters.
    """
    layers = [(name, m) for name, m in model.named_modules() if not any(m.children())]
    outputs: dict[str, tuple] = {}
    if example:
        def record(name):
            def hook(_module, _inputs, output):
                outputs[name] = tuple(output.shape[1:])
            return hook

        handles = [m.register_forward_hook(record(name)) for name, m in layers]
        was_training = model.training
        try:
            model.eval()  # batch norm on a batch of one: use the running statistics
            # The examples go where the network is (a GPU in the full profile).
            device = next(model.parameters(), torch.empty(0)).device
            with torch.no_grad():
                model(*(x.to(device) for x in example))
        finally:
            model.train(was_training)
            for handle in handles:
                handle.remove()
    rows = []
    for name, m in layers:
        row = {"layer": name, "kind": type(m).__name__, "settings": _describe(m),
               "parameters": count_parameters(m)}
        if example:
            row["output"] = outputs.get(name)
        rows.append(row)
    return rows
