"""Exercise and solution pages on the built site (`make book` first): listed, with the Colab
and Binder launch buttons of `_config.yml`; exercises as a student gets them (not executed),
solutions with their outputs.

Marked slow: `make test` runs them after building the book.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from dlvision.grading import get_part

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def repository() -> tuple[str, str]:
    """(owner/name, branch) of the repository that `_config.yml` names."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return urlparse(config["url"]).path.strip("/"), config.get("branch", "main")


def page(relative: str) -> str:
    path = HTML / relative
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make book` first")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.stem)
def test_exercise_page_launches_in_colab_and_binder(exercise, repository):
    slug, branch = repository
    html = page(f"exercises/{exercise.stem}.html")
    notebook = f"exercises/{exercise.name}"
    assert f"https://colab.research.google.com/github/{slug}/blob/{branch}/{notebook}" in html
    assert f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=tree/{notebook}" in html
    assert "YOUR CODE HERE" in html and "BEGIN SOLUTION" not in html


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.stem)
def test_solution_page_shows_its_outputs_and_every_check_passed(exercise):
    html = page(f"solutions/{exercise.stem}.html")
    assert "BEGIN SOLUTION" in html and 'class="cell_output' in html
    for question in get_part(exercise.stem).questions:
        assert f"{question.id}: passed (" in html, f"no passed check of {question.id}"
    assert ": wrong (" not in html and "Traceback" not in html
