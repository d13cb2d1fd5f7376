"""Wrong and right answers to exercise 1, transfer learning."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize as sk_normalize
from sklearn.svm import SVC, LinearSVC
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms as T
from torchvision.transforms import functional as TF

import dlvision
from dlvision.transfer import extract_features, svm_accuracy

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


# relu7-extractor ------------------------------------------------------------------------------

def _cut(vgg, n_classifier_layers):
    return nn.Sequential(vgg.features, vgg.avgpool, nn.Flatten(),
                         *list(vgg.classifier.children())[:n_classifier_layers])


def cut_at_fc7(vgg):
    """Stops at fc7, before its ReLU: negative activations are kept."""
    return _cut(vgg, 4).eval()


def cut_at_relu6(vgg):
    """Off by one layer: stops after relu6."""
    return _cut(vgg, 2).eval()


def dropout_left_in_training_mode(vgg):
    """The right layers, but the module is left in training mode: dropout stays active."""
    return _cut(vgg, 5)


def frozen_but_training_mode(vgg):
    """Freezes the weights (requires_grad=False) and takes that for eval mode."""
    extractor = _cut(vgg, 5)
    for p in extractor.parameters():
        p.requires_grad_(False)
    return extractor


def classifier_only_in_eval_mode(vgg):
    """Puts only the fully-connected part in eval mode: batch norm still uses batch statistics."""
    extractor = _cut(vgg, 5).train()
    for m in list(extractor.children())[3:]:
        m.eval()
    return extractor


def whole_network(vgg):
    """Returns the whole network: class scores (fc8), not features."""
    return vgg.eval()


def avgpool_forgotten(vgg):
    """Skips the average pooling between the convolutions and fc6."""
    return nn.Sequential(vgg.features, nn.Flatten(),
                         *list(vgg.classifier.children())[:5]).eval()


def flatten_forgotten(vgg):
    """No flatten between the pooled maps (N, C, h, w) and fc6."""
    return nn.Sequential(vgg.features, vgg.avgpool, *list(vgg.classifier.children())[:5]).eval()


def convolutional_part_only(vgg):
    """Stops at pool5 (the convolutional features), before the fully-connected layers."""
    return nn.Sequential(vgg.features, vgg.avgpool, nn.Flatten()).eval()


def returns_the_features_of_a_batch(vgg):
    """Calls the network instead of returning a module."""
    return vgg(torch.zeros(1, 3, 32, 32))


def calls_truncate(vgg):
    """Calls the package's reference, dlvision.transfer.truncate, instead of cutting."""
    return dlvision.transfer.truncate(vgg, "relu7").eval()


def extractor_by_replacing_the_head(vgg):
    extractor = copy.deepcopy(vgg)
    extractor.classifier[6] = nn.Identity()  # drop7 stays, which does nothing in eval mode
    return extractor.eval()


def extractor_with_named_layers(vgg):
    classifier = vgg.classifier
    return nn.Sequential(
        vgg.features, vgg.avgpool, nn.Flatten(start_dim=1),
        classifier[0], classifier[1], classifier[2], classifier[3], classifier[4],
    ).eval()


class _Relu7(nn.Module):
    def __init__(self, vgg):
        super().__init__()
        self.vgg = vgg

    def forward(self, x):
        x = torch.flatten(self.vgg.avgpool(self.vgg.features(x)), 1)
        return self.vgg.classifier[:5](x)


def extractor_as_a_module_class(vgg):
    return _Relu7(vgg).eval()


# preprocess-grey ------------------------------------------------------------------------------

def _grey_tensor(image):
    return TF.to_tensor(image) if isinstance(image, Image.Image) else image


def _normalize(x):
    return TF.normalize(x, MEAN, STD)


def not_normalized(image, size=224):
    """Resizes and repeats the channel, but feeds pixels in [0, 1]."""
    return TF.resize(_grey_tensor(image), [size, size], antialias=True).repeat(3, 1, 1)


def mean_and_std_swapped(image, size=224):
    """Uses the standard deviations as the means and the other way round."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True).repeat(3, 1, 1)
    return TF.normalize(x, STD, MEAN)


def channel_not_repeated(image, size=224):
    """Keeps a single channel, normalized with the red statistics: (1, size, size)."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True)
    return TF.normalize(x, MEAN[:1], STD[:1])


def nearest_neighbour_resize(image, size=224):
    """Resizes by nearest neighbour: blocky when enlarging, aliased when shrinking."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True,
                  interpolation=T.InterpolationMode.NEAREST)
    return _normalize(x.repeat(3, 1, 1))


def shrinks_without_antialiasing(image, size=224):
    """Bilinear interpolation without antialiasing: each output pixel reads 4 input pixels."""
    x = F.interpolate(_grey_tensor(image)[None], size=(size, size), mode="bilinear",
                      align_corners=False, antialias=False)[0]
    return _normalize(x.repeat(3, 1, 1))


def resize_then_center_crop(image, size=224):
    """Resizes the shorter side and crops the centre (ImageNet's evaluation transform): part of
    the scene is lost, where the course resizes the whole image."""
    x = TF.center_crop(TF.resize(_grey_tensor(image), size, antialias=True), [size, size])
    return _normalize(x.repeat(3, 1, 1))


def pixels_left_in_0_255(image, size=224):
    """Reads a PIL image with NumPy and forgets to divide by 255."""
    if isinstance(image, Image.Image):
        image = torch.from_numpy(np.array(image)).float()[None]
    x = TF.resize(image, [size, size], antialias=True).repeat(3, 1, 1)
    return _normalize(x)


def width_and_height_swapped(image, size=224):
    """Transposes the PIL image's pixel array: rows become columns."""
    if isinstance(image, Image.Image):
        image = torch.from_numpy(np.array(image).T.copy()).float()[None] / 255
    x = TF.resize(image, [size, size], antialias=True).repeat(3, 1, 1)
    return _normalize(x)


def half_half_normalization(image, size=224):
    """Normalizes with mean 0.5 and std 0.5 (a GAN's convention), not ImageNet's statistics."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True).repeat(3, 1, 1)
    return TF.normalize(x, [0.5] * 3, [0.5] * 3)


def size_ignored(image, size=224):
    """Always resizes to 224×224, whatever size is asked."""
    x = TF.resize(_grey_tensor(image), [224, 224], antialias=True).repeat(3, 1, 1)
    return _normalize(x)


def default_size_256(image, size=256):
    """The wrong default size: 256 (ImageNet's resize before cropping), not 224."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True).repeat(3, 1, 1)
    return _normalize(x)


def batch_dimension_added(image, size=224):
    """Returns a batch of one, (1, 3, size, size), instead of one image."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True).repeat(3, 1, 1)
    return _normalize(x)[None]


def luminance_weighted_channels(image, size=224):
    """Scales the three copies by the luminance weights of a colour-to-grey conversion."""
    x = TF.resize(_grey_tensor(image), [size, size], antialias=True)
    x = x * torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
    return _normalize(x)


def calls_preprocess(image, size=224):
    """Calls the package's reference, dlvision.data.preprocess."""
    return dlvision.data.preprocess(image, size=size)


def preprocess_with_pil(image, size=224):
    if not isinstance(image, Image.Image):
        image = TF.to_pil_image(image)  # a float tensor in [0, 1] becomes 8-bit grey
    rgb = image.convert("RGB").resize((size, size), Image.BILINEAR)
    return _normalize(TF.to_tensor(rgb))


def preprocess_with_transforms(image, size=224):
    pipeline = T.Compose([T.Resize((size, size), antialias=True),
                          T.Lambda(lambda x: x.expand(3, -1, -1)), T.Normalize(MEAN, STD)])
    if isinstance(image, Image.Image):
        image = T.ToTensor()(image)
    return pipeline(image)


def preprocess_with_interpolate(image, size=224):
    if isinstance(image, Image.Image):
        image = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255)[None]
    x = F.interpolate(image[None], size=(size, size), mode="bilinear", antialias=True)[0]
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    return (torch.cat([x, x, x]) - mean) / std


# l2-features ----------------------------------------------------------------------------------

def _features(extractor, dataset, batch_size=64, *, eval_mode=True, shuffle=False,
              drop_last=False, flatten=True):
    if eval_mode:
        extractor.eval()
    outputs, labels = [], []
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    with torch.no_grad():
        for x, y in loader:
            out = extractor(x)
            outputs.append(out.flatten(1) if flatten else out)
            labels.append(y)
    return torch.cat(outputs), torch.cat(labels)


def l1_normalized(extractor, dataset, batch_size=64):
    """Divides each row by its L1 norm (sum of absolute values) instead of its L2 norm."""
    X, y = _features(extractor, dataset, batch_size)
    return X / X.abs().sum(dim=1, keepdim=True), y


def columns_normalized(extractor, dataset, batch_size=64):
    """Normalizes the columns (each feature over the images): the wrong axis."""
    X, y = _features(extractor, dataset, batch_size)
    return X / X.norm(dim=0, keepdim=True).clamp_min(1e-12), y


def squared_norm(extractor, dataset, batch_size=64):
    """Divides by the squared norm (the sum of squares) instead of the norm."""
    X, y = _features(extractor, dataset, batch_size)
    return X / (X**2).sum(dim=1, keepdim=True), y


def whole_matrix_normalized(extractor, dataset, batch_size=64):
    """Divides the whole matrix by one norm instead of each row by its own."""
    X, y = _features(extractor, dataset, batch_size)
    return X / X.norm(), y


def not_normalized_features(extractor, dataset, batch_size=64):
    """Returns the raw activations."""
    return _features(extractor, dataset, batch_size)


def extractor_in_training_mode(extractor, dataset, batch_size=64):
    """Forgets eval mode: dropout is active and batch norm uses each batch's statistics."""
    X, y = _features(extractor, dataset, batch_size, eval_mode=False)
    return F.normalize(X, dim=1), y


def not_flattened(extractor, dataset, batch_size=64):
    """Normalizes convolutional maps (N, C, H, W) over the channels, without flattening."""
    X, y = _features(extractor, dataset, batch_size, flatten=False)
    return F.normalize(X, dim=1), y


def shuffled_loader(extractor, dataset, batch_size=64):
    """Shuffles the images: the rows no longer follow the dataset's order."""
    X, y = _features(extractor, dataset, batch_size, shuffle=True)
    return F.normalize(X, dim=1), y


def last_batch_dropped(extractor, dataset, batch_size=64):
    """drop_last=True: the images of an incomplete last batch are lost."""
    X, y = _features(extractor, dataset, batch_size, drop_last=True)
    return F.normalize(X, dim=1), y


def first_batch_only(extractor, dataset, batch_size=64):
    """Returns after the first batch (a `return` inside the loop)."""
    extractor.eval()
    with torch.no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            return F.normalize(extractor(x).flatten(1), dim=1), y
    raise ValueError("empty dataset")


def in_memory_only(extractor, dataset, batch_size=64):
    """Reads dataset.images and dataset.targets: fails on a dataset read from files."""
    extractor.eval()
    with torch.no_grad():
        X = extractor(dataset.images).flatten(1)
    return F.normalize(X, dim=1), dataset.targets


def unguarded_division(extractor, dataset, batch_size=64):
    """Divides each row by its norm without a guard: a row of zeros becomes NaN."""
    X, y = _features(extractor, dataset, batch_size)
    return X / X.norm(dim=1, keepdim=True), y


def calls_extract_features(extractor, dataset, batch_size=64):
    """Calls the package's reference, dlvision.transfer.extract_features."""
    return extract_features(extractor, dataset, batch_size=batch_size, cache=False,
                            progress=False)


def features_with_sklearn(extractor, dataset, batch_size=64):
    extractor.eval()
    rows, labels = [], []
    with torch.inference_mode():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            rows.append(extractor(x).reshape(len(x), -1).numpy())
            labels.append(y.numpy())
    return sk_normalize(np.concatenate(rows)), np.concatenate(labels)


def features_one_image_at_a_time(extractor, dataset, batch_size=64):
    extractor.eval()
    rows, labels = [], []
    with torch.no_grad():
        for i in range(len(dataset)):
            image, label = dataset[i]
            rows.append(extractor(image.unsqueeze(0)).view(-1))
            labels.append(label)
    X = torch.stack(rows)
    norms = torch.linalg.vector_norm(X, dim=1, keepdim=True)
    return X / torch.where(norms > 0, norms, 1.0), torch.tensor(labels)  # 0 / 1 for a zero row


# svm-accuracy ---------------------------------------------------------------------------------

def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def training_accuracy(X_train, y_train, X_test, y_test, C=1.0):
    """Scores the SVM on the images it was trained on."""
    return _fit(LinearSVC(C=C), X_train, y_train).score(X_train, y_train)


def train_and_test_swapped(X_train, y_train, X_test, y_test, C=1.0):
    """Trains on the test set and scores on the training set."""
    return _fit(LinearSVC(C=C), X_test, y_test).score(X_train, y_train)


def C_ignored(X_train, y_train, X_test, y_test, C=1.0):
    """Always uses LinearSVC's own default, C=1."""
    return _fit(LinearSVC(), X_train, y_train).score(X_test, y_test)


def wrong_default_C(X_train, y_train, X_test, y_test, C=0.1):
    """The wrong default: C=0.1."""
    return _fit(LinearSVC(C=C), X_train, y_train).score(X_test, y_test)


def percentage(X_train, y_train, X_test, y_test, C=1.0):
    """Returns a percentage instead of a fraction."""
    return 100 * _fit(LinearSVC(C=C), X_train, y_train).score(X_test, y_test)


def error_rate(X_train, y_train, X_test, y_test, C=1.0):
    """Returns the error rate, 1 - accuracy."""
    return 1 - _fit(LinearSVC(C=C), X_train, y_train).score(X_test, y_test)


def number_right(X_train, y_train, X_test, y_test, C=1.0):
    """Counts the right predictions instead of averaging them."""
    svm = _fit(LinearSVC(C=C), X_train, y_train)
    return int((svm.predict(X_test) == y_test).sum())


def trained_on_train_and_test(X_train, y_train, X_test, y_test, C=1.0):
    """Trains on the test images too, then scores on them."""
    X = np.concatenate([X_train, X_test])
    y = np.concatenate([y_train, y_test])
    return _fit(LinearSVC(C=C), X, y).score(X_test, y_test)


def logistic_regression(X_train, y_train, X_test, y_test, C=1.0):
    """Another linear classifier: logistic regression, not an SVM."""
    return _fit(LogisticRegression(C=C), X_train, y_train).score(X_test, y_test)


def rbf_kernel(X_train, y_train, X_test, y_test, C=1.0):
    """A kernel SVM (RBF), not a linear one."""
    return _fit(SVC(C=C), X_train, y_train).score(X_test, y_test)


def fitted_on_test_set(X_train, y_train, X_test, y_test, C=1.0):
    """Fits the SVM on the test set, then scores it there."""
    return _fit(LinearSVC(C=C), X_test, y_test).score(X_test, y_test)


def calls_svm_accuracy(X_train, y_train, X_test, y_test, C=1.0):
    """Calls the package's reference, dlvision.transfer.svm_accuracy."""
    return svm_accuracy(X_train, y_train, X_test, y_test, C=C)


def majority_class(X_train, y_train, X_test, y_test, C=1.0):
    """Predicts the most frequent training class for every test image."""
    return float(np.mean(y_test == np.bincount(y_train).argmax()))


def svm_with_predict(X_train, y_train, X_test, y_test, *, C=1.0):
    svm = LinearSVC(C=C, dual=False)  # the primal problem: same solution
    svm.fit(X_train, y_train)
    return float(np.mean(svm.predict(X_test) == y_test))


def svm_with_accuracy_score(X_train, y_train, X_test, y_test, C=1.0):
    from sklearn.metrics import accuracy_score

    svm = _fit(LinearSVC(C=C, random_state=42, max_iter=5000), torch.as_tensor(X_train),
               y_train)
    return accuracy_score(y_test, svm.predict(X_test))


# pca-features ---------------------------------------------------------------------------------

def pca_fitted_on_train_and_test(X_train, X_test, n_components):
    """Fits the PCA on the training and test features together (the test set leaks in)."""
    pca = PCA(n_components).fit(np.concatenate([X_train, X_test]))
    return pca.transform(X_train), pca.transform(X_test)


def pca_fitted_again_on_test(X_train, X_test, n_components):
    """Fits a second PCA on the test set: other axes than the SVM was trained on."""
    return (PCA(n_components).fit_transform(X_train), PCA(n_components).fit_transform(X_test))


def not_centred(X_train, X_test, n_components):
    """A truncated SVD without centring: the first axis points at the mean."""
    svd = TruncatedSVD(n_components, algorithm="arpack").fit(X_train)
    return svd.transform(X_train), svd.transform(X_test)


def test_centred_on_its_own_mean(X_train, X_test, n_components):
    """Right axes, but the test set is centred on its own mean."""
    pca = PCA(n_components).fit(X_train)
    Z_test = (X_test - X_test.mean(axis=0)) @ pca.components_.T
    return pca.transform(X_train), Z_test


def whitened(X_train, X_test, n_components):
    """whiten=True: every component rescaled to unit variance."""
    pca = PCA(n_components, whiten=True).fit(X_train)
    return pca.transform(X_train), pca.transform(X_test)


def smallest_components(X_train, X_test, n_components):
    """Keeps the directions of least variance instead of most."""
    mean = X_train.mean(axis=0)
    _, _, Vt = np.linalg.svd(X_train - mean, full_matrices=False)
    rank = min(X_train.shape) - 1  # the last direction of a centred set has no variance
    axes = Vt[rank - n_components : rank]
    return (X_train - mean) @ axes.T, (X_test - mean) @ axes.T


def n_components_ignored(X_train, X_test, n_components):
    """Keeps every component."""
    pca = PCA().fit(X_train)
    return pca.transform(X_train), pca.transform(X_test)


def returns_the_reconstruction(X_train, X_test, n_components):
    """Projects and maps back to the original space (inverse_transform)."""
    pca = PCA(n_components).fit(X_train)
    return (pca.inverse_transform(pca.transform(X_train)),
            pca.inverse_transform(pca.transform(X_test)))


def pca_with_svd(X_train, X_test, n_components):
    X_train = X_train.astype(np.float64)
    mean = X_train.mean(axis=0)
    _, _, Vt = np.linalg.svd(X_train - mean, full_matrices=False)
    axes = Vt[:n_components].T  # (D, k)
    return (X_train - mean) @ axes, (X_test - mean) @ axes


def pca_with_torch_eigh(X_train, X_test, n_components):
    X = torch.as_tensor(X_train, dtype=torch.float64)
    mean = X.mean(dim=0)
    covariance = (X - mean).T @ (X - mean) / (len(X) - 1)
    _, vectors = torch.linalg.eigh(covariance)  # ascending eigenvalues
    axes = vectors.flip(1)[:, :n_components]
    return (X - mean) @ axes, (torch.as_tensor(X_test, dtype=torch.float64) - mean) @ axes


MUTANTS = {
    "relu7-extractor": [cut_at_fc7, cut_at_relu6, dropout_left_in_training_mode,
                        frozen_but_training_mode, classifier_only_in_eval_mode, whole_network,
                        avgpool_forgotten, flatten_forgotten, convolutional_part_only,
                        returns_the_features_of_a_batch, calls_truncate],
    "preprocess-grey": [not_normalized, mean_and_std_swapped, channel_not_repeated,
                        nearest_neighbour_resize, shrinks_without_antialiasing,
                        resize_then_center_crop, pixels_left_in_0_255, width_and_height_swapped,
                        half_half_normalization, size_ignored, default_size_256,
                        batch_dimension_added, luminance_weighted_channels, calls_preprocess],
    "l2-features": [l1_normalized, columns_normalized, squared_norm, whole_matrix_normalized,
                    not_normalized_features, extractor_in_training_mode, not_flattened,
                    shuffled_loader, last_batch_dropped, first_batch_only, in_memory_only,
                    unguarded_division, calls_extract_features],
    "svm-accuracy": [training_accuracy, train_and_test_swapped, C_ignored, wrong_default_C,
                     percentage, error_rate, number_right, trained_on_train_and_test,
                     logistic_regression, rbf_kernel, majority_class, fitted_on_test_set,
                     calls_svm_accuracy],
    "pca-features": [pca_fitted_on_train_and_test, pca_fitted_again_on_test, not_centred,
                     test_centred_on_its_own_mean, whitened, smallest_components,
                     n_components_ignored, returns_the_reconstruction],
}

ALTERNATIVES = {
    "relu7-extractor": [extractor_by_replacing_the_head, extractor_with_named_layers,
                        extractor_as_a_module_class],
    "preprocess-grey": [preprocess_with_pil, preprocess_with_transforms,
                        preprocess_with_interpolate],
    "l2-features": [features_with_sklearn, features_one_image_at_a_time],
    "svm-accuracy": [svm_with_predict, svm_with_accuracy_score],
    "pca-features": [pca_with_svd, pca_with_torch_eigh],
}
