"""Pinned versions of everything the program deploys (images by tag, Helm charts by version).

Bump here, in one place; the tests assert nothing floats (no ``latest``, every chart has a version). The Ray version
must match the Ray in the workload image (``images/workload.Dockerfile`` builds FROM the same tag).
"""

from __future__ import annotations

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
