"""Wrong and right answers to exercise 0, getting started."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torchvision.transforms import functional as TF

import dlvision
from dlvision.data import normalize as reference_normalize

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def _stats(x: torch.Tensor, values, shape=(1, 3, 1, 1)) -> torch.Tensor:
    return torch.tensor(values, dtype=x.dtype).view(*shape)


# normalize ------------------------------------------------------------------------------------

def no_std_division(x):
    """Subtracts the mean but forgets to divide by the standard deviation."""
    return x - _stats(x, MEAN)


def mean_and_std_swapped(x):
    """Uses the standard deviation as the mean and the other way round."""
    return (x - _stats(x, STD)) / _stats(x, MEAN)


def channels_reversed(x):
    """BGR statistics on an RGB batch (mean and std in the wrong channel order)."""
    return (x - _stats(x, MEAN[::-1])) / _stats(x, STD[::-1])


def batch_statistics(x):
    """Standardizes with the batch's own mean and std instead of ImageNet's."""
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    return (x - mean) / x.std(dim=(0, 2, 3), keepdim=True)


def in_place(x):
    """Right values, but overwrites the caller's batch."""
    return x.sub_(_stats(x, MEAN)).div_(_stats(x, STD))


def statistics_along_width(x):
    """Statistics shaped (1, 1, 1, 3): broadcast along the width, not the channels."""
    return (x - _stats(x, MEAN, (1, 1, 1, 3))) / _stats(x, STD, (1, 1, 1, 3))


def pixels_in_0_255(x):
    """Assumes pixels in [0, 255] and rescales them first."""
    return (x * 255 - _stats(x, MEAN)) / _stats(x, STD)


def last_channel_skipped(x):
    """Off by one: normalizes channels 0 and 1 only."""
    out = x.clone()
    for c in range(2):
        out[:, c] = (x[:, c] - MEAN[c]) / STD[c]
    return out


def float64_result(x):
    """Right values in float64: the network would reject the batch."""
    mean = torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
    return (x - mean) / std


def normalize_by_division_first(x):
    """x / std - mean: the operations in the wrong order."""
    return x / _stats(x, STD) - _stats(x, MEAN)


def statistics_in_float32(x):
    """Statistics made with torch.tensor's default dtype: a float16 batch comes back float32."""
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def calls_the_reference(x):
    """Calls the package's reference instead of writing the normalization."""
    return reference_normalize(x)


def normalize_with_torchvision(x):
    return TF.normalize(x, MEAN, STD)


def normalize_with_indexing(x):
    mean = torch.tensor(MEAN, dtype=x.dtype)[None, :, None, None]
    std = torch.tensor(STD, dtype=x.dtype)[None, :, None, None]
    return x.sub(mean).div(std)


# gray-to-rgb ----------------------------------------------------------------------------------

def repeat_along_height(x):
    """Repeats along the height (axis 2) instead of the channels."""
    return x if x.shape[1] == 3 else x.repeat(1, 1, 3, 1)


def repeat_even_rgb(x):
    """Repeats the channels of a batch that is already RGB too: 9 channels."""
    return x.repeat(1, 3, 1, 1)


def zeros_for_green_and_blue(x):
    """Puts the grey channel in red and zeros in green and blue."""
    if x.shape[1] == 3:
        return x
    zeros = torch.zeros_like(x)
    return torch.cat([x, zeros, zeros], dim=1)


def luminance_weights(x):
    """Scales the copies by the luminance weights of a colour-to-grey conversion."""
    if x.shape[1] == 3:
        return x
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return x * weights


def converted_to_float(x):
    """Right values, but a uint8 batch comes back as float32."""
    return x.float() if x.shape[1] == 3 else x.float().repeat(1, 3, 1, 1)


def squeezed_batch(x):
    """squeeze() drops the batch axis of a batch of one image."""
    return x if x.shape[1] == 3 else torch.stack([x.squeeze()] * 3, dim=1)


def two_copies(x):
    """Off by one: two copies of the channel."""
    return x if x.shape[1] == 3 else x.repeat(1, 2, 1, 1)


def calls_to_rgb(x):
    """Calls the package's reference, dlvision.data.to_rgb."""
    return dlvision.data.to_rgb(x)


def gray_with_expand(x):
    return x if x.shape[1] == 3 else x.expand(-1, 3, -1, -1)  # a view: fine, nothing writes


def gray_with_cat(x):
    return x if x.size(1) != 1 else torch.cat([x, x, x], dim=1)


# parameters-per-layer -------------------------------------------------------------------------

def _own(module):
    return list(module.parameters(recurse=False))


def trainable_only(model):
    """Leaves out frozen parameters (requires_grad=False)."""
    return {name: sum(p.numel() for p in _own(m) if p.requires_grad)
            for name, m in model.named_modules() if _own(m)}


def weights_only(model):
    """Counts the weight and forgets the bias."""
    return {name: m.weight.numel() for name, m in model.named_modules() if _own(m)}


def buffers_counted(model):
    """Counts batch normalization's running statistics as parameters."""
    return {name: sum(p.numel() for p in _own(m)) + sum(b.numel() for b in
                                                          m.buffers(recurse=False))
            for name, m in model.named_modules() if _own(m)}


def containers_included(model):
    """Every module with its children's parameters: containers and the whole model too."""
    return {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_modules()}


def tensors_not_scalars(model):
    """Counts parameter tensors (weight, bias: 2) instead of their elements."""
    return {name: len(_own(m)) for name, m in model.named_modules() if _own(m)}


def layers_without_parameters(model):
    """Lists every leaf module, with 0 for ReLU, pooling and dropout."""
    return {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_modules()
            if not list(m.children())}


def first_dimension_only(model):
    """Counts only the first dimension of each tensor (output channels)."""
    return {name: sum(p.shape[0] for p in _own(m)) for name, m in model.named_modules()
            if _own(m)}


def leaf_modules_only(model):
    """Counts the parameters of the leaf modules: a module with children and parameters of
    its own is left out."""
    return {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_modules()
            if not list(m.children()) and _own(m)}


def weight_and_bias_only(model):
    """Counts the `weight` and `bias` attributes of each module: a parameter with another
    name (a learned scale) is missed."""
    return {name: np.prod(p.shape) + (np.prod(m.bias.shape) if getattr(m, "bias", None)
                                      is not None else 0)
            for name, m in model.named_modules() if (p := getattr(m, "weight", None))
            is not None and isinstance(p, nn.Parameter)}


def calls_parameters_per_layer(model):
    """Calls the package's reference, dlvision.models.parameters_per_layer."""
    return dlvision.models.parameters_per_layer(model)


def counts_with_count_parameters(model):
    """Counts each module with the package's count_parameters(module, recurse=False)."""
    from dlvision.models import count_parameters

    counts = {name: count_parameters(m, recurse=False) for name, m in model.named_modules()}
    return {name: n for name, n in counts.items() if n}


def parameters_by_recursion(model):
    counts: dict[str, int] = {}

    def walk(module: nn.Module, prefix: str) -> None:
        own = sum(p.numel() for p in module._parameters.values() if p is not None)
        if own:
            counts[prefix] = own
        for name, child in module.named_children():
            walk(child, f"{prefix}.{name}" if prefix else name)

    walk(model, "")
    return counts


def parameters_from_named_parameters(model):
    counts: dict[str, int] = {}
    for full_name, p in model.named_parameters():
        layer = full_name.rpartition(".")[0]  # "features.0.weight" -> "features.0"
        counts[layer] = counts.get(layer, 0) + p.numel()
    return counts


MUTANTS = {
    "normalize": [no_std_division, mean_and_std_swapped, channels_reversed, batch_statistics,
                  in_place, statistics_along_width, pixels_in_0_255, last_channel_skipped,
                  float64_result, normalize_by_division_first, statistics_in_float32,
                  calls_the_reference],
    "gray-to-rgb": [repeat_along_height, repeat_even_rgb, zeros_for_green_and_blue,
                    luminance_weights, converted_to_float, squeezed_batch, two_copies,
                    calls_to_rgb],
    "parameters-per-layer": [trainable_only, weights_only, buffers_counted, containers_included,
                             tensors_not_scalars, layers_without_parameters,
                             first_dimension_only, leaf_modules_only, weight_and_bias_only,
                             calls_parameters_per_layer, counts_with_count_parameters],
}

ALTERNATIVES = {
    "normalize": [normalize_with_torchvision, normalize_with_indexing],
    "gray-to-rgb": [gray_with_expand, gray_with_cat],
    "parameters-per-layer": [parameters_by_recursion, parameters_from_named_parameters],
}
