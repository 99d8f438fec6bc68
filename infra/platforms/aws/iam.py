"""IAM for the EKS cluster: roles and the policy documents of the Karpenter controller.

Least privilege through EKS Pod Identity: the node roles carry only what a kubelet needs (:data:`NODE_POLICIES`);
the controllers that act on AWS get their own roles, assumed by ``pods.eks.amazonaws.com`` and bound to one service
account each by a pod identity association (Karpenter's controller, the EBS CSI driver's controller). So a pod on a
node (Ray user code included) cannot terminate instances or delete volumes with the node's credentials.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)
"""AWS managed policies of a node role, and the only ones (the policy pack's ``node-role-least-privilege``)."""
CLUSTER_POLICIES: tuple[str, ...] = ("AmazonEKSClusterPolicy",)
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def managed_policy_arn(policy: str) -> str:
    return f"arn:aws:iam::aws:policy/{policy}"


def trust_policy(service: str) -> str:
    """An assume-role policy for ``service`` (Pod Identity also needs ``sts:TagSession``)."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if service == POD_IDENTITY_SERVICE else "sts:AssumeRole"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
        }
    )


def role(
    name: str,
    service: str,
    policies: tuple[str, ...],
    opts: pulumi.ResourceOptions,
    role_name: str | None = None,
) -> aws.iam.Role:
    """A role ``service`` assumes with the AWS managed ``policies`` attached (``role_name`` fixes its IAM name)."""
    created = aws.iam.Role(name, name=role_name, assume_role_policy=trust_policy(service), opts=opts)
    for policy in policies:
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.split('/')[-1]}", role=created.name, policy_arn=managed_policy_arn(policy), opts=opts
        )
    return created


def karpenter_controller_policy(
    cluster_name: str, region: str, cluster_arn: str, queue_arn: str, node_role_arn: str
) -> str:
    """The Karpenter controller's permissions (after Karpenter v1's reference policy): launch and tag instances and
    launch templates only for this cluster's NodePools, terminate only instances it tagged as this cluster's, read
    instance types, prices and AMI parameters, drain the interruption queue, pass the Karpenter node role, and manage
    the instance profiles it creates for that role."""
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster_name,
    }
    ec2 = f"arn:aws:ec2:{region}:*"
    launched = [
        f"{ec2}:{kind}/*"
        for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    ]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": [f"arn:aws:ec2:{region}::image/*", f"arn:aws:ec2:{region}::snapshot/*"]
            + [f"{ec2}:{kind}/*" for kind in ("security-group", "subnet", "capacity-reservation")],
        },
        {
            "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": f"{ec2}:launch-template/*",
            "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowScopedEC2InstanceActionsWithTags",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Resource": launched,
            "Condition": {
                "StringEquals": request_owned,
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceCreationTagging",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": launched,
            "Condition": {
                "StringEquals": {
                    **request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceTagging",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": f"{ec2}:instance/*",
            "Condition": {
                "StringEquals": owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "AllowScopedDeletion",
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Resource": [f"{ec2}:instance/*", f"{ec2}:launch-template/*"],
            "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowRegionalReadActions",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "AllowSSMReadActions",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
        },
        {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
        {
            "Sid": "AllowInterruptionQueueActions",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
            ],
            "Resource": "arn:aws:iam::*:instance-profile/*",
            "Condition": {
                "StringEqualsIfExists": {
                    f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned",
                    f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
                    "aws:ResourceTag/topology.kubernetes.io/region": region,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                "StringLikeIfExists": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowInstanceProfileReadActions",
            "Effect": "Allow",
            "Action": ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"],
            "Resource": "*",
        },
        {
            "Sid": "AllowAPIServerEndpointDiscovery",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": cluster_arn,
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
