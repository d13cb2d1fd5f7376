import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
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


# `dlvision grade` on a class: what the command line refuses, and a class that needs no kernel.


def grade_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``dlvision grade ARGS``: the exit status (argparse's own exit included), stdout, stderr."""
    try:
        code = main(["grade", *args])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *fix: str) -> None:
    [line] = err.splitlines()
    assert line.startswith("dlvision grade: error: ") and all(text in line for text in fix), err


@pytest.fixture
def broken_class(tmp_path) -> Path:
    """Three files the grader refuses before any kernel starts."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann_1.ipynb").write_bytes(b"")
    (folder / "bob_1.ipynb").write_bytes(b'{"cells": [')
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlvision"] = {"part": "3-gans"}
    nbformat.write(nb, folder / "cy_1.ipynb")
    return folder


@pytest.mark.parametrize(("args", "fix"), [
    (["x.ipynb", "--frobnicate"], ["unrecognized arguments: --frobnicate",
                                   "see `dlvision grade --help`"]),
    ([], ["NOTEBOOK", "see `dlvision grade --help`"]),
    (["{class}"], ["pass --out DIR"]),
    (["{class}/ann_1.ipynb", "{class}/bob_1.ipynb"], ["pass --out DIR"]),
    (["{class}", "--out", "{class}/ann_1.ipynb/results"], ["cannot write in --out",
                                                           "choose a folder"]),
    (["{empty}", "--out", "{tmp}/out"], ["no .ipynb file in the folder", "give the folder"]),
    (["{tmp}/nowhere", "--out", "{tmp}/out"], ["no file or folder", "nowhere"]),
    (["{class}", "--out", "{tmp}/out", "--json", "r.json"], ["leave out --json"]),
    (["{class}", "--out", "{tmp}/out", "--jobs", "0"], ["--jobs", "at least 1"]),
    (["{class}", "--out", "{tmp}/out", "--id-pattern", "(x"], ["not a regular expression"]),
    (["{class}", "--out", "{tmp}/out", "--id-pattern", "^[a-z]+"], ["no group named id",
                                                                    "(?P<id>"]),
    (["{class}", "--out", "{tmp}/out", "--part", "9-nope"], ["unknown exercise"]),
    (["{class}/ann_1.ipynb", "--out", "{tmp}/out"], ["pass --part"]),  # no metadata to read
])
def test_bad_grade_input_is_one_line_naming_the_fix_and_exit_2(capsys, tmp_path, broken_class,
                                                               args, fix):
    (tmp_path / "empty").mkdir()
    before = {p: p.read_bytes() for p in broken_class.iterdir()}
    args = [a.format(tmp=tmp_path, empty=tmp_path / "empty", **{"class": broken_class})
            for a in args]
    code, out, err = grade_cli(capsys, *args)
    assert code == 2 and out == ""
    one_line_error(err, *fix)
    assert {p: p.read_bytes() for p in broken_class.iterdir()} == before


def test_a_class_of_broken_files_gets_a_row_each_and_no_kernel(capsys, tmp_path, broken_class):
    before = {p: p.read_bytes() for p in broken_class.iterdir()}
    out = tmp_path / "results"
    code, printed, _ = grade_cli(capsys, str(broken_class), "--out", str(out), "--part",
                                 "0-getting-started", "--id-pattern", r"^(?P<id>[a-z]+)_")
    assert code == 0
    assert "3 submissions, 0 graded (0 notebooks run" in printed
    with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
        rows = {row["id"]: row for row in csv.DictReader(stream)}
    assert {i: r["status"] for i, r in rows.items()} == {
        "ann": "not a notebook", "bob": "not a notebook", "cy": "wrong exercise"}
    assert "is exercise 3-gans" in rows["cy"]["detail"]
    assert all(r["total"] == "" and r["max"] == "5" for r in rows.values())
    assert sorted(p.name for p in (out / "feedback").iterdir()) == [
        "ann.html", "ann.md", "bob.html", "bob.md", "cy.html", "cy.md"]
    assert "No submission was graded." in (out / "summary.md").read_text(encoding="utf-8")
    assert {p: p.read_bytes() for p in broken_class.iterdir()} == before


@pytest.fixture
def untrained_judge(monkeypatch):
    """The judge's mechanics without training it: an untrained judge, seeded."""
    import torch

    import dlvision.gan.judge as judge_module
    from dlvision.gan.judge import DigitJudge

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        judge = DigitJudge().eval()
    record = {"test_accuracy": 0.5, "n_test": 359}
    monkeypatch.setattr(judge_module, "digit_judge", lambda **kwargs: (judge, record))
    return judge


def test_judge_reads_the_real_test_digits_as_the_real_column(capsys, tmp_path,
                                                             untrained_judge):
    """The test digits themselves, as if a GAN had drawn them: the same shares and confidence
    as the real column, at Fréchet distance 0; at 64×64 (each pixel twice), the same numbers;
    with labels, the share read as the digit asked for."""
    import json

    import torch

    from dlvision.gan.judge import real_digits

    test = real_digits("test", profile="mini")
    images, labels = test.images.numpy(), test.targets.numpy()
    np.savez(tmp_path / "real.npz", images=images)
    assert main(["judge", str(tmp_path / "real.npz"), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "359 digits judged in the mini profile" in out and "shares: 0:" in out
    numbers = json.loads((tmp_path / "r.json").read_text())
    real = numbers["real"]
    for name in ("classes_drawn", "largest_share", "smallest_share"):
        assert numbers[name] == real[name]
    assert numbers["mean_confidence"] == pytest.approx(real["mean_confidence"], rel=1e-5)
    assert abs(numbers["frechet"]) < 1e-3 * real["frechet"]
    assert numbers["real_frechet_at_n"]["n"] == 359 and sum(numbers["shares"]) == pytest.approx(1)

    big = np.repeat(np.repeat(images, 2, axis=2), 2, axis=3)  # (N, 1, 64, 64)
    np.savez(tmp_path / "big.npz", images=big, labels=labels)
    assert main(["judge", str(tmp_path / "big.npz"), "--json", str(tmp_path / "b.json")]) == 0
    assert "label accuracy" in capsys.readouterr().out
    big_numbers = json.loads((tmp_path / "b.json").read_text())
    assert big_numbers["shares"] == numbers["shares"]
    predictions = untrained_judge(test.images).argmax(1)
    assert big_numbers["label_accuracy"] == pytest.approx(
        float((predictions == torch.from_numpy(labels)).float().mean()))


def test_judge_refuses_what_it_cannot_read_and_names_the_fix(capsys, tmp_path):
    digits = np.zeros((4, 1, 32, 32), dtype=np.float32)
    cases = {"missing.npz": ("write one with `dlvision sample", None),
             "labels.npz": ("has no `images` array", {"labels": np.arange(4)}),
             "faces.npz": ("the judge reads digits", {"images": np.zeros((4, 3, 32, 32))}),
             "bytes.npz": ("in [-1, 1]", {"images": digits + 255}),
             "one.npz": ("at least 2", {"images": digits[:1]})}
    for name, (says, arrays) in cases.items():
        if arrays is not None:
            np.savez(tmp_path / name, **arrays)
        assert main(["judge", str(tmp_path / name)]) == 2
        assert says in capsys.readouterr().err, name
    np.savez(tmp_path / "whole.npz", images=digits)
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])  # an interrupted copy
    assert main(["judge", str(tmp_path / "cut.npz")]) == 2
    assert "not a readable .npz file" in capsys.readouterr().err
