"""Every policy passes on the resources each shipped stack registers and fails on a broken one."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from infra.policy.policies import POLICIES, STACK_VALIDATORS, VALIDATORS

from .conftest import REPOSITORY, Registered, plain


def violations(policy: str, resource_type: str, props: dict[str, Any], name: str = "resource") -> list[str]:
    args = ResourceValidationArgs(
        resource_type=resource_type,
        props=props,
        urn=f"urn:pulumi:test::genepool::{resource_type}::{name}",
        name=name,
        opts=PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
        provider=None,
    )
    found: list[str] = []
    VALIDATORS[policy][1](args, lambda message, urn=None: found.append(message))
    return found


def policy_resource(r: Registered) -> PolicyResource:
    return PolicyResource(
        resource_type=r.type,
        props=plain(r.inputs),
        urn=r.urn,
        name=r.name,
        opts=PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
        provider=None,
        parent=None,
        dependencies=[],
        property_dependencies={},
    )


def stack_resources(registrations: list[Registered]) -> list[PolicyResource]:
    """The stack as a stack policy sees it: each resource with the resources it depends on (by the URNs the engine
    recorded)."""
    resources = [policy_resource(r) for r in registrations]
    by_urn = {resource.urn: resource for resource in resources}
    for resource, registration in zip(resources, registrations, strict=True):
        resource.dependencies = [by_urn[urn] for urn in registration.dependencies if urn in by_urn]
    return resources


def stack_violations(policy: str, resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []
    STACK_VALIDATORS[policy][1](StackValidationArgs(resources), lambda message, urn=None: found.append(message))
    return found


def registered(deployment, type_: str) -> Registered:
    return deployment.of_type(type_)[0]


def broken(deployment, type_: str, change) -> dict[str, Any]:
    props = copy.deepcopy(plain(registered(deployment, type_).inputs))
    change(props)
    return props


def api_container(props: dict[str, Any]) -> dict[str, Any]:
    return props["spec"]["template"]["spec"]["containers"][0]


DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RAY = "kubernetes:ray.io/v1:RayCluster"


def test_the_pack_serves_every_validator():
    assert [policy.name for policy in POLICIES] == [*VALIDATORS, *STACK_VALIDATORS]
    assert (REPOSITORY / "infra" / "policy" / "PulumiPolicy.yaml").is_file()


@pytest.mark.parametrize("policy", list(VALIDATORS))
def test_policy_passes_on_every_resource_of_the_shipped_stack(stack, policy):
    _, deployment = stack
    for r in deployment.resources:
        assert violations(policy, r.type, plain(r.inputs), r.name) == [], (r.type, r.name)


def test_pinned_images_fails_on_latest(dev):
    props = broken(dev, DEPLOYMENT, lambda p: api_container(p).update(image="genepool/workload:latest"))
    assert violations("pinned-images", DEPLOYMENT, props) == [
        "resource: Deployment container 'api': image 'genepool/workload:latest' must pin a tag (not 'latest') or "
        "a digest"
    ]


def test_pinned_images_passes_on_a_digest_from_a_registry_with_a_port(dev):
    image = "registry.internal:5000/genepool/workload@sha256:" + "ab" * 32
    props = broken(dev, DEPLOYMENT, lambda p: api_container(p).update(image=image))
    assert violations("pinned-images", DEPLOYMENT, props) == []


def test_pinned_images_fails_without_a_tag(dev):
    props = broken(dev, DEPLOYMENT, lambda p: api_container(p).update(image="genepool/workload"))
    assert violations("pinned-images", DEPLOYMENT, props) != []


def test_requests_and_limits_fails_without_limits(dev):
    props = broken(dev, DEPLOYMENT, lambda p: api_container(p)["resources"].pop("limits"))
    assert violations("requests-and-limits", DEPLOYMENT, props) == [
        "resource: Deployment container 'api': resources.limits must set cpu, memory"
    ]


def test_non_root_fails_on_uid_zero(dev):
    def root(p):
        p["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False, runAsUser=0)

    assert violations("non-root", DEPLOYMENT, broken(dev, DEPLOYMENT, root)) == [
        "resource: Deployment container 'api': must run with runAsNonRoot: true"
    ]


def test_health_probes_fails_without_readiness(dev):
    props = broken(dev, DEPLOYMENT, lambda p: api_container(p).pop("readinessProbe"))
    assert violations("health-probes", DEPLOYMENT, props) == [
        "resource: Deployment container 'api': a long-running container needs readinessProbe"
    ]


def test_credentials_from_secrets_fails_on_a_literal_database_url(dev):
    def literal(p):
        api_container(p)["env"].append({"name": "GENEPOOL_DATABASE_URL", "value": "postgresql://u:pw@h/db"})

    assert violations("credentials-from-secrets", DEPLOYMENT, broken(dev, DEPLOYMENT, literal)) == [
        "resource: Deployment container 'api': env GENEPOOL_DATABASE_URL carries a credential in plain text; use "
        "valueFrom.secretKeyRef"
    ]


def test_helm_charts_pinned_fails_on_a_range():
    props = {"chart": "kube-prometheus-stack", "version": "79.x"}
    assert violations("helm-charts-pinned", "kubernetes:helm.sh/v3:Release", props) == [
        "resource: Helm chart 'kube-prometheus-stack' must pin an exact version, got '79.x'"
    ]


def test_ray_head_on_demand_fails_on_a_head_that_tolerates_spot_and_schedules_tasks(prod):
    def head_on_spot(p):
        head = p["spec"]["headGroupSpec"]
        head["rayStartParams"]["num-cpus"] = "4"
        head["template"]["spec"]["tolerations"] = [{"key": "genepool.io/spot", "operator": "Exists"}]

    assert len(violations("ray-head-on-demand", RAY, broken(prod, RAY, head_on_spot))) == 2


def test_ray_head_on_demand_fails_on_workers_that_do_not_drain(dev):
    def no_drain(p):
        p["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0].pop("lifecycle")

    assert violations("ray-head-on-demand", RAY, broken(dev, RAY, no_drain)) == [
        "resource: worker group 'workers' must drain: preStop 'ray stop' and a terminationGracePeriodSeconds"
    ]


@pytest.mark.parametrize(
    ("type_", "change"),
    [
        ("kubernetes:storage.k8s.io/v1:StorageClass", lambda p: p["parameters"].update(encrypted="false")),
        ("aws:eks/cluster:Cluster", lambda p: p.pop("encryptionConfig")),
        ("aws:elasticache/replicationGroup:ReplicationGroup", lambda p: p.update(transitEncryptionEnabled=False)),
    ],
    ids=["storage-class", "eks-secrets", "elasticache"],
)
def test_encrypted_at_rest_fails_on_unencrypted_prod_resources(prod, type_, change):
    assert len(violations("encrypted-at-rest", type_, broken(prod, type_, change))) == 1


def test_nothing_deletes_itself_fails_on_a_self_deleting_rayjob():
    props = {"apiVersion": "ray.io/v1", "kind": "RayJob", "spec": {"shutdownAfterJobFinishes": True}}
    assert len(violations("nothing-deletes-itself", "kubernetes:ray.io/v1:RayJob", props)) == 1


def test_dev_runs_the_pack_advisory_and_other_stacks_mandatory():
    import json

    from pulumi_policy import EnforcementLevel

    dev = json.loads((REPOSITORY / "infra" / "policy" / "dev.json").read_text())
    assert dev["all"] == "advisory"
    assert {name for name, level in dev.items() if level == "mandatory"} == {
        "credentials-from-secrets",
        "pinned-images",
        "helm-charts-pinned",
    }
    assert set(dev) - {"all"} <= {policy.name for policy in POLICIES}
    main = (REPOSITORY / "infra" / "policy" / "__main__.py").read_text()
    assert "enforcement_level=EnforcementLevel.MANDATORY" in main and EnforcementLevel.MANDATORY.value == "mandatory"


@pytest.mark.parametrize("policy", list(STACK_VALIDATORS))
def test_stack_policy_passes_on_the_shipped_stack(stack, policy):
    _, deployment = stack
    assert stack_violations(policy, stack_resources(deployment.resources)) == []


NODE_ROLE = "genepool-prod-karpenter-node"


def node_role_resources(prod, extra: Registered) -> list[PolicyResource]:
    return [policy_resource(r) for r in prod.resources] + [policy_resource(extra)]


def test_node_role_least_privilege_fails_on_the_ebs_csi_policy_attached_to_a_node_role(prod):
    attachment = Registered(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "node-ebs",
        {"role": NODE_ROLE, "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
        "",
        urn="urn:node-ebs",
    )
    assert stack_violations("node-role-least-privilege", node_role_resources(prod, attachment)) == [
        f"node-ebs: node role {NODE_ROLE} must not carry arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    ]


def test_node_role_least_privilege_fails_on_an_inline_autoscaling_and_terminate_policy_on_a_node_role(prod):
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["autoscaling:DescribeTags", "autoscaling:SetDesiredCapacity", "ec2:TerminateInstances"],
                "Resource": "*",
            }
        ],
    }
    inline = Registered(
        "aws:iam/rolePolicy:RolePolicy", "node-autoscaler", {"role": NODE_ROLE, "policy": json.dumps(document)}, ""
    )
    assert stack_violations("node-role-least-privilege", node_role_resources(prod, inline)) == [
        f"node-autoscaler: inline policy on node role {NODE_ROLE} grants autoscaling:SetDesiredCapacity, "
        "ec2:TerminateInstances"
    ]


def test_node_role_least_privilege_ignores_controller_roles_that_pods_assume(prod):
    attachment = Registered(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "csi",
        {
            "role": "some-pod-identity-role",
            "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
        },
        "",
    )
    assert stack_violations("node-role-least-privilege", node_role_resources(prod, attachment)) == []


def test_node_role_least_privilege_fails_on_a_node_role_without_a_name():
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = Registered("aws:iam/role:Role", "nodes", {"assumeRolePolicy": json.dumps(trust)}, "")
    assert stack_violations("node-role-least-privilege", [policy_resource(role)]) == [
        "nodes: a node role must set an explicit name (the policy matches attachments by it)"
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda vpc: vpc.update(publicAccessCidrs=["0.0.0.0/0"]),
        lambda vpc: vpc.pop("publicAccessCidrs"),
        lambda vpc: vpc.update(endpointPrivateAccess=False),
    ],
    ids=["open-to-the-internet", "no-cidrs-means-open", "no-private-access"],
)
def test_eks_endpoint_restricted_fails_on_an_open_or_public_only_endpoint(prod, change):
    props = broken(prod, "aws:eks/cluster:Cluster", lambda p: change(p["vpcConfig"]))
    assert len(violations("eks-endpoint-restricted", "aws:eks/cluster:Cluster", props)) == 1
