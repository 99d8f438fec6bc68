"""The pod templates a Kubernetes resource carries, as the policies see them (input properties, camelCase)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

PodTemplate = tuple[str, Mapping[str, Any], bool]
"""(where, pod spec, runs to completion)."""


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def pod_templates(resource_type: str, props: Mapping[str, Any]) -> Iterator[PodTemplate]:
    """(where, pod spec, runs to completion) for every pod template a Kubernetes resource carries."""
    kind, spec = kind_of(resource_type), props.get("spec") or {}
    if not resource_type.startswith("kubernetes:"):
        return
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        yield kind, spec["template"]["spec"], False
    elif kind == "Job":
        yield kind, spec["template"]["spec"], True
    elif kind == "CronJob":
        yield kind, spec["jobTemplate"]["spec"]["template"]["spec"], True
    elif kind == "Pod":
        yield kind, spec, False
    elif kind == "RayCluster":
        yield "RayCluster head", spec["headGroupSpec"]["template"]["spec"], False
        for group in spec.get("workerGroupSpecs") or []:
            yield f"RayCluster group {group.get('groupName')}", group["template"]["spec"], False


def containers(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
