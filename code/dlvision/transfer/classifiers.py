"""Classifiers on transferred features, and the baselines they are compared with.

Every experiment of Part 1 returns ``Result`` rows, so that one table can hold them all:

* ``svm_sweep``: a linear SVM on features cut at several layers, for several values of C
  (optionally after a PCA), the course's method;
* ``raw_pixels``: the same SVM on the pixels themselves: what features must beat;
* ``linear_probe``: a new last layer trained on the frozen network (the network itself as the
  classifier);
* ``fine_tune``: a new last layer, with the gradient also flowing into the layers above a cut
  point (or into the whole network);
* ``from_scratch``: the same architecture trained on the target task alone.

Each experiment runs once per configuration: its rows are kept under ``<cache dir>/results/``,
keyed by the network's weights (or the features' own keys), the data's fingerprints and every
setting, so that a rebuild of the book, or a build resumed after a failure, reads them back.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import ClassVar

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from torch import nn
from torch.utils.data import Dataset

from ..cache import (
    cache_key,
    default_cache_dir,
    load_or_build,
    source_fingerprint,
    weights_fingerprint,
)
from ..models import (
    TrainConfig,
    device_of,
    fit_classifier,
    layer_index,
    predict,
    pretrained,
    truncate,
    untrained,
    with_new_head,
)
from .features import (
    dataset_fingerprint,
    extract,
    extract_layers,
    forward_dataset,
)

# The training settings of each method (Adam, cross-entropy, about ``steps`` steps). A network
# being fine-tuned keeps its pretrained weights close with a small rate and weight decay.
PROBE = TrainConfig(lr=1e-3, weight_decay=0.0)
FINE_TUNING = TrainConfig(lr=1e-4, weight_decay=5e-4)
FROM_SCRATCH = TrainConfig(lr=1e-3, weight_decay=5e-4)
# The code a cached result depends on: the methods here, the feature extraction, the training
# loop and the network surgery (a new head, a cut). Editing any of them computes results again.
_CODE = ("dlvision.transfer", "dlvision.models.training", "dlvision.models.layers")


def _svm(C: float, pca: int | float | None, max_iter: int, seed: int):
    svm = LinearSVC(C=C, max_iter=max_iter, random_state=seed)
    return svm if pca is None else make_pipeline(PCA(n_components=pca, random_state=seed), svm)


def fit_svm(X: np.ndarray, y: np.ndarray, *, C: float = 1.0, pca: int | float | None = None,
            max_iter: int = 10_000, seed: int = 0):
    """A linear SVM (scikit-learn's ``LinearSVC``, one-vs-rest) fitted on features.

    X: (N, D) features, L2-normalized by ``extract_features``; y: (N,) labels.
    C : inverse regularization strength; the course uses C = 1.
    pca : None, or the number of principal components (int) or the share of variance to keep
        (float in (0, 1)) of a PCA fitted first.
    Returns the fitted estimator (``.predict(X)``, ``.score(X, y)``).
    """
    with warnings.catch_warnings():
        # A C far too large for the data converges slowly; the accuracy then says so, and a
        # warning per fit would only bury the chapter's output.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _svm(C, pca, max_iter, seed).fit(X, y)


def svm_accuracy(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                 y_test: np.ndarray, *, C: float = 1.0, pca: int | float | None = None) -> float:
    """Test accuracy in [0, 1] of a linear SVM fitted on the training features."""
    return float(fit_svm(X_train, y_train, C=C, pca=pca).score(X_test, y_test))


def cv_accuracy(X: np.ndarray, y: np.ndarray, *, C: float = 1.0,
                pca: int | float | None = None, folds: int = 5, seed: int = 0) -> float:
    """Mean accuracy of a linear SVM over stratified folds of the *training* set.

    Used to choose a layer or C without looking at the test set. ``folds`` is lowered to the
    size of the smallest class; NaN when a class has a single image.
    """
    folds = min(folds, int(np.bincount(y).min()))
    if folds < 2:
        return float("nan")
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(_svm(C, pca, 10_000, seed), X, y, cv=splitter)
    return float(scores.mean())


@dataclass(frozen=True)
class Result:
    """One row of the results table: a method, its setting, its accuracy and its cost.

    accuracy, train_accuracy, cv_accuracy : in [0, 1]; cv_accuracy (SVM rows only) is measured
        on folds of the training set, so it can pick a setting without the test set.
    n_per_class : training images per class.
    feature_size, components : length of the feature vectors, and how many principal components
        the PCA kept of them (rows with ``pca`` only).
    extract_seconds : computing the features (or the frozen part's outputs) for train and test.
    fit_seconds : fitting the classifier.
    predictions, targets : (N_test,) predicted and true labels, for a confusion matrix.
    """

    method: str
    accuracy: float
    n_per_class: int
    network: str = ""
    layer: str = ""
    global_pool: str | None = None
    feature_size: int | None = None
    C: float | None = None
    pca: int | float | None = None
    components: int | None = None
    train_accuracy: float | None = None
    cv_accuracy: float | None = None
    extract_seconds: float = 0.0
    fit_seconds: float = 0.0
    predictions: np.ndarray = field(default=None, repr=False, compare=False)
    targets: np.ndarray = field(default=None, repr=False, compare=False)

    # How ``dlvision.book.results_table`` shows each field: (key, header, format).
    COLUMNS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("method", "method", "{}"),
        ("network", "network", "{}"),
        ("features", "features", "{}"),
        ("feature_size", "size", "{:,}"),
        ("C", "C", "{:g}"),
        ("n_per_class", "labels / class", "{}"),
        ("accuracy", "test accuracy", "{:.1%}"),
        ("cv_accuracy", "CV accuracy", "{:.1%}"),
        ("extract_seconds", "features (s)", "{:.2f}"),
        ("fit_seconds", "fit (s)", "{:.2f}"),
    )

    @property
    def features(self) -> str:
        """The features in words: "relu7", "pool3, averaged over positions", "pixels",
        "relu7, PCA to 40 dimensions (95% of the variance)"."""
        if not self.layer:
            return ""
        pooled = {"avg": ", averaged over positions", "max": ", max over positions"}
        words = self.layer + pooled.get(self.global_pool, "")
        if self.pca is not None:
            kept = f" ({self.pca:.0%} of the variance)" if self.pca < 1 else ""
            words += f", PCA to {self.components} dimensions{kept}"
        return words


# --- the result cache: every experiment runs once per configuration ------------------------------


def _to_saved(rows: list[Result]) -> list[dict]:
    saved = []
    for r in rows:
        row = {f.name: getattr(r, f.name) for f in fields(Result)}
        for key in ("predictions", "targets"):  # torch.load(weights_only=True) reads tensors
            if row[key] is not None:
                row[key] = torch.from_numpy(np.asarray(row[key]))
        saved.append(row)
    return saved


def _from_saved(saved: list[dict]) -> list[Result]:
    return [Result(**{k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in row.items()})
            for row in saved]


def _cached(spec: dict | None, build: Callable[[], list[Result]], cache: bool) -> list[Result]:
    """``build()``, or the rows it gave for the same ``spec`` before, read from
    ``<cache dir>/results/``. ``spec`` holds everything that determines the rows (the network's
    and the data's fingerprints, the settings); None when something has no fingerprint."""
    if spec is None or not cache:
        return build()
    key = cache_key({**spec, "code": source_fingerprint(*_CODE)})
    path = default_cache_dir() / "results" / f"{key}.pt"
    saved, _ = load_or_build(path, lambda: _to_saved(build()), what="result cache")
    return _from_saved(saved)


def _data_spec(train: Dataset, test: Dataset) -> dict | None:
    prints = dataset_fingerprint(train), dataset_fingerprint(test)
    return None if None in prints else {"train": prints[0], "test": prints[1]}


def _per_class(targets: np.ndarray) -> int:
    return round(len(targets) / len(np.unique(targets)))


def _network(network: str | nn.Module) -> tuple[nn.Module, str]:
    """The network, and the name of its architecture for the results (``VGG``, ``MiniVGG``)."""
    model = pretrained(network) if isinstance(network, str) else network
    return model, type(model).__name__


def _svm_rows(tr, te, *, Cs, pca, cv_folds, cache=True, **fields) -> list[Result]:
    spec = None
    if tr.path is not None and te.path is not None:  # the features' own cache keys
        spec = {"method": "svm", "train": tr.path.stem, "test": te.path.stem, "Cs": list(Cs),
                "pca": pca, "cv_folds": cv_folds, "fields": fields}
    return _cached(spec, lambda: _fit_svm_rows(tr, te, Cs=Cs, pca=pca, cv_folds=cv_folds,
                                               **fields), cache)


def _fit_svm_rows(tr, te, *, Cs, pca, cv_folds, **fields) -> list[Result]:
    rows = []
    for C in Cs:
        start = time.perf_counter()
        svm = fit_svm(tr.features, tr.targets, C=C, pca=pca)
        fit_seconds = time.perf_counter() - start
        predictions = svm.predict(te.features)
        components = None if pca is None else int(svm[0].n_components_)
        rows.append(Result(
            accuracy=float((predictions == te.targets).mean()),
            train_accuracy=float(svm.score(tr.features, tr.targets)),
            cv_accuracy=cv_accuracy(tr.features, tr.targets, C=C, pca=pca, folds=cv_folds),
            n_per_class=_per_class(tr.targets), feature_size=tr.features.shape[1], C=C, pca=pca,
            components=components,
            extract_seconds=tr.seconds + te.seconds, fit_seconds=fit_seconds,
            predictions=predictions, targets=te.targets, **fields))
    return rows


def svm_sweep(
    network: str | nn.Module,
    train: Dataset,
    test: Dataset,
    *,
    layers: tuple[str, ...] = ("relu7",),
    Cs: tuple[float, ...] = (1.0,),
    global_pool: str | None = None,
    pca: int | float | None = None,
    cv_folds: int = 5,
    progress: bool = True,
) -> list[Result]:
    """A linear SVM on the features of each layer, for each C: one ``Result`` per pair.

    network : a name for ``pretrained`` ("vgg16", "squeezenet1_1") or a network.
    layers : cut points (``layer_names``); ``global_pool`` ("avg", "max") reduces
        convolutional maps to one value per channel (see ``truncate``).
    The features of all layers come from one pass over each dataset (``extract_layers``) and
    are cached; the time reported for a layer is what extracting it alone costs.
    """
    model, name = _network(network)
    train_features = extract_layers(model, layers, train, global_pool=global_pool,
                                    progress=progress, desc=f"{name} features (train)")
    test_features = extract_layers(model, layers, test, global_pool=global_pool,
                                   progress=progress, desc=f"{name} features (test)")
    rows = []
    for layer in layers:
        tr, te = train_features[layer], test_features[layer]
        rows += _svm_rows(tr, te, Cs=Cs, pca=pca, cv_folds=cv_folds, method="linear SVM",
                          network=name, layer=layer, global_pool=global_pool)
    return rows


def raw_pixels(train: Dataset, test: Dataset, *, C: float = 1.0, cv_folds: int = 5,
               progress: bool = True) -> Result:
    """The baseline: the same linear SVM on the flattened, L2-normalized pixels."""
    flat = nn.Flatten(1)
    tr = extract(flat, train, progress=progress, desc="pixels (train)")
    te = extract(flat, test, progress=progress, desc="pixels (test)")
    return _svm_rows(tr, te, Cs=(C,), pca=None, cv_folds=cv_folds, method="linear SVM",
                     layer="pixels")[0]


def _train_and_score(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor,
                     x_test: torch.Tensor, y_test: torch.Tensor, *, config: TrainConfig,
                     progress: bool, desc: str, **fields) -> Result:
    start = time.perf_counter()
    fit_classifier(model, x_train, y_train, epochs=config.epochs_for(len(x_train)),
                   batch_size=config.batch_size, lr=config.lr, weight_decay=config.weight_decay,
                   seed=config.seed, progress=progress, desc=desc)
    fit_seconds = time.perf_counter() - start
    predictions = predict(model, x_test).argmax(1).numpy()
    train_accuracy = (predict(model, x_train).argmax(1) == y_train).float().mean().item()
    return Result(accuracy=float((predictions == y_test.numpy()).mean()),
                  train_accuracy=train_accuracy, n_per_class=_per_class(y_train.numpy()),
                  fit_seconds=fit_seconds, predictions=predictions, targets=y_test.numpy(),
                  **fields)


def linear_probe(
    network: str | nn.Module,
    train: Dataset,
    test: Dataset,
    *,
    layer: str = "relu7",
    dropout: float = 0.5,
    config: TrainConfig = PROBE,
    cache: bool = True,
    progress: bool = True,
) -> Result:
    """A new last layer (dropout, then linear) trained on the frozen network's ``layer``.

    It is the network's own head put back on, with the target's classes: for VGG16 at
    ``relu7``, a fresh ``fc8`` after ``drop7``. The backbone is frozen and deterministic, so its
    outputs are computed once (and cached, without L2 normalization) and the head is trained on
    them as ``config`` says (Adam, cross-entropy, about ``config.steps`` steps): the same
    training as running the images through the whole network each time, much faster. With
    ``cache``, the result is kept on disk, keyed by the features and the settings.
    """
    model, name = _network(network)
    extractor = truncate(model, layer)
    tr = extract(extractor, train, normalize=False, progress=progress, desc=f"{layer} (train)")
    te = extract(extractor, test, normalize=False, progress=progress, desc=f"{layer} (test)")

    def build() -> list[Result]:
        n_classes = len(np.unique(tr.targets))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            head = nn.Sequential(nn.Dropout(dropout), nn.Linear(tr.features.shape[1], n_classes))
        head.to(device_of(model))  # trained where the network runs
        result = _train_and_score(
            head, torch.from_numpy(tr.features), torch.from_numpy(tr.targets),
            torch.from_numpy(te.features), torch.from_numpy(te.targets), config=config,
            progress=progress, desc=f"linear probe on {layer}",
            method="linear probe (new last layer)", network=name, layer=layer,
            feature_size=tr.features.shape[1])
        return [replace(result, extract_seconds=tr.seconds + te.seconds)]

    spec = None
    if tr.path is not None and te.path is not None:
        spec = {"method": "probe", "train": tr.path.stem, "test": te.path.stem, "layer": layer,
                "network": name, "dropout": dropout, "config": asdict(config)}
    return _cached(spec, build, cache)[0]


class _Frozen(nn.Module):
    """Wraps layers that must stay fixed: eval mode (batch-norm statistics included) even when
    the model around it is put in training mode, and no gradient."""

    def __init__(self, layers: nn.Module):
        super().__init__()
        self.layers = layers.requires_grad_(False).eval()

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def fine_tune(
    network: str | nn.Module,
    train: Dataset,
    test: Dataset,
    *,
    after: str | None = "pool4",
    config: TrainConfig = FINE_TUNING,
    cache: bool = True,
    progress: bool = True,
    return_model: bool = False,
) -> Result | tuple[Result, nn.Module]:
    """Fine-tuning: a new last layer, and the layers after ``after`` trained along with it.

    after : the last frozen layer; "pool4" trains VGG16's last convolutional block and its
        fully-connected layers; None trains the whole network.
    config : the training; its default ``FINE_TUNING`` has a small learning rate (1e-4), so
        that the pretrained weights are adjusted rather than overwritten (the new last layer
        starts from random weights and learns at the same rate).

    The frozen part is run once over the images (its outputs kept in memory) and the rest is
    trained on them with Adam and cross-entropy for about ``config.steps`` steps. With
    ``return_model`` the trained network (frozen part included) is returned too; otherwise,
    with ``cache``, the result is kept on disk, keyed by the network's weights, the data and
    the settings, and a second call reads it.
    """
    model, name = _network(network)

    def train_model() -> tuple[Result, nn.Module]:
        n_classes = len(torch.unique(torch.as_tensor(train.targets)))
        staged = with_new_head(model, n_classes, seed=config.seed)
        if after is None:
            bottom, top = nn.Identity(), staged
        else:
            end = layer_index(model, after)
            bottom, top = _Frozen(staged[: end + 1]), staged[end + 1 :]
        device = device_of(model)
        bottom.to(device)
        start = time.perf_counter()
        x_train, y_train = forward_dataset(bottom, train, device=device, flatten=False,
                                           progress=progress, desc="frozen layers (train)")
        x_test, y_test = forward_dataset(bottom, test, device=device, flatten=False,
                                         progress=progress, desc="frozen layers (test)")
        extract_seconds = time.perf_counter() - start
        layer = ("whole network" if after is None else f"after {after}") + f", lr {config.lr:g}"
        result = _train_and_score(
            top, x_train, y_train, x_test, y_test, config=config, progress=progress,
            desc=f"fine-tuning {layer}", method="fine-tuning", network=name, layer=layer)
        return replace(result, extract_seconds=extract_seconds), nn.Sequential(bottom, top)

    if return_model:
        return train_model()
    data = _data_spec(train, test)
    spec = None if data is None else {"method": "fine-tuning", "after": after, "network": name,
                                      "weights": weights_fingerprint(model),
                                      "config": asdict(config), **data}
    return _cached(spec, lambda: [train_model()[0]], cache)[0]


def from_scratch(
    name: str,
    train: Dataset,
    test: Dataset,
    *,
    config: TrainConfig = FROM_SCRATCH,
    cache: bool = True,
    progress: bool = True,
) -> Result:
    """The architecture of ``pretrained(name)``, randomly initialized and trained on ``train``
    alone as ``config`` says: what transfer is measured against. With ``cache``, the result is
    kept on disk, keyed by the initial weights, the data and the settings."""
    n_classes = len(torch.unique(torch.as_tensor(train.targets)))
    model = untrained(name, num_classes=n_classes, seed=config.seed)

    def build() -> list[Result]:
        identity = nn.Identity()
        x_train, y_train = forward_dataset(identity, train, flatten=False, progress=False)
        x_test, y_test = forward_dataset(identity, test, flatten=False, progress=False)
        return [_train_and_score(
            model, x_train, y_train, x_test, y_test, config=config, progress=progress,
            desc=f"training {name} from scratch", method="trained from scratch",
            network=type(model).__name__)]

    data = _data_spec(train, test)
    spec = None if data is None else {"method": "from scratch", "network": name,
                                      "weights": weights_fingerprint(model),
                                      "config": asdict(config), **data}
    return _cached(spec, build, cache)[0]


def best(results: list[Result], *, by: str = "cv_accuracy") -> Result:
    """The row with the highest ``by`` (rows where it is missing or NaN are skipped).

    Ties go to the shortest feature vectors (the simpler description, and the cheaper one to
    fit), then to the earliest row: a few dozen images often give two layers the same
    cross-validated accuracy.
    """
    scored = [r for r in results if getattr(r, by) is not None and not math.isnan(getattr(r, by))]
    if not scored:
        raise ValueError(f"no result has a value for {by!r}")
    top = max(getattr(r, by) for r in scored)
    return min((r for r in scored if getattr(r, by) == top),
               key=lambda r: r.feature_size if r.feature_size is not None else math.inf)


def accuracy_at(results: list[Result], layer: str) -> float | None:
    """The test accuracy of the first row cut at ``layer``; None when no row is."""
    return next((r.accuracy for r in results if r.layer == layer), None)
