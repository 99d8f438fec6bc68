"""Prod (AWS) least privilege: Karpenter's controller policy is upstream's reference with no ``IfExists`` way into
the account's other instance profiles, no pod reaches a node's instance metadata, and the VPC CNI's permissions
reach ``aws-node`` through Pod Identity instead of the node roles."""

from __future__ import annotations

import fnmatch
import json

import pytest

from infra.platforms.aws import iam

from .conftest import NODE_CLASS, computed_outputs, plain

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CLUSTER_TAG = "kubernetes.io/cluster/genepool-prod"

REFERENCE_SIDS = {
    "AllowScopedEC2InstanceAccessActions",
    "AllowScopedEC2LaunchTemplateAccessActions",
    "AllowScopedEC2InstanceActionsWithTags",
    "AllowScopedResourceCreationTagging",
    "AllowScopedResourceTagging",
    "AllowScopedDeletion",
    "AllowPassingInstanceRole",
    "AllowScopedInstanceProfileCreationActions",
    "AllowScopedInstanceProfileTagActions",
    "AllowScopedInstanceProfileActions",
    "AllowAPIServerEndpointDiscovery",
    "AllowInterruptionQueueActions",
    "AllowZonalShiftStatusReadOnly",
    "AllowRegionalReadActions",
    "AllowSSMReadActions",
    "AllowPricingReadActions",
    "AllowUnscopedInstanceProfileListAction",
    "AllowInstanceProfileReadActions",
}
"""The statements of Karpenter's reference CloudFormation template at v1.14.1 (aws/karpenter-provider-aws,
website/content/en/preview/getting-started/getting-started-with-karpenter/cloudformation.yaml)."""


def controller_policy(prod) -> dict:
    return json.loads(prod.named("aws:iam/rolePolicy:RolePolicy", "karpenter-controller").inputs["policy"])


def condition_holds(operator: str, key: str, expected, context: dict[str, str]) -> bool:
    """IAM's semantics for the condition operators the policy uses: a missing key fails a plain operator and
    passes an ``IfExists`` one."""
    values = expected if isinstance(expected, list) else [expected]
    if key not in context:
        return operator.endswith("IfExists")
    actual = context[key]
    if operator.startswith("StringLike"):
        return any(fnmatch.fnmatchcase(actual, pattern) for pattern in values)
    return actual in values


def allows(policy: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether an Allow statement grants ``action`` on ``resource`` with these request/resource tags."""
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if action not in actions or not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        conditions = statement.get("Condition", {})
        if all(
            condition_holds(operator, key, expected, context)
            for operator, block in conditions.items()
            if not operator.startswith("ForAllValues")
            for key, expected in block.items()
        ):
            return True
    return False


PROFILE = "arn:aws:iam::123456789012:instance-profile/someone-elses-profile"
OURS = {
    f"aws:ResourceTag/{CLUSTER_TAG}": "owned",
    "aws:ResourceTag/topology.kubernetes.io/region": "eu-west-1",
    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "default",
}


@pytest.mark.parametrize(
    "action", ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"]
)
def test_karpenter_cannot_touch_an_untagged_instance_profile_of_the_account(prod, action):
    policy = controller_policy(prod)
    assert not allows(policy, action, PROFILE, {})
    assert allows(policy, action, PROFILE, OURS)


def test_karpenter_cannot_touch_an_instance_profile_of_another_cluster_or_region(prod):
    policy = controller_policy(prod)
    other_region = {**OURS, "aws:ResourceTag/topology.kubernetes.io/region": "us-east-1"}
    other_cluster = {k: v for k, v in OURS.items() if CLUSTER_TAG not in k}
    for context in (other_region, other_cluster):
        assert not allows(policy, "iam:DeleteInstanceProfile", PROFILE, context)


def test_karpenter_creates_instance_profiles_only_tagged_as_this_clusters(prod):
    policy = controller_policy(prod)
    request = {
        f"aws:RequestTag/{CLUSTER_TAG}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": "genepool-prod",
        "aws:RequestTag/topology.kubernetes.io/region": "eu-west-1",
        "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "default",
    }
    assert allows(policy, "iam:CreateInstanceProfile", PROFILE, request)
    assert not allows(policy, "iam:CreateInstanceProfile", PROFILE, {})


def test_no_instance_profile_statement_uses_an_if_exists_condition(prod):
    for statement in controller_policy(prod)["Statement"]:
        resources = json.dumps(statement["Resource"])
        if "instance-profile" in resources and statement["Resource"] != "*":
            assert not [op for op in statement.get("Condition", {}) if "IfExists" in op], statement["Sid"]


def test_karpenter_policy_has_the_statements_of_the_upstream_reference(prod):
    assert {s["Sid"] for s in controller_policy(prod)["Statement"]} == REFERENCE_SIDS


def test_karpenter_instance_profiles_are_scoped_to_the_clusters_account(prod):
    statements = {s["Sid"]: s for s in controller_policy(prod)["Statement"]}
    assert statements["AllowScopedInstanceProfileActions"]["Resource"] == (
        "arn:aws:iam::123456789012:instance-profile/*"
    )


def test_an_arn_without_an_account_is_refused():
    with pytest.raises(ValueError, match="not an EKS cluster ARN"):
        iam.arn_parts("arn:aws:eks:::genepool-prod")


# --- instance metadata


def test_system_nodes_answer_instance_metadata_only_to_the_node(prod):
    template = plain(prod.named("aws:ec2/launchTemplate:LaunchTemplate", "system-nodes").inputs)
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert template["metadataOptions"]["httpTokens"] == "required"


def test_every_node_answers_instance_metadata_only_to_the_node(prod):
    hop_limits = [
        plain(t.inputs)["metadataOptions"]["httpPutResponseHopLimit"]
        for t in prod.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    ] + [plain(c.inputs["spec"])["metadataOptions"]["httpPutResponseHopLimit"] for c in prod.of_type(NODE_CLASS)]
    assert hop_limits and set(hop_limits) == {1}


def test_karpenter_reads_its_region_from_the_environment_not_instance_metadata(prod):
    values = plain(prod.named("kubernetes:helm.sh/v3:Release", "karpenter-release").inputs["values"])
    assert {"name": "AWS_REGION", "value": "eu-west-1"} in values["controller"]["env"]


# --- the VPC CNI through Pod Identity


def test_the_vpc_cni_gets_its_permissions_through_pod_identity(prod):
    association = prod.named(ASSOCIATION, "vpc-cni").inputs
    assert (association["namespace"], association["serviceAccount"]) == ("kube-system", "aws-node")
    role = prod.named(ROLE, "vpc-cni-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert association["roleArn"] == computed_outputs(ROLE, role.name, role.inputs)["arn"]
    attachment = prod.named(ATTACHMENT, "vpc-cni-role-AmazonEKS_CNI_Policy").inputs
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"


def test_no_node_role_carries_the_cni_policy(prod):
    node_roles = {r.inputs["name"] for r in prod.of_type(ROLE) if "ec2.amazonaws.com" in r.inputs["assumeRolePolicy"]}
    carried = [a.inputs["policyArn"] for a in prod.of_type(ATTACHMENT) if a.inputs.get("role") in node_roles]
    assert carried and not [arn for arn in carried if arn.endswith("AmazonEKS_CNI_Policy")]


def test_system_nodes_start_only_once_the_cni_has_its_identity(prod):
    assert prod.depends_on("aws:eks/nodeGroup:NodeGroup", "system", ASSOCIATION, "vpc-cni")
