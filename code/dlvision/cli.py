"""The ``dlvision`` command."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .profile import PROFILES, make_profile


def _present(path: Path) -> str:
    return "present" if path.exists() and (path.is_file() or any(path.iterdir())) else "missing"


def info_lines(profile: str | None = None) -> list[str]:
    """What ``dlvision info`` prints: versions, profile, device, and what is on disk."""
    import torch
    import torchvision

    from .data.celeba import CELEBA_FOLDER
    from .data.imagenet import IMAGENET_VAL_FILE
    from .data.scenes15 import COURSE_FOLDER, ORIGINAL_FOLDER
    from .models.zoo import MODEL_NAMES, weights_path

    prof = make_profile(profile)
    data = prof.data_dir
    lines = [
        f"dlvision {__version__} (Python {platform.python_version()})",
        f"torch {torch.__version__}, torchvision {torchvision.__version__}",
        f"profile: {prof.name}   (set with --profile or $DLVISION_PROFILE; one of "
        f"{', '.join(PROFILES)})",
        f"device: {prof.device}"
        + (f" ({torch.cuda.get_device_name(0)})" if prof.device.type == "cuda" else ""),
        f"data folder: {data}   ($DLVISION_DATA)",
        "datasets (full profile):",
        f"  15 Scene          {data / COURSE_FOLDER}: {_present(data / COURSE_FOLDER)}, "
        f"{data / ORIGINAL_FOLDER}: {_present(data / ORIGINAL_FOLDER)}",
        f"  ImageNet samples  {data / IMAGENET_VAL_FILE}: {_present(data / IMAGENET_VAL_FILE)}",
        f"  MNIST             {data / 'mnist'}: {_present(data / 'mnist')}",
        f"  CelebA            {data / CELEBA_FOLDER}: {_present(data / CELEBA_FOLDER)}",
        "  (the mini profile needs none of them: its data ships with scikit-learn)",
        "weights:",
    ]
    for p in PROFILES:
        for name in MODEL_NAMES:
            path = weights_path(name, profile=make_profile(p))
            kind = "ImageNet" if p == "full" else "mini stand-in"
            lines.append(f"  {name:<14} {kind:<14} {path}: {_present(path)}")
    return lines


def _info(args: argparse.Namespace) -> int:
    print("\n".join(info_lines(args.profile)))
    return 0


def _assign(args: argparse.Namespace) -> int:
    from .assign import find_root, stale_exercises, write_exercises

    root = Path(args.root) if args.root else find_root()
    if args.check:
        problems = stale_exercises(root)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print("Run `dlvision assign` (or `make exercises`) and commit exercises/.",
                  file=sys.stderr)
            return 1
        print("exercises/ is up to date with solutions/")
        return 0
    for path in write_exercises(root):
        print(f"wrote {path.relative_to(root)}")
    problems = stale_exercises(root)  # what writing cannot fix: exercises without a solution
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .grading.report import format_report
    from .grading.runner import DEFAULT_TIMEOUT, grade_notebook

    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    if timeout <= 0:
        raise ValueError(f"--timeout must be a positive number of seconds, got {timeout:g}")
    report = grade_notebook(args.notebook, timeout=timeout, part=args.part,
                            executed=args.executed)
    print(format_report(report))
    if args.json:
        report.write_json(args.json)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlvision", description="Companion tool of the course 'Deep learning for computer "
        "vision'.")
    parser.add_argument("--version", action="version", version=f"dlvision {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="versions, profile, device, data and weights present")
    info.add_argument("--profile", choices=PROFILES, default=None,
                      help="profile to describe (default: $DLVISION_PROFILE, else mini)")
    info.set_defaults(run=_info)

    assign = commands.add_parser(
        "assign", help="write exercises/*.ipynb from solutions/*.ipynb",
        description="Write each exercise notebook from its solution: solution blocks become "
        "'# YOUR CODE HERE', outputs are cleared, a first cell installs the package in Colab.")
    assign.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming each exercise that is stale, "
                        "missing or without solution")
    assign.add_argument("--root", default=None,
                        help="the repository (default: the nearest folder up from here with "
                        "_config.yml and solutions/)")
    assign.set_defaults(run=_assign)

    grade = commands.add_parser(
        "grade", help="grade an exercise notebook; the file is never modified",
        description="Execute a copy of NOTEBOOK in the mini profile, then check every answer "
        "of its exercise; print a table of points and feedback. The exit status is 0 whatever "
        "the score, 2 when NOTEBOOK cannot be graded at all.")
    grade.add_argument("notebook", help="the .ipynb file to grade")
    grade.add_argument("--json", metavar="FILE", default=None,
                       help="also write the report as JSON (score, max_score, questions)")
    grade.add_argument("--timeout", metavar="S", type=float, default=None,
                       help="seconds each cell, and each answer on the checks' inputs, may run "
                       "(default: 120)")
    grade.add_argument("--part", default=None,
                       help="the exercise (e.g. 0-getting-started); default: the notebook's "
                       "metadata, else its file name")
    grade.add_argument("--executed", metavar="FILE", default=None,
                       help="save the executed copy, with its outputs, to FILE")
    grade.set_defaults(run=_grade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"dlvision {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
