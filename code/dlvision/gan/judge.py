"""Samples judged by a classifier that never saw the GAN: which digits, how sure, how far from
real digits.

``digit_judge()`` is a small convolutional network trained on real digits (mini: the training
split of scikit-learn's digits, centred at 32×32; full: MNIST's training set) and cached.
``judge_digits(samples)`` classifies samples and returns a ``Judgement``: the share of each
class (coverage and mode collapse: a GAN that draws only ones gets 100 % in one class), the
judge's mean confidence (a blurred blob gets a low one), and the Fréchet distance between the
samples and real test digits in the judge's feature space (its penultimate layer): a distance
between the two distributions, means and covariances, that no single sample can fool. For a
conditional GAN, given the labels the samples were asked for, it also gives the *label
accuracy*: the share of samples the judge reads as the digit asked for (``label_accuracy``;
chance is 10 %), and how varied the samples of each label are (``within_label_spread``: near 0
when G ignores its noise and draws one image per digit).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..cache import (
    cache_key,
    default_cache_dir,
    load_or_build,
    source_fingerprint,
    weights_fingerprint,
)
from ..data import digits, mnist
from ..data.gan_images import to_gan_range
from ..metrics import frechet_distance
from ..models import pretrained
from ..models.training import device_of, fit_classifier
from ..profile import Profile, current
from . import runs
from .runs import sample
from .training import random_shift

# How many samples of a GAN ``judge_run`` judges at each step, by default.
SAMPLES = 1000
# The code that builds and trains the judge: editing it trains the judge again.
_JUDGE_CODE = (__name__, "dlvision.models.training")


class DigitJudge(nn.Module):
    """(N, 1, 32, 32) digits in [-1, 1] → (N, 10) scores; ``features`` gives the 64 numbers
    before the last layer, the space of the Fréchet distance."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 4 * 4, 64), nn.ReLU(),
        )
        self.head = nn.Linear(64, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _in_memory(data: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All images and labels of a dataset as two tensors."""
    images = getattr(data, "images", None)
    if isinstance(images, torch.Tensor):
        return images, data.targets
    # Decoded by worker processes when there are many (a few hundred, as in a rehearsal, are
    # read faster than workers start).
    workers = 4 if len(data) >= 1000 else 0
    batches = list(DataLoader(data, batch_size=1024, num_workers=workers))
    return torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches])


def real_digits(split: str, *, profile: str | Profile | None = None) -> Dataset:
    """Real digits for the judge: (1, 32, 32) in [-1, 1], labels 0-9. Mini: scikit-learn's
    digits, centred (the split the GANs of Part 3 do not train on is "test"); full: MNIST."""
    prof = current(profile)
    if prof.is_mini:
        return to_gan_range(digits(split, placement="centred", size=32))
    return mnist(split, size=32, profile=prof)


def _judge_path(train: Dataset, test: Dataset) -> Path:
    key = cache_key({"judge": source_fingerprint(*_JUDGE_CODE), "train": train.fingerprint(),
                     "test": test.fingerprint()})
    return default_cache_dir() / "judges" / f"digits-{key}.pt"


def judge_path(*, profile: str | Profile | None = None) -> Path:
    """Where ``digit_judge`` caches the judge of this profile's digits (it may not exist yet)."""
    prof = current(profile)
    return _judge_path(real_digits("train", profile=prof), real_digits("test", profile=prof))


def digit_judge(*, profile: str | Profile | None = None, progress: bool = True
                ) -> tuple[DigitJudge, dict[str, Any]]:
    """The judge (eval mode, on the CPU) and its record: accuracy on real test digits, training
    seconds. Trained on first use (seconds in mini) and cached, keyed by the training data."""
    prof = current(profile)
    train, test = real_digits("train", profile=prof), real_digits("test", profile=prof)
    judge = DigitJudge()

    def build() -> dict[str, Any]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = DigitJudge()
        images, targets = _in_memory(train)
        started = time.perf_counter()
        # Shifted by up to 2 pixels at each epoch: a GAN's digits are not all exactly centred.
        # No weight decay: it would keep the scores small and the judge unsure of real digits.
        fit_classifier(model, images, targets, epochs=30 if prof.is_mini else 3, lr=2e-3,
                       weight_decay=0.0, augment=lambda x, g: random_shift(x, 2, g),
                       progress=progress, desc="training the digit judge")
        seconds = time.perf_counter() - started
        X, y = _in_memory(test)
        accuracy = float((_batched(model.forward, X).argmax(1) == y).float().mean())
        return {"state_dict": model.state_dict(),
                "record": {"test_accuracy": accuracy, "train_seconds": seconds,
                           "n_train": len(images), "n_test": len(X)}}

    saved, _ = load_or_build(_judge_path(train, test), build,
                             validate=lambda s: judge.load_state_dict(s["state_dict"]),
                             what="cache of the digit judge")
    judge.load_state_dict(saved["state_dict"])
    return judge.eval(), saved["record"]


@torch.no_grad()
def _batched(function, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """``function`` (a judge's forward or its ``features``) over images, batch by batch, on
    the judge's device; the result on the CPU."""
    model = function.__self__
    model.eval()
    device = device_of(model)
    return torch.cat([function(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


@dataclass(frozen=True)
class Judgement:
    """What the judge makes of N samples.

    shares : (10,) the fraction of samples classified as each digit (sums to 1).
    predictions : (N,) the class of each sample. confidence : (N,) the judge's probability of
    that class. frechet : Fréchet distance to real test digits in the judge's feature space
    (0 for identical distributions; real training digits against test digits give the floor).
    labels : (N,) the digit each sample was asked to be (a conditional GAN's), else None.
    """

    shares: torch.Tensor
    predictions: torch.Tensor
    confidence: torch.Tensor
    frechet: float
    labels: torch.Tensor | None = None

    @property
    def classes_drawn(self) -> int:
        """Digits that get at least 2 % of the samples (a fifth of a fair share)."""
        return int((self.shares >= 0.02).sum())

    @property
    def largest_share(self) -> float:
        return float(self.shares.max())

    @property
    def smallest_share(self) -> float:
        """The share of the rarest digit (0.1 when all ten are drawn equally)."""
        return float(self.shares.min())

    @property
    def mean_confidence(self) -> float:
        return float(self.confidence.mean())

    @property
    def label_accuracy(self) -> float | None:
        """The share of samples the judge reads as the digit they were asked to be (None
        without labels)."""
        if self.labels is None:
            return None
        return float((self.predictions == self.labels).float().mean())

    @property
    def label_accuracy_by_class(self) -> torch.Tensor | None:
        """(10,) the label accuracy of the samples asked to be each digit (NaN for a digit
        never asked for; None without labels)."""
        if self.labels is None:
            return None
        right = torch.bincount(self.labels[self.predictions == self.labels], minlength=10)
        asked = torch.bincount(self.labels, minlength=10)
        return right.float() / asked.float()  # 0 / 0: NaN

    def summary(self) -> dict[str, float]:
        """The numbers, by name; "label_accuracy" only when the samples have labels."""
        numbers = {"classes_drawn": self.classes_drawn, "largest_share": self.largest_share,
                   "smallest_share": self.smallest_share,
                   "mean_confidence": self.mean_confidence, "frechet": self.frechet}
        if self.labels is not None:
            numbers["label_accuracy"] = self.label_accuracy
        return numbers


def _check_digits(samples: torch.Tensor, labels: torch.Tensor | None = None) -> None:
    if samples.ndim != 4 or samples.shape[1:] != (1, 32, 32):
        raise ValueError(f"expected digits of shape (N, 1, 32, 32), got {tuple(samples.shape)}")
    if labels is not None and (labels.shape != (len(samples),) or labels.is_floating_point()):
        raise ValueError(f"expected the labels asked for as class indices ({len(samples)},) "
                         f"int64, got {labels.dtype} of shape {tuple(labels.shape)}")


def judge_digits(samples: torch.Tensor, labels: torch.Tensor | None = None, *,
                 judge: DigitJudge | None = None, reference: torch.Tensor | None = None,
                 profile: str | Profile | None = None) -> Judgement:
    """Judge digits ``samples`` (N, 1, 32, 32) in [-1, 1].

    labels : (N,) int64, the digit each sample was asked to be (a conditional GAN's), for the
    label accuracy. judge : default ``digit_judge()``. reference : the real images of the
    Fréchet distance (default: the real test digits).
    """
    _check_digits(samples, labels)
    if len(samples) < 2:
        raise ValueError("a Fréchet distance needs at least 2 samples")
    judge = judge if judge is not None else digit_judge(profile=profile, progress=False)[0]
    if reference is None:
        reference, _ = _in_memory(real_digits("test", profile=profile))
    return _verdict(judge, _batched(judge.features, samples), _batched(judge.features, reference),
                    labels)


def _real_features(prof: Profile) -> tuple[DigitJudge, torch.Tensor, torch.Tensor,
                                            torch.Tensor, torch.Tensor]:
    """The judge; the real training digits (N, 1, 32, 32), their labels (N,) and their
    features (N, 64); the real test digits' features (M, 64): what every reading of real
    digits shares."""
    judge = digit_judge(profile=prof, progress=False)[0]
    train, train_labels = _in_memory(real_digits("train", profile=prof))
    test, _ = _in_memory(real_digits("test", profile=prof))
    return (judge, train, train_labels, _batched(judge.features, train),
            _batched(judge.features, test))


def real_baseline(*, profile: str | Profile | None = None) -> dict[str, float]:
    """What the judge makes of real digits: the numbers a GAN's samples are read against.

    The real test digits (which neither the judge nor the GANs trained on) judged like samples,
    against the real training digits: the judge's confidence on digits it never saw, their
    shares (each digit about 10 %), and the Fréchet distance between two sets of real digits,
    the floor that no generator can be expected to beat. Same keys as
    ``Judgement.summary()``."""
    judge, _, _, train_features, test_features = _real_features(current(profile))
    return _verdict(judge, test_features, train_features, None).summary()


def real_frechet_at(n: int = SAMPLES, *, draws: int = 11, profile: str | Profile | None = None
                    ) -> dict[str, float]:
    """The Fréchet distance of real digits at a GAN's sample count: ``n`` real training digits
    drawn at random (none twice; draw k from seed k) against the real test digits, exactly as
    ``judge_run`` measures ``n`` samples. The distance of a smaller set is larger (its mean and
    covariance are noisier), so this, not ``real_baseline``'s distance of all the training
    digits, is the floor that ``n`` samples can reach. Returns "median", "low" and "high" over
    ``draws`` draws, and "n"."""
    _, train, _, train_features, test_features = _real_features(current(profile))
    if not 2 <= n <= len(train):
        raise ValueError(f"n must be between 2 and the {len(train)} training digits, got {n}")
    distances = sorted(
        frechet_distance(train_features[torch.randperm(
            len(train), generator=torch.Generator().manual_seed(k))[:n]], test_features)
        for k in range(draws))
    return {"median": statistics.median(distances), "low": distances[0],
            "high": distances[-1], "n": n}


def moved(images: torch.Tensor, right: int, down: int) -> torch.Tensor:
    """Images (N, C, H, W) in [-1, 1] translated ``right`` and ``down`` pixels (≥ 0), the
    uncovered border black (-1)."""
    padded = F.pad(images, (right, 0, down, 0), value=-1.0)
    return padded[..., :images.shape[-2], :images.shape[-1]]


def halved(images: torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in [-1, 1] at half their resolution, enlarged back (bilinear)."""
    h, w = images.shape[-2:]
    small = F.interpolate(images, size=(h // 2, w // 2), mode="bilinear", align_corners=False)
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False).clamp(-1, 1)


# Changes that leave every digit a digit: each is what a Fréchet distance registers for it.
CHANGES = {
    "as they are": lambda x: x,
    "moved 1 pixel right": partial(moved, right=1, down=0),
    "moved 2 pixels right": partial(moved, right=2, down=0),
    "moved 1 pixel right and 1 down": partial(moved, right=1, down=1),
    "halved in resolution and enlarged back": halved,
}


def frechet_of_changes(*, profile: str | Profile | None = None) -> list[dict[str, Any]]:
    """A scale for a GAN's Fréchet distance: all the real training digits, each time under one
    of ``CHANGES`` that keeps every digit readable, against the real test digits. Returns one
    row per change: "change" (its name), "frechet", and "accuracy", the share of the changed
    digits the judge still reads as their own digit."""
    judge, train, labels, _, test_features = _real_features(current(profile))
    rows = []
    for name, change in CHANGES.items():
        features = _batched(judge.features, change(train))
        predictions = judge.head(features.to(device_of(judge))).argmax(1).cpu()
        rows.append({"change": name, "frechet": frechet_distance(features, test_features),
                     "accuracy": float((predictions == labels).float().mean())})
    return rows


def at_judge_size(samples: torch.Tensor) -> torch.Tensor:
    """Samples (N, C, 32k, 32k) averaged down to the judge's 32×32 (a run at 64×64, Q5)."""
    if samples.shape[-1] % 32:
        raise ValueError(f"expected images of side 32 or a multiple of it, got "
                         f"{tuple(samples.shape)}")
    return F.avg_pool2d(samples, samples.shape[-1] // 32) if samples.shape[-1] > 32 else samples


def in_shares(labels: torch.Tensor, shares: torch.Tensor, *, n: int = SAMPLES) -> torch.Tensor:
    """Indices of real digits taken class by class in ``shares`` (10,): the first of each class
    in ``labels`` (M,), as many in all as the rarest needed class allows without taking a digit
    twice (at most ``n``). Real digits in a GAN's shares are as far from the real test digits
    as the shares alone put them: the part of a Fréchet distance that is coverage, not quality.
    """
    needed = shares > 0
    counts = torch.bincount(labels, minlength=len(shares)).float()
    n = min(n, int((counts[needed] / shares[needed]).min()))
    return torch.cat([torch.nonzero(labels == c).flatten()[:round(float(shares[c]) * n)]
                      for c in range(len(shares))])


def evened_out(predictions: torch.Tensor, reference_labels: torch.Tensor) -> torch.Tensor:
    """Weights (N,) ≥ 0 that give each digit read in ``predictions`` (N,) the share it has in
    ``reference_labels`` (M,): a sample of a digit drawn twice too often counts half. The
    shares are those of the digits drawn, renormalized: no weight can bring back a digit that
    was never drawn. With these weights a Fréchet distance measures the drawing of the digits,
    not how often each is drawn."""
    drawn = torch.bincount(predictions, minlength=10).double()
    wanted = torch.bincount(reference_labels, minlength=10).double() * (drawn > 0)
    return (wanted / wanted.sum() / drawn.clamp_min(1))[predictions]


@torch.no_grad()
def _verdict(judge: DigitJudge, features: torch.Tensor, reference_features: torch.Tensor,
             labels: torch.Tensor | None) -> Judgement:
    """The judgement of samples from their features (N, 64) and the real digits' (M, 64): one
    pass of the judge's body serves the scores, the Fréchet distance and the spreads."""
    probabilities = judge.head(features.to(device_of(judge))).cpu().softmax(1)
    confidence, predictions = probabilities.max(1)
    shares = torch.bincount(predictions, minlength=10).float() / len(features)
    return Judgement(shares, predictions, confidence,
                     frechet_distance(features, reference_features),
                     None if labels is None else labels.long())


def label_accuracy(samples: torch.Tensor, labels: torch.Tensor, *,
                   judge: DigitJudge | None = None,
                   profile: str | Profile | None = None) -> float:
    """The share of digits ``samples`` (N, 1, 32, 32) in [-1, 1] that the judge reads as the
    digit each was asked to be, ``labels`` (N,) int64 (chance: 10 %). judge : default
    ``digit_judge()``."""
    _check_digits(samples, labels)
    judge = judge if judge is not None else digit_judge(profile=profile, progress=False)[0]
    predictions = _batched(judge.forward, samples).argmax(1)
    return float((predictions == labels).float().mean())


def _spreads(features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(10,) the mean pairwise distance of the features (N, D) of each label (NaN for a label
    with fewer than 2)."""
    return torch.tensor([mean_pairwise_distance(features[labels == c])
                         if (labels == c).sum() >= 2 else float("nan") for c in range(10)])


def within_label_spread(samples: torch.Tensor, labels: torch.Tensor, *,
                        judge: DigitJudge | None = None,
                        profile: str | Profile | None = None) -> torch.Tensor:
    """(10,) how varied the samples asked to be each digit are: the mean distance between two
    of them in the judge's features, over the same for the real test digits of that class.

    1: as varied as real digits; near 0: one image over and over, G ignoring its noise for that
    label (what z encodes, the course's Q15, is then nothing). NaN for a digit asked for fewer
    than twice. samples (N, 1, 32, 32) in [-1, 1], labels (N,) int64.
    """
    _check_digits(samples, labels)
    judge = judge if judge is not None else digit_judge(profile=profile, progress=False)[0]
    real, real_labels = _in_memory(real_digits("test", profile=profile))
    return (_spreads(_batched(judge.features, samples), labels)
            / _spreads(_batched(judge.features, real), real_labels))


def _each_step(run, steps: Sequence[int] | None, judged_by: dict[str, Any], judge_step,
               what: str) -> dict[int, dict[str, float]]:
    """``judge_step(step)`` at each of ``steps`` (default: every kept step of ``run``), each
    cached under ``judged_by`` and the generator's weights at that step."""
    verdicts = {}
    for step in sorted(run.generators) if steps is None else steps:
        if step not in run.generators:
            run.generator_at(step)  # raises the error that names the steps kept
        key = cache_key({**judged_by, "generator": weights_fingerprint(run.generators[step])})
        verdicts[step], _ = load_or_build(default_cache_dir() / "judgements" / f"{key}.pt",
                                          partial(judge_step, step), what=what)
    return verdicts


def judge_run(run, *, n: int = SAMPLES, steps: Sequence[int] | None = None, seed: int = 1,
              profile: str | Profile | None = None) -> dict[int, dict[str, float]]:
    """What the judge makes of ``n`` samples of a run's generator at each kept step.

    run : a ``dlvision.gan.training.Run`` trained on digits (at 32×32, or a multiple of it,
    averaged down to 32×32 for the judge). A conditional run's samples are
    asked for each digit in turn (n/10 of each) and judged on their label accuracy, and on
    their ``within_label_spread`` (its mean over the digits) as well. steps : which of its kept
    steps (default: all). The noise is drawn from ``seed``, the same at every step. Returns
    step → ``Judgement.summary()``, with two more for an unconditional run: "shares_frechet",
    the Fréchet distance of real training digits taken in the shares the samples were read as
    (``in_shares``), what the digits' shares alone cost; and "even_frechet", the samples' own
    distance with each digit they draw weighted to its share among the test digits
    (``evened_out``), what is left when the shares are evened out. Each step's
    judgement is cached, keyed by the generator's weights, the judge, ``n``, ``seed`` and the
    code: pages that ask again read it.
    """
    prof = current(profile)
    train, test = real_digits("train", profile=prof), real_digits("test", profile=prof)
    labels = torch.arange(n) % 10 if run.config.conditional else None
    judged_by = {"judge": _judge_path(train, test).stem, "n": n, "seed": seed,
                 "conditional": labels is not None, "code": _judging_code()}

    @cache  # loaded only if a step is not cached yet, then once for all steps
    def judge_and_reference() -> tuple[DigitJudge, torch.Tensor, torch.Tensor]:
        judge = digit_judge(profile=prof, progress=False)[0]
        images, reference_labels = _in_memory(test)
        return judge, _batched(judge.features, images), reference_labels

    @cache  # an unconditional run's only: once for all steps
    def training_features() -> tuple[torch.Tensor, torch.Tensor]:
        images, train_labels = _in_memory(train)
        return _batched(judge_and_reference()[0].features, images), train_labels

    def judge_step(step: int) -> dict[str, float]:
        judge, reference, reference_labels = judge_and_reference()
        samples = at_judge_size(sample(run.generator_at(step), n, labels=labels, seed=seed))
        features = _batched(judge.features, samples)
        judgement = _verdict(judge, features, reference, labels)
        verdict = judgement.summary()
        if labels is None:
            # The distance that real training digits in these shares would get, and the
            # samples' own distance with each digit counted as often as among real digits.
            train_features, train_labels = training_features()
            kept = in_shares(train_labels, judgement.shares, n=n)
            verdict["shares_frechet"] = frechet_distance(train_features[kept], reference)
            weights = evened_out(judgement.predictions, reference_labels)
            verdict["even_frechet"] = frechet_distance(features, reference, weights=weights)
        else:
            spreads = _spreads(features, labels) / _spreads(reference, reference_labels)
            verdict["within_label_spread"] = float(spreads.nanmean())
        return verdict

    return _each_step(run, steps, judged_by, judge_step,
                      what="cached judgement of a GAN's samples")


def _judging_code() -> str:
    """A digest of the code that samples and judges (the Fréchet distance included): editing
    it judges again."""
    return source_fingerprint(__name__, runs.__name__, frechet_distance.__module__, *(
        m.__name__ for m in (runs.models, runs.conditional, runs.losses, runs.training)))


# --- faces (CelebA, full profile) ------------------------------------------------------------


@torch.no_grad()
def image_features(images: torch.Tensor, *, network: nn.Module | None = None,
                   batch_size: int = 64) -> torch.Tensor:
    """(N, D) features of GAN images (N, C, H, W) in [-1, 1] in a fixed pretrained network:
    ImageNet SqueezeNet 1.1's last convolutional maps (``features``) averaged over positions,
    the images resized to its input size and ImageNet-normalized (grey images repeated)."""
    network = network if network is not None else _default_network()
    info = network.weights_info
    network.eval()
    device = device_of(network)
    out = []
    for i in range(0, len(images), batch_size):
        x = (images[i:i + batch_size].to(device).float() + 1) / 2  # [0, 1]
        x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
        x = F.interpolate(x, size=info.input_size, mode="bilinear", antialias=True,
                          align_corners=False)
        maps = network.features(info.normalize(x))  # (B, 512, h, w)
        out.append(maps.mean(dim=(2, 3)).cpu())
    return torch.cat(out)


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """The mean Euclidean distance between two different rows of ``features`` (N, D), N ≥ 2:
    how spread the samples are (a collapsed GAN's are all alike)."""
    if len(features) < 2:
        raise ValueError("a spread needs at least 2 samples")
    distances = torch.cdist(features.double(), features.double())
    n = len(features)
    return float(distances.sum() / (n * (n - 1)))


def judge_images(samples: torch.Tensor, real_features: torch.Tensor, *,
                 network: nn.Module | None = None) -> dict[str, float]:
    """Samples (N, C, H, W) in [-1, 1] against real images, in ``image_features``.

    real_features : ``image_features(real, network=network)`` (M, D), computed once for every
    run compared with the same real images. Returns ``frechet`` (the Fréchet distance, in
    ImageNet SqueezeNet's features: not comparable with published FIDs, which use an Inception
    network), ``spread`` and ``real_spread`` (the mean pairwise distance of the samples'
    features and of the real images').
    """
    fake = image_features(samples, network=network)
    return {"frechet": frechet_distance(fake, real_features),
            "spread": mean_pairwise_distance(fake),
            "real_spread": mean_pairwise_distance(real_features)}


def judge_face_run(run, real: torch.Tensor, *, steps: Sequence[int] | None = None,
                   seed: int = 1, network: nn.Module | None = None
                   ) -> dict[int, dict[str, float]]:
    """``judge_images`` of as many samples of a run's generator as ``real`` has images, at
    each kept step (default: all): step → ``frechet``, ``spread``, ``real_spread`` and
    ``n_samples`` (how many samples, as many as real images).

    real : (M, C, H, W) real images in [-1, 1] (M ≥ 2), the same for every run compared.
    Each step's numbers are cached, keyed by the generator's weights, the real images, the
    network's weights, ``seed`` and the code.
    """
    network = network if network is not None else _default_network()
    judged_by = {"real": weights_fingerprint({"real": real}),
                 "network": weights_fingerprint(network), "seed": seed,
                 "code": _judging_code()}

    @cache  # computed only if a step is not cached yet, then once for all steps
    def real_features() -> torch.Tensor:
        return image_features(real, network=network)

    def judge_step(step: int) -> dict[str, float]:
        samples = sample(run.generator_at(step), len(real), seed=seed)
        return {**judge_images(samples, real_features(), network=network),
                "n_samples": len(samples)}

    return _each_step(run, steps, judged_by, judge_step,
                      what="cached measure of a GAN's faces")


def _default_network() -> nn.Module:
    return pretrained("squeezenet1_1")


__all__ = ["CHANGES", "SAMPLES", "DigitJudge", "Judgement", "at_judge_size", "digit_judge",
           "evened_out", "frechet_of_changes", "halved", "image_features", "judge_digits",
           "judge_face_run", "judge_images", "judge_path", "judge_run", "label_accuracy",
           "mean_pairwise_distance", "moved", "real_baseline", "real_digits", "real_frechet_at",
           "within_label_spread"]
