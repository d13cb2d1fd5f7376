"""Exercise 3, generative adversarial networks: the two losses of the game, the DCGAN generator
and one step of training.

- ``discriminator-loss``: −[mean log D(x) + mean log(1 − D(G(z)))], its value and its gradient
  (reference: ``dlvision.gan.discriminator_loss``).
- ``generator-loss``: −mean log D(G(z)), or mean log(1 − D(G(z))) with ``saturating=True``,
  value and gradient (reference: ``dlvision.gan.generator_loss``).
- ``generator``: the class ``DCGANGenerator(nz, ngf, nc)``, the course's 32×32 generator. Judged
  layer by layer (each transposed convolution's channels, kernel, stride, padding and bias; the
  batch norms), by the shape of the maps after each transposed convolution, and by its output
  once its weights are set to the same values as the reference's (``dlvision.gan.Generator``),
  in training and in eval mode. Weights are set by layer type and order, so an answer may
  register its layers in any arrangement and use functional activations.
- ``training-step``: one step of the course's algorithm, k_D updates of D then k_G updates of
  G, judged by both networks' weights afterwards and the losses returned (reference:
  ``_reference_step`` below, the package's losses in the course's order). The step runs with
  the course's losses in place of the notebook's (``Question.uses``): a wrong loss costs the
  loss's points only.

The losses' package functions, the package's two generator classes as a whole (the
conditional one's blocks would make most of this network) and the check's own step are refused
to the answers while they are checked (``Question.refuses``). The networks of ``training-step``
are the package's, tiny (noise of 8 values, widths 4), with spread-out random weights so that
every mistake moves them measurably.
"""

from __future__ import annotations

import copy
import math
import zlib
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ...gan import (
    ConditionalGenerator,
    Discriminator,
    Generator,
    discriminator_loss,
    generator_loss,
)
from ..compare import compare_tensors, describe, number
from ..question import Case, Feedback, Part, Question


def _probabilities(n: int, seed: int, low: float, high: float) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(n, generator=generator)


def _loss_and_gradients(call, inputs: tuple[torch.Tensor, ...]) -> dict[str, Any]:
    """What a loss function does: its value, and its gradient with respect to each input (None
    where it does not depend on it; no gradients when the value is not a differentiable
    scalar tensor)."""
    inputs = tuple(x.clone().requires_grad_(True) for x in inputs)
    loss = call(*inputs)
    gradients = None
    if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        gradients = list(torch.autograd.grad(loss.sum(), inputs, allow_unused=True))
    if isinstance(loss, torch.Tensor):
        loss = loss.detach()
    return {"loss": loss, "gradients": gradients}


def _same_loss(expected: dict[str, Any] | float, got: Any) -> str | Feedback | None:
    """A loss's value and gradients (what ``_loss_and_gradients`` records) against the
    reference's; against a bare number (a common wrong loss's value), the value alone."""
    loss = got.get("loss") if isinstance(got, dict) else None
    if not isinstance(loss, torch.Tensor):
        return Feedback(f"expected a tensor, got {describe(loss)}", "return the loss as a "
                        "torch tensor (training calls .backward() on it), not a Python number")
    if loss.numel() != 1:
        return (f"expected a single number, the mean over the batch (a tensor of shape ()), got "
                f"shape {tuple(loss.shape)}: take the mean")
    value = float(loss)
    want = float(expected["loss"]) if isinstance(expected, dict) else expected
    if not math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-5):
        return f"expected the loss {want:.6g}, got {value:.6g}"
    if not isinstance(expected, dict):
        return None
    if got.get("gradients") is None:
        return Feedback("the value is right but the loss cannot be differentiated",
                        "keep it a tensor computed with torch from the inputs (no .item(), no "
                        "NumPy, no torch.no_grad())")
    # The inputs are (d_real, d_fake) or, for G's loss, d_fake alone.
    names = ("d_real", "d_fake")[-len(expected["gradients"]):]
    for name, gradient, reference in zip(names, got["gradients"], expected["gradients"],
                                         strict=True):
        if gradient is None:
            return f"the loss does not depend on {name}"
        problem = compare_tensors(reference, gradient, atol=1e-6, rtol=1e-4)
        if problem is not None:
            return f"the value is right but its gradient with respect to {name} is not: {problem}"
    return None


def _log(p: torch.Tensor) -> torch.Tensor:
    return p.log().clamp_min(-100)


# --- discriminator-loss -----------------------------------------------------------------------


def _discriminator_loss_cases() -> list[Case]:
    return [
        Case("d_real: 6 probabilities in (0.05, 0.95); d_fake: 6 more",
             (_probabilities(6, 0, 0.05, 0.95), _probabilities(6, 1, 0.05, 0.95))),
        Case("a confident D: d_real, 5 probabilities in (0.9, 0.999); d_fake, 3 in "
             "(0.001, 0.1): batches of different sizes",
             (_probabilities(5, 2, 0.9, 0.999), _probabilities(3, 3, 0.001, 0.1))),
    ]


def _mean_both(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return torch.cat([_log(d_real), _log(1 - d_fake)]).mean()


ONE_MEAN = ("you took one mean over both batches together: each expectation is a mean over its "
            "own batch, and the two batches need not have the same size")


DISCRIMINATOR_LOSS = Question(
    id="discriminator-loss",
    name="discriminator_loss",
    points=2,
    title="D's loss: −[mean log D(x) + mean log(1 − D(G(z)))]",
    cases=_discriminator_loss_cases,
    reference=lambda *d: _loss_and_gradients(discriminator_loss, d),
    compare_with=_same_loss,
    mistakes=(
        ("this is the objective D maximizes, equation (7); the loss to minimize is its negative",
         lambda r, f: float(_log(r).mean() + _log(1 - f).mean())),
        ("you averaged the two terms; the loss is their sum, −mean log D(x) − mean log(1 − "
         "D(G(z)))", lambda r, f: -float(_log(r).mean() + _log(1 - f).mean()) / 2),
        ("real and generated are swapped: real images must be called real, log D(x), and "
         "generated ones generated, log(1 − D(G(z)))",
         lambda r, f: -float(_log(1 - r).mean() + _log(f).mean())),
        ("for generated images D is rewarded by log(1 − D(G(z))), not log D(G(z))",
         lambda r, f: -float(_log(r).mean() + _log(f).mean())),
        (ONE_MEAN, lambda r, f: -float(_mean_both(r, f))),
        (ONE_MEAN, lambda r, f: -2 * float(_mean_both(r, f))),
        ("the loss is missing its second term, on generated images",
         lambda r, f: -float(_log(r).mean())),
        ("the loss is missing its first term, on real images",
         lambda r, f: -float(_log(1 - f).mean())),
    ),
    hint="-(torch.log(d_real).mean() + torch.log(1 - d_fake).mean()), or the binary "
         "cross-entropy of d_real against ones plus that of d_fake against zeros "
         "(F.binary_cross_entropy).",
    apply=lambda answer, case: _loss_and_gradients(answer, case.args),
    refuses=(discriminator_loss, generator_loss),
)


# --- generator-loss ---------------------------------------------------------------------------


def _generator_loss_cases() -> list[Case]:
    return [
        Case("d_fake: 6 probabilities in (0.05, 0.95); saturating left at its default (False)",
             (_probabilities(6, 4, 0.05, 0.95), None)),
        Case("d_fake: 6 probabilities in (0.05, 0.95); saturating=True",
             (_probabilities(6, 4, 0.05, 0.95), True)),
        Case("early in training, D rejects the samples: d_fake, 4 probabilities in (0.001, "
             "0.05); saturating=False", (_probabilities(4, 5, 0.001, 0.05), False)),
        Case("the same d_fake, saturating=True", (_probabilities(4, 5, 0.001, 0.05), True)),
    ]


def _apply_generator_loss(answer: Any, case: Case) -> dict[str, Any]:
    d_fake, saturating = case.args
    options = {} if saturating is None else {"saturating": saturating}
    return _loss_and_gradients(lambda d: answer(d, **options), (d_fake,))


def _when(saturating: bool, loss: Callable[[torch.Tensor], torch.Tensor]
          ) -> Callable[[torch.Tensor, bool | None], float]:
    """A wrong loss's value on the cases with that ``saturating`` only; NaN, which matches no
    answer, on the others, where the same value means another mistake."""
    return lambda d, sat: float(loss(d).mean()) if bool(sat) == saturating else math.nan


GENERATOR_LOSS = Question(
    id="generator-loss",
    name="generator_loss",
    points=2,
    title="G's losses: −mean log D(G(z)), or mean log(1 − D(G(z))) when saturating",
    cases=_generator_loss_cases,
    reference=lambda d, sat: _loss_and_gradients(
        lambda d: generator_loss(d, saturating=bool(sat)), (d,)),
    compare_with=_same_loss,
    mistakes=(
        ("−log(1 − D(G(z))) is what D minimizes on generated images; in the minimax game G "
         "minimizes +log(1 − D(G(z)))", _when(True, lambda d: -_log(1 - d))),
        ("with saturating=True, return the minimax game's loss, log(1 − D(G(z))), not the "
         "non-saturating one", _when(True, lambda d: -_log(d))),
        ("this is the objective G maximizes, equation (6); the loss to minimize is its "
         "negative, −log D(G(z))", _when(False, _log)),
        ("this is the saturating loss of the minimax game; by default (saturating=False) "
         "return the non-saturating −log D(G(z))", _when(False, lambda d: _log(1 - d))),
        ("the non-saturating loss is −log D(G(z)): G wants D to call its images real",
         _when(False, lambda d: -_log(1 - d))),
    ),
    hint="saturating: torch.log(1 - d_fake).mean(); otherwise -torch.log(d_fake).mean(). Both "
         "are minimized; the first is the minimax game's, the second the course's eq. (6).",
    apply=_apply_generator_loss,
    refuses=(generator_loss, discriminator_loss),
)


# --- generator --------------------------------------------------------------------------------


def _generator_cases() -> list[Case]:
    return [
        Case("DCGANGenerator(nz=100, ngf=32, nc=3), the course's generator for faces, on noise "
             "z of shape (2, 100, 1, 1)", (100, 32, 3, 2)),
        Case("DCGANGenerator(nz=16, ngf=8, nc=1), a narrow generator of digits, on noise z of "
             "shape (3, 16, 1, 1)", (16, 8, 1, 3)),
    ]


def _noise(nz: int, n: int) -> torch.Tensor:
    return torch.randn(n, nz, 1, 1, generator=torch.Generator().manual_seed(nz + n))


@torch.no_grad()
def set_weights(model: nn.Module) -> None:
    """The same weights for any two generators with the same layers, whatever the modules'
    names or the order they were registered in: each transposed convolution gets values drawn
    from a seed that depends on its shape (channels, kernel, stride, padding) and on how many of
    that shape come before it; each batch norm, on its number of channels only. Spread out
    (weights of standard deviation 1/√(2 fan-in), batch norms' scales, shifts and running
    statistics away from 1 and 0) so that any change to the network changes its output."""
    seen: dict[tuple[int, ...], int] = {}
    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d):
            shape = (m.in_channels, m.out_channels, *m.kernel_size, *m.stride, *m.padding)
            seen[shape] = seen.get(shape, 0) + 1
            generator = torch.Generator().manual_seed(zlib.crc32(repr((shape, seen[shape]))
                                                                 .encode()))
            std = (2 * m.in_channels) ** -0.5
            m.weight.copy_(std * torch.randn(m.weight.shape, generator=generator))
            if m.bias is not None:
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=generator))
        elif isinstance(m, nn.BatchNorm2d):
            generator = torch.Generator().manual_seed(m.num_features)
            size = (m.num_features,)
            if m.affine:
                m.weight.copy_(1 + 0.2 * torch.randn(size, generator=generator))
                m.bias.copy_(0.2 * torch.randn(size, generator=generator))
            if m.track_running_stats:
                m.running_mean.copy_(0.2 * torch.randn(size, generator=generator))
                m.running_var.copy_(1 + 0.5 * torch.rand(size, generator=generator))


def run_generator(model: nn.Module, *inputs: torch.Tensor) -> dict[str, Any]:
    """What the checks judge of a generator, once ``set_weights`` gave it the reference's
    weights: its transposed convolutions (in, out, kernel, stride, padding, bias), its batch
    norms' widths, and its output on ``inputs`` in eval mode, then in training mode (in that
    order: training mode moves the running statistics), along with the shape of the maps after
    each transposed convolution in the first pass."""
    set_weights(model)
    convolutions = [m for m in model.modules() if isinstance(m, nn.ConvTranspose2d)]
    observed: dict[str, Any] = {
        "convolutions": [(m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0],
                          m.padding[0], m.bias is not None) for m in convolutions],
        "norms": [m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d)],
    }
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda m, i, out: shapes.append(tuple(out.shape)))
             for m in convolutions]
    with torch.no_grad():
        observed["eval"] = model.eval()(*inputs)
        for hook in hooks:
            hook.remove()
        observed["train"] = model.train()(*inputs)
    observed["shapes"] = shapes
    return observed


def generator_apply(inputs: Callable[..., tuple[torch.Tensor, ...]]
                    ) -> Callable[[Any, Case], dict[str, Any]]:
    """An ``apply`` for a generator class: build ``answer(nz=, ngf=, nc=)`` from a case's first
    three arguments, then ``run_generator`` it on ``inputs(*case.args)``."""
    def apply(answer: Any, case: Case) -> dict[str, Any]:
        nz, ngf, nc = case.args[:3]
        model = answer(nz=nz, ngf=ngf, nc=nc)
        if not isinstance(model, nn.Module):
            return {"module": describe(model)}
        return run_generator(model, *inputs(*case.args))
    return apply


def output_differs(expected: dict[str, Any], got: dict[str, Any]) -> tuple[str, Any, str] | None:
    """The first mode (training, then eval) in which a generator's output, with the course's
    weights, is not the reference's: the mode, the output and what is wrong; else None."""
    for mode in ("train", "eval"):
        problem = compare_tensors(expected[mode], got[mode], atol=1e-5, rtol=1e-4)
        if problem is not None:
            return mode, got[mode], ("with the same weights as the course's generator, your "
                                     f"output in {mode} mode differs: {problem}")
    return None


def _expected_generator(nz: int, ngf: int, nc: int, n: int) -> dict[str, Any]:
    return run_generator(Generator(nz=nz, ngf=ngf, nc=nc, size=32), _noise(nz, n))


def layer_text(layer: tuple[int, ...]) -> str:
    """A transposed convolution as ``run_generator`` records it, as code that builds it."""
    c_in, c_out, k, s, p, bias = layer
    return (f"ConvTranspose2d({c_in}, {c_out}, kernel_size={k}, stride={s}, padding={p}, "
            f"bias={bias})")


def _compare_generator(case: Case, got: Any) -> str | Feedback | None:
    if not isinstance(got, dict) or "module" in got:
        what = got.get("module") if isinstance(got, dict) else describe(got)
        return f"DCGANGenerator(...) should build an nn.Module, got {what}"
    expected = _expected_generator(*case.args)
    want, have = expected["convolutions"], got["convolutions"]
    if len(have) != len(want):
        return (f"your generator has {len(have)} transposed convolution(s); the course's has "
                f"{len(want)}: nz → 4·ngf (4×4), → 2·ngf (8×8), → ngf (16×16), → nc (32×32)")
    for k, (layer, reference) in enumerate(zip(have, want, strict=True), start=1):
        if tuple(layer) != reference:
            problem = (f"transposed convolution {k} is {layer_text(layer)}; expected "
                       f"{layer_text(reference)}")
            if layer[5] and not reference[5]:
                return Feedback(f"{problem}\nno layer of the course's generator has a bias",
                                "bias=False, since batch norm's shift follows and makes it "
                                "useless")
            return problem
    if list(got["norms"]) != expected["norms"]:
        return (f"your batch norms have {list(got['norms'])} channels; expected one after each "
                f"transposed convolution but the last: {expected['norms']}")
    if [tuple(s) for s in got["shapes"]] != expected["shapes"]:
        return (f"the maps after each transposed convolution are {got['shapes']}; expected "
                f"{expected['shapes']}: the forward pass must apply the layers in order, to "
                "noise of shape (N, nz, 1, 1)")
    if (differs := output_differs(expected, got)) is None:
        return None
    _, output, problem = differs
    if isinstance(output, torch.Tensor) and output.is_floating_point() and (
            output.abs().max() > 1):
        return Feedback(f"{problem}\nthe images must be in [-1, 1]", "end with a tanh")
    if isinstance(output, torch.Tensor) and output.is_floating_point() and output.min() >= 0:
        return Feedback(f"{problem}\nthe images are all ≥ 0", "the last activation is "
                        "tanh, for [-1, 1] (the data's range), not a sigmoid or a ReLU")
    return Feedback(f"{problem}\ncheck the order in each block (transposed convolution, "
                    "batch norm, ReLU) and the activations", "ReLU in the hidden blocks, "
                    "tanh at the end")


GENERATOR = Question(
    id="generator",
    name="DCGANGenerator",
    points=2,
    title="The DCGAN generator: noise (N, nz, 1, 1) → images (N, nc, 32, 32) in [-1, 1]",
    cases=_generator_cases,
    compare=_compare_generator,
    hint="Four nn.ConvTranspose2d, all bias=False: (nz, 4·ngf, 4, 1, 0), (4·ngf, 2·ngf, 4, 2, "
         "1), (2·ngf, ngf, 4, 2, 1), (ngf, nc, 4, 2, 1); BatchNorm2d then ReLU after each but "
         "the last, tanh after the last.",
    apply=generator_apply(lambda nz, ngf, nc, n: (_noise(nz, n),)),
    # The conditional generator too: its branch and body are this network's blocks.
    refuses=(Generator, ConditionalGenerator),
)


# --- training-step ----------------------------------------------------------------------------


def _reference_step(G: nn.Module, D: nn.Module, opt_G: torch.optim.Optimizer,
                   opt_D: torch.optim.Optimizer, reals: list[torch.Tensor],
                   noises_D: list[torch.Tensor], noises_G: list[torch.Tensor], *,
                   g_first: bool = False, one_batch: bool = False, zero_grad: bool = True,
                   saturating: bool = False) -> tuple[float, float]:
    """The course's step: for each real batch (k_D of them), one update of D on it and on G's
    images of the matching noise; then for each noise batch of ``noises_G`` (k_G), one update
    of G through D. Returns the last D loss and the last G loss.

    The keywords give the outcome of common mistakes, for feedback: G trained first, D given
    real and generated images in one batch, gradients never reset, the saturating loss.
    """
    def update_d(real: torch.Tensor, z: torch.Tensor) -> float:
        fake = G(z).detach()
        if one_batch:
            both = D(torch.cat([real, fake]))
            d_real, d_fake = both[:len(real)], both[len(real):]
        else:
            d_real, d_fake = D(real), D(fake)
        loss = discriminator_loss(d_real, d_fake)
        if zero_grad:
            opt_D.zero_grad()
        loss.backward()
        opt_D.step()
        return loss.item()

    def update_g(z: torch.Tensor) -> float:
        loss = generator_loss(D(G(z)), saturating=saturating)
        if zero_grad:
            opt_G.zero_grad()
        loss.backward()
        opt_G.step()
        return loss.item()

    def train_d() -> float:
        return [update_d(real, z) for real, z in zip(reals, noises_D, strict=True)][-1]

    def train_g() -> float:
        return [update_g(z) for z in noises_G][-1]

    if g_first:
        loss_g = train_g()
        return train_d(), loss_g
    loss_d = train_d()
    return loss_d, train_g()


@torch.no_grad()
def _spread_init(model: nn.Module) -> None:
    # Wider than DCGAN's N(0, 0.02): D's outputs far from 0.5, so that the losses' weights
    # differ and each mistake moves the weights by more than the tolerance.
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0.0, 0.15)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.2)
            nn.init.normal_(m.bias, 0.0, 0.2)


def _training_case(seed: int, optimizer: str, k_D: int, k_G: int) -> tuple[Any, ...]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G, D = Generator(nz=8, ngf=4, nc=1), Discriminator(ndf=4, nc=1)
        G.apply(_spread_init)
        D.apply(_spread_init)
        reals = [torch.tanh(2 * torch.randn(4, 1, 32, 32)) for _ in range(k_D)]
        noises_D = [torch.randn(4, 8) for _ in range(k_D)]
        noises_G = [torch.randn(4, 8) for _ in range(k_G)]
    if optimizer == "sgd":
        opt_G = torch.optim.SGD(G.parameters(), lr=0.05)
        opt_D = torch.optim.SGD(D.parameters(), lr=0.05, momentum=0.9)
    else:
        opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return G.train(), D.train(), opt_G, opt_D, reals, noises_D, noises_G


def _training_cases() -> list[Case]:
    return [
        Case("tiny G (nz=8) and D, in training mode, SGD optimizers; k_D = 1 real batch of 4 "
             "images, k_G = 1", _training_case(0, "sgd", 1, 1)),
        Case("tiny G and D, SGD (D's with momentum 0.9); k_D = 3 real batches, k_G = 1",
             _training_case(1, "sgd", 3, 1)),
        Case("tiny G and D, Adam (lr 2e-4, β1 0.5), the course's optimizers; k_D = 1, k_G = 2",
             _training_case(2, "adam", 1, 2)),
    ]


def _parameters(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _apply_training_step(answer: Any, case: Case) -> dict[str, Any]:
    G, D, *_ = case.args
    returned = answer(*case.args)
    return {"returned": returned, "G": _parameters(G), "D": _parameters(D)}


def _outcome(case_args: tuple[Any, ...], **mistake: bool) -> dict[str, Any]:
    G, D, opt_G, opt_D, reals, noises_D, noises_G = case_args
    returned = _reference_step(G, D, opt_G, opt_D, reals, noises_D, noises_G, **mistake)
    return {"returned": returned, "G": _parameters(G), "D": _parameters(D)}


def _same_weights(got: dict[str, Any], expected: dict[str, Any], network: str) -> str | None:
    have, want = got.get(network), expected[network]
    if not isinstance(have, dict) or set(have) != set(want):
        return "the networks' parameters changed names: give back the G and D you were given"
    for name, value in want.items():
        problem = compare_tensors(value, have[name], atol=1e-6, rtol=1e-4)
        if problem is not None:
            return f"{network}'s weight {name}: {problem}"
    return None


TRAINING_MISTAKES = (
    ({"zero_grad": False}, Feedback(
        "the gradients were never reset", ".backward() adds to .grad, so call "
        "opt_D.zero_grad() before each backward pass of D's loss and opt_G.zero_grad() before "
        "each of G's")),
    ({"g_first": True}, Feedback(
        "you trained G before D", "a step makes k_D updates of D first, then k_G updates of "
        "G")),
    ({"one_batch": True}, Feedback(
        "D saw the real and the generated images in one batch, so its batch norm mixed their "
        "statistics", "give D the real batch and the generated batch in two separate calls, "
        "as the course's algorithm does")),
    ({"saturating": True}, Feedback(
        "G minimized the saturating loss log(1 − D(G(z))); the step uses the non-saturating "
        "loss, −log D(G(z))", "call generator_loss with its default, saturating=False")),
)


def _compare_training_step(case: Case, got: Any) -> str | Feedback | None:
    if not isinstance(got, dict) or "returned" not in got:  # never: apply made it
        return f"expected the losses, got {describe(got)}"
    def start() -> tuple[Any, ...]:
        # The case is built afresh for the comparison, untouched by the answer: copies of it, each
        # network with its optimizer, start every outcome compared.
        return copy.deepcopy(case.args)

    expected = _outcome(start())
    problem = None
    for network in ("D", "G"):
        problem = _same_weights(got, expected, network)
        if problem is not None:
            break
    if problem is not None:
        initial = {"G": _parameters(start()[0]), "D": _parameters(start()[1])}
        for network in ("D", "G"):
            if _same_weights(got, initial, network) is None:
                return Feedback(f"{network}'s weights did not change", "each update is "
                                f"opt_{network}.zero_grad(), loss.backward(), "
                                f"opt_{network}.step()")
        for mistake, diagnosis in TRAINING_MISTAKES:
            outcome = _outcome(start(), **mistake)
            if all(_same_weights(got, outcome, net) is None for net in ("D", "G")):
                return Feedback(f"{problem}\n{diagnosis.mistake}", diagnosis.fix)
        return problem
    returned = got["returned"]
    if not isinstance(returned, list | tuple) or len(returned) != 2:
        return f"expected the pair (loss_D, loss_G), got {describe(returned)}"
    for what, value, want in zip(("D", "G"), returned, expected["returned"], strict=True):
        value = number(value)
        if value is None or not math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-6):
            return Feedback(f"the weights are right, but the {what} loss returned is "
                            f"{describe(returned[0 if what == 'D' else 1])}, expected "
                            f"{want:.6g}", f"return the loss of {what}'s last update, as a "
                            "number (.item())")
    return None


TRAINING_STEP = Question(
    id="training-step",
    name="training_step",
    points=3,
    title="One training step: k_D updates of D, then k_G updates of G",
    cases=_training_cases,
    compare=_compare_training_step,
    hint="For each (real, z) in zip(reals, noises_D): fake = G(z).detach(); loss_D = "
         "discriminator_loss(D(real), D(fake)); opt_D.zero_grad(); loss_D.backward(); "
         "opt_D.step(). Then for each z in noises_G: loss_G = generator_loss(D(G(z))); "
         "opt_G.zero_grad(); loss_G.backward(); opt_G.step(). Return (loss_D.item(), "
         "loss_G.item()).",
    apply=_apply_training_step,
    refuses=(_reference_step,),
    # The step calls the notebook's losses: checked with the course's, which it allows.
    uses={"discriminator_loss": discriminator_loss, "generator_loss": generator_loss},
)


PART = Part(
    id="3-gans",
    title="Generative adversarial networks",
    questions=(DISCRIMINATOR_LOSS, GENERATOR_LOSS, GENERATOR, TRAINING_STEP),
)

__all__ = ["PART", "generator_apply", "output_differs", "run_generator", "set_weights"]
