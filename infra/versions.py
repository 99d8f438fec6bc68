"""Pinned versions of everything the program deploys (images by tag, Helm charts by version).

Bump here, in one place; the tests assert nothing floats (no ``latest``, every chart has a version). The Ray version
must match the Ray in the workload image (``images/workload.Dockerfile`` builds FROM the same tag).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RAY_VERSION = "2.52.0"
"""Ray with token authentication (RAY_AUTH_MODE=token, added in 2.52.0)."""

REDIS_IMAGE = "redis:7.4.2"
REDIS_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.66.0"
TIMESCALEDB_IMAGE = "timescale/timescaledb:2.17.2-pg16"
POSTGRES_EXPORTER_IMAGE = "prometheuscommunity/postgres-exporter:v0.16.0"

KUBE_PROMETHEUS_STACK_CHART = "kube-prometheus-stack"
KUBE_PROMETHEUS_STACK_VERSION = "79.7.1"
KUBE_PROMETHEUS_STACK_REPO = "https://prometheus-community.github.io/helm-charts"

KUBERAY_OPERATOR_CHART = "kuberay-operator"
KUBERAY_OPERATOR_VERSION = "1.6.0"
"""KubeRay 1.6.0: Ray token authentication (since 1.5.1) and the RayCluster ``spec.upgradeStrategy`` (``Recreate``:
recreate every pod when the spec changes, kuberay#4185, first released in 1.6.0; 1.5.x leaves running pods alone)."""
KUBERAY_OPERATOR_REPO = "https://ray-project.github.io/kuberay-helm/"

KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter"
KARPENTER_VERSION = "1.8.1"
"""Karpenter v1 APIs (karpenter.sh/v1 NodePool, karpenter.k8s.aws/v1 EC2NodeClass); 1.8 supports Kubernetes 1.33.
The chart ships the CRDs, so the NodePools are created after the release."""
KARPENTER_AMI_ALIAS = "al2023@latest"
"""The EKS-optimized Amazon Linux 2023 AMI for the cluster's Kubernetes version. ``latest`` on purpose: a new AMI
(security patches) drifts the nodes, which Karpenter replaces within each NodePool's disruption budget (never the
Ray head's node). Pin ``al2023@vYYYYMMDD`` here to freeze it."""

METRICS_SERVER_CHART = "metrics-server"
METRICS_SERVER_VERSION = "3.13.0"
"""metrics-server 0.8.0: the resource metrics API the API's HorizontalPodAutoscaler reads (EKS, DOKS and kind ship
without it)."""
METRICS_SERVER_REPO = "https://kubernetes-sigs.github.io/metrics-server/"

POSTGRES_CLIENT_IMAGE = "postgres:16.6-alpine"
"""psql for the grant step on a managed PostgreSQL (the client matches the server's major version, 16)."""


@dataclass(frozen=True)
class CrdChart:
    """A pinned Helm chart that installs the CustomResourceDefinitions of kinds the program creates.

    ``app_versions`` maps each chart version to the version of the project whose CRDs that chart ships, so a pin
    names what the API server will validate against. The tests read the CRDs of the pinned chart version from
    ``../shared/crds/<chart name>-<chart version>/`` (docs/architecture.md#custom-resources-against-upstream-crds)."""

    chart: str
    """The chart reference as pinned above (a repository chart name, or an OCI reference ending in the name)."""
    version: str
    """The pinned chart version."""
    app: str
    """The project whose CRDs the chart installs."""
    app_versions: Mapping[str, str]
    """Chart version → that project's version in it."""


CRD_CHARTS = (
    CrdChart(
        chart=KUBERAY_OPERATOR_CHART,
        version=KUBERAY_OPERATOR_VERSION,
        app="KubeRay",
        # The chart is released from the operator's own tag (ray-project/kuberay vX.Y.Z, helm-chart/kuberay-operator)
        # with the same version: chart 1.6.0 is KubeRay v1.6.0, chart 1.7.0 is v1.7.0 (tag of 2026-08-20). Looked up
        # 2026-12-06, as the table of shared/crds/README.md lists them.
        app_versions={"1.6.0": "v1.6.0", "1.7.0": "v1.7.0"},
    ),
    CrdChart(
        chart=KUBE_PROMETHEUS_STACK_CHART,
        version=KUBE_PROMETHEUS_STACK_VERSION,
        app="prometheus-operator",
        # appVersion in charts/kube-prometheus-stack/Chart.yaml at the chart's tag in prometheus-community/helm-charts,
        # the same as the CRDs' `operator.prometheus.io/version` annotation (the tests compare the two):
        # 79.7.1 → v0.86.2, 88.5.3 (tag of 2026-08-21) → v0.93.1. Looked up 2026-12-06.
        app_versions={"79.7.1": "v0.86.2", "88.5.3": "v0.93.1"},
    ),
    CrdChart(
        chart=KARPENTER_CHART,
        version=KARPENTER_VERSION,
        app="Karpenter",
        # aws/karpenter-provider-aws releases chart and controller from one tag with one version (charts/karpenter
        # and pkg/apis/crds at vX.Y.Z): 1.8.1 → 1.8.1, 1.14.1 (tag of 2026-08-20) → 1.14.1. Looked up 2026-12-06, as
        # the table of shared/crds/README.md lists them.
        app_versions={"1.8.1": "1.8.1", "1.14.1": "1.14.1"},
    ),
)
"""The charts whose CRDs define the custom resources the program registers (metrics-server ships none)."""
