"""Ordering: every in-cluster resource waits for what "cluster ready" means, so nothing races the nodes on create and
destroy removes workloads before nodes.

The dependencies are the ones the engine receives (``RegisterResource``'s ``dependencies``, recorded by the test
monitor in conftest.py). A resource depends on the readiness resources directly or through an ancestor: a child
registers only after its component, whose own ``depends_on`` the engine honours first on create and last on
destroy."""

from __future__ import annotations

import pytest

from .conftest import Deployment, Registered

PROD_READY = {
    ("aws:eks/nodeGroup:NodeGroup", "system"),
    ("aws:eks/addon:Addon", "kube-proxy"),
    ("aws:eks/addon:Addon", "vpc-cni"),
    ("aws:eks/addon:Addon", "pod-identity-agent"),
    ("aws:eks/addon:Addon", "coredns"),
    ("aws:eks/addon:Addon", "ebs-csi"),
    ("kubernetes:storage.k8s.io/v1:StorageClass", "gp3-encrypted"),
    ("kubernetes:storage.k8s.io/v1:StorageClass", "gp3-encrypted-backup"),
    ("kubernetes:helm.sh/v3:Release", "karpenter-crds"),
    ("kubernetes:helm.sh/v3:Release", "karpenter-release"),
    ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "karpenter-node-class"),
    ("kubernetes:karpenter.sh/v1:NodePool", "karpenter-pool-ray-workers"),
    ("kubernetes:karpenter.sh/v1:NodePool", "karpenter-pool-on-demand"),
    ("kubernetes:karpenter.sh/v1:NodePool", "karpenter-pool-stateful"),
}
"""Prod's readiness resources (type, name): the system node group, the add-ons, the storage classes, Karpenter's
CRD and controller releases, EC2NodeClass and NodePools."""
STAGING_READY = {
    ("digitalocean:index/kubernetesCluster:KubernetesCluster", "cluster"),
    ("digitalocean:index/kubernetesNodePool:KubernetesNodePool", "workers"),
}


def effective_dependencies(deployment: Deployment, resource: Registered) -> set[str]:
    """URNs ``resource`` depends on itself or through any ancestor component."""
    by_urn = deployment.by_urn()
    found: set[str] = set()
    current: Registered | None = resource
    while current is not None:
        found |= current.dependencies
        current = by_urn.get(current.parent)
    return found


def workloads(deployment: Deployment, ready: set[str]) -> list[Registered]:
    """The in-cluster resources the program deploys on top of the platform (not the readiness ones themselves)."""
    platform_components = {r.urn for r in deployment.resources if r.type.startswith("genepool:aws:")}
    return [
        r
        for r in deployment.resources
        if r.type.startswith("kubernetes:") and r.urn not in ready and r.parent not in platform_components
    ]


@pytest.mark.parametrize(("stack_name", "expected"), [("prod", PROD_READY), ("staging", STAGING_READY)])
def test_every_in_cluster_resource_depends_on_every_readiness_resource(request, stack_name, expected):
    deployment: Deployment = request.getfixturevalue(stack_name)
    ready = {deployment.named(type_, name).urn for type_, name in expected}
    in_cluster = workloads(deployment, ready)
    assert len(in_cluster) > 20
    missing = {r.name: sorted(ready - effective_dependencies(deployment, r)) for r in in_cluster}
    assert {name: urns for name, urns in missing.items() if urns} == {}


def test_the_namespace_depends_on_readiness_directly(prod):
    namespace = prod.named("kubernetes:core/v1:Namespace", "namespace")
    assert {prod.named(type_, name).urn for type_, name in PROD_READY} <= namespace.dependencies


def test_karpenter_node_pools_wait_for_the_release_that_installs_their_crds(prod):
    release = prod.named("kubernetes:helm.sh/v3:Release", "karpenter-release").urn
    for pool in prod.of_type("kubernetes:karpenter.sh/v1:NodePool"):
        assert release in pool.dependencies, pool.name


def test_karpenter_starts_after_the_system_nodes_and_its_pod_identity(prod):
    release = prod.named("kubernetes:helm.sh/v3:Release", "karpenter-release")
    needs = {
        prod.named("aws:eks/nodeGroup:NodeGroup", "system").urn,
        prod.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller").urn,
        prod.named("aws:iam/rolePolicy:RolePolicy", "karpenter-controller").urn,
    }
    assert needs <= release.dependencies


def test_the_dependency_check_can_fail_on_a_resource_without_dependencies(prod):
    orphan = Registered("kubernetes:core/v1:ConfigMap", "orphan", {}, "", urn="urn:orphan", parent="")
    ready = {prod.named(type_, name).urn for type_, name in PROD_READY}
    assert not ready <= effective_dependencies(prod, orphan)
