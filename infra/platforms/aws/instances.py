"""The EC2 instance types the Karpenter NodePools may launch, and what pods can request on each (allocatable).

``TABLE`` holds, per type, nominal vCPUs and memory (GiB) and the ENIs and IPv4 addresses per ENI (under the VPC CNI
they bound the pod IPs a node can hand out). Prices live in ``infra/platforms/prices.py``. A :class:`PoolShape` is
what a NodePool admits, written as Karpenter requirements (category, generation, family, vCPU range); the types it
admits are the rows of ``TABLE`` it matches, and because the shape also lists its families, Karpenter admits no type
that is not in the table.

Allocatable (what the scheduler, and Karpenter's launch simulation, leave for our pods), as EKS AL2023 AMIs and
Karpenter compute it:

- max pods = :data:`KUBELET_MAX_PODS` (110) on every type: the EC2NodeClass sets ``kubelet.maxPods`` to it, so
  Karpenter reserves for 110 pods instead of its ENI-derived figure (234 on a 4xlarge), and this check and
  Karpenter's launch simulation agree. The VPC CNI runs with prefix delegation (``cluster.py``), so every type of
  the table can give 110 pods an IP (:attr:`InstanceType.pod_ips`);
- kube-reserved CPU = 6% of the first core + 1% of the second + 0.5% of the third and fourth + 0.25% of each other;
- kube-reserved memory = 11 MiB × max pods + 255 MiB;
- eviction threshold ``memory.available`` = 100 MiB;
- memory capacity = nominal × (1 − 7.5%): Karpenter's ``VM_MEMORY_OVERHEAD_PERCENT`` default, the share the
  hypervisor and kernel keep — Karpenter launches no node for a pod that does not fit this figure;
- DaemonSet overhead = the requests of the per-node agents (aws-node with its network-policy agent, kube-proxy,
  ebs-csi-node, eks-pod-identity-agent, Prometheus' node-exporter), a rounded-up allowance of
  :data:`DAEMONSET_CPU_M` and :data:`DAEMONSET_MEMORY_MIB`.

allocatable = capacity − kube-reserved − eviction threshold − DaemonSet overhead (CPU in millicores, memory in MiB).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from infra.config import StackConfigError

EVICTION_MEMORY_MIB = 100
VM_MEMORY_OVERHEAD = 0.075
DAEMONSET_CPU_M = 250
DAEMONSET_MEMORY_MIB = 300
KUBELET_MAX_PODS = 110
"""``kubelet.maxPods`` of the EC2NodeClass, and the max pods the sizing assumes (the Kubernetes default)."""
IPV4_PREFIX_ADDRESSES = 16
"""Addresses per /28 prefix the VPC CNI assigns per ENI slot under prefix delegation."""
SIZING_CPU_MARGIN = 0.02
SIZING_MEMORY_MARGIN = 0.05
"""Share of a type's allocatable CPU and memory a pod must leave free for the type to count as fitting: the figures
above are a model (the VM overhead is Karpenter's 7.5% estimate, the DaemonSet allowance is rounded, and agents'
requests grow with upgrades), so a pod within 5% of the memory (2% of the CPU, whose reservation formula is exact)
is not trusted to fit."""
MIN_INSTANCE_TYPES = 15
"""``minValues`` of the Ray workers' instance-type requirement: Karpenter's spot-to-spot consolidation and
price-capacity-optimized spot allocation need at least this many types (each type is one spot capacity pool)."""


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: int
    enis: int
    ips_per_eni: int

    @property
    def family(self) -> str:
        return self.name.split(".")[0]

    @property
    def category(self) -> str:
        return _FAMILY.match(self.family).group(1)  # type: ignore[union-attr]

    @property
    def generation(self) -> int:
        return int(_FAMILY.match(self.family).group(2))  # type: ignore[union-attr]

    @property
    def max_pods(self) -> int:
        """Pods the kubelet admits (``kubelet.maxPods``), what kube-reserved memory is computed for."""
        return KUBELET_MAX_PODS

    @property
    def pod_ips(self) -> int:
        """Pod IPs the VPC CNI can assign with prefix delegation: a /28 per secondary address slot of each ENI."""
        return self.enis * (self.ips_per_eni - 1) * IPV4_PREFIX_ADDRESSES

    @property
    def kube_reserved_cpu_m(self) -> float:
        shares = [60.0, 10.0, 5.0, 5.0] + [2.5] * max(self.vcpus - 4, 0)
        return sum(shares[: self.vcpus])

    @property
    def allocatable_cpu_m(self) -> int:
        return int(self.vcpus * 1000 - self.kube_reserved_cpu_m - DAEMONSET_CPU_M)

    @property
    def allocatable_memory_mib(self) -> int:
        capacity = self.memory_gib * 1024 * (1 - VM_MEMORY_OVERHEAD)
        kube_reserved = 11 * self.max_pods + 255
        return int(capacity - kube_reserved - EVICTION_MEMORY_MIB - DAEMONSET_MEMORY_MIB)


_FAMILY = re.compile(r"^([a-z]+?)(\d+)[a-z-]*$")


def _sizes(family: str, memory_per_vcpu: int) -> list[InstanceType]:
    """``family`` at xlarge … 16xlarge (Nitro c/m families share ENI limits by size)."""
    limits = {4: (4, 15), 8: (4, 15), 16: (8, 30), 32: (8, 30), 48: (8, 30), 64: (15, 50)}
    names = {4: "xlarge", 8: "2xlarge", 16: "4xlarge", 32: "8xlarge", 48: "12xlarge", 64: "16xlarge"}
    return [InstanceType(f"{family}.{names[vcpus]}", vcpus, vcpus * memory_per_vcpu, *limits[vcpus]) for vcpus in names]


TABLE: dict[str, InstanceType] = {
    t.name: t
    for family, memory_per_vcpu in (("c6i", 2), ("c6a", 2), ("c7i", 2), ("m6i", 4), ("m6a", 4), ("m7i", 4))
    for t in _sizes(family, memory_per_vcpu)
}
"""x86-64 Nitro types of compute (c, 2 GiB/vCPU) and general-purpose (m, 4 GiB/vCPU) families, generations 6–7."""


@dataclass(frozen=True)
class PoolShape:
    """What a NodePool admits: instance categories, generation above ``min_generation − 1``, families and an
    inclusive vCPU range; ``min_types`` becomes the instance-type requirement's ``minValues``."""

    categories: tuple[str, ...]
    min_generation: int
    families: tuple[str, ...]
    min_vcpus: int
    max_vcpus: int
    min_types: int = 1

    def admits(self, instance: InstanceType) -> bool:
        return (
            instance.category in self.categories
            and instance.generation >= self.min_generation
            and instance.family in self.families
            and self.min_vcpus <= instance.vcpus <= self.max_vcpus
        )

    def instance_types(self) -> list[InstanceType]:
        """The admitted types, smallest first."""
        return sorted(
            (t for t in TABLE.values() if self.admits(t)), key=lambda t: (t.vcpus, t.allocatable_memory_mib, t.name)
        )

    def requirements(self) -> list[dict[str, Any]]:
        """Karpenter NodePool requirements (``karpenter.sh/v1``) for this shape (amd64 Linux)."""
        return [
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": list(self.categories)},
            {
                "key": "karpenter.k8s.aws/instance-generation",
                "operator": "Gt",
                "values": [str(self.min_generation - 1)],
            },
            {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": list(self.families)},
            {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": [str(self.min_vcpus - 1)]},
            {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Lt", "values": [str(self.max_vcpus + 1)]},
            {"key": "node.kubernetes.io/instance-type", "operator": "Exists", "minValues": self.min_types},
        ]


WORKER_FAMILIES: tuple[str, ...] = ("c6i", "c6a", "c7i", "m6a")
"""Compute-leaning x86-64 families of generation 6+ (the dearest vCPU among them bounds the workers' cost)."""


def _worker_shape(vcpus: int) -> PoolShape:
    return PoolShape(("c", "m"), 6, WORKER_FAMILIES, vcpus, 4 * vcpus, MIN_INSTANCE_TYPES)


def worker_shape(reference: str) -> PoolShape:
    """The Ray workers' pool for the reference type ``cluster.workerPool.instanceType``: :data:`WORKER_FAMILIES`
    from the reference's vCPUs up to four times as many (Karpenter bin-packs workers onto bigger nodes when they are
    cheaper per vCPU); at least :data:`MIN_INSTANCE_TYPES` types."""
    shape = _worker_shape(lookup("cluster.workerPool.instanceType", reference).vcpus)
    admitted = shape.instance_types()
    if len(admitted) < MIN_INSTANCE_TYPES:
        workable = sorted(
            {t.vcpus for t in TABLE.values() if len(_worker_shape(t.vcpus).instance_types()) >= MIN_INSTANCE_TYPES}
        )
        raise StackConfigError(
            "cluster.workerPool.instanceType",
            f"{reference} gives a Ray worker pool of {len(admitted)} instance types "
            f"({', '.join(t.name for t in admitted)}); spot capacity needs at least {MIN_INSTANCE_TYPES}: pick a "
            f"reference type with {' or '.join(map(str, workable))} vCPUs",
        )
    return shape


ON_DEMAND_SHAPE = PoolShape(("m",), 6, ("m6i", "m6a", "m7i"), 4, 4)
"""The ``on-demand`` pool (the Ray head): general-purpose xlarge nodes, 4 vCPU / 16 GiB."""
STATEFUL_SHAPE = PoolShape(("m",), 6, ("m6i", "m6a", "m7i"), 4, 8)
"""The ``stateful`` pool (EBS-backed pods): general-purpose xlarge and 2xlarge nodes."""
SYSTEM_SHAPE = PoolShape(("m",), 6, ("m6i", "m6a", "m7i"), 4, 8)
"""The ``system`` NodePool (the API beyond the managed node group): general-purpose xlarge and 2xlarge nodes."""


def lookup(key: str, name: str) -> InstanceType:
    try:
        return TABLE[name]
    except KeyError:
        raise StackConfigError(
            key,
            f"instance type {name!r} is not in the instance table (infra/platforms/aws/instances.py): "
            f"one of {', '.join(TABLE)}",
        ) from None


def fits(instance: InstanceType, cpu_m: float, memory_mib: float) -> bool:
    """Whether a pod requesting ``cpu_m`` millicores and ``memory_mib`` MiB fits ``instance`` with the sizing
    margins (:data:`SIZING_CPU_MARGIN`, :data:`SIZING_MEMORY_MARGIN`)."""
    return cpu_m <= instance.allocatable_cpu_m * (
        1 - SIZING_CPU_MARGIN
    ) and memory_mib <= instance.allocatable_memory_mib * (1 - SIZING_MEMORY_MARGIN)


def check_fits(pool: str, shape: PoolShape, cpu_key: str, cpu_m: float, memory_key: str, memory_mib: float) -> None:
    """A :class:`StackConfigError` unless a pod requesting ``cpu_m`` millicores and ``memory_mib`` MiB fits, with the
    sizing margins, at least ``shape.min_types`` (the pool's ``minValues``) of the types ``pool`` admits: Karpenter
    launches nothing for the pod when fewer remain. The error names the key that is short (CPU when the CPU is, else
    memory), the count, and each type too small with its allocatable figure."""
    admitted = shape.instance_types()
    too_small = [t for t in admitted if not fits(t, cpu_m, memory_mib)]
    if len(admitted) - len(too_small) >= shape.min_types:
        return
    cpu_short = any(cpu_m > t.allocatable_cpu_m * (1 - SIZING_CPU_MARGIN) for t in too_small)
    if cpu_short:
        key, request = cpu_key, f"{cpu_m:g}m CPU"
        figures = [f"{t.name} (allocatable CPU {t.allocatable_cpu_m}m)" for t in too_small]
        margin = SIZING_CPU_MARGIN
    else:
        key, request = memory_key, f"{memory_mib:g}Mi memory"
        figures = [
            f"{t.name} (allocatable memory {t.allocatable_memory_mib}Mi, {t.allocatable_memory_mib / 1024:.2f}Gi)"
            for t in too_small
        ]
        margin = SIZING_MEMORY_MARGIN
    raise StackConfigError(
        key,
        f"a pod requesting {request} fits {len(admitted) - len(too_small)} of the {len(admitted)} instance types of "
        f"the {pool} NodePool with a {margin:.0%} margin, and the pool needs {shape.min_types} (minValues); too "
        f"small: {', '.join(figures)}; allocatable is what is left after the VM overhead, kube-reserved for "
        f"{KUBELET_MAX_PODS} pods, the eviction threshold and DaemonSets",
    )
