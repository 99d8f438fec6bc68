"""IAM for the EKS cluster: roles and the policy documents of the Karpenter controller.

Least privilege through EKS Pod Identity: the node roles carry only what a kubelet needs (:data:`NODE_POLICIES`);
the controllers that act on AWS get their own roles, assumed by ``pods.eks.amazonaws.com`` and bound to one service
account each by a pod identity association (Karpenter's controller, the EBS CSI driver's controller, the VPC CNI).
Every node's instance metadata answers only the node itself (IMDSv2, hop limit 1), so a pod (Ray user code
included) can neither use the node role nor terminate instances, delete volumes or rewire ENIs.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

NODE_POLICIES: tuple[str, ...] = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly")
"""AWS managed policies of a node role, and the only ones (the policy pack's ``node-role-least-privilege``). The VPC
CNI's ``AmazonEKS_CNI_Policy`` is not among them: it reaches ``aws-node`` through Pod Identity (``cni.py``)."""
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


def pod_identity(
    name: str,
    cluster_name: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """A controller's own role with the inline ``policy``, bound to ``namespace/service_account`` by a pod identity
    association; all three resources are named ``name``. Returns the policy and the association: what the
    controller's release waits for (its pods get credentials only once both exist)."""
    created = aws.iam.Role(name, assume_role_policy=trust_policy(POD_IDENTITY_SERVICE), opts=opts)
    attached = aws.iam.RolePolicy(name, role=created.name, policy=policy, opts=opts)
    association = aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=created.arn,
        opts=opts,
    )
    return [attached, association]


def arn_parts(cluster_arn: str) -> tuple[str, str]:
    """(partition, account) of an EKS cluster ARN (``arn:<partition>:eks:<region>:<account>:cluster/<name>``)."""
    parts = cluster_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[4]:
        raise ValueError(f"not an EKS cluster ARN with an account: {cluster_arn!r}")
    return parts[1], parts[4]


def karpenter_controller_policy(
    cluster_name: str, region: str, cluster_arn: str, queue_arn: str, node_role_arn: str
) -> str:
    """The Karpenter controller's permissions, statement for statement those of Karpenter's reference CloudFormation
    template (aws/karpenter-provider-aws, ``website/content/en/preview/getting-started/getting-started-with-karpenter/
    cloudformation.yaml`` at tag v1.14.1, read December 2026): launch and tag instances and launch templates only for
    this cluster's NodePools, terminate only instances it tagged as this cluster's, read instance types, prices and
    AMI parameters, drain the interruption queue, pass the Karpenter node role, and create, tag and manage only the
    instance profiles it tags as this cluster's in this region. Every tag condition is ``StringEquals``/``StringLike``:
    an instance profile without the tags matches none of them (no ``IfExists``), so the controller cannot touch the
    account's other instance profiles."""
    partition, account = arn_parts(cluster_arn)
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster_name,
    }
    ec2 = f"arn:{partition}:ec2:{region}:*"
    launched = [
        f"{ec2}:{kind}/*"
        for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    ]
    instance_profiles = f"arn:{partition}:iam::{account}:instance-profile/*"
    profile_owned = {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region}
    profile_request = {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": [f"arn:{partition}:ec2:{region}::image/*", f"arn:{partition}:ec2:{region}::snapshot/*"]
            + [f"{ec2}:{kind}/*" for kind in ("security-group", "subnet", "capacity-reservation", "placement-group")],
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
            # Re-tagging running instances of this cluster's NodePools with at most these three keys. The
            # IfExists is upstream's: a request that sets no eks:eks-cluster-name tag is allowed, one that sets it
            # must set this cluster's name; the instance itself must carry this cluster's tags.
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
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        },
        {
            "Sid": "AllowScopedInstanceProfileCreationActions",
            "Effect": "Allow",
            "Action": ["iam:CreateInstanceProfile"],
            "Resource": instance_profiles,
            "Condition": {
                "StringEquals": profile_request,
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileTagActions",
            "Effect": "Allow",
            "Action": ["iam:TagInstanceProfile"],
            "Resource": instance_profiles,
            "Condition": {
                "StringEquals": {**profile_owned, **profile_request},
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            "Resource": instance_profiles,
            "Condition": {
                "StringEquals": profile_owned,
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowAPIServerEndpointDiscovery",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": cluster_arn,
        },
        {
            "Sid": "AllowInterruptionQueueActions",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "AllowZonalShiftStatusReadOnly",
            "Effect": "Allow",
            "Action": ["arc-zonal-shift:GetManagedResource"],
            "Resource": "*",
            "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
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
            "Resource": f"arn:{partition}:ssm:{region}::parameter/aws/service/*",
        },
        {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
        {
            "Sid": "AllowUnscopedInstanceProfileListAction",
            "Effect": "Allow",
            "Action": "iam:ListInstanceProfiles",
            "Resource": "*",
        },
        {
            "Sid": "AllowInstanceProfileReadActions",
            "Effect": "Allow",
            "Action": "iam:GetInstanceProfile",
            "Resource": instance_profiles,
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


LOAD_BALANCER_CONTROLLER_READS: tuple[str, ...] = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:DescribeRouteTables",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeCapacityReservation",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
)
"""What the AWS Load Balancer Controller reads to reconcile an ALB (no resource-level scoping exists for them)."""


def load_balancer_controller_policy(cluster_name: str) -> str:
    """The AWS Load Balancer Controller's permissions: those of its reference policy (kubernetes-sigs/aws-load-
    balancer-controller ``docs/install/iam_policy.json`` at tag v3.5.0, read December 2026) less WAF, Shield and
    Cognito (the release turns those features off), and with every write scoped to what carries the controller's
    cluster tag ``elbv2.k8s.aws/cluster`` **with this cluster's name** (the reference admits any value): it can
    create load balancers, target groups and security groups only tagged as this cluster's, and modify or delete
    only those."""
    cluster_tag = "elbv2.k8s.aws/cluster"
    owned = {"StringEquals": {f"aws:ResourceTag/{cluster_tag}": cluster_name}}
    requested = {"StringEquals": {f"aws:RequestTag/{cluster_tag}": cluster_name}}
    load_balancers = [
        "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
    ]
    listeners = [
        "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
        "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
        "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
        "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
    ]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {"Sid": "Read", "Effect": "Allow", "Action": list(LOAD_BALANCER_CONTROLLER_READS), "Resource": "*"},
        {
            "Sid": "CreateSecurityGroupsInTheVpc",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": "*",
        },
        {
            "Sid": "TagNewSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {**requested, "StringEqualsIfExists": {"ec2:CreateAction": "CreateSecurityGroup"}},
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateTags",
                "ec2:DeleteTags",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": owned,
        },
        {
            "Sid": "OpenNodeSecurityGroupsToOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}},
        },
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": "*",
            "Condition": requested,
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": load_balancers,
            "Condition": {
                **requested,
                "StringEqualsIfExists": {
                    "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
                },
            },
        },
        {
            "Sid": "ManageOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
            ],
            "Resource": load_balancers,
            "Condition": owned,
        },
        {
            "Sid": "ManageListenersAndTargets",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            "Resource": listeners,
        },
        {
            "Sid": "RegisterTargets",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
