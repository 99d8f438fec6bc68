"""Ray: the KubeRay operator (Helm, pinned, on system nodes) and the long-lived RayCluster evolution runs use.

- CRDs: KubeRay publishes no CRD-only chart, so the RayCluster, RayJob and RayCronJob CRDs are applied from the
  operator's release tag (``versions.kuberay_crd_urls``, the files of the chart's ``crds/``) before the operator,
  and upgraded with it (Helm never upgrades a chart's CRDs: a RayCluster CRD left at an older release prunes newer
  fields such as ``upgradeStrategy``); the operator release skips its CRDs.

- Head on on-demand nodes (the platform's ``head`` placement, annotated ``karpenter.sh/do-not-disrupt`` on AWS) with
  ``num-cpus: "0"``: it schedules no tasks, so it never competes with the
  evaluation actors, and a head on spot would get stuck Pending or take the whole cluster down with its node.
- One worker group (``minReplicas`` 0 by default) targeting the workers' nodes (spot where the cloud has it: node
  selector + toleration from the platform), resources from ``genepool:ray``; ``preStop: ray stop`` and a grace period
  so a spot reclaim drains the node's actors (the evolution backend retries what was in flight).
- In-tree autoscaling: the Ray autoscaler adds workers when actors are pending and removes idle ones. The worker
  group sets no ``replicas`` (KubeRay keeps it within min/max): the autoscaler owns the count, so ``pulumi up``
  never scales workers down under a running evolution.
- Upgrades: ``upgradeStrategy: Recreate`` (KubeRay 1.6 and later): when the RayCluster spec changes (a new
  ``genepool:image``, settings, resources), KubeRay deletes every Ray pod and creates them from the new spec, so the
  head, where drivers run, never keeps old code. A running evolution's job dies with the head; its scheduled slot's
  submitter notices and resubmits it with ``--resume`` from its database checkpoint (``workloads.evolution.schedule``).
- Disruption: the head has no PodDisruptionBudget (one pod: a budget could only block or allow every drain), so a
  deliberate ``kubectl drain`` or a managed node-group upgrade moves it; its pod carries
  ``karpenter.sh/do-not-disrupt`` and ``cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`` so neither autoscaler
  moves it on its own to consolidate nodes. Workers drain one at a time (PDB ``maxUnavailable: 1``).
- Token authentication (``RAY_AUTH_MODE=token``, Ray 2.52 and later) with a generated token from a Secret, set on every
  Ray container and on every client (API, evolution CronJobs) through :attr:`Ray.auth_env`.
- Ray's metrics (port 8080, named ``metrics``) are scraped by the PodMonitor in ``monitoring.py``.
- Evolution drivers run on the head (``ray job submit``); the i-th scheduled symbol's driver serves its metrics on
  :func:`driver_metrics_port` ``(i)`` (9500 + i), declared on the head container as ``evolve-<i>`` and scraped by the
  ``ray-drivers`` PodMonitor. Between runs nothing listens there (the target is down).
Every Ray container runs the workload image, so drivers and workers import the same ``workloads`` package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components.common import (
    SETTINGS_CHECKSUM_ANNOTATION,
    TMP_MOUNT,
    WORKLOAD_ENV,
    container_security,
    deep_merge,
    load_values,
    password,
    pod_security,
    pull_secrets,
    resources,
)
from infra.config import RayConfig
from infra.platforms import Scheduling

RAY_TMP_VOLUME = {"name": "tmp", "emptyDir": {}}
"""The Ray pods' /tmp (``common.TMP_MOUNT``): Ray's session directory and logs (``/tmp/ray``) and ``GENEPOOL_HOME``.
No size limit: Ray's logs on a long-lived head would otherwise get the pod evicted; they already lived unbounded in
the container's writable layer before."""
RAY_UID = 1000
"""The ``ray`` user of the rayproject/ray base image (and so of the workload image)."""
CLIENT_PORT = 10001
DASHBOARD_PORT = 8265
GCS_PORT = 6379
METRICS_PORT = 8080
WORKER_GRACE_SECONDS = 120
AUTOSCALER_CPU = "200m"
AUTOSCALER_MEMORY = "512Mi"
"""Requests of the Ray autoscaler sidecar in the head pod (the AWS sizing check adds them to the head's)."""
DRIVER_METRICS_PORT_BASE = 9500
"""``genepool evolve --metrics-port`` of the first scheduled symbol's driver; the i-th uses this + i."""


def driver_metrics_port(index: int) -> int:
    """Metrics port of the driver of the ``index``-th scheduled symbol (its drivers run on the head)."""
    return DRIVER_METRICS_PORT_BASE + index


def driver_metrics_port_name(index: int) -> str:
    """Name of :func:`driver_metrics_port` on the head container (what the PodMonitor scrapes)."""
    return f"evolve-{index}"


HEAD_ANNOTATIONS = {
    "karpenter.sh/do-not-disrupt": "true",
    "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
}
"""Keep Karpenter and the Cluster Autoscaler from evicting the head to consolidate nodes (drains still move it)."""
UPGRADE_STRATEGY = {"type": "Recreate"}
"""RayCluster ``spec.upgradeStrategy``: recreate all pods when the spec changes (KubeRay 1.6 and later)."""

HEAD_HEALTH = (
    "wget -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success && "
    "wget -T 2 -q -O- http://localhost:8265/api/gcs_healthz | grep success"
)
WORKER_HEALTH = "wget -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success"
AUTH_MODE_ENV = {"name": "RAY_AUTH_MODE", "value": "token"}
AUTH_TOKEN_VAR = "RAY_AUTH_TOKEN"
"""Token authentication: every Ray container and client gets ``AUTH_MODE_ENV`` and the token in ``AUTH_TOKEN_VAR``."""
WORKER_START_PARAMS = {"metrics-export-port": str(METRICS_PORT)}
"""``rayStartParams`` of the workers: KubeRay turns each into ``--key=value`` on ``ray start``."""
HEAD_START_PARAMS = {"num-cpus": "0", "dashboard-host": "0.0.0.0", **WORKER_START_PARAMS}
"""``rayStartParams`` of the head: it schedules no tasks (``num-cpus`` 0) and serves the dashboard/job API to the
cluster."""


def head_host(namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """DNS name of the head Service KubeRay creates for our cluster (``<cluster>-head-svc``)."""
    return labels.service_host(f"{labels.RAY_CLUSTER}-head-svc", namespace)


def client_address(namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """The Ray client address of our cluster (the app's ``ray_address``), known before the cluster exists."""
    return pulumi.Output.concat("ray://", head_host(namespace), f":{CLIENT_PORT}")


def probes(command: str) -> dict[str, Any]:
    check = {
        "exec": {"command": ["bash", "-c", command]},
        "timeoutSeconds": 5,
        "periodSeconds": 10,
        "failureThreshold": 12,
    }
    return {
        "livenessProbe": {**check, "initialDelaySeconds": 30},
        "readinessProbe": {**check, "initialDelaySeconds": 10},
    }


def scheduling_fields(scheduling: Scheduling) -> dict[str, Any]:
    return {"nodeSelector": scheduling.node_selector, "tolerations": scheduling.tolerations}


@dataclass(frozen=True)
class RayArgs:
    namespace: pulumi.Input[str]
    config: RayConfig
    image: pulumi.Input[str]
    system: Scheduling
    """Where the KubeRay operator runs."""
    head: Scheduling
    workers: Scheduling
    app_env: list[dict[str, Any]] = field(default_factory=list)
    """``GENEPOOL_*`` settings for drivers (jobs run their entrypoint on the head) and workers."""
    drivers: int = 0
    """Scheduled evolution drivers (one per symbol): the head declares :func:`driver_metrics_port` for each."""
    settings_checksum: pulumi.Input[str] | None = None
    """``common.settings_checksum`` of what ``app_env`` refers to: on both pod templates, so a settings change is a
    spec change and recreates the Ray pods."""
    image_pull_secrets: list[str] = field(default_factory=list)
    """Names of the namespace's image pull Secrets the pods pull the workload image with (empty where the nodes may
    pull by themselves, or on a local cluster)."""
    database_ready: list[pulumi.Resource] = field(default_factory=list)
    """What must complete before drivers may use the database (a managed database's grant step): the RayCluster
    waits for it."""


def head_container(args: RayArgs, env: list[dict[str, Any]]) -> dict[str, Any]:
    """The head's Ray container: GCS, dashboard, client and metrics ports plus one metrics port per scheduled
    driver, ``ray stop`` before it stops."""
    return {
        "name": "ray-head",
        "image": args.image,
        "env": env,
        "ports": [
            {"name": "gcs-server", "containerPort": GCS_PORT},
            {"name": "dashboard", "containerPort": DASHBOARD_PORT},
            {"name": "client", "containerPort": CLIENT_PORT},
            {"name": "metrics", "containerPort": METRICS_PORT},
            *(
                {"name": driver_metrics_port_name(i), "containerPort": driver_metrics_port(i)}
                for i in range(args.drivers)
            ),
        ],
        "resources": resources(args.config.head_cpu, args.config.head_memory),
        "securityContext": container_security(),
        "volumeMounts": [TMP_MOUNT],
        "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "ray stop"]}}},
        **probes(HEAD_HEALTH),
    }


def worker_container(args: RayArgs, env: list[dict[str, Any]]) -> dict[str, Any]:
    """A worker's Ray container: the metrics port, ``ray stop`` before it stops (draining its actors)."""
    return {
        "name": "ray-worker",
        "image": args.image,
        "env": env,
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
        "resources": resources(args.config.worker_cpu, args.config.worker_memory),
        "securityContext": container_security(),
        "volumeMounts": [TMP_MOUNT],
        "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "ray stop"]}}},
        **probes(WORKER_HEALTH),
    }


def settings_annotation(args: RayArgs) -> dict[str, pulumi.Input[str]]:
    """The settings checksum annotation both pod templates carry (none without a checksum)."""
    return {} if args.settings_checksum is None else {SETTINGS_CHECKSUM_ANNOTATION: args.settings_checksum}


def head_template(args: RayArgs, env: list[dict[str, Any]]) -> dict[str, Any]:
    """The head's pod template: on the ``head`` placement, annotated so no autoscaler evicts it on its own."""
    return {
        "metadata": {
            "labels": labels.PART_OF,
            "annotations": {**args.head.annotations, **HEAD_ANNOTATIONS, **settings_annotation(args)},
        },
        "spec": {
            "securityContext": pod_security(RAY_UID),
            **scheduling_fields(args.head),
            **pull_secrets(args.image_pull_secrets),
            "volumes": [RAY_TMP_VOLUME],
            "containers": [head_container(args, env)],
        },
    }


def worker_template(args: RayArgs, env: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' pod template: on the ``workers`` placement, :data:`WORKER_GRACE_SECONDS` to drain."""
    return {
        "metadata": {
            "labels": labels.PART_OF,
            "annotations": {**args.workers.annotations, **settings_annotation(args)},
        },
        "spec": {
            "securityContext": pod_security(RAY_UID),
            **scheduling_fields(args.workers),
            **pull_secrets(args.image_pull_secrets),
            "terminationGracePeriodSeconds": WORKER_GRACE_SECONDS,
            "volumes": [RAY_TMP_VOLUME],
            "containers": [worker_container(args, env)],
        },
    }


def ray_cluster_spec(
    config: RayConfig, auth_env: list[dict[str, Any]], head: dict[str, Any], workers: dict[str, Any]
) -> dict[str, Any]:
    """The RayCluster spec: Recreate upgrades, the in-tree autoscaler (a token client), the head group of
    ``head`` and one worker group of ``workers`` between ``ray.minWorkers`` and ``ray.maxWorkers``."""
    return {
        "rayVersion": versions.RAY_VERSION,
        "upgradeStrategy": UPGRADE_STRATEGY,
        "enableInTreeAutoscaling": True,
        "autoscalerOptions": {
            "upscalingMode": "Default",
            "idleTimeoutSeconds": 300,
            "env": auth_env,
            "resources": resources(AUTOSCALER_CPU, AUTOSCALER_MEMORY, "500m", "1Gi"),
            "securityContext": container_security(),
        },
        "headGroupSpec": {
            "serviceType": "ClusterIP",
            "rayStartParams": HEAD_START_PARAMS,
            "template": head,
        },
        "workerGroupSpecs": [
            {
                "groupName": "workers",
                "minReplicas": config.min_workers,
                "maxReplicas": config.max_workers,
                "rayStartParams": WORKER_START_PARAMS,
                "template": workers,
            }
        ],
    }


class Ray(pulumi.ComponentResource):
    crds: k8s.yaml.v2.ConfigGroup
    """The KubeRay CRDs at the operator's release tag."""
    address: pulumi.Output[str]
    """``ray://genepool-head-svc.<namespace>.svc.cluster.local:10001`` (Ray client; the app's ``ray_address``)."""
    dashboard_url: pulumi.Output[str]
    """``http://…:8265``: where ``ray job submit`` sends jobs."""
    auth_env: list[dict[str, Any]]
    """Env entries that make a container a Ray token-authenticated client of this cluster."""

    def __init__(self, name: str, args: RayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Ray", name, None, opts)
        self.operator = self._operator(name, args)
        self.auth_env = self._auth_env(name, args)
        env = [*self.auth_env, *args.app_env, *WORKLOAD_ENV]
        self.head_template = head_template(args, env)
        self.worker_template = worker_template(args, env)
        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="ray.io/v1",
            kind="RayCluster",
            metadata={"namespace": args.namespace, "labels": labels.PART_OF, "name": labels.RAY_CLUSTER},
            spec=ray_cluster_spec(args.config, self.auth_env, self.head_template, self.worker_template),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.crds, self.operator, *args.database_ready]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-workers-pdb",
            metadata={"namespace": args.namespace, "labels": labels.PART_OF, "name": "ray-workers"},
            spec={
                "maxUnavailable": 1,
                "selector": {"matchLabels": {"ray.io/cluster": labels.RAY_CLUSTER, "ray.io/node-type": "worker"}},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.address = client_address(args.namespace)
        self.dashboard_url = pulumi.Output.concat("http://", head_host(args.namespace), f":{DASHBOARD_PORT}")
        self.register_outputs({"address": self.address, "dashboard_url": self.dashboard_url})

    def _operator(self, name: str, args: RayArgs) -> k8s.helm.v3.Release:
        """The operator's namespace, the KubeRay CRDs (:attr:`crds`) and the operator release after them."""
        operator_namespace = k8s.core.v1.Namespace(
            f"{name}-operator-namespace",
            metadata={"name": labels.KUBERAY_NAMESPACE, "labels": labels.PART_OF},
            opts=pulumi.ResourceOptions(parent=self),
        ).metadata.name
        self.crds = k8s.yaml.v2.ConfigGroup(
            f"{name}-crds", files=versions.kuberay_crd_urls(), opts=pulumi.ResourceOptions(parent=self)
        )
        return k8s.helm.v3.Release(
            f"{name}-kuberay-operator",
            k8s.helm.v3.ReleaseArgs(
                name="kuberay-operator",
                chart=versions.KUBERAY_OPERATOR_CHART,
                version=versions.KUBERAY_OPERATOR_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.KUBERAY_OPERATOR_REPO),
                namespace=operator_namespace,
                values=deep_merge(load_values("kuberay-operator.yaml"), scheduling_fields(args.system)),
                skip_crds=True,
                atomic=True,
                timeout=600,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.crds]),
        )

    def _auth_env(self, name: str, args: RayArgs) -> list[dict[str, Any]]:
        """The generated token's Secret ``ray-auth``, and the env that makes a container a client with it."""
        token = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata={"namespace": args.namespace, "labels": labels.PART_OF, "name": "ray-auth"},
            string_data={"auth_token": password(f"{name}-token", self, length=48)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        token_ref = {"secretKeyRef": {"name": token.metadata.name, "key": "auth_token"}}
        return [AUTH_MODE_ENV, {"name": AUTH_TOKEN_VAR, "valueFrom": token_ref}]
