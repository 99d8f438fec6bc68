"""The AWS node pools as data: the system managed node group and the three Karpenter NodePools, where each class of
pod goes, and the preview-time check that the Ray pods fit the instance types their pool admits.

- ``system`` (EKS managed node group, on-demand, ``cluster.systemPool``): Karpenter itself, CoreDNS, the operators
  and the API. Karpenter cannot run on the nodes it manages.
- ``ray-workers`` (Karpenter, label ``genepool.io/pool=workers``): spot first, on-demand when spot is short, tainted
  ``genepool.io/spot=true:NoSchedule`` (only Ray workers tolerate it: a pod there may lose its node with two
  minutes' notice); its CPU limit is ``workerPool.maxNodes`` × the reference type's vCPUs, the share of the cost
  ceiling the workers may spend (see ``cost.py``).
- ``on-demand`` (Karpenter, ``genepool.io/pool=on-demand``): the Ray head, annotated ``karpenter.sh/do-not-disrupt``
  and never consolidated or expired.
- ``stateful`` (Karpenter, ``genepool.io/pool=stateful``): pods with EBS volumes (TimescaleDB, Prometheus, Grafana,
  in-cluster Redis). Karpenter launches the node in the zone of the pod's volume (``WaitForFirstConsumer`` binds a
  new volume to the zone the pod lands in), so a pod whose node goes away can always be rescheduled.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import StackConfig, cpu_cores, quantity_bytes, required
from infra.labels import SPOT_TAINT_KEY
from infra.platforms import Scheduling
from infra.platforms.aws.instances import ON_DEMAND_SHAPE, STATEFUL_SHAPE, PoolShape, check_fits, worker_shape

POOL_LABEL = "genepool.io/pool"
DO_NOT_DISRUPT = {"karpenter.sh/do-not-disrupt": "true"}
ZONES = 3
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

    @property
    def max_nodes(self) -> int:
        """The most nodes the CPU limit allows (all of the smallest admitted type)."""
        return self.cpu_limit // self.shape.min_vcpus


def karpenter_pools(config: StackConfig) -> tuple[KarpenterPool, KarpenterPool, KarpenterPool]:
    """(ray-workers, on-demand, stateful) for this stack."""
    workers = required(config.cluster.worker_pool, "cluster.workerPool")
    shape = worker_shape(workers.instance_type)
    return (
        KarpenterPool(
            "ray-workers",
            "workers",
            shape,
            ("spot", "on-demand") if workers.spot else ("on-demand",),
            workers.max_nodes * shape.min_vcpus,
        ),
        KarpenterPool("on-demand", "on-demand", ON_DEMAND_SHAPE, ("on-demand",), ON_DEMAND_SHAPE.max_vcpus),
        KarpenterPool("stateful", "stateful", STATEFUL_SHAPE, ("on-demand",), ZONES * STATEFUL_SHAPE.min_vcpus),
    )


SYSTEM = Scheduling(node_selector={POOL_LABEL: "system"})
WORKERS = Scheduling(
    node_selector={POOL_LABEL: "workers"},
    tolerations=[{"key": SPOT_TAINT_KEY, "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
)
HEAD = Scheduling(node_selector={POOL_LABEL: "on-demand"}, annotations=DO_NOT_DISRUPT)
STATEFUL = Scheduling(node_selector={POOL_LABEL: "stateful"})


def check_sizing(config: StackConfig) -> None:
    """A ConfigError at preview when a Ray worker or the Ray head (with its autoscaler sidecar) cannot fit every
    instance type of its pool."""
    workers, on_demand, _ = karpenter_pools(config)
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
