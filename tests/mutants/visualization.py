"""Wrong and right answers to exercise 2, visualizing networks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.transforms import functional as TF

# saliency-map ---------------------------------------------------------------------------------


def _input_gradient(model, X, y, objective):
    model.eval()
    X = X.clone().requires_grad_(True)
    objective(model(X), y).backward()
    return X.grad


def _correct_scores(scores, y):
    return scores.gather(1, y[:, None]).sum()


def saliency_without_abs(model, X, y):
    """Takes the maximum of the signed gradient: strong negative sensitivities vanish."""
    return _input_gradient(model, X, y, _correct_scores).amax(dim=1)


def saliency_summing_channels(model, X, y):
    """Sums the absolute gradient over the channels instead of taking the maximum."""
    return _input_gradient(model, X, y, _correct_scores).abs().sum(dim=1)


def saliency_of_the_loss(model, X, y):
    """Differentiates the cross-entropy loss, not the class score before the softmax."""
    return _input_gradient(model, X, y, lambda s, t: F.cross_entropy(s, t, reduction="sum")
                           ).abs().amax(dim=1)


def saliency_of_the_probability(model, X, y):
    """Differentiates the softmax probability of the class, not its score."""
    return _input_gradient(model, X, y, lambda s, t: _correct_scores(s.softmax(1), t)
                           ).abs().amax(dim=1)


def saliency_of_all_scores(model, X, y):
    """Differentiates the sum of every class's score, ignoring y."""
    return _input_gradient(model, X, y, lambda s, t: s.sum()).abs().amax(dim=1)


def saliency_of_the_predicted_class(model, X, y):
    """Explains the predicted class instead of the given one."""
    return _input_gradient(model, X, y, lambda s, t: _correct_scores(s, s.argmax(1))
                           ).abs().amax(dim=1)


def saliency_in_training_mode(model, X, y):
    """Leaves the network in training mode: batch norm uses (and updates) batch statistics."""
    X = X.clone().requires_grad_(True)
    _correct_scores(model(X), y).backward()
    return X.grad.abs().amax(dim=1)


def saliency_keeping_the_channel_axis(model, X, y):
    """Keeps a channel axis of size 1: (N, 1, H, W) instead of (N, H, W)."""
    return _input_gradient(model, X, y, _correct_scores).abs().amax(dim=1, keepdim=True)


def saliency_one_image_at_a_time(model, X, y):
    model.eval()
    maps = []
    for image, label in zip(X, y, strict=True):
        x = image.unsqueeze(0).clone().requires_grad_()
        model(x)[0, label].backward()
        maps.append(x.grad[0].abs().max(dim=0).values)
    return torch.stack(maps)


def saliency_with_a_one_hot_backward(model, X, y):
    model.eval()
    X = X.detach().clone()
    X.requires_grad = True
    scores = model(X)
    scores.backward(F.one_hot(y, scores.shape[1]).to(scores.dtype))
    return X.grad.data.abs().max(dim=1)[0]


# fooling-step ---------------------------------------------------------------------------------


def _target_gradient(model, x, target, objective=lambda scores, t: scores[0, t]):
    x = x.clone().requires_grad_(True)
    objective(model(x), target).backward()
    return x.grad


def fooling_step_not_normalized(model, x, target, lr=1.0):
    """Steps by lr times the raw gradient, whose length is not lr."""
    return x + lr * _target_gradient(model, x, target)


def fooling_step_downhill(model, x, target, lr=1.0):
    """Descends the target's score instead of ascending it."""
    g = _target_gradient(model, x, target)
    return x - lr * g / g.norm()


def fooling_step_with_the_sign(model, x, target, lr=1.0):
    """Uses the sign of the gradient (FGSM's step), whose L2 length is not lr."""
    return x + lr * _target_gradient(model, x, target).sign()


def fooling_step_on_the_loss(model, x, target, lr=1.0):
    """Descends the cross-entropy loss of the target: another direction than its score's."""
    g = _target_gradient(model, x, target, lambda s, t: F.cross_entropy(s, torch.tensor([t])))
    return x - lr * g / g.norm()


def fooling_step_max_normalized(model, x, target, lr=1.0):
    """Divides the gradient by its largest value instead of its L2 norm."""
    g = _target_gradient(model, x, target)
    return x + lr * g / g.abs().max()


def fooling_step_with_autograd_grad(model, x, target, lr=1.0):
    image = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(model(image)[:, target].sum(), image)
    return (image + lr * g / torch.linalg.vector_norm(g)).detach()


def fooling_step_with_x_grad(model, x, target, lr=1.0):
    x_var = x.clone()
    x_var.requires_grad_()
    score = model(x_var).squeeze(0)[target]
    score.backward()
    g = x_var.grad.data
    return x_var.data + lr * g / torch.sqrt(torch.sum(g * g))


# fooling-image --------------------------------------------------------------------------------


def _step(model, x, target, lr):
    return fooling_step_with_autograd_grad(model, x, target, lr=lr)


def _predicted(model, x):
    with torch.no_grad():
        return int(model(x).argmax(1))


def fooling_image_one_step(model, x, target, lr=1.0, max_iter=100):
    """Takes a single step, whatever the network then predicts."""
    return _step(model, x, target, lr)


def fooling_image_without_stopping(model, x, target, lr=1.0, max_iter=100):
    """Always takes max_iter steps: keeps pushing after the network predicts the target."""
    for _ in range(max_iter):
        x = _step(model, x, target, lr)
    return x


def fooling_image_untargeted(model, x, target, lr=1.0, max_iter=100):
    """Stops as soon as the prediction changes, even to a class that is not the target."""
    original = _predicted(model, x)
    for _ in range(max_iter):
        if _predicted(model, x) != original:
            break
        x = _step(model, x, target, lr)
    return x


def fooling_image_one_step_too_many(model, x, target, lr=1.0, max_iter=100):
    """Steps first and checks after: one step even when the image already is the target."""
    for _ in range(max_iter):
        x = _step(model, x, target, lr)
        if _predicted(model, x) == target:
            break
    return x


def fooling_image_returns_the_change(model, x, target, lr=1.0, max_iter=100):
    """Returns the perturbation, not the fooled image."""
    x_fool = x
    for _ in range(max_iter):
        if _predicted(model, x_fool) == target:
            break
        x_fool = _step(model, x_fool, target, lr)
    return x_fool - x


def fooling_image_ignoring_max_iter(model, x, target, lr=1.0, max_iter=100):
    """Loops until the target is reached, however many steps it takes."""
    while _predicted(model, x) != target:
        x = _step(model, x, target, lr)
    return x


def fooling_image_with_a_while_loop(model, x, target, lr=1.0, max_iter=100):
    x_fool, steps = x.clone(), 0
    while steps < max_iter and model(x_fool).argmax().item() != target:
        x_fool = fooling_step_with_x_grad(model, x_fool, target, lr=lr)
        steps += 1
    return x_fool


def fooling_image_with_a_for_else(model, x, target, lr=1.0, max_iter=100):
    x_fool = x.detach().clone()
    for _ in range(max_iter):
        with torch.no_grad():
            fooled = model(x_fool).argmax(dim=1).item() == target
        if fooled:
            break
        x_fool = fooling_step_with_autograd_grad(model, x_fool, target, lr)
    return x_fool


# class-visualization-step ---------------------------------------------------------------------


def _ascent(model, x, target, objective, lr, normalize=True):
    x = x.clone().requires_grad_(True)
    objective(model(x)[0, target], x).backward()
    g = x.grad
    return (x + lr * (g / g.norm() if normalize else g)).detach()


def class_step_without_penalty(model, x, target, l2_reg=1e-3, lr=5.0):
    """Forgets the L2 penalty: ascends the score alone."""
    return _ascent(model, x, target, lambda s, img: s, lr)


def class_step_rewarding_the_norm(model, x, target, l2_reg=1e-3, lr=5.0):
    """Adds λ‖x‖² instead of subtracting it: the image grows instead of staying small."""
    return _ascent(model, x, target, lambda s, img: s + l2_reg * img.pow(2).sum(), lr)


def class_step_with_the_norm_not_squared(model, x, target, l2_reg=1e-3, lr=5.0):
    """Penalizes λ‖x‖ instead of λ‖x‖²."""
    return _ascent(model, x, target, lambda s, img: s - l2_reg * img.norm(), lr)


def class_step_downhill(model, x, target, l2_reg=1e-3, lr=5.0):
    """Takes a descent step: lr with the wrong sign."""
    return _ascent(model, x, target, lambda s, img: s - l2_reg * img.pow(2).sum(), -lr)


def class_step_not_normalized(model, x, target, l2_reg=1e-3, lr=5.0):
    """Steps by lr times the raw gradient, x + lr · g."""
    return _ascent(model, x, target, lambda s, img: s - l2_reg * img.pow(2).sum(), lr,
                   normalize=False)


def class_step_on_the_probability(model, x, target, l2_reg=1e-3, lr=5.0):
    """Ascends the softmax probability of the target, not its score."""
    image = x.clone().requires_grad_(True)
    objective = model(image).softmax(1)[0, target] - l2_reg * image.pow(2).sum()
    objective.backward()
    return (image + lr * image.grad / image.grad.norm()).detach()


def class_step_with_autograd_grad(model, x, target, l2_reg=1e-3, lr=5.0):
    img = x.detach().clone().requires_grad_(True)
    objective = model(img)[:, target].sum() - l2_reg * torch.sum(img * img)
    (g,) = torch.autograd.grad(objective, img)
    return img.detach() + lr * g / torch.linalg.vector_norm(g)


def class_step_with_the_penalty_gradient_by_hand(model, x, target, l2_reg=1e-3, lr=5.0):
    img = x.clone().requires_grad_(True)
    model(img)[0, target].backward()
    g = img.grad - 2 * l2_reg * x  # d(λ‖x‖²)/dx = 2λx
    return x + lr * g / g.norm()


# regularized-step -----------------------------------------------------------------------------


def _blur(x, sigma):
    from dlvision.visualize import gaussian_blur

    return gaussian_blur(x, sigma) if sigma > 0 else x


def _class_step(model, x, target, l2_reg, lr):
    return class_step_with_autograd_grad(model, x, target, l2_reg=l2_reg, lr=lr)


def regularized_step_not_shifted_back(model, x, target, *, dy, dx, blur_sigma=0.0,
                                      l2_reg=1e-3, lr=5.0):
    """Jitters the image but never undoes the translation."""
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    return _blur(_class_step(model, x, target, l2_reg, lr), blur_sigma)


def regularized_step_shifted_twice(model, x, target, *, dy, dx, blur_sigma=0.0, l2_reg=1e-3,
                                   lr=5.0):
    """'Undoes' the translation with the same shift, moving the image twice as far."""
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    x = _class_step(model, x, target, l2_reg, lr)
    return _blur(torch.roll(x, shifts=(dy, dx), dims=(2, 3)), blur_sigma)


def regularized_step_rolling_the_channels(model, x, target, *, dy, dx, blur_sigma=0.0,
                                          l2_reg=1e-3, lr=5.0):
    """Rolls along the channel and row axes (dims=(1, 2)) instead of rows and columns."""
    x = torch.roll(x, shifts=(dy, dx), dims=(1, 2))
    x = _class_step(model, x, target, l2_reg, lr)
    return _blur(torch.roll(x, shifts=(-dy, -dx), dims=(1, 2)), blur_sigma)


def regularized_step_without_blur(model, x, target, *, dy, dx, blur_sigma=0.0, l2_reg=1e-3,
                                  lr=5.0):
    """Forgets the blur."""
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    x = _class_step(model, x, target, l2_reg, lr)
    return torch.roll(x, shifts=(-dy, -dx), dims=(2, 3))


def regularized_step_blurring_before_shifting_back(model, x, target, *, dy, dx,
                                                   blur_sigma=0.0, l2_reg=1e-3, lr=5.0):
    """Blurs the shifted image, then shifts it back: the borders are blurred differently."""
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    x = _blur(_class_step(model, x, target, l2_reg, lr), blur_sigma)
    return torch.roll(x, shifts=(-dy, -dx), dims=(2, 3))


def regularized_step_with_the_gradient_of_the_unshifted_image(model, x, target, *, dy, dx,
                                                              blur_sigma=0.0, l2_reg=1e-3,
                                                              lr=5.0):
    """Shifts and unshifts around nothing: the step sees the image where it was."""
    x = torch.roll(torch.roll(x, shifts=(dy, dx), dims=(2, 3)), shifts=(-dy, -dx), dims=(2, 3))
    return _blur(_class_step(model, x, target, l2_reg, lr), blur_sigma)


def regularized_step_shifting_with_zeros(model, x, target, *, dy, dx, blur_sigma=0.0,
                                         l2_reg=1e-3, lr=5.0):
    """Translates with zero padding (what leaves one side is lost) instead of rolling."""
    def shift(image, a, b):
        return TF.affine(image, angle=0.0, translate=[b, a], scale=1.0, shear=[0.0])

    x = _class_step(model, shift(x, dy, dx), target, l2_reg, lr)
    return _blur(shift(x, -dy, -dx), blur_sigma)


def regularized_step_rolling_one_axis_at_a_time(model, x, target, *, dy, dx, blur_sigma=0.0,
                                                l2_reg=1e-3, lr=5.0):
    shifted = x.roll(dy, dims=2).roll(dx, dims=3)
    stepped = class_step_with_the_penalty_gradient_by_hand(model, shifted, target,
                                                           l2_reg=l2_reg, lr=lr)
    back = stepped.roll(-dx, dims=3).roll(-dy, dims=2)
    return _blur(back, blur_sigma)


def regularized_step_with_torchvision_s_blur(model, x, target, *, dy, dx, blur_sigma=0.0,
                                             l2_reg=1e-3, lr=5.0):
    x = torch.roll(x, (dy, dx), (-2, -1))
    x = class_step_with_autograd_grad(model, x, target, l2_reg, lr)
    x = torch.roll(x, (-dy, -dx), (-2, -1))
    if blur_sigma > 0:  # a kernel of ±3σ, as the course's blur
        x = TF.gaussian_blur(x, kernel_size=2 * round(3 * blur_sigma) + 1, sigma=blur_sigma)
    return x


MUTANTS = {
    "saliency-map": [saliency_without_abs, saliency_summing_channels, saliency_of_the_loss,
                     saliency_of_the_probability, saliency_of_all_scores,
                     saliency_of_the_predicted_class, saliency_in_training_mode,
                     saliency_keeping_the_channel_axis],
    "fooling-step": [fooling_step_not_normalized, fooling_step_downhill,
                     fooling_step_with_the_sign, fooling_step_on_the_loss,
                     fooling_step_max_normalized],
    "fooling-image": [fooling_image_one_step, fooling_image_without_stopping,
                      fooling_image_untargeted, fooling_image_one_step_too_many,
                      fooling_image_returns_the_change, fooling_image_ignoring_max_iter],
    "class-visualization-step": [class_step_without_penalty, class_step_rewarding_the_norm,
                                 class_step_with_the_norm_not_squared, class_step_downhill,
                                 class_step_not_normalized, class_step_on_the_probability],
    "regularized-step": [regularized_step_not_shifted_back, regularized_step_shifted_twice,
                         regularized_step_rolling_the_channels, regularized_step_without_blur,
                         regularized_step_blurring_before_shifting_back,
                         regularized_step_with_the_gradient_of_the_unshifted_image,
                         regularized_step_shifting_with_zeros],
}

ALTERNATIVES = {
    "saliency-map": [saliency_one_image_at_a_time, saliency_with_a_one_hot_backward],
    "fooling-step": [fooling_step_with_autograd_grad, fooling_step_with_x_grad],
    "fooling-image": [fooling_image_with_a_while_loop, fooling_image_with_a_for_else],
    "class-visualization-step": [class_step_with_autograd_grad,
                                 class_step_with_the_penalty_gradient_by_hand],
    "regularized-step": [regularized_step_rolling_one_axis_at_a_time,
                         regularized_step_with_torchvision_s_blur],
}
