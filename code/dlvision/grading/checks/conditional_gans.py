"""Exercise 4, conditional GANs: how the label enters the networks, and a labelled grid.

- ``one-hot``: class indices (N,) → one-hot vectors (N, 10) float32 (reference:
  ``dlvision.gan.conditional.one_hot``).
- ``label-maps``: one-hot vectors (N, 10) → the discriminator's label input (N, 10, size,
  size), each vector repeated at every pixel (reference: ``dlvision.gan.conditional.label_maps``).
- ``conditional-generator``: the class ``CDCGANGenerator(nz, ngf, nc)``, the course's cDCGAN
  generator: a branch for z and one for y, concatenated, then three transposed convolutions.
  Judged by its transposed convolutions layer by layer and by its output once its weights are
  set to the same values as the reference's (``dlvision.gan.ConditionalGenerator``), in
  training and in eval mode (``gans.set_weights``, which keys weights by layer shape, so any
  registration order works). Both of the package's generator classes are refused: the
  unconditional one's blocks would make most of this one.
- ``labelled-grid``: ten rows, one per digit, of the images of the same noise vectors: row r,
  column c is G(z_c, r), drawn in eval mode (reference: the same with the package's generator).
  It calls the notebook's ``one_hot``, and is checked with the course's in its place
  (``Question.uses``): a wrong one-hot costs its own point only.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ...gan.conditional import ConditionalGenerator, label_maps, one_hot
from ...gan.models import Generator
from ...gan.runs import interpolate, sample
from ..compare import describe
from ..question import Case, Feedback, Part, Question, keywords
from . import gans

N_CLASSES = 10


# --- one-hot ----------------------------------------------------------------------------------


def _one_hot_cases() -> list[Case]:
    return [
        Case("labels = tensor([3, 0, 9, 3]), int64", (torch.tensor([3, 0, 9, 3]),)),
        Case("labels = tensor([7]), one image", (torch.tensor([7]),)),
        Case("labels = tensor([0, 1, 2, 3, 4, 5, 6, 7, 8]): every class but 9",
             (torch.arange(9),)),
    ]


ONE_HOT = Question(
    id="one-hot",
    name="one_hot",
    points=1,
    title="Labels (N,) → one-hot vectors (N, 10), float32",
    cases=_one_hot_cases,
    reference=one_hot,
    mistakes=(
        (Feedback(f"there are always {N_CLASSES} classes, whatever the labels in the batch",
                  f"F.one_hot(labels, {N_CLASSES}), not F.one_hot(labels)"),
         lambda labels: F.one_hot(labels).float()),
        (Feedback("the networks take float vectors", "convert with .float()"),
         lambda labels: F.one_hot(labels, N_CLASSES)),
    ),
    hint="F.one_hot(labels, 10).float(), or torch.eye(10)[labels].",
    refuses=(one_hot, label_maps),
)


# --- label-maps -------------------------------------------------------------------------------


def _label_maps_cases() -> list[Case]:
    return [
        Case("y: one-hot vectors of the labels [3, 0, 9], (3, 10) float32; size left at its "
             "default (32)", (one_hot(torch.tensor([3, 0, 9])), None)),
        Case("y: one-hot vectors of [5, 5], (2, 10); size=8", (one_hot(torch.tensor([5, 5])), 8)),
    ]


def _label_maps(y: torch.Tensor, size: int | None) -> torch.Tensor:
    return label_maps(y, 32 if size is None else size)  # (N, 10, size, size)


LABEL_MAPS = Question(
    id="label-maps",
    name="label_maps",
    points=1,
    title="One-hot y (N, 10) → D's label maps (N, 10, size, size)",
    cases=_label_maps_cases,
    reference=_label_maps,
    mistakes=(
        ("channels go first in PyTorch, (N, 10, size, size), as the discriminator's "
         "convolution reads them", lambda y, size: _label_maps(y, size).permute(0, 2, 3, 1)),
        (Feedback("the vector must be repeated at every pixel", ".expand(-1, -1, size, size) "
                  "after the view (N, 10, 1, 1)"), lambda y, size: y[:, :, None, None]),
        ("one map per class (10), all ones for the image's class and zeros for the others, not "
         "one map holding the class number",
         lambda y, size: _label_maps(y, size).argmax(1, keepdim=True).float()),
    ),
    hint="y[:, :, None, None].expand(-1, -1, size, size), or y.view(N, 10, 1, 1).repeat(1, 1, "
         "size, size).",
    apply=keywords("size"),
    refuses=(label_maps, one_hot),
)


# --- conditional-generator --------------------------------------------------------------------


def _generator_cases() -> list[Case]:
    return [
        Case("CDCGANGenerator(nz=100, ngf=32, nc=1), a quarter of the course's width, on noise "
             "z (3, 100, 1, 1) and the one-hot labels of [2, 7, 7]", (100, 32, 1, (2, 7, 7))),
        Case("CDCGANGenerator(nz=16, ngf=8, nc=3), on z (2, 16, 1, 1) and the one-hot labels of "
             "[0, 9]", (16, 8, 3, (0, 9))),
    ]


def _inputs(nz: int, labels: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    z = torch.randn(len(labels), nz, 1, 1, generator=torch.Generator().manual_seed(nz))
    return z, F.one_hot(torch.tensor(labels), N_CLASSES).float()  # not one_hot: refused here


def _compare_generator(case: Case, got: Any) -> str | Feedback | None:
    nz, ngf, nc, labels = case.args
    if not isinstance(got, dict) or "module" in got:
        what = got.get("module") if isinstance(got, dict) else describe(got)
        return f"CDCGANGenerator(...) should build an nn.Module, got {what}"
    expected = gans.run_generator(ConditionalGenerator(nz=nz, ngf=ngf, nc=nc),
                                  *_inputs(nz, labels))
    have, want = sorted(map(tuple, got["convolutions"])), sorted(expected["convolutions"])
    if have != want:
        missing = [layer for layer in want if layer not in have]
        extra = [layer for layer in have if layer not in want]
        problem = (f"your transposed convolutions are not the course's: expected "
                   f"{', '.join(map(gans.layer_text, missing))}; got instead "
                   f"{', '.join(map(gans.layer_text, extra)) or 'nothing'}")
        if any(layer[0] == N_CLASSES and layer[1] != 2 * ngf for layer in extra):
            problem += ("\nthe label's branch has as many channels as the noise's, 2·ngf: "
                        "the two are concatenated into 4·ngf")
        return problem
    if (differs := gans.output_differs(expected, got)) is None:
        return None
    mode, output, problem = differs
    if isinstance(output, torch.Tensor) and output.is_floating_point() and \
            output.abs().max() > 1:
        return problem + "\nthe images must be in [-1, 1]: end with a tanh"
    if mode == "train":
        return Feedback(f"{problem}\ncheck the order of the concatenation (the noise's maps "
                        "first, then the label's, along the channels), the batch norms (after "
                        "every transposed convolution but the last) and the activations (ReLU, "
                        "and tanh at the end)", "torch.cat([h_z, h_y], dim=1)")
    return problem


CONDITIONAL_GENERATOR = Question(
    id="conditional-generator",
    name="CDCGANGenerator",
    points=3,
    title="The cDCGAN generator: (z (N, nz, 1, 1), y (N, 10)) → images (N, nc, 32, 32)",
    cases=_generator_cases,
    compare=_compare_generator,
    hint="z branch: ConvTranspose2d(nz, 2·ngf, 4, 1, 0, bias=False), BatchNorm2d, ReLU; y "
         "branch: the same from 10 channels, on y.view(N, 10, 1, 1); torch.cat([h_z, h_y], 1); "
         "then ConvTranspose2d(4·ngf, 2·ngf, 4, 2, 1, bias=False), BN, ReLU, "
         "ConvTranspose2d(2·ngf, ngf, 4, 2, 1, bias=False), BN, ReLU, "
         "ConvTranspose2d(ngf, nc, 4, 2, 1), tanh.",
    apply=gans.generator_apply(lambda nz, ngf, nc, labels: _inputs(nz, labels)),
    # The unconditional generator too: its first block is a branch, its last three the body.
    refuses=(ConditionalGenerator, Generator, one_hot, label_maps),
)


# --- labelled-grid ----------------------------------------------------------------------------


def tiny_generator(seed: int) -> ConditionalGenerator:
    """A small cDCGAN generator (nz = 8, ngf = 4, one channel) with spread-out weights, handed
    over in training mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = ConditionalGenerator(nz=8, ngf=4, nc=1)
    gans.set_weights(G)
    return G.train()


def _grid_cases() -> list[Case]:
    return [
        Case("a tiny conditional generator (nz = 8), handed over in training mode; z: 3 noise "
             "vectors (3, 8, 1, 1)", (tiny_generator(0), torch.randn(
                 3, 8, 1, 1, generator=torch.Generator().manual_seed(1)))),
        Case("the same kind of generator; z: 1 noise vector (1, 8, 1, 1)",
             (tiny_generator(2), torch.randn(1, 8, 1, 1,
                                             generator=torch.Generator().manual_seed(3)))),
    ]


def _reference_grid(G: nn.Module, z: torch.Tensor, *, eval_mode: bool = True,
                   by_row: bool = True) -> torch.Tensor:
    """(10·C, nc, H, W): for each digit r (rows) and each noise vector z_c (columns), G(z_c, r),
    row by row; ``by_row=False`` gives the column-major order, ``eval_mode=False`` G in
    training mode (two mistakes, for feedback)."""
    G = copy.deepcopy(G).train(not eval_mode)
    C = len(z)
    labels = torch.arange(N_CLASSES).repeat_interleave(C)  # 0 0 0 1 1 1 ...
    noise = z.repeat(N_CLASSES, 1, 1, 1)  # z_0 z_1 z_2 z_0 ...
    with torch.no_grad():
        images = G(noise, F.one_hot(labels, N_CLASSES).float())
    if by_row:
        return images
    return images.view(N_CLASSES, C, *images.shape[1:]).transpose(0, 1).reshape(images.shape)


LABELLED_GRID = Question(
    id="labelled-grid",
    name="labelled_grid",
    points=2,
    title="A labelled grid: row r, column c is G(z_c, r), in eval mode",
    cases=_grid_cases,
    reference=_reference_grid,
    tolerance=(1e-5, 1e-4),
    mistakes=(
        (Feedback("the images are in column order", "put the ten digits in rows, images[r·C + "
                  "c] = G(z[c], r), so that image_grid(..., ncols=C) shows one digit per row"),
         lambda G, z: _reference_grid(G, z, by_row=False)),
        (Feedback("the generator was in training mode, where batch norm uses the statistics of "
                  "the batch", "call G.eval() first"),
         lambda G, z: _reference_grid(G, z, eval_mode=False)),
        ("row r, column c must be G(z[c], r), with G in eval mode", None),
    ),
    hint="G.eval(); labels = torch.arange(10).repeat_interleave(C); noise = z.repeat(10, 1, 1, "
         "1); with torch.no_grad(): return G(noise, one_hot(labels)).",
    refuses=(sample, interpolate, _reference_grid),
    # The grid calls the notebook's one_hot: checked with the course's, which it allows.
    uses={"one_hot": one_hot},
)


PART = Part(
    id="4-conditional-gans",
    title="Conditional GANs",
    questions=(ONE_HOT, LABEL_MAPS, CONDITIONAL_GENERATOR, LABELLED_GRID),
)

__all__ = ["PART", "tiny_generator"]
