"""Transfer learning: cut points, feature extraction and its cache, classifiers, the mini claim."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.models import squeezenet1_1, vgg16

import dlvision
from dlvision.book import results_table
from dlvision.data import ImageTensorDataset, denormalize, load_image, scenes15
from dlvision.data.scenes15 import ImageFileDataset
from dlvision.models import MiniSqueezeNet, MiniVGG, pretrained, weights_path
from dlvision.models.zoo import untrained
from dlvision.transfer import (
    FINE_TUNING,
    FROM_SCRATCH,
    PROBE,
    Result,
    as_sequential,
    best,
    cv_accuracy,
    extract,
    extract_features,
    extract_layers,
    fine_tune,
    fit_svm,
    from_scratch,
    l2_normalize,
    layer_names,
    linear_probe,
    parameter_table,
    preprocess,
    raw_pixels,
    split,
    svm_accuracy,
    svm_sweep,
    top_k,
    truncate,
    with_new_head,
)
from dlvision.transfer import features as features_module


def _seeded(build, seed=0):
    torch.manual_seed(seed)
    return build().eval()


@pytest.fixture(scope="module")
def random_vgg16():
    return _seeded(vgg16)


@pytest.fixture(scope="module")
def mini_vgg():
    """A MiniVGG with random weights and non-trivial batch-norm statistics."""
    model = _seeded(MiniVGG)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    return model


@pytest.fixture(scope="module")
def tiny_data():
    """Two small in-memory datasets of (3, 32, 32) images with three classes."""
    gen = torch.Generator().manual_seed(0)
    train = ImageTensorDataset(torch.randn(12, 3, 32, 32, generator=gen),
                               torch.arange(12) % 3, ["a", "b", "c"])
    test = ImageTensorDataset(torch.randn(9, 3, 32, 32, generator=gen),
                              torch.arange(9) % 3, ["a", "b", "c"])
    return train, test


# --- layer names and truncation -----------------------------------------------------------------


def test_vgg16_layer_names_follow_the_paper(random_vgg16):
    names = layer_names(random_vgg16)
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert names[-8:] == ["avgpool", "fc6", "relu6", "drop6", "fc7", "relu7", "drop7", "fc8"]
    assert sum(n.startswith("conv") for n in names) == 13 and "conv5_3" in names


def test_batch_norm_vgg_gets_the_same_names_plus_bn():
    names = layer_names(MiniVGG())
    assert names[:4] == ["conv1_1", "bn1_1", "relu1_1", "conv1_2"]
    without_bn = [n for n in names if not n.startswith("bn")]
    assert without_bn == layer_names(vgg16())


def test_squeezenet_layer_names_count_fire_modules_from_two():
    assert layer_names(squeezenet1_1())[-6:] == ["fire8", "fire9", "drop10", "conv10", "relu10",
                                                  "avgpool10"]
    assert layer_names(MiniSqueezeNet())[:6] == ["conv1", "bn1", "relu1", "pool1", "fire2",
                                                 "fire3"]


def test_truncate_at_relu7_and_pool5_gives_vgg16_feature_sizes_at_224(random_vgg16):
    x = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        assert truncate(random_vgg16, "relu7")(x).shape == (1, 4096)
        pool5 = truncate(random_vgg16, "pool5")(x)
    assert pool5.shape == (1, 512, 7, 7) and pool5.flatten(1).shape[1] == 25088


def _intermediate_values(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every named layer's output during one forward pass of the *whole* network."""
    values, hooks = {}, []
    for name, module in as_sequential(model).named_children():
        def keep(_, __, out, name=name):
            values[name] = out.detach().clone()  # in-place ReLUs overwrite conv outputs later
        if name != "flatten":
            hooks.append(module.register_forward_hook(keep))
    with torch.inference_mode():
        values["output"] = model(x)
    for h in hooks:
        h.remove()
    return values


@pytest.mark.parametrize("build, size, layers", [
    (vgg16, 64, ["conv1_1", "relu2_2", "pool3", "conv5_3", "relu5_3", "pool5", "avgpool", "fc6",
                 "relu6", "fc7", "relu7", "fc8"]),
    (squeezenet1_1, 64, ["conv1", "pool1", "fire2", "fire5", "fire9", "conv10", "avgpool10"]),
    (MiniVGG, 32, None),
    (MiniSqueezeNet, 32, None),
])
def test_truncate_matches_the_full_networks_intermediate_values(build, size, layers):
    model = _seeded(build)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    values = _intermediate_values(model, x)
    for layer in layers or layer_names(model):
        with torch.inference_mode():
            out = truncate(model, layer)(x)
        assert torch.allclose(out, values[layer], atol=1e-5), layer
    with torch.inference_mode():
        assert torch.allclose(as_sequential(model)(x), values["output"], atol=1e-5)


def test_truncate_at_relu7_of_vgg16_matches_the_full_network(random_vgg16):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    values = _intermediate_values(random_vgg16, x)
    with torch.inference_mode():
        assert torch.equal(truncate(random_vgg16, "relu7")(x), values["relu7"])


def test_truncate_shares_the_networks_layers(mini_vgg):
    cut = truncate(mini_vgg, "relu7")
    assert cut.conv1_1 is mini_vgg.features[0] and cut.fc7 is mini_vgg.classifier[3]
    assert list(cut._modules)[-1] == "relu7"


def test_features_alias_ends_at_the_convolutional_part(mini_vgg):
    assert list(truncate(mini_vgg, "features")._modules)[-1] == "pool5"
    assert list(truncate(MiniSqueezeNet(), "features")._modules)[-1] == "fire7"


@pytest.mark.parametrize("pool, reduce", [("avg", torch.mean), ("max", torch.amax)])
def test_global_pool_reduces_each_channel_over_positions(mini_vgg, pool, reduce):
    x = torch.randn(3, 3, 32, 32)
    with torch.inference_mode():
        maps = truncate(mini_vgg, "relu3_3")(x)  # (3, 64, 8, 8)
        pooled = truncate(mini_vgg, "relu3_3", global_pool=pool)(x)
    assert pooled.shape == (3, 64)
    assert torch.allclose(pooled, reduce(maps, dim=(2, 3)), atol=1e-6)


def test_unknown_layer_is_a_value_error_listing_the_valid_names(mini_vgg):
    with pytest.raises(ValueError, match=r"unknown layer 'relu8' for MiniVGG; valid names are "
                                         r"conv1_1, bn1_1, .*relu7, drop7, fc8"):
        truncate(mini_vgg, "relu8")


@pytest.mark.parametrize("layer, pool, match", [
    ("relu7", "avg", "already gives one vector"),
    ("pool3", "median", "global_pool must be one of"),
])
def test_bad_global_pool_is_a_value_error(mini_vgg, layer, pool, match):
    with pytest.raises(ValueError, match=match):
        truncate(mini_vgg, layer, global_pool=pool)


def test_other_architectures_are_a_type_error():
    with pytest.raises(TypeError, match="VGG- or SqueezeNet-shaped network"):
        layer_names(nn.Sequential(nn.Conv2d(3, 4, 3)))


def test_split_puts_the_network_back_together(mini_vgg):
    bottom, top = split(mini_vgg, "pool4")
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        assert torch.allclose(top(bottom(x)), mini_vgg(x), atol=1e-6)
    assert list(bottom._modules)[-1] == "pool4" and next(iter(top._modules)) == "conv5_1"


def test_new_head_has_the_target_classes_and_leaves_the_network_alone(mini_vgg):
    before = {k: v.clone() for k, v in mini_vgg.state_dict().items()}
    model = with_new_head(mini_vgg, 3, seed=0)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 3)
    assert torch.equal(model.fc8.weight, with_new_head(mini_vgg, 3, seed=0).fc8.weight)
    assert model.conv1_1 is not mini_vgg.features[0]
    assert all(p.requires_grad for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in mini_vgg.state_dict().items())
    squeeze = with_new_head(MiniSqueezeNet(), 7)
    assert squeeze.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 7)


def test_vgg16_parameters_are_counted_layer_by_layer():
    with torch.device("meta"):  # shapes only: no memory, no initialization
        model = vgg16()
    rows = parameter_table(model)
    by_layer = {r["layer"]: r for r in rows}
    assert len(rows) == 16 and sum(r["parameters"] for r in rows) == 138_357_544
    assert by_layer["fc6"]["weight"] == (4096, 25088)
    assert by_layer["fc6"]["parameters"] == 7 * 7 * 512 * 4096 + 4096
    assert by_layer["conv1_1"]["parameters"] == 3 * 3 * 3 * 64 + 64
    assert sum(r["parameters"] for r in rows if r["kind"] == "fc") == 123_642_856


def test_top_k_gives_sorted_probabilities_and_names(mini_vgg):
    classes = ["zero", "one", "two", "three", "four"]
    preds = top_k(mini_vgg, torch.randn(2, 3, 32, 32), classes, k=3)
    assert len(preds) == 2 and all(len(p) == 3 for p in preds)
    probs = [p for _, p in preds[0]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    full = top_k(mini_vgg, torch.randn(1, 3, 32, 32), classes, k=5)[0]
    assert sum(p for _, p in full) == pytest.approx(1, abs=1e-5)
    assert {name for name, _ in full} == set(classes)
    with pytest.raises(ValueError, match="k must be between 1 and the number of classes"):
        top_k(mini_vgg, torch.randn(1, 3, 32, 32), classes, k=6)
    with pytest.raises(ValueError, match="unsqueeze"):
        top_k(mini_vgg, torch.randn(3, 32, 32), classes)


# --- preprocessing and normalization ------------------------------------------------------------


def test_preprocess_a_grey_photo_like_the_course(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (30, 40), dtype=np.uint8)
    path = tmp_path / "grey.png"
    Image.fromarray(pixels, mode="L").save(path)
    x = preprocess(Image.open(path), size=224)
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32
    assert torch.allclose(x, load_image(path, size=224), atol=1e-6)
    shown = denormalize(x)
    assert torch.allclose(shown[0], shown[1], atol=1e-6) and torch.allclose(shown[1], shown[2],
                                                                            atol=1e-6)


@pytest.mark.parametrize("image", [
    torch.rand(20, 30), torch.rand(1, 20, 30), np.random.default_rng(0).random((20, 30)),
    np.random.default_rng(0).integers(0, 256, (20, 30), dtype=np.uint8),
])
def test_preprocess_accepts_grey_tensors_and_arrays(image):
    x = preprocess(image, size=64)
    assert x.shape == (3, 64, 64)
    shown = denormalize(x)
    assert torch.allclose(shown[0], shown[2], atol=1e-6)
    assert 0.3 < shown.mean() < 0.7  # values in [0, 1] were not rescaled again


def test_preprocess_rejects_batches_with_a_clear_error():
    with pytest.raises(ValueError, match="one image at a time"):
        preprocess(torch.rand(2, 3, 20, 20))


def test_l2_normalize_gives_unit_rows_and_keeps_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    assert np.allclose(l2_normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    t = torch.randn(5, 7)
    assert torch.allclose(l2_normalize(t).norm(dim=1), torch.ones(5))


# --- extraction and its cache -------------------------------------------------------------------


def test_extracted_features_are_the_normalized_activations_in_order(mini_vgg, tiny_data,
                                                                    tmp_path):
    train, _ = tiny_data
    extractor = truncate(mini_vgg, "relu6")
    X, y = extract_features(extractor, train, batch_size=5, cache_dir=tmp_path, progress=False)
    with torch.inference_mode():
        expected = torch.stack([extractor(train.images[i : i + 1])[0] for i in range(12)])
    assert X.shape == (12, 128) and X.dtype == np.float32
    assert np.allclose(X, l2_normalize(expected).numpy(), atol=1e-6)
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-6)
    assert y.tolist() == train.targets.tolist()


def test_a_second_extraction_reads_the_cache(mini_vgg, tiny_data, tmp_path, monkeypatch):
    train, _ = tiny_data
    extractor = truncate(mini_vgg, "pool4")
    first = extract(extractor, train, cache_dir=tmp_path, progress=False)
    assert not first.cached and first.path.parent == tmp_path / "features"

    def no_forward(*args, **kwargs):
        raise AssertionError("features were computed again instead of read from the cache")

    monkeypatch.setattr(features_module, "forward_dataset", no_forward)
    again = extract(extractor, train, cache_dir=tmp_path, progress=False)
    assert again.cached and again.seconds == first.seconds
    assert np.array_equal(again.features, first.features)


def test_the_cache_is_keyed_by_layer_weights_data_and_transform(mini_vgg, tiny_data, tmp_path):
    train, _ = tiny_data

    def path(extractor, data, **kw):
        return extract(extractor, data, cache_dir=tmp_path, progress=False, **kw).path

    reference = path(truncate(mini_vgg, "relu6"), train)
    assert path(truncate(mini_vgg, "relu6"), train) == reference
    assert path(truncate(mini_vgg, "relu7"), train) != reference  # another layer
    other_weights = _seeded(MiniVGG, seed=1)
    assert path(truncate(other_weights, "relu6"), train) != reference  # other weights
    flipped = ImageTensorDataset(train.images.flip(-1), train.targets, train.classes)
    assert path(truncate(mini_vgg, "relu6"), flipped) != reference  # another transform
    assert path(truncate(mini_vgg, "relu6"), train, normalize=False) != reference
    assert len(list((tmp_path / "features").iterdir())) == 5


def test_an_interrupted_extraction_leaves_no_cache(mini_vgg, tiny_data, tmp_path):
    train, _ = tiny_data

    class Interrupted(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = truncate(mini_vgg, "relu6")
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
            return self.layers(x)

    with pytest.raises(KeyboardInterrupt):
        extract(Interrupted(), train, batch_size=4, cache_dir=tmp_path, progress=False)
    assert not (tmp_path / "features").exists() or not any((tmp_path / "features").iterdir())
    done = extract(Interrupted(), train, batch_size=100, cache_dir=tmp_path, progress=False)
    assert [p.name for p in (tmp_path / "features").iterdir()] == [done.path.name]


def test_an_unreadable_cache_file_is_recomputed(mini_vgg, tiny_data, tmp_path):
    train, _ = tiny_data
    extractor = truncate(mini_vgg, "relu6")
    first = extract(extractor, train, cache_dir=tmp_path, progress=False)
    first.path.write_bytes(b"cut short")
    with pytest.warns(UserWarning, match="unreadable feature cache"):
        again = extract(extractor, train, cache_dir=tmp_path, progress=False)
    assert not again.cached and np.allclose(again.features, first.features)


@pytest.mark.parametrize("pool, layers", [(None, ("pool3", "relu6", "relu7")),
                                          ("avg", ("pool1", "pool4", "pool2"))])
def test_extract_layers_gives_each_layers_own_extraction_from_one_pass(
        mini_vgg, tiny_data, tmp_path, monkeypatch, pool, layers):
    train, _ = tiny_data
    passes = []
    real = features_module._forward_layers
    monkeypatch.setattr(features_module, "_forward_layers",
                        lambda model, names, *a, **k: passes.append(names) or real(model, names,
                                                                                   *a, **k))
    many = extract_layers(mini_vgg, layers, train, global_pool=pool, batch_size=5,
                          cache_dir=tmp_path, progress=False)
    assert list(many) == list(layers) and passes == [list(layers)]  # one pass for all
    for layer in layers:
        alone = extract(truncate(mini_vgg, layer, global_pool=pool), train, cache_dir=tmp_path,
                        progress=False)
        assert alone.cached and alone.path == many[layer].path  # the same cache file
        assert np.array_equal(alone.features, many[layer].features)
        fresh = extract(truncate(mini_vgg, layer, global_pool=pool), train, cache=False,
                        progress=False)
        assert np.allclose(fresh.features, many[layer].features, atol=1e-6)
    # A deeper layer costs at least what a shallower one does: the pass up to it.
    by_depth = sorted(layers, key=lambda name: layer_names(mini_vgg).index(name))
    assert [many[name].seconds for name in by_depth] == sorted(many[n].seconds for n in layers)


def test_extract_layers_computes_only_what_the_cache_lacks(mini_vgg, tiny_data, tmp_path,
                                                           monkeypatch):
    train, _ = tiny_data
    extract(truncate(mini_vgg, "relu6"), train, cache_dir=tmp_path, progress=False)
    passes = []
    real = features_module._forward_layers
    monkeypatch.setattr(features_module, "_forward_layers",
                        lambda model, names, *a, **k: passes.append(names) or real(model, names,
                                                                                   *a, **k))
    many = extract_layers(mini_vgg, ("pool4", "relu6", "relu7"), train, cache_dir=tmp_path,
                          progress=False)
    assert passes == [["pool4", "relu7"]]
    assert many["relu6"].cached and not many["relu7"].cached
    again = extract_layers(mini_vgg, ("relu7", "pool4"), train, cache_dir=tmp_path,
                           progress=False)
    assert passes == [["pool4", "relu7"]] and all(e.cached for e in again.values())
    with pytest.raises(ValueError, match="layers is empty"):
        extract_layers(mini_vgg, (), train, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown layer 'fc9'"):
        extract_layers(mini_vgg, ("relu7", "fc9"), train, cache_dir=tmp_path)


def test_best_breaks_ties_by_the_shorter_features():
    rows = [Result("linear SVM", accuracy=0.5, n_per_class=2, layer="pool4",
                   feature_size=100_352, cv_accuracy=0.7),
            Result("linear SVM", accuracy=0.6, n_per_class=2, layer="pool4", global_pool="avg",
                   feature_size=512, cv_accuracy=0.7),
            Result("linear SVM", accuracy=0.9, n_per_class=2, layer="relu7",
                   feature_size=4096, cv_accuracy=0.6)]
    assert best(rows).feature_size == 512
    assert best(rows, by="accuracy").layer == "relu7"
    assert best(rows[:1] + rows[:1]) is rows[0]  # then the earliest


def test_file_dataset_fingerprint_follows_files_and_image_size(tmp_path):
    files = []
    for i in range(2):
        files.append(tmp_path / f"{i}.png")
        Image.fromarray(np.full((8, 8), 50 * i, dtype=np.uint8)).save(files[-1])
    data = ImageFileDataset(files, [0, 1], ["a", "b"], size=32)
    reference = data.fingerprint()
    assert ImageFileDataset(files, [0, 1], ["a", "b"], size=32).fingerprint() == reference
    assert ImageFileDataset(files, [0, 1], ["a", "b"], size=64).fingerprint() != reference
    assert ImageFileDataset(files, [1, 0], ["a", "b"], size=32).fingerprint() != reference
    Image.fromarray(np.full((9, 9), 200, dtype=np.uint8)).save(files[1])  # the file changes
    assert data.fingerprint() != reference


def test_tensor_dataset_fingerprint_sees_a_single_pixel(tiny_data):
    train, _ = tiny_data
    changed = train.images.clone()
    changed[3, 1, 5, 5] += 1e-3
    assert ImageTensorDataset(changed, train.targets, train.classes).fingerprint() \
        != train.fingerprint()
    assert ImageTensorDataset(train.images.clone(), train.targets.clone(),
                              train.classes).fingerprint() == train.fingerprint()


# --- classifiers --------------------------------------------------------------------------------


def _blobs(n_per_class=10, dim=20, seed=0):
    """Three well-separated classes; ``seed`` draws new points around the same centres."""
    centres = np.random.default_rng(0).normal(size=(3, dim)) * 3
    y = np.repeat(np.arange(3), n_per_class)
    X = centres[y] + np.random.default_rng(seed + 1).normal(size=(len(y), dim))
    return l2_normalize(X).astype(np.float32), y


def test_svm_separates_separable_features_and_pca_keeps_it_working():
    X, y = _blobs()
    X_test, y_test = _blobs(seed=1)
    assert svm_accuracy(X, y, X_test, y_test) > 0.9
    reduced = fit_svm(X, y, pca=2)
    assert reduced[0].n_components_ == 2 and reduced.score(X_test, y_test) > 0.9
    assert cv_accuracy(X, y, C=1.0) > 0.9


def test_cv_accuracy_needs_two_images_per_class():
    X, y = _blobs(n_per_class=1)
    assert np.isnan(cv_accuracy(X, y))


def test_svm_sweep_gives_one_row_per_layer_and_c(mini_vgg, tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("DLVISION_DATA", str(tmp_path))
    train, test = tiny_data
    rows = svm_sweep(mini_vgg, train, test, layers=("pool3", "relu7"), Cs=(0.1, 1.0),
                     progress=False)
    assert [(r.layer, r.C) for r in rows] == [("pool3", 0.1), ("pool3", 1.0), ("relu7", 0.1),
                                              ("relu7", 1.0)]
    assert rows[0].feature_size == 64 * 4 * 4 and rows[2].feature_size == 128
    assert all(0 <= r.accuracy <= 1 and r.n_per_class == 4 for r in rows)
    assert len(rows[0].predictions) == len(test)
    table = results_table(rows)
    assert table.count("\n") == 1 + len(rows) and "| linear SVM | MiniVGG | pool3 |" in table
    assert best(rows, by="accuracy").accuracy == max(r.accuracy for r in rows)
    reduced = svm_sweep(mini_vgg, train, test, layers=("relu7",), pca=5, progress=False)[0]
    assert reduced.components == 5 and reduced.feature_size == 128
    assert "relu7, PCA to 5 dimensions |" in results_table([reduced])


def test_fine_tuning_leaves_the_frozen_layers_as_they_were(mini_vgg, tiny_data, tmp_path,
                                                           monkeypatch):
    monkeypatch.setenv("DLVISION_DATA", str(tmp_path))
    train, test = tiny_data
    before = {k: v.clone() for k, v in mini_vgg.state_dict().items()}
    result, model = fine_tune(mini_vgg, train, test, after="pool4",
                              config=FINE_TUNING.with_(steps=3, lr=1e-2),
                              progress=False, return_model=True)
    frozen, trained = model[0].layers, model[1]
    assert all(torch.equal(v, before[f"features.{k}"]) for k, v in
               nn.Sequential(*frozen.children()).state_dict().items())
    assert not torch.equal(trained.conv5_1.weight, mini_vgg.features[34].weight)
    assert trained.fc8.out_features == 3 and 0 <= result.accuracy <= 1
    assert all(torch.equal(v, before[k]) for k, v in mini_vgg.state_dict().items())


def test_linear_probe_and_scratch_training_are_seeded(mini_vgg, tiny_data, tmp_path,
                                                      monkeypatch):
    monkeypatch.setenv("DLVISION_DATA", str(tmp_path))
    train, test = tiny_data
    probes = [linear_probe(mini_vgg, train, test, config=PROBE.with_(steps=5), cache=False,
                           progress=False) for _ in range(2)]
    assert np.array_equal(probes[0].predictions, probes[1].predictions)
    assert probes[0].feature_size == 128 and probes[0].layer == "relu7"
    state = torch.random.get_rng_state()
    scratch = [from_scratch("vgg16", train, test, config=FROM_SCRATCH.with_(steps=2),
                            cache=False, progress=False) for _ in range(2)]
    assert np.array_equal(scratch[0].predictions, scratch[1].predictions)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("profile, architecture", [("mini", "MiniSqueezeNet"),
                                                   ("full", "SqueezeNet")])
def test_untrained_networks_have_the_pretrained_architecture_and_new_classes(profile,
                                                                           architecture):
    state = torch.random.get_rng_state()
    model = untrained("squeezenet1_1", num_classes=7, profile=profile, seed=3)
    again = untrained("squeezenet1_1", num_classes=7, profile=profile, seed=3)
    assert type(model).__name__ == architecture and model.training
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values(), strict=True))
    size = 32 if profile == "mini" else 64
    assert model.eval()(torch.randn(1, 3, size, size)).shape == (1, 7)


# --- the mini claim: transfer beats raw pixels and training from scratch -------------------------


@pytest.mark.slow  # 40 s: runs with the site checks, after the book
def test_mini_transfer_beats_raw_pixels_and_training_from_scratch():
    """With 3 and 5 labels per class, features from the middle of the MiniVGG trained on digits
    0-4 (pool3, averaged over positions) classify digits 5-9 better than pixels do, and on
    average better than the same network trained on those labels alone. C is chosen by
    cross-validation on the training set; the scratch network is trained until it fits its
    labels.

    The margins come from the spread measured over six stand-ins (trained from seeds 0-5,
    as a CPU's different rounding also changes the stand-in) and five scratch seeds: transfer
    reads 41-61 % with 3 labels and 56-69 % with 5, pixels 28 % and 30 %, scratch 34-39 % and
    46-52 %. So the lead over pixels is at least 13 points; the lead over scratch, 2 to 28
    points with 3 labels, is compared on average over both budgets, where the worst pairing
    measured still leads by 5 points. (From about 10 labels per class on, training from scratch
    catches up in the mini world: the chapter shows the whole curve.)"""
    test = scenes15("test")
    lead_over_scratch = []
    for n_per_class in (3, 5):
        train = scenes15("train", n_per_class=n_per_class)
        svm = best(svm_sweep("vgg16", train, test, layers=("pool3",), global_pool="avg",
                             Cs=(1.0, 10.0, 100.0), progress=False))
        pixels = raw_pixels(train, test, progress=False)
        scratch = from_scratch("vgg16", train, test, config=FROM_SCRATCH, progress=False)
        assert scratch.train_accuracy == 1.0
        assert svm.accuracy > pixels.accuracy + 0.1, n_per_class
        lead_over_scratch.append(svm.accuracy - scratch.accuracy)
    assert sum(lead_over_scratch) / 2 > 0, lead_over_scratch


# --- the full profile, offline: fake 15 Scene tree and fake ImageNet weights ---------------------


def test_full_pipeline_runs_offline_on_fake_data_and_weights(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = weights_path("vgg16", profile="full")
    path.parent.mkdir(parents=True)
    torch.save(_seeded(vgg16).state_dict(), path)
    for split_name, n in (("train", 2), ("test", 1)):
        for c, cls in enumerate(("bedroom", "coast")):
            for i in range(n):
                out = data_dir / "15SceneData" / split_name / cls / f"{i}.jpg"
                out.parent.mkdir(parents=True, exist_ok=True)
                pixels = np.random.default_rng(10 * c + i).integers(0, 256, (30, 40))
                Image.fromarray(pixels.astype(np.uint8), mode="L").save(out)

    profile = dlvision.setup("full")
    train, test = scenes15("train"), scenes15("test")
    model = pretrained("vgg16")
    rows = svm_sweep(model, train, test, layers=("relu7",), progress=False)
    assert rows[0].feature_size == 4096 and rows[0].n_per_class == 2
    assert 0 <= rows[0].accuracy <= 1
    cached = list((profile.cache_dir / "features").iterdir())
    assert len(cached) == 2  # train and test
    X, _ = extract_features(truncate(model, "relu7"), test, progress=False)
    assert X.shape == (2, 4096) and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-5)
    assert len(list((profile.cache_dir / "features").iterdir())) == 2  # read, not written


def test_experiments_run_once_per_configuration(mini_vgg, tiny_data, tmp_path, monkeypatch):
    """A second call with the same network, data and settings reads the result back without
    training; another setting trains again."""
    from dlvision.transfer import classifiers

    monkeypatch.setenv("DLVISION_DATA", str(tmp_path))
    train, test = tiny_data
    config = FINE_TUNING.with_(steps=2)
    first = fine_tune(mini_vgg, train, test, config=config, progress=False)
    scratch = from_scratch("vgg16", train, test, config=config, progress=False)
    sweep = svm_sweep(mini_vgg, train, test, layers=("relu7",), Cs=(0.5, 2.0), progress=False)

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(classifiers, "fit_classifier", no_training)
    monkeypatch.setattr(classifiers, "fit_svm", no_training)
    again = fine_tune(mini_vgg, train, test, config=config, progress=False)
    assert again == first and np.array_equal(again.predictions, first.predictions)
    assert from_scratch("vgg16", train, test, config=config, progress=False) == scratch
    assert svm_sweep(mini_vgg, train, test, layers=("relu7",), Cs=(0.5, 2.0),
                     progress=False) == sweep
    with pytest.raises(AssertionError, match="trained again"):
        fine_tune(mini_vgg, train, test, config=config.with_(lr=1e-3), progress=False)
    assert len(list((tmp_path / "cache" / "results").glob("*.pt"))) == 3


# --- the keyed cache that stand-ins, features and runs share ------------------------------------


def test_load_or_build_builds_once_and_rebuilds_a_broken_file(tmp_path):
    from dlvision.cache import cache_key, load_or_build

    calls = []

    def build():
        calls.append(1)
        return {"value": torch.arange(3)}

    path = tmp_path / f"{cache_key({'b': 1, 'a': [2]})}.pt"
    assert cache_key({"a": [2], "b": 1}) == path.stem  # key order does not matter
    first, cached = load_or_build(path, build)
    again, cached_again = load_or_build(path, build)
    assert (cached, cached_again, len(calls)) == (False, True, 1)
    assert torch.equal(first["value"], again["value"])
    path.write_bytes(b"cut short")
    with pytest.warns(UserWarning, match="ignoring the unreadable cache"):
        _, cached = load_or_build(path, build)
    assert not cached and len(calls) == 2
    with pytest.warns(UserWarning, match="unreadable run"):
        load_or_build(path, build, validate=lambda saved: saved["missing"], what="run")
    assert len(calls) == 3 and not list(tmp_path.glob("*.part"))
