"""Container image references: what counts as pinned, for the stack config (``genepool:image``) and the policy pack.

A reference is ``[registry[:port]/]repository[:tag][@sha256:<64 hex>]`` (Docker's grammar, lower-case repository
path). It is **pinned** when it carries a digest, or a tag other than ``latest``. Promotion deploys by digest
(``repo@sha256:…`` or ``repo:tag@sha256:…``), so the image prod runs is byte for byte the one staging ran.
"""

from __future__ import annotations

import re

REFERENCE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
"""A bare image digest: on a cloud stack, ``genepool:image`` may name an image of the stack's own registry by it."""


def is_digest(reference: str) -> bool:
    return DIGEST.match(reference) is not None


def in_registry(reference: str, repository: str) -> str:
    """``reference`` as a full reference: a bare digest becomes ``repository@digest``; anything else is returned as
    it is (the policy pack refuses a full reference outside the stack's registry)."""
    return f"{repository}@{reference}" if is_digest(reference) else reference


WORKLOAD_REPOSITORY = "workload"
"""The workload image's repository name in every registry."""
DOCR_HOST = "registry.digitalocean.com"


def ecr_repository_name(stack: str) -> str:
    """The ECR repository of ``stack``'s workload image (``genepool-<stack>/workload``)."""
    return f"genepool-{stack}/{WORKLOAD_REPOSITORY}"


def docr_repository(registry_name: str) -> str:
    """The workload image's repository in the DigitalOcean Container Registry ``registry_name``."""
    return f"{DOCR_HOST}/{registry_name}/{WORKLOAD_REPOSITORY}"


def repository_of(reference: str) -> str | None:
    """The ``[registry/]repository`` part of a reference (no tag, no digest), or None when it is not one."""
    match = REFERENCE.match(reference)
    return match["name"] if match else None


def pinning_problem(reference: str) -> str | None:
    """Why ``reference`` is not a pinned image reference, or ``None`` when it is."""
    match = REFERENCE.match(reference)
    if not match:
        return "must be an image reference, repo:tag or repo@sha256:<digest>"
    if match["digest"]:
        return None
    if not match["tag"]:
        return "must pin a tag or a digest (repo:tag or repo@sha256:<digest>)"
    if match["tag"] == "latest":
        return "must pin a tag, not 'latest', or a digest"
    return None
