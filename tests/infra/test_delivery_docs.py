"""docs/delivery.md ("First deploy" and the rest) against the workflow files and the stack files: every secret, variable
and GitHub environment the workflows read is set up there (each environment with exactly the secrets its jobs read),
the OIDC subjects the AWS roles trust are the environments that assume them, the protected environments are the
ones the docs say need reviewers, and the KMS alias, runner project, CLI pin and workflows match."""

from __future__ import annotations

import re

import pytest
import yaml

from infra.platforms.aws.ci import RUNNER_PROJECT

from .conftest import REPOSITORY
from .test_workflows import WORKFLOWS, environments, jobs_of_all, pulumi_cli_pins

DELIVERY = (REPOSITORY / "docs" / "delivery.md").read_text()
ENVIRONMENT_ROW = re.compile(r"^\s*\| `([a-z-]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)


def first_deploy() -> str:
    start = DELIVERY.index("\n## First deploy\n")
    end = DELIVERY.find("\n## ", start + 1)
    return DELIVERY[start:] if end < 0 else DELIVERY[start:end]


def documented_environments() -> dict[str, tuple[str, set[str]]]:
    """Environment → (protection, secrets) from the First deploy table."""
    return {
        name: (protection.strip(), set(re.findall(r"`([A-Z_]+)`", secrets)))
        for name, protection, secrets, _ in ENVIRONMENT_ROW.findall(first_deploy())
    }


def secrets_read_per_environment() -> dict[str, set[str]]:
    read: dict[str, set[str]] = {}
    for _, _, job in jobs_of_all():
        names = set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job))) - {"GITHUB_TOKEN"}
        for environment in environments(job):
            read.setdefault(environment, set()).update(names)
    return read


def test_every_environment_the_workflows_use_is_in_the_table_and_no_other():
    assert set(documented_environments()) == set(secrets_read_per_environment())


def test_each_environment_lists_every_secret_its_jobs_read():
    documented = documented_environments()
    for environment, names in secrets_read_per_environment().items():
        listed = documented[environment][1]
        missing = {n for n in names if n not in listed and (n, environment) not in OPTIONAL}
        assert not missing, (environment, missing)
        assert listed <= names, (environment, listed - names)


OPTIONAL = {
    ("KUBECONFIG_DEV", "staging-preview"),
    ("DIGITALOCEAN_READ_TOKEN", "dev-preview"),
}
"""Secrets a matrix job names for every stack, which only one stack's environment holds (the other reads empty)."""


def test_every_job_without_an_environment_reads_no_secret():
    for name, job_name, job in jobs_of_all():
        if not environments(job):
            assert not re.findall(r"secrets\.(\w+)", yaml.safe_dump(job)), (name, job_name)


def test_every_variable_the_workflows_read_is_documented():
    variables = {v for path in WORKFLOWS for v in re.findall(r"vars\.(\w+)", path.read_text())}
    assert variables == {
        "PULUMI_BACKEND_URL",
        "AWS_REGION",
        "AWS_PREVIEW_ROLE_ARN",
        "AWS_DEPLOY_ROLE_ARN",
        "PROMOTION_APP_CLIENT_ID",
        "PREVIEW_DEV",
    }
    for variable in variables:
        assert f"`{variable}`" in first_deploy(), variable


@pytest.mark.parametrize(
    ("environment", "protected"),
    [("production", True), ("prod-preview", True), ("staging-preview", False), ("prod-drift", False)],
)
def test_the_environments_that_run_prod_code_for_people_need_reviewers(environment, protected):
    assert ("required reviewers" in documented_environments()[environment][0]) is protected


def test_the_oidc_subjects_of_each_role_are_the_environments_that_assume_it():
    assumed: dict[str, set[str]] = {}
    for _, _, job in jobs_of_all():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                (role,) = re.findall(r"vars\.(\w+)", step["with"]["role-to-assume"])
                prod = {e for e in environments(job) if e.startswith("prod")}
                assumed.setdefault(role, set()).update(prod)
    assert assumed == {"AWS_DEPLOY_ROLE_ARN": {"production"}, "AWS_PREVIEW_ROLE_ARN": {"prod-preview", "prod-drift"}}
    section = first_deploy()
    documented = set(re.findall(r"`repo:<owner>/<repo>:environment:([a-z-]+)`", section))
    assert documented == set().union(*assumed.values())


def test_the_kms_alias_of_the_prod_stack_file_is_the_one_the_docs_create():
    provider = yaml.safe_load((REPOSITORY / "Pulumi.prod.yaml").read_text())["secretsprovider"]
    alias = re.match(r"awskms://(alias/[\w-]+)\?region=([a-z0-9-]+)$", provider)
    assert alias is not None
    assert f"--alias-name {alias[1]}" in first_deploy()
    assert f'"{provider}"' in first_deploy()


def test_the_docs_name_the_runner_project_the_workflows_run_on():
    assert f"`{RUNNER_PROJECT}`" in first_deploy() and f"`{RUNNER_PROJECT}`" in DELIVERY


def test_the_docs_name_the_pinned_cli_version():
    (version,) = {version for _, version in pulumi_cli_pins()}
    assert f"CLI **{version}**" in DELIVERY and f"pinned to {version}" in DELIVERY


def test_the_delivery_docs_describe_each_workflow():
    for path in WORKFLOWS:
        assert f"- `{path.name}`:" in DELIVERY, path.name


def test_no_stack_file_holds_a_cloud_token_as_config():
    for stack in ("dev", "staging", "prod"):
        config = yaml.safe_load((REPOSITORY / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert not [key for key in config if key.startswith(("digitalocean:", "aws:"))], stack


def test_the_delivery_docs_name_no_issue_or_session():
    for text in (first_deploy(), DELIVERY):
        assert not re.search(r"\b(issue|session) #?\d+\b", text, re.IGNORECASE)
