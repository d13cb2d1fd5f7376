"""The ``dlvision`` command."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .profile import PROFILES, Profile, make_profile

if TYPE_CHECKING:  # the data package loads torchvision: only `info` needs it
    import torch

    from .data.files import ItemStatus


def full_profile_reports(profile: str | Profile | None = None) -> list[ItemStatus]:
    """The state of each dataset and weights file the full profile needs, checked for real."""
    from .data import celeba_status, imagenet_samples_status, mnist_status, scenes15_status
    from .data.files import weights_status
    from .models.zoo import MODEL_NAMES, weights_path

    prof = make_profile(profile)
    reports = [check(prof) for check in (scenes15_status, imagenet_samples_status, mnist_status,
                                         celeba_status)]
    reports += [weights_status(f"{name} weights", weights_path(name, profile="full"),
                               when_absent="downloaded at first use") for name in MODEL_NAMES]
    return reports


def _table(reports: Sequence[ItemStatus]) -> list[str]:
    """Rows "name  status  detail"; a detail of several lines continues under itself."""
    width = max(len(r.name) for r in reports) + 2
    rows = []
    for r in reports:
        first, *rest = r.detail.splitlines() or [""]
        rows.append(f"  {r.name:<{width}}{r.status:<9}{first}")
        rows += [" " * (width + 11) + line for line in rest]
    return rows


def info_lines(profile: str | None = None,
               reports: Sequence[ItemStatus] | None = None) -> list[str]:
    """What ``dlvision info`` prints: versions, profile, device, and each dataset checked.

    ``reports`` are those of ``full_profile_reports``, computed when not given.
    """
    import torch
    import torchvision

    from .data.files import weights_status
    from .models.zoo import MODEL_NAMES, weights_path

    prof = make_profile(profile)
    if reports is None:
        reports = full_profile_reports(prof)
    standins = [weights_status(f"{name} stand-in", weights_path(name, profile="mini"),
                               when_absent="trained at first use") for name in MODEL_NAMES]
    return [
        f"dlvision {__version__} (Python {platform.python_version()})",
        f"torch {torch.__version__}, torchvision {torchvision.__version__}",
        f"profile: {prof.name}   (set with --profile or $DLVISION_PROFILE; one of "
        f"{', '.join(PROFILES)})",
        f"device: {prof.device}"
        + (f" ({torch.cuda.get_device_name(0)})" if prof.device.type == "cuda" else ""),
        f"data folder: {prof.data_dir}   ($DLVISION_DATA)",
        "the full profile needs (status: ok, absent = fetched at first use, missing, broken):",
        *_table(reports),
        "the mini profile needs none of these: its data ships with scikit-learn; its models:",
        *_table(standins),
    ]


def _info(args: argparse.Namespace) -> int:
    prof = make_profile(args.profile)
    reports = full_profile_reports(prof)
    print("\n".join(info_lines(prof.name, reports)))
    failing = [f"{r.name} ({r.status})" for r in reports if not r.ok]
    if failing and prof.name == "full":
        print(f"dlvision info: the full profile cannot run: {', '.join(failing)}",
              file=sys.stderr)
        return 1
    return 0


def _assign(args: argparse.Namespace) -> int:
    from .assign import find_root, stale_exercises, write_exercises

    root = Path(args.root) if args.root else find_root()
    if args.check:
        problems = stale_exercises(root)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print("Run `dlvision assign` (or `make exercises`) and commit exercises/ and "
                  "notebooks/.", file=sys.stderr)
            return 1
        print("exercises/ and notebooks/ are up to date with solutions/ and book/")
        return 0
    for path in write_exercises(root):
        print(f"wrote {path.relative_to(root)}")
    problems = stale_exercises(root)  # what writing cannot fix: exercises without a solution
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .grading.runner import DEFAULT_DEADLINE, DEFAULT_TIMEOUT

    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    deadline = DEFAULT_DEADLINE if args.deadline is None else args.deadline
    for option, seconds in (("--timeout", timeout), ("--deadline", deadline)):
        if not seconds > 0:
            raise ValueError(f"{option} must be a positive number of seconds, got {seconds:g}")
    if args.out is None:
        if len(args.submissions) > 1 or Path(args.submissions[0]).is_dir():
            raise ValueError("grading several notebooks writes grades.csv, feedback and a "
                             "summary into a folder: pass --out DIR")
        for option in ("jobs", "id_pattern"):
            if getattr(args, option) is not None:
                raise ValueError(f"--{option.replace('_', '-')} is for grading a class: "
                                 "pass --out DIR too")
        return _grade_one(args, timeout, deadline)
    for option in ("json", "executed"):
        if getattr(args, option) is not None:
            raise ValueError(f"--{option} is for one notebook; grading with --out writes "
                             f"grades.csv and feedback/ instead: leave out --{option}")
    return _grade_class(args, timeout, deadline)


def _grade_one(args: argparse.Namespace, timeout: float, deadline: float) -> int:
    from .grading.report import format_report
    from .grading.runner import grade_notebook

    report = grade_notebook(args.submissions[0], timeout=timeout, deadline=deadline,
                            part=args.part, executed=args.executed)
    report.feedback = args.feedback
    print(format_report(report))
    if args.json:
        report.write_json(args.json)
    return 0


def writable_folder(path: str) -> Path:
    """``path`` as a folder this process can write in (made if need be); a ``ValueError``
    naming the fix when it cannot be."""
    import tempfile

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ValueError(f"cannot write in --out {path} ({err.strerror or err}): choose a "
                         "folder you may write in, outside the submissions") from err
    return folder


def _grade_class(args: argparse.Namespace, timeout: float, deadline: float) -> int:
    from tqdm import tqdm

    from .grading.batch import WITH_POINTS, find_submissions, grade_batch, id_regex
    from .grading.gradebook import write_gradebook

    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs is the number of notebooks graded at once: at least 1, "
                         f"got {args.jobs}")
    id_regex(args.id_pattern)  # a bad pattern fails before anything is written
    files = find_submissions(args.submissions, args.out)
    out = writable_folder(args.out)
    with tqdm(total=len(files), unit="notebook", desc="grading", file=sys.stderr,
              disable=None) as bar:  # None: no bar when stderr is not a terminal
        done = 0  # a disabled bar counts nothing

        def progress(sub) -> None:
            nonlocal done
            done += 1
            bar.update()
            score = f" {sub.report.score}/{sub.report.max_score}" if sub.report else ""
            bar.set_postfix_str(f"{sub.path.name}: {sub.status}{score}", refresh=False)
            if bar.disable:  # a log, not a terminal: a line per submission instead
                print(f"{done}/{len(files)} {sub.path.name}: {sub.status}{score}"
                      f"{' (cached)' if sub.cached else ''}", file=sys.stderr)

        batch = grade_batch(args.submissions, out, part=args.part, id_pattern=args.id_pattern,
                            jobs=args.jobs, timeout=timeout, deadline=deadline,
                            progress=progress)
    if batch.interrupted:
        print(f"dlvision grade: interrupted; the {batch.graded_now} grades finished are kept "
              f"in {out / '.cache'}: run the same command again to grade the rest",
              file=sys.stderr)
        return 130
    for sub in batch.submissions:
        if sub.report is not None:
            sub.report.feedback = args.feedback
    write_gradebook(batch, out)
    graded = sum(s.status in WITH_POINTS for s in batch.submissions)
    cached = sum(s.cached for s in batch.submissions)
    per = f", {batch.seconds / batch.graded_now:.1f} s each" if batch.graded_now else ""
    print(f"exercise {batch.part}: {len(batch.submissions)} submissions, {graded} graded "
          f"({batch.graded_now} notebooks run in {batch.seconds:.0f} s{per}; {cached} from "
          f"the cache); wrote {out / 'grades.csv'}, {out / 'summary.md'} (.html) and "
          f"{out / 'feedback'}/")
    return 0


# `dlvision train MODEL`: each option sets the GANConfig field of the same name.
TRAIN_OPTIONS = {
    "steps": (int, "training steps (each: d_steps D updates, then g_steps G updates)"),
    "batch_size": (int, "images per update"),
    "lr_g": (float, "the generator's learning rate (Adam)"),
    "lr_d": (float, "the discriminator's learning rate (Adam)"),
    "beta1": (float, "Adam's β1"),
    "nz": (int, "size of the noise vector z"),
    "ngf": (int, "width of the generator's last hidden layer"),
    "ndf": (int, "width of the discriminator's first layer"),
    "size": (int, "image size, 32 or 64"),
    "d_steps": (int, "discriminator updates per step"),
    "g_steps": (int, "generator updates per step"),
    "shift": (int, "random translation of real images, in pixels (0: none)"),
    "real_label": (float, "D's target on real images (1: the course; 0.9: one-sided label "
                          "smoothing, the mini default)"),
    "seed": (int, "seed of the data order, the noise and the initial weights"),
}


def _train(args: argparse.Namespace) -> int:
    from . import setup
    from .data import celeba, mnist
    from .gan.runs import default_config
    from .gan.training import train

    profile = setup(args.profile)
    changes = {name: getattr(args, name) for name in TRAIN_OPTIONS
               if getattr(args, name) is not None}
    if args.saturating:
        changes["saturating"] = True
    if args.init is not None:
        changes["init"] = args.init
    if args.blind_d:
        changes["d_sees_labels"] = False
    base = default_config(profile, args.model)
    steps = changes.get("steps", base.steps)
    # The default run's snapshots that this run reaches, and its end.
    changes["snapshots"] = (*(s for s in base.snapshots if s < steps), steps)
    config = base.with_(**changes)
    out = Path(args.out or f"{args.model}.pt")
    resuming = out.exists()
    print(f"{'resuming' if resuming else 'training'} {args.model} in the {profile.name} profile "
          f"into {out}: {config}")
    # DCGAN: faces (the ten digits in mini); the conditional GANs: MNIST's training digits.
    data = (mnist("train", size=config.size, profile=profile) if config.conditional
            else celeba(size=config.size, profile=profile))
    run = train(config, data, checkpoint=out, checkpoint_every=args.checkpoint_every)
    labels = " --labels 0-9" if config.conditional else ""
    print(f"done: {run.step} steps in {run.seconds:.0f} s; sample with `dlvision sample {out} "
          f"--n 64{labels} --out samples.npz`")
    return 0


def parse_labels(spec: str, n: int) -> list[int]:
    """The labels of ``dlvision sample --labels SPEC`` for n images: SPEC lists digits and
    ranges separated by commas ("3", "1,7", "0-9", "0-4,8"), repeated in turn to make n."""
    bad = ValueError(f"--labels {spec!r} is not a list of digits: give a digit (3), digits "
                     "separated by commas (1,7) or a range (0-9), all within 0-9")
    digits: list[int] = []
    for part in spec.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not (first.isdigit() and (last.isdigit() if dash else True)):
            raise bad
        low, high = int(first), int(last) if dash else int(first)
        if not 0 <= low <= high <= 9:
            raise bad
        digits += range(low, high + 1)
    return [digits[i % len(digits)] for i in range(n)]


def _sample(args: argparse.Namespace) -> int:
    import numpy as np

    from .gan.runs import sample, save_samples
    from .gan.training import load_checkpoint, run_from_checkpoint

    if not Path(args.checkpoint).is_file():
        raise FileNotFoundError(f"no checkpoint at {args.checkpoint}: train one with "
                                "`dlvision train dcgan --out FILE` (or cdcgan, cgan)")
    run = run_from_checkpoint(load_checkpoint(args.checkpoint))
    model = run.config.model
    if run.config.conditional and args.labels is None:
        raise ValueError(f"{args.checkpoint} is a conditional GAN ({model}): say which digits "
                         "to draw, e.g. --labels 0-9")
    if not run.config.conditional and args.labels is not None:
        raise ValueError(f"{args.checkpoint} is an unconditional GAN ({model}): it draws no "
                         "given digit; leave out --labels")
    labels = None if args.labels is None else parse_labels(args.labels, args.n)
    images = sample(run.generator, args.n, labels=labels, seed=args.seed)
    arrays = {} if labels is None else {"labels": np.array(labels, dtype=np.int64)}
    path = save_samples(images, args.out, **arrays)
    print(f"wrote {len(images)} images {tuple(images.shape[1:])} in [-1, 1]"
          f"{' and their labels' if arrays else ''} to {path} "
          f"({model} generator after {run.step} steps)")
    return 0


def read_samples(path: str | Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The digits of an .npz file from ``dlvision sample``, ready for the judge: images
    (N, 1, 32, 32) float32 in [-1, 1] (64×64 ones averaged down, as the book does) and the
    labels (N,) int64 they were asked to be, or None. Errors name the file and the fix."""
    import zipfile

    import numpy as np
    import torch

    from .gan.judge import at_judge_size

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no sample file at {path}: write one with `dlvision sample "
                                "CHECKPOINT --n 1000 --out FILE.npz`")
    try:
        with np.load(path) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:  # not an .npz, or a cut one
        raise ValueError(f"{path} is not a readable .npz file ({err}); write it again with "
                         "`dlvision sample`") from None
    if "images" not in arrays:
        raise ValueError(f"{path} has no `images` array (it has {sorted(arrays) or 'nothing'}); "
                         "write it with `dlvision sample`")
    images = torch.from_numpy(arrays["images"]).float()
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[-1] % 32 or \
            images.shape[-2] != images.shape[-1]:
        raise ValueError(f"the judge reads digits, (N, 1, 32, 32) or (N, 1, 64, 64); {path} "
                         f"holds images of shape {tuple(images.shape)} (faces are judged on "
                         "the book's pages, not by this command)")
    if len(images) < 2 or not images.isfinite().all() or images.abs().max() > 1 + 1e-4:
        raise ValueError(f"{path}: expected at least 2 finite images in [-1, 1], got "
                         f"{len(images)} in [{images.min():.3g}, {images.max():.3g}]")
    labels = arrays.get("labels")
    return at_judge_size(images), None if labels is None else torch.from_numpy(labels).long()


def judge_lines(images: torch.Tensor, labels: torch.Tensor | None, profile: Profile
                ) -> tuple[list[str], dict[str, Any]]:
    """What ``dlvision judge`` prints of ``images`` (N, 1, 32, 32) in [-1, 1], each number
    beside the same for real digits, and the numbers themselves."""
    from .gan.judge import digit_judge, judge_digits, real_baseline, real_digits, real_frechet_at

    judge, record = digit_judge(profile=profile, progress=False)
    verdict = judge_digits(images, labels, judge=judge, profile=profile)
    real = real_baseline(profile=profile)
    n_train = len(real_digits("train", profile=profile))
    counted = real_frechet_at(min(len(images), n_train), profile=profile)
    numbers = {**verdict.summary(), "shares": verdict.shares.tolist(), "n": len(images),
               "real": real, "real_frechet_at_n": counted}
    rows = [("digits drawn (≥ 2 %)", f"{verdict.classes_drawn}", f"{real['classes_drawn']}"),
            ("rarest digit", f"{verdict.smallest_share:.1%}", f"{real['smallest_share']:.1%}"),
            ("most frequent digit", f"{verdict.largest_share:.1%}",
             f"{real['largest_share']:.1%}"),
            ("judge's confidence", f"{verdict.mean_confidence:.3f}",
             f"{real['mean_confidence']:.3f}"),
            ("Fréchet distance", f"{verdict.frechet:,.1f}",
             f"{real['frechet']:.1f} (all {n_train:,} training digits); {counted['median']:.1f} "
             f"({counted['n']:,} at random, median of 11 draws: {counted['low']:.1f} to "
             f"{counted['high']:.1f})")]
    if labels is not None:
        rows.append(("label accuracy", f"{verdict.label_accuracy:.1%}", ""))
    lines = [f"{len(images):,} digits judged in the {profile.name} profile by the digit judge "
             f"({record['test_accuracy']:.1%} right on the {record['n_test']:,} real test "
             "digits, which no GAN trained on)", ""]
    lines += [f"{'':24} {'samples':>9}   real test digits"]
    lines += [f"{name:24} {value:>9}   {real_value}" for name, value, real_value in rows]
    lines += ["", "shares: " + "  ".join(f"{digit}: {share:.1%}"
                                         for digit, share in enumerate(verdict.shares.tolist()))]
    return lines, numbers


def _judge(args: argparse.Namespace) -> int:
    import json

    from . import setup
    from .cache import write_text_atomic

    profile = setup(args.profile)
    images, labels = read_samples(args.samples)
    lines, numbers = judge_lines(images, labels, profile)
    print("\n".join(lines))
    if args.json:
        write_text_atomic(args.json, json.dumps(numbers, indent=1))
    return 0


class _Parser(argparse.ArgumentParser):
    """A parser whose errors are one line that names the fix (argparse's own print the usage
    first), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dlvision", description="Companion tool of the course 'Deep learning for computer "
        "vision'.")
    parser.add_argument("--version", action="version", version=f"dlvision {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser(
        "info", help="versions, profile, device, and each dataset and weights file checked",
        description="Print versions, the profile and the device, and check each dataset and "
        "weights file of the full profile: folders, classes and files per split, unreadable "
        "files. In the full profile, exit 1 when something it needs is missing or broken.")
    info.add_argument("--profile", choices=PROFILES, default=None,
                      help="profile to describe (default: $DLVISION_PROFILE, else mini)")
    info.set_defaults(run=_info)

    assign = commands.add_parser(
        "assign", help="write exercises/*.ipynb from solutions/*.ipynb, and the chapters' "
        "notebooks in notebooks/ from book/",
        description="Write each exercise notebook from its solution: solution blocks become "
        "'# YOUR CODE HERE', outputs are cleared, a first cell installs the package in Colab. "
        "Write each chapter page's notebook twin, notebooks/<part>/<page>.ipynb from "
        "book/<part>/<page>.md, which the page's launch buttons open.")
    assign.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming each exercise or chapter notebook "
                        "that is stale, missing or without source")
    assign.add_argument("--root", default=None,
                        help="the repository (default: the nearest folder up from here with "
                        "_config.yml and solutions/)")
    assign.set_defaults(run=_assign)

    grade = commands.add_parser(
        "grade", help="grade an exercise notebook, or a whole class; no submission is modified",
        description="Execute a copy of each notebook in the mini profile, in its own kernel, "
        "saving each answer after the cell that defines it, then check every answer of its "
        "exercise. One NOTEBOOK: print a table of points and feedback. With --out DIR, any "
        "number of notebooks (files, or folders searched for *.ipynb) of one exercise: write "
        "DIR/grades.csv, DIR/feedback/<id>.md and .html, and DIR/summary.md and .html with "
        "the mistakes the class made most; grades are cached in DIR/.cache, so running again "
        "grades only new submissions. The exit status is 0 whatever the scores, 2 when the "
        "input cannot be graded at all, 130 when interrupted.")
    grade.add_argument("submissions", nargs="+", metavar="NOTEBOOK",
                       help="the .ipynb file to grade; with --out, files and folders")
    grade.add_argument("--out", metavar="DIR", default=None,
                       help="grade a class: write grades.csv, feedback/ and summary into DIR")
    grade.add_argument("--jobs", metavar="N", type=int, default=None,
                       help="with --out: notebooks graded at once, each in its own kernel "
                       "(default: the number of cores)")
    grade.add_argument("--id-pattern", metavar="REGEX", default=None,
                       help="with --out: where the student id is in a file's name, a regular "
                       "expression with a group named id, e.g. '^(?P<id>[^_]+)_' (default: "
                       "the whole name without .ipynb)")
    grade.add_argument("--json", metavar="FILE", default=None,
                       help="one notebook: also write the report as JSON (score, max_score, "
                       "questions)")
    grade.add_argument("--timeout", metavar="S", type=float, default=None,
                       help="seconds each cell may run (default: 120; a cell that imports gets "
                       "at least 60); an answer gets at most 20 on the checks' inputs")
    grade.add_argument("--deadline", metavar="S", type=float, default=None,
                       help="seconds each notebook may run (default: 600); the cells left "
                       "then are reported as not run, and the answers saved before are checked")
    grade.add_argument("--part", default=None,
                       help="the exercise (e.g. 0-getting-started); default: the notebook's "
                       "metadata, else its file name; with --out, the exercise most "
                       "submissions' metadata name (the others are 'wrong exercise')")
    grade.add_argument("--executed", metavar="FILE", default=None,
                       help="one notebook: save the executed copy, with its outputs, to FILE")
    grade.add_argument("--feedback", choices=("full", "mistakes", "scores"), default="full",
                       help="what the report says of each answer: full, the mistake and the "
                       "hint with its code, as check() shows in the notebook (default); "
                       "mistakes, the mistake in words without code; scores, the points only; "
                       "with --out, of the students' feedback files (the summary keeps the full "
                       "feedback)")
    grade.set_defaults(run=_grade)

    train = commands.add_parser(
        "train", help="train a GAN, resumably, into a checkpoint file",
        description="Train MODEL on the profile's data (dcgan: CelebA in full, the digits in "
        "mini; cdcgan and cgan, conditional on the digit: MNIST in full, the digits in mini) "
        "with the profile's default settings, changed by the options; save a checkpoint "
        "every --checkpoint-every steps and at the end. Run the same command again to resume "
        "an interrupted training.")
    train.add_argument("model", choices=("dcgan", "cdcgan", "cgan"),
                       help="the GAN to train: the DCGAN, the conditional DCGAN, or the "
                       "fully-connected conditional GAN")
    train.add_argument("--out", default=None, help="checkpoint file (default: MODEL.pt)")
    train.add_argument("--profile", choices=PROFILES, default=None,
                       help="data and default settings (default: $DLVISION_PROFILE, else mini)")
    for name, (kind, text) in TRAIN_OPTIONS.items():
        train.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None,
                           help=text)
    train.add_argument("--saturating", action="store_true",
                       help="G minimizes log(1 - D(G(z))), the minimax game's loss")
    train.add_argument("--init", choices=("dcgan", "default"), default=None,
                       help="weights: the DCGAN paper's N(0, 0.02) or PyTorch's default")
    train.add_argument("--blind-d", action="store_true",
                       help="cdcgan, cgan: the discriminator is not shown the labels, "
                       "D(x) instead of D(x, y)")
    train.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                       help="steps between checkpoints (default: 500)")
    train.set_defaults(run=_train)

    sample = commands.add_parser(
        "sample", help="draw images from a trained GAN into an .npz file",
        description="Load CHECKPOINT (from `dlvision train`) and write N images of its "
        "generator to an .npz file: `images`, (N, C, H, W) float32 in [-1, 1], and for a "
        "conditional GAN `labels`, (N,) int64, the digit each image was asked to be.")
    sample.add_argument("checkpoint", help="the checkpoint file")
    sample.add_argument("--n", type=int, default=64, help="number of images (default: 64)")
    sample.add_argument("--labels", default=None, metavar="SPEC",
                        help="conditional GANs only (and required): the digits to draw, in "
                        "turn: 0-9 (each digit), 3 (all threes), 1,7 (ones and sevens)")
    sample.add_argument("--out", default="samples.npz", help="the .npz file to write")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise (default: 0)")
    sample.set_defaults(run=_sample)

    judge = commands.add_parser(
        "judge", help="judge digits drawn by `dlvision sample` against real digits",
        description="Read SAMPLES (an .npz file from `dlvision sample`) and print what the "
        "book's digit judge makes of them, each number beside the same for the real test "
        "digits: how many of the ten digits are drawn and their shares, the judge's mean "
        "confidence, the Fréchet distance to the real test digits in the judge's features "
        "(real digits: all the training digits, and as many as the samples drawn at random), "
        "and for a conditional GAN's samples the share drawn as the digit asked for. The judge "
        "is trained on the profile's training digits on first use (seconds in mini) and cached.")
    judge.add_argument("samples", help="the .npz file of `dlvision sample`")
    judge.add_argument("--profile", choices=PROFILES, default=None,
                       help="whose real digits (default: $DLVISION_PROFILE, else mini)")
    judge.add_argument("--json", metavar="FILE", default=None,
                       help="also write the numbers to FILE as JSON")
    judge.set_defaults(run=_judge)
    for command in commands.choices.values():  # so that main can say which --help to read
        command.set_defaults(parser=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's parser, which knows the options it lacks
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"dlvision {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
