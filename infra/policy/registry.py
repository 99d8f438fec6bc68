"""The workload image's registry as a stack policy: on a cloud, pods run only pinned upstream images and images from
the stack's own registry.

The stack's registry is the one it creates: on DigitalOcean the Container Registry
(``registry.digitalocean.com/<name>/…``), on AWS the ECR repository (``<account>.dkr.ecr.<region>.amazonaws.com/
<name>``: its ``repositoryUrl`` once known, else any 12-digit account in the repository's region). Upstream images
are the ones :mod:`infra.versions` pins (``*_IMAGE``); any other container image (the workload's: API, CronJobs,
Ray head and workers) must come from that registry, where the nodes may pull (ECR through the node role) or the
pods carry the pull secret the program creates (DOCR). A stack with a cloud cluster and no registry fails; a stack
without a cloud cluster (dev on kind, where the image is ``kind load``-ed) is exempt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from infra import images, versions
from infra.policy.pods import containers, pod_templates

ECR_REPOSITORY = "aws:ecr/repository:Repository"
DOCR = "digitalocean:index/containerRegistry:ContainerRegistry"
CLOUD_CLUSTERS = frozenset({"aws:eks/cluster:Cluster", "digitalocean:index/kubernetesCluster:KubernetesCluster"})
UPSTREAM_IMAGES: frozenset[str] = frozenset(
    value for name, value in vars(versions).items() if name.endswith("_IMAGE") and isinstance(value, str)
)
"""The third-party images the program pins (Redis, TimescaleDB, exporters, the psql client)."""

Matcher = Callable[[str], bool]


def starts_with(prefix: str) -> Matcher:
    return lambda repository: repository.startswith(prefix)


def equals(url: str) -> Matcher:
    return lambda repository: repository == url


def matches(pattern: re.Pattern[str]) -> Matcher:
    return lambda repository: pattern.match(repository) is not None


def registry_matchers(resources: Iterable[PolicyResource]) -> list[tuple[str, Matcher]]:
    """(description, does this ``[registry/]repository`` belong to it) for each registry the stack creates."""
    found: list[tuple[str, Matcher]] = []
    for r in resources:
        props = r.props
        if r.resource_type == DOCR and props.get("name"):
            prefix = f"{images.DOCR_HOST}/{props['name']}/"
            found.append((f"{prefix}…", starts_with(prefix)))
        elif r.resource_type == ECR_REPOSITORY and props.get("name"):
            url = props.get("repositoryUrl")
            if isinstance(url, str) and url:
                found.append((url, equals(url)))
            else:
                region = re.escape(props.get("region") or "") or r"[a-z0-9-]+"
                pattern = re.compile(rf"^\d{{12}}\.dkr\.ecr\.{region}\.amazonaws\.com/{re.escape(props['name'])}$")
                found.append((pattern.pattern, matches(pattern)))
    return found


def workload_image_from_stack_registry(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    if not any(r.resource_type in CLOUD_CLUSTERS for r in resources):
        return
    registries = registry_matchers(resources)
    if not registries:
        report("a cloud stack must create its own image registry (ECR repository or DigitalOcean registry)", None)
        return
    allowed = " or ".join(description for description, _ in registries)
    for r in resources:
        for where, spec, _ in pod_templates(r.resource_type, r.props):
            for container in containers(spec):
                image = container.get("image") or ""
                if image in UPSTREAM_IMAGES:
                    continue
                repository = images.repository_of(image)
                if repository is None or not any(belongs(repository) for _, belongs in registries):
                    report(
                        f"{r.name}: {where} container {container.get('name')!r}: image {image!r} is not from the "
                        f"stack's own registry ({allowed})",
                        r.urn,
                    )
