"""dlvision: the companion package of the course "Deep learning for computer vision".

Chapters, exercises and tests import it. Start every notebook with::

    import dlvision
    profile = dlvision.setup()      # "mini" offline by default, "full" with the real data

The house, from the bottom up (a module imports only those above it in this list):

==============  ====================================================================
``profile``     the two profiles (mini, full), device, seeding, data folder
``cache``       the cache policy: ``cache_key``, ``load_or_build``, fingerprints of code
                and weights (``source_fingerprint``, ``weights_fingerprint``), the one
                atomic writer (``atomic_path``, ``save_atomic``)
``data``        one loader per dataset (``scenes15``, ``imagenet_samples``, ``mnist``,
                ``celeba``, ``digits``), image transforms, downloads
``models``      ``pretrained(name)`` with its ``WeightsInfo``, the mini stand-ins, network
                tools (``truncate``, ``layer_names``, ``parameter_table``, ``top_k``),
                a classifier training loop (``TrainConfig``, ``device_of``)
``metrics``     confusion counts; the judge of generated images
``plots``       image grids for any value range, heat-map overlays, curves, matrices
``transfer``    Part 1: feature extraction, the SVM and what it is compared with
``visualize``   Part 2: saliency maps, adversarial images, class visualization
``gan``         Parts 3 and 4: GANs, their losses, one training loop, runs
``book``        chapter helpers: profile note, glue, Markdown tables
``costs``       what a full rebuild computes (FLOPs per page) and how long it takes
``grading``     checks of the exercises (one module per part, loaded on demand), grader
``assign``      solutions → exercises;  ``cli``: the ``dlvision`` command
==============  ====================================================================

A new part is a package shaped like ``transfer/`` (one module per method, functions over
tensors), a folder of chapters in ``book/``, and a checks module in ``grading/checks/``. The
method packages (``transfer``, ``visualize``, ``gan``) never import one another.

``import dlvision`` is light: each subpackage is imported on first use, so ``dlvision.transfer``
works without importing it first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .profile import Profile, setup

__version__ = "0.1.0"

SUBMODULES = ("assign", "book", "cache", "cli", "data", "gan", "grading", "metrics", "models",
              "plots", "profile", "transfer", "visualize")

if TYPE_CHECKING:  # for type checkers and editors; at run time they load on first access
    from . import (  # noqa: F401
        assign,
        book,
        cache,
        cli,
        data,
        gan,
        grading,
        metrics,
        models,
        plots,
        transfer,
        visualize,
    )


def __getattr__(name: str):
    """Import a subpackage on first access: ``dlvision.transfer`` after ``import dlvision``."""
    if name in SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'dlvision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(SUBMODULES))


__all__ = ["Profile", "__version__", "setup"]
