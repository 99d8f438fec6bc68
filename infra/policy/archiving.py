"""A cloud stack's in-cluster database archives its WAL (docs/backups.md): the stack-level policy
``in-cluster-database-archived``, the policy-pack side of the preview's config check on
``timescaledb.walArchive.enabled``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from infra import labels
from infra.policy.pods import containers

CLOUD_CLUSTERS = frozenset({"aws:eks/cluster:Cluster", "digitalocean:index/kubernetesCluster:KubernetesCluster"})
"""A stack with one of these runs on a cloud (dev's local cluster registers none)."""
ARCHIVE_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "digitalocean:index/spacesBucket:SpacesBucket"})
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def server_settings(container: Mapping[str, Any]) -> dict[str, str]:
    """The ``-c key=value`` settings of a container's arguments."""
    args = list(container.get("args") or [])
    return dict(
        value.split("=", 1) for flag, value in zip(args, args[1:], strict=False) if flag == "-c" and "=" in value
    )


def archiving_problem(template: Mapping[str, Any]) -> str | None:
    """Why a database pod template does not archive WAL with pgBackRest (None when it does)."""
    for container in containers(template.get("spec") or {}):
        settings = server_settings(container)
        if not settings:
            continue
        if settings.get("archive_mode") != "on":
            return "runs PostgreSQL without archive_mode=on"
        if "pgbackrest" not in settings.get("archive_command", "") or "archive-push" not in settings["archive_command"]:
            return "archives with something other than pgbackrest archive-push"
        return None
    return "runs no PostgreSQL with -c settings"


def in_cluster_database_archived(args: StackValidationArgs, report: ReportViolation) -> None:
    """On a cloud, the in-cluster TimescaleDB's StatefulSet archives WAL with pgBackRest, and the stack has the
    object-storage bucket it archives to."""
    types = {resource.resource_type for resource in args.resources}
    if not types & CLOUD_CLUSTERS:
        return
    database = labels.app(labels.TIMESCALEDB)
    for resource in args.resources:
        if resource.resource_type != STATEFUL_SET:
            continue
        template = (resource.props.get("spec") or {}).get("template") or {}
        template_labels = (template.get("metadata") or {}).get("labels") or {}
        if any(template_labels.get(key) != value for key, value in database.items()):
            continue
        problem = archiving_problem(template)
        if problem is not None:
            report(f"{resource.name}: the in-cluster database on a cloud {problem} (docs/backups.md)", resource.urn)
        if not types & ARCHIVE_BUCKETS:
            report(
                f"{resource.name}: the in-cluster database on a cloud has no archive bucket in the stack", resource.urn
            )
