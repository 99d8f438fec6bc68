"""The prod (AWS) platform under mocks: Karpenter capacity, Pod Identity, access, backups, add-ons, logs, disks."""

from __future__ import annotations

import json

import pytest

from infra import versions
from infra.platforms.aws import instances

from .conftest import NODE_CLASS, NODE_POOL, node_pool, plain

RELEASE = "kubernetes:helm.sh/v3:Release"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def requirement(spec: dict, key: str) -> list[dict]:
    return [r for r in spec["template"]["spec"]["requirements"] if r["key"] == key]


INSTANCE_LABELS = {
    "karpenter.k8s.aws/instance-category": lambda t: t.category,
    "karpenter.k8s.aws/instance-generation": lambda t: str(t.generation),
    "karpenter.k8s.aws/instance-family": lambda t: t.family,
    "karpenter.k8s.aws/instance-cpu": lambda t: str(t.vcpus),
    "node.kubernetes.io/instance-type": lambda t: t.name,
    "kubernetes.io/arch": lambda t: "amd64",
    "kubernetes.io/os": lambda t: "linux",
}
"""The well-known labels Karpenter gives each instance type, for the table's rows."""


def satisfies(instance: instances.InstanceType, requirement: dict) -> bool:
    """Karpenter's requirement semantics (In, NotIn, Exists, Gt, Lt) on one instance type's labels."""
    if requirement["key"] not in INSTANCE_LABELS:
        return True
    value, operator = INSTANCE_LABELS[requirement["key"]](instance), requirement["operator"]
    values = requirement.get("values", [])
    return {
        "In": lambda: value in values,
        "NotIn": lambda: value not in values,
        "Exists": lambda: True,
        "Gt": lambda: int(value) > int(values[0]),
        "Lt": lambda: int(value) < int(values[0]),
    }[operator]()


def admitted(spec: dict) -> list[str]:
    """Names of the instance table's types the registered NodePool's requirements admit."""
    reqs = spec["template"]["spec"]["requirements"]
    return [t.name for t in instances.TABLE.values() if all(satisfies(t, r) for r in reqs)]


# --- Karpenter


def test_karpenter_release_is_pinned_from_its_oci_registry_on_the_system_nodes(prod):
    release = plain(prod.named(RELEASE, "karpenter-release").inputs)
    assert (release["chart"], release["version"]) == (versions.KARPENTER_CHART, versions.KARPENTER_VERSION)
    assert release["chart"].startswith("oci://") and versions.KARPENTER_VERSION.startswith("1.")
    assert release["values"]["nodeSelector"] == {"genepool.io/pool": "system", "genepool.io/node-group": "system"}
    assert release["values"]["settings"]["clusterName"] == "genepool-prod"
    assert release["values"]["settings"]["interruptionQueue"] == "genepool-prod"
    assert release["values"]["replicas"] == 2


def test_cluster_autoscaler_is_gone_from_aws(prod):
    assert not [r for r in prod.of_type(RELEASE) if "autoscaler" in r.inputs["chart"]]
    assert not hasattr(versions, "CLUSTER_AUTOSCALER_CHART")


def test_worker_capacity_comes_from_karpenter_not_node_groups(prod):
    groups = prod.of_type("aws:eks/nodeGroup:NodeGroup")
    assert [(g.name, g.inputs["capacityType"]) for g in groups] == [("system", "ON_DEMAND")]
    assert {plain(r.inputs)["metadata"]["name"] for r in prod.of_type(NODE_POOL)} == {
        "ray-workers",
        "on-demand",
        "stateful",
        "system",
    }


def test_interruption_queue_receives_spot_rebalance_state_change_and_scheduled_change_events(prod):
    queue = prod.named("aws:sqs/queue:Queue", "karpenter-interruptions").inputs
    assert queue["name"] == "genepool-prod" and queue["sqsManagedSseEnabled"] is True
    patterns = {
        r.name: json.loads(r.inputs["eventPattern"])
        for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.name.startswith("karpenter-")
    }
    assert sorted(detail for p in patterns.values() for detail in p["detail-type"]) == [
        "AWS Health Event",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Spot Instance Interruption Warning",
    ]
    targets = [t for t in prod.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.name.startswith("karpenter-")]
    assert sorted(t.name for t in targets) == sorted(patterns)
    policy = json.loads(prod.named("aws:sqs/queuePolicy:QueuePolicy", "karpenter-interruptions").inputs["policy"])
    assert "events.amazonaws.com" in policy["Statement"][0]["Principal"]["Service"]


def test_node_class_discovers_the_tagged_private_subnets_and_cluster_security_group(prod):
    spec = plain(prod.named(NODE_CLASS, "karpenter-node-class").inputs["spec"])
    discovery = [{"tags": {"karpenter.sh/discovery": "genepool-prod"}}]
    assert spec["subnetSelectorTerms"] == discovery and spec["securityGroupSelectorTerms"] == discovery
    private = [r for r in prod.of_type("aws:ec2/subnet:Subnet") if r.name.startswith("private-")]
    assert len(private) == 3 and all(s.inputs["tags"]["karpenter.sh/discovery"] == "genepool-prod" for s in private)
    public = [r for r in prod.of_type("aws:ec2/subnet:Subnet") if r.name.startswith("public-")]
    assert not any("karpenter.sh/discovery" in s.inputs["tags"] for s in public)
    tag = prod.named("aws:ec2/tag:Tag", "cluster-security-group-discovery").inputs
    assert (tag["resourceId"], tag["key"], tag["value"]) == ("sg-cluster", "karpenter.sh/discovery", "genepool-prod")
    assert spec["role"] == "genepool-prod-karpenter-node"


def test_node_class_root_volume_is_encrypted_gp3_of_the_configured_size_and_pods_cannot_reach_imds(prod):
    spec = plain(prod.named(NODE_CLASS, "karpenter-node-class").inputs["spec"])
    (root,) = spec["blockDeviceMappings"]
    assert root["ebs"] == {"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1


def test_system_group_launch_template_has_the_same_encrypted_gp3_root_volume(prod):
    template = plain(prod.named("aws:ec2/launchTemplate:LaunchTemplate", "system-nodes").inputs)
    (root,) = template["blockDeviceMappings"]
    assert root["ebs"]["volumeSize"] == 100 and root["ebs"]["volumeType"] == "gp3"
    assert root["ebs"]["encrypted"] == "true"
    group = plain(prod.named("aws:eks/nodeGroup:NodeGroup", "system").inputs)
    assert "diskSize" not in group and group["launchTemplate"]["id"] == "system-nodes-id"


def test_ray_workers_pool_is_spot_first_with_on_demand_fallback_and_tainted_for_ray_workers(prod):
    spec = node_pool(prod, "ray-workers")
    (capacity,) = requirement(spec, "karpenter.sh/capacity-type")
    assert capacity["values"] == ["spot", "on-demand"]
    assert spec["template"]["spec"]["taints"] == [{"key": "genepool.io/spot", "value": "true", "effect": "NoSchedule"}]
    assert spec["template"]["metadata"]["labels"] == {"genepool.io/pool": "workers"}


def test_ray_workers_pool_admits_at_least_15_instance_types_of_the_table(prod):
    spec = node_pool(prod, "ray-workers")
    types = admitted(spec)
    assert len(types) >= 15, types
    (instance_type,) = requirement(spec, "node.kubernetes.io/instance-type")
    assert instance_type["minValues"] == 15
    for key in ("instance-category", "instance-generation", "instance-cpu", "instance-family"):
        assert requirement(spec, f"karpenter.k8s.aws/{key}"), key


def test_ray_workers_pool_families_are_all_in_the_table_so_the_table_is_what_karpenter_sees(prod):
    (families,) = requirement(node_pool(prod, "ray-workers"), "karpenter.k8s.aws/instance-family")
    assert families["operator"] == "In"
    assert set(families["values"]) <= {t.family for t in instances.TABLE.values()}


def test_ray_workers_cpu_limit_is_max_nodes_times_the_reference_vcpus(prod):
    assert node_pool(prod, "ray-workers")["limits"] == {"cpu": str(8 * 16)}


@pytest.mark.parametrize("pool", ["ray-workers", "on-demand", "stateful", "system"])
def test_every_pool_consolidates_only_when_empty(prod, pool):
    assert node_pool(prod, pool)["disruption"]["consolidationPolicy"] == "WhenEmpty"


def test_on_demand_pool_runs_the_ray_head_and_is_never_disrupted(prod):
    spec = node_pool(prod, "on-demand")
    (capacity,) = requirement(spec, "karpenter.sh/capacity-type")
    assert capacity["values"] == ["on-demand"]
    assert spec["disruption"]["budgets"] == [{"nodes": "0"}]
    assert spec["template"]["spec"]["expireAfter"] == "Never"
    cluster = plain(prod.named("kubernetes:ray.io/v1:RayCluster", "ray-cluster").inputs["spec"])
    head = cluster["headGroupSpec"]["template"]
    assert head["metadata"]["annotations"]["karpenter.sh/do-not-disrupt"] == "true"
    assert head["spec"]["nodeSelector"] == {"genepool.io/pool": "on-demand"}
    assert set(admitted(spec)) == {"m6i.xlarge", "m6a.xlarge", "m7i.xlarge"}


def test_stateful_pool_is_on_demand_in_every_zone_with_a_deliberate_expiry(prod):
    spec = node_pool(prod, "stateful")
    (capacity,) = requirement(spec, "karpenter.sh/capacity-type")
    assert capacity["values"] == ["on-demand"]
    (zones,) = requirement(spec, "topology.kubernetes.io/zone")
    assert zones["values"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert spec["template"]["spec"]["expireAfter"] == "720h"


def test_storage_classes_bind_volumes_where_the_pod_lands(prod):
    for storage in prod.of_type("kubernetes:storage.k8s.io/v1:StorageClass"):
        assert storage.inputs["volumeBindingMode"] == "WaitForFirstConsumer", storage.name


def test_monitoring_runs_on_the_stateful_pool(prod):
    values = plain(prod.named(RELEASE, "monitoring-kube-prometheus-stack").inputs["values"])
    assert values["prometheus"]["prometheusSpec"]["nodeSelector"] == {"genepool.io/pool": "stateful"}


# --- IAM


def test_karpenter_and_ebs_csi_get_their_own_roles_through_pod_identity(prod):
    association = prod.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller").inputs
    assert (association["namespace"], association["serviceAccount"]) == ("kube-system", "karpenter")
    ebs = plain(prod.named(ADDON, "ebs-csi").inputs)
    assert [a["serviceAccount"] for a in ebs["podIdentityAssociations"]] == ["ebs-csi-controller-sa"]
    trust = json.loads(prod.named(ROLE, "ebs-csi-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert (
        prod.named(ATTACHMENT, "ebs-csi-role-AmazonEBSCSIDriverPolicy")
        .inputs["policyArn"]
        .endswith("service-role/AmazonEBSCSIDriverPolicy")
    )
    assert prod.of_type("aws:eks/addon:Addon")


def test_karpenter_may_terminate_only_instances_of_this_clusters_node_pools(prod):
    policy = json.loads(prod.named("aws:iam/rolePolicy:RolePolicy", "karpenter-controller").inputs["policy"])
    (deletion,) = [s for s in policy["Statement"] if "ec2:TerminateInstances" in s["Action"]]
    assert deletion["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/genepool-prod": "owned"}
    assert deletion["Condition"]["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}


def test_node_roles_carry_only_the_node_policies(prod):
    node_roles = {r.inputs["name"] for r in prod.of_type(ROLE) if "ec2.amazonaws.com" in r.inputs["assumeRolePolicy"]}
    assert node_roles == {"genepool-prod-system-node", "genepool-prod-karpenter-node"}
    attached = {}
    for attachment in prod.of_type(ATTACHMENT):
        if attachment.inputs.get("role") in node_roles:
            attached.setdefault(attachment.inputs["role"], set()).add(attachment.inputs["policyArn"].split("/")[-1])
    assert attached == dict.fromkeys(node_roles, {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"})
    assert not [p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs.get("role") in node_roles]


# --- access


def test_cluster_authenticates_with_access_entries_only(prod):
    access = prod.named("aws:eks/cluster:Cluster", "cluster").inputs["accessConfig"]
    assert access == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}


def test_deployer_and_admins_get_cluster_admin_and_the_preview_role_read_only_access(prod):
    entries = {r.name: r.inputs for r in prod.of_type("aws:eks/accessEntry:AccessEntry")}
    assert entries["access-deployer"]["principalArn"] == "arn:aws:iam::123456789012:role/genepool-deployer"
    assert entries["access-admin-1"]["principalArn"] == "arn:aws:iam::123456789012:role/genepool-admin"
    assert entries["access-karpenter-nodes"]["type"] == "EC2_LINUX"
    policies = {
        r.inputs["principalArn"]: (r.inputs["policyArn"].split("/")[-1], r.inputs["accessScope"]["type"])
        for r in prod.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    assert policies == {
        "arn:aws:iam::123456789012:role/genepool-deployer": ("AmazonEKSClusterAdminPolicy", "cluster"),
        "arn:aws:iam::123456789012:role/genepool-admin": ("AmazonEKSClusterAdminPolicy", "cluster"),
        "arn:aws:iam::123456789012:role/genepool-preview": ("AmazonEKSAdminViewPolicy", "cluster"),
    }


def test_the_kubernetes_provider_waits_for_the_admin_access_policies(prod):
    provider = prod.named("pulumi:providers:kubernetes", "aws")
    associations = {
        r.urn
        for r in prod.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    }
    assert len(associations) == 2
    assert associations <= provider.dependencies


def test_api_endpoint_is_private_and_public_only_from_the_configured_cidrs(prod):
    vpc = prod.named("aws:eks/cluster:Cluster", "cluster").inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


# --- network, logs, backups


def test_vpc_cni_enforces_network_policies(prod):
    cni = prod.named(ADDON, "vpc-cni").inputs
    assert json.loads(cni["configurationValues"])["enableNetworkPolicy"] == "true"


def test_control_plane_log_group_has_retention_and_exists_before_the_cluster(prod):
    logs = prod.named("aws:cloudwatch/logGroup:LogGroup", "control-plane-logs")
    assert logs.inputs["name"] == "/aws/eks/genepool-prod/cluster"
    assert logs.inputs["retentionInDays"] == 90
    assert logs.urn in prod.named("aws:eks/cluster:Cluster", "cluster").dependencies


def test_backup_plan_runs_daily_into_an_encrypted_vault_with_the_configured_retention(prod):
    (rule,) = plain(prod.named("aws:backup/plan:Plan", "backups-plan").inputs["rules"])
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert rule["lifecycle"]["deleteAfter"] == 35
    vault = prod.named("aws:backup/vault:Vault", "backups-vault")
    assert prod.named("aws:kms/key:Key", "backups-vault").urn in vault.dependencies


def test_backup_selection_matches_the_tag_the_database_storage_class_puts_on_its_volumes(prod):
    storage = prod.named("kubernetes:storage.k8s.io/v1:StorageClass", "gp3-encrypted-backup").inputs
    key, value = storage["parameters"]["tagSpecification_1"].split("=", 1)
    (selection_tag,) = prod.named("aws:backup/selection:Selection", "backups-timescaledb").inputs["selectionTags"]
    assert selection_tag == {"type": "STRINGEQUALS", "key": key, "value": value}
    assert storage["reclaimPolicy"] == "Retain"
    general = prod.named("kubernetes:storage.k8s.io/v1:StorageClass", "gp3-encrypted").inputs
    assert "tagSpecification_1" not in general["parameters"]


def test_failed_aborted_or_expired_backup_jobs_of_the_vault_are_sent_to_sns(prod):
    rule = plain(prod.named("aws:cloudwatch/eventRule:EventRule", "backups-failures").inputs)
    assert json.loads(rule["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"], "backupVaultName": ["genepool-prod"]},
    }
    target = prod.named("aws:cloudwatch/eventTarget:EventTarget", "backups-failures")
    topic = prod.named("aws:sns/topic:Topic", "backups-failures")
    assert topic.urn in target.dependencies
    assert "docs/runbooks.md#backupjobfailed" in plain(target.inputs)["inputTransformer"]["inputTemplate"]


def test_only_that_rule_may_publish_to_the_backup_failures_topic(prod):
    policy = json.loads(plain(prod.named("aws:sns/topicPolicy:TopicPolicy", "backups-failures").inputs)["policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert "aws:SourceArn" in statement["Condition"]["ArnEquals"]
    target = prod.named("aws:cloudwatch/eventTarget:EventTarget", "backups-failures")
    assert prod.named("aws:sns/topicPolicy:TopicPolicy", "backups-failures").urn in target.dependencies


def test_each_configured_address_is_subscribed_by_email(prod):
    subscriptions = [plain(s.inputs) for s in prod.of_type("aws:sns/topicSubscription:TopicSubscription")]
    assert [(s["protocol"], s["endpoint"]) for s in subscriptions] == [("email", "oncall@example.com")]


@pytest.mark.parametrize(
    ("emails", "message"),
    [
        (None, "genepool:aws.backupAlertEmails: is required"),
        ([], "genepool:aws.backupAlertEmails: is required"),
        (["not-an-address"], r"genepool:aws.backupAlertEmails\[0\]: must be an e-mail address"),
    ],
)
def test_backup_alert_emails_are_required_and_checked(emails, message):
    from infra.config import StackConfigError, parse

    from .conftest import stack_config

    raw = {key.split(":", 1)[1]: value for key, value in stack_config("prod").items()}
    raw["aws"] = {**raw["aws"], "backupAlertEmails": emails}
    if emails is None:
        del raw["aws"]["backupAlertEmails"]
    with pytest.raises(StackConfigError, match=message):
        parse(raw)
