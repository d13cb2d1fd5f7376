import random

import numpy as np
import pytest
import torch

import dlvision
from dlvision.profile import current, default_data_dir


def test_default_profile_is_mini():
    assert dlvision.setup().name == "mini"


def test_environment_beats_default(monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "full")
    assert dlvision.setup().name == "full"


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "full")
    assert dlvision.setup("mini").name == "mini"
    monkeypatch.setenv("DLVISION_PROFILE", "mini")
    assert dlvision.setup("full").name == "full"


@pytest.mark.parametrize("bad", ["large", "", "Mini-", "gpu"])
def test_unknown_profile_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="unknown profile .* choose one of mini, full"):
        dlvision.setup(bad)


def test_unknown_profile_in_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"\$DLVISION_PROFILE"):
        dlvision.setup()


def test_setup_becomes_the_current_profile(monkeypatch):
    dlvision.setup("full", seed=3)
    monkeypatch.setenv("DLVISION_PROFILE", "mini")  # too late: setup() already chose
    assert current().name == "full" and current().seed == 3
    assert current("mini").name == "mini"


def test_sizes_differ_between_profiles():
    mini, full = dlvision.setup("mini"), dlvision.setup("full")
    assert (mini.image_size, full.image_size) == (32, 224)


def _draws():
    return random.random(), np.random.rand(3).tolist()  # noqa: NPY002, torch.rand(3).tolist()


def test_seeding_reproduces_every_generator():
    dlvision.setup(seed=7)
    first = _draws()
    dlvision.setup(seed=7)
    assert _draws() == first
    dlvision.setup(seed=8)
    assert _draws() != first


def test_device_is_cpu_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    assert dlvision.setup().device == torch.device("cpu")


def test_data_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DLVISION_DATA", str(tmp_path / "elsewhere"))
    prof = dlvision.setup()
    assert prof.data_dir == tmp_path / "elsewhere"
    assert prof.cache_dir == tmp_path / "elsewhere" / "cache"


def test_data_folder_default_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("DLVISION_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "dlvision"


def test_profile_describes_itself_in_one_line():
    line = str(dlvision.setup("mini", seed=5))
    assert "mini" in line and "seed: 5" in line and "\n" not in line


def test_import_dlvision_reaches_every_subpackage_lazily():
    """``import dlvision`` alone gives ``dlvision.transfer.truncate`` and the other
    subpackages, without importing them until they are used."""
    import subprocess
    import sys

    code = ("import sys, dlvision\n"
            "assert 'dlvision.transfer' not in sys.modules\n"
            "names = ['data', 'models', 'transfer', 'visualize', 'gan', 'metrics', 'grading',\n"
            "         'plots', 'book', 'cache']\n"
            "assert all(hasattr(dlvision, n) for n in names)\n"
            "print(dlvision.transfer.truncate.__module__, dlvision.data.scenes15.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["dlvision.models.layers", "scenes15"]


def test_dependencies_point_down_nothing_below_the_methods_imports_transfer():
    """``models``, ``data``, ``plots``, ``metrics``, ``book`` and the homes of Parts 2-4 never
    import ``dlvision.transfer``: a new part builds on them, not on Part 1."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import dlvision.models, dlvision.data, dlvision.plots, dlvision.metrics\n"
            "import dlvision.book, dlvision.cache, dlvision.visualize, dlvision.gan\n"
            "print(sorted(m for m in sys.modules if m.startswith('dlvision.transfer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
