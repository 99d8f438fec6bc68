"""Alertmanager: receivers from stack config with their URLs/keys only in a Secret, a default route, inhibition,
`amtool check-config` on the rendered configuration; control-plane scrapes off on managed clusters; Grafana Recreate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.components.monitoring import (
    ALERTMANAGER_CONFIG_KEY,
    ALERTMANAGER_SECRET,
    CONTROL_PLANE_COMPONENTS,
    CONTROL_PLANE_RULE_GROUPS,
    alertmanager_config,
)
from infra.config import AlertingConfig, StackConfigError, parse
from tests.prerequisites import require_binary

from .conftest import TEST_SECRETS, Deployment, deploy, is_secret, plain, stack_config

RECEIVER_SECRETS = {
    "slack": TEST_SECRETS["genepool:alertSlackWebhookUrl"],
    "pagerduty": TEST_SECRETS["genepool:alertPagerdutyRoutingKey"],
    "webhook": TEST_SECRETS["genepool:alertWebhookUrl"],
}
EVERY_RECEIVER = AlertingConfig(receivers=("slack", "pagerduty", "webhook"), slack_channel="#alerts")


def rendered(deployment: Deployment) -> dict:
    secret = deployment.named("kubernetes:core/v1:Secret", "monitoring-alertmanager-config").inputs["stringData"]
    return yaml.safe_load(plain(secret)[ALERTMANAGER_CONFIG_KEY])


def chart_values(deployment: Deployment) -> dict:
    return plain(deployment.named("kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack").inputs["values"])


def check_config(config: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run([require_binary("amtool"), "check-config", str(path)], capture_output=True, text=True)


def test_amtool_accepts_the_rendered_config_of_each_stack(stack, tmp_path):
    _, deployment = stack
    result = check_config(rendered(deployment), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_accepts_the_config_with_every_receiver(tmp_path):
    result = check_config(alertmanager_config(EVERY_RECEIVER, RECEIVER_SECRETS), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_rejects_a_broken_config(tmp_path):
    config = alertmanager_config(EVERY_RECEIVER, RECEIVER_SECRETS)
    config["route"]["receiver"] = "nobody"
    assert check_config(config, tmp_path).returncode != 0


def test_receivers_come_from_stack_config(prod):
    receivers = {r["name"]: r for r in rendered(prod)["receivers"]}
    assert receivers["genepool"]["slack_configs"][0]["channel"] == "#genepool-prod"
    assert receivers["genepool"]["slack_configs"][0]["api_url"] == RECEIVER_SECRETS["slack"]
    assert receivers["genepool-page"]["pagerduty_configs"][0]["routing_key"] == RECEIVER_SECRETS["pagerduty"]
    assert "webhook_configs" not in receivers["genepool"]


def test_every_alert_goes_to_the_default_receiver_and_critical_ones_page(prod):
    route = rendered(prod)["route"]
    assert route["receiver"] == "genepool"
    assert {"receiver": "genepool-page", "matchers": ['severity = "critical"']} in route["routes"]
    assert {"receiver": "null", "matchers": ['alertname =~ "Watchdog|InfoInhibitor"']} in route["routes"]


def test_a_stack_without_receivers_still_has_a_default_route(dev):
    config = rendered(dev)
    assert config["route"]["receiver"] == "genepool"
    assert {"name": "genepool"} in config["receivers"]


def test_critical_alerts_inhibit_warnings_of_the_same_alert(dev):
    assert {
        "source_matchers": ['severity = "critical"'],
        "target_matchers": ['severity =~ "warning|info"'],
        "equal": ["namespace", "alertname"],
    } in rendered(dev)["inhibit_rules"]


def test_alertmanager_reads_its_config_from_a_secret_not_from_helm_values(stack):
    _, deployment = stack
    secret = deployment.named("kubernetes:core/v1:Secret", "monitoring-alertmanager-config").inputs["stringData"]
    assert is_secret(secret) or is_secret(secret[ALERTMANAGER_CONFIG_KEY])
    spec = chart_values(deployment)["alertmanager"]["alertmanagerSpec"]
    assert (spec["useExistingSecret"], spec["configSecret"]) == (True, ALERTMANAGER_SECRET)
    assert "config" not in chart_values(deployment)["alertmanager"]


def test_managed_control_planes_are_neither_scraped_nor_alerted_on(stack):
    name, deployment = stack
    values = chart_values(deployment)
    managed = name != "dev"
    for component in CONTROL_PLANE_COMPONENTS:
        assert values.get(component, {}).get("enabled", True) is not managed, (name, component)
    rules = values["defaultRules"].get("rules", {})
    for group in CONTROL_PLANE_RULE_GROUPS:
        assert rules.get(group, True) is not managed, (name, group)


def test_grafana_recreates_its_pod_to_free_the_rwo_volume(stack):
    _, deployment = stack
    assert chart_values(deployment)["grafana"]["deploymentStrategy"] == {"type": "Recreate"}


def raw_config(stack: str) -> dict:
    return {key.split(":", 1)[1]: value for key, value in stack_config(stack).items()}


@pytest.mark.parametrize(
    ("alerting", "message"),
    [
        ({"receivers": ["email"]}, "genepool:alerting.receivers: must be a list of receivers among slack"),
        ({"receivers": ["slack", "slack"], "slackChannel": "#a"}, "genepool:alerting.receivers: must not repeat"),
        ({"receivers": ["slack"]}, "genepool:alerting.slackChannel: is required"),
        ({"receivers": ["slack"], "slackChannel": "alerts"}, "genepool:alerting.slackChannel: must be a Slack"),
        ({"receivers": [], "slackChannel": "#a"}, "genepool:alerting.slackChannel: applies only with the slack"),
    ],
)
def test_invalid_alerting_config_fails_naming_key_and_rule(alerting, message):
    with pytest.raises(StackConfigError, match=message):
        parse({**raw_config("dev"), "alerting": alerting})


def test_a_configured_receiver_without_its_secret_fails_naming_the_key(kubeconfig):
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "genepool:alertSlackWebhookUrl"}
    with pytest.raises(
        StackConfigError, match=r"genepool:alertSlackWebhookUrl: is required; set it with: pulumi config"
    ):
        deploy("staging", secrets=secrets)


def test_a_receiver_url_in_plain_text_is_refused(kubeconfig):
    config = {**stack_config("staging"), "genepool:alertSlackWebhookUrl": RECEIVER_SECRETS["slack"]}
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "genepool:alertSlackWebhookUrl"}
    with pytest.raises(StackConfigError, match=r"genepool:alertSlackWebhookUrl: is stored in plain text"):
        deploy("staging", config=config, secrets=secrets)


# --- the dead man's switch


DEAD_MANS_SWITCH_URL = TEST_SECRETS["genepool:alertDeadMansSwitchUrl"]


def routed_receiver(config: dict, tmp_path: Path, *labels: str) -> str:
    """The receiver amtool routes an alert with ``labels`` (``name=value``) to under ``config``."""
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [require_binary("amtool"), "config", "routes", "test", f"--config.file={path}", *labels],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_prod_sends_watchdog_to_the_dead_mans_switch_and_nothing_else_there(prod, tmp_path):
    config = rendered(prod)
    assert routed_receiver(config, tmp_path, "alertname=Watchdog", "severity=none") == "dead-mans-switch"
    assert routed_receiver(config, tmp_path, "alertname=HighErrorRate", "severity=critical") == "genepool-page"
    assert routed_receiver(config, tmp_path, "alertname=InfoInhibitor", "severity=none") == "null"


def test_the_heartbeat_goes_every_minute_to_the_secret_url(prod):
    config = rendered(prod)
    (receiver,) = [r for r in config["receivers"] if r["name"] == "dead-mans-switch"]
    assert receiver["webhook_configs"] == [{"url": DEAD_MANS_SWITCH_URL, "send_resolved": False}]
    route = config["route"]["routes"][0]
    assert (route["receiver"], route["repeat_interval"], route["group_interval"]) == ("dead-mans-switch", "1m", "1m")


def test_without_a_dead_mans_switch_watchdog_goes_nowhere(dev, tmp_path):
    assert routed_receiver(rendered(dev), tmp_path, "alertname=Watchdog", "severity=none") == "null"


def test_the_heartbeat_url_is_in_no_manifest_value_or_output_in_plain_text(prod):
    for resource in prod.resources:
        if resource.name == "monitoring-alertmanager-config":
            continue
        assert DEAD_MANS_SWITCH_URL not in json.dumps(plain(resource.inputs), default=str), resource.name
    assert DEAD_MANS_SWITCH_URL not in json.dumps(prod.outputs, default=str)


def test_a_dead_mans_switch_without_its_secret_fails_naming_the_key(kubeconfig):
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "genepool:alertDeadMansSwitchUrl"}
    with pytest.raises(StackConfigError, match=r"genepool:alertDeadMansSwitchUrl: is required; set it with"):
        deploy("prod", secrets=secrets)


def test_a_heartbeat_url_in_plain_text_is_refused(kubeconfig):
    config = {**stack_config("prod"), "genepool:alertDeadMansSwitchUrl": DEAD_MANS_SWITCH_URL}
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "genepool:alertDeadMansSwitchUrl"}
    with pytest.raises(StackConfigError, match=r"genepool:alertDeadMansSwitchUrl: is stored in plain text"):
        deploy("prod", config=config, secrets=secrets)


@pytest.mark.parametrize(
    ("alerting", "message"),
    [
        ({"deadMansSwitch": "yes"}, "genepool:alerting.deadMansSwitch: must be true or false"),
        ({"runbookBaseUrl": "http://example.com/"}, "genepool:alerting.runbookBaseUrl: must be an https URL"),
        ({"runbookBaseUrl": "https://example.com/docs"}, "genepool:alerting.runbookBaseUrl: must be an https URL"),
    ],
)
def test_invalid_dead_mans_switch_or_runbook_base_fails_naming_the_key(alerting, message):
    with pytest.raises(StackConfigError, match=message):
        parse({**raw_config("dev"), "alerting": alerting})


# --- replicas


def test_prod_runs_two_prometheus_and_two_alertmanagers_in_different_zones(prod):
    values = chart_values(prod)
    for component, spec in (("prometheus", "prometheusSpec"), ("alertmanager", "alertmanagerSpec")):
        settings = values[component][spec]
        assert settings["replicas"] == 2, component
        assert (settings["podAntiAffinity"], settings["podAntiAffinityTopologyKey"]) == (
            "hard",
            "topology.kubernetes.io/zone",
        )
        assert values[component]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}


def test_a_single_replica_stack_has_no_anti_affinity_and_no_budget(dev):
    values = chart_values(dev)
    assert values["prometheus"]["prometheusSpec"]["replicas"] == 1
    assert "podAntiAffinity" not in values["prometheus"]["prometheusSpec"]
    assert values["alertmanager"]["podDisruptionBudget"]["enabled"] is False


@pytest.mark.parametrize("replicas", [0, 4, "two"])
def test_invalid_monitoring_replicas_fail_naming_the_key(replicas):
    with pytest.raises(StackConfigError, match=r"genepool:monitoring.replicas: must be an integer in \[1, 3\]"):
        parse({**raw_config("dev"), "monitoring": {"replicas": replicas}})


# --- Karpenter and the managed servers


def monitor(deployment: Deployment, kind: str, name: str) -> dict:
    (found,) = [
        plain(r.inputs)
        for r in deployment.of_type(f"kubernetes:monitoring.coreos.com/v1:{kind}")
        if r.inputs["metadata"]["name"] == name
    ]
    return found


def test_prod_scrapes_the_karpenter_controllers_metrics_port(prod):
    spec = monitor(prod, "ServiceMonitor", "karpenter")["spec"]
    assert spec["namespaceSelector"] == {"matchNames": ["kube-system"]}
    assert spec["selector"]["matchLabels"]["app.kubernetes.io/name"] == "karpenter"
    assert [e["port"] for e in spec["endpoints"]] == ["http-metrics"]


def test_only_aws_scrapes_and_alerts_on_karpenter(dev, staging, prod):
    for deployment, expected in ((dev, False), (staging, False), (prod, True)):
        monitors = {r.inputs["metadata"]["name"] for r in deployment.resources if r.type.endswith("ServiceMonitor")}
        rules = plain(deployment.named("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules").inputs)
        groups = {group["name"] for group in rules["spec"]["groups"]}
        assert ("karpenter" in monitors) is expected
        assert ("genepool-karpenter" in groups) is expected


def test_prod_points_a_redis_exporter_at_elasticache_through_a_secret(prod):
    secret = prod.named("kubernetes:core/v1:Secret", "managed-exporters-redis-secret").inputs["stringData"]
    assert is_secret(secret) or is_secret(secret["url"])
    assert plain(secret)["url"].startswith("rediss://:")
    deployment = plain(prod.named("kubernetes:apps/v1:Deployment", "managed-exporters-redis-deployment").inputs)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [
        {"name": "REDIS_ADDR", "valueFrom": {"secretKeyRef": {"name": "redis-exporter", "key": "url"}}}
    ]
    service = plain(prod.named("kubernetes:core/v1:Service", "managed-exporters-redis-service").inputs)
    assert service["metadata"]["name"] == "redis-exporter"
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    assert service["metadata"]["labels"]["app.kubernetes.io/name"] == "redis"


def test_the_servers_monitors_name_the_job_after_the_server_whichever_service_serves_it(prod):
    for app in ("redis", "timescaledb"):
        (endpoint,) = monitor(prod, "ServiceMonitor", app)["spec"]["endpoints"]
        assert endpoint["relabelings"] == [{"action": "replace", "targetLabel": "job", "replacement": app}]


def test_staging_points_both_exporters_at_its_managed_servers(staging):
    deployments = {r.name for r in staging.of_type("kubernetes:apps/v1:Deployment")}
    assert {"managed-exporters-redis-deployment", "managed-exporters-timescaledb-deployment"} <= deployments
    secret = plain(staging.named("kubernetes:core/v1:Secret", "managed-exporters-timescaledb-secret").inputs)
    assert secret["stringData"]["url"].startswith("postgresql://")


def test_in_cluster_servers_get_no_second_exporter(dev):
    assert not [r for r in dev.resources if r.name.startswith("managed-exporters")]
