"""The AWS node pools as data: the system managed node group and the four Karpenter NodePools, where each class of
pod goes, and the preview-time checks that the pods fit the instance types their pool admits.

Only pods that say so land on the head's and the stateful pods' nodes: those pools are tainted
``genepool.io/pool=<label>:NoSchedule`` and only the Ray head (``on-demand``) and the pods with volumes
(``stateful``) tolerate their pool's taint. Everything else that names no pool (CoreDNS, Helm hook Jobs, add-ons)
can only land on the untainted ``system`` nodes, so it can never take the head's node and keep it.

- ``system`` (EKS managed node group, on-demand, ``cluster.systemPool``, also labelled
  ``genepool.io/node-group=system``): Karpenter itself (which cannot run on the nodes it manages, so it selects the
  node-group label), CoreDNS, the operators and the API.
- ``system`` (Karpenter, label ``genepool.io/pool=system``): more of the same nodes when the managed group is full,
  above all for the API's HorizontalPodAutoscaler. Its CPU limit is what ``api.maxReplicas`` API pods need on the
  admitted type that packs them worst (:func:`api_capacity`), so the HPA's maximum always fits even when the
  managed group has no room left.
- ``ray-workers`` (Karpenter, label ``genepool.io/pool=workers``): spot first, on-demand when spot is short, tainted
  ``genepool.io/spot=true:NoSchedule`` (only Ray workers tolerate it: a pod there may lose its node with two
  minutes' notice); its CPU limit is ``workerPool.maxNodes`` × the reference type's vCPUs, the share of the cost
  ceiling the workers may spend (see ``cost.py``).
- ``on-demand`` (Karpenter, ``genepool.io/pool=on-demand``, tainted): the Ray head, annotated
  ``karpenter.sh/do-not-disrupt`` and never consolidated or expired. Its CPU limit is two heads' nodes: when the
  head's node is lost (an EC2 health event, a failed instance), Karpenter starts the replacement before the old
  node is gone, which a limit of exactly one node would refuse.
- ``stateful`` (Karpenter, ``genepool.io/pool=stateful``, tainted): pods with EBS volumes (TimescaleDB, Prometheus,
  Alertmanager, Grafana, in-cluster Redis). Karpenter launches the node in the zone of the pod's volume
  (``WaitForFirstConsumer`` binds a new volume to the zone the pod lands in), so a pod whose node goes away can
  always be rescheduled; its limit is one node per zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from infra.config import AWS_ZONES, ApiConfig, StackConfig, cpu_cores, quantity_bytes, required
from infra.labels import SPOT_TAINT_KEY
from infra.platforms import Scheduling
from infra.platforms.aws.instances import (
    KUBELET_MAX_PODS,
    ON_DEMAND_SHAPE,
    SIZING_CPU_MARGIN,
    SIZING_MEMORY_MARGIN,
    STATEFUL_SHAPE,
    SYSTEM_SHAPE,
    PoolShape,
    check_fits,
    worker_shape,
)

POOL_LABEL = "genepool.io/pool"
NODE_GROUP_LABEL = "genepool.io/node-group"
"""On the managed node group's nodes only (value ``system``): what the Karpenter controller selects."""
DO_NOT_DISRUPT = {"karpenter.sh/do-not-disrupt": "true"}
ZONES = AWS_ZONES
RAY_AUTOSCALER_CPU_M = 200
RAY_AUTOSCALER_MEMORY_MIB = 512
"""Requests of the Ray autoscaler sidecar KubeRay adds to the head pod (``infra/components/ray.py``)."""


@dataclass(frozen=True)
class KarpenterPool:
    """One Karpenter NodePool: its name, the ``genepool.io/pool`` label of its nodes, the instance types it admits,
    its capacity types (first is preferred) and its CPU limit (vCPUs across all its nodes)."""

    name: str
    label: str
    shape: PoolShape
    capacity_types: tuple[str, ...]
    cpu_limit: int
    taints: tuple[dict[str, str], ...] = field(default=())

    @property
    def max_nodes(self) -> int:
        """The most nodes the CPU limit allows (all of the smallest admitted type)."""
        return self.cpu_limit // self.shape.min_vcpus


def pool_taint(label: str) -> dict[str, str]:
    """The taint on a dedicated pool's nodes: only pods that tolerate it (that belong there) schedule there."""
    return {"key": POOL_LABEL, "value": label, "effect": "NoSchedule"}


def toleration(taint: dict[str, str]) -> dict[str, Any]:
    return {**taint, "operator": "Equal"}


SPOT_TAINT = {"key": SPOT_TAINT_KEY, "value": "true", "effect": "NoSchedule"}
HEAD_TAINT = pool_taint("on-demand")
STATEFUL_TAINT = pool_taint("stateful")
HEADS_DURING_REPLACEMENT = 2
"""The head's node and its replacement, both up while Karpenter replaces a lost node."""


@dataclass(frozen=True)
class ApiCapacity:
    """How the API's HorizontalPodAutoscaler maximum fits the ``system`` NodePool: per admitted type, the API pods
    one node holds (with the sizing margins, at most ``kubelet.maxPods``) and the nodes ``api.maxReplicas`` pods
    need; ``cpu_limit`` is the most vCPUs any admitted type needs for them (whichever types Karpenter picks, the
    limit lets them all in)."""

    pods_per_node: dict[str, int]
    nodes: dict[str, int]
    cpu_limit: int


def api_capacity(api: ApiConfig) -> ApiCapacity:
    """The ``system`` NodePool's sizing for ``api.maxReplicas`` API pods (requests ``api.cpuRequest`` and
    ``api.memoryRequest``); a StackConfigError naming the request key when an API pod fits no admitted type."""
    cpu_m = cpu_cores(api.cpu_request) * 1000
    memory_mib = quantity_bytes(api.memory_request) / 2**20
    check_fits("system", SYSTEM_SHAPE, "api.cpuRequest", cpu_m, "api.memoryRequest", memory_mib)
    pods_per_node: dict[str, int] = {}
    nodes: dict[str, int] = {}
    for instance in SYSTEM_SHAPE.instance_types():
        count = KUBELET_MAX_PODS
        if cpu_m > 0:
            count = min(count, int(instance.allocatable_cpu_m * (1 - SIZING_CPU_MARGIN) // cpu_m))
        if memory_mib > 0:
            count = min(count, int(instance.allocatable_memory_mib * (1 - SIZING_MEMORY_MARGIN) // memory_mib))
        if count:
            pods_per_node[instance.name] = count
            nodes[instance.name] = math.ceil(api.max_replicas / count)
    vcpus = {t.name: t.vcpus for t in SYSTEM_SHAPE.instance_types()}
    return ApiCapacity(pods_per_node, nodes, max(nodes[name] * vcpus[name] for name in nodes))


def karpenter_pools(config: StackConfig) -> tuple[KarpenterPool, KarpenterPool, KarpenterPool, KarpenterPool]:
    """(ray-workers, on-demand, stateful, system) for this stack."""
    workers = required(config.cluster.worker_pool, "cluster.workerPool")
    shape = worker_shape(workers.instance_type)
    return (
        KarpenterPool(
            "ray-workers",
            "workers",
            shape,
            ("spot", "on-demand") if workers.spot else ("on-demand",),
            workers.max_nodes * shape.min_vcpus,
            (SPOT_TAINT,),
        ),
        KarpenterPool(
            "on-demand",
            "on-demand",
            ON_DEMAND_SHAPE,
            ("on-demand",),
            HEADS_DURING_REPLACEMENT * ON_DEMAND_SHAPE.max_vcpus,
            (HEAD_TAINT,),
        ),
        KarpenterPool(
            "stateful",
            "stateful",
            STATEFUL_SHAPE,
            ("on-demand",),
            ZONES * STATEFUL_SHAPE.min_vcpus,
            (STATEFUL_TAINT,),
        ),
        KarpenterPool("system", "system", SYSTEM_SHAPE, ("on-demand",), api_capacity(config.api).cpu_limit),
    )


SYSTEM = Scheduling(node_selector={POOL_LABEL: "system"})
KARPENTER_CONTROLLER = Scheduling(node_selector={POOL_LABEL: "system", NODE_GROUP_LABEL: "system"})
"""Karpenter's own pods: the managed node group only (never a node Karpenter launched)."""
WORKERS = Scheduling(node_selector={POOL_LABEL: "workers"}, tolerations=[toleration(SPOT_TAINT)])
HEAD = Scheduling(
    node_selector={POOL_LABEL: "on-demand"}, tolerations=[toleration(HEAD_TAINT)], annotations=DO_NOT_DISRUPT
)
STATEFUL = Scheduling(node_selector={POOL_LABEL: "stateful"}, tolerations=[toleration(STATEFUL_TAINT)])


def check_sizing(config: StackConfig) -> None:
    """A StackConfigError at preview when a Ray worker, the Ray head (with its autoscaler sidecar) or an API pod fits
    fewer of its pool's instance types than the pool's ``minValues``, with the sizing margins."""
    workers, on_demand, _, _ = karpenter_pools(config)
    ray = config.ray
    check_fits(
        workers.name,
        workers.shape,
        "ray.workerCpu",
        cpu_cores(ray.worker_cpu) * 1000,
        "ray.workerMemory",
        quantity_bytes(ray.worker_memory) / 2**20,
    )
    check_fits(
        on_demand.name,
        on_demand.shape,
        "ray.headCpu",
        cpu_cores(ray.head_cpu) * 1000 + RAY_AUTOSCALER_CPU_M,
        "ray.headMemory",
        quantity_bytes(ray.head_memory) / 2**20 + RAY_AUTOSCALER_MEMORY_MIB,
    )
