import subprocess
import sys

from dlvision import __version__
from dlvision.cli import main


def test_info_reports_versions_profile_device_and_data(capsys, data_dir):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"dlvision {__version__}" in out and "torch " in out and "torchvision " in out
    assert "profile: mini" in out and "device: cpu" in out
    assert str(data_dir) in out and "15 Scene" in out and "missing" in out


def test_info_sees_what_is_present(capsys, data_dir):
    (data_dir / "15SceneData" / "train").mkdir(parents=True)
    assert main(["info", "--profile", "full"]) == 0
    out = capsys.readouterr().out
    assert "profile: full" in out
    assert f"{data_dir / '15SceneData'}: present" in out


def test_bad_profile_is_an_error_exit(capsys, monkeypatch):
    monkeypatch.setenv("DLVISION_PROFILE", "enormous")
    assert main(["info"]) == 2
    assert "unknown profile 'enormous'" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "dlvision.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert __version__ in out
