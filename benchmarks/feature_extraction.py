"""Feature-extraction throughput: ``extract_features`` against a naive loop, and the disk cache.

Three ways to get the L2-normalized features of the same images through the same cut network:

* **naive**: one image at a time, ``torch.no_grad()``, NumPy normalization, as a first attempt
  usually looks;
* **batched**: ``dlvision.transfer.extract_features`` without its cache (batches under
  ``torch.inference_mode``, normalization in torch);
* **cached**: ``extract_features`` once more, reading what the previous call saved.

Each is repeated ``--repeats`` times in this one process, the three taking turns; the table
gives the median time, the throughput and the ratios to the batched run. The features of the
three ways are checked to agree. Not a test: timings depend on the machine, so nothing is
asserted about them.

    .venv/bin/python benchmarks/feature_extraction.py                  # mini: MiniVGG relu7
    .venv/bin/python benchmarks/feature_extraction.py --model vgg16 --images 64 --size 224
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile

import numpy as np
import torch
from timing import interleaved  # benchmarks/ is on the path when run as a script

import dlvision
from dlvision.data import ImageTensorDataset, scenes15
from dlvision.models import pretrained
from dlvision.transfer import extract, truncate


def naive_features(extractor: torch.nn.Module, dataset) -> np.ndarray:
    """One image per forward pass: the loop that ``extract_features`` replaces."""
    extractor.eval()
    rows = []
    for i in range(len(dataset)):
        image, _ = dataset[i]
        with torch.no_grad():
            rows.append(extractor(image.unsqueeze(0)).flatten().numpy())
    features = np.stack(rows)
    return features / np.linalg.norm(features, axis=1, keepdims=True)


def workload(model: str, images: int, size: int, layer: str):
    """(extractor, dataset, description) for the chosen network."""
    if model == "mini":
        dlvision.setup("mini")
        data = scenes15("test")
        if images:
            data = ImageTensorDataset(data.images[:images], data.targets[:images], data.classes)
        return truncate(pretrained("vgg16", progress=False), layer), data, "MiniVGG (mini)"
    from torchvision.models import vgg16

    torch.manual_seed(0)  # random weights: the timing does not depend on them
    net = vgg16().eval()
    gen = torch.Generator().manual_seed(0)
    data = ImageTensorDataset(torch.randn(images or 64, 3, size, size, generator=gen),
                              torch.zeros(images or 64, dtype=torch.long), ["x"])
    return truncate(net, layer), data, f"torchvision VGG16, random weights, {size}×{size}"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("mini", "vgg16"), default="mini")
    parser.add_argument("--layer", default="relu7")
    parser.add_argument("--images", type=int, default=0,
                        help="number of images (mini default: all 448 test images; vgg16: 64)")
    parser.add_argument("--size", type=int, default=224, help="image side for --model vgg16")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    extractor, data, description = workload(args.model, args.images, args.size, args.layer)
    options = {"batch_size": args.batch_size, "progress": False}
    with tempfile.TemporaryDirectory() as cache_dir:
        extract(extractor, data, cache=True, cache_dir=cache_dir, **options)  # fill the cache
        times, results = interleaved({
            "naive": lambda: naive_features(extractor, data),
            "batched": lambda: extract(extractor, data, cache=False, **options),
            "cached": lambda: extract(extractor, data, cache=True, cache_dir=cache_dir,
                                      **options),
        }, args.repeats)
    if not results["cached"].cached:
        raise RuntimeError("the cached run did not read the cache")
    for name in ("batched", "cached"):
        if not np.allclose(results[name].features, results["naive"], atol=1e-5):
            raise RuntimeError(f"{name} features differ from the naive loop's")

    n = len(data)
    medians = {k: statistics.median(v) for k, v in times.items()}
    result = {"workload": description, "layer": args.layer, "images": n,
              "feature_size": int(results["batched"].features.shape[1]),
              "repeats": args.repeats,
              "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
              "median_seconds": medians,
              "images_per_second": {k: n / v for k, v in medians.items()},
              "naive_over_batched": medians["naive"] / medians["batched"],
              "uncached_over_cached": medians["batched"] / medians["cached"]}

    print(f"{description}, cut at {args.layer} ({result['feature_size']:,} features), "
          f"{n} images, median of {args.repeats} runs, {result['threads']} threads\n")
    print("| method | median (s) | images / s | time / batched |")
    print("|---|---:|---:|---:|")
    for k, v in medians.items():
        print(f"| {k} | {v:.4f} | {n / v:,.0f} | {v / medians['batched']:.3g} |")
    print(f"\nbatched is {result['naive_over_batched']:.1f}× faster than the naive loop; "
          f"reading the cache is {result['uncached_over_cached']:.1f}× faster than extracting")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
