"""Pretrained networks: the mini stand-ins (trained, cached, accurate) and the full path."""

from __future__ import annotations

import time
import urllib.error

import pytest
import torch
from torch import nn

from dlvision.data import DataNotFoundError, imagenet_samples
from dlvision.models import (
    MiniSqueezeNet,
    MiniVGG,
    TrainConfig,
    WeightsInfo,
    accuracy,
    class_names,
    device_of,
    pretrained,
    standin_record,
    weights_info,
    weights_path,
    zoo,
)

STANDIN_REPORT: dict[str, dict] = {}


@pytest.fixture(scope="session")
def standins(session_data):
    """Both stand-ins, trained once per test session in the session's data folder."""
    import os

    os.environ["DLVISION_DATA"] = str(session_data)  # the autouse fixture sets it per test
    models = {}
    for name in ("vgg16", "squeezenet1_1"):
        start = time.perf_counter()
        models[name] = pretrained(name, progress=False)
        STANDIN_REPORT[name] = {"first_load_s": time.perf_counter() - start,
                                **standin_record(name, progress=False)}
    return models


@pytest.mark.parametrize("name", ["vgg16", "squeezenet1_1"])
def test_standin_recognizes_held_out_digits(standins, name):
    samples = imagenet_samples()
    acc = accuracy(standins[name], samples.images, samples.targets)
    STANDIN_REPORT[name]["held_out_accuracy"] = acc
    assert acc >= 0.97, f"the mini {name} reaches only {acc:.1%} on held-out digits 0-4"


@pytest.mark.parametrize("name", ["vgg16", "squeezenet1_1"])
def test_second_load_reads_the_cache_quickly(standins, name, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("the stand-in was trained again instead of read from the cache")

    monkeypatch.setattr(zoo, "train_standin", no_training)
    again = pretrained(name, progress=False)  # read: training again would raise above
    for a, b in zip(again.state_dict().values(), standins[name].state_dict().values(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["vgg16", "squeezenet1_1"])
def test_pretrained_networks_are_frozen_and_in_eval_mode(standins, name):
    model = standins[name]
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


def test_standins_keep_the_layout_of_the_real_networks():
    from torchvision.models import vgg16

    real, mini = vgg16(), MiniVGG()

    def kinds(seq):
        return [type(m).__name__ for m in seq if not isinstance(m, nn.BatchNorm2d)]

    assert kinds(mini.features) == kinds(real.features)  # 13 conv+ReLU, pools after 2,2,3,3,3
    assert kinds(mini.classifier) == kinds(real.classifier)  # fc6 relu6 drop fc7 relu7 drop fc8
    assert mini(torch.zeros(2, 3, 32, 32)).shape == (2, 5)
    assert MiniSqueezeNet()(torch.zeros(2, 3, 32, 32)).shape == (2, 5)


def test_a_corrupt_cache_is_rebuilt(data_dir, monkeypatch):
    path = weights_path("vgg16")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"cut short")
    fresh = MiniVGG()
    monkeypatch.setattr(zoo, "train_standin",
                        lambda name, progress: (fresh, {"test_accuracy": 0.5}))
    with pytest.warns(UserWarning, match="unreadable cache"):
        model = pretrained("vgg16", progress=False)
    assert torch.equal(model.features[0].weight, fresh.features[0].weight)
    saved = torch.load(path, weights_only=True)
    assert torch.equal(saved["state_dict"]["features.0.weight"], fresh.features[0].weight)


def test_interrupted_training_leaves_no_cache(data_dir, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zoo, "train_standin", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pretrained("squeezenet1_1", progress=False)
    assert not weights_path("squeezenet1_1").exists()


def test_mini_class_names_are_digits_zero_to_four():
    assert class_names("vgg16") == ["zero", "one", "two", "three", "four"]


@pytest.mark.parametrize("call", [pretrained, class_names, weights_path])
def test_unknown_model_is_a_clear_value_error(call):
    with pytest.raises(ValueError, match="model 'resnet'; choose one of vgg16, squeezenet1_1"):
        call("resnet")


def test_full_vgg16_loads_cached_imagenet_weights_offline(tmp_path, monkeypatch):
    from torchvision.models import vgg16

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "download_url_to_file", _no_network)
    reference = vgg16()
    path = weights_path("vgg16", profile="full")
    assert path.parent == tmp_path / "torch" / "hub" / "checkpoints"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)

    model = pretrained("vgg16", profile="full", progress=False)
    assert torch.equal(model.classifier[6].weight, reference.classifier[6].weight)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    names = class_names("vgg16", profile="full")
    assert len(names) == 1000 and names[0] == "tench" and "reflex camera" in names
    info = model.weights_info
    assert info == weights_info("vgg16", profile="full") and info.classes == tuple(names)
    assert info.input_size == 224 and info.mean == (0.485, 0.456, 0.406)


def test_full_weights_missing_offline_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "download_url_to_file", _no_network)
    with pytest.raises(DataNotFoundError, match="squeezenet1_1-b8a52dc0.pth"):
        pretrained("squeezenet1_1", profile="full", progress=False)


def _no_network(*args, **kwargs):
    raise urllib.error.URLError("network is unreachable")


# --- what the weights carry, and the plumbing every method shares -------------------------------


def test_mini_weights_carry_their_classes_size_and_normalization(standins):
    info = standins["squeezenet1_1"].weights_info
    assert info == weights_info("squeezenet1_1") and info.input_size == 32
    assert list(info.classes) == class_names("squeezenet1_1")
    image = torch.rand(2, 3, 32, 32)
    assert torch.allclose(info.denormalize(info.normalize(image)), image, atol=1e-6)
    assert info.preprocess(torch.rand(1, 50, 40)).shape == (3, 32, 32)


def test_weights_info_clamps_to_images_that_exist():
    info = WeightsInfo("vgg16", ("a", "b"), 8, (0.5, 0.4, 0.3), (0.2, 0.25, 0.5))
    x = torch.randn(2, 3, 4, 4) * 10  # mostly far outside [0, 1] once denormalized
    clamped = info.clamp(x)
    pixels = clamped * torch.tensor(info.std).view(3, 1, 1) + torch.tensor(info.mean).view(3, 1, 1)
    assert pixels.min() >= -1e-6 and pixels.max() <= 1 + 1e-6
    inside = info.normalize(torch.rand(2, 3, 4, 4))
    assert torch.equal(info.clamp(inside), inside)  # a valid image is left as it is


def test_device_of_a_module_with_and_without_parameters():
    assert device_of(nn.Linear(2, 2)) == torch.device("cpu")
    assert device_of(nn.ReLU()) == torch.device("cpu")
    assert device_of(nn.BatchNorm1d(3).requires_grad_(False)) == torch.device("cpu")


def test_train_config_counts_epochs_and_rejects_nonsense():
    config = TrainConfig(steps=10, batch_size=4)
    assert config.epochs_for(8) == 5  # 2 steps per epoch
    assert config.epochs_for(100) == 1 and config.with_(steps=50).epochs_for(8) == 25
    with pytest.raises(ValueError, match="steps and batch_size must be positive"):
        TrainConfig(steps=0)


# --- layer_table: any network's layers as a table ------------------------------------------------


def _small_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4),
                         nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def test_layer_table_lists_every_layer_with_its_settings_and_parameters():
    from dlvision.models import layer_table

    rows = layer_table(_small_net())
    assert [r["layer"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert [r["kind"] for r in rows] == ["Conv2d", "BatchNorm2d", "LeakyReLU", "Flatten",
                                         "Linear"]
    assert rows[0]["settings"] == "1 → 4, 3×3, stride 2"
    assert rows[1]["settings"] == "4"
    assert rows[2]["settings"] == "slope 0.2"
    assert rows[4]["settings"] == "64 → 3"
    assert [r["parameters"] for r in rows] == [1 * 4 * 9 + 4, 8, 0, 0, 64 * 3 + 3]
    assert all("output" not in r for r in rows), "no example, no output shapes"


def test_layer_table_gives_output_shapes_and_leaves_the_network_as_it_was():
    from dlvision.models import layer_table

    net = _small_net().train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rows = layer_table(net, torch.randn(1, 1, 8, 8))  # batch norm on a batch of one: eval mode
    assert [r["output"] for r in rows] == [(4, 4, 4), (4, 4, 4), (4, 4, 4), (64,), (3,)]
    assert net.training, "the network's mode is restored"
    assert all(not m._forward_hooks for m in net.modules()), "no hook left behind"
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()), \
        "running statistics untouched"


def test_layer_table_of_a_gan_generator_counts_all_its_parameters():
    from dlvision.gan.conditional import ConditionalGenerator
    from dlvision.models import count_parameters, layer_table

    g = ConditionalGenerator(nz=8, ngf=4)
    rows = layer_table(g, torch.zeros(1, 8), torch.zeros(1, dtype=torch.long))
    assert sum(r["parameters"] for r in rows) == count_parameters(g)
    assert rows[-1]["kind"] == "Tanh" and rows[-1]["output"] == (1, 32, 32)
    assert {r["layer"].split(".")[0] for r in rows} == {"z_branch", "y_branch", "main"}


def test_network_table_is_a_markdown_table_a_page_can_show():
    from dlvision.book import network_table

    lines = network_table(_small_net(), torch.zeros(1, 1, 8, 8)).splitlines()
    assert lines[0] == "| layer | kind | settings | output | parameters |"
    assert lines[2] == "| `0` | Conv2d | 1 → 4, 3×3, stride 2 | 4×4×4 | 40 |"
    assert len(lines) == 2 + 5
    assert "output" not in network_table(_small_net()).splitlines()[0]


def test_layer_table_leaves_out_whether_a_layer_works_in_place():
    from dlvision.models import layer_table

    rows = layer_table(nn.Sequential(nn.ReLU(inplace=True), nn.Dropout(0.3)))
    assert [r["settings"] for r in rows] == ["", "p=0.3"]
