"""Alertmanager: receivers from stack config with their URLs/keys only in a Secret, a default route, inhibition,
`amtool check-config` on the rendered configuration; control-plane scrapes off on managed clusters; Grafana Recreate."""

from __future__ import annotations

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
from infra.config import AlertingConfig, ConfigError, parse
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
    with pytest.raises(ConfigError, match=message):
        parse({**raw_config("dev"), "alerting": alerting})


def test_a_configured_receiver_without_its_secret_fails_naming_the_key(kubeconfig):
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "genepool:alertSlackWebhookUrl"}
    with pytest.raises(ConfigError, match=r"genepool:alertSlackWebhookUrl: is required; set it with: pulumi config"):
        deploy("staging", secrets=secrets)


def test_a_receiver_url_in_plain_text_is_refused(kubeconfig):
    config = {**stack_config("staging"), "genepool:alertSlackWebhookUrl": RECEIVER_SECRETS["slack"]}
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "genepool:alertSlackWebhookUrl"}
    with pytest.raises(ConfigError, match=r"genepool:alertSlackWebhookUrl: is stored in plain text"):
        deploy("staging", config=config, secrets=secrets)
