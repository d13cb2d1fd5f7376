"""Networks: pretrained ones by name, the mini stand-ins, and a small training loop."""

from .mini import MiniSqueezeNet, MiniVGG
from .summary import parameters_per_layer
from .training import accuracy, fit_classifier, predict
from .zoo import (
    MODEL_NAMES,
    class_names,
    freeze,
    pretrained,
    standin_record,
    train_standin,
    weights_path,
)

__all__ = [
    "MODEL_NAMES",
    "MiniSqueezeNet",
    "MiniVGG",
    "accuracy",
    "class_names",
    "fit_classifier",
    "freeze",
    "parameters_per_layer",
    "predict",
    "pretrained",
    "standin_record",
    "train_standin",
    "weights_path",
]
