"""Measures of predictions: confusion counts and the most frequent confusion.

Here too will live the judge of generated images (Parts 3 and 4): a digit classifier that is
independent of the GAN, and what it measures of samples (class coverage, confidence, label
accuracy, a Fréchet distance in its feature space).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


def confusion_counts(targets: Sequence[int], predictions: Sequence[int],
                     n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) int64 counts: cell (i, j) is how many images of class i were
    predicted j. targets, predictions: (N,) labels in [0, n_classes)."""
    targets, predictions = np.asarray(targets), np.asarray(predictions)
    if targets.shape != predictions.shape:
        raise ValueError(f"got {targets.shape} targets and {predictions.shape} predictions; "
                         "expected one prediction per target")
    for name, labels in (("targets", targets), ("predictions", predictions)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} must be labels in [0, {n_classes}), got values from "
                             f"{labels.min()} to {labels.max()}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (targets, predictions), 1)
    return counts


class Confusion(NamedTuple):
    """The most frequent error: ``count`` of the ``of`` images of class ``true`` were
    predicted ``predicted``."""

    true: int
    predicted: int
    count: int
    of: int


def most_confused(counts: np.ndarray) -> Confusion:
    """The off-diagonal cell of a confusion matrix with the most images (the first one on a
    tie, in row-major order). counts: (K, K) as ``confusion_counts`` returns it."""
    counts = np.asarray(counts)
    errors = counts - np.diag(np.diag(counts))
    true, predicted = divmod(int(errors.argmax()), counts.shape[1])
    return Confusion(true, predicted, int(counts[true, predicted]), int(counts[true].sum()))
