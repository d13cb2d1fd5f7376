"""Saliency-map throughput: ``dlvision.visualize.saliency_map`` on a batch against per-image loops.

Three ways to get the same maps |∂ score_y / ∂x|, maximum over the channels, from the same
network with random weights (the timing does not depend on them):

* **loop, backward**: one image at a time, ``x.requires_grad_()``, ``score.backward()``, as the
  course's first attempt looks; backward also fills every parameter's ``.grad``;
* **loop, input only**: one image at a time, ``torch.autograd.grad`` with respect to the image
  alone, so that the difference to the batched run is batching alone;
* **batched**: ``saliency_map(model, X, y)``, one forward and one backward pass for the batch.

Two workloads by default: MiniSqueezeNet on the 180 mini samples (3×32×32), and torchvision's
SqueezeNet 1.1 on 16 random 224×224 images. Each method is repeated ``--repeats`` times in this
one process, the methods taking turns; the table gives the median time, the throughput and the
ratios to the batched run. The maps of the three ways are checked to agree. Not a test: timings
depend on the machine, so nothing is asserted about them.

    .venv/bin/python benchmarks/saliency.py                     # both workloads
    .venv/bin/python benchmarks/saliency.py --workload mini --repeats 9 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

import torch
from timing import interleaved  # benchmarks/ is on the path when run as a script
from torch import nn

from dlvision.data import imagenet_samples
from dlvision.models import MiniSqueezeNet
from dlvision.visualize import saliency_map


def loop_backward(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One image per pass, ``backward()`` on its score: the loop ``saliency_map`` replaces."""
    model.eval()
    maps = []
    for i in range(len(X)):
        x = X[i : i + 1].clone().requires_grad_()
        model(x)[0, y[i]].backward()
        maps.append(x.grad.abs().amax(dim=1)[0])
    model.zero_grad(set_to_none=True)
    return torch.stack(maps)


def loop_input_only(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One image per pass, gradient with respect to the image only."""
    model.eval()
    maps = []
    for i in range(len(X)):
        x = X[i : i + 1].clone().requires_grad_()
        (gradient,) = torch.autograd.grad(model(x)[0, y[i]], x)
        maps.append(gradient.abs().amax(dim=1)[0])
    return torch.stack(maps)


def he_initialized(model: nn.Module) -> nn.Module:
    """He initialization of every convolution and linear layer, at a trained network's scale.

    PyTorch's default initialization shrinks the signal layer after layer: a random
    MiniSqueezeNet's input gradients are near 1e-7, where arithmetic on subnormal numbers could
    slow the network down in a way a trained one never is.
    """
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return model


def workload(name: str) -> tuple[nn.Module, torch.Tensor, torch.Tensor, str]:
    """(model, X, y, description): a random-weight network and its images and labels."""
    torch.manual_seed(0)  # random weights: the timing does not depend on them
    if name == "mini":
        data = imagenet_samples(profile="mini", progress=False)
        return (he_initialized(MiniSqueezeNet()).eval(), data.images, data.targets,
                "MiniSqueezeNet, random (He) weights, mini samples 3×32×32")
    from torchvision.models import squeezenet1_1

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(16, 3, 224, 224, generator=gen)
    y = torch.randint(0, 1000, (16,), generator=gen)
    return squeezenet1_1(weights=None).eval(), X, y, "SqueezeNet 1.1, random weights, 224×224"


def run(name: str, repeats: int) -> dict:
    model, X, y, description = workload(name)
    saliency_map(model, X[:2], y[:2])  # warm-up: first-call allocations are not the method's
    times, results = interleaved({
        "loop, backward": lambda: loop_backward(model, X, y),
        "loop, input only": lambda: loop_input_only(model, X, y),
        "batched": lambda: saliency_map(model, X, y),
    }, repeats)
    # Batched and per-image convolutions round differently, and where two values of a max pool
    # or a ReLU's input nearly tie, the gradient can take another path: a few pixels differ by
    # a few percent in float32 (in float64 the maps are identical). Compare the maps as wholes.
    reference = results["loop, backward"]
    differences = {}
    for method, maps in results.items():
        differences[method] = float((maps - reference).abs().sum() / reference.abs().sum())
        if differences[method] > 1e-2:
            raise RuntimeError(f"{method} maps differ from the loop's by "
                               f"{differences[method]:.2%} (L1)")

    n = len(X)
    medians = {k: statistics.median(v) for k, v in times.items()}
    result = {"workload": description, "images": n, "image_shape": list(X.shape[1:]),
              "repeats": repeats, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
              "median_seconds": medians,
              "images_per_second": {k: n / v for k, v in medians.items()},
              "loop_over_batched": medians["loop, backward"] / medians["batched"],
              "relative_l1_difference": differences}
    threads = result["threads"]
    print(f"{description}, {n} images, median of {repeats} runs, "
          f"{threads} thread{'s' if threads != 1 else ''}\n")
    print("| method | median (s) | images / s | time / batched |")
    print("|---|---:|---:|---:|")
    for k, v in medians.items():
        print(f"| {k} | {v:.4f} | {n / v:,.1f} | {v / medians['batched']:.3g} |")
    print(f"\nthe course's loop takes {result['loop_over_batched']:.1f}× the batched time, the "
          f"loop without parameter gradients "
          f"{medians['loop, input only'] / medians['batched']:.1f}×; batched and loop maps "
          f"differ by {differences['batched']:.1e} (relative L1)\n")
    return result


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=("mini", "squeezenet", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own choice)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    names = ("mini", "squeezenet") if args.workload == "both" else (args.workload,)
    results = [run(name, args.repeats) for name in names]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
