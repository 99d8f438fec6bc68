"""The prod stack's image registry: one ECR repository for the workload image.

Tags are immutable (a tag names one image forever; deploys go by digest anyway), every push is scanned, images are
encrypted at rest (AES-256, ECR's default key), and a lifecycle policy keeps the newest ``registry.keepImages``
images, so a rollback can restore any digest among them. The nodes pull with their instance roles, which carry
``AmazonEC2ContainerRegistryReadOnly`` (:data:`~infra.platforms.aws.iam.NODE_POLICIES`): same account, no pull
secret and no repository policy needed. CI pushes with its own OIDC role (docs/delivery.md), never a stored key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


def lifecycle_policy(keep_images: int) -> str:
    """Keep the newest ``keep_images`` images (tagged or not), expire the rest."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the newest {keep_images} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                    "action": {"type": "expire"},
                }
            ]
        }
    )


@dataclass(frozen=True)
class EcrRepositoryArgs:
    name: str
    """Repository name, ``genepool-<stack>/workload``."""
    region: str
    keep_images: int


class EcrRepository(pulumi.ComponentResource):
    repository: aws.ecr.Repository
    repository_url: pulumi.Output[str]
    """``<account>.dkr.ecr.<region>.amazonaws.com/<name>``: where the workload image of this stack lives."""

    def __init__(self, name: str, args: EcrRepositoryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:EcrRepository", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repository = aws.ecr.Repository(
            "workload",
            name=args.name,
            region=args.region,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
            force_delete=False,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            "workload-lifecycle",
            repository=self.repository.name,
            region=args.region,
            policy=lifecycle_policy(args.keep_images),
            opts=child,
        )
        self.repository_url = self.repository.repository_url
        self.register_outputs({"repository_url": self.repository_url})
