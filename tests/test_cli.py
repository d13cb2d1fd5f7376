import subprocess
import sys

import numpy as np
from test_real_data import jpeg, scene_tree, write_mnist_split

from dlvision import __version__
from dlvision.cli import main
from dlvision.models.zoo import MODEL_NAMES, weights_path


def test_info_reports_versions_profile_device_and_data(capsys, data_dir):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"dlvision {__version__}" in out and "torch " in out and "torchvision " in out
    assert "profile: mini" in out and "device: cpu" in out
    assert str(data_dir) in out and "15 Scene" in out and "missing" in out


def test_info_full_profile_checks_the_layout_not_just_the_folder(capsys, data_dir):
    (data_dir / "15SceneData" / "train").mkdir(parents=True)
    assert main(["info", "--profile", "full"]) == 1
    captured = capsys.readouterr()
    assert "profile: full" in captured.out
    assert "15 Scene" in captured.out and "broken" in captured.out
    assert "has no test/ folder" in captured.out
    assert "the full profile cannot run: 15 Scene (broken), CelebA (missing)" in captured.err


def _good_tree(data_dir, monkeypatch):
    """Every dataset of the full profile, tiny, and weights files where torchvision keeps them."""
    scene_tree(data_dir / "15SceneData", {s: ["coast", "forest"] for s in ("train", "test")})
    for split in ("train", "test"):
        write_mnist_split(data_dir / "MNIST" / "raw", split, 4, gz=True)
    jpeg(data_dir / "img_align_celeba" / "000001.jpg")
    np.savez(data_dir / "imagenet_val_25.npz", X=np.zeros((2, 8, 8, 3), np.uint8), y=np.arange(2),
             label_map=np.array({0: "a", 1: "b"}))
    monkeypatch.setenv("TORCH_HOME", str(data_dir / "torch"))
    for name in MODEL_NAMES:
        path = weights_path(name, profile="full")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"weights")


def test_info_full_profile_on_a_good_tree_exits_0(capsys, data_dir, monkeypatch):
    _good_tree(data_dir, monkeypatch)
    monkeypatch.setenv("DLVISION_PROFILE", "full")
    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()

    def row(name):
        return next(line.split(maxsplit=len(name.split()) + 1)[-2:] for line in lines
                    if line.startswith(f"  {name} "))

    assert row("15 Scene") == ["ok", f"{data_dir / '15SceneData'} (course layout): 2 classes; "
                                     "train 4 (2 per class), test 4 (2 per class)"]
    assert row("MNIST")[0] == "ok" and "train 4 in" in row("MNIST")[1]
    assert row("CelebA") == ["ok", f"{data_dir / 'img_align_celeba'}: 1 images"]
    assert row("ImageNet samples")[0] == row("vgg16 weights")[0] == "ok"


def test_info_full_profile_names_a_broken_file(capsys, data_dir, monkeypatch):
    _good_tree(data_dir, monkeypatch)
    pointer = data_dir / "15SceneData" / "test" / "forest" / "1.jpg"
    pointer.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n")
    weights_path("vgg16", profile="full").write_bytes(b"")
    assert main(["info", "--profile", "full"]) == 1
    out = capsys.readouterr().out
    assert f"{pointer}: a Git LFS pointer" in out and "git lfs pull" in out
    assert "vgg16 weights" in out and "is empty: delete it" in out
    assert main(["info"]) == 0  # the mini profile does not need them


def test_bad_profile_is_an_error_exit(capsys, monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "enormous")
    assert main(["info"]) == 2
    assert "unknown profile 'enormous'" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "dlvision.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert __version__ in out


TINY_TRAINING = ["--steps", "3", "--ngf", "4", "--ndf", "4", "--nz", "8", "--batch-size", "16"]


def test_train_then_resume_then_sample(capsys, tmp_path):
    checkpoint = tmp_path / "dcgan.pt"
    assert main(["train", "dcgan", "--out", str(checkpoint), *TINY_TRAINING]) == 0
    out = capsys.readouterr().out
    assert "training dcgan in the mini profile" in out and "done: 3 steps" in out
    # Again, with more steps: it goes on from step 3 instead of starting over.
    longer = [("5" if a == "3" else a) for a in TINY_TRAINING]
    assert main(["train", "dcgan", "--out", str(checkpoint), *longer]) == 0
    out = capsys.readouterr().out
    assert "resuming dcgan" in out and "done: 5 steps" in out
    assert main(["train", "dcgan", "--out", str(checkpoint), *longer, "--beta1", "0.9"]) == 2
    assert "checkpoint of another configuration" in capsys.readouterr().err
    samples = tmp_path / "samples.npz"
    assert main(["sample", str(checkpoint), "--n", "5", "--out", str(samples)]) == 0
    assert "wrote 5 images (1, 32, 32)" in capsys.readouterr().out
    with np.load(samples) as f:
        images = f["images"]
    assert images.shape == (5, 1, 32, 32) and images.dtype == np.float32
    assert -1 <= images.min() and images.max() <= 1


def test_sample_without_a_checkpoint_says_how_to_make_one(capsys, tmp_path):
    assert main(["sample", str(tmp_path / "nope.pt")]) == 2
    assert "train one with `dlvision train dcgan --out FILE`" in capsys.readouterr().err


CONDITIONAL_TRAINING = ["--steps", "3", "--ngf", "4", "--ndf", "4", "--nz", "8",
                        "--batch-size", "16"]


def test_train_a_conditional_gan_then_resume_then_sample_labelled_digits(capsys, tmp_path):
    checkpoint = tmp_path / "cdcgan.pt"
    assert main(["train", "cdcgan", "--out", str(checkpoint), *CONDITIONAL_TRAINING]) == 0
    out = capsys.readouterr().out
    assert "training cdcgan in the mini profile" in out and "model='cdcgan'" in out
    assert "done: 3 steps" in out and "--labels 0-9" in out
    longer = [("5" if a == "3" else a) for a in CONDITIONAL_TRAINING]
    assert main(["train", "cdcgan", "--out", str(checkpoint), *longer]) == 0
    assert "resuming cdcgan" in (out := capsys.readouterr().out) and "done: 5 steps" in out
    samples = tmp_path / "samples.npz"
    for spec, expected in [("0-9", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]), ("3", [3] * 12),
                           ("1,7", [1, 7] * 6), ("0-2,9", [0, 1, 2, 9] * 3)]:
        assert main(["sample", str(checkpoint), "--n", "12", "--labels", spec,
                     "--out", str(samples)]) == 0
        assert "wrote 12 images (1, 32, 32) in [-1, 1] and their labels" in (
            capsys.readouterr().out)
        with np.load(samples) as f:
            images, labels = f["images"], f["labels"]
        assert images.shape == (12, 1, 32, 32) and images.dtype == np.float32
        assert -1 <= images.min() and images.max() <= 1
        assert labels.dtype == np.int64 and labels.tolist() == expected


def test_a_fully_connected_cgan_with_a_label_blind_discriminator(capsys, tmp_path):
    checkpoint = tmp_path / "blind.pt"
    assert main(["train", "cgan", "--blind-d", "--out", str(checkpoint),
                 *CONDITIONAL_TRAINING]) == 0
    assert "d_sees_labels=False" in capsys.readouterr().out
    assert main(["sample", str(checkpoint), "--n", "4", "--labels", "5",
                 "--out", str(tmp_path / "s.npz")]) == 0


def test_labels_must_match_the_checkpoint_s_kind(capsys, tmp_path):
    dcgan, cdcgan = tmp_path / "dcgan.pt", tmp_path / "cdcgan.pt"
    assert main(["train", "dcgan", "--out", str(dcgan), *TINY_TRAINING]) == 0
    assert main(["train", "cdcgan", "--out", str(cdcgan), *CONDITIONAL_TRAINING]) == 0
    capsys.readouterr()
    out = str(tmp_path / "s.npz")
    assert main(["sample", str(dcgan), "--labels", "0-9", "--out", out]) == 2
    assert "is an unconditional GAN (dcgan): it draws no given digit; leave out --labels" in (
        capsys.readouterr().err)
    assert main(["sample", str(cdcgan), "--out", out]) == 2
    assert "is a conditional GAN (cdcgan): say which digits to draw, e.g. --labels 0-9" in (
        capsys.readouterr().err)
    for spec in ["", "10", "a", "9-0", "1,,2", "-3", "3-", "0-9-9"]:
        assert main(["sample", str(cdcgan), "--labels", spec, "--out", out]) == 2
        assert f"--labels {spec!r} is not a list of digits" in capsys.readouterr().err
