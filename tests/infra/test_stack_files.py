"""Every stack file runs through the program under mocks; secrets are required and never in plain text."""

from __future__ import annotations

import pytest
import yaml

from infra.config import OBJECT_KEYS, SCALAR_KEYS, SECRET_KEYS, StackConfigError

from .conftest import REPOSITORY, STACKS, TEST_SECRETS, deploy, stack_config

EXPECTED_CLOUD = {"dev": "local", "staging": "digitalocean", "prod": "aws"}


def test_project_file_runs_infra_with_the_repository_virtualenv():
    project = yaml.safe_load((REPOSITORY / "Pulumi.yaml").read_text())
    assert project["name"] == "genepool"
    assert project["main"] == "infra/"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_names_its_cloud(stack):
    assert stack_config(stack)["genepool:cloud"] == EXPECTED_CLOUD[stack]


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_holds_no_secret_in_plain_text(stack):
    config = stack_config(stack)
    for key in (*TEST_SECRETS, "digitalocean:token", "aws:secretKey", "aws:accessKey"):
        assert key not in config or set(config[key]) == {"secure"}, f"{key} is in plain text in Pulumi.{stack}.yaml"


def test_missing_api_token_fails_naming_the_key_and_the_command(kubeconfig):
    with pytest.raises(
        StackConfigError, match=r"genepool:apiToken: is required; set it with: pulumi config set --secret"
    ):
        deploy("dev", secrets={})


def test_api_token_in_plain_text_is_refused(kubeconfig):
    config = {**stack_config("dev"), **TEST_SECRETS}
    with pytest.raises(StackConfigError, match=r"genepool:apiToken: is stored in plain text"):
        deploy("dev", config=config, secrets={})


def test_program_fails_preview_on_an_unknown_cloud_naming_the_key():
    config = {**stack_config("dev"), "genepool:cloud": "gcp"}
    with pytest.raises(StackConfigError, match=r"stack config genepool:cloud: must be one of local, digitalocean, aws"):
        deploy("dev", config=config)


def test_program_refuses_a_scalar_where_an_object_belongs():
    config = {**stack_config("dev"), "genepool:ray": "big"}
    with pytest.raises(StackConfigError, match=r"genepool:ray: must be an object"):
        deploy("dev", config=config)


def test_program_refuses_a_stack_whose_cost_estimate_exceeds_the_ceiling():
    config = {**stack_config("prod"), "genepool:costCeilingUsdPerHour": 1}
    with pytest.raises(
        StackConfigError, match=r"genepool:costCeilingUsdPerHour: .* 9\.41 USD/hour, above the ceiling 1\.00"
    ):
        deploy("prod", config=config)


def test_each_program_run_starts_from_a_fresh_stack(kubeconfig):
    first, second = deploy("dev"), deploy("dev", config={**stack_config("dev"), "genepool:namespace": "other"})
    assert first.outputs["api_url"] == "http://genepool-api.genepool.svc.cluster.local:8000"
    assert second.outputs["api_url"] == "http://genepool-api.other.svc.cluster.local:8000"
    assert len(first.resources) == len(second.resources)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_uses_only_keys_the_program_reads(stack):
    known = {f"genepool:{key}" for key in (*SCALAR_KEYS, *OBJECT_KEYS, *SECRET_KEYS)}
    assert set(stack_config(stack)) <= known
