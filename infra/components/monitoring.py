"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana) plus our rules, monitors and dashboards.

- The Helm release (pinned chart) takes ``values/kube-prometheus-stack.yaml`` merged with the computed values:
  retention (``monitoring.retentionDays``, 30 by default) and a size cap at 90% of the volume, volume sizes, the
  storage class, system-node placement, and a generated Grafana admin password from a Secret.
- ``infra/monitoring/alerts.yaml`` becomes our PrometheusRule (minus the rules for services the platform manages,
  which we do not scrape).
- ServiceMonitors for the API and the exporters, a PodMonitor for every Ray node (``ray.io/is-ray-node: "yes"``),
  and the ``ray-drivers`` PodMonitor for the evolution drivers' metrics ports on the Ray head (``evolve-<i>``); all
  carry ``release: kube-prometheus-stack``, the label the chart's Prometheus selects on.
- Every ``infra/monitoring/dashboards/*.json`` ships as a ConfigMap the Grafana sidecar provisions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra import labels, versions
from infra.components.common import deep_merge, load_values, password
from infra.components.ray import driver_metrics_port_name
from infra.config import MonitoringConfig, quantity_bytes
from infra.platforms import Scheduling

MONITORING_DIR = Path(__file__).resolve().parent.parent / "monitoring"
ALERTS_FILE = MONITORING_DIR / "alerts.yaml"
DASHBOARDS_DIR = MONITORING_DIR / "dashboards"
RAY_METRICS_PORT = "metrics"
"""Name of the container port KubeRay gives Ray's metrics endpoint (8080) on every Ray node."""


def alert_groups(redis_in_cluster: bool, timescaledb_in_cluster: bool) -> list[dict]:
    """Our rule groups; RedisDown/PostgreSQLDown only when we run (and scrape) that server ourselves."""
    skip = set()
    if not redis_in_cluster:
        skip.add("RedisDown")
    if not timescaledb_in_cluster:
        skip.add("PostgreSQLDown")
    groups = yaml.safe_load(ALERTS_FILE.read_text())["groups"]
    return [{**group, "rules": [rule for rule in group["rules"] if rule.get("alert") not in skip]} for group in groups]


def helm_values(
    config: MonitoringConfig, storage_class: str, scheduling: Scheduling, grafana_secret: pulumi.Input[str]
) -> dict:
    placement = {"nodeSelector": scheduling.node_selector, "tolerations": scheduling.tolerations}
    retention_size_gb = int(0.9 * quantity_bytes(config.volume_size) / 2**30)
    computed = {
        "prometheus": {
            "prometheusSpec": {
                **placement,
                "retention": f"{config.retention_days}d",
                "retentionSize": f"{retention_size_gb}GB",
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": config.volume_size}},
                        }
                    }
                },
            }
        },
        "alertmanager": {"alertmanagerSpec": placement},
        "prometheusOperator": placement,
        "grafana": {
            **placement,
            "persistence": {"size": config.grafana_volume_size, "storageClassName": storage_class},
            "admin": {"existingSecret": grafana_secret, "userKey": "admin-user", "passwordKey": "admin-password"},
        },
        "kube-state-metrics": placement,
    }
    return deep_merge(load_values("kube-prometheus-stack.yaml"), computed)


@dataclass(frozen=True)
class MonitoringArgs:
    app_namespace: pulumi.Input[str]
    config: MonitoringConfig
    storage_class: str
    scheduling: Scheduling
    redis_in_cluster: bool
    timescaledb_in_cluster: bool
    ray_drivers: int = 0
    """Scheduled evolution drivers whose metrics ports (``evolve-<i>``) the ``ray-drivers`` PodMonitor scrapes."""


class Monitoring(pulumi.ComponentResource):
    grafana_url: pulumi.Output[str]
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata={"name": labels.MONITORING_NAMESPACE, "labels": labels.PART_OF}, opts=child
        ).metadata.name
        admin = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={
                "name": "grafana-admin",
                "namespace": namespace,
                "labels": labels.PART_OF,
            },
            string_data={"admin-user": "admin", "admin-password": password(f"{name}-grafana-password", self)},
            opts=child,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            k8s.helm.v3.ReleaseArgs(
                name=labels.PROMETHEUS_RELEASE,
                chart=versions.KUBE_PROMETHEUS_STACK_CHART,
                version=versions.KUBE_PROMETHEUS_STACK_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.KUBE_PROMETHEUS_STACK_REPO),
                namespace=namespace,
                values=helm_values(args.config, args.storage_class, args.scheduling, admin.metadata.name),
                atomic=True,
                timeout=900,
            ),
            opts=child,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        monitor_meta = {"namespace": namespace, "labels": {**labels.MONITOR_LABELS, **labels.PART_OF}}
        app_namespaces = {"matchNames": [args.app_namespace]}
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={**monitor_meta, "name": "genepool"},
            spec={"groups": alert_groups(args.redis_in_cluster, args.timescaledb_in_cluster)},
            opts=after_crds,
        )
        scraped = [(labels.API, "http")]
        scraped += [(labels.REDIS, "metrics")] if args.redis_in_cluster else []
        scraped += [(labels.TIMESCALEDB, "metrics")] if args.timescaledb_in_cluster else []
        for app, port in scraped:
            k8s.apiextensions.CustomResource(
                f"{name}-{app}-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata={**monitor_meta, "name": app},
                spec={
                    "namespaceSelector": app_namespaces,
                    "selector": {"matchLabels": labels.app(app)},
                    "endpoints": [{"port": port, "path": "/metrics", "interval": "30s"}],
                },
                opts=after_crds,
            )
        k8s.apiextensions.CustomResource(
            f"{name}-ray-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata={**monitor_meta, "name": "ray-nodes"},
            spec={
                "namespaceSelector": app_namespaces,
                "selector": {"matchLabels": {"ray.io/is-ray-node": "yes"}},
                "podMetricsEndpoints": [{"port": RAY_METRICS_PORT, "path": "/metrics", "interval": "30s"}],
            },
            opts=after_crds,
        )
        if args.ray_drivers:
            k8s.apiextensions.CustomResource(
                f"{name}-ray-drivers-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="PodMonitor",
                metadata={**monitor_meta, "name": "ray-drivers"},
                spec={
                    "namespaceSelector": app_namespaces,
                    "selector": {"matchLabels": {"ray.io/is-ray-node": "yes", "ray.io/node-type": "head"}},
                    "podMetricsEndpoints": [
                        {"port": driver_metrics_port_name(i), "path": "/metrics", "interval": "30s"}
                        for i in range(args.ray_drivers)
                    ],
                },
                opts=after_crds,
            )
        for path in sorted(DASHBOARDS_DIR.glob("*.json")):
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{path.stem}",
                metadata={
                    "name": f"dashboard-{path.stem}",
                    "namespace": namespace,
                    "labels": {**labels.GRAFANA_DASHBOARD_LABEL, **labels.PART_OF},
                },
                data={path.name: json.dumps(json.loads(path.read_text()))},
                opts=child,
            )
        self.grafana_url = pulumi.Output.concat(
            "http://", labels.service_host(f"{labels.PROMETHEUS_RELEASE}-grafana", namespace)
        )
        self.register_outputs({"grafana_url": self.grafana_url})
