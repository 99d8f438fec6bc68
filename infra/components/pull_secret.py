"""An image pull Secret (``kubernetes.io/dockerconfigjson``) in the stack's namespace, from a registry credential the
platform created (DigitalOcean's read-only registry credential); the pods that run the workload image name it in
``imagePullSecrets``. The document stays a secret end to end: Pulumi state encrypts it, the Secret holds it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import labels

SECRET_NAME = "genepool-registry"


@dataclass(frozen=True)
class ImagePullSecretArgs:
    namespace: pulumi.Input[str]
    docker_config: pulumi.Output[str]
    """Secret Output: the ``.dockerconfigjson`` document."""


class ImagePullSecret(pulumi.ComponentResource):
    name: str
    """The Secret's name, for ``imagePullSecrets``."""

    def __init__(self, name: str, args: ImagePullSecretArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:ImagePullSecret", name, None, opts)
        k8s.core.v1.Secret(
            f"{name}-secret",
            metadata={"name": SECRET_NAME, "namespace": args.namespace, "labels": labels.PART_OF},
            type="kubernetes.io/dockerconfigjson",
            string_data={".dockerconfigjson": args.docker_config},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = SECRET_NAME
        self.register_outputs({})
