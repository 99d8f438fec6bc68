"""The delivery workflows (.github/workflows/): valid against GitHub's workflow schema, clean under zizmor's offline
audits at medium severity and above, every action pinned to a commit, no expression expanded inside a shell script,
least privilege by default, and the shape docs/delivery.md promises: previews per stack with the policy pack (prod
only for branches of this repository, behind reviewers, never from a pull_request job), one pinned Pulumi CLI in
step with the SDK, per-stack secrets providers, staging then prod by digest with the promotion pull request that
keeps git naming what runs, prod jobs on the in-VPC runners, daily drift."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.platforms.aws.ci import RUNNER_PROJECT, RUNNER_WORKFLOWS

from .conftest import REPOSITORY, STACKS

WORKFLOWS = sorted((REPOSITORY / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((REPOSITORY / ".github" / "workflows" / name).read_text())


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


PROD_ENVIRONMENTS = {"production", "prod-preview", "prod-drift"}
"""The GitHub environments holding prod's credentials (the OIDC subjects the prod roles trust)."""
PULL_REQUEST_SECRETS = {"PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "DIGITALOCEAN_READ_TOKEN", "KUBECONFIG_DEV"}
"""The only secrets a pull_request job may name: each resolves in the job's own <stack>-preview environment."""
RUNNER_LABEL = re.compile(
    rf"^codebuild-{RUNNER_PROJECT}-\$\{{\{{ github.run_id \}}\}}-\$\{{\{{ github.run_attempt \}}\}}$"
)


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow[True]  # YAML 1.1 reads the key `on` as True
    return dict.fromkeys(on) if isinstance(on, list) else dict(on)


def all_workflows() -> dict[str, dict[Any, Any]]:
    return {path.name: yaml.safe_load(path.read_text()) for path in WORKFLOWS}


def jobs_of_all() -> list[tuple[str, str, dict[str, Any]]]:
    return [(name, job_name, job) for name, wf in all_workflows().items() for job_name, job in wf["jobs"].items()]


def environments(job: dict[str, Any]) -> set[str]:
    """Every environment name a job can run in: its template expanded over every value its matrix can take."""
    template = job.get("environment")
    if template is None:
        return set()
    if isinstance(template, dict):
        template = template["name"]
    if "${{" not in template:
        return {template}
    matrix = job["strategy"]["matrix"]
    lists = [json.loads(found) for found in re.findall(r"'(\[[^']*\])'", matrix["stack"])]
    assert lists, f"cannot read the stacks of matrix {matrix['stack']!r}"
    return {template.replace("${{ matrix.stack }}", stack) for values in lists for stack in values}


def pulumi_cli_pins() -> list[tuple[str, Any]]:
    return [
        (path.name, step.get("with", {}).get("pulumi-version"))
        for path in WORKFLOWS
        for step in steps(yaml.safe_load(path.read_text()))
        if step.get("uses", "").startswith("pulumi/actions@")
    ]


def test_the_five_workflows_exist():
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "deploy.yml", "drift.yml", "preview-prod.yml", "preview.yml"]


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


# --- the pinned Pulumi CLI


def test_every_pulumi_cli_install_pins_one_exact_version():
    pins = pulumi_cli_pins()
    assert len(pins) == 6  # preview, preview-prod, drift staging and prod, deploy staging and prod
    assert {workflow for workflow, _ in pins} == {"deploy.yml", "drift.yml", "preview.yml", "preview-prod.yml"}
    versions = {version for _, version in pins}
    assert len(versions) == 1, pins
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(versions.pop()))


def test_the_pinned_cli_is_the_minor_of_the_sdk_pyproject_allows_and_the_one_installed():
    (cli,) = {version for _, version in pulumi_cli_pins()}
    major, minor, _ = cli.split(".")
    infra = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["optional-dependencies"]["infra"]
    (requirement,) = [r for r in infra if re.match(r"pulumi[<>=]", r)]
    assert requirement == f"pulumi>={major}.{minor},<{major}.{int(minor) + 1}"
    assert importlib.metadata.version("pulumi").split(".")[:2] == [major, minor]


# --- previews that cannot leak prod


def test_no_workflow_runs_on_pull_request_target():
    assert all("pull_request_target" not in triggers(wf) for wf in all_workflows().values())


def test_no_job_triggered_by_a_pull_request_can_read_prod_credentials():
    checked = 0
    for name, workflow in all_workflows().items():
        if "pull_request" not in triggers(workflow):
            continue
        for job_name, job in workflow["jobs"].items():
            text = yaml.safe_dump(job)
            assert "id-token" not in job.get("permissions", {}), (name, job_name)
            assert not environments(job) & PROD_ENVIRONMENTS, (name, job_name)
            assert all(not e.startswith("prod") for e in environments(job)), (name, job_name)
            assert "vars.AWS_" not in text and "aws-actions/" not in text, (name, job_name)
            assert set(re.findall(r"secrets\.(\w+)", text)) <= PULL_REQUEST_SECRETS, (name, job_name)
            checked += 1
    assert checked == 2  # ci.yml's test job and preview.yml's preview job


def test_pull_request_previews_run_each_stack_in_its_own_environment_and_never_prod():
    job = load("preview.yml")["jobs"]["preview"]
    assert job["environment"] == "${{ matrix.stack }}-preview"
    assert environments(job) == {"staging-preview", "dev-preview"}


def test_prod_previews_run_for_branches_of_this_repository_behind_the_prod_preview_environment():
    workflow = load("preview-prod.yml")
    assert triggers(workflow) == {"push": workflow[True]["push"]}
    assert workflow[True]["push"]["branches-ignore"] == ["main"]
    job = workflow["jobs"]["preview"]
    assert job["environment"] == "prod-preview"
    assert job["env"]["STACK"] == "prod"
    assert "--policy-pack infra/policy" in (REPOSITORY / ".github/scripts/preview.sh").read_text()


def test_every_job_that_assumes_an_aws_role_runs_in_a_prod_environment_with_the_matching_role():
    roles = {"AWS_DEPLOY_ROLE_ARN": {"production"}, "AWS_PREVIEW_ROLE_ARN": {"prod-preview", "prod-drift"}}
    seen = set()
    for name, job_name, job in jobs_of_all():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                (role,) = re.findall(r"vars\.(\w+)", step["with"]["role-to-assume"])
                assert environments(job) & roles[role], (name, job_name)
                assert job["permissions"].get("id-token") == "write", (name, job_name)
                seen.add((name, job_name, role))
    assert seen == {
        ("deploy.yml", "prod", "AWS_DEPLOY_ROLE_ARN"),
        ("drift.yml", "prod", "AWS_PREVIEW_ROLE_ARN"),
        ("preview-prod.yml", "preview", "AWS_PREVIEW_ROLE_ARN"),
    }


def test_each_stack_file_names_its_own_secrets_provider():
    providers = {
        stack: yaml.safe_load((REPOSITORY / f"Pulumi.{stack}.yaml").read_text())["secretsprovider"] for stack in STACKS
    }
    assert providers["prod"].startswith("awskms://alias/genepool-prod-pulumi?region=")
    assert providers["staging"] == providers["dev"] == "passphrase"


def test_no_workflow_chooses_a_shared_secrets_provider():
    assert all("PULUMI_SECRETS_PROVIDER" not in path.read_text() for path in WORKFLOWS)


def test_no_prod_job_is_handed_a_passphrase_or_a_digitalocean_write_token():
    prod_jobs = [(n, j, job) for n, j, job in jobs_of_all() if environments(job) & PROD_ENVIRONMENTS]
    assert len(prod_jobs) == 3
    for name, job_name, job in prod_jobs:
        assert environments(job) <= PROD_ENVIRONMENTS, (name, job_name)
        text = yaml.safe_dump(job)
        assert "PULUMI_CONFIG_PASSPHRASE" not in text and "secrets.DIGITALOCEAN_TOKEN" not in text, (name, job_name)


# --- prod reachable from CI


def test_every_prod_job_runs_on_the_in_vpc_runner_project():
    prod_jobs = [(n, j, job) for n, j, job in jobs_of_all() if environments(job) & PROD_ENVIRONMENTS]
    assert len(prod_jobs) == 3
    for name, job_name, job in prod_jobs:
        assert RUNNER_LABEL.match(job["runs-on"]), (name, job_name, job["runs-on"])
        assert yaml.safe_load((REPOSITORY / ".github/workflows" / name).read_text())["name"] in RUNNER_WORKFLOWS


def test_no_job_outside_a_prod_environment_uses_the_in_vpc_runners():
    for name, job_name, job in jobs_of_all():
        if not environments(job) & PROD_ENVIRONMENTS:
            assert "codebuild-" not in str(job["runs-on"]), (name, job_name)


# --- git names what runs


def test_staging_deploys_a_newly_built_digest_else_the_one_its_stack_file_names():
    jobs = load("deploy.yml")["jobs"]
    assert jobs["image"]["if"] == "needs.changes.outputs.build == 'true'"
    assert jobs["staging"]["environment"] == "staging"
    assert jobs["staging"]["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    up = jobs["staging"]["steps"][-1]["run"]
    assert '--config "genepool:image=$DIGEST"' in up and 'if [ -n "$DIGEST" ]' in up


def test_the_promotion_step_writes_the_deployed_digest_into_both_stack_files_and_opens_a_pull_request():
    job = load("deploy.yml")["jobs"]["promote"]
    assert job["needs"] == ["image", "staging"]
    assert "needs.staging.result == 'success'" in job["if"]
    assert job["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    assert any(s.get("uses", "").startswith("actions/create-github-app-token@") for s in job["steps"])
    run = job["steps"][-1]["run"]
    assert "for stack in staging prod; do" in run
    assert 'python -m infra.delivery.promotion set-image --stack "$stack" --digest "$DIGEST"' in run
    assert 'gh pr create --base main --head "$BRANCH"' in run and 'gh pr edit "$BRANCH"' in run
    assert job["env"]["BRANCH"] == "promote/next"


def test_prod_deploys_the_digest_its_stack_file_names_behind_the_production_environment():
    job = load("deploy.yml")["jobs"]["prod"]
    assert job["environment"] == "production"
    assert job["needs"] == "staging"
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "python -m infra.delivery.promotion image --stack prod" in runs
    assert "skopeo copy --preserve-digests" in runs
    assert "prod deploys a digest only" in runs
    assert 'pulumi up --stack "$STACK" --policy-pack infra/policy' in runs
    assert "--config" not in runs


def test_drift_runs_a_refreshed_preview_expecting_no_changes_on_a_schedule():
    workflow = load("drift.yml")
    assert workflow[True]["schedule"]
    runs = " ".join(step.get("run", "") for step in steps(workflow))
    assert "--expect-no-changes --refresh" in runs


def test_the_image_is_rebuilt_exactly_when_its_inputs_change():
    job = load("deploy.yml")["jobs"]["changes"]
    run = job["steps"][-1]["run"]
    assert 'git diff --quiet "$BEFORE" "$GITHUB_SHA" -- images workloads pyproject.toml' in run
    assert job["steps"][-1]["env"] == {"BEFORE": "${{ github.event.before }}"}
    assert job["steps"][0]["with"]["fetch-depth"] == 0


def test_the_image_is_pushed_to_the_staging_registry_with_short_lived_credentials():
    job = load("deploy.yml")["jobs"]["image"]
    run = job["steps"][-1]["run"]
    assert "python -m infra.delivery.promotion repository --stack staging" in run
    assert "registry/docker-credentials?read_write=true&expiry_seconds=900" in run
    assert 'echo "digest=${reference#*@}" >> "$GITHUB_OUTPUT"' in run
    assert job["environment"] == "staging"
