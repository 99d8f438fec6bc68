"""The VPC CNI's AWS permissions through EKS Pod Identity instead of the node role.

``aws-node`` (the VPC CNI, namespace ``kube-system``) attaches ENIs and assigns pod IPs, which needs
``AmazonEKS_CNI_Policy``. Given to the node roles, every pod that reaches a node's instance metadata could use it;
here it is a role of its own, assumed by ``pods.eks.amazonaws.com`` and bound to the ``aws-node`` service account by
a pod identity association, and the node roles no longer carry it (:data:`~infra.platforms.aws.iam.NODE_POLICIES`).
``aws-node`` and the Pod Identity agent run on the host network, so the credentials reach the CNI with the nodes'
instance metadata closed to pods (hop limit 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.platforms.aws import iam

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-node"
CNI_POLICY = "AmazonEKS_CNI_Policy"


@dataclass(frozen=True)
class VpcCniIdentityArgs:
    cluster_name: pulumi.Input[str]


class VpcCniIdentity(pulumi.ComponentResource):
    association: aws.eks.PodIdentityAssociation
    """Exists once ``kube-system/aws-node`` gets the CNI role's credentials: what nodes wait for."""

    def __init__(self, name: str, args: VpcCniIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:VpcCniIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = iam.role(f"{name}-role", iam.POD_IDENTITY_SERVICE, (CNI_POLICY,), child)
        self.association = aws.eks.PodIdentityAssociation(
            name,
            cluster_name=args.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            opts=child,
        )
        self.register_outputs({})
