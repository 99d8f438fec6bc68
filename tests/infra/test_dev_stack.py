"""The dev stack (Pulumi.dev.yaml, platform local) under mocks: what it registers, one behaviour per test."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from infra import labels, versions
from infra.components.common import settings_digest
from infra.components.monitoring import DASHBOARDS_DIR
from infra.config import StackConfigError, parse
from infra.program import check_cost
from workloads.settings import contract

from .conftest import Deployment, deploy, is_secret, plain, stack_config


def spec_of(dev: Deployment, type_: str, name: str) -> dict:
    return plain(dev.named(type_, name).inputs["spec"])


def test_outputs_point_at_the_in_cluster_services(dev):
    assert dev.outputs["database_url"].startswith("postgresql://genepool:")
    assert dev.outputs["database_url"].endswith("@timescaledb.genepool.svc.cluster.local:5432/genepool")
    assert re.fullmatch(r"redis://:[A-Za-z0-9]+@redis\.genepool\.svc\.cluster\.local:6379/0", dev.outputs["redis_url"])
    assert dev.outputs["ray_address"] == "ray://genepool-head-svc.genepool.svc.cluster.local:10001"
    assert dev.outputs["api_url"] == "http://genepool-api.genepool.svc.cluster.local:8000"
    assert dev.outputs["grafana_url"] == "http://kube-prometheus-stack-grafana.monitoring.svc.cluster.local"


def test_local_platform_costs_nothing_and_exports_the_kubeconfig_it_read(dev):
    assert dev.outputs["estimated_hourly_cost_usd"] == 0.0
    assert yaml.safe_load(dev.outputs["kubeconfig"])["current-context"] == "kind-genepool"


@pytest.mark.parametrize(
    "name",
    ["redis-auth", "timescaledb-auth", "monitoring-grafana-admin", "ray-auth", "workload-api-token", "settings-secret"],
)
def test_generated_credentials_are_secret_inputs(dev, name):
    secret = dev.named("kubernetes:core/v1:Secret", name)
    assert is_secret(secret.inputs["stringData"]) or all(is_secret(v) for v in secret.inputs["stringData"].values())


def test_settings_objects_hold_the_contract_values(dev):
    secret = plain(dev.named("kubernetes:core/v1:Secret", "settings-secret").inputs["stringData"])
    config_map = dev.named("kubernetes:core/v1:ConfigMap", "settings-configmap").inputs["data"]
    values = {**secret, **config_map}
    assert values == {contract.env_name(name): dev.outputs[name] for name in contract.STACK_OUTPUTS}


def test_api_deployment_serves_on_8000_with_health_probes_and_rolling_updates(dev):
    spec = spec_of(dev, "kubernetes:apps/v1:Deployment", "workload-api")
    container = spec["template"]["spec"]["containers"][0]
    assert container["args"][:2] == ["genepool", "serve"] and container["ports"] == [
        {"name": "http", "containerPort": 8000}
    ]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/liveness"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/readiness"
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert "replicas" not in spec, "the HPA owns the replica count"


def test_api_autoscales_3_to_10_at_70_percent_cpu(dev):
    spec = spec_of(dev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "workload-api-hpa")
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}


def test_api_has_a_disruption_budget(dev):
    spec = spec_of(dev, "kubernetes:policy/v1:PodDisruptionBudget", "workload-api-pdb")
    assert spec == {"maxUnavailable": 1, "selector": {"matchLabels": labels.app(labels.API)}}


def test_redis_persists_with_aof_and_rdb_and_evicts_lru_within_maxmemory(dev):
    conf = dev.named("kubernetes:core/v1:ConfigMap", "redis-conf").inputs["data"]["redis.conf"].splitlines()
    for line in (
        "appendonly yes",
        "save 900 1",
        "save 300 10",
        "save 60 10000",
        "maxmemory 512mb",
        "maxmemory-policy allkeys-lru",
    ):
        assert line in conf
    spec = spec_of(dev, "kubernetes:apps/v1:StatefulSet", "redis-statefulset")
    assert spec["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert spec["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "standard"
    assert [c["name"] for c in spec["template"]["spec"]["containers"]] == ["redis", "redis-exporter"]


def test_timescaledb_runs_with_the_stack_settings_and_an_exporter(dev):
    spec = spec_of(dev, "kubernetes:apps/v1:StatefulSet", "timescaledb-statefulset")
    server, exporter = spec["template"]["spec"]["containers"]
    assert server["image"] == versions.TIMESCALEDB_IMAGE and exporter["image"] == versions.POSTGRES_EXPORTER_IMAGE
    settings = dict(arg.split("=", 1) for arg in server["args"][2::2])
    assert settings == {
        "max_connections": "200",
        "shared_buffers": "256MB",
        "effective_cache_size": "768MB",
        "work_mem": "5MB",
        "maintenance_work_mem": "128MB",
    }
    assert spec["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "10Gi"


def test_the_charts_target_down_rule_gives_way_to_ours_that_skips_the_drivers_between_runs(dev):
    values = plain(dev.named("kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack").inputs["values"])
    assert values["defaultRules"]["disabled"]["TargetDown"] is True


def test_prometheus_retention_and_volume_come_from_stack_config(dev):
    values = plain(dev.named("kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack").inputs["values"])
    prometheus = values["prometheus"]["prometheusSpec"]
    assert prometheus["retention"] == "7d" and prometheus["retentionSize"] == "9GB"
    assert prometheus["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert values["grafana"]["persistence"]["size"] == "2Gi"
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"


def test_monitors_and_rules_carry_the_label_the_prometheus_release_selects_on(dev):
    release = dev.named("kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack")
    assert release.inputs["name"] == labels.PROMETHEUS_RELEASE
    kinds = ("PrometheusRule", "ServiceMonitor", "PodMonitor")
    monitors = [r for r in dev.resources if r.type.split(":")[-1] in kinds]
    assert len(monitors) == 6
    for r in monitors:
        assert r.inputs["metadata"]["labels"]["release"] == release.inputs["name"], r.name


def test_ray_nodes_are_scraped_by_a_pod_monitor_on_the_metrics_port(dev):
    spec = spec_of(dev, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-ray-monitor")
    assert spec["selector"] == {"matchLabels": {"ray.io/is-ray-node": "yes"}}
    cluster = spec_of(dev, "kubernetes:ray.io/v1:RayCluster", "ray-cluster")
    head_ports = {
        p["name"]: p["containerPort"] for p in cluster["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert head_ports[spec["podMetricsEndpoints"][0]["port"]] == 8080


def test_the_evolution_drivers_metrics_ports_on_the_ray_head_are_scraped_by_a_pod_monitor(dev):
    spec = spec_of(dev, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-ray-drivers-monitor")
    assert spec["selector"] == {"matchLabels": {"ray.io/is-ray-node": "yes", "ray.io/node-type": "head"}}
    cluster = spec_of(dev, "kubernetes:ray.io/v1:RayCluster", "ray-cluster")
    head_ports = {
        p["name"]: p["containerPort"] for p in cluster["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert [(e["port"], e["path"]) for e in spec["podMetricsEndpoints"]] == [("evolve-0", "/metrics")]
    assert head_ports["evolve-0"] == 9500


def test_prometheus_rule_ships_the_alerts_file(dev):
    spec = spec_of(dev, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
    alerts = {rule["alert"] for group in spec["groups"] for rule in group["rules"]}
    assert {"HighErrorRate", "RedisDown", "PostgreSQLDown", "EvolutionStalled", "RayWorkersLost"} <= alerts


def test_every_dashboard_file_is_provisioned_by_a_labelled_config_map(dev):
    maps = [r for r in dev.of_type("kubernetes:core/v1:ConfigMap") if r.name.startswith("monitoring-dashboard-")]
    shipped = {name: json.loads(text) for r in maps for name, text in r.inputs["data"].items()}
    assert shipped == {p.name: json.loads(p.read_text()) for p in DASHBOARDS_DIR.glob("*.json")}
    assert all(r.inputs["metadata"]["labels"]["grafana_dashboard"] == "1" for r in maps)


def test_ray_head_schedules_no_tasks_and_workers_scale_from_zero(dev):
    spec = spec_of(dev, "kubernetes:ray.io/v1:RayCluster", "ray-cluster")
    assert spec["rayVersion"] == versions.RAY_VERSION and spec["enableInTreeAutoscaling"] is True
    assert spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    (workers,) = spec["workerGroupSpecs"]
    assert (workers["minReplicas"], workers["maxReplicas"]) == (0, 2)
    assert "replicas" not in workers, "the Ray autoscaler owns the worker count"
    container = workers["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    assert container["lifecycle"]["preStop"]["exec"]["command"][-1] == "ray stop"
    assert workers["template"]["spec"]["terminationGracePeriodSeconds"] >= 60


def test_ray_cluster_runs_the_workload_image_with_token_auth_everywhere(dev):
    spec = spec_of(dev, "kubernetes:ray.io/v1:RayCluster", "ray-cluster")
    containers = [
        spec["headGroupSpec"]["template"]["spec"]["containers"][0],
        spec["workerGroupSpecs"][0]["template"]["spec"]["containers"][0],
    ]
    for container in containers:
        assert container["image"] == stack_config("dev")["genepool:image"]
        env = {e["name"]: e for e in container["env"]}
        assert env["RAY_AUTH_MODE"]["value"] == "token"
        assert env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "ray-auth", "key": "auth_token"}
    assert {e["name"] for e in spec["autoscalerOptions"]["env"]} == {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"}


def test_ray_workers_drain_one_at_a_time(dev):
    workers = spec_of(dev, "kubernetes:policy/v1:PodDisruptionBudget", "ray-workers-pdb")
    assert workers["maxUnavailable"] == 1 and workers["selector"]["matchLabels"]["ray.io/node-type"] == "worker"


def test_no_disruption_budget_blocks_a_drain_of_the_ray_head(dev):
    for pdb in dev.of_type("kubernetes:policy/v1:PodDisruptionBudget"):
        spec = plain(pdb.inputs["spec"])
        if spec["selector"]["matchLabels"].get("ray.io/node-type") == "head":
            assert spec.get("maxUnavailable", 1) != 0 and "minAvailable" not in spec, pdb.name


def test_the_ray_head_is_marked_against_autoscaler_disruption(dev):
    head = plain(dev.named("kubernetes:ray.io/v1:RayCluster", "ray-cluster").inputs["spec"])["headGroupSpec"]
    annotations = head["template"]["metadata"]["annotations"]
    assert annotations["karpenter.sh/do-not-disrupt"] == "true"
    assert annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false"


def test_a_settings_change_is_a_ray_cluster_spec_change(dev):
    spec = plain(dev.named("kubernetes:ray.io/v1:RayCluster", "ray-cluster").inputs["spec"])
    secret = plain(dev.named("kubernetes:core/v1:Secret", "settings-secret").inputs["stringData"])
    config_map = plain(dev.named("kubernetes:core/v1:ConfigMap", "settings-configmap").inputs["data"])
    checksum = settings_digest({**secret, **config_map})
    templates = [spec["headGroupSpec"]["template"], *(group["template"] for group in spec["workerGroupSpecs"])]
    for template in templates:
        assert template["metadata"]["annotations"]["genepool.io/settings-checksum"] == checksum


def test_a_ray_cluster_spec_change_recreates_its_pods_on_a_kuberay_that_supports_it(dev):
    spec = plain(dev.named("kubernetes:ray.io/v1:RayCluster", "ray-cluster").inputs["spec"])
    assert spec["upgradeStrategy"] == {"type": "Recreate"}
    release = dev.named("kubernetes:helm.sh/v3:Release", "ray-kuberay-operator").inputs
    major, minor, _ = (int(part) for part in release["version"].split("."))
    assert (major, minor) >= (1, 6), "RayCluster upgradeStrategy first shipped in KubeRay 1.6"


def evolution_cronjob(dev) -> tuple[dict, dict]:
    cronjob = dev.named("kubernetes:batch/v1:CronJob", "workload-evolve-btcusdt")
    spec = plain(cronjob.inputs["spec"])
    return spec, spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def test_evolution_is_a_cronjob_per_symbol_submitting_its_slot_to_the_long_lived_cluster(dev):
    spec, container = evolution_cronjob(dev)
    assert spec["schedule"] == "0 */6 * * *" and spec["concurrencyPolicy"] == "Forbid"
    assert container["args"] == [
        "genepool",
        "schedule",
        "submit",
        "--address",
        "http://genepool-head-svc.genepool.svc.cluster.local:8265",
        "--symbol",
        "BTCUSDT",
        "--job-name",
        "$(JOB_NAME)",
        "--",
        "genepool",
        "evolve",
        "--symbol",
        "BTCUSDT",
        "--population",
        "50",
        "--generations",
        "10",
        "--random-seed",
        "7",
        "--backend",
        "ray",
        "--metrics-port",
        "9500",
        "--checkpoints",
        "database",
    ]
    assert {e["name"] for e in container["env"]} >= {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "GENEPOOL_DATABASE_URL"}


def test_each_slots_submission_id_comes_from_its_job_name_the_cronjob_controller_sets(dev):
    _, container = evolution_cronjob(dev)
    env = {e["name"]: e for e in container["env"]}
    assert env["JOB_NAME"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}
    }
    assert container["args"][container["args"].index("--job-name") + 1] == "$(JOB_NAME)"


def test_a_scheduled_slot_is_bounded_by_the_configured_deadline(dev):
    spec, _ = evolution_cronjob(dev)
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 10800


def test_nothing_pulumi_owns_deletes_itself(dev):
    assert not [r for r in dev.resources if r.type.split(":")[-1] in ("RayJob", "Job", "Pod")]
    for cronjob in dev.of_type("kubernetes:batch/v1:CronJob"):
        assert "ttlSecondsAfterFinished" not in plain(cronjob.inputs["spec"])


def test_cost_above_the_ceiling_fails_naming_the_key():
    config = parse({key.split(":", 1)[1]: value for key, value in stack_config("dev").items()})
    with pytest.raises(
        StackConfigError, match=r"genepool:costCeilingUsdPerHour: .* 0\.75 USD/hour, above the ceiling 0\.50"
    ):
        check_cost(config, 0.75)


def test_missing_kubeconfig_fails_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    with pytest.raises(StackConfigError, match=r"genepool:cluster.kubeconfig: no kubeconfig at .*absent"):
        deploy("dev")


def test_kubeconfig_without_the_configured_context_fails_naming_the_key(kubeconfig):
    config = {
        **stack_config("dev"),
        "genepool:cluster": {**stack_config("dev")["genepool:cluster"], "context": "minikube"},
    }
    with pytest.raises(
        StackConfigError, match=r"genepool:cluster.context: context 'minikube' is not in .*kind-genepool"
    ):
        deploy("dev", config=config)


OTHER_CONTEXT = {
    "contexts": [{"name": "prod-admin", "context": {"cluster": "prod", "user": "prod-admin"}}],
    "clusters": [{"name": "prod", "cluster": {"server": "https://prod.example.invalid"}}],
    "users": [{"name": "prod-admin", "user": {"token": "prod-admin-token-must-not-leak"}}],
}


def test_dev_keeps_only_the_selected_context_of_a_kubeconfig_with_several(kubeconfig):
    full = yaml.safe_load(kubeconfig.read_text())
    for kind in ("contexts", "clusters", "users"):
        full[kind] = full[kind] + OTHER_CONTEXT[kind]
    kubeconfig.write_text(yaml.safe_dump({**full, "current-context": "prod-admin"}))

    deployment = deploy("dev")

    exported = yaml.safe_load(deployment.outputs["kubeconfig"])
    assert [c["name"] for c in exported["contexts"]] == ["kind-genepool"]
    assert exported["current-context"] == "kind-genepool"
    assert [c["name"] for c in exported["clusters"]] == ["kind-genepool"]
    assert [u["name"] for u in exported["users"]] == ["kind-genepool"]
    provider = deployment.named("pulumi:providers:kubernetes", "local").inputs
    assert "prod-admin-token-must-not-leak" not in json.dumps(provider)


def test_a_context_whose_user_is_not_defined_fails_naming_the_key(kubeconfig):
    full = yaml.safe_load(kubeconfig.read_text())
    kubeconfig.write_text(yaml.safe_dump({**full, "users": []}))
    with pytest.raises(StackConfigError, match=r"genepool:cluster.context: context 'kind-genepool' refers to user"):
        deploy("dev")


@pytest.mark.parametrize(("name", "port", "metrics_port"), [("redis", 6379, 9121), ("timescaledb", 5432, 9187)])
def test_state_servers_accept_only_our_pods_and_prometheus(dev, name, port, metrics_port):
    spec = spec_of(dev, "kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{name}-network-policy")
    assert spec["podSelector"] == {"matchLabels": labels.app(name)}
    ours, monitoring = spec["ingress"]
    assert ours == {"from": [{"podSelector": {"matchLabels": labels.PART_OF}}], "ports": [{"port": port}]}
    assert monitoring["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    assert monitoring["ports"] == [{"port": metrics_port}]
