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


# --- sizes ----------------------------------------------------------------------------------------

COURSE_LABELS = (3, 5, 10, 25, 50)


def test_mini_sizes_are_the_course_s():
    prof = dlvision.setup("mini")
    assert (prof.sizes, prof.image_size) == ("standard", 32)
    assert (prof.train_steps, prof.labels_per_class) == (300, COURSE_LABELS)
    assert str(prof) == f"dlvision profile: mini · device: {prof.device} · seed: 0"


def test_full_standard_sizes_are_the_course_s():
    prof = dlvision.setup("full")
    assert (prof.sizes, prof.image_size) == ("standard", 224)
    assert (prof.train_steps, prof.labels_per_class) == (300, COURSE_LABELS)
    assert "rehearsal" not in prof.describe()


def test_default_steps_of_the_training_functions_match_the_profiles():
    import inspect

    from dlvision.transfer import fine_tune, from_scratch, linear_probe

    for fn in (fine_tune, from_scratch, linear_probe):
        config = inspect.signature(fn).parameters["config"].default
        assert config.steps == current("full").train_steps == current("mini").train_steps


def test_rehearsal_sizes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "full")
    monkeypatch.setenv("DLVISION_SIZES", "Rehearsal")
    prof = dlvision.setup()
    assert prof.is_rehearsal and prof.sizes == "rehearsal"
    assert prof.image_size == 64  # 15 Scene's inputs, small: the networks accept any size
    assert 1 <= prof.train_steps < 10
    # Cross-validation needs 2 images per class; the generated 15 Scene has 2 per class.
    from dlvision.rehearsal import SCENE_PER_CLASS

    assert prof.labels_per_class
    assert all(2 <= n <= SCENE_PER_CLASS["train"] for n in prof.labels_per_class)
    assert "rehearsal" in prof.describe() and "\n" not in prof.describe()


def test_sizes_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("DLVISION_SIZES", "rehearsal")
    assert dlvision.setup("full", sizes="standard").sizes == "standard"
    monkeypatch.setenv("DLVISION_SIZES", "standard")
    assert dlvision.setup("full", sizes="rehearsal").sizes == "rehearsal"


@pytest.mark.parametrize("bad", ["tiny", "rehearse", "full"])
def test_unknown_sizes_are_a_clear_value_error(monkeypatch, bad):
    monkeypatch.setenv("DLVISION_SIZES", bad)
    for profile in ("mini", "full"):  # checked in mini too: a typo is never ignored
        with pytest.raises(ValueError, match=r"unknown sizes .*\$DLVISION_SIZES.*standard, "
                                             r"rehearsal"):
            dlvision.setup(profile)
    with pytest.raises(ValueError, match="unknown sizes .*sizes="):
        dlvision.setup("full", sizes=bad)


def test_mini_ignores_rehearsal_from_the_environment_but_refuses_it_explicitly(monkeypatch):
    monkeypatch.setenv("DLVISION_SIZES", "rehearsal")
    prof = dlvision.setup("mini")
    assert prof.sizes == "standard" and prof.train_steps == 300
    assert current("mini").labels_per_class == COURSE_LABELS  # e.g. standin_record()
    with pytest.raises(ValueError, match="full profile only"):
        dlvision.setup("mini", sizes="rehearsal")


def test_rehearsal_note_replaces_the_mini_note(monkeypatch):
    from dlvision.book import standin_note_markdown

    assert "mini" in standin_note_markdown("mini")
    assert standin_note_markdown("full") == ""
    monkeypatch.setenv("DLVISION_SIZES", "rehearsal")
    note = standin_note_markdown("full")
    assert note.startswith(":::{warning}") and "rehearsal" in note
    assert "mean nothing" in note and "random weights" in note
    assert "rehearsal" not in standin_note_markdown("mini")
