"""The staging stack's image registry: a DigitalOcean Container Registry (DOCR) and a read-only pull credential.

DOCR names are global and an account has one registry, so its name is config (``genepool:registry.name``). The
pods pull with a ``kubernetes.io/dockerconfigjson`` Secret the program creates in the stack's namespace
(``infra/components/pull_secret.py``) from ``ContainerRegistryDockerCredentials`` with ``write: false``: the
credential can only read, lives only in Pulumi's encrypted state and that Secret, and every pod that runs the
workload image names it in ``imagePullSecrets``. (The DOKS "registry integration" would add a secret to every
namespace's default service account instead; an explicit secret on the pods is what the tests can check.)
Rotate it with ``pulumi up --replace`` on the credentials resource (docs/delivery.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_digitalocean as do

from infra import images


@dataclass(frozen=True)
class ContainerRegistryArgs:
    name: str
    tier: str
    """Subscription tier slug: ``starter`` | ``basic`` | ``professional``."""
    region: str


class ContainerRegistry(pulumi.ComponentResource):
    repository_url: str
    docker_config: pulumi.Output[str]
    """Secret: a ``.dockerconfigjson`` document that may pull (only) from this registry."""

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:digitalocean:ContainerRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        registry = do.ContainerRegistry(
            "registry", name=args.name, subscription_tier_slug=args.tier, region=args.region, opts=child
        )
        credentials = do.ContainerRegistryDockerCredentials(
            "pull-credentials", registry_name=registry.name, write=False, opts=child
        )
        self.repository_url = images.docr_repository(args.name)
        self.docker_config = pulumi.Output.secret(credentials.docker_credentials)
        self.register_outputs({"repository_url": self.repository_url})
