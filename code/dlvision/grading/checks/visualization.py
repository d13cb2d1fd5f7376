"""Exercise 2, visualizing networks: the gradients with respect to the image behind saliency
maps, fooling images and class visualization.

- ``saliency-map``: |∂ score_y / ∂x|, maximum over the channels, for a batch (reference:
  ``dlvision.visualize.saliency_map``).
- ``fooling-step``: one step of the course's rule, x + η g / ‖g‖₂ with g the gradient of the
  target's score (reference: ``dlvision.visualize.fooling_step``).
- ``fooling-image``: that step repeated until the network predicts the target, at most
  ``max_iter`` times (reference: the same loop over ``fooling_step``; the package's
  ``fooling_image`` also clamps to valid images, which the exercise leaves out).
- ``class-visualization-step``: one step of gradient ascent on score − λ‖x‖² (reference:
  ``dlvision.visualize.class_visualization_step``).
- ``regularized-step``: that step between a random translation and its undoing, then a blur
  (reference: ``dlvision.visualize.jitter`` and ``gaussian_blur`` around the step, as
  ``class_visualization`` does).

The fooling loop and the regularized step call the notebook's own steps: they are checked with
the course's steps in their place (``Question.uses``, the private ``_course_fooling_step`` and
``_course_class_step``), so that a wrong step costs its own points only.

The package's own implementations of what each question asks are refused to the answers while
they are checked (``Question.refuses``); ``gaussian_blur``, which the notebook hands to the
student, is not. Every network is a tiny convolutional classifier with random weights (five
classes, images of a dozen pixels), seeded, so that a check takes milliseconds. Images are in
the network's input space; nothing is clamped, as the tiny networks have no pixel range.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ...visualize import (
    class_visualization,
    class_visualization_step,
    fooling_image,
    fooling_step,
    gaussian_blur,
    gradient_times_input,
    jitter,
    saliency_map,
    score_gradient,
    smoothgrad,
)
from ..compare import compare_tensors, describe
from ..question import Case, Feedback, Part, Question, call, keywords, symptom

N_CLASSES = 5


def tiny_classifier(seed: int, *, training: bool = False) -> nn.Module:
    """A small convolutional classifier, (N, 3, H, W) → (N, 5) scores, with random weights.

    He initialization and non-trivial batch-norm statistics keep the scores (and gradients)
    clearly dependent on the input: PyTorch's default initialization would give every image
    nearly the same scores, against which any answer looks right. In eval mode unless
    ``training``; the global random state is left alone.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
            nn.Flatten(), nn.Linear(64, N_CLASSES),
        )
        lively_init(model)
    return model.train(training)


@torch.no_grad()
def lively_init(model: nn.Module) -> nn.Module:
    """Random weights that keep a deep network's scores dependent on its input, in place, from
    the global generator: He initialization, biases in ±0.1, and batch-norm statistics away
    from (0, 1). PyTorch's default initialization shrinks the signal layer after layer, and
    gradients near 1e-8 would let any answer pass any tolerance."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.uniform_(m.bias, -0.1, 0.1)
        elif isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    return model


def _given(**options: Any) -> dict[str, Any]:
    """The keyword arguments a case gives: a None leaves the function's default."""
    return {k: v for k, v in options.items() if v is not None}


def _images(shape: tuple[int, ...], seed: int, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _run(model: nn.Module, call) -> dict[str, Any]:
    """``call()``'s result, and whether it changed the network's weights or statistics."""
    before = {k: v.clone() for k, v in model.state_dict().items()}
    output = call()
    after = model.state_dict()
    changed = any(not torch.equal(value, after[name]) for name, value in before.items())
    return {"output": output, "weights_changed": changed}


def _ran(apply: Callable[[Any, Case], Any]) -> Callable[[Any, Case], dict[str, Any]]:
    """``apply`` under ``_run``, on the case's network (its first argument)."""
    return lambda answer, case: _run(case.args[0], lambda: apply(answer, case))


def _output(got: Any) -> tuple[Any, str | None]:
    """The answer's output from what ``_run`` recorded, or a complaint about the network."""
    if not isinstance(got, dict) or "output" not in got:  # never: apply made it
        return None, f"expected a tensor, got {describe(got)}"
    if got.get("weights_changed"):
        return None, ("the network's weights or batch-norm statistics changed: a forward pass "
                      "in training mode updates batch norm's running statistics; use the "
                      "network in eval mode, and never step an optimizer here")
    return got["output"], None


def _close(expected: torch.Tensor, got: Any) -> str | None:
    if isinstance(got, torch.Tensor) and got.is_floating_point():
        got = got.to(expected.dtype)  # float64 for a float32 case is fine, and the reverse
    return compare_tensors(expected, got, atol=1e-5, rtol=1e-4)


def _ran_close(expected: torch.Tensor, got: Any) -> str | None:
    """``_close`` on the output that ``_run`` recorded, after its complaint about the network."""
    output, problem = _output(got)
    return problem if problem is not None else _close(expected, output)


def _stepped(expected: torch.Tensor, got: Any) -> torch.Tensor | None:
    """The answer's image, as float32, when it is a float tensor of the expected shape and the
    network was left alone; else None (the comparison already said what is wrong)."""
    output = None if not isinstance(got, dict) or got.get("weights_changed") else got["output"]
    if isinstance(output, torch.Tensor) and output.shape == expected.shape and \
            output.is_floating_point():
        return output.float()
    return None


def _wrong_length(default_lr: float, fix: str) -> Callable[..., Feedback | None]:
    """A step whose L2 length is not lr (a case's last argument; ``default_lr`` when None)."""
    def says(expected, got, model, x, *rest) -> Feedback | None:
        stepped, lr = _stepped(expected, got), default_lr if rest[-1] is None else rest[-1]
        length = None if stepped is None else float((stepped - x).norm())
        if length is None or abs(length - lr) <= 1e-3 * lr:
            return None
        return Feedback(f"your step has L2 length {length:.4g}, not lr = {lr:g}", fix)
    return says


def _score_gradient(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *,
                    training: bool = False, of: str = "score") -> torch.Tensor:
    """∂ f_y / ∂x per image, on a copy of the network in the given mode, with f the score, the
    softmax probability or minus the cross-entropy loss (``of``): what answers that are not
    quite right compute, to tell them what they did."""
    model = copy.deepcopy(model).train(training)
    x = X.clone().requires_grad_(True)
    scores = model(x)
    if of == "probability":
        scores = scores.softmax(1)
    elif of == "log-probability":  # minus the cross-entropy loss
        scores = scores.log_softmax(1)
    (gradient,) = torch.autograd.grad(scores.gather(1, y[:, None]).sum(), x)
    return gradient


SOFTMAX = ("you differentiated the {what}: take the gradient of the class score before the "
           "softmax, the network's raw output")


# --- saliency-map -----------------------------------------------------------------------------


def _saliency_cases() -> list[Case]:
    # In float64: the reference takes the batch at once, an answer may loop over the images,
    # and in float32 the CPU's summation order (which depends on the batch and on the
    # instruction set) can move a ReLU or a max-pooling tie across its kink and route the
    # gradient elsewhere. In float64 the rounding differences are far below the tolerance.
    return [
        Case("a tiny classifier (5 classes) with random weights, in eval mode; X: 4 random "
             "images (4, 3, 16, 16); y = [3, 0, 4, 1], not always the predicted classes "
             "(network and images in float64)",
             (tiny_classifier(0).double(), _images((4, 3, 16, 16), 1).double(),
              torch.tensor([3, 0, 4, 1]))),
        Case("a tiny classifier with batch norm, handed over in training mode; X: 3 random "
             "images (3, 3, 12, 20), not square; y = [2, 2, 0] (network and images in float64)",
             (tiny_classifier(1, training=True).double(), _images((3, 3, 12, 20), 2).double(),
              torch.tensor([2, 2, 0]))),
    ]


SALIENCY_MAP = Question(
    id="saliency-map",
    name="compute_saliency_maps",
    points=2,
    title="Saliency maps (N, H, W): |∂ score_y / ∂x|, maximum over the channels",
    cases=_saliency_cases,
    reference=saliency_map,  # (N, H, W)
    compare_with=_ran_close,
    mistakes=(
        ("you took the maximum of the signed gradient: take the absolute value first, then the "
         "maximum over the channels", lambda *a: _score_gradient(*a).amax(dim=1)),
        ("you summed the channels: the map keeps the largest absolute value of the three",
         lambda *a: _score_gradient(*a).abs().sum(dim=1)),
        ("you averaged the channels: the map keeps the largest absolute value of the three",
         lambda *a: _score_gradient(*a).abs().mean(dim=1)),
        ("these are the maps of the network in training mode: call model.eval() first",
         lambda *a: _score_gradient(*a, training=True).abs().amax(dim=1)),
        (SOFTMAX.format(what="softmax probability"),
         lambda *a: _score_gradient(*a, of="probability").abs().amax(dim=1)),
        (SOFTMAX.format(what="cross-entropy loss"),
         lambda *a: _score_gradient(*a, of="log-probability").abs().amax(dim=1)),
    ),
    hint="model.eval(); X = X.clone().requires_grad_(); scores = model(X) (N, K); take each "
         "image's score of its own class, scores.gather(1, y[:, None]).sum(), and backward; "
         "then X.grad.abs().amax(dim=1). The scores are before the softmax, not a loss.",
    apply=_ran(call),
    refuses=(saliency_map, score_gradient, gradient_times_input, smoothgrad),
)


# --- fooling-step -----------------------------------------------------------------------------


def _fooling_step_cases() -> list[Case]:
    return [
        Case("a tiny classifier with random weights, in eval mode; x: one random image "
             "(1, 3, 16, 16); target 3; lr left at its default (1.0)",
             (tiny_classifier(2), _images((1, 3, 16, 16), 3), 3, None)),
        Case("a tiny classifier with random weights, in eval mode; x: one random image "
             "(1, 3, 12, 12); target 0; lr=0.25",
             (tiny_classifier(3), _images((1, 3, 12, 12), 4), 0, 0.25)),
    ]


def _on_the_loss(model: nn.Module, x: torch.Tensor, target: int, lr: float | None
                 ) -> torch.Tensor:
    """The step along the gradient of log p, which has the direction of p's (for feedback)."""
    g = _score_gradient(model, x, torch.tensor([target]), of="log-probability")
    return x + (1.0 if lr is None else lr) * g / g.norm()


def _downhill(expected: torch.Tensor, got: Any, model: nn.Module, x: torch.Tensor, *_) -> bool:
    stepped = _stepped(expected, got)
    return stepped is not None and float(((stepped - x) * (expected - x)).sum()) < 0


FOOLING_STEP = Question(
    id="fooling-step",
    name="fooling_step",
    points=2,
    title="One fooling step: x + lr · g / ‖g‖₂, g the gradient of the target's score",
    cases=_fooling_step_cases,
    reference=lambda model, x, target, lr: fooling_step(model, x, target, **_given(lr=lr)),
    compare_with=_ran_close,
    mistakes=(
        _wrong_length(1.0, "divide the gradient by its L2 norm, g / g.norm()"),
        symptom(Feedback("your step goes against the gradient, which lowers the target's "
                         "score", "this is an ascent, x + lr * g / ‖g‖"), _downhill),
        (SOFTMAX.format(what="softmax probability (or the loss)"), _on_the_loss),
    ),
    hint="x = x.clone().requires_grad_(); score = model(x)[0, target] (before the softmax); "
         "g = torch.autograd.grad(score, x)[0] (or score.backward(); g = x.grad); return "
         "x.detach() + lr * g / g.norm().",
    apply=_ran(keywords("lr")),
    refuses=(fooling_step, score_gradient),
)


def _course_fooling_step(model: nn.Module, x: torch.Tensor, target: int, lr: float = 1.0
                        ) -> torch.Tensor:
    """The course's fooling step, written here: it stands in for the student's own
    ``fooling_step`` while their loop is checked (``Question.uses``), where the package's
    ``fooling_step`` is refused."""
    with torch.enable_grad():  # a loop may call the step under torch.no_grad()
        x = x.detach().clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(model(x)[0, target], x)
    return x.detach() + lr * gradient / gradient.norm().clamp_min(1e-12)


# --- fooling-image ----------------------------------------------------------------------------


def _fooling_image_cases() -> list[Case]:
    return [
        Case("a tiny classifier with random weights, in eval mode; x: one random image "
             "(1, 3, 16, 16) that it predicts as class 3; target 0; lr and max_iter left at "
             "their defaults (1.0 and 100): the prediction goes through class 1 on the way",
             (tiny_classifier(7), _images((1, 3, 16, 16), 10), 0, None, None)),
        Case("a tiny classifier; x: one random image (1, 3, 16, 16) predicted as class 2; "
             "target 1; lr=0.5, max_iter=100",
             (tiny_classifier(5), _images((1, 3, 16, 16), 5), 1, 0.5, 100)),
        Case("a tiny classifier; x: one random image (1, 3, 16, 16) that it already predicts "
             "as the target, class 3; lr=1.0, max_iter=100",
             (tiny_classifier(1), _images((1, 3, 16, 16), 1), 3, 1.0, 100)),
        Case("a tiny classifier; x: one random image predicted as class 4; target 3, which "
             "takes about 30 steps; lr=1.0, max_iter=3",
             (tiny_classifier(9), _images((1, 3, 16, 16), 10), 3, 1.0, 3)),
    ]


def _fooling_path(model: nn.Module, x: torch.Tensor, target: int, *, lr: float = 1.0,
                 max_iter: int = 100, extra: int = 0) -> list[torch.Tensor]:
    """The images of the course's loop, x first: a step while the network does not predict
    ``target``, at most ``max_iter`` steps; the last one is the loop's answer. ``extra`` steps
    more are appended after it (for feedback on answers that do not stop)."""
    path = [x]
    with torch.no_grad():
        while len(path) - 1 < max_iter and int(model(path[-1]).argmax(1)) != target:
            path.append(fooling_step(model, path[-1], target, lr=lr))
    for _ in range(extra):
        path.append(fooling_step(model, path[-1], target, lr=lr))
    return path


def _steps_taken(expected: torch.Tensor, got: Any, model: nn.Module, x: torch.Tensor,
                 target: int, lr: float | None, max_iter: int | None) -> str | None:
    """How many steps the loop takes, and which image of the course's path came back."""
    image, complaint = _output(got)
    if complaint is not None:
        return None
    lr, max_iter = 1.0 if lr is None else lr, 100 if max_iter is None else max_iter
    path = _fooling_path(model, x, target, lr=lr, max_iter=max_iter, extra=max_iter)
    steps = len(path) - 1 - max_iter
    done = "the network predicts the target" if steps < max_iter else f"max_iter = {max_iter}"
    says = f"the loop takes {steps} step(s) before {done}"
    for i, candidate in enumerate(path):
        if i != steps and _close(candidate, image) is None:
            more = "fewer" if i < steps else "more"
            return (f"{says}; your image is the one after {i} step(s), {more} than that: "
                    "check the prediction before each step, step while it is not the target, "
                    "and stop at max_iter")
    if _close(expected - x, image) is None:
        return f"{says}; you returned the change x_fooled - x: return the fooled image"
    return says


FOOLING_IMAGE = Question(
    id="fooling-image",
    name="make_fooling_image",
    points=2,
    title="A fooling image: fooling steps until the network predicts the target (≤ max_iter)",
    cases=_fooling_image_cases,
    reference=lambda model, x, target, lr, max_iter: _fooling_path(
        model, x, target, **_given(lr=lr, max_iter=max_iter))[-1],
    compare_with=_ran_close,
    mistakes=(_steps_taken,),
    hint="x_fool = x.clone(); for _ in range(max_iter): if model(x_fool).argmax(1) == target: "
         "break; x_fool = fooling_step(model, x_fool, target, lr=lr); return x_fool (the image "
         "the network already predicts as the target comes back unchanged).",
    apply=_ran(keywords("lr", "max_iter")),
    refuses=(fooling_image, fooling_step, score_gradient, _fooling_path),
    uses={"fooling_step": _course_fooling_step},
)


# --- class-visualization-step -----------------------------------------------------------------


def _class_step_cases() -> list[Case]:
    return [
        Case("a tiny classifier with random weights, in eval mode; x: random noise "
             "(1, 3, 16, 16); target 1; l2_reg and lr left at their defaults (1e-3 and 5.0)",
             (tiny_classifier(6), _images((1, 3, 16, 16), 6), 1, None, None)),
        Case("a tiny classifier; x: random noise of standard deviation 3 (1, 3, 12, 12), large "
             "enough for the penalty to matter; target 4; l2_reg=0.05, lr=0.5",
             (tiny_classifier(7), _images((1, 3, 12, 12), 7, scale=3.0), 4, 0.05, 0.5)),
    ]


def _lowers_objective(expected: torch.Tensor, got: Any, model: nn.Module, x: torch.Tensor,
                      target: int, l2_reg: float | None, lr: float | None) -> bool:
    stepped = _stepped(expected, got)
    l2_reg = 1e-3 if l2_reg is None else l2_reg

    def objective(image: torch.Tensor) -> float:
        with torch.no_grad():
            return float(model(image)[0, target] - l2_reg * image.pow(2).sum())

    return stepped is not None and objective(stepped) < objective(x) < objective(expected)


def _step_with_penalty(weight: float = 1.0, squared: bool = True) -> Callable[..., torch.Tensor]:
    """The ascent step with ``weight`` · l2_reg, and λ‖x‖ unless ``squared`` (for feedback)."""
    def step(model: nn.Module, x: torch.Tensor, target: int, l2_reg: float | None,
             lr: float | None) -> torch.Tensor:
        l2_reg, lr = weight * (1e-3 if l2_reg is None else l2_reg), 5.0 if lr is None else lr
        if squared:
            return class_visualization_step(model, x, target, l2_reg=l2_reg, lr=lr)
        x = x.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(model(x)[0, target] - l2_reg * x.norm(), x)
        return x.detach() + lr * gradient / gradient.norm()
    return step


PENALTY = Feedback("the objective is the target's score minus l2_reg times the *squared* L2 "
                   "norm of the image", "x.pow(2).sum()")


CLASS_VISUALIZATION_STEP = Question(
    id="class-visualization-step",
    name="class_visualization_step",
    points=2,
    title="One step of gradient ascent on score_target(x) − λ‖x‖², normalized to length lr",
    cases=_class_step_cases,
    reference=lambda model, x, target, l2_reg, lr: class_visualization_step(
        model, x, target, **_given(l2_reg=l2_reg, lr=lr)),
    compare_with=_ran_close,
    mistakes=(
        _wrong_length(5.0, "divide the gradient by its L2 norm"),
        symptom("your step lowers score − λ‖x‖²: it is a gradient *ascent*, x + lr · g / ‖g‖",
                _lowers_objective),
        (PENALTY, _step_with_penalty(weight=0.0)),
        (PENALTY, _step_with_penalty(weight=-1.0)),
        (PENALTY, _step_with_penalty(squared=False)),
    ),
    hint="x = x.clone().requires_grad_(); L = model(x)[0, target] - l2_reg * x.pow(2).sum(); "
         "g = torch.autograd.grad(L, x)[0]; return x.detach() + lr * g / g.norm().",
    apply=_ran(keywords("l2_reg", "lr")),
    refuses=(class_visualization_step, class_visualization),
)


def _course_class_step(model: nn.Module, x: torch.Tensor, target: int, l2_reg: float = 1e-3,
                       lr: float = 5.0) -> torch.Tensor:
    """The course's class-visualization step, written here: it stands in for the student's own
    ``class_visualization_step`` while their regularized step is checked (``Question.uses``),
    where the package's is refused."""
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        objective = model(x)[0, target] - l2_reg * x.pow(2).sum()
        (gradient,) = torch.autograd.grad(objective, x)
    return x.detach() + lr * gradient / gradient.norm().clamp_min(1e-12)


# --- regularized-step -------------------------------------------------------------------------


def _regularized_cases() -> list[Case]:
    return [
        Case("a tiny classifier with random weights, in eval mode; x: random noise "
             "(1, 3, 16, 16); target 2; dy=2, dx=-3; blur_sigma, l2_reg and lr left at their "
             "defaults (0.0: no blur, 1e-3, 5.0)",
             (tiny_classifier(8), _images((1, 3, 16, 16), 8), 2, 2, -3, None, None, None)),
        Case("a tiny classifier; x: random noise (1, 3, 12, 16); target 0; dy=-1, dx=4; "
             "blur_sigma=0.5, l2_reg=0.01, lr=1.0",
             (tiny_classifier(9), _images((1, 3, 12, 16), 9), 0, -1, 4, 0.5, 0.01, 1.0)),
    ]


def _regularized_step(model: nn.Module, x: torch.Tensor, target: int, *, dy: int, dx: int,
                     blur_sigma: float = 0.0, l2_reg: float = 1e-3, lr: float = 5.0
                     ) -> torch.Tensor:
    """The reference: jitter by (dy, dx), one ascent step, jitter back, blur (σ > 0)."""
    stepped = class_visualization_step(model, jitter(x, dy, dx), target, l2_reg=l2_reg, lr=lr)
    return gaussian_blur(jitter(stepped, -dy, -dx), blur_sigma)


def _regularized(*, jitter_in: bool = True, back: int = -1, blur_first: bool = False,
                 blur: bool = True) -> Callable[..., torch.Tensor]:
    """A wrong regularized step on a case's arguments (for feedback): the gradient taken at the
    unshifted image (``jitter_in=False``), shifted back ``back`` times (0: not at all, 1:
    shifted twice), blurred before the shift back, not blurred."""
    def step(model: nn.Module, x: torch.Tensor, target: int, dy: int, dx: int,
             blur_sigma: float | None, l2_reg: float | None, lr: float | None) -> torch.Tensor:
        sigma = (blur_sigma or 0.0) if blur else 0.0
        x = jitter(x, dy, dx) if jitter_in else x
        x = class_visualization_step(model, x, target, **_given(l2_reg=l2_reg, lr=lr))
        if blur_first:
            x = gaussian_blur(x, sigma)
        if jitter_in and back:
            x = jitter(x, back * dy, back * dx)
        return x if blur_first else gaussian_blur(x, sigma)
    return step


REGULARIZED_STEP = Question(
    id="regularized-step",
    name="regularized_step",
    points=1,
    title="A step with the priors: jitter (dy, dx), ascent step, jitter back, blur",
    cases=_regularized_cases,
    reference=lambda model, x, target, dy, dx, sigma, l2_reg, lr: _regularized_step(
        model, x, target, dy=dy, dx=dx, **_given(blur_sigma=sigma, l2_reg=l2_reg, lr=lr)),
    compare_with=_ran_close,
    mistakes=(
        ("the image was not shifted back: after the step, jitter by (-dy, -dx)",
         _regularized(back=0)),
        ("the image was shifted by (dy, dx) twice: shift it back by (-dy, -dx)",
         _regularized(back=1)),
        ("the step was taken on the image that was not shifted: take the gradient at the "
         "shifted image", _regularized(jitter_in=False)),
        ("the image was not blurred, though blur_sigma > 0", _regularized(blur=False)),
        ("the image was blurred before being shifted back: shift it back first (the blur treats "
         "the borders differently)", _regularized(blur_first=True)),
    ),
    hint="x = torch.roll(x, shifts=(dy, dx), dims=(2, 3)); x = class_visualization_step(model, "
         "x, target, l2_reg=l2_reg, lr=lr); roll back with shifts=(-dy, -dx); then, if "
         "blur_sigma > 0, x = gaussian_blur(x, blur_sigma).",
    apply=_ran(keywords("dy", "dx", "blur_sigma", "l2_reg", "lr")),
    # gaussian_blur stays allowed: the notebook hands it to the student.
    refuses=(jitter, class_visualization_step, class_visualization, _regularized_step),
    uses={"class_visualization_step": _course_class_step},
)

PART = Part(
    id="2-visualization",
    title="Visualizing networks",
    questions=(SALIENCY_MAP, FOOLING_STEP, FOOLING_IMAGE, CLASS_VISUALIZATION_STEP,
               REGULARIZED_STEP),
)

__all__ = ["PART", "lively_init", "tiny_classifier"]
