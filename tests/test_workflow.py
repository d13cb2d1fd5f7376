"""The workflow that publishes the site (.github/workflows/pages.yml) has the steps a maintainer
expects: check out, restore the caches, build the book, upload the site, deploy it to Pages.

`make lint` checks its syntax and security (actionlint, zizmor); these tests check what it does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def _steps(job: dict, action: str) -> list[dict]:
    """The steps of ``job`` that use ``action`` (``actions/cache``), whatever its version."""
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def _index(job: dict, step: dict) -> int:
    return job["steps"].index(step)


def test_runs_on_every_push_to_main_and_by_hand(workflow):
    triggers = _triggers(workflow)
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers


def test_permissions_are_the_least_each_job_needs(workflow):
    assert workflow["permissions"] == {}, "no permission by default: each job asks for its own"
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_one_deployment_at_a_time(workflow):
    concurrency = workflow["concurrency"]
    assert concurrency["group"]
    assert concurrency["cancel-in-progress"] is False, "a deployment must not be cut halfway"


def test_build_restores_both_caches_before_building(workflow):
    build = workflow["jobs"]["build"]
    checkout = _steps(build, "actions/checkout")
    assert checkout and checkout[0]["with"]["persist-credentials"] is False
    caches = {step["with"]["path"]: step for step in _steps(build, "actions/cache")}
    # The package's caches live where DLVISION_DATA points, and that is what is cached.
    data_dir = build["env"]["DLVISION_DATA"].replace("${{ github.workspace }}/", "")
    assert set(caches) == {data_dir, "_build/.jupyter_cache"}
    for step in caches.values():
        assert "hashFiles(" in step["with"]["key"], "a cache key must change with the sources"
    # The execution cache knows a page's code only: its key must also cover the package.
    assert "code/dlvision/**" in caches["_build/.jupyter_cache"]["with"]["key"]
    assert "code/dlvision/**" in caches["_build/.jupyter_cache"]["with"]["restore-keys"]

    builds = [s for s in build["steps"] if "make book" in s.get("run", "")]
    assert len(builds) == 1, "one step builds the book with `make book`"
    assert _index(build, checkout[0]) < min(_index(build, s) for s in caches.values()) \
        < _index(build, builds[0])


def test_build_uploads_the_built_site_and_deploy_publishes_it(workflow):
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    upload = _steps(build, "actions/upload-pages-artifact")
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html"
    assert _index(build, upload[0]) == len(build["steps"]) - 1, "upload after the build"
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    publish = _steps(deploy, "actions/deploy-pages")
    assert len(publish) == 1 and publish[0]["id"] in deploy["environment"]["url"]


def test_every_action_is_githubs_own_at_a_release(workflow):
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                action, _, version = step["uses"].partition("@")
                assert action.startswith("actions/"), f"{name}: {action} is not GitHub's"
                assert re.fullmatch(r"v\d+(\.\d+)*|[0-9a-f]{40}", version), \
                    f"{name}: {step['uses']} is not pinned to a release or a commit"
