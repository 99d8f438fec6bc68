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

CLUSTER_AUTOSCALER_CHART = "cluster-autoscaler"
CLUSTER_AUTOSCALER_VERSION = "9.50.1"
"""Cluster Autoscaler for the EKS node groups (chart 9.50.x ships autoscaler 1.33, matching Kubernetes 1.33)."""
CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"

METRICS_SERVER_CHART = "metrics-server"
METRICS_SERVER_VERSION = "3.13.0"
"""metrics-server 0.8.0: the resource metrics API the API's HorizontalPodAutoscaler reads (EKS, DOKS and kind ship
without it)."""
METRICS_SERVER_REPO = "https://kubernetes-sigs.github.io/metrics-server/"

POSTGRES_CLIENT_IMAGE = "postgres:16.6-alpine"
"""psql for the grant step on a managed PostgreSQL (the client matches the server's major version, 16)."""
