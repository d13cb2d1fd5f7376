"""Looking inside a trained classifier (Part 2): saliency maps, adversarial images, class
visualization.

``saliency``      ``saliency_map(model, X, y) -> (N, H, W)``; SmoothGrad, gradient × input;
                  ``randomized_copy`` for the sanity check; ``saliency_box`` for localization;
``adversarial``   ``fooling_image`` (the course's construction, ``fooling_step`` its one step),
                  ``fgsm`` and ``pgd``, each returning an ``Attack`` (success, steps, L2 and
                  L∞ in pixel units);
``class_visual``  ``class_visualization`` and its single step, with jitter and blur;
``common``        checked inputs, the network borrowed in eval mode, pixel units.

Functions take batched tensors (N, 3, H, W) in the network's input space (normalized images, as
``dlvision.data.imagenet_samples`` gives them) and leave the network as they found it: same
mode, same weights, no parameter gradients. They run in both profiles: 224×224 and 1,000
classes in full, 32×32 and five digit classes in mini.
"""

from .adversarial import Attack, fgsm, fooling_image, fooling_step, pgd
from .class_visual import (
    ClassVisualization,
    class_visualization,
    class_visualization_step,
    gaussian_blur,
    jitter,
    scaled_jitter,
)
from .common import evaluating, perturbation_size
from .saliency import (
    gradient_times_input,
    randomized_copy,
    saliency_box,
    saliency_map,
    score_gradient,
    smoothgrad,
)

__all__ = [
    "Attack",
    "ClassVisualization",
    "class_visualization",
    "class_visualization_step",
    "evaluating",
    "fgsm",
    "fooling_image",
    "fooling_step",
    "gaussian_blur",
    "gradient_times_input",
    "jitter",
    "perturbation_size",
    "pgd",
    "randomized_copy",
    "saliency_box",
    "saliency_map",
    "scaled_jitter",
    "score_gradient",
    "smoothgrad",
]
