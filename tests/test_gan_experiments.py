"""The runs of Part 3's pages: the course's experiments, each one change to the default run,
and the list of every run, which the first page built trains together; the same for Part 4."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import dlvision.gan.judge as judge_module
import dlvision.gan.parts as parts
from dlvision.gan.experiments import (
    COURSE_STEPS_MINI,
    comparison_steps,
    experiment_steps,
    experiments,
    one_sided,
    seeds,
)
from dlvision.gan.judge import digit_judge, judge_path
from dlvision.gan.parts import conditional_jobs, part_jobs, part_runs
from dlvision.gan.runs import COURSE_SETTING, MINI_CONDITIONAL, MINI_DEFAULT, default_config
from dlvision.gan.training import GANConfig, train
from dlvision.metrics import loss_summary
from dlvision.profile import make_profile

MINI = make_profile("mini")


def changed_fields(config, base) -> set[str]:
    return {f.name for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(base, f.name)}


def test_each_experiment_changes_one_setting_of_the_default_and_ends_where_it_keeps_a_sample():
    at = experiment_steps(MINI)
    assert at in MINI_DEFAULT.snapshots  # compared with the default at the same step
    configs = experiments(MINI_DEFAULT, at)
    assert len(configs) == 12
    short = MINI_DEFAULT.with_(steps=at, snapshots=(0, at))
    changes = {name: changed_fields(config, short) for name, config in configs.items()}
    assert changes["Adam β1 = 0.9"] == {"beta1"}
    assert changes["saturating G loss"] == {"saturating"}
    assert changes["5 D updates per step"] == {"d_steps"}
    assert changes["64×64, one more block"] == {"size"}
    assert changes["learning rates × 5"] == {"lr_g", "lr_d"}
    assert all(len(c) == 1 or c <= {"ngf", "ndf", "lr_g", "lr_d"} for c in changes.values())


def test_the_default_seeds_differ_from_it_by_their_seed_alone():
    at = experiment_steps(MINI)
    configs = seeds(MINI_DEFAULT, at)
    assert list(configs) == ["seed 1", "seed 2"]
    short = MINI_DEFAULT.with_(steps=at, snapshots=(0, at))
    assert all(changed_fields(c, short) == {"seed"} for c in configs.values())
    assert {c.seed for c in configs.values()} == {1, 2} and MINI_DEFAULT.seed == 0


def test_one_sided_runs_freeze_one_network_for_a_tenth_of_the_default():
    runs = one_sided(MINI_DEFAULT)
    assert runs["only D"].lr_g == 0 and runs["only D"].lr_d == MINI_DEFAULT.lr_d
    assert runs["only G"].lr_d == 0 and runs["only G"].lr_g == MINI_DEFAULT.lr_g
    assert runs["only D"].steps == MINI_DEFAULT.steps // 10


def test_part_jobs_list_every_run_of_the_pages_longest_first(isolated_profile):
    # The full profile's list is run by the rehearsal (make rehearse-full), on generated files.
    jobs = part_jobs(MINI)
    expected = {"default", "seed 1", "seed 2", "course", "only D", "only G",
                *experiments(MINI_DEFAULT, experiment_steps(MINI))}
    assert set(jobs) == expected
    assert jobs["default"][0] == default_config("mini") == MINI_DEFAULT
    # The course's setting, kept every 100 steps to find when it first draws every digit.
    assert jobs["course"][0] == COURSE_SETTING.with_(
        steps=COURSE_STEPS_MINI, snapshots=range(0, COURSE_STEPS_MINI + 1, 100))
    for config, data in jobs.values():
        assert data[0][0].shape[-1] == config.size  # each run gets data of its size
    names = list(jobs)
    # The heaviest runs first, so that the two workers finish together.
    assert names.index("5 D updates per step") < names.index("learning rates ÷ 5")
    assert names.index("default") < names.index("only G")


def test_conditional_jobs_change_one_thing_each_on_the_training_digits(isolated_profile):
    jobs = conditional_jobs(MINI)
    assert set(jobs) == {"cdcgan", "blind D", "unconditional", "cgan", "part 3"}
    cdcgan = MINI_CONDITIONAL["cdcgan"]
    assert jobs["cdcgan"][0] is cdcgan and jobs["cgan"][0] is MINI_CONDITIONAL["cgan"]
    # Q11 and Q14 each change one thing of the cDCGAN: D's view of y, or y removed; they are
    # shorter, and compared with the cDCGAN at a step where it keeps its generator.
    for name, change in (("blind D", {"d_sees_labels"}), ("unconditional", {"model"})):
        at = comparison_steps(name, MINI)
        assert at in cdcgan.snapshots and at < cdcgan.steps
        shorter = cdcgan.with_(steps=at, snapshots=[s for s in cdcgan.snapshots if s <= at])
        assert changed_fields(jobs[name][0], shorter) == change
    assert jobs["unconditional"][0].model == "dcgan"
    rehearsal = make_profile("full", sizes="rehearsal")  # full: as long as the cDCGAN
    assert comparison_steps("blind D", rehearsal) == default_config(rehearsal, "cdcgan").steps
    with pytest.raises(ValueError, match="no comparison run 'cgan'"):
        comparison_steps("cgan", MINI)
    # Part 3's default run is the same run (same cache entry) as Part 3's pages train.
    assert jobs["part 3"][0] == MINI_DEFAULT
    data = jobs["cdcgan"][1]
    assert all(d is data for name, (_, d) in jobs.items() if name != "part 3")
    assert set(data.targets.tolist()) == set(range(10))
    names = list(jobs)  # the heaviest first: a fully-connected step is cheap
    assert names.index("cdcgan") < names.index("cgan") < names.index("part 3")


def test_part_runs_are_those_of_part_3_or_4():
    with pytest.raises(ValueError, match="part must be 3 or 4"):
        part_runs(2, "mini")


def test_the_judge_trains_beside_the_runs_only_when_it_is_not_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("DLVISION_DATA", str(tmp_path))
    handed = []
    monkeypatch.setattr(parts, "trained_runs",
                        lambda jobs, *, also, progress: handed.append(list(also)) or {})
    part_runs(4, "mini")
    assert [task.func for task in handed[-1]] == [digit_judge]
    path = judge_path(profile="mini")
    assert path.is_relative_to(tmp_path)
    asked = []

    def record(where, *args, **kwargs):
        asked.append(where)
        raise KeyboardInterrupt  # no need to train it

    monkeypatch.setattr(judge_module, "load_or_build", record)
    with pytest.raises(KeyboardInterrupt):
        digit_judge(profile="mini", progress=False)
    assert asked == [path]  # where digit_judge caches it
    # Part 3's pages trained it:
    path.parent.mkdir(parents=True)
    path.touch()
    part_runs(4, "mini")
    assert handed[-1] == []


@pytest.mark.usefixtures("one_torch_thread")
def test_part_runs_come_measured_at_every_kept_step(monkeypatch):
    """``part_runs`` hands back each run with the judge's numbers at every kept step, and the
    summary of its losses up to that step (none at step 0, before any)."""
    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.rand(32, 1, 32, 32, generator=g) * 2 - 1,
                                          torch.zeros(32, dtype=torch.int64))
    run = train(GANConfig(nz=4, ngf=4, ndf=4, batch_size=8, steps=6, snapshots=(0, 3, 6),
                          n_fixed=4), data, progress=False)
    monkeypatch.setattr(parts, "trained_runs", lambda jobs, *, also, progress: {"tiny": run})
    judged = []

    def judge_run(run, *, profile):
        judged.append(profile.name)
        return {step: {"frechet": float(step)} for step in run.generators}

    monkeypatch.setattr(parts, "judge_run", judge_run)
    runs = part_runs(4, "mini", progress=False)
    assert judged == ["mini"] and runs["tiny"] is run
    assert run.measures[0] == {"frechet": 0.0}
    for step in (3, 6):
        assert run.measures[step] == {"frechet": float(step), **loss_summary(run.history, step)}
