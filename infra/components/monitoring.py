"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana) plus our rules, monitors and dashboards.

- The prometheus-operator CRDs come from their own release of the ``prometheus-operator-crds`` chart at the
  operator's version, installed before kube-prometheus-stack and upgraded with it (Helm never upgrades a chart's
  CRDs); the stack's release skips its CRDs (``skip_crds`` and ``crds.enabled: false``).
- The Helm release (pinned chart) takes ``values/kube-prometheus-stack.yaml`` merged with the computed values:
  retention (``monitoring.retentionDays``, 30 by default) and a size cap at 90% of the volume, volume sizes, the
  storage class, system-node placement, and a generated Grafana admin password from a Secret.
- ``infra/monitoring/alerts.yaml`` becomes our PrometheusRule (minus the groups of what the stack does not run:
  Karpenter's off AWS), each alert's ``runbook_url`` prefixed with ``alerting.runbookBaseUrl`` (it names a section
  of docs/runbooks.md).
- Prometheus and Alertmanager run ``monitoring.replicas`` replicas; with more than one, each in its own zone (hard
  anti-affinity on ``topology.kubernetes.io/zone``) under a PodDisruptionBudget that keeps one up. Alertmanager's
  replicas gossip, and the operator drops each Prometheus' ``prometheus_replica`` label from the alerts it sends,
  so each alert is sent once.
- ServiceMonitors for the API, the Redis and PostgreSQL exporters (sidecars of the in-cluster servers, or
  ``managed_exporters.py``'s Deployments pointed at the managed ones: the same jobs and alerts either way)
  and, on AWS, the Karpenter controller (its ``http-metrics`` port in ``kube-system``), a PodMonitor for every Ray
  node (``ray.io/is-ray-node: "yes"``), and the ``ray-drivers`` PodMonitor for the evolution drivers' metrics
  ports on the Ray head (``evolve-<i>``); all carry ``release: kube-prometheus-stack``, the label the chart's
  Prometheus selects on.
- Every ``infra/monitoring/dashboards/*.json`` ships as a ConfigMap the Grafana sidecar provisions.
- Alertmanager: ``values/alertmanager.yaml`` (default route, inhibition rules) plus the receivers named in
  ``genepool:alerting`` (:func:`alertmanager_config`), written whole into the Secret ``alertmanager-genepool`` that
  the chart's Alertmanager reads (``alertmanagerSpec.configSecret``): receiver URLs and keys come from secret stack
  config and appear in no Helm value, manifest or output. With ``alerting.deadMansSwitch`` the always-firing
  Watchdog is sent every minute to the heartbeat URL of ``alertDeadMansSwitchUrl`` (receiver ``dead-mans-switch``),
  which pages when the heartbeats stop: a dead Prometheus, Alertmanager or cluster is noticed too.
- On a managed control plane (EKS, DOKS) etcd, kube-scheduler, kube-controller-manager and kube-proxy cannot be
  scraped from the cluster: their scrapes and the chart's rules for them are off, instead of "down" alerts firing
  forever. A local cluster keeps them.
- Grafana's volume is ReadWriteOnce: its Deployment uses the Recreate strategy (a rolling update would wait forever
  for the new pod to mount the volume the old one holds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra import labels, versions
from infra.components import sso
from infra.components.common import deep_merge, load_values, password
from infra.components.ray import driver_metrics_port_name
from infra.config import DEAD_MANS_SWITCH, AlertingConfig, MonitoringConfig, SsoConfig, quantity_bytes
from infra.platforms import Scheduling

MONITORING_DIR = Path(__file__).resolve().parent.parent / "monitoring"
ALERTS_FILE = MONITORING_DIR / "alerts.yaml"
DASHBOARDS_DIR = MONITORING_DIR / "dashboards"
ALERTMANAGER_SECRET = "alertmanager-genepool"
"""The Secret holding the whole Alertmanager configuration (key :data:`ALERTMANAGER_CONFIG_KEY`)."""
ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml"
CONTROL_PLANE_COMPONENTS = ("kubeEtcd", "kubeScheduler", "kubeControllerManager", "kubeProxy")
"""kube-prometheus-stack's scrape configs of control-plane components."""
CONTROL_PLANE_RULE_GROUPS = (
    "etcd",
    "kubeSchedulerAlerting",
    "kubeSchedulerRecording",
    "kubeControllerManager",
    "kubeProxy",
)
"""kube-prometheus-stack's ``defaultRules.rules`` groups about those components."""
RAY_METRICS_PORT = "metrics"
"""Name of the container port KubeRay gives Ray's metrics endpoint (8080) on every Ray node."""
KARPENTER_GROUP = "genepool-karpenter"
"""The rule group about the Karpenter controller (AWS only)."""
KARPENTER_METRICS_PORT = "http-metrics"
"""The Karpenter chart's Service port of the controller's metrics (8080 by default)."""
KARPENTER_SELECTOR = {"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter"}
"""The labels the Karpenter chart puts on its Service (release name ``karpenter``)."""
DEAD_MANS_SWITCH_RECEIVER = "dead-mans-switch"
SPREAD_KEY = "topology.kubernetes.io/zone"
"""Replicas of Prometheus and Alertmanager go to different zones."""


def alert_groups(karpenter: bool, runbook_base_url: str | None = None) -> list[dict]:
    """Our rule groups, the Karpenter group only with ``karpenter``; each ``runbook_url`` (a path in this repository)
    prefixed with ``runbook_base_url`` when set."""
    groups = yaml.safe_load(ALERTS_FILE.read_text())["groups"]
    kept = [group for group in groups if karpenter or group["name"] != KARPENTER_GROUP]
    if runbook_base_url is None:
        return kept
    return [
        {
            **group,
            "rules": [
                {
                    **rule,
                    "annotations": {
                        **rule["annotations"],
                        "runbook_url": runbook_base_url + rule["annotations"]["runbook_url"],
                    },
                }
                for rule in group["rules"]
            ],
        }
        for group in kept
    ]


def alertmanager_config(alerting: AlertingConfig, secrets: dict[str, str]) -> dict:
    """The Alertmanager configuration: ``values/alertmanager.yaml`` with the receiver ``genepool`` (Slack and webhook,
    every alert) and, with PagerDuty, ``genepool-page`` (the same plus PagerDuty) routed the critical alerts.
    ``secrets`` holds each configured receiver's URL or key by kind (plain text: call this inside ``apply``)."""
    config = load_values("alertmanager.yaml")
    notify: dict[str, list[dict]] = {}
    if "slack" in alerting.receivers:
        notify["slack_configs"] = [
            {
                "api_url": secrets["slack"],
                "channel": alerting.slack_channel,
                "send_resolved": True,
                "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
                "text": "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}",
            }
        ]
    if "webhook" in alerting.receivers:
        notify["webhook_configs"] = [{"url": secrets["webhook"], "send_resolved": True}]
    config["receivers"].append({"name": "genepool", **notify})
    if alerting.dead_mans_switch:
        heartbeat = [{"url": secrets[DEAD_MANS_SWITCH], "send_resolved": False}]
        config["receivers"].append({"name": DEAD_MANS_SWITCH_RECEIVER, "webhook_configs": heartbeat})
        config["route"]["routes"].insert(
            0,
            {
                "receiver": DEAD_MANS_SWITCH_RECEIVER,
                "matchers": ['alertname = "Watchdog"'],
                "group_wait": "0s",
                "group_interval": "1m",
                "repeat_interval": "1m",
            },
        )
    if "pagerduty" in alerting.receivers:
        page = [{"routing_key": secrets["pagerduty"], "send_resolved": True}]
        config["receivers"].append({"name": "genepool-page", **notify, "pagerduty_configs": page})
        config["route"]["routes"].append({"receiver": "genepool-page", "matchers": ['severity = "critical"']})
    return config


def helm_values(
    config: MonitoringConfig,
    storage_class: str,
    scheduling: Scheduling,
    grafana_secret: pulumi.Input[str],
    alertmanager_secret: pulumi.Input[str],
    managed_control_plane: bool,
    system: Scheduling,
) -> dict:
    """``scheduling`` places what keeps a volume (Prometheus, Alertmanager, Grafana), ``system`` the stateless
    operator and kube-state-metrics."""
    placement = {"nodeSelector": scheduling.node_selector, "tolerations": scheduling.tolerations}
    replicated: dict = {"replicas": config.replicas}
    if config.replicas > 1:
        replicated |= {"podAntiAffinity": "hard", "podAntiAffinityTopologyKey": SPREAD_KEY}
    budget = {"podDisruptionBudget": {"enabled": config.replicas > 1, "minAvailable": 1}}
    system_placement = {"nodeSelector": system.node_selector, "tolerations": system.tolerations}
    retention_size_gb = int(0.9 * quantity_bytes(config.volume_size) / 2**30)
    computed = {
        "prometheus": {
            **budget,
            "prometheusSpec": {
                **placement,
                **replicated,
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
            },
        },
        "alertmanager": {
            **budget,
            "alertmanagerSpec": {
                **placement,
                **replicated,
                "useExistingSecret": True,
                "configSecret": alertmanager_secret,
            },
        },
        "prometheusOperator": system_placement,
        "grafana": {
            **placement,
            "persistence": {"size": config.grafana_volume_size, "storageClassName": storage_class},
            "admin": {"existingSecret": grafana_secret, "userKey": "admin-user", "passwordKey": "admin-password"},
        },
        "kube-state-metrics": system_placement,
    }
    if managed_control_plane:
        computed.update({component: {"enabled": False} for component in CONTROL_PLANE_COMPONENTS})
        computed["defaultRules"] = {"rules": dict.fromkeys(CONTROL_PLANE_RULE_GROUPS, False)}
    return deep_merge(load_values("kube-prometheus-stack.yaml"), computed)


@dataclass(frozen=True)
class MonitoringArgs:
    app_namespace: pulumi.Input[str]
    config: MonitoringConfig
    storage_class: str
    scheduling: Scheduling
    """Where the pods with volumes go (the platform's stateful nodes)."""
    system: Scheduling
    """Where the operator and kube-state-metrics go (the platform's system nodes)."""
    alerting: AlertingConfig
    receiver_secrets: dict[str, pulumi.Output[str]]
    """The configured receivers' URLs/keys by kind (secret Outputs)."""
    managed_control_plane: bool
    """The cloud runs the control plane: do not scrape (or alert on) etcd, scheduler, controller-manager, kube-proxy."""
    karpenter_namespace: str | None = None
    """Namespace of the Karpenter controller whose metrics are scraped and alerted on; None: no Karpenter."""
    ray_drivers: int = 0
    """Scheduled evolution drivers whose metrics ports (``evolve-<i>``) the ``ray-drivers`` PodMonitor scrapes."""
    grafana_root_url: str | None = None
    """Grafana's external URL (``server.root_url``, ``components/sso.py``); None: Grafana's default."""
    sso: SsoConfig | None = None
    sso_client_secret: pulumi.Output[str] | None = None
    """With ``sso``: the OpenID Connect client secret (a secret Output)."""


class Monitoring(pulumi.ComponentResource):
    grafana_url: pulumi.Output[str]
    crds: k8s.helm.v3.Release
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata={"name": labels.MONITORING_NAMESPACE, "labels": labels.PART_OF}, opts=child
        ).metadata.name
        admin = self._grafana_admin(name, namespace)
        alertmanager = self._alertmanager_config(name, args, namespace)
        self._charts(name, args, namespace, admin, alertmanager)
        self._rules_and_service_monitors(name, args, namespace)
        self._ray_monitors(name, args, namespace)
        self._dashboards(name, namespace)
        self.grafana_url = pulumi.Output.concat(
            "http://", labels.service_host(f"{labels.PROMETHEUS_RELEASE}-grafana", namespace)
        )
        self.register_outputs({"grafana_url": self.grafana_url})

    def _grafana_admin(self, name: str, namespace: pulumi.Input[str]) -> k8s.core.v1.Secret:
        """The Secret ``grafana-admin``: user ``admin`` and a generated password."""
        return k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={
                "name": "grafana-admin",
                "namespace": namespace,
                "labels": labels.PART_OF,
            },
            string_data={"admin-user": "admin", "admin-password": password(f"{name}-grafana-password", self)},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _alertmanager_config(self, name: str, args: MonitoringArgs, namespace: pulumi.Input[str]) -> k8s.core.v1.Secret:
        """The Secret holding the whole Alertmanager configuration (:func:`alertmanager_config`, a Pulumi secret)."""

        def render(secrets: dict[str, str]) -> pulumi.Output[str]:
            return pulumi.Output.secret(yaml.safe_dump(alertmanager_config(args.alerting, secrets), sort_keys=False))

        rendered: pulumi.Output[str] = pulumi.Output.all(**args.receiver_secrets).apply(render)
        return k8s.core.v1.Secret(
            f"{name}-alertmanager-config",
            metadata={"name": ALERTMANAGER_SECRET, "namespace": namespace, "labels": labels.PART_OF},
            string_data={ALERTMANAGER_CONFIG_KEY: rendered},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _charts(
        self,
        name: str,
        args: MonitoringArgs,
        namespace: pulumi.Input[str],
        admin: k8s.core.v1.Secret,
        alertmanager: k8s.core.v1.Secret,
    ) -> None:
        """The prometheus-operator CRDs release (:attr:`crds`), then kube-prometheus-stack (:attr:`release`)."""
        grafana_values: dict = {}
        if args.grafana_root_url is not None:
            grafana_values = sso.grafana_values(args.grafana_root_url, args.sso)
        values = helm_values(
            args.config,
            args.storage_class,
            args.scheduling,
            admin.metadata.name,
            alertmanager.metadata.name,
            args.managed_control_plane,
            args.system,
        )
        values["grafana"].update(grafana_values)
        grafana_ready: list[pulumi.Resource] = []
        if args.sso is not None and args.sso_client_secret is not None:
            grafana_ready.append(sso.grafana_secret(f"{name}-grafana-sso", namespace, args.sso_client_secret, self))
        self.crds = k8s.helm.v3.Release(
            f"{name}-prometheus-operator-crds",
            k8s.helm.v3.ReleaseArgs(
                name=versions.PROMETHEUS_OPERATOR_CRDS_CHART,
                chart=versions.PROMETHEUS_OPERATOR_CRDS_CHART,
                version=versions.PROMETHEUS_OPERATOR_CRDS_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.KUBE_PROMETHEUS_STACK_REPO),
                namespace=namespace,
                atomic=True,
                timeout=300,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            k8s.helm.v3.ReleaseArgs(
                name=labels.PROMETHEUS_RELEASE,
                chart=versions.KUBE_PROMETHEUS_STACK_CHART,
                version=versions.KUBE_PROMETHEUS_STACK_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.KUBE_PROMETHEUS_STACK_REPO),
                namespace=namespace,
                values=values,
                skip_crds=True,
                atomic=True,
                timeout=900,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.crds, *grafana_ready]),
        )

    def _rules_and_service_monitors(self, name: str, args: MonitoringArgs, namespace: pulumi.Input[str]) -> None:
        """Our PrometheusRule, a ServiceMonitor per app (API, Redis, TimescaleDB) and one for Karpenter where it
        runs, after the chart (its operator reads them)."""
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        monitor_meta = {"namespace": namespace, "labels": {**labels.MONITOR_LABELS, **labels.PART_OF}}
        app_namespaces = {"matchNames": [args.app_namespace]}
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={**monitor_meta, "name": "genepool"},
            spec={"groups": alert_groups(args.karpenter_namespace is not None, args.alerting.runbook_base_url)},
            opts=after_crds,
        )
        for app, port in [(labels.API, "http"), (labels.REDIS, "metrics"), (labels.TIMESCALEDB, "metrics")]:
            # The job is the app's name whichever Service carries it (the server's, or a managed server's exporter).
            job = [{"action": "replace", "targetLabel": "job", "replacement": app}]
            k8s.apiextensions.CustomResource(
                f"{name}-{app}-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata={**monitor_meta, "name": app},
                spec={
                    "namespaceSelector": app_namespaces,
                    "selector": {"matchLabels": labels.app(app)},
                    "endpoints": [{"port": port, "path": "/metrics", "interval": "30s", "relabelings": job}],
                },
                opts=after_crds,
            )
        if args.karpenter_namespace is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-karpenter-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata={**monitor_meta, "name": "karpenter"},
                spec={
                    "namespaceSelector": {"matchNames": [args.karpenter_namespace]},
                    "selector": {"matchLabels": KARPENTER_SELECTOR},
                    "endpoints": [{"port": KARPENTER_METRICS_PORT, "path": "/metrics", "interval": "30s"}],
                },
                opts=after_crds,
            )

    def _ray_monitors(self, name: str, args: MonitoringArgs, namespace: pulumi.Input[str]) -> None:
        """A PodMonitor for every Ray node and, with scheduled drivers, one (``ray-drivers``) for their ports on
        the head."""
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        monitor_meta = {"namespace": namespace, "labels": {**labels.MONITOR_LABELS, **labels.PART_OF}}
        app_namespaces = {"matchNames": [args.app_namespace]}
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

    def _dashboards(self, name: str, namespace: pulumi.Input[str]) -> None:
        """One ConfigMap per dashboard in ``infra/monitoring/dashboards/``, labelled for Grafana's sidecar."""
        for path in sorted(DASHBOARDS_DIR.glob("*.json")):
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{path.stem}",
                metadata={
                    "name": f"dashboard-{path.stem}",
                    "namespace": namespace,
                    "labels": {**labels.GRAFANA_DASHBOARD_LABEL, **labels.PART_OF},
                },
                data={path.name: json.dumps(json.loads(path.read_text()))},
                opts=pulumi.ResourceOptions(parent=self),
            )
