"""Upgrades that work: EKS versions resolved for the cluster's minor and applied in the documented order (control
plane → node add-ons → node group → pod add-ons → Karpenter), and every operator's CRDs their own resources,
applied before the operator, which skips them. Dependencies are the ones the engine receives (conftest.py)."""

from __future__ import annotations

import json

import pytest

from .conftest import AMI_RELEASE, EKS_ADDON_VERSIONS, Deployment, plain

CLUSTER = ("aws:eks/cluster:Cluster", "cluster")
NODE_GROUP = ("aws:eks/nodeGroup:NodeGroup", "system")
NODE_ADDONS = ("kube-proxy", "vpc-cni", "pod-identity-agent")
POD_ADDONS = ("coredns", "ebs-csi")
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"


def waits_for(deployment: Deployment, resource: tuple[str, str], on: tuple[str, str]) -> bool:
    return deployment.depends_on(*resource, *on)


def test_prod_stays_on_standard_support(prod):
    assert prod.named(*CLUSTER).inputs["upgradePolicy"] == {"supportType": "STANDARD"}


def test_every_eks_addon_is_managed_at_the_newest_version_for_the_cluster_minor(prod):
    addons = {plain(r.inputs)["addonName"]: plain(r.inputs) for r in prod.of_type(ADDON)}
    assert {name: addon["addonVersion"] for name, addon in addons.items()} == EKS_ADDON_VERSIONS
    lookups = [args for token, args in prod.invoke_args if token == "aws:eks/getAddonVersion:getAddonVersion"]
    assert sorted(args["addonName"] for args in lookups) == sorted(EKS_ADDON_VERSIONS)
    assert all(args["kubernetesVersion"] == "1.36" and args["mostRecent"] is True for args in lookups)


def test_the_system_node_group_follows_the_cluster_minor_and_the_recommended_ami(prod):
    group = prod.named(*NODE_GROUP).inputs
    assert group["version"] == "1.36" and group["releaseVersion"] == AMI_RELEASE
    assert group["amiType"] == "AL2023_x86_64_STANDARD"
    parameter = "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/recommended/release_version"
    assert ("aws:ssm/getParameter:getParameter", {"name": parameter}) in prod.invoke_args


@pytest.mark.parametrize("addon", NODE_ADDONS + POD_ADDONS)
def test_addons_upgrade_after_the_control_plane(prod, addon):
    assert waits_for(prod, (ADDON, addon), CLUSTER)


@pytest.mark.parametrize("addon", NODE_ADDONS)
def test_the_node_group_upgrades_after_the_node_addons(prod, addon):
    assert waits_for(prod, NODE_GROUP, (ADDON, addon))
    assert waits_for(prod, NODE_GROUP, CLUSTER)


@pytest.mark.parametrize("addon", POD_ADDONS)
def test_addons_running_as_pods_follow_the_node_group(prod, addon):
    assert waits_for(prod, (ADDON, addon), NODE_GROUP)


def test_karpenter_and_its_drift_follow_the_node_group_and_every_addon(prod):
    crds = (RELEASE, "karpenter-crds")
    assert waits_for(prod, crds, NODE_GROUP)
    for addon in NODE_ADDONS + POD_ADDONS:
        assert waits_for(prod, crds, (ADDON, addon)), addon
    assert waits_for(prod, (RELEASE, "karpenter-release"), crds)
    assert waits_for(
        prod, ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "karpenter-node-class"), (RELEASE, "karpenter-release")
    )


def test_the_order_check_can_fail_on_a_reversed_edge(prod):
    assert not waits_for(prod, CLUSTER, NODE_GROUP)
    assert not waits_for(prod, (ADDON, "kube-proxy"), NODE_GROUP)


CRDS_BEFORE_OPERATORS = [
    ("prod", (RELEASE, "karpenter-crds"), (RELEASE, "karpenter-release")),
    ("dev", (RELEASE, "monitoring-prometheus-operator-crds"), (RELEASE, "monitoring-kube-prometheus-stack")),
    ("dev", ("kubernetes:yaml/v2:ConfigGroup", "ray-crds"), (RELEASE, "ray-kuberay-operator")),
]


@pytest.mark.parametrize(("stack_name", "crds", "operator"), CRDS_BEFORE_OPERATORS)
def test_each_operators_crds_are_applied_before_the_operator(request, stack_name, crds, operator):
    deployment: Deployment = request.getfixturevalue(stack_name)
    assert waits_for(deployment, operator, crds)


@pytest.mark.parametrize("operator", ["karpenter-release", "monitoring-kube-prometheus-stack", "ray-kuberay-operator"])
def test_operator_releases_skip_their_crds(prod, operator):
    assert prod.named(RELEASE, operator).inputs["skipCrds"] is True


def test_kube_prometheus_stack_installs_no_crds_through_its_values(dev):
    values = plain(dev.named(RELEASE, "monitoring-kube-prometheus-stack").inputs["values"])
    assert values["crds"]["enabled"] is False


def test_crd_releases_move_with_their_operators(dev, prod):
    from infra import versions

    karpenter = prod.named(RELEASE, "karpenter-crds").inputs
    assert (karpenter["chart"], karpenter["version"]) == (versions.KARPENTER_CRD_CHART, versions.KARPENTER_VERSION)
    ray_crds = dev.named("kubernetes:yaml/v2:ConfigGroup", "ray-crds").inputs["files"]
    assert ray_crds == versions.kuberay_crd_urls() and all(
        f"/v{versions.KUBERAY_OPERATOR_VERSION}/" in u for u in ray_crds
    )
    crds = dev.named(RELEASE, "monitoring-prometheus-operator-crds").inputs
    assert crds["version"] == versions.PROMETHEUS_OPERATOR_CRDS_VERSION


def test_custom_resources_wait_for_their_operator_and_crds(dev):
    cluster = ("kubernetes:ray.io/v1:RayCluster", "ray-cluster")
    assert waits_for(dev, cluster, ("kubernetes:yaml/v2:ConfigGroup", "ray-crds"))
    assert waits_for(dev, cluster, (RELEASE, "ray-kuberay-operator"))
    for monitor in dev.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor"):
        assert waits_for(dev, (monitor.type, monitor.name), (RELEASE, "monitoring-kube-prometheus-stack"))


def test_karpenters_controller_may_read_what_karpenter_1_14_checks():
    from infra.platforms.aws import iam

    cluster_arn = "arn:aws:eks:eu-west-1:123456789012:cluster/c"
    policy = json.loads(iam.karpenter_controller_policy("c", "eu-west-1", cluster_arn, "arn:queue", "arn:role"))
    (reads,) = [s for s in policy["Statement"] if s["Sid"] == "AllowRegionalReadActions"]
    # Instance status health checks in the interruption controller (1.12+), placement groups (1.11+).
    assert {"ec2:DescribeInstanceStatus", "ec2:DescribePlacementGroups"} <= set(reads["Action"])
