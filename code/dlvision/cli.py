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

    from .data.generative import CELEBA_FOLDER
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
