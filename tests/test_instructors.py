"""Every command the instructors' pages show runs: the `dlvision` ones here (training ones made
tiny with options added at the end, which argparse lets win), the `make` ones as targets of the
Makefile. The pages run `dlvision info`, `assign --check` and `grade` themselves when built."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from dlvision.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "book" / "instructors").glob("*.md"))
# What makes `dlvision train` take a second: a few steps of tiny networks.
TINY = ["--steps", "3", "--ngf", "4", "--ndf", "4", "--nz", "8", "--batch-size", "16"]


def shown_commands(program: str) -> list[tuple[str, list[str]]]:
    """(page, argv) of every ``$ <program> ...`` line in the pages' console blocks, with any
    environment assignments before it and the comment after it left out."""
    found = []
    for page in PAGES:
        for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.splitlines():
                if not line.startswith("$ "):
                    continue
                words = shlex.split(line[2:], comments=True)
                words = [w for w in words if not re.fullmatch(r"[A-Z_]+=\S*", w)]
                if words and words[0] == program:
                    found.append((page.name, words[1:]))
    return found


def test_the_pages_show_commands():
    assert {args[0] for _, args in shown_commands("dlvision")} >= {"train", "sample", "assign"}
    assert shown_commands("make")


@pytest.mark.parametrize("page,args", shown_commands("dlvision"),
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_every_dlvision_command_parses(page, args):
    build_parser().parse_args(args)  # exits (status 2) on an unknown command or option


def test_the_training_commands_run_as_shown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    commands = [args for _, args in shown_commands("dlvision") if args[0] in ("train", "sample")]
    for args in commands:  # in page order: a sample reads the checkpoint trained above it
        extra = TINY if args[0] == "train" else []
        if "--steps" in args:  # "goes on to step N": longer than the first run
            extra = [*TINY[2:], "--steps", "5"]
        assert main([*args, *extra]) == 0, f"`dlvision {' '.join(args)}` failed: " \
                                            f"{capsys.readouterr().err}"
    assert {"dcgan.pt", "cdcgan.pt", "samples.npz", "digits.npz"} <= {
        p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize("page,args", shown_commands("make"),
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_every_make_command_is_a_target(page, args):
    done = subprocess.run(["make", "-n", "-C", str(ROOT), *args], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
