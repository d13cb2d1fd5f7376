"""Feature extraction: images in, one L2-normalized vector per image out, cached on disk.

``extract_features(extractor, dataset)`` runs a cut network (see ``truncate``) over a dataset in
batches, under ``torch.inference_mode``, and returns the features as a NumPy matrix for
scikit-learn. The result is saved under ``<cache_dir>/features/`` and read back the next time,
keyed by everything that determines it: the extractor's layers and weights, the dataset's
images (or files) and their preprocessing, and the options. The file is written under a
temporary name and renamed when complete, so an interrupted run leaves no broken cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import functional as TF
from tqdm.auto import tqdm

from ..cache import save_atomic
from ..data.transforms import normalize as imagenet_normalize
from ..data.transforms import to_rgb
from ..profile import current

# Bump when the extraction itself changes (not the model or data): old cache files are then
# ignored rather than read as current.
CACHE_VERSION = 1


def preprocess(image, *, size: int = 224) -> torch.Tensor:
    """An image as VGG16 expects it: (3, size, size) float32, ImageNet-normalized.

    image: a PIL image (greyscale or colour), a NumPy array (H, W) or (H, W, C) of uint8 in
    [0, 255] or floats in [0, 1], or a tensor (H, W), (1, H, W) or (3, H, W) in [0, 1].
    The image is resized to ``size``×``size`` (bilinear, aspect ratio not kept, as the course
    does), a grey image has its channel repeated three times, and the ImageNet mean and standard
    deviation are applied.
    """
    if isinstance(image, Image.Image):
        img = image.convert("L") if image.mode in ("L", "I", "I;16", "1") else image.convert("RGB")
        x = TF.to_tensor(img.resize((size, size), Image.BILINEAR))  # (1 or 3, size, size)
        return imagenet_normalize(to_rgb(x))
    if isinstance(image, np.ndarray):
        x = torch.from_numpy(image)
        x = x.float() / 255 if image.dtype == np.uint8 else x.float()
        x = x.permute(2, 0, 1) if x.ndim == 3 else x  # (H, W, C) -> (C, H, W)
    elif isinstance(image, torch.Tensor):
        x = image.float()
    else:
        raise TypeError(f"expected a PIL image, a NumPy array or a tensor, got "
                        f"{type(image).__name__}")
    if x.ndim == 2:
        x = x[None]  # (H, W) -> (1, H, W)
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        raise ValueError(f"expected a grey (H, W) or (1, H, W) image or an RGB (3, H, W) one, "
                         f"got shape {tuple(image.shape)}; one image at a time")
    x = TF.resize(x, [size, size], antialias=True).clamp(0, 1)
    return imagenet_normalize(to_rgb(x))


def l2_normalize(x: np.ndarray | torch.Tensor, *, eps: float = 1e-12):
    """Each row divided by its Euclidean norm (rows of zeros stay zero).

    x: (N, D). Returns the same type and shape, every non-zero row of norm 1. The course
    normalizes features this way so that the SVM compares directions, not magnitudes.
    """
    if isinstance(x, torch.Tensor):
        return x / x.norm(dim=1, keepdim=True).clamp_min(eps)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)


# --- cache keys -----------------------------------------------------------------------------------


def module_fingerprint(module: nn.Module) -> str:
    """A hex digest of a network's layers (its ``repr``) and the exact values of its weights
    and buffers: another cut point, another network or retrained weights change it."""
    digest = hashlib.sha256(repr(module).encode())
    for name, t in module.state_dict().items():
        t = t.detach().cpu().contiguous()
        digest.update(f"{name}{t.dtype}{tuple(t.shape)}".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def dataset_fingerprint(dataset: Dataset) -> str | None:
    """The dataset's own ``fingerprint()``, or None when it has none (it is then not cached)."""
    fingerprint = getattr(dataset, "fingerprint", None)
    return fingerprint() if callable(fingerprint) else None


def _cache_key(extractor: nn.Module, dataset: Dataset, **options) -> str | None:
    data = dataset_fingerprint(dataset)
    if data is None:
        return None
    spec = {"extractor": module_fingerprint(extractor), "dataset": data,
            "options": options, "version": CACHE_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


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


def _device_of(module: nn.Module) -> torch.device:
    p = next(module.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.inference_mode()
def forward_dataset(module: nn.Module, dataset: Dataset, *, batch_size: int | None = None,
                    device: torch.device | str | None = None, num_workers: int | None = None,
                    progress: bool = True, desc: str = "features",
                    flatten: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``module`` (eval mode) over a dataset in batches: (outputs, targets) on the CPU.

    Outputs are (N, D) with ``flatten`` (the default), else as the module returns them.
    ``device=None`` uses the module's device; ``batch_size=None`` the profile's.
    """
    module.eval()
    device = torch.device(device) if device is not None else _device_of(module)
    batch_size = batch_size or current().batch_size
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
    batch_size: int | None = None,
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
    batch_size : images per forward pass; None takes the profile's (256 mini, 32 full).
    device : where to run; None means where the extractor's weights are.
    cache : read and write ``<cache_dir>/features/<key>.pt``.
    cache_dir : default: the active profile's ``cache_dir``.
    num_workers : loader processes for file datasets (None: up to 4).
    progress, desc : the tqdm bar and its label.

    Returns an ``Extraction`` whose ``features`` are (N, D) float32 (activations flattened) and
    ``targets`` (N,) int64, in the dataset's order.
    """
    key = _cache_key(extractor, dataset, normalize=normalize) if cache else None
    path = None
    if key is not None:
        path = Path(cache_dir or current().cache_dir) / "features" / f"{key}.pt"
        if path.exists():
            try:
                saved = torch.load(path, map_location="cpu", weights_only=True)
                return Extraction(saved["features"].numpy(), saved["targets"].numpy(),
                                  float(saved["seconds"]), True, path)
            except Exception as err:  # cut short or from another version: compute it again
                warnings.warn(f"ignoring the unreadable feature cache {path} ({err})",
                              stacklevel=2)
    start = time.perf_counter()
    features, targets = forward_dataset(extractor, dataset, batch_size=batch_size, device=device,
                                        num_workers=num_workers, progress=progress,
                                        desc=desc or "extracting features")
    if normalize:
        features = l2_normalize(features)
    seconds = time.perf_counter() - start
    if path is not None:
        save_atomic({"features": features, "targets": targets, "seconds": seconds}, path)
    return Extraction(features.numpy(), targets.numpy(), seconds, False, path)


def extract_features(extractor: nn.Module, dataset: Dataset, **options
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: features (N, D) float32 with L2-normalized rows and labels (N,) int64.

    Batched, under ``torch.inference_mode``, cached on disk; the options are those of
    ``extract`` (``normalize``, ``batch_size``, ``device``, ``cache``, ``progress``, ...).
    """
    result = extract(extractor, dataset, **options)
    return result.features, result.targets
