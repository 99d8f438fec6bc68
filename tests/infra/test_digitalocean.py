"""Staging (DigitalOcean) on day two: the Kubernetes provider's kubeconfig is the same on every run and holds no
token, the grant step grants on the configured database, and the database clients fit the plan's connections."""

from __future__ import annotations

import copy

import pytest
import yaml

from infra import connections
from infra.components.database_grant import grant_sql
from infra.config import StackConfigError, parse
from infra.platforms import digitalocean as do_platform

from .conftest import DOKS_CA_CERTIFICATE, DOKS_ENDPOINT, deploy, plain, stack_config

PROVIDER = "pulumi:providers:kubernetes"


def provider_kubeconfig(deployment) -> str:
    return plain(deployment.named(PROVIDER, "digitalocean").inputs["kubeconfig"])


def parsed(stack: str, config: dict | None = None):
    return parse({key.split(":", 1)[1]: value for key, value in (config or stack_config(stack)).items()})


# --- cluster credentials


def test_the_providers_kubeconfig_is_the_same_on_two_runs_though_each_read_mints_a_new_token():
    first, second = deploy("staging"), deploy("staging")
    assert provider_kubeconfig(first) == provider_kubeconfig(second)
    assert first.outputs["kubeconfig"] == second.outputs["kubeconfig"]


def test_the_kubeconfig_gets_its_token_from_doctl_at_use_and_stores_none(staging):
    config = yaml.safe_load(provider_kubeconfig(staging))
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}
    assert user["user"]["exec"]["command"] == "doctl"
    assert user["user"]["exec"]["args"] == [
        "kubernetes",
        "cluster",
        "kubeconfig",
        "exec-credential",
        "--version=v1beta1",
        "cluster-id",
    ]
    assert "env" not in user["user"]["exec"]
    assert "doks-token" not in provider_kubeconfig(staging)


def test_the_kubeconfig_reaches_the_clusters_endpoint_with_its_ca(staging):
    (cluster,) = yaml.safe_load(provider_kubeconfig(staging))["clusters"]
    assert cluster["cluster"] == {"server": DOKS_ENDPOINT, "certificate-authority-data": DOKS_CA_CERTIFICATE}


def test_the_kubeconfig_is_a_secret_output(staging):
    assert "kubeconfig" in staging.secret_outputs


def test_no_kubeconfig_is_read_from_digitalocean_on_a_run(staging):
    assert "digitalocean:index/getKubernetesCluster:getKubernetesCluster" not in staging.invokes


# --- the grant step


def test_the_grant_step_grants_on_the_configured_database_not_one_named_after_the_user():
    sql = grant_sql("app", "genepool")
    assert 'ON DATABASE "genepool" TO "app"' in sql
    assert 'DATABASE "app"' not in sql


def test_the_grant_step_quotes_identifiers():
    assert 'ON DATABASE "a""b" TO "u"' in grant_sql("u", 'a"b')


def test_staging_grants_on_the_database_the_app_connects_to(staging):
    job = plain(staging.named("kubernetes:batch/v1:Job", "database-grant-job").inputs["spec"])
    sql = job["template"]["spec"]["containers"][0]["args"][-1]
    database = staging.named("digitalocean:index/databaseDb:DatabaseDb", "timescaledb-database").inputs["name"]
    assert f'ON DATABASE "{database}" TO "{do_platform.USER}"' in sql


# --- the connection budget


@pytest.mark.parametrize(("plan", "limit"), [("db-s-1vcpu-1gb", 22), ("db-s-2vcpu-4gb", 97), ("db-s-4vcpu-8gb", 197)])
def test_a_plans_connection_limit_is_25_per_gb_less_3(plan, limit):
    assert do_platform.plan_connection_limit(plan) == limit


def test_a_plan_without_a_memory_size_fails_naming_the_key():
    with pytest.raises(StackConfigError, match=r"genepool:timescaledb.instanceType: 'db-custom' names no memory size"):
        do_platform.plan_connection_limit("db-custom")


def test_staging_budget_counts_the_api_at_its_maximum_the_drivers_the_fetch_jobs_and_a_reserve():
    need = connections.budget(parsed("staging"))
    assert (need.api, need.evolution, need.fetch, need.reserve) == (100, 40, 20, 5)
    assert need.total <= do_platform.plan_connection_limit(
        stack_config("staging")["genepool:timescaledb"]["instanceType"]
    )


def test_the_4gb_plan_fails_at_preview_naming_the_keys_and_the_figures():
    config = copy.deepcopy(stack_config("staging"))
    config["genepool:timescaledb"]["instanceType"] = "db-s-2vcpu-4gb"
    with pytest.raises(
        StackConfigError,
        match=r"genepool:api.maxReplicas: the database clients may open 165 connections, above the 97 that "
        r"timescaledb.instanceType allows: 100 \(api.maxReplicas 10 x 10 per pool\)",
    ):
        deploy("staging", config=config)


def test_an_in_cluster_database_with_too_few_connections_fails_naming_max_connections():
    config = copy.deepcopy(stack_config("prod"))
    config["genepool:timescaledb"]["maxConnections"] = 150
    with pytest.raises(StackConfigError, match=r"above the 147 that timescaledb.maxConnections allows"):
        deploy("prod", config=config)


def test_every_shipped_stack_fits_its_database():
    for stack in ("dev", "prod"):
        config = parsed(stack)
        assert connections.budget(config).total <= connections.in_cluster_limit(config), stack
