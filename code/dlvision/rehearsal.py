"""Rehearse the full profile on generated files: ``make rehearse-full``.

Nothing on a laptop or a CI machine can download ImageNet weights or the datasets, so the full
profile's code paths would otherwise only run on GPU machines with the real data, late. This
module writes stand-in *files* in the full profile's own formats and layouts, then builds the
whole book in the full profile on them, with the small sizes of ``$DLVISION_SIZES=rehearsal``
(1,000 ImageNet classes all the same; 15 Scene's images resized to 64×64, see ``profile``):

* VGG16 and SqueezeNet 1.1 with random (seeded) weights, saved as state dicts under
  torchvision's own file names in ``$TORCH_HOME/hub/checkpoints/``, where torchvision's
  weights API reads them without downloading or hashing them;
* 15 Scene in the course's layout ``15SceneData/{train,test}/<class>/*.jpg``: the 15 real class
  names, a few grey JPEGs of varied sizes per class;
* ``imagenet_val_25.npz`` with the real file's keys and formats but 4 images (``X`` (4, 224,
  224, 3) uint8, ``y`` (4,), ``label_map`` index → name for ImageNet's 1,000 classes);
* MNIST's four idx files (gzipped and not), a few hundred images, under ``MNIST/raw/`` and
  ``mnist/MNIST/raw/``;
* CelebA's ``img_align_celeba/``: a few dozen 178×218 RGB JPEGs.

It proves that every line runs in the full profile (shapes, file formats, 1,000 classes, RGB
inputs), not what the numbers are: the pages it builds say so at the top. Importing this module
does nothing; ``python -m dlvision.rehearsal`` (``main``) writes the files and builds the book
into ``_build/rehearsal/``, leaving the mini site and its execution cache alone.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .profile import DATA_ENV, PROFILE_ENV, SIZES_ENV
from .widgets import STATIC_ENV

SCENE_CLASSES = (
    "bedroom", "CALsuburb", "industrial", "kitchen", "livingroom", "MITcoast", "MITforest",
    "MIThighway", "MITinsidecity", "MITmountain", "MITopencountry", "MITstreet",
    "MITtallbuilding", "PARoffice", "store",
)
# The fewest images that run every line: cross-validation needs 2 training images per class
# (it uses up to 5 folds, lowered to the smallest class), and each test class needs one. Every
# image costs about 20 VGG16 passes in scene15.md (feature extraction, fine-tuning, training
# from scratch...), which is why the rehearsal resizes them to 64×64.
SCENE_PER_CLASS = {"train": 2, "test": 1}
SCENE_SIZES = (200, 300)  # sides drawn in this range, like 15 Scene's photographs
# A few ImageNet samples: Part 2 runs VGG16 forward and backward on each, many times, on a CPU.
N_IMAGENET = 4
MNIST_COUNTS = {"train": 300, "t10k": 100}
N_CELEBA = 36
CELEBA_SIZE = (178, 218)  # width, height of img_align_celeba
MODEL_NAMES = ("vgg16", "squeezenet1_1")
OUTPUT = Path("_build") / "rehearsal"


# --- files ----------------------------------------------------------------------------------------


def _smooth(rng: np.random.Generator, height: int, width: int, channels: int = 1) -> np.ndarray:
    """A (height, width[, channels]) uint8 image: a coarse random field, upsampled, plus noise."""
    from PIL import Image

    coarse = rng.random((6, 6, channels))
    planes = [np.asarray(Image.fromarray((coarse[..., c] * 255).astype(np.uint8))
                         .resize((width, height), Image.BICUBIC), dtype=np.float32)
              for c in range(channels)]
    image = np.stack(planes, axis=-1) + rng.normal(0, 12, (height, width, channels))
    image = np.clip(image, 0, 255).astype(np.uint8)
    return image[..., 0] if channels == 1 else image


def _save_jpeg(array: np.ndarray, path: Path) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode="L" if array.ndim == 2 else "RGB").save(path, quality=90)
    return path


def write_weights(torch_home: Path, *, names: Sequence[str] = MODEL_NAMES,
                  seed: int = 0) -> list[Path]:
    """Randomly initialized networks as state dicts, under torchvision's file names in
    ``torch_home/hub/checkpoints/`` (the folder ``torch.hub.get_dir()`` gives when
    ``$TORCH_HOME`` is ``torch_home``)."""
    import torch
    from torchvision import models

    from .models import weights_path

    paths = []
    for name in names:
        path = Path(torch_home) / "hub" / "checkpoints" / weights_path(name, profile="full").name
        path.parent.mkdir(parents=True, exist_ok=True)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = getattr(models, name)(weights=None)
        torch.save(model.state_dict(), path)
        paths.append(path)
    return paths


def _texture(rng: np.random.Generator, label: int, height: int, width: int) -> np.ndarray:
    """A grey (height, width) uint8 grating: its orientation and frequency are the class's, its
    phase and contrast random, plus noise.

    Classes differ by texture, not by layout, as scenes do: averaged over positions, features
    tell them apart; flattened, they are no better than pixels. So cross-validation prefers
    small features, and the rehearsal does not spend minutes fitting SVMs on ``pool3``'s
    200,704 dimensions (as it does when classes differ by layout).
    """
    theta = np.deg2rad((48 * label) % 180)
    cycles = 6 + 2.2 * label  # periods across the image
    rows, cols = np.mgrid[0:height, 0:width]
    u = cols / width * np.cos(theta) + rows / height * np.sin(theta)
    image = 0.5 + 0.35 * np.sin(2 * np.pi * cycles * u + rng.uniform(0, 2 * np.pi))
    image = image * rng.uniform(0.6, 1.0) + rng.normal(0, 0.08, (height, width))
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def write_scenes15(data_dir: Path, *, per_class: dict[str, int] = SCENE_PER_CLASS,
                   seed: int = 0) -> Path:
    """15 Scene in the course's layout: ``15SceneData/{train,test}/<class>/*.jpg``, grey JPEGs
    of varied sizes (sides in ``SCENE_SIZES``), one texture per class."""
    rng = np.random.default_rng(seed)
    root = Path(data_dir) / "15SceneData"
    for split, n in per_class.items():
        for label, name in enumerate(SCENE_CLASSES):
            for i in range(n):
                height, width = rng.integers(SCENE_SIZES[0], SCENE_SIZES[1] + 1, size=2)
                image = _texture(rng, label, int(height), int(width))
                _save_jpeg(image, root / split / name / f"image_{i + 1:04d}.jpg")
    return root


def write_imagenet_samples(data_dir: Path, *, seed: int = 0) -> Path:
    """``imagenet_val_25.npz`` as CS231n ships it, with ``N_IMAGENET`` images: ``X`` (N, 224, 224,
    3) uint8, ``y`` (N,) distinct class indices, ``label_map`` (a pickled dict) index → name of
    all 1,000 classes."""
    from torchvision.models import VGG16_Weights

    from .data.imagenet import IMAGENET_VAL_FILE

    rng = np.random.default_rng(seed)
    categories = VGG16_Weights.IMAGENET1K_V1.meta["categories"]
    X = np.stack([_smooth(rng, 224, 224, channels=3) for _ in range(N_IMAGENET)])
    y = np.sort(rng.choice(len(categories), N_IMAGENET, replace=False)).astype(np.int64)
    label_map = dict(enumerate(categories))
    path = Path(data_dir) / IMAGENET_VAL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # a file object: np.savez would otherwise add ".npz" again
        np.savez(f, X=X, y=y, label_map=np.array(label_map, dtype=object))
    return path


def idx_bytes(array: np.ndarray) -> bytes:
    """The idx format of MNIST's files: magic 2051 (images, (N, 28, 28)) or 2049 (labels,
    (N,)), big-endian 32-bit dimensions, then the uint8 values."""
    magic = {3: 2051, 1: 2049}[array.ndim]
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _digit_images(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8: each label drawn as text at a random place, white on black."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=20)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        font = ImageFont.load_default()
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        img = Image.new("L", (28, 28))
        ImageDraw.Draw(img).text((int(rng.integers(4, 12)), int(rng.integers(0, 5))),
                                 str(int(label)), fill=255, font=font)
        images[i] = np.asarray(img)
    return images


def write_mnist(data_dir: Path, *, counts: dict[str, int] = MNIST_COUNTS,
                seed: int = 0) -> list[Path]:
    """MNIST's four idx files, gzipped and not (torchvision reads the latter offline), in
    ``MNIST/raw/`` and ``mnist/MNIST/raw/`` (torchvision's layout under root ``mnist``)."""
    rng = np.random.default_rng(seed)
    folders = [Path(data_dir) / "MNIST" / "raw", Path(data_dir) / "mnist" / "MNIST" / "raw"]
    paths = []
    for prefix, n in counts.items():
        labels = rng.integers(0, 10, n).astype(np.uint8)
        contents = {f"{prefix}-images-idx3-ubyte": idx_bytes(_digit_images(rng, labels)),
                    f"{prefix}-labels-idx1-ubyte": idx_bytes(labels)}
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in contents.items():
                (folder / name).write_bytes(data)
                (folder / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
                paths += [folder / name, folder / f"{name}.gz"]
    return paths


def write_celeba(data_dir: Path, *, n: int = N_CELEBA, seed: int = 0) -> Path:
    """``img_align_celeba/000001.jpg``...: RGB JPEGs of CelebA's aligned size, 178×218."""
    rng = np.random.default_rng(seed)
    folder = Path(data_dir) / "img_align_celeba"
    width, height = CELEBA_SIZE
    for i in range(n):
        _save_jpeg(_smooth(rng, height, width, channels=3), folder / f"{i + 1:06d}.jpg")
    return folder


def write_files(data_dir: str | Path, torch_home: str | Path, *, seed: int = 0,
                models: Sequence[str] = MODEL_NAMES) -> dict[str, Path | list[Path]]:
    """Write every stand-in file of the rehearsal; return what was written, by dataset.

    data_dir : the future ``$DLVISION_DATA``; torch_home : the future ``$TORCH_HOME``.
    models : the networks whose random weights to write (VGG16's take 528 MB).
    Everything is drawn from ``seed``: the same call writes the same files.
    """
    data_dir, torch_home = Path(data_dir), Path(torch_home)
    return {
        "weights": write_weights(torch_home, names=models, seed=seed),
        "15 Scene": write_scenes15(data_dir, seed=seed),
        "ImageNet samples": write_imagenet_samples(data_dir, seed=seed),
        "MNIST": write_mnist(data_dir, seed=seed),
        "CelebA": write_celeba(data_dir, seed=seed),
    }


# --- the build ------------------------------------------------------------------------------------


def rehearsal_config(config: Path, out: Path, *, cache: Path) -> Path:
    """A copy of the book's ``_config.yml`` that forces execution (no cache is read or written)
    and keeps working from another folder; written to ``out``."""
    import yaml

    settings = yaml.safe_load(Path(config).read_text(encoding="utf8"))
    execute = settings.setdefault("execute", {})
    execute["execute_notebooks"] = "force"
    execute["cache"] = str(cache)  # unused when forced; never the mini build's cache
    # No limit per cell: on a busy machine a cell of full-size VGG16 passes on a CPU may take
    # longer than the mini build's limit, and the rehearsal is about whether it runs.
    execute["timeout"] = -1
    # The chapters only: the solutions' full-profile code is the chapters' (they are executed in
    # the mini build), and on the rehearsal's few generated images their fixed sizes (PCA's 32
    # components) do not fit.
    execute["exclude_patterns"] = sorted({*execute.get("exclude_patterns", []), "solutions/*"})
    # Paths in the configuration are read relative to the file itself: make them absolute.
    extensions = settings.get("sphinx", {}).get("local_extensions") or {}
    for name, path in extensions.items():
        extensions[name] = str((Path(config).parent / path).resolve())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Generated by dlvision.rehearsal from _config.yml: do not edit.\n"
                   + yaml.safe_dump(settings, sort_keys=False), encoding="utf8")
    return out


_EXECUTED = re.compile(r"^(?P<doc>\S+?):?\s+Executed notebook in (?P<seconds>[\d.]+) seconds")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter_book() -> str:
    here = Path(sys.executable).parent / "jupyter-book"
    return str(here) if here.exists() else shutil.which("jupyter-book") or "jupyter-book"


def build(root: Path, out: Path, data_dir: Path, torch_home: Path,
          extra: Sequence[str] = ()) -> tuple[int, dict[str, float]]:
    """Build the book in the full profile with rehearsal sizes on the files of ``data_dir`` and
    ``torch_home``, into ``out/_build/html``; stream the log. Returns the exit status and the
    execution time of each chapter (seconds, from myst-nb's log)."""
    config = rehearsal_config(root / "_config.yml", out / "_config.rehearsal.yml",
                              cache=out / ".jupyter_cache")
    env = dict(os.environ, PYTHONUNBUFFERED="1", **{
        PROFILE_ENV: "full", SIZES_ENV: "rehearsal", DATA_ENV: str(data_dir),
        "TORCH_HOME": str(torch_home), STATIC_ENV: "1"})  # no widgets: see widgets.py
    # --all: a fresh Sphinx environment, so that every page is read, hence executed, again.
    command = [_jupyter_book(), "build", str(root), "--path-output", str(out),
               "--config", str(config), "--all", "--warningiserror", "--keep-going", *extra]
    print("rehearsal:", " ".join(command), flush=True)
    times: dict[str, float] = {}
    with subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            match = _EXECUTED.search(_ANSI.sub("", line).strip())
            if match:
                doc = Path(match["doc"])
                doc = doc.relative_to(root) if doc.is_absolute() and doc.is_relative_to(root) \
                    else doc
                times[str(doc)] = float(match["seconds"])
    return proc.returncode, times


def main(argv: Sequence[str] | None = None) -> int:
    """Write the files into ``<output>/files``, build the book into ``<output>/_build/html``,
    print the time of each chapter and the total; non-zero when the build fails."""
    parser = argparse.ArgumentParser(
        prog="python -m dlvision.rehearsal",
        description="Build every chapter in the full profile, on generated files (random "
                    "weights, a few images), with small sizes: proves the code paths run.")
    parser.add_argument("--book", default=".", help="the book's root (default: .)")
    parser.add_argument("--output", default=str(OUTPUT),
                        help=f"output folder, relative to the book (default: {OUTPUT})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-files", action="store_true",
                        help="keep the generated files (about 600 MB) after a successful build")
    parser.add_argument("extra", nargs="*", help="more options for jupyter-book build")
    args = parser.parse_args(argv)

    root = Path(args.book).resolve()
    out = root / args.output
    files = out / "files"
    data_dir, torch_home = files / "data", files / "torch"
    start = time.perf_counter()
    shutil.rmtree(files, ignore_errors=True)  # nothing cached from an earlier rehearsal
    write_files(data_dir, torch_home, seed=args.seed)
    written = time.perf_counter() - start
    print(f"rehearsal: generated files written in {written:.0f} s under {files}", flush=True)

    status, times = build(root, out, data_dir, torch_home, args.extra)
    total = time.perf_counter() - start
    # CPU seconds of the build and the kernels it ran: what the machine's other work does not
    # inflate, unlike the wall-clock times.
    try:
        import resource  # Unix only

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = f"   (CPU time of the build: {usage.ru_utime + usage.ru_stime:.0f} s)"
    except ImportError:
        cpu = ""
    print("\nrehearsal of the full profile (generated files, rehearsal sizes):")
    print(f"  {'writing the files':<45} {written:7.0f} s")
    for doc, seconds in times.items():
        print(f"  {doc:<45} {seconds:7.0f} s")
    print(f"  {'total':<45} {total:7.0f} s{cpu}")
    if status == 0:
        print(f"rehearsal: the site is in {out / '_build' / 'html'}")
        if not args.keep_files:
            shutil.rmtree(files, ignore_errors=True)
    else:
        print(f"rehearsal: the build FAILED (exit status {status}); the files are kept in "
              f"{files}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
