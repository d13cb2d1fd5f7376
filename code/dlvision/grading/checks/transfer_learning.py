"""Exercise 1, transfer learning: the course's procedure, one step per question.

- ``relu7-extractor``: VGG16 cut after relu7, in eval mode, the feature extractor
  (reference: ``dlvision.transfer.truncate(vgg, "relu7")``).
- ``preprocess-grey``: a grey photograph as VGG16's input, (3, size, size) ImageNet-normalized
  (reference: ``dlvision.transfer.preprocess``, which ``dlvision.data.load_image`` also applies).
- ``l2-features``: features of a whole dataset, batched, one L2-normalized row per image
  (reference: ``dlvision.transfer.extract_features``).
- ``svm-accuracy``: a linear SVM trained on the training features, scored on the test ones
  (reference: ``dlvision.transfer.svm_accuracy``).
- ``pca-features``: a PCA fitted on the training features, applied to both sets (reference:
  scikit-learn's ``PCA``, as ``dlvision.transfer.fit_svm(..., pca=k)`` uses it).

Every input is small and seeded: networks are tiny VGG-shaped ones with random weights (not the
trained stand-ins), images are a few dozen pixels, feature matrices a few hundred numbers.
While an answer runs, the package functions that compute the same thing as the question's
reference are refused (``Question.refuses``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image
from sklearn.decomposition import PCA
from torch import nn
from torch.utils.data import Dataset

from ...data.digits import ImageTensorDataset
from ...data.transforms import load_image, preprocess
from ...models.layers import as_sequential, split, truncate
from ...models.mini import MiniVGG
from ...transfer import (
    extract,
    extract_features,
    extract_layers,
    fit_svm,
    forward_dataset,
    l2_normalize,
    svm_accuracy,
)
from ..compare import as_tensors, compare_tensors, describe, number, pair
from ..question import Case, Feedback, Part, Question, keywords, symptom

# --- shared helpers ---------------------------------------------------------------------------


def _randomize_batch_norm(model: nn.Module, generator: torch.Generator) -> None:
    """Running statistics and affine weights far from their defaults, so that a network left in
    training mode (batch statistics) gives clearly different outputs from one in eval mode."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=generator) - 0.5)
                m.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=generator))
                m.weight.copy_(0.5 + torch.rand(n, generator=generator))
                m.bias.copy_(0.3 * torch.randn(n, generator=generator))


def _tiny_vgg(seed: int) -> MiniVGG:
    """A MiniVGG with few channels, random weights and random batch-norm statistics, in
    training mode as a fresh network is. 13 convolutions, fc6 (8 -> 16), fc7 (16 -> 16), fc8."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MiniVGG(num_classes=5, widths=(4, 4, 8, 8, 8), hidden=16)
    _randomize_batch_norm(model, torch.Generator().manual_seed(seed + 100))
    return model


class PlainVGG(nn.Module):
    """A VGG-shaped network without batch normalization, as torchvision's ``vgg16`` is, but
    tiny: five blocks of one convolution each, and an ``avgpool`` that gives 2×2 maps (as
    VGG16's gives 7×7), so fc6 takes 8·2·2 = 32 inputs. (N, 3, H, W) → (N, 3).
    """

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in ((3, 4), (4, 4), (4, 8), (8, 8), (8, 8)):  # 5 blocks, as VGG16
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)  # (N, 3, 32, 32) -> (N, 8, 1, 1)
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(
            nn.Linear(8 * 2 * 2, 12), nn.ReLU(), nn.Dropout(),  # fc6, relu6, drop6
            nn.Linear(12, 12), nn.ReLU(), nn.Dropout(),  # fc7, relu7, drop7
            nn.Linear(12, 3),  # fc8
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def _plain_vgg(seed: int) -> PlainVGG:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PlainVGG()


# --- relu7-extractor --------------------------------------------------------------------------


def _extractor_cases() -> list[Case]:
    g = torch.Generator().manual_seed(10)
    return [
        Case("a small MiniVGG with random weights (13 convolutions with batch norm; fc6, fc7 "
             "of 16 units), fresh from its constructor, so in training mode; the extractor is "
             "run on 2 random images of shape (3, 64, 64)",
             (_tiny_vgg(0), torch.randn(2, 3, 64, 64, generator=g))),
        Case("a small VGG-shaped network without batch norm (its avgpool gives 2×2 maps, fc7 "
             "has 12 units), in training mode; the extractor is run on 3 random images of "
             "shape (3, 32, 32)",
             (_plain_vgg(1), torch.randn(3, 3, 32, 32, generator=g))),
    ]


def _apply_extractor(answer: Any, case: Case) -> dict[str, Any]:
    """Build the extractor from the network, then run it on the case's images."""
    vgg, images = case.args
    extractor = answer(vgg)
    if not isinstance(extractor, nn.Module):
        return {"module": False, "returned": extractor}
    with torch.no_grad():
        output = extractor(images)
    return {"module": True, "training": extractor.training, "output": output}


@torch.no_grad()
def _relu7_features(vgg: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return truncate(vgg, "relu7").eval()(images)  # (N, hidden)


def _same_features(expected: torch.Tensor, got: Any) -> str | None:
    if not isinstance(got, dict) or "module" not in got:  # never: _apply_extractor made it
        return f"expected an nn.Module, got {describe(got)}"
    if not got["module"]:
        return (f"`relu7_extractor(vgg)` must return an nn.Module (a network that maps images "
                f"to relu7 activations), got {describe(got['returned'])}")
    problem = compare_tensors(expected, got["output"], atol=1e-5, rtol=1e-4)
    return None if problem is None else f"the extractor's output on the images: {problem}"


RELU7_EXTRACTOR = Question(
    id="relu7-extractor",
    name="relu7_extractor",
    points=2,
    title="VGG16 cut after relu7, in eval mode: images (N, 3, H, W) -> features (N, 4096)",
    cases=_extractor_cases,
    reference=_relu7_features,
    compare_with=_same_features,
    mistakes=(symptom(Feedback("the module you returned is in training mode: dropout zeroes "
                               "random units and batch norm uses each batch's statistics",
                               "call .eval() on it"), lambda e, got, *_: got.get("training")),),
    hint="keep vgg.features, vgg.avgpool, a flatten, then vgg.classifier up to and including "
         "the ReLU after fc7 (the first five modules: fc6, relu6, drop6, fc7, relu7), and "
         "return the result in eval mode.",
    apply=_apply_extractor,
    refuses=(truncate, split, as_sequential),
)


# --- preprocess-grey --------------------------------------------------------------------------


def _grey_pil(height: int, width: int, generator: torch.Generator) -> Image.Image:
    pixels = torch.randint(0, 256, (height, width), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy(), mode="L")


def _preprocess_cases() -> list[Case]:
    g = torch.Generator().manual_seed(20)
    return [
        Case("a grey PIL image 20 wide and 12 high (mode 'L'), size=24",
             (_grey_pil(12, 20, g), 24)),
        Case("a grey tensor of shape (1, 10, 14), float32 in [0, 1], size=16",
             (torch.rand(1, 10, 14, generator=g), 16)),
        Case("a grey tensor of shape (1, 40, 30), float32 in [0, 1], size=20 (shrinking)",
             (torch.rand(1, 40, 30, generator=g), 20)),
        Case("a grey PIL image 70 wide and 50 high, size=32 (shrinking)",
             (_grey_pil(50, 70, g), 32)),
        Case("a grey PIL image of 30×30 pixels, size left at its default",
             (_grey_pil(30, 30, g), None)),
    ]


# Bilinear resizing by PIL (on 8-bit pixels) and by torchvision (on floats) differ by about
# 1/255 before normalization: the tolerance accepts both; nearest or bicubic interpolation, or
# shrinking without antialiasing, differ by ten times more.
PREPROCESS_ATOL = 0.04


def _floats_shaped(expected: torch.Tensor, got: Any) -> bool:
    return isinstance(got, torch.Tensor) and got.shape == expected.shape and \
        got.is_floating_point()


PREPROCESS_GREY = Question(
    id="preprocess-grey",
    name="preprocess_grey",
    points=2,
    title="A grey image (PIL or (1, H, W)) as VGG16's input (3, size, size), ImageNet-normalized",
    cases=_preprocess_cases,
    reference=lambda image, size: preprocess(image, size=224 if size is None else size),
    tolerance=(PREPROCESS_ATOL, 0),
    mistakes=(
        symptom("your values are all in [0, 1]: they were not ImageNet-normalized",
                lambda e, got, *_: _floats_shaped(e, got) and got.min() >= 0 and got.max() <= 1),
        symptom("your values are far too large: scale the pixels to [0, 1] first",
                lambda e, got, *_: _floats_shaped(e, got) and got.abs().max() > 20),
    ),
    hint="PIL image -> TF.to_tensor (1, H, W) in [0, 1]; TF.resize(x, [size, size], "
         "antialias=True) (bilinear, no crop, aspect ratio not kept); repeat the channel 3 "
         "times; TF.normalize with IMAGENET_MEAN and IMAGENET_STD.",
    apply=keywords("size"),
    refuses=(preprocess, load_image),
)


# --- l2-features ------------------------------------------------------------------------------


class StreamedImages(Dataset):
    """Images handed out one at a time, as a dataset read from files is: no ``images``
    attribute to slice, only ``len(dataset)`` and ``dataset[i] -> (image, label)``."""

    def __init__(self, images: torch.Tensor, targets: torch.Tensor):
        self._images, self._targets = images, targets

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self._images[index], int(self._targets[index])


def _features_cases() -> list[Case]:
    g = torch.Generator().manual_seed(30)
    images = torch.randn(6, 3, 32, 32, generator=g)
    targets = torch.tensor([2, 0, 1, 1, 0, 2])
    streamed = StreamedImages(torch.randn(5, 3, 32, 32, generator=g), torch.tensor([3, 1, 4, 1, 0]))
    black = torch.rand(4, 3, 8, 8, generator=g)
    black[1] = 0  # a zero row of features: its norm is 0
    return [
        Case("extractor = truncate(small MiniVGG, 'relu7') with random weights, in training "
             "mode (dropout, batch norm); a dataset of 6 images (3, 32, 32) held in memory; "
             "batch_size left at its default",
             (truncate(_tiny_vgg(2), "relu7"), ImageTensorDataset(images, targets, list("abc")),
              None)),
        Case("extractor = truncate(small MiniVGG, 'pool3'), whose output is (N, 8, 4, 4), in "
             "training mode; a dataset of 5 images that hands them out one at a time, like "
             "files read from disk (len(dataset), dataset[i] -> (image, label)); batch_size=2",
             (truncate(_tiny_vgg(3), "pool3"), streamed, 2)),
        Case("extractor = raw pixels, nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten()); a "
             "dataset of 4 images of which the second is all black, so its features are all "
             "zero; batch_size=3",
             (nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten()),
              ImageTensorDataset(black, torch.tensor([0, 1, 0, 1]), ["a", "b"]), 3)),
    ]


def _compare_features(case: Case, got: Any) -> str | Feedback | None:
    extractor, dataset, _ = case.args
    X_ref, y_ref = extract_features(extractor, dataset, cache=False, progress=False,
                                    num_workers=0)
    X_ref, y_ref = torch.from_numpy(X_ref), torch.from_numpy(y_ref)  # (N, D) float32, (N,)
    items = pair(got, "(X, y): features (N, D) and labels (N,)")
    if isinstance(items, str):
        return items
    X, y = items
    if isinstance(X, torch.Tensor) and X.is_floating_point():
        X = X.float()  # float64 features are fine for an SVM
    problem = compare_tensors(X_ref, X, atol=1e-5, rtol=1e-4)
    if problem is not None:
        problem = f"X: {problem}"
        zero = (X_ref == 0).all(dim=1)  # (N,) rows of zeros, which stay zero
        if isinstance(X, torch.Tensor) and X.shape == X_ref.shape and zero.any() and \
                not X[zero].isfinite().all():
            row = int(zero.nonzero()[0])
            return Feedback(f"{problem}\nrow {row} of your X is NaN: image {row}'s features "
                            "are all zero, and dividing by a norm of 0 gives NaN",
                            "divide by the norm clamped away from zero, X.norm(dim=1, "
                            "keepdim=True).clamp_min(1e-12), so that a zero row stays zero")
        elif isinstance(X, torch.Tensor) and X.shape == X_ref.shape and X.isfinite().all():
            norms = X.norm(dim=1)[~zero]  # a zero row's norm is 0 in the reference too
            if not torch.allclose(norms, torch.ones_like(norms), atol=1e-3):
                low, high = f"{norms.min():.3g}", f"{norms.max():.3g}"
                spread = (f"all have L2 norm {low}" if low == high
                          else f"have L2 norms from {low} to {high}")
                problem += (f"\nthe rows of your X {spread}: each row (one image) must have "
                            "norm 1")
            else:
                problem += ("\nyour rows have norm 1 but other values: is the extractor in "
                            "eval mode, and are the images in the dataset's order?")
        return problem
    if isinstance(y, torch.Tensor) and not y.is_floating_point() and y.dtype != torch.bool:
        y = y.long()
    problem = compare_tensors(y_ref, y, atol=0, rtol=0)
    return None if problem is None else (
        f"y: {problem}\ny holds the dataset's labels, in the dataset's order")


L2_FEATURES = Question(
    id="l2-features",
    name="extract_l2_features",
    points=2,
    title="Features of a dataset, batched, one L2-normalized row per image: (X (N, D), y (N,))",
    cases=_features_cases,
    compare=_compare_features,
    hint="put the extractor in eval mode; loop over DataLoader(dataset, batch_size=batch_size) "
         "(no shuffling) under torch.no_grad(); flatten each output to (B, D); concatenate; "
         "divide each row by its L2 norm clamped away from zero, "
         "X / X.norm(dim=1, keepdim=True).clamp_min(1e-12), so that a row of zeros stays zero "
         "instead of becoming NaN.",
    apply=lambda answer, case: as_tensors(keywords("batch_size")(answer, case)),
    refuses=(extract_features, extract, extract_layers, forward_dataset, l2_normalize),
)


# --- svm-accuracy -----------------------------------------------------------------------------


def _blobs(seed: int, n_train: tuple[int, ...], n_test: tuple[int, ...], dim: int,
           spread: float) -> tuple[np.ndarray, ...]:
    """Gaussian classes around random centres, rows L2-normalized as features are.

    Returns X_train (sum(n_train), dim) float32, y_train, X_test, y_test (int64)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(n_train), dim))

    def draw(counts: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)]).astype(np.int64)
        X = centres[y] + spread * rng.normal(size=(len(y), dim))
        return l2_normalize(X.astype(np.float32)), y

    return (*draw(n_train), *draw(n_test))


def _svm_cases() -> list[Case]:
    # First, the case where the usual mistakes give four different accuracies (on the test
    # set 0.26; scored on the training set 0.62; fitted on the test set 0.99; fitted on the
    # test set and scored on the training set 0.96), so that feedback can say which was made.
    return [
        Case("X_train (24, 20) with classes of 12, 4, 4 and 4 images, X_test (160, 20) with 40 "
             "per class, rows L2-normalized; C=0.01",
             (*_blobs(3, (12, 4, 4, 4), (40,) * 4, 20, 1.2), 0.01)),
        Case("X_train (32, 32) with classes of 20, 6 and 6 images, X_test (180, 32) with 60 per "
             "class, rows L2-normalized; C left at its default",
             (*_blobs(0, (20, 6, 6), (60, 60, 60), 32, 1.5), None)),
        Case("X_train (32, 48), 8 images in each of 4 classes, X_test (200, 48), rows "
             "L2-normalized; C=1.0",
             (*_blobs(1, (8,) * 4, (50,) * 4, 48, 2.0), 1.0)),
    ]


def _compare_svm(case: Case, got: Any) -> str | None:
    X_train, y_train, X_test, y_test, C = case.args
    C = 1.0 if C is None else C
    expected = svm_accuracy(X_train, y_train, X_test, y_test, C=C)
    n = len(y_test)
    value = number(got)
    if value is None:
        return f"expected the test accuracy, a float in [0, 1], got {describe(got)}"
    # LinearSVC converges to the same solution whatever its random_state or max_iter, up to
    # a test image that lies on the boundary: one image of tolerance.
    if abs(value - expected) <= 1 / n + 1e-9:
        return None
    problem = (f"expected a test accuracy of {expected:.4f} ({round(expected * n)} of {n} test "
               f"images right), got {value:.4g}")
    if not 0 <= value <= 1:
        return problem + "\nan accuracy is a fraction in [0, 1], not a percentage or a count"
    # What the usual mistakes score, to name the one made; the case comes first among the
    # cases because there they all differ.
    def scores(fit: tuple[np.ndarray, np.ndarray], scored: tuple[np.ndarray, np.ndarray]) -> bool:
        """Whether ``value`` is, within one image, the accuracy on ``scored`` of an SVM fitted
        on ``fit``."""
        accuracy = svm_accuracy(*fit, *scored, C=C)
        return abs(value - accuracy) <= 1 / len(scored[1]) + 1e-9

    train, test = (X_train, y_train), (X_test, y_test)
    both = np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])
    on_train = scores(train, train)
    fitted_on_test = scores(test, test) or scores(both, test)
    swapped = scores(test, train)
    if fitted_on_test and on_train:
        problem += ("\nthat is what an SVM scores on the images it was fitted on: either it "
                    "was scored on the training set or it was fitted on the test set; fit it on "
                    "X_train, y_train only, then score it on X_test, y_test")
    elif fitted_on_test:
        problem += ("\nthat is the accuracy of an SVM fitted on the test set (alone or with "
                    "the training set), then scored on it: fit on X_train, y_train only; the "
                    "test images are for scoring, never for fitting")
    elif on_train:
        problem += ("\nthat is the accuracy on the training set: score the SVM on X_test, "
                    "y_test, images it was not trained on")
    elif swapped:
        problem += ("\nthat is an SVM fitted on the test set and scored on the training set: "
                    "the two sets are the wrong way round")
    return problem


SVM_ACCURACY = Question(
    id="svm-accuracy",
    name="svm_test_accuracy",
    points=2,
    title="Test accuracy of a linear SVM (LinearSVC, C=1 by default) fitted on training features",
    cases=_svm_cases,
    compare=_compare_svm,
    hint="fit sklearn.svm.LinearSVC(C=C) on X_train, y_train only, then return its accuracy on "
         "X_test, y_test (svm.score), a float in [0, 1]; C is a keyword with default 1.0.",
    apply=keywords("C"),
    refuses=(svm_accuracy, fit_svm),
)


# --- pca-features -----------------------------------------------------------------------------


def _anisotropic(seed: int, n_train: int, n_test: int, scales: tuple[float, ...],
                 dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Points whose variance is spread over a few well-separated directions of a random basis,
    around a mean far from 0: X_train (n_train, dim), X_test (n_test, dim), float32."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    sd = np.full(dim, 0.05)
    sd[: len(scales)] = scales
    mean = 3.0 * rng.normal(size=dim)

    def draw(n: int) -> np.ndarray:
        return (mean + (rng.normal(size=(n, dim)) * sd) @ basis.T).astype(np.float32)

    return draw(n_train), draw(n_test)


def _pca_cases() -> list[Case]:
    return [
        Case("X_train (40, 12), X_test (25, 12), float32, not centred; n_components=3",
             (*_anisotropic(0, 40, 25, (8.0, 5.0, 3.0, 1.5, 0.8), 12), 3)),
        Case("X_train (15, 40), fewer images than features as with few labels, X_test "
             "(10, 40); n_components=5",
             (*_anisotropic(1, 15, 10, (9.0, 6.0, 4.0, 2.5, 1.5, 0.5), 40), 5)),
    ]


def _compare_pca(case: Case, got: Any) -> str | None:
    X_train, X_test, k = case.args
    pca = PCA(n_components=k).fit(X_train.astype(np.float64))
    Z_train = torch.from_numpy(pca.transform(X_train.astype(np.float64)))  # (N_train, k)
    Z_test = torch.from_numpy(pca.transform(X_test.astype(np.float64)))  # (N_test, k)
    items = pair(got, "(Z_train, Z_test)")
    if isinstance(items, str):
        return items
    mine = []
    for name, z in zip(("Z_train", "Z_test"), items, strict=True):
        if not isinstance(z, torch.Tensor) or not z.is_floating_point():
            return f"{name}: expected a float array or tensor, got {describe(z)}"
        mine.append(z.double())
    got_train, got_test = mine
    if got_train.shape != Z_train.shape or got_test.shape != Z_test.shape:
        return (f"expected Z_train {tuple(Z_train.shape)} and Z_test {tuple(Z_test.shape)} "
                f"(one row per image, n_components={k} columns), got "
                f"{tuple(got_train.shape)} and {tuple(got_test.shape)}")
    # A principal direction is defined up to its sign: take each column's sign from the
    # training projections, and hold the test projections to the same signs.
    signs = torch.sign((got_train * Z_train).sum(dim=0))
    signs[signs == 0] = 1
    tolerance = {"atol": 1e-3, "rtol": 1e-3}
    problem = compare_tensors(Z_train, got_train * signs, **tolerance)
    if problem is not None:
        problem = f"Z_train (signs of components ignored): {problem}"
        if got_train.mean(dim=0).abs().max() > 1e-2:
            problem += ("\nyour Z_train columns do not average to 0: a PCA centres the data "
                        "on the training mean before projecting")
        return problem
    problem = compare_tensors(Z_test, got_test * signs, **tolerance)
    if problem is not None:
        return (f"Z_test (with the signs of Z_train's components): {problem}\nZ_train is "
                "right: project X_test with the same PCA, fitted on X_train only (its mean "
                "and components), never fitted again on X_test")
    return None


PCA_FEATURES = Question(
    id="pca-features",
    name="pca_features",
    points=1,
    title="PCA fitted on the training features, applied to both: (Z_train, Z_test)",
    cases=_pca_cases,
    compare=_compare_pca,
    hint="pca = PCA(n_components).fit(X_train); return pca.transform(X_train), "
         "pca.transform(X_test): the test set is projected with the training set's mean and "
         "components.",
    apply=lambda answer, case: as_tensors(answer(*case.args)),
)

PART = Part(
    id="1-transfer-learning",
    title="Transfer learning",
    questions=(RELU7_EXTRACTOR, PREPROCESS_GREY, L2_FEATURES, SVM_ACCURACY, PCA_FEATURES),
)

__all__ = ["PART", "PlainVGG", "StreamedImages"]
