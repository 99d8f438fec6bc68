"""Spot placement policies: Ray workers run on spot where the cloud offers it; nothing else can land there.

The rule is carried by a taint: a Karpenter NodePool that may launch spot capacity must taint its nodes with
``genepool.io/spot`` (so only pods that tolerate it, the Ray workers, land there), the pool that carries that taint
must allow spot, and no StatefulSet (Redis, TimescaleDB, Prometheus, Grafana) tolerates it. The Ray head's side is
``ray-head-on-demand`` in ``policies.py``.

The Ray head's and the stateful pods' pools (label ``genepool.io/pool`` ``on-demand`` or ``stateful``) carry the taint
``genepool.io/pool=<label>:NoSchedule``: without it any pod that names no pool (CoreDNS, a Helm hook) may take such
a node and keep it.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from infra.labels import SPOT_TAINT_KEY

CAPACITY_TYPE = "karpenter.sh/capacity-type"
POOL_LABEL = "genepool.io/pool"
DEDICATED_POOLS = ("on-demand", "stateful")
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"


def capacity_types(node_pool_spec: dict[str, Any]) -> set[str]:
    """The capacity types a NodePool's requirements allow (both when it says nothing: Karpenter's default is
    on-demand only, but a pool that does not say is not trusted to stay off spot)."""
    for requirement in node_pool_spec.get("template", {}).get("spec", {}).get("requirements") or []:
        if requirement.get("key") == CAPACITY_TYPE and requirement.get("operator") == "In":
            return set(requirement.get("values") or [])
    return {"spot", "on-demand"}


def workers_on_spot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != NODE_POOL:
        return
    spec = args.props.get("spec") or {}
    tainted = any(t.get("key") == SPOT_TAINT_KEY for t in spec.get("template", {}).get("spec", {}).get("taints") or [])
    allowed = capacity_types(spec)
    if "spot" in allowed and not tainted:
        report(f"{args.name}: a NodePool that may launch spot must taint its nodes {SPOT_TAINT_KEY}", None)
    if tainted and "spot" not in allowed:
        report(f"{args.name}: the Ray workers' NodePool ({SPOT_TAINT_KEY}) must allow spot capacity", None)


def stateful_off_spot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "kubernetes:apps/v1:StatefulSet":
        return
    pod = ((args.props.get("spec") or {}).get("template") or {}).get("spec") or {}
    if any(t.get("key") == SPOT_TAINT_KEY for t in pod.get("tolerations") or []):
        report(f"{args.name}: a StatefulSet (a database or monitoring volume) must not tolerate spot nodes", None)
    if (pod.get("nodeSelector") or {}).get(CAPACITY_TYPE) == "spot":
        report(f"{args.name}: a StatefulSet must not select spot capacity", None)


def dedicated_pools_tainted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != NODE_POOL:
        return
    template = (args.props.get("spec") or {}).get("template") or {}
    label = ((template.get("metadata") or {}).get("labels") or {}).get(POOL_LABEL)
    if label not in DEDICATED_POOLS:
        return
    wanted = {"key": POOL_LABEL, "value": label, "effect": "NoSchedule"}
    taints = [{k: t.get(k) for k in wanted} for t in (template.get("spec") or {}).get("taints") or []]
    if wanted not in taints:
        report(f"{args.name}: the {label} NodePool must taint its nodes {POOL_LABEL}={label}:NoSchedule", None)
