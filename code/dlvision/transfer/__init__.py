"""Transfer learning by feature extraction: cut a pretrained network, describe each image by
the activation of one layer, and fit a linear classifier on these descriptions.

``features``     runs a cut network over a dataset: batched, L2-normalized, cached on disk;
``classifiers``  the linear SVM, and what it is compared with (raw pixels, a linear probe,
                 fine-tuning, training from scratch), each returning ``Result`` rows.

Cutting a network (``truncate``, ``layer_names``...) is a tool on networks, kept in
``dlvision.models`` and re-exported here for the chapters and exercises. The course's
procedure in four calls::

    vgg = dlvision.models.pretrained("vgg16")
    extractor = truncate(vgg, "relu7")
    X_train, y_train = extract_features(extractor, scenes15("train"))
    X_test, y_test = extract_features(extractor, scenes15("test"))
    accuracy = svm_accuracy(X_train, y_train, X_test, y_test, C=1.0)
"""

from ..data.transforms import preprocess
from ..models import (
    TrainConfig,
    as_sequential,
    layer_index,
    layer_names,
    parameter_table,
    split,
    top_k,
    truncate,
    with_new_head,
)
from .classifiers import (
    FINE_TUNING,
    FROM_SCRATCH,
    PROBE,
    Result,
    accuracy_at,
    best,
    cv_accuracy,
    fine_tune,
    fit_svm,
    from_scratch,
    linear_probe,
    raw_pixels,
    svm_accuracy,
    svm_sweep,
)
from .features import (
    Extraction,
    dataset_fingerprint,
    extract,
    extract_features,
    extract_layers,
    forward_dataset,
    l2_normalize,
)

__all__ = [
    "FINE_TUNING",
    "FROM_SCRATCH",
    "PROBE",
    "Extraction",
    "Result",
    "TrainConfig",
    "accuracy_at",
    "as_sequential",
    "best",
    "cv_accuracy",
    "dataset_fingerprint",
    "extract",
    "extract_features",
    "extract_layers",
    "fine_tune",
    "fit_svm",
    "forward_dataset",
    "from_scratch",
    "l2_normalize",
    "layer_index",
    "layer_names",
    "linear_probe",
    "parameter_table",
    "preprocess",
    "raw_pixels",
    "split",
    "svm_accuracy",
    "svm_sweep",
    "top_k",
    "truncate",
    "with_new_head",
]
