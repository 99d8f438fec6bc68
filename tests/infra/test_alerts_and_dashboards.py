"""Alert rules pass promtool (syntax and unit tests); rules and dashboards name only metrics that exist: every query
is parsed (tests/infra/promql_metrics.py) and each metric it selects must be one the workload's prometheus-client
registries export or one of :data:`EXPORTER_METRICS`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.components.common import load_values
from infra.components.monitoring import ALERTS_FILE, DASHBOARDS_DIR, alert_groups
from tests.prerequisites import require_binary
from workloads.metrics import EXPORTED_METRIC_NAMES

from .conftest import REPOSITORY
from .promql_metrics import exported_sample_names, grouping_labels, metric_names

ALERT_TESTS = Path(__file__).parent / "promtool" / "alerts_test.yaml"
KARPENTER_ALERTS = {"KarpenterDown", "KarpenterLaunchFailing", "KarpenterNodesNeverReady", "KarpenterInterruptionsHigh"}
REQUIRED_ALERTS = {
    "HighErrorRate",
    "HighLatency",
    "RedisDown",
    "PostgreSQLDown",
    "WalArchiveFailing",
    "WalArchiveStale",
    "HighMemoryUsage",
    "HighCPUUsage",
    "EvolutionStalled",
    "EvolutionNotSucceeding",
    "NoEvaluations",
    "RayWorkersLost",
    "TargetDown",
    "MarketDataStale",
    *KARPENTER_ALERTS,
}
EXPORTER_METRICS = frozenset(
    {
        "up",  # Prometheus, per scrape target
        "redis_up",
        "redis_memory_used_bytes",
        "redis_memory_max_bytes",
        "redis_connected_clients",  # redis_exporter
        "pg_up",
        "pg_stat_database_numbackends",
        "pg_stat_archiver_failed_count",
        "pg_stat_archiver_last_archive_age",  # postgres_exporter (its stat_archiver collector, on by default)
        "container_memory_working_set_bytes",
        "container_cpu_usage_seconds_total",  # kubelet/cAdvisor (the chart)
        "kube_pod_container_resource_limits",
        "kube_cronjob_created",
        "kube_cronjob_status_last_successful_time",  # kube-state-metrics (the chart)
        "ray_node_cpu_utilization",
        "ray_node_mem_used",
        "ray_node_mem_total",  # Ray nodes (PodMonitor)
        "karpenter_cloudprovider_errors_total",
        "karpenter_nodeclaims_disrupted_total",
        "karpenter_interruption_received_messages_total",
        "karpenter_nodes_allocatable",
        "karpenter_nodeclaims_created_total",  # Karpenter 1.14 (ServiceMonitor, AWS)
        "kube_pod_status_phase",
        "kube_node_labels",  # kube-state-metrics, with the node labels of metricLabelsAllowlist (chart values)
    }
)
"""Metrics of the exporters this program deploys, each with its source; everything else must come from the
workload's registries (:func:`exported_sample_names`)."""


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> frozenset[str]:
    return exported_sample_names(tmp_path_factory.mktemp("metrics"))


def rule_exprs() -> list[str]:
    return [rule["expr"] for group in yaml.safe_load(ALERTS_FILE.read_text())["groups"] for rule in group["rules"]]


def dashboards() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS_DIR.glob("*.json"))}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """``(dashboard file, panel title, query)`` of every panel target."""
    return [
        (name, panel["title"], target["expr"])
        for name, dashboard in dashboards().items()
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


def dashboard_exprs() -> list[str]:
    return [expr for _, _, expr in dashboard_queries()]


def test_metric_name_extraction_ignores_labels_ranges_functions_and_grouping():
    expr = 'sum by (le) (rate(genepool_x_bucket{status=~"5.."}[5m])) / on() up{job="redis"} > 0.05'
    assert metric_names(expr) == {"genepool_x_bucket", "up"}


def test_metric_name_extraction_reads_name_matchers_subqueries_and_aggregation_parameters():
    expr = 'topk(scalar(count(a)), max_over_time({__name__="b"}[1h:5m])) unless -(c offset 5m)'
    assert metric_names(expr) == {"a", "b", "c"}


def test_a_query_that_does_not_parse_is_refused():
    with pytest.raises(ValueError):
        metric_names("sum(rate(genepool_generations_total[5m])")


def test_the_documented_metric_list_is_what_the_registries_export(exported):
    ours = {name for name in exported if name.startswith("genepool_") and not name.endswith("_created")}
    assert ours == EXPORTED_METRIC_NAMES


def test_rules_define_every_required_alert():
    alerts = {rule["alert"] for group in yaml.safe_load(ALERTS_FILE.read_text())["groups"] for rule in group["rules"]}
    assert alerts == REQUIRED_ALERTS


def test_rules_name_only_exported_or_exporter_metrics(exported):
    unknown = set().union(*map(metric_names, rule_exprs())) - exported - EXPORTER_METRICS
    assert not unknown, f"alert rules name metrics nothing exports: {sorted(unknown)}"


def test_dashboards_name_only_exported_or_exporter_metrics(exported):
    unknown = {
        f"{name}: {title}: {sorted(metric_names(expr) - exported - EXPORTER_METRICS)}"
        for name, title, expr in dashboard_queries()
        if metric_names(expr) - exported - EXPORTER_METRICS
    }
    assert not unknown, f"dashboard panels name metrics nothing exports: {sorted(unknown)}"


def test_an_unknown_metric_in_a_panel_is_caught(exported):
    assert metric_names("sum(rate(genepool_generation_total[5m]))") - exported - EXPORTER_METRICS == {
        "genepool_generation_total"
    }


def test_dashboards_cover_every_exported_metric_family():
    used = set().union(*map(metric_names, dashboard_exprs()))
    families = {re.sub(r"_(bucket|sum|count)$", "", name) for name in EXPORTED_METRIC_NAMES}
    uncovered = {family for family in families if not any(name.startswith(family) for name in used)}
    assert not uncovered, f"no dashboard panel shows {sorted(uncovered)}"


@pytest.mark.parametrize(
    ("dashboard", "needles"),
    [
        (
            "genepool-evolution.json",
            ["rate(genepool_generations_total", "genepool_best_fitness", "genepool_promotions_total"],
        ),
        (
            "genepool-platform.json",
            ["genepool_http_requests_total", 'status=~"5..', "genepool_http_request_duration_seconds_bucket"],
        ),
        ("genepool-evolution.json", ["genepool_market_data_last_bar_timestamp_seconds"]),
        ("genepool-platform.json", ["karpenter_nodes_allocatable", "kube_pod_status_phase"]),
    ],
    ids=["evolution", "api", "data-feed", "capacity"],
)
def test_each_view_the_operators_need_has_its_panels(dashboard, needles):
    exprs = [expr for name, _, expr in dashboard_queries() if name == dashboard]
    missing = [needle for needle in needles if not any(needle in expr for expr in exprs)]
    assert not missing, f"{dashboard} has no panel querying {missing}"


def test_dashboards_are_grafana_json_with_unique_uids_and_queries():
    loaded = dashboards()
    assert len(loaded) >= 2
    assert len({d["uid"] for d in loaded.values()}) == len(loaded)
    for name, dashboard in loaded.items():
        assert dashboard["title"] and dashboard["panels"], name
        for panel in dashboard["panels"]:
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), (name, panel["title"])


def test_stacks_without_karpenter_get_every_alert_but_karpenters():
    alerts = {rule["alert"] for group in alert_groups(karpenter=False) for rule in group["rules"]}
    assert alerts == REQUIRED_ALERTS - KARPENTER_ALERTS


def test_runbook_urls_are_prefixed_with_the_configured_base():
    base = "https://github.com/example/genepool/blob/main/"
    urls = [rule["annotations"]["runbook_url"] for group in alert_groups(True, base) for rule in group["rules"]]
    assert urls and all(url.startswith(base + "docs/runbooks.md#") for url in urls)


def test_promtool_check_rules_passes():
    result = subprocess.run(
        [require_binary("promtool"), "check", "rules", str(ALERTS_FILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_fire_each_alert_and_stay_silent_when_healthy():
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    firing = {c["alertname"] for t in tests for c in t["alert_rule_test"] if c["exp_alerts"]}
    silent = {c["alertname"] for t in tests for c in t["alert_rule_test"] if not c["exp_alerts"]}
    assert firing == silent == REQUIRED_ALERTS
    result = subprocess.run(
        [require_binary("promtool"), "test", "rules", str(ALERT_TESTS)], capture_output=True, text=True, cwd=REPOSITORY
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_platform_dashboard_shows_capacity_by_type_and_pending_pods():
    exprs = [t["expr"] for p in dashboards()["genepool-platform.json"]["panels"] for t in p["targets"]]
    assert any("karpenter_nodes_allocatable" in e and "capacity_type" in e for e in exprs)
    assert any('kube_pod_status_phase{phase="Pending"}' in e for e in exprs)


def test_the_node_labels_panels_group_by_are_ones_kube_state_metrics_is_allowed_to_export():
    allowlist = load_values("kube-prometheus-stack.yaml")["kube-state-metrics"]["metricLabelsAllowlist"]
    nodes = next(entry for entry in allowlist if entry.startswith("nodes="))
    exported = {"label_" + re.sub(r"[^a-zA-Z0-9_]", "_", label) for label in nodes[len("nodes=[") : -1].split(",")}
    used = {
        label
        for expr in dashboard_exprs()
        if "kube_node_labels" in metric_names(expr)
        for label in grouping_labels(expr)
        if label.startswith("label_")
    }
    assert used and used <= exported, f"grouped by node labels kube-state-metrics does not export: {used - exported}"


def test_grouping_labels_are_read_from_by_clauses_only():
    expr = "count by (a, b) (kube_node_labels) / sum without (c) (x) + max by (d) (rate(y[5m]))"
    assert grouping_labels(expr) == {"a", "b", "d"}
