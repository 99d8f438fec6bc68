"""The prod (AWS) hourly cost estimate: an upper bound at maximum size, checked against ``costCeilingUsdPerHour``.

What it counts (list prices of ``infra/platforms/prices.py``):

- the EKS control plane at the price of its support state on the day of the preview (standard, or extended
  support's six-fold price while the minor is past standard support: ``versions.support_state``), the NAT
  gateways' hours (one per zone, or ``aws.natGateways``) and the interface endpoints' hours (each endpoint once per
  zone; the S3 gateway endpoint is free);
- the ``system`` node group at ``cluster.systemPool.maxNodes``;
- each Karpenter NodePool at its CPU limit, priced at the dearest vCPU among the types it admits;
- spot/on-demand mix: assumed **all on-demand**. Spot usually costs 60–90% less, but the ``ray-workers`` pool falls
  back to on-demand whenever spot is short, and a bound must hold then too; the real bill is lower by the spot
  share times the spot discount;
- EBS gp3: every node's root volume (``aws.rootVolumeGiB``) at the pools' maximum node counts, and the persistent
  volumes of the in-cluster servers (TimescaleDB, Redis, each Prometheus replica, Grafana) at their configured sizes;
- ElastiCache, when Redis is managed;
- the ingress ALB's hours and :data:`~infra.platforms.prices.AWS_ALB_LCUS` capacity units (docs/ingress.md).

What it leaves out: data transfer (cross-AZ, internet egress), the NAT gateways' and interface endpoints' per-GB
processing charges, CloudWatch Logs ingestion and storage, AWS Backup snapshot storage, KMS keys and requests, SQS
and EventBridge requests, the ALB's capacity units beyond the first, Route53 (hosted zone and queries), public IPv4
addresses, and any discount (savings plans, reserved instances, spot).
"""

from __future__ import annotations

import datetime as dt

from infra import versions
from infra.config import AWS_ZONES, StackConfig, StackConfigError, quantity_bytes, required
from infra.platforms.aws.network import INTERFACE_ENDPOINTS, nat_gateway_count
from infra.platforms.aws.pools import KarpenterPool, karpenter_pools
from infra.platforms.prices import (
    AWS,
    AWS_ALB_HOUR,
    AWS_ALB_LCU_HOUR,
    AWS_ALB_LCUS,
    AWS_EKS_CONTROL_PLANE,
    AWS_EKS_CONTROL_PLANE_EXTENDED,
    AWS_GP3_GB_MONTH,
    AWS_INTERFACE_ENDPOINT_AZ_HOUR,
    AWS_NAT_GATEWAY,
    HOURS_PER_MONTH,
    price,
)


def eks_support_state(config: StackConfig, today: dt.date | None = None) -> str:
    """``standard`` or ``extended`` for the stack's minor on ``today`` (UTC today by default); a StackConfigError naming
    ``cluster.kubernetesVersion`` past the end of extended support, when EKS has already upgraded such clusters."""
    entry = versions.minor_of("aws", config.cluster.kubernetes_version)
    state = versions.support_state(entry, today or dt.datetime.now(dt.UTC).date())
    if state == "ended":
        raise StackConfigError(
            "cluster.kubernetesVersion",
            f"EKS support for {entry.minor} ended {entry.end_of_extended_support}: upgrade the minor",
        )
    return state


def control_plane_price(state: str) -> float:
    """USD/hour of one EKS cluster in support ``state``."""
    return AWS_EKS_CONTROL_PLANE_EXTENDED if state == "extended" else AWS_EKS_CONTROL_PLANE


def pool_vcpu_price(pool: KarpenterPool) -> float:
    """USD/hour of the dearest vCPU among the instance types ``pool`` admits (on-demand)."""
    return max(price(AWS, f"NodePool {pool.name}", t.name) / t.vcpus for t in pool.shape.instance_types())


def persistent_volumes_gib(config: StackConfig) -> float:
    """GiB of the persistent volumes the in-cluster servers claim (one Prometheus volume per replica)."""
    sizes = [config.monitoring.volume_size] * config.monitoring.replicas + [config.monitoring.grafana_volume_size]
    if not config.timescaledb.managed:
        sizes.append(config.timescaledb.volume_size)
    if not config.redis.managed:
        sizes.append(config.redis.volume_size)
    return sum(quantity_bytes(size) for size in sizes) / 2**30


def cost_lines(config: StackConfig, today: dt.date | None = None) -> dict[str, float]:
    """USD/hour per line of the estimate (names as in the module docstring) on ``today`` (UTC today by default)."""
    system = required(config.cluster.system_pool, "cluster.systemPool")
    aws_config = required(config.aws, "aws")
    pools = karpenter_pools(config)
    nodes = system.max_nodes + sum(pool.max_nodes for pool in pools)
    gib = nodes * aws_config.root_volume_gib + persistent_volumes_gib(config)
    lines = {
        "control plane": control_plane_price(eks_support_state(config, today)),
        "NAT gateway hours": nat_gateway_count(AWS_ZONES, aws_config.nat_gateways) * AWS_NAT_GATEWAY,
        "interface endpoint hours": len(INTERFACE_ENDPOINTS) * AWS_ZONES * AWS_INTERFACE_ENDPOINT_AZ_HOUR,
        "system nodes": price(AWS, "cluster.systemPool.instanceType", system.instance_type) * system.max_nodes,
        **{f"NodePool {pool.name}": pool.cpu_limit * pool_vcpu_price(pool) for pool in pools},
        "EBS gp3 volumes": gib * 2**30 / 1e9 * AWS_GP3_GB_MONTH / HOURS_PER_MONTH,
        "ingress load balancer": AWS_ALB_HOUR + AWS_ALB_LCUS * AWS_ALB_LCU_HOUR,
    }
    if config.redis.managed:
        lines["ElastiCache"] = price(
            AWS, "redis.instanceType", required(config.redis.instance_type, "redis.instanceType")
        )
    return lines


def hourly_cost(config: StackConfig, today: dt.date | None = None) -> float:
    """The upper bound of the module docstring, USD/hour, on ``today`` (UTC today by default)."""
    return round(sum(cost_lines(config, today).values()), 4)
