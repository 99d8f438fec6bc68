"""The delivery workflows (.github/workflows/): valid against GitHub's workflow schema, clean under zizmor's offline
audits at medium severity and above, every action pinned to a commit, no expression expanded inside a shell script,
least privilege by default, and the shape the README promises (preview per stack with the policy pack, staging then
prod by digest behind an environment, daily drift)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPOSITORY

WORKFLOWS = sorted((REPOSITORY / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((REPOSITORY / ".github" / "workflows" / name).read_text())


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_four_workflows_exist():
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "deploy.yml", "drift.yml", "preview.yml"]


def test_every_workflow_validates_against_the_github_workflow_schema():
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_at_medium_severity_or_above():
    result = subprocess.run(
        [BIN / "zizmor", "--offline", "--min-severity", "medium", "--no-progress", REPOSITORY / ".github/workflows"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version(path: Path):
    uses = re.findall(r"uses:\s*(\S+)(.*)", path.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{action}: no '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path):
    for step in steps(yaml.safe_load(path.read_text())):
        assert "${{" not in step.get("run", ""), step.get("name", step["run"][:60])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_empty_by_default_and_granted_per_job(path: Path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_do_not_persist_the_token(path: Path):
    for step in steps(yaml.safe_load(path.read_text())):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_ci_runs_the_readmes_test_entry_point():
    assert any(".ci/run" in step.get("run", "") for step in steps(load("ci.yml")))


def test_preview_skips_fork_pull_requests_and_applies_the_policy_pack():
    job = load("preview.yml")["jobs"]["preview"]
    script = (REPOSITORY / ".github/scripts/preview.sh").read_text()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "--policy-pack infra/policy" in script
    assert "infra.delivery.preview_comment" in " ".join(step.get("run", "") for step in job["steps"])


def test_prod_deploys_the_digest_staging_ran_behind_a_protected_environment():
    jobs = load("deploy.yml")["jobs"]
    assert jobs["staging"]["environment"] == "staging"
    assert jobs["prod"]["environment"] == "production"
    assert jobs["prod"]["needs"] == "staging"
    assert jobs["prod"]["env"]["IMAGE"] == "${{ needs.staging.outputs.ref }}"
    assert any("@sha256:" in step.get("run", "") for step in jobs["prod"]["steps"])


def test_drift_runs_a_refreshed_preview_expecting_no_changes_on_a_schedule():
    workflow = load("drift.yml")
    assert workflow[True]["schedule"]  # YAML 1.1 reads the key `on` as True
    runs = " ".join(step.get("run", "") for step in steps(workflow))
    assert "--expect-no-changes --refresh" in runs
