"""Cost allocation: every taggable cloud resource carries the ``project`` and ``stack`` tags (``infra.labels``).

AWS: every AWS provider the stack uses sets them as default tags (the provider applies them to every taggable
resource it manages, so no resource can forget), and every EC2NodeClass tags the instances and volumes Karpenter
launches (those are not the provider's resources). DigitalOcean: the cluster, its node pools and the managed
databases carry ``project:…`` and ``stack:…`` tags.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from infra.labels import COST_TAG_KEYS

DO_TAGGED = (
    "digitalocean:index/kubernetesCluster:KubernetesCluster",
    "digitalocean:index/kubernetesNodePool:KubernetesNodePool",
    "digitalocean:index/databaseCluster:DatabaseCluster",
)


def missing(tags: dict[str, str] | None) -> list[str]:
    return [key for key in COST_TAG_KEYS if not (tags or {}).get(key)]


def provider_default_tags(props: Mapping[str, Any]) -> dict[str, str] | None:
    """``defaultTags.tags`` of an AWS provider's inputs (providers receive object-valued settings JSON-encoded)."""
    default_tags = props.get("defaultTags") or {}
    if isinstance(default_tags, str):
        default_tags = json.loads(default_tags)
    return default_tags.get("tags")


def cost_allocation_tags(args: StackValidationArgs, report: ReportViolation) -> None:
    uses_aws = any(r.resource_type.startswith("aws:") for r in args.resources)
    for resource in args.resources:
        kind, props = resource.resource_type, resource.props
        if kind == "pulumi:providers:aws" and uses_aws:
            absent = missing(provider_default_tags(props))
            if absent:
                report(f"{resource.name}: the AWS provider's default tags lack {', '.join(absent)}", resource.urn)
        elif kind == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
            absent = missing((props.get("spec") or {}).get("tags"))
            if absent:
                report(f"{resource.name}: instances Karpenter launches lack the tags {', '.join(absent)}", resource.urn)
        elif kind in DO_TAGGED:
            keys = {str(tag).split(":", 1)[0] for tag in props.get("tags") or [] if ":" in str(tag)}
            absent = [key for key in COST_TAG_KEYS if key not in keys]
            if absent:
                report(f"{resource.name}: tags lack {', '.join(f'{key}:…' for key in absent)}", resource.urn)
