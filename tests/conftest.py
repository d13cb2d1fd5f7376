"""Shared fixtures: every test runs offline, in the mini profile, with its own data folder."""

from __future__ import annotations

import pytest

import dlvision.profile


@pytest.fixture(scope="session")
def session_data(tmp_path_factory):
    """A data folder shared by the whole session, so stand-ins are trained once per run."""
    return tmp_path_factory.mktemp("dlvision-data")


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
