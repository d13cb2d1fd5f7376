"""Networks: pretrained ones by name with what their weights expect, the mini stand-ins, and
tools that work on any of them.

``zoo``       ``pretrained(name)``, ``weights_info(name)``, the stand-ins of the mini profile;
``weights``   ``WeightsInfo``: class names, input size, normalization, preprocessing;
``layers``    named cut points (``relu7``, ``pool5``, ``fire9``), ``truncate``, ``split``;
``summary``   parameter counts per layer, a table of any network's layers;
``training``  a plain classifier training loop (``TrainConfig``), ``predict``, ``top_k``,
              ``device_of``;
``mini``      the stand-in architectures.
"""

from .layers import as_sequential, layer_index, layer_names, split, truncate, with_new_head
from .mini import MiniSqueezeNet, MiniVGG
from .summary import count_parameters, layer_table, parameter_table, parameters_per_layer
from .training import TrainConfig, accuracy, device_of, fit_classifier, predict, top_k
from .weights import WeightsInfo
from .zoo import (
    MODEL_NAMES,
    class_names,
    freeze,
    pretrained,
    standin_record,
    train_standin,
    untrained,
    weights_info,
    weights_path,
)

__all__ = [
    "MODEL_NAMES",
    "MiniSqueezeNet",
    "MiniVGG",
    "TrainConfig",
    "WeightsInfo",
    "accuracy",
    "as_sequential",
    "class_names",
    "count_parameters",
    "device_of",
    "fit_classifier",
    "freeze",
    "layer_index",
    "layer_names",
    "layer_table",
    "parameter_table",
    "parameters_per_layer",
    "predict",
    "pretrained",
    "split",
    "standin_record",
    "top_k",
    "train_standin",
    "truncate",
    "untrained",
    "weights_info",
    "weights_path",
    "with_new_head",
]
