"""Names and labels shared between components (selectors must agree across files, so they live here once)."""

from __future__ import annotations

import pulumi

PART_OF = {"app.kubernetes.io/part-of": "genepool"}

MONITORING_NAMESPACE = "monitoring"
KUBERAY_NAMESPACE = "kuberay-system"

PROMETHEUS_RELEASE = "kube-prometheus-stack"
"""Helm release name of kube-prometheus-stack. Its Prometheus selects ServiceMonitors, PodMonitors and
PrometheusRules carrying ``release: <release name>``, so every one of ours carries :data:`MONITOR_LABELS`."""
MONITOR_LABELS = {"release": PROMETHEUS_RELEASE}
GRAFANA_DASHBOARD_LABEL = {"grafana_dashboard": "1"}
"""The label the Grafana dashboard sidecar watches for ConfigMaps holding dashboard JSON."""

API = "genepool-api"
REDIS = "redis"
TIMESCALEDB = "timescaledb"
RAY_CLUSTER = "genepool"


def app(name: str) -> dict[str, str]:
    """Selector labels of one of our apps."""
    return {"app.kubernetes.io/name": name}


def service_host(name: str, namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """In-cluster DNS name of a Service."""
    return pulumi.Output.concat(name, ".", namespace, ".svc.cluster.local")


SPOT_TAINT_KEY = "genepool.io/spot"
"""The taint on spot nodes: only Ray workers tolerate it (a pod there may lose its node with two minutes' notice)."""

COST_TAG_KEYS = ("project", "stack")
"""Cost-allocation tags every taggable cloud resource carries (AWS: the provider's default tags and the tags Karpenter
puts on the instances it launches; DigitalOcean: ``key:value`` tags)."""


def cost_tags(stack: str) -> dict[str, str]:
    """The cost-allocation tags of ``stack``'s cloud resources."""
    return {"project": "genepool", "stack": stack}


COST_ANNOTATION = "genepool.io/estimated-hourly-cost-usd"
CEILING_ANNOTATION = "genepool.io/cost-ceiling-usd-per-hour"
"""Annotations on the stack's namespace: the program's cost estimate at maximum size and the configured ceiling,
so the ``cost-within-ceiling`` stack policy (and ``kubectl``) can read them."""
