"""The GAN training loop, its checkpoints and run cache, samples, and the judge of samples.
Tiny networks and a few steps: behaviour, not quality."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

import dlvision.gan.training as training
from dlvision.data import ImageTensorDataset
from dlvision.gan.judge import DigitJudge, judge_digits
from dlvision.gan.runs import (
    interpolate,
    run_path,
    sample,
    save_samples,
    trained_run,
    trained_runs,
)
from dlvision.gan.training import (
    GANConfig,
    TrainingDiverged,
    load_checkpoint,
    random_shift,
    train,
)
from dlvision.metrics import frechet_distance

TINY = GANConfig(nz=8, ngf=4, ndf=4, batch_size=16, steps=6, snapshots=(0, 3, 6), n_fixed=4)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def blobs() -> ImageTensorDataset:
    """40 single-channel 32×32 images in [-1, 1]: a bright square at random places."""
    g = torch.Generator().manual_seed(0)
    images = -torch.ones(40, 1, 32, 32)
    for i, (y, x) in enumerate(torch.randint(0, 24, (40, 2), generator=g).tolist()):
        images[i, :, y:y + 8, x:x + 8] = 1.0
    return ImageTensorDataset(images, torch.zeros(40, dtype=torch.int64), ["blob"])


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                  b.state_dict().values(), strict=True))


def test_a_run_records_every_step_and_its_snapshots(blobs):
    run = train(TINY, blobs, progress=False)
    assert run.step == 6 and all(len(v) == 6 for v in run.history.values())
    assert sorted(run.samples) == [0, 3, 6]
    assert all(s.shape == (4, 1, 32, 32) and s.abs().max() <= 1 for s in run.samples.values())
    assert not torch.equal(run.samples[0], run.samples[6])  # G has learned something
    assert all(0 < p < 1 for p in run.history["d_real"] + run.history["d_fake"])
    assert not run.generator.training and run.seconds > 0
    with torch.no_grad():  # the kept weights redraw the kept images
        assert torch.allclose(run.generator_at(3)(run.fixed_noise), run.samples[3], atol=1e-6)
    with pytest.raises(ValueError, match=r"no generator kept at step 2.*\[0, 3, 6\]"):
        run.generator_at(2)


def test_the_same_seed_gives_the_same_run_and_another_seed_another(blobs):
    a, b = train(TINY, blobs, progress=False), train(TINY, blobs, progress=False)
    assert same_weights(a.generator, b.generator) and a.history == b.history
    c = train(TINY.with_(seed=1), blobs, progress=False)
    assert not same_weights(a.generator, c.generator)


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(blobs, tmp_path,
                                                                     monkeypatch):
    config = TINY.with_(d_steps=2, shift=2)  # two D updates per step, shifted real images
    uninterrupted = train(config, blobs, progress=False)
    path = tmp_path / "run.pt"
    calls = {"n": 0}
    real_loss = training.discriminator_loss

    def interrupted(d_real, d_fake, **options):
        calls["n"] += 1
        if calls["n"] == 9:  # the first D update of step 5, after the checkpoint of step 4
            raise KeyboardInterrupt
        return real_loss(d_real, d_fake, **options)

    monkeypatch.setattr(training, "discriminator_loss", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(config, blobs, checkpoint=path, checkpoint_every=2, progress=False)
    assert len(load_checkpoint(path)["history"]["loss_d"]) == 4
    monkeypatch.setattr(training, "discriminator_loss", real_loss)
    resumed = train(config, blobs, checkpoint=path, checkpoint_every=2, progress=False)
    assert same_weights(resumed.generator, uninterrupted.generator)
    assert same_weights(resumed.discriminator, uninterrupted.discriminator)
    assert resumed.history == uninterrupted.history
    assert all(torch.equal(resumed.samples[s], uninterrupted.samples[s]) for s in (0, 3, 6))


def test_a_checkpoint_of_another_configuration_is_refused(blobs, tmp_path):
    path = tmp_path / "run.pt"
    train(TINY, blobs, checkpoint=path, progress=False)
    with pytest.raises(ValueError, match="checkpoint of another configuration"):
        train(TINY.with_(lr_g=1e-3), blobs, checkpoint=path, progress=False)


def test_a_nan_stops_the_run_and_keeps_the_last_good_checkpoint(blobs, tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    calls = {"n": 0}
    real_loss = training.generator_loss

    def diverging(d_fake, **kwargs):
        calls["n"] += 1
        loss = real_loss(d_fake, **kwargs)
        return loss * float("nan") if calls["n"] == 5 else loss

    monkeypatch.setattr(training, "generator_loss", diverging)
    with pytest.raises(TrainingDiverged, match=r"diverged at step 5: loss_g is nan \(the last "
                       r"good checkpoint, at step 4, is kept in .*run\.pt\)"):
        train(TINY, blobs, checkpoint=path, checkpoint_every=2, progress=False)
    kept = load_checkpoint(path)
    assert len(kept["history"]["loss_g"]) == 4
    assert all(np.isfinite(kept["history"]["loss_g"]))


def test_nan_in_the_data_is_named_at_once(blobs):
    broken = ImageTensorDataset(blobs.images * float("nan"), blobs.targets, blobs.classes)
    with pytest.raises(TrainingDiverged, match="step 1.*no checkpoint was saved.*range"):
        train(TINY, broken, progress=False)


def test_bad_settings_are_clear_errors(blobs):
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        GANConfig(batch_size=0)
    with pytest.raises(ValueError, match="snapshots within 0..6"):
        GANConfig(steps=6, snapshots=(10,))
    with pytest.raises(ValueError, match="networks are for 64×64"):
        train(TINY.with_(size=64), blobs, progress=False)
    with pytest.raises(ValueError, match="larger than the dataset"):
        train(TINY.with_(batch_size=64), blobs, progress=False)


def test_random_shift_moves_each_image_and_fills_with_black():
    images = torch.ones(8, 1, 6, 6)
    shifted = random_shift(images, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape and set(shifted.unique().tolist()) <= {-1.0, 1.0}
    assert (shifted == -1).any() and (shifted == 1).sum(dim=(1, 2, 3)).min() >= 16
    assert random_shift(images, 0, torch.Generator()) is images


def test_a_run_is_trained_once_then_read(blobs, monkeypatch):
    returned = []
    monkeypatch.setattr("dlvision.gan.runs.train",
                        lambda *a, **k: returned.append(train(*a, **k)) or returned[-1])
    first = trained_run(TINY, blobs, progress=False)
    # The run just trained comes back as train returned it (no trip through the cache's form),
    # and in the same state as a cached one: eval mode, on the CPU.
    assert first is returned[0] and not first.generator.training
    assert all(v.device.type == "cpu" for v in first.generators[3].values())
    path = run_path(TINY, blobs)
    assert path.exists() and not path.with_name(path.stem + ".checkpoint.pt").exists()

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr("dlvision.gan.runs.train", no_training)
    again = trained_run(TINY, blobs, progress=False)
    assert same_weights(first.generator, again.generator) and first.history == again.history
    assert torch.equal(first.samples[3], again.samples[3]) and not again.generator.training
    assert all(torch.equal(v, again.generators[3][k]) for k, v in first.generators[3].items())
    assert run_path(TINY.with_(beta1=0.9), blobs) != path


def test_samples_and_their_file(blobs, tmp_path, monkeypatch):
    run = trained_run(TINY, blobs, progress=False)
    images = sample(run.generator, 7, seed=3)
    assert images.shape == (7, 1, 32, 32) and images.abs().max() <= 1
    assert torch.equal(images, sample(run.generator, 7, seed=3))
    path = save_samples(images, tmp_path / "out" / "samples.npz", labels=np.arange(7))
    with np.load(path) as f:
        assert f["images"].dtype == np.float32 and f["images"].shape == (7, 1, 32, 32)
        assert f["labels"].tolist() == list(range(7))
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        save_samples(images, tmp_path / "samples.npy")
    # Interrupted halfway: the previous file stays whole, and nothing else is left behind.
    def interrupted(stream, **arrays):
        stream.write(b"PK half a file")
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(np, "savez", interrupted)
        with pytest.raises(KeyboardInterrupt):
            save_samples(images[:2], path)
    with np.load(path) as f:
        assert f["images"].shape == (7, 1, 32, 32)
    assert [p.name for p in path.parent.iterdir()] == ["samples.npz"]


def test_frechet_distance_of_shifted_features_is_the_squared_shift():
    a = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(a, a + torch.tensor([3.0, 4.0, 0.0])) == pytest.approx(25, rel=1e-6)
    # Same mean, covariance scaled by 4: Tr(Σ + 4Σ − 2·2Σ) = Tr(Σ).
    trace = float(torch.cov(a.T.double()).trace())
    centred = a - a.mean(0)
    assert frechet_distance(centred, 2 * centred) == pytest.approx(trace, rel=1e-6)
    with pytest.raises(ValueError, match="at least 2 feature vectors of the same size"):
        frechet_distance(a, a[:, :2])


def test_a_weighted_frechet_distance_counts_each_row_as_weighted():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(60, 4)), rng.normal(size=(80, 4)) + 0.5
    plain = frechet_distance(a, b)
    assert frechet_distance(a, b, weights=np.full(60, 3.0)) == pytest.approx(plain, rel=1e-9)
    # A zero weight leaves the row out.
    weights = np.r_[np.ones(40), np.zeros(20)]
    assert frechet_distance(a, b, weights=weights) == pytest.approx(
        frechet_distance(a[:40], b), rel=1e-9)
    for bad in (np.ones(59), -np.ones(60), np.r_[1.0, np.zeros(59)]):
        with pytest.raises(ValueError, match="weights"):
            frechet_distance(a, b, weights=bad)


def test_evening_out_the_shares_undoes_a_set_s_imbalance_not_its_drawing():
    """Two digits far apart in feature space, drawn 80/20 against a 50/50 reference: the plain
    distance is mostly the imbalance; evened out, only the drawing (a shift of one digit) is
    left."""
    from dlvision.gan.judge import evened_out

    rng = np.random.default_rng(1)
    centres = np.zeros((2, 3))
    centres[1, 0] = 10.0

    def digits(counts: tuple[int, int], shift: float = 0.0) -> tuple[np.ndarray, torch.Tensor]:
        labels = np.repeat([0, 1], counts)
        features = centres[labels] + rng.normal(size=(len(labels), 3))
        features[:, 2] += shift
        return features, torch.from_numpy(labels)

    reference, reference_labels = digits((500, 500))
    skewed, skewed_labels = digits((800, 200))
    weights = evened_out(skewed_labels, reference_labels)
    assert weights[skewed_labels == 0].sum() == pytest.approx(0.5)
    assert weights[skewed_labels == 1].sum() == pytest.approx(0.5)
    assert frechet_distance(skewed, reference) > 5  # the mean alone moves 3: 9
    assert frechet_distance(skewed, reference, weights=weights) < 0.2
    drawn_off, drawn_labels = digits((800, 200), shift=2.0)  # every digit drawn 2 off
    evened = frechet_distance(drawn_off, reference,
                              weights=evened_out(drawn_labels, reference_labels))
    assert evened == pytest.approx(4.0, abs=0.3)  # the squared shift
    # A digit never drawn gets no weight, and the others share the whole.
    only_zeros = evened_out(torch.zeros(10, dtype=torch.long), reference_labels)
    assert only_zeros.sum() == pytest.approx(1.0)


def test_the_judge_reports_shares_confidence_and_distance():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        judge = DigitJudge().eval()  # untrained: the measures, not their values
    images = torch.rand(30, 1, 32, 32) * 2 - 1
    verdict = judge_digits(images, judge=judge, reference=images)
    assert verdict.shares.sum().item() == pytest.approx(1)
    assert verdict.predictions.shape == verdict.confidence.shape == (30,)
    assert ((verdict.confidence > 0) & (verdict.confidence <= 1)).all()
    assert verdict.frechet == pytest.approx(0, abs=1e-4)
    assert set(verdict.summary()) == {"classes_drawn", "largest_share", "smallest_share",
                                      "mean_confidence", "frechet"}
    assert verdict.smallest_share == verdict.shares.min().item() <= 0.1
    with pytest.raises(ValueError, match=r"shape \(N, 1, 32, 32\)"):
        judge_digits(torch.zeros(4, 3, 32, 32), judge=judge, reference=images)


def test_faces_are_judged_in_a_pretrained_network_s_features():
    from dlvision.gan.judge import image_features, judge_images, mean_pairwise_distance
    from dlvision.models import pretrained

    network = pretrained("squeezenet1_1", progress=False)  # mini: the stand-in, 32×32 inputs
    g = torch.Generator().manual_seed(0)
    real = torch.rand(12, 3, 32, 32, generator=g) * 2 - 1
    collapsed = real[:1].expand(12, -1, -1, -1)  # twelve copies of one image
    real_features = image_features(real, network=network)
    same = judge_images(real, real_features, network=network)
    assert same["frechet"] == pytest.approx(0, abs=1e-3)
    assert same["spread"] == pytest.approx(same["real_spread"]) and same["spread"] > 0
    verdict = judge_images(collapsed, real_features, network=network)
    assert verdict["spread"] == pytest.approx(0, abs=1e-4) and verdict["frechet"] > 0.01
    grey = judge_images(real[:, :1], real_features, network=network)  # one channel: repeated
    assert grey["frechet"] > 0
    assert mean_pairwise_distance(torch.tensor([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5)


def test_a_run_of_faces_is_measured_at_each_kept_step_once(blobs, monkeypatch):
    import dlvision.gan.judge as judge_module
    from dlvision.gan.judge import image_features, judge_face_run, judge_images
    from dlvision.models import pretrained

    run = trained_run(TINY, blobs, progress=False)
    network = pretrained("squeezenet1_1", progress=False)  # mini: the stand-in
    real = blobs.images[:12]
    measured = judge_face_run(run, real, network=network)
    assert sorted(measured) == [0, 3, 6]
    direct = judge_images(sample(run.generator_at(3), 12, seed=1),
                          image_features(real, network=network), network=network)
    assert measured[3] == pytest.approx({**direct, "n_samples": 12}, rel=1e-4)

    def computed(*args, **kwargs):
        raise AssertionError("measured again")

    monkeypatch.setattr(judge_module, "image_features", computed)
    assert judge_face_run(run, real, network=network) == measured  # read from the cache
    with pytest.raises(AssertionError, match="measured again"):
        judge_face_run(run, real[:10], network=network)  # other real images


def test_interpolation_goes_from_one_noise_image_to_the_other(blobs):
    G = trained_run(TINY, blobs, progress=False).generator
    z0, z1 = torch.randn(2, 8, generator=torch.Generator().manual_seed(5))
    path = interpolate(G, z0, z1, steps=5)
    with torch.no_grad():
        ends = G(torch.stack([z0, z1]))
    assert path.shape == (5, 1, 32, 32)
    torch.testing.assert_close(path[[0, -1]], ends)
    with pytest.raises(ValueError, match=r"shape \(8,\) and steps ≥ 2"):
        interpolate(G, z0, z1, steps=1)


def test_runs_train_side_by_side_in_worker_processes(blobs, tmp_path):
    jobs = {"a": (TINY.with_(seed=11), blobs), "b": (TINY.with_(seed=12), blobs)}
    # Other work shares the workers when runs are trained (the digit judge, in the book)...
    runs = trained_runs(jobs, workers=2, progress=False,
                        also=[partial(Path.touch, tmp_path / "also")])
    assert all(run_path(*job).exists() for job in jobs.values())
    assert (tmp_path / "also").exists()
    alone = train(TINY.with_(seed=11), blobs, progress=False)  # the same run, in this process
    assert same_weights(runs["a"].generator, alone.generator)
    assert not same_weights(runs["a"].generator, runs["b"].generator)
    # ... and is not called when every run is cached: no pool starts for it alone.
    trained_runs(jobs, workers=2, progress=False, also=[partial(Path.touch, tmp_path / "again")])
    assert not (tmp_path / "again").exists()


class Files(torch.utils.data.Dataset):
    """Images handed out one at a time, as files are: no ``images`` tensor to index."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i]


def test_data_read_one_item_at_a_time_trains_the_same_run(blobs):
    in_memory = train(TINY, blobs, progress=False)
    one_by_one = train(TINY, Files(blobs), progress=False)
    assert same_weights(in_memory.generator, one_by_one.generator)


def test_the_real_baseline_judges_unseen_real_digits_against_the_training_ones(monkeypatch):
    """The floor the pages read samples against: real test digits, judged like samples, with
    their Fréchet distance to the real training digits (an untrained judge: the mechanics)."""
    import dlvision.gan.judge as judge_module
    from dlvision.gan.judge import real_baseline, real_digits

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        judge = DigitJudge().eval()
    monkeypatch.setattr(judge_module, "digit_judge", lambda **kwargs: (judge, {}))
    real = real_baseline(profile="mini")
    assert set(real) == {"classes_drawn", "largest_share", "smallest_share", "mean_confidence",
                         "frechet"}
    train, test = real_digits("train", profile="mini"), real_digits("test", profile="mini")
    same = judge_digits(test.images, judge=judge, reference=train.images)
    assert real == same.summary()
    noise = torch.rand(len(test), 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert real["frechet"] < judge_digits(noise, judge=judge, reference=train.images).frechet / 5


def test_real_digits_counted_like_samples_are_further_apart_than_all_of_them(monkeypatch):
    """The floor of ``n`` samples' distance: ``n`` real training digits at random against the
    test digits, as judge_run measures samples; fewer digits, noisier statistics, a larger
    distance (an untrained judge: the mechanics)."""
    import dlvision.gan.judge as judge_module
    from dlvision.gan.judge import real_digits, real_frechet_at

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        judge = DigitJudge().eval()
    monkeypatch.setattr(judge_module, "digit_judge", lambda **kwargs: (judge, {}))
    train, test = real_digits("train", profile="mini"), real_digits("test", profile="mini")
    every = real_frechet_at(len(train), draws=3, profile="mini")
    whole = judge_digits(train.images, judge=judge, reference=test.images).frechet
    # All the training digits, in another order each draw: the same sets, the same distance.
    assert every["low"] == pytest.approx(whole, rel=1e-6)
    assert every["high"] == pytest.approx(whole, rel=1e-6)
    few = real_frechet_at(50, draws=5, profile="mini")
    assert few == real_frechet_at(50, draws=5, profile="mini")  # draw k from seed k
    assert few["n"] == 50 and few["low"] < few["median"] < few["high"]
    assert few["low"] > whole
    with pytest.raises(ValueError, match="training digits"):
        real_frechet_at(len(train) + 1, profile="mini")


def test_moved_digits_keep_their_pixels_and_bring_in_black_and_halving_keeps_only_the_coarse():
    from dlvision.gan.judge import halved, moved

    x = torch.rand(3, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    right = moved(x, 1, 0)
    assert torch.equal(right[..., :, 1:], x[..., :, :-1])
    assert (right[..., :, 0] == -1).all()
    both = moved(x, 1, 1)
    assert torch.equal(both[..., 1:, 1:], x[..., :-1, :-1]) and (both[..., 0, :] == -1).all()
    assert torch.equal(moved(x, 0, 0), x)
    flat = torch.full((1, 1, 32, 32), 0.25)
    assert torch.allclose(halved(flat), flat)
    # A one-pixel checkerboard has nothing at half the resolution but its mean.
    board = (torch.arange(32)[:, None] + torch.arange(32)).remainder(2).float()[None, None] * 2 - 1
    assert halved(board).abs().max() < 1e-6


def test_samples_larger_than_the_judge_are_averaged_down_to_it():
    from dlvision.gan.judge import at_judge_size

    small = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    blocks = small.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # each pixel 2×2
    assert torch.allclose(at_judge_size(blocks), small)
    assert at_judge_size(small) is small
    with pytest.raises(ValueError, match="multiple"):
        at_judge_size(torch.zeros(2, 1, 48, 48))


def test_the_scale_of_a_frechet_distance_measures_each_change_of_the_training_digits(monkeypatch):
    """Each row: all the training digits under one change, against the test digits, measured
    as samples are (an untrained judge: the mechanics)."""
    import dlvision.gan.judge as judge_module
    from dlvision.gan.judge import CHANGES, frechet_of_changes, moved, real_digits

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        judge = DigitJudge().eval()
    monkeypatch.setattr(judge_module, "digit_judge", lambda **kwargs: (judge, {}))
    train, test = real_digits("train", profile="mini"), real_digits("test", profile="mini")
    rows = frechet_of_changes(profile="mini")
    assert [r["change"] for r in rows] == list(CHANGES)
    by_name = {r["change"]: r for r in rows}
    as_they_are = judge_digits(train.images, judge=judge, reference=test.images)
    assert by_name["as they are"]["frechet"] == pytest.approx(as_they_are.frechet, rel=1e-9)
    two = judge_digits(moved(train.images, 2, 0), judge=judge, reference=test.images)
    assert by_name["moved 2 pixels right"]["frechet"] == pytest.approx(two.frechet, rel=1e-9)
    assert by_name["moved 2 pixels right"]["accuracy"] == pytest.approx(
        float((two.predictions == train.targets).float().mean()))
    assert two.frechet != pytest.approx(as_they_are.frechet, rel=1e-3)


def test_real_digits_in_a_gan_s_shares_are_taken_class_by_class_without_repeats():
    from dlvision.gan.judge import in_shares

    labels = torch.arange(10).repeat_interleave(torch.tensor([30, 20, 50, 10, 40, 30, 30, 30,
                                                              30, 30]))
    labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    kept = in_shares(labels, torch.full((10,), 0.1))
    # The rarest class (10 threes) bounds the whole set: 10 of each, no digit twice.
    assert torch.bincount(labels[kept], minlength=10).tolist() == [10] * 10
    assert len(set(kept.tolist())) == len(kept)
    skewed = torch.tensor([0.5, 0.0, 0.5, 0, 0, 0, 0, 0, 0, 0])
    kept = in_shares(labels, skewed, n=40)
    assert torch.bincount(labels[kept], minlength=10).tolist() == [20, 0, 20] + [0] * 7
    kept = in_shares(labels, skewed)  # 30 zeros at most: half of 60
    assert torch.bincount(labels[kept], minlength=10).tolist() == [30, 0, 30] + [0] * 7


def test_an_unconditional_run_s_measure_says_what_its_shares_alone_cost(blobs, monkeypatch):
    """"shares_frechet" is the distance of real training digits taken in the shares the judge
    read in the samples (an untrained judge: the mechanics)."""
    import dlvision.gan.judge as judge_module
    from dlvision.gan.judge import evened_out, in_shares, judge_run, real_digits

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        judge = DigitJudge().eval()
    monkeypatch.setattr(judge_module, "digit_judge", lambda **kwargs: (judge, {}))
    run = train(TINY.with_(steps=2, snapshots=(0, 2), size=32), blobs, progress=False)
    measures = judge_run(run, n=50, profile="mini")
    train_digits, test_digits = real_digits("train", profile="mini"), real_digits("test",
                                                                                  profile="mini")
    # Features computed as judge_run computes them (whole sets, same batches): the same sums on
    # any CPU, so that only the choice of digits is compared.
    train_features = judge_module._batched(judge.features, train_digits.images)
    test_features = judge_module._batched(judge.features, test_digits.images)
    for step, m in measures.items():
        samples = sample(run.generator_at(step), 50, seed=1)
        verdict = judge_digits(samples, judge=judge, profile="mini")
        kept = in_shares(train_digits.targets, verdict.shares, n=50)
        expected = frechet_distance(train_features[kept], test_features)
        assert m["shares_frechet"] == pytest.approx(expected, rel=1e-6), step
        weights = evened_out(verdict.predictions, test_digits.targets)
        expected = frechet_distance(judge_module._batched(judge.features, samples),
                                    test_features, weights=weights)
        assert m["even_frechet"] == pytest.approx(expected, rel=1e-6), step
