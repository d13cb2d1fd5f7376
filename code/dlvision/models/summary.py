"""Where a network's parameters are: a count per layer.

Part 1 asks how VGG16's 138 million parameters are spread over its layers; the answer is a
table built from ``parameters_per_layer``.
"""

from __future__ import annotations

from torch import nn


def parameters_per_layer(model: nn.Module) -> dict[str, int]:
    """Number of parameters held by each layer of ``model``, keyed by the layer's name.

    A *layer* is a module that holds parameters itself, not only through its children: a
    ``Conv2d``, a ``Linear``, a ``BatchNorm2d``... Its name is the one ``model.named_modules()``
    gives (``"features.0"``, ``"classifier.6"``). Its count is the number of scalars in its own
    parameter tensors, weights and biases, trainable or frozen alike. Buffers such as batch
    normalization's running statistics are not parameters and are not counted. Layers without
    parameters (ReLU, pooling, dropout) and containers (``Sequential``) are left out.

    Returns a dict in the order of ``named_modules()``: layer name → number of parameters.
    The values sum to ``sum(p.numel() for p in model.parameters())`` when no parameter is shared.
    """
    counts = {}
    for name, module in model.named_modules():
        own = list(module.parameters(recurse=False))  # this module's tensors, not its children's
        if own:
            counts[name] = sum(p.numel() for p in own)
    return counts
