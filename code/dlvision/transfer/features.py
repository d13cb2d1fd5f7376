"""Feature extraction: images in, one L2-normalized vector per image out, cached on disk.

``extract_features(extractor, dataset)`` runs a cut network (see ``truncate``) over a dataset in
batches, under ``torch.inference_mode``, and returns the features as a NumPy matrix for
scikit-learn; ``extract_layers(model, layers, dataset)`` gets several layers of one network from
a single pass. The result is saved under ``<cache_dir>/features/`` and read back the next time,
keyed by everything that determines it: the extractor's layers and weights, the dataset's
images (or files) and their preprocessing, and the options. The file is written under a
temporary name and renamed when complete, so an interrupted run leaves no broken cache.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from ..cache import (
    cache_key,
    default_cache_dir,
    load_or_build,
    source_fingerprint,
    weights_fingerprint,
)
from ..models.layers import as_sequential, layer_index, truncate
from ..models.training import device_of

# Images per forward pass: small enough for VGG16 at 224×224 on a laptop, and the features do
# not depend on it.
BATCH_SIZE = 64


def l2_normalize(x: np.ndarray | torch.Tensor, *, eps: float = 1e-12):
    """Each row divided by its Euclidean norm (rows of zeros stay zero).

    x: (N, D). Returns the same type and shape, every non-zero row of norm 1. The course
    normalizes features this way so that the SVM compares directions, not magnitudes.
    """
    if isinstance(x, torch.Tensor):
        return x / x.norm(dim=1, keepdim=True).clamp_min(eps)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)


# --- cache keys -----------------------------------------------------------------------------------


def dataset_fingerprint(dataset: Dataset) -> str | None:
    """The dataset's own ``fingerprint()``, or None when it has none (it is then not cached)."""
    fingerprint = getattr(dataset, "fingerprint", None)
    return fingerprint() if callable(fingerprint) else None


def _cache_key(extractor: nn.Module, dataset: Dataset, **options) -> str | None:
    data = dataset_fingerprint(dataset)
    if data is None:
        return None
    return cache_key({"extractor": weights_fingerprint(extractor), "dataset": data,
                      "options": options, "code": source_fingerprint(__name__)})


# --- extraction -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extraction:
    """Features of a dataset and what it took to get them.

    features : (N, D) float32, L2-normalized rows unless asked otherwise.
    targets : (N,) int64 labels.
    seconds : time the extraction took when it was computed (also when read from the cache).
    cached : whether this call read the result from the cache.
    path : the cache file, or None when not cached.
    """

    features: np.ndarray
    targets: np.ndarray
    seconds: float
    cached: bool
    path: Path | None


def _batches(dataset: Dataset, batch_size: int, num_workers: int | None
             ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(images, targets) batches; in-memory datasets are sliced, others go through a loader."""
    images = getattr(dataset, "images", None)
    if isinstance(images, torch.Tensor):
        targets = torch.as_tensor(dataset.targets)
        for i in range(0, len(images), batch_size):
            yield images[i : i + batch_size], targets[i : i + batch_size]
        return
    if num_workers is None:
        num_workers = min(4, os.cpu_count() or 1)  # decoding JPEGs is the bottleneck
    yield from DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)


@torch.inference_mode()
def forward_dataset(module: nn.Module, dataset: Dataset, *, batch_size: int = BATCH_SIZE,
                    device: torch.device | str | None = None, num_workers: int | None = None,
                    progress: bool = True, desc: str = "features",
                    flatten: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``module`` (eval mode) over a dataset in batches: (outputs, targets) on the CPU.

    Outputs are (N, D) with ``flatten`` (the default), else as the module returns them.
    ``device=None`` uses the module's device.
    """
    module.eval()
    device = torch.device(device) if device is not None else device_of(module)
    outputs, targets = [], []
    with tqdm(total=len(dataset), desc=desc, unit="img", disable=not progress) as bar:
        for x, y in _batches(dataset, batch_size, num_workers):
            out = module(x.to(device, non_blocking=True))
            outputs.append((out.flatten(1) if flatten else out).float().cpu())
            targets.append(torch.as_tensor(y))
            bar.update(len(x))
    return torch.cat(outputs), torch.cat(targets).long()


def extract(
    extractor: nn.Module,
    dataset: Dataset,
    *,
    normalize: bool = True,
    batch_size: int = BATCH_SIZE,
    device: torch.device | str | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    num_workers: int | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> Extraction:
    """Features of every image of ``dataset`` through ``extractor``, with timing and cache info.

    Parameters
    ----------
    extractor : a network whose output describes an image, e.g. ``truncate(vgg, "relu7")``.
        It is put in eval mode.
    dataset : yields (image (3, H, W), label); ``ImageTensorDataset`` and ``ImageFileDataset``
        (which have a ``fingerprint()``) are cached, other datasets are not.
    normalize : divide each feature vector by its L2 norm (the course's procedure).
    batch_size : images per forward pass (the features do not depend on it).
    device : where to run; None means where the extractor's weights are.
    cache : read and write ``<cache_dir>/features/<key>.pt``.
    cache_dir : default: ``$DLVISION_DATA/cache`` (``dlvision.cache.default_cache_dir``).
    num_workers : loader processes for file datasets (None: up to 4).
    progress, desc : the tqdm bar and its label.

    Returns an ``Extraction`` whose ``features`` are (N, D) float32 (activations flattened) and
    ``targets`` (N,) int64, in the dataset's order.
    """
    def build() -> dict:
        start = time.perf_counter()
        features, targets = forward_dataset(
            extractor, dataset, batch_size=batch_size, device=device, num_workers=num_workers,
            progress=progress, desc=desc or "extracting features")
        if normalize:
            features = l2_normalize(features)
        return {"features": features, "targets": targets,
                "seconds": time.perf_counter() - start}

    key = _cache_key(extractor, dataset, normalize=normalize) if cache else None
    if key is None:
        saved, path, cached = build(), None, False
    else:
        path = Path(cache_dir or default_cache_dir()) / "features" / f"{key}.pt"
        saved, cached = load_or_build(path, build, what="feature cache")
    return Extraction(saved["features"].numpy(), saved["targets"].numpy(),
                      float(saved["seconds"]), cached, path)


def extract_features(extractor: nn.Module, dataset: Dataset, **options
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: features (N, D) float32 with L2-normalized rows and labels (N,) int64.

    Batched, under ``torch.inference_mode``, cached on disk; the options are those of
    ``extract`` (``normalize``, ``batch_size``, ``device``, ``cache``, ``progress``, ...).
    """
    result = extract(extractor, dataset, **options)
    return result.features, result.targets


@torch.inference_mode()
def _forward_layers(model: nn.Module, layers: list[str], dataset: Dataset, *,
                    global_pool: str | None, normalize: bool, batch_size: int,
                    device: torch.device | str | None, num_workers: int | None,
                    progress: bool, desc: str) -> dict[str, dict]:
    """One pass of ``model`` over ``dataset`` up to the deepest of ``layers``, keeping the
    output of each: ``{layer: {"features", "targets", "seconds"}}`` as ``extract`` saves them.

    Each layer's seconds are the loading time plus the forward time of the layers up to it:
    what extracting it alone would have cost.
    """
    staged = as_sequential(model).eval()
    at = {layer: layer_index(model, layer) for layer in layers}
    # The global pooling and flattening that ``truncate(..., global_pool=...)`` appends.
    pool = truncate(model, layers[0], global_pool=global_pool)[-2:] \
        if global_pool is not None else nn.Flatten(1)
    device = torch.device(device) if device is not None else device_of(model)
    stages = list(staged)[: max(at.values()) + 1]
    outputs: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}
    forward = [0.0] * len(stages)  # seconds in each stage, summed over batches
    targets, loading = [], 0.0
    with tqdm(total=len(dataset), desc=desc, unit="img", disable=not progress) as bar:
        start = time.perf_counter()
        for x, y in _batches(dataset, batch_size, num_workers):
            loading += time.perf_counter() - start
            h = x.to(device, non_blocking=True)
            for i, stage in enumerate(stages):
                tick = time.perf_counter()
                h = stage(h)
                for layer in (name for name, j in at.items() if j == i):
                    outputs[layer].append(pool(h).flatten(1).float().cpu())
                forward[i] += time.perf_counter() - tick
            targets.append(torch.as_tensor(y))
            bar.update(len(x))
            start = time.perf_counter()
    targets = torch.cat(targets).long()
    saved = {}
    for layer, chunks in outputs.items():
        features = torch.cat(chunks)
        saved[layer] = {"features": l2_normalize(features) if normalize else features,
                        "targets": targets, "seconds": loading + sum(forward[: at[layer] + 1])}
    return saved


def extract_layers(
    model: nn.Module,
    layers: tuple[str, ...] | list[str],
    dataset: Dataset,
    *,
    global_pool: str | None = None,
    normalize: bool = True,
    batch_size: int = BATCH_SIZE,
    device: torch.device | str | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    num_workers: int | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> dict[str, Extraction]:
    """Features of several layers of one network, from a single pass over the dataset.

    Gives for each layer what ``extract(truncate(model, layer, global_pool=global_pool),
    dataset)`` gives, and shares its cache files: the layers already cached are read, the
    others are computed together, in one pass up to the deepest of them, instead of one pass
    from the input per layer. The options are those of ``extract``.

    Returns ``{layer: Extraction}`` in the order of ``layers``; each ``seconds`` is what that
    layer alone costs (loading plus the forward pass up to it).
    """
    layers = list(dict.fromkeys(layers))
    if not layers:
        raise ValueError("layers is empty: name at least one layer (see layer_names(model))")
    extractors = {layer: truncate(model, layer, global_pool=global_pool) for layer in layers}
    folder = Path(cache_dir or default_cache_dir()) / "features"
    paths = {}
    for layer, extractor in extractors.items():
        key = _cache_key(extractor, dataset, normalize=normalize) if cache else None
        paths[layer] = None if key is None else folder / f"{key}.pt"
    computed: dict[str, dict] = {}

    def build(layer: str) -> dict:
        if layer not in computed:  # compute every layer still missing, in one pass
            missing = [name for name, path in paths.items()
                       if name == layer or (name not in results and
                                            (path is None or not path.exists()))]
            computed.update(_forward_layers(
                model, missing, dataset, global_pool=global_pool, normalize=normalize,
                batch_size=batch_size, device=device, num_workers=num_workers,
                progress=progress, desc=desc or f"extracting {', '.join(missing)}"))
        return computed.pop(layer)

    results: dict[str, Extraction] = {}
    for layer, path in paths.items():
        if path is None:
            saved, cached = build(layer), False
        else:
            saved, cached = load_or_build(path, lambda layer=layer: build(layer),
                                          what="feature cache")
        results[layer] = Extraction(saved["features"].numpy(), saved["targets"].numpy(),
                                    float(saved["seconds"]), cached, path)
    return results
