"""Shared fixtures: every test runs offline, in the mini profile, with its own data folder."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
import torch

import dlvision.profile

if os.environ.get("PYTEST_XDIST_WORKER"):
    # One thread per worker, in the worker and in what it starts (kernels, subprocesses): two
    # workers of two threads each on two cores slow torch down several times over.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    torch.set_num_threads(1)

# The modules that take longest, run first: with two workers (``make unit`` runs pytest-xdist,
# one worker per module), a long module started last would finish alone at the end.
LONGEST_FIRST = ("test_grading_notebooks.py", "test_grade_batch.py", "test_grading_sandbox.py",
                 "test_gan_training.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within each module is kept


# A data folder whose trained stand-in networks and digit judge the session may start from
# (``make test`` sets it to the book's, built just before): they are deterministic, keyed by
# their training, and take minutes to train again in each worker.
SEED_ENV = "DLVISION_TEST_SEED_DATA"
SEEDED = ("models", "judges")


@pytest.fixture(scope="session")
def session_data(tmp_path_factory):
    """A data folder shared by the whole session, so stand-ins are trained once per run (or
    copied from ``$DLVISION_TEST_SEED_DATA``'s cache)."""
    folder = tmp_path_factory.mktemp("dlvision-data")
    seed = os.environ.get(SEED_ENV)
    for part in SEEDED if seed else ():
        source = Path(seed) / "cache" / part
        if source.is_dir():
            shutil.copytree(source, folder / "cache" / part)
    return folder


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same global random state, whichever tests its worker ran
    before: an unseeded network's weights must not change with the order of the tests."""
    random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def isolated_profile(monkeypatch, session_data):
    """No test sees the user's environment or another test's ``setup()``."""
    monkeypatch.setenv("DLVISION_DATA", str(session_data))
    monkeypatch.delenv("DLVISION_PROFILE", raising=False)
    monkeypatch.delenv("DLVISION_SIZES", raising=False)
    monkeypatch.setattr(dlvision.profile, "_active", None)
    yield


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a module's tests: tiny networks gain nothing from threads, and
    lose much when the cores are busy (``pytestmark = pytest.mark.usefixtures(...)``)."""
    from dlvision.grading.observe import one_thread

    with one_thread():
        yield


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh, empty data folder for tests that look for missing or corrupt files."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("DLVISION_DATA", str(path))
    return path


def pytest_terminal_summary(terminalreporter):
    """Print the stand-ins' figures, which the issue notes report."""
    from test_models import STANDIN_REPORT

    if not STANDIN_REPORT:
        return
    terminalreporter.section("mini stand-ins")
    for name, rec in STANDIN_REPORT.items():
        held_out = rec.get("held_out_accuracy", rec.get("test_accuracy"))
        terminalreporter.write_line(
            f"{name:<14} held-out accuracy on digits 0-4: {held_out:.1%} "
            f"({rec.get('n_test')} images); training {rec.get('train_seconds', 0):.1f} s, "
            f"first load {rec.get('first_load_s', 0):.1f} s"
        )
