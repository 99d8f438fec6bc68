"""The staging (DigitalOcean) and prod (AWS) stacks under mocks: node pools, spot, managed services, encryption."""

from __future__ import annotations

import json

import pytest
import yaml

from infra.config import StackConfigError, parse
from infra.platforms import aws as aws_platform
from infra.platforms import digitalocean as do_platform

from .conftest import is_secret, mock_password, plain, pod_specs, stack_config


def parsed(stack: str):
    return parse({key.split(":", 1)[1]: value for key, value in stack_config(stack).items()})


def ray_pods(deployment):
    return {owner: spec for owner, spec, _ in pod_specs(deployment) if owner.startswith("ray-cluster/")}


# --- staging: DigitalOcean


def test_staging_cluster_autoscales_a_system_pool_and_a_workers_pool(staging):
    cluster = staging.named("digitalocean:index/kubernetesCluster:KubernetesCluster", "cluster").inputs
    assert cluster["region"] == "fra1"
    assert cluster["nodePool"] == {
        "name": "system",
        "size": "s-4vcpu-8gb",
        "autoScale": True,
        "minNodes": 2,
        "maxNodes": 3,
        "labels": {"genepool.io/pool": "system"},
        "tags": ["project:genepool", "stack:staging"],
    }
    workers = staging.named("digitalocean:index/kubernetesNodePool:KubernetesNodePool", "workers").inputs
    assert (workers["size"], workers["minNodes"], workers["maxNodes"]) == ("c-8", 0, 4)


def test_staging_workers_pool_is_tainted_and_only_ray_workers_tolerate_it(staging):
    workers = staging.named("digitalocean:index/kubernetesNodePool:KubernetesNodePool", "workers").inputs
    assert workers["taints"] == [{"key": "genepool.io/pool", "value": "workers", "effect": "NoSchedule"}]
    for owner, spec, _ in pod_specs(staging):
        tolerates = {(t.get("key"), t.get("value"), t.get("effect")) for t in spec.get("tolerations") or []}
        expected = owner == "ray-cluster/workers"
        assert (("genepool.io/pool", "workers", "NoSchedule") in tolerates) == expected, owner


def test_staging_resolves_the_newest_doks_patch_of_the_configured_minor(staging):
    cluster = staging.named("digitalocean:index/kubernetesCluster:KubernetesCluster", "cluster").inputs
    assert stack_config("staging")["genepool:cluster"]["kubernetesVersion"] == "1.36"
    assert cluster["version"] == "1.36.4-do.0"
    assert ("digitalocean:index/getKubernetesVersions:getKubernetesVersions", {"versionPrefix": "1.36."}) in (
        staging.invoke_args
    )


def test_staging_upgrades_patches_itself_within_a_maintenance_window(staging):
    cluster = staging.named("digitalocean:index/kubernetesCluster:KubernetesCluster", "cluster").inputs
    assert cluster["autoUpgrade"] is True and cluster["surgeUpgrade"] is True
    assert cluster["maintenancePolicy"] == {"day": "sunday", "startTime": "03:00"}


def test_a_minor_digitalocean_no_longer_offers_fails_naming_the_key():
    with pytest.raises(StackConfigError, match=r"genepool:cluster.kubernetesVersion: DigitalOcean offers no 1.34.x"):
        do_platform.doks_slug("1.34", [], "")


def grant_job(staging):
    return plain(staging.named("kubernetes:batch/v1:Job", "database-grant-job").inputs["spec"])


def test_staging_grants_the_app_user_create_on_schema_public_as_the_admin(staging):
    container = grant_job(staging)["template"]["spec"]["containers"][0]
    sql = container["args"][-1]
    assert 'GRANT USAGE, CREATE ON SCHEMA public TO "genepool"' in sql
    assert "CREATE EXTENSION IF NOT EXISTS timescaledb" in sql
    admin = plain(staging.named("kubernetes:core/v1:Secret", "database-grant-admin").inputs["stringData"])
    assert (admin["PGUSER"], admin["PGDATABASE"], admin["PGSSLMODE"]) == ("doadmin", "genepool", "require")
    assert container["envFrom"] == [{"secretRef": {"name": "database-grant-admin"}}]


def test_staging_admin_credentials_reach_the_grant_step_only_through_a_secret(staging):
    secret = staging.named("kubernetes:core/v1:Secret", "database-grant-admin").inputs["stringData"]
    assert is_secret(secret) or all(is_secret(value) for value in secret.values())
    job = staging.named("kubernetes:batch/v1:Job", "database-grant-job").inputs
    assert mock_password("timescaledb", 24) not in json.dumps(plain(job))


@pytest.mark.parametrize(
    ("type_", "name"),
    [
        ("kubernetes:apps/v1:Deployment", "workload-api"),
        ("kubernetes:ray.io/v1:RayCluster", "ray-cluster"),
        ("kubernetes:batch/v1:CronJob", "workload-evolve-btcusdt"),
        ("kubernetes:batch/v1:CronJob", "workload-evolve-ethusdt"),
    ],
)
def test_staging_everything_that_uses_the_database_waits_for_the_grant_step(staging, type_, name):
    assert staging.depends_on(type_, name, "kubernetes:batch/v1:Job", "database-grant-job")


def test_only_a_managed_database_gets_a_grant_step(dev, prod):
    assert not dev.of_type("kubernetes:batch/v1:Job") and not prod.of_type("kubernetes:batch/v1:Job")


def test_a_stack_file_still_naming_a_doks_slug_fails_naming_the_key():
    raw = {key.split(":", 1)[1]: value for key, value in stack_config("staging").items()}
    raw["cluster"] = {**raw["cluster"], "doksVersion": "1.33.1-do.0"}
    with pytest.raises(StackConfigError, match="genepool:cluster.doksVersion: unknown field"):
        parse(raw)


def test_staging_uses_managed_postgresql_and_valkey_instead_of_in_cluster_servers(staging):
    engines = {
        r.name: r.inputs["engine"] for r in staging.of_type("digitalocean:index/databaseCluster:DatabaseCluster")
    }
    assert engines == {"timescaledb": "pg", "cache": "valkey"}
    assert not staging.of_type("kubernetes:apps/v1:StatefulSet")
    assert staging.outputs["database_url"].endswith(":25060/genepool?sslmode=require")
    assert staging.outputs["redis_url"].startswith("rediss://default:")


def test_staging_databases_accept_only_the_cluster(staging):
    for firewall in staging.of_type("digitalocean:index/databaseFirewall:DatabaseFirewall"):
        assert [rule["type"] for rule in firewall.inputs["rules"]] == ["k8s"]
    assert len(staging.of_type("digitalocean:index/databaseFirewall:DatabaseFirewall")) == 2


def test_staging_cache_evicts_lru(staging):
    config = staging.named("digitalocean:index/databaseValkeyConfig:DatabaseValkeyConfig", "cache-config").inputs
    assert config["valkeyMaxmemoryPolicy"] == "allkeys-lru"


def test_staging_still_watches_its_managed_servers_but_has_no_karpenter(staging):
    monitors = {r.inputs["metadata"]["name"] for r in staging.resources if r.type.endswith("ServiceMonitor")}
    assert monitors == {"genepool-api", "redis", "timescaledb"}
    rules = plain(staging.named("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules").inputs)
    alerts = {rule["alert"] for group in rules["spec"]["groups"] for rule in group["rules"]}
    assert {"RedisDown", "PostgreSQLDown"} <= alerts
    assert not {alert for alert in alerts if alert.startswith("Karpenter")}


def test_staging_ray_workers_target_the_workers_pool(staging):
    pods = ray_pods(staging)
    assert pods["ray-cluster/workers"]["nodeSelector"] == {"genepool.io/pool": "workers"}
    assert pods["ray-cluster/head"]["nodeSelector"] == {"genepool.io/pool": "system"}


def test_staging_cost_is_the_price_table_at_maximum_size(staging):
    load_balancer = 10.0 / 672  # the ingress's, one node
    expected = 3 * 0.07143 + 4 * 0.25 + 0.04464 + 0.17857 + load_balancer  # the 8 GB database plan: 197 connections
    assert staging.outputs["estimated_hourly_cost_usd"] == pytest.approx(expected, abs=1e-4)
    assert do_platform.hourly_cost(parsed("staging")) == staging.outputs["estimated_hourly_cost_usd"]


# --- prod: AWS


def test_prod_ray_workers_tolerate_spot_and_the_head_does_not(prod):
    pods = ray_pods(prod)
    assert pods["ray-cluster/workers"]["nodeSelector"] == {"genepool.io/pool": "workers"}
    assert pods["ray-cluster/workers"]["tolerations"] == [
        {"key": "genepool.io/spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert pods["ray-cluster/head"]["nodeSelector"] == {"genepool.io/pool": "on-demand"}
    assert [t["key"] for t in pods["ray-cluster/head"]["tolerations"]] == ["genepool.io/pool"]


def test_prod_timescaledb_runs_in_cluster_on_encrypted_backed_up_volumes_off_spot(prod):
    storage = prod.named("kubernetes:storage.k8s.io/v1:StorageClass", "gp3-encrypted-backup").inputs
    assert storage["parameters"]["type"] == "gp3" and storage["parameters"]["encrypted"] == "true"
    (statefulset,) = [plain(r.inputs["spec"]) for r in prod.of_type("kubernetes:apps/v1:StatefulSet")]
    assert statefulset["volumeClaimTemplates"][0]["spec"]["storageClassName"] == storage["metadata"]["name"]
    assert statefulset["template"]["spec"]["nodeSelector"] == {"genepool.io/pool": "stateful"}
    assert statefulset["template"]["spec"]["tolerations"] == [
        {"key": "genepool.io/pool", "operator": "Equal", "value": "stateful", "effect": "NoSchedule"}
    ]


def test_prod_encrypts_kubernetes_secrets_with_kms(prod):
    cluster = prod.named("aws:eks/cluster:Cluster", "cluster").inputs
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["version"] == "1.36"


def test_prod_cache_is_encrypted_with_a_secret_auth_token_and_evicts_lru(prod):
    cache = prod.named("aws:elasticache/replicationGroup:ReplicationGroup", "cache").inputs
    assert cache["atRestEncryptionEnabled"] is True and cache["transitEncryptionEnabled"] is True
    assert is_secret(cache["authToken"])
    parameters = prod.named("aws:elasticache/parameterGroup:ParameterGroup", "cache").inputs["parameters"]
    assert parameters == [{"name": "maxmemory-policy", "value": "allkeys-lru"}]
    assert prod.outputs["redis_url"].startswith("rediss://:")


def test_prod_kubeconfig_authenticates_with_aws_credentials_not_a_stored_token(prod):

    user = yaml.safe_load(prod.outputs["kubeconfig"])["users"][0]["user"]
    assert user["exec"]["command"] == "aws" and "token" not in user


def test_prod_cost_is_the_price_table_at_maximum_size(prod):
    system = 3 * 0.214
    workers = 8 * 16 * 0.049875  # NodePool CPU limit x the dearest vCPU it admits (c7i), all on-demand
    head = 2 * 4 * 0.056175  # two m7i.xlarges' worth: the head's node and its replacement
    stateful = 12 * 0.056175  # one xlarge per zone
    api = 8 * 0.056175  # 10 API pods: two xlarges (7 a node) or one 2xlarge (15)
    nodes = 3 + 8 + 2 + 3 + 2
    ebs_gib = nodes * 100 + 100 + 2 * 50 + 10  # root volumes + TimescaleDB, two Prometheus replicas, Grafana
    ebs = ebs_gib * 2**30 / 1e9 * 0.088 / 730
    nat = 3 * 0.048  # one NAT gateway per zone
    endpoints = 6 * 3 * 0.011  # ECR api and dkr, STS, EKS auth, SQS, EC2: one interface per zone each
    alb = 0.0252 + 0.008  # the ingress ALB's hour and one LCU-hour
    expected = 0.10 + nat + endpoints + system + workers + head + stateful + api + ebs + 0.072 + alb
    assert prod.outputs["estimated_hourly_cost_usd"] == pytest.approx(expected, abs=1e-4)
    assert aws_platform.hourly_cost(parsed("prod")) == prod.outputs["estimated_hourly_cost_usd"]


def test_unpriced_instance_type_fails_naming_the_key():
    config = {key.split(":", 1)[1]: value for key, value in stack_config("prod").items()}
    config["cluster"]["systemPool"]["instanceType"] = "x9.mega"
    with pytest.raises(
        StackConfigError,
        match=r"genepool:cluster.systemPool.instanceType: no list price known for instance type 'x9.mega'",
    ):
        aws_platform.hourly_cost(parse(config))


def test_worker_reference_type_outside_the_instance_table_fails_naming_the_key():
    config = {key.split(":", 1)[1]: value for key, value in stack_config("prod").items()}
    config["cluster"]["workerPool"]["instanceType"] = "x9.mega"
    with pytest.raises(
        StackConfigError,
        match=r"genepool:cluster.workerPool.instanceType: instance type 'x9.mega' is not in the instance",
    ):
        aws_platform.hourly_cost(parse(config))


def test_prod_gives_each_symbols_driver_its_own_metrics_port_scraped_on_the_ray_head(prod):
    commands = [
        plain(c.inputs["spec"])["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        for c in prod.of_type("kubernetes:batch/v1:CronJob")
        if c.name.startswith("workload-evolve-")
    ]
    ports = {a[a.index("--symbol") + 1]: a[a.index("--metrics-port") + 1] for a in commands}
    assert ports == {"BTCUSDT": "9500", "ETHUSDT": "9501", "SOLUSDT": "9502"}
    cluster = plain(prod.named("kubernetes:ray.io/v1:RayCluster", "ray-cluster").inputs["spec"])
    head_ports = {
        p["name"]: p["containerPort"] for p in cluster["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert {name: head_ports[name] for name in ("evolve-0", "evolve-1", "evolve-2")} == {
        "evolve-0": 9500,
        "evolve-1": 9501,
        "evolve-2": 9502,
    }
    monitor = plain(
        prod.named("kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-ray-drivers-monitor").inputs["spec"]
    )
    assert [e["port"] for e in monitor["podMetricsEndpoints"]] == ["evolve-0", "evolve-1", "evolve-2"]
