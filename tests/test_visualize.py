"""Looking inside a network: saliency maps, adversarial images, class visualization, and the
measures of maps and boxes that score them. Small random (or briefly trained) networks only."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr
from torch import nn
from torchvision.models import squeezenet1_1

from dlvision.data import denormalize, imagenet_samples, ink_boxes
from dlvision.grading.checks.visualization import lively_init
from dlvision.metrics import (
    bounding_boxes,
    box_iou,
    box_masks,
    mass_share,
    rank_correlation,
    speckle,
    stroke_regions,
)
from dlvision.models import MiniSqueezeNet, MiniVGG, weights_info
from dlvision.visualize import (
    class_visualization,
    class_visualization_step,
    fgsm,
    fooling_image,
    fooling_step,
    gaussian_blur,
    gradient_times_input,
    jitter,
    pgd,
    randomized_copy,
    saliency_box,
    saliency_map,
    scaled_jitter,
    smoothgrad,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _mini_info():
    return weights_info("vgg16", profile="mini")


def _tiny_net() -> nn.Module:
    """A small convolutional classifier with batch norm and dropout, five classes at 32×32."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(128, 5),
    )


def _seeded(build, seed: int = 0) -> nn.Module:
    """``build()`` with random weights that make its scores depend on the input (the checks'
    ``lively_init``), in eval mode. The global random state is left alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = lively_init(build())
    model.weights_info = _mini_info()
    return model.eval()


def _images(n: int = 4, size: int = 32, seed: int = 0) -> torch.Tensor:
    """n valid normalized images: uniform pixels in [0, 1], ImageNet-normalized."""
    info = _mini_info()
    pixels = torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))
    return info.clamp(info.normalize(pixels))


def _reference_saliency(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The course's loop: one image at a time, score of its label, backward, |.|, max."""
    model = copy.deepcopy(model).eval()
    maps = []
    for x, label in zip(X, y, strict=True):
        x = x[None].clone().requires_grad_()
        model(x)[0, label].backward()
        maps.append(x.grad.abs().amax(dim=1)[0])
    return torch.stack(maps)


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _modes(model: nn.Module) -> list[bool]:
    return [m.training for m in model.modules()]


def _assert_untouched(model: nn.Module, state: dict, modes: list[bool]) -> None:
    """Same weights and buffers (batch-norm statistics too), same modes, no gradients."""
    for name, value in model.state_dict().items():
        assert torch.equal(value, state[name]), name
    assert _modes(model) == modes
    assert all(p.grad is None for p in model.parameters())


def _in_float64(model: nn.Module, X: torch.Tensor) -> tuple[nn.Module, torch.Tensor]:
    """A float64 copy of the network, and X in float64: for comparing a batched gradient with a
    per-image one. In float32 the CPU's kernels sum in an order that depends on the batch and
    on the instruction set (AVX2, AVX-512, NEON); a ReLU input or a max-pooling tie that close
    to its kink then routes the gradient elsewhere (in a deep network, 2 % of a map's values
    differed by up to 9 % on AVX-512). In float64 those rounding differences are around 1e-16,
    and no activation of these random networks lies that close to a kink."""
    return copy.deepcopy(model).double(), X.double()


def _assert_close_relative(actual: torch.Tensor, expected: torch.Tensor) -> None:
    assert actual.dtype == expected.dtype == torch.float64, "compare gradients in float64"
    scale = float(expected.abs().max())
    assert scale > 1e-4, "the reference is (nearly) zero: the comparison would prove nothing"
    torch.testing.assert_close(actual, expected, rtol=1e-9, atol=1e-12 * scale)


# --- saliency maps -------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [MiniVGG, MiniSqueezeNet, _tiny_net])
def test_saliency_map_equals_a_per_image_autograd_loop(build):
    model, X = _in_float64(_seeded(build, seed=1), _images(5, seed=1))
    y = torch.tensor([0, 1, 2, 3, 4])
    maps = saliency_map(model, X, y)
    assert maps.shape == (5, 32, 32) and (maps >= 0).all()
    _assert_close_relative(maps, _reference_saliency(model, X, y))


def test_saliency_map_explains_the_label_it_is_given():
    model, X = _in_float64(_seeded(_tiny_net, seed=2), _images(3, seed=2))
    by_label = [saliency_map(model, X, k) for k in range(5)]
    assert not torch.allclose(by_label[0], by_label[1])
    y = torch.tensor([4, 0, 2])  # an int label stands for every image; a tensor picks per image
    mixed = saliency_map(model, X, y)
    for i, label in enumerate(y.tolist()):
        assert torch.allclose(mixed[i], by_label[label][i], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_saliency_map_leaves_the_model_and_the_images_as_they_were(training):
    model, X = _in_float64(_seeded(MiniVGG, seed=3), _images(4, seed=3))
    model.train(training)
    y = torch.tensor([1, 1, 0, 3])
    X_before, state, modes = X.clone(), _state(model), _modes(model)
    maps = saliency_map(model, X, y)
    _assert_untouched(model, state, modes)
    assert torch.equal(X, X_before)
    # Borrowed in eval mode: no dropout noise, no batch statistics, whatever mode it came in.
    _assert_close_relative(maps, _reference_saliency(model, X, y))
    assert torch.equal(maps, saliency_map(model, X, y))


def test_modes_are_restored_module_by_module_and_existing_gradients_kept():
    model = _seeded(MiniVGG, seed=4).train()
    model.features[1].eval()  # a batch norm frozen on purpose, as in fine-tuning
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    modes = _modes(model)
    saliency_map(model, _images(2), 0)
    assert _modes(model) == modes
    assert all(torch.equal(p.grad, torch.full_like(p, 0.5)) for p in model.parameters())


def test_bad_inputs_are_clear_errors():
    model = _seeded(_tiny_net)
    X = _images(2)
    with pytest.raises(ValueError, match=r"X\[None\]"):
        saliency_map(model, X[0], 0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        saliency_map(model, X[None], 0)
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        saliency_map(model, X, torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        saliency_map(model, X, -1)
    with pytest.raises(ValueError, match="expected 2 labels"):
        saliency_map(model, X, torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="integer"):
        saliency_map(model, X, torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="tensor"):
        saliency_map(model, X.numpy(), 0)
    with pytest.raises(ValueError, match=r"targets .*\[0, 5\)"):
        fooling_image(model, X, 7)
    del model.weights_info
    with pytest.raises(ValueError, match="weights_info"):
        fooling_image(model, X, 1)


def test_gradient_times_input_is_the_absolute_channel_sum_of_gradient_times_pixel():
    model, X = _in_float64(_seeded(MiniSqueezeNet, seed=5), _images(3, seed=5))
    y = torch.tensor([2, 0, 4])
    maps = gradient_times_input(model, X, y)
    assert maps.shape == (3, 32, 32) and (maps >= 0).all()
    gradient = []
    for x, label in zip(X, y, strict=True):
        x = x[None].clone().requires_grad_()
        copy.deepcopy(model)(x)[0, label].backward()
        gradient.append(x.grad[0])
    _assert_close_relative(maps, (torch.stack(gradient) * X).sum(dim=1).abs())
    X[:, :, :8] = 0  # where the input is zero, the pixel contributes nothing
    assert (gradient_times_input(model, X, y)[:, :8] == 0).all()


def test_smoothgrad_is_seeded_and_without_noise_is_the_saliency_map():
    model = _seeded(_tiny_net, seed=6)
    X, y = _images(3, seed=6), torch.tensor([0, 1, 2])
    rng = torch.get_rng_state()
    smooth = smoothgrad(model, X, y, n_samples=4, seed=1)
    assert torch.equal(torch.get_rng_state(), rng)
    assert smooth.shape == (3, 32, 32) and (smooth >= 0).all()
    assert torch.equal(smooth, smoothgrad(model, X, y, n_samples=4, seed=1))
    assert not torch.allclose(smooth, smoothgrad(model, X, y, n_samples=4, seed=2))
    assert not torch.allclose(smooth, saliency_map(model, X, y))
    plain = smoothgrad(model, X, y, n_samples=1, noise=0.0)
    torch.testing.assert_close(plain, saliency_map(model, X, y), rtol=0, atol=0)
    with pytest.raises(ValueError, match="n_samples"):
        smoothgrad(model, X, y, n_samples=0)


def test_randomized_copy_draws_new_weights_and_leaves_the_model_alone():
    model = _seeded(MiniVGG, seed=7)
    state, rng = _state(model), torch.get_rng_state()
    clone = randomized_copy(model, seed=0)
    assert torch.equal(torch.get_rng_state(), rng)
    _assert_untouched(model, state, _modes(model))
    for name, value in clone.state_dict().items():
        if value.ndim > 1:  # every convolution's and linear layer's weights
            assert not torch.equal(value, state[name]), name
    for bn in (m for m in clone.modules() if isinstance(m, nn.BatchNorm2d)):
        assert (bn.running_mean == 0).all() and (bn.running_var == 1).all()
    again, other = randomized_copy(model, seed=0), randomized_copy(model, seed=1)
    for name, value in clone.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name
    assert not torch.equal(clone.features[0].weight, other.features[0].weight)
    assert clone.weights_info == model.weights_info


# --- boxes and rank correlation ------------------------------------------------------------------


def _rectangle_map(top, left, bottom, right, *, background: float, size=32, seed=0):
    noise = torch.rand(1, size, size, generator=torch.Generator().manual_seed(seed))
    maps = background * noise
    maps[0, top:bottom, left:right] = 1.0
    return maps


def test_saliency_box_finds_a_bright_rectangle():
    large = _rectangle_map(4, 6, 20, 22, background=0.5)  # 25 % of the map: above the quantile
    assert saliency_box(large).tolist() == [[4, 6, 20, 22]]
    small = _rectangle_map(10, 3, 14, 9, background=0.5)  # 2.3 %: needs a higher quantile
    assert saliency_box(small, quantile=0.98).tolist() == [[10, 3, 14, 9]]
    # A sparse map, zero outside the object, whose 90 % quantile is its minimum: the zeros are
    # not salient.
    sparse = _rectangle_map(10, 3, 14, 9, background=0.0)
    assert saliency_box(sparse).tolist() == [[10, 3, 14, 9]]
    both = saliency_box(torch.cat([large, sparse, torch.full((1, 32, 32), 0.3)]))
    assert both.tolist() == [[4, 6, 20, 22], [10, 3, 14, 9], [0, 0, 32, 32]]
    with pytest.raises(ValueError, match="quantile"):
        saliency_box(large, quantile=1.0)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        saliency_box(large[0])


def test_box_iou_known_values():
    a = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10],
                      [0, 0, 10, 10], [0, 0, 0, 0]])
    b = torch.tensor([[0, 0, 10, 10], [10, 0, 20, 10], [0, 5, 10, 15], [0, 0, 5, 10],
                      [20, 20, 30, 30], [0, 0, 0, 0]])
    expected = torch.tensor([1.0, 0.0, 1 / 3, 0.5, 0.0, 0.0])
    torch.testing.assert_close(box_iou(a, b), expected)
    torch.testing.assert_close(box_iou(b, a), expected)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        box_iou(a[:, :3], b[:, :3])


def test_box_masks_cover_exactly_the_boxes():
    boxes = torch.tensor([[1, 2, 3, 5], [0, 0, 4, 4], [2, 2, 2, 2]])
    masks = box_masks(boxes, 4, 6)
    assert masks.shape == (3, 4, 6) and masks.dtype == torch.bool
    assert masks.flatten(1).sum(1).tolist() == [6, 16, 0]  # 2×3, 4×4, an empty box
    torch.testing.assert_close(bounding_boxes(masks[:2]), boxes[:2])
    with pytest.raises(ValueError, match="boxes"):
        box_masks(boxes[:, :3], 4, 6)


def test_mass_share_is_the_share_of_the_total_inside_the_mask():
    maps = torch.tensor([[[1.0, 3.0], [0.0, 4.0]], [[2.0, 2.0], [2.0, 2.0]]])
    masks = torch.tensor([[[True, False], [False, True]], [[True, False], [False, False]]])
    torch.testing.assert_close(mass_share(maps, masks), torch.tensor([5 / 8, 1 / 4]))
    assert torch.isnan(mass_share(torch.zeros(1, 2, 2), masks[:1])).all()
    with pytest.raises(ValueError, match="same shape"):
        mass_share(maps, masks[:, :1])


def test_stroke_regions_split_the_image_into_interior_outline_box_and_outside():
    grey = torch.zeros(1, 9, 9)
    grey[0, 2:5, 2:5] = 1.0  # a 3×3 stroke: one interior pixel
    regions = stroke_regions(grey, torch.tensor([[1, 1, 7, 7]]))
    counts = {name: int(mask.sum()) for name, mask in regions.items()}
    assert counts == {"interior": 1, "outline": 24, "rest of box": 11, "outside": 45}
    assert regions["interior"][0, 3, 3] and regions["outline"][0, 2, 2]
    assert sum(mask.long() for mask in regions.values()).eq(1).all()  # disjoint, covering
    with pytest.raises(ValueError, match="grey images"):
        stroke_regions(grey[None], torch.tensor([[1, 1, 7, 7]]))


def test_speckle_is_zero_for_flat_maps_and_higher_for_noise_than_for_a_ramp():
    flat = torch.full((1, 8, 8), 3.0)
    ramp = torch.arange(64.0).view(1, 8, 8) + 1
    noise = torch.empty(1, 64, 64).exponential_(generator=torch.Generator().manual_seed(0))
    assert speckle(flat).item() == 0.0
    assert speckle(ramp).item() < 0.2 < 0.9 < speckle(noise).item() < 1.1
    torch.testing.assert_close(speckle(5 * noise), speckle(noise))  # scale-free
    with pytest.raises(ValueError, match="maps"):
        speckle(flat[0])


def test_rank_correlation_is_spearmans():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(3, 8, 8, generator=gen)
    torch.testing.assert_close(rank_correlation(a, a), torch.ones(3))
    torch.testing.assert_close(rank_correlation(a, -a), -torch.ones(3))
    torch.testing.assert_close(rank_correlation(a, a.exp() * 5), torch.ones(3))  # ranks only
    b = torch.randn(3, 8, 8, generator=gen)
    ties_a = torch.randint(0, 4, (3, 8, 8), generator=gen).float()  # many ties, like zeros
    ties_b = torch.randint(0, 3, (3, 8, 8), generator=gen).float()
    for x, y in [(a, b), (ties_a, ties_b), (ties_a, b)]:
        expected = [spearmanr(x[i].flatten(), y[i].flatten()).statistic for i in range(3)]
        torch.testing.assert_close(rank_correlation(x, y), torch.tensor(expected).float())
    assert rank_correlation(torch.ones(1, 4, 4), a[:1, :4, :4]).isnan().all()
    with pytest.raises(ValueError, match="same shape"):
        rank_correlation(a, b[:, :4])


def test_bounding_boxes_and_ink_boxes_of_a_drawn_rectangle_and_of_nothing():
    mask = torch.zeros(2, 16, 20, dtype=torch.bool)
    mask[0, 3:7, 5:18] = True
    mask[0, 5, 2] = True  # one stray pixel widens the box
    assert bounding_boxes(mask).tolist() == [[3, 2, 7, 18], [0, 0, 0, 0]]
    images = torch.zeros(3, 3, 16, 16)
    images[0, 1, 2:9, 4:16] = 0.8  # ink in one channel only
    images[1, :, 0:1, 0:1] = 1.0
    images[2, 0, 5:7, 5:7] = 0.05  # faint: below a threshold of 0.1
    images[2, 2, 9, 9:12] = 0.3  # ink is the brightest channel, not the channels' mean
    assert ink_boxes(images).tolist() == [[2, 4, 9, 16], [0, 0, 1, 1], [5, 5, 10, 12]]
    assert ink_boxes(images, threshold=0.2).tolist()[2] == [9, 9, 10, 12]
    assert ink_boxes(images, threshold=0.9).tolist() == [[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        bounding_boxes(mask[0])


def test_the_mini_samples_boxes_hold_all_of_each_digits_ink():
    data = imagenet_samples(profile="mini")
    assert data.boxes.shape == (len(data), 4) and data.boxes.dtype == torch.int64
    ink = denormalize(data.images).amax(dim=1)  # (N, 32, 32)
    inside = torch.zeros_like(ink, dtype=torch.bool)
    for i, (top, left, bottom, right) in enumerate(data.boxes.tolist()):
        inside[i, top:bottom, left:right] = True
        box = ink[i, top:bottom, left:right]  # tight: ink on each of its four edges
        assert min(box[0].max(), box[-1].max(), box[:, 0].max(), box[:, -1].max()) > 0
    assert ink[~inside].max() < 1e-5
    heights, widths = data.boxes[:, 2] - data.boxes[:, 0], data.boxes[:, 3] - data.boxes[:, 1]
    assert heights.min() >= 8 and widths.max() <= 20  # a 20-pixel digit, at least 8 rows of ink


# --- adversarial images -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    """A tiny network trained for two seconds on the mini samples' first 140 digits, and the
    40 held out with their labels (about 80 % right): attacks must change real predictions."""
    data = imagenet_samples(profile="mini")
    X, y = data.images, data.targets
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _tiny_net()
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        for _ in range(150):
            idx = torch.randint(0, 140, (32,))
            opt.zero_grad()
            F.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
    model.zero_grad(set_to_none=True)
    model.eval().weights_info = weights_info("vgg16", profile="mini")
    return model, X[140:], y[140:]


def _valid_range(info):
    """(low, high), each (1, 3, 1, 1): the normalized values of black and white."""
    return info.clamp(torch.full((1, 3, 1, 1), -1e3)), info.clamp(torch.full((1, 3, 1, 1), 1e3))


def _predict(model, X):
    with torch.no_grad():
        return model(X).argmax(1)


def _pixel_distances(X, X_adv):
    delta = (X_adv - X) * torch.tensor(_mini_info().std).view(1, 3, 1, 1) * 255
    return delta.flatten(1).norm(dim=1), delta.flatten(1).abs().amax(dim=1)


def _assert_valid_attack(attack, model, X):
    """Valid images, predictions and costs that a direct computation confirms."""
    info = model.weights_info
    assert torch.equal(info.clamp(attack.images), attack.images)
    assert torch.equal(attack.predictions, _predict(model, attack.images))
    l2, linf = _pixel_distances(X, attack.images)
    torch.testing.assert_close(attack.l2, l2, rtol=1e-5, atol=1e-3)
    torch.testing.assert_close(attack.linf, linf, rtol=1e-5, atol=1e-3)


def test_fooling_images_are_predicted_as_the_target(trained):
    model, X, _ = trained
    before = _predict(model, X)
    model = copy.deepcopy(model).train()  # it must come back in train mode, statistics intact
    X_before, state, modes = X.clone(), _state(model), _modes(model)
    target = 3
    attack = fooling_image(model, X, target, max_iter=30)
    _assert_untouched(model, state, modes)
    assert torch.equal(X, X_before)
    model.eval()
    _assert_valid_attack(attack, model, X)
    assert (before != target).any() and (before == target).any()
    assert attack.success.float().mean() >= 0.9
    assert (_predict(model, attack.images)[attack.success] == target).all()
    assert torch.equal(attack.success, attack.predictions == target)
    assert (attack.steps[before == target] == 0).all()
    assert torch.equal(attack.images[before == target], X[before == target])
    assert (attack.steps[before != target] >= 1).all()
    assert (attack.steps[~attack.success] == 30).all() and attack.steps.max() <= 30
    assert (attack.l2[before != target] > 0).all()


def test_one_fooling_step_follows_the_normalized_score_gradient():
    """Each image moves by exactly lr, along its own gradient, towards a higher target score."""
    model, X = _in_float64(_seeded(_tiny_net, seed=4), _images(3, seed=4))
    X_before, state, modes = X.clone(), _state(model), _modes(model)
    targets = torch.tensor([0, 2, 4])
    stepped = fooling_step(model, X, targets, lr=0.1)
    _assert_untouched(model, state, modes)
    assert torch.equal(X, X_before) and stepped.shape == X.shape
    lengths = (stepped - X).flatten(1).norm(dim=1)
    torch.testing.assert_close(lengths, torch.full((3,), 0.1, dtype=torch.float64))
    for i, target in enumerate(targets.tolist()):  # one image at a time, as the course does
        x = X[i:i + 1].clone().requires_grad_()
        model(x)[0, target].backward()
        expected = X[i] + 0.1 * x.grad[0] / x.grad.norm()
        torch.testing.assert_close(stepped[i], expected, rtol=1e-9, atol=1e-12)
    with torch.no_grad():
        assert (model(stepped).gather(1, targets[:, None]) > model(X).gather(1, targets[:, None])
                ).all()


def test_fooling_image_takes_one_target_per_image(trained):
    model, X, y = trained
    targets = (y[:6] + 1) % 5
    attack = fooling_image(model, X[:6], targets, max_iter=40)
    assert torch.equal(attack.success, attack.predictions == targets)
    assert attack.success.all()


@pytest.mark.parametrize("epsilon", [2.0, 6.0])
def test_fgsm_and_pgd_stay_within_epsilon_and_pgd_fools_at_least_as_often(trained, epsilon):
    model, X, y = trained
    state, modes = _state(model), _modes(model)
    one_step = fgsm(model, X, y, epsilon=epsilon)
    projected = pgd(model, X, y, epsilon=epsilon, steps=5)
    _assert_untouched(model, state, modes)
    for attack in (one_step, projected):
        _assert_valid_attack(attack, model, X)
        assert _pixel_distances(X, attack.images)[1].max() <= epsilon + 1e-3
        assert torch.equal(attack.success, attack.predictions != y)
    assert projected.success_rate >= one_step.success_rate
    with_alpha = pgd(model, X, y, epsilon=epsilon, steps=5, alpha=2.5 * epsilon / 5)
    assert torch.equal(with_alpha.images, projected.images)  # Madry et al.'s default step
    # FGSM moves each value by exactly ε (or not at all, where the gradient is 0), unless the
    # step ends on the edge of the valid range.
    info, adv = model.weights_info, one_step.images
    low, high = _valid_range(info)
    on_edge = (adv == low) | (adv == high)
    moved = ((adv - X) * torch.tensor(info.std).view(1, 3, 1, 1) * 255).abs()[~on_edge]
    assert ((moved - epsilon).abs() < 1e-3).float().mean() > 0.5
    assert (((moved - epsilon).abs() < 1e-3) | (moved == 0)).all()
    assert one_step.steps.tolist() == [1] * len(X) and projected.steps.tolist() == [5] * len(X)


def test_attacks_succeed_more_with_a_larger_budget(trained):
    model, X, y = trained
    assert (_predict(model, X) == y).float().mean() >= 0.7  # the network learned something
    rates = [pgd(model, X, y, epsilon=eps, steps=5).success_rate for eps in (1.0, 4.0, 16.0)]
    assert rates == sorted(rates) and rates[-1] > rates[0] and rates[-1] >= 0.9


def test_an_attack_with_no_budget_changes_nothing(trained):
    model, X, y = trained
    for attack in (fgsm(model, X, y, epsilon=0.0), pgd(model, X, y, epsilon=0.0)):
        assert torch.equal(attack.images, X)
        assert (attack.l2 == 0).all() and (attack.linf == 0).all()
        assert torch.equal(attack.success, _predict(model, X) != y)  # only the mistakes


def test_targeted_attacks_succeed_when_the_target_is_predicted(trained):
    model, X, y = trained
    target = torch.full_like(y, 1)
    for attack in (fgsm(model, X, y, epsilon=8.0, target=target),
                   pgd(model, X, y, epsilon=8.0, target=1, steps=5)):
        _assert_valid_attack(attack, model, X)
        assert torch.equal(attack.success, _predict(model, attack.images) == 1)
    assert attack.success_rate > (_predict(model, X) == 1).float().mean()
    with pytest.raises(ValueError, match="epsilon"):
        pgd(model, X, y, epsilon=-1.0)


# --- class visualization ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_class_visualization_step_raises_the_target_score(seed):
    model = _seeded(MiniVGG, seed=seed)
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    x_before, state, modes = x.clone(), _state(model), _modes(model)
    target = seed + 1
    stepped = class_visualization_step(model, x, target, l2_reg=0.0, lr=0.05)
    _assert_untouched(model, state, modes)
    assert torch.equal(x, x_before) and stepped.shape == x.shape
    assert torch.linalg.vector_norm(stepped - x).item() == pytest.approx(0.05, rel=1e-4)
    with torch.no_grad():
        assert model(stepped)[0, target] > model(x)[0, target]

        def objective(image):
            return model(image)[0, target] - 0.01 * image.pow(2).sum()

        regularized = class_visualization_step(model, x, target, l2_reg=0.01, lr=0.05)
        assert objective(regularized) > objective(x)


def test_class_visualization_is_seeded_and_keeps_its_history():
    model = _seeded(MiniVGG, seed=8).train()
    state, modes, rng = _state(model), _modes(model), torch.get_rng_state()
    options = {"num_iterations": 12, "blur_every": 4, "keep": 3, "progress": False}
    result = class_visualization(model, 2, seed=5, **options)
    _assert_untouched(model, state, modes)
    assert torch.equal(torch.get_rng_state(), rng)
    again = class_visualization(model, 2, seed=5, **options)
    assert torch.equal(result.image, again.image) and torch.equal(result.scores, again.scores)
    assert not torch.equal(result.image, class_visualization(model, 2, seed=6, **options).image)
    assert result.image.shape == (3, 32, 32) and result.target == 2
    assert result.steps == (4, 8, 12) and result.history.shape == (3, 3, 32, 32)
    assert torch.equal(result.history[-1], result.image)
    assert result.scores.shape == (12,)
    assert result.probabilities.shape == (13,)  # after 0, 1, ..., 12 steps
    assert result.probabilities[-1].item() == pytest.approx(result.probability, rel=1e-5)
    assert torch.equal(model.weights_info.clamp(result.image), result.image)
    model.eval()
    with torch.no_grad():
        probability = model(result.image[None]).softmax(1)[0, 2].item()
        assert model(result.image[None])[0, 2] > result.scores[0]  # the ascent went up
    assert result.probability == pytest.approx(probability, rel=1e-5)


def test_class_visualization_counts_the_steps_to_a_probability():
    model = _seeded(_tiny_net)
    result = class_visualization(model, 0, num_iterations=5, progress=False)
    p = result.probabilities
    assert result.steps_to(0.0) == 0  # the start already reaches 0
    assert result.steps_to(1.01) is None  # never
    middle = float(p.max())
    assert result.steps_to(middle) == int((p >= middle).nonzero()[0])


def test_class_visualization_history_and_steps_agree_when_keeping_more_than_it_runs():
    model = _seeded(_tiny_net)
    result = class_visualization(model, 0, num_iterations=3, keep=6, progress=False)
    assert result.steps == (1, 2, 3) and len(result.history) == 3


def test_class_visualization_starts_from_an_image_and_stays_valid():
    model = _seeded(_tiny_net)
    start = _images(1)[0]
    from_image = class_visualization(model, 0, num_iterations=2, keep=1, init_img=start,
                                     lr=0.0, max_jitter=0, blur_every=0, progress=False)
    assert torch.equal(from_image.image, start)  # lr 0, no jitter, no blur: the start itself
    # Steps far too long for the valid range: clamped back into it, pixels on its edges.
    info, (low, high) = model.weights_info, _valid_range(model.weights_info)
    wild = class_visualization(model, 0, num_iterations=2, lr=500.0, blur_every=0,
                               progress=False)
    assert torch.equal(info.clamp(wild.history), wild.history)
    assert ((wild.image == low[0]) | (wild.image == high[0])).float().mean() > 0.1
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        class_visualization(model, 5, num_iterations=1, progress=False)


def test_scaled_jitter_follows_the_image_size():
    assert scaled_jitter(16, 224) == 16
    assert scaled_jitter(16, 32) == 2
    assert scaled_jitter(1, 32) == 1  # never less than one pixel


def test_jitter_moves_pixels_and_the_opposite_jitter_undoes_it():
    x = torch.randn(2, 3, 8, 10, generator=torch.Generator().manual_seed(0))
    moved = jitter(x, 2, -3)
    assert torch.equal(moved[:, :, 2, 0], x[:, :, 0, 3])
    assert torch.equal(jitter(moved, -2, 3), x)


def test_gaussian_blur_keeps_constants_and_the_mean_and_smooths():
    constant = torch.full((1, 3, 16, 16), 0.7)
    torch.testing.assert_close(gaussian_blur(constant, 1.0), constant)
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    blurred = gaussian_blur(x, 1.0)
    assert blurred.shape == x.shape
    torch.testing.assert_close(blurred.mean(dim=(2, 3)), x.mean(dim=(2, 3)), atol=5e-3, rtol=0)
    assert blurred.std() < 0.6 * x.std()
    assert torch.equal(gaussian_blur(x, 0.0), x) and torch.equal(gaussian_blur(x, -1.0), x)
    point = torch.zeros(1, 1, 15, 15)
    point[0, 0, 7, 7] = 1.0
    spot = gaussian_blur(point, 1.5)[0, 0]
    assert spot.sum().item() == pytest.approx(1.0, abs=1e-5) and spot.argmax() == 7 * 15 + 7
    torch.testing.assert_close(spot, spot.T)


# --- full profile shapes ------------------------------------------------------------------------


def test_full_profile_shapes_on_a_random_squeezenet():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = squeezenet1_1(weights=None).eval()
    info = weights_info("squeezenet1_1", profile="full")
    assert info.input_size == 224 and len(info.classes) == 1000
    pixels = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    X, y = info.normalize(pixels), torch.tensor([0, 999])
    assert saliency_map(model, X, y).shape == (2, 224, 224)
    with pytest.raises(ValueError, match=r"\[0, 1000\)"):
        saliency_map(model, X, 1000)
    attack = fooling_image(model, X, 500, max_iter=1, info=info)
    assert attack.images.shape == (2, 3, 224, 224) and attack.steps.max() <= 1
    assert torch.equal(info.clamp(attack.images), attack.images)
