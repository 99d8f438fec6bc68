"""The placement, exposure, encryption, tagging and cost policies: each fails on a broken copy of what a shipped stack
registers, naming the resource and the rule (the shipped stacks passing every policy is tested in test_policies.py)."""

from __future__ import annotations

import copy
import dataclasses

from infra import labels

from .conftest import NODE_CLASS, NODE_POOL, Registered, plain
from .test_policies import stack_resources, stack_violations, violations

STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def props_of(deployment, type_: str, name: str) -> dict:
    return copy.deepcopy(plain(deployment.named(type_, name).inputs))


def pool_props(prod, pool: str) -> dict:
    (registered,) = [r for r in prod.of_type(NODE_POOL) if plain(r.inputs)["metadata"]["name"] == pool]
    return copy.deepcopy(plain(registered.inputs))


def capacity(props: dict) -> dict:
    requirements = props["spec"]["template"]["spec"]["requirements"]
    return next(r for r in requirements if r["key"] == "karpenter.sh/capacity-type")


def replaced(deployment, type_: str, name: str, change) -> list[Registered]:
    """The deployment's registrations with one resource's inputs changed."""
    out = []
    for r in deployment.resources:
        if (r.type, r.name) == (type_, name):
            inputs = copy.deepcopy(plain(r.inputs))
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
        out.append(r)
    return out


def test_a_node_pool_that_may_launch_spot_without_the_spot_taint_fails(prod):
    props = pool_props(prod, "on-demand")
    capacity(props)["values"] = ["spot", "on-demand"]
    assert violations("workers-on-spot", NODE_POOL, props, "on-demand") == [
        f"on-demand: a NodePool that may launch spot must taint its nodes {labels.SPOT_TAINT_KEY}"
    ]


def test_the_ray_workers_pool_without_spot_fails(prod):
    props = pool_props(prod, "ray-workers")
    capacity(props)["values"] = ["on-demand"]
    assert violations("workers-on-spot", NODE_POOL, props, "ray-workers") == [
        f"ray-workers: the Ray workers' NodePool ({labels.SPOT_TAINT_KEY}) must allow spot capacity"
    ]


def test_the_shipped_ray_workers_pool_runs_on_spot(prod):
    assert "spot" in capacity(pool_props(prod, "ray-workers"))["values"]


def test_a_database_that_tolerates_spot_fails(prod):
    (timescale,) = [r for r in prod.of_type(STATEFUL_SET) if "timescaledb" in r.name]
    props = copy.deepcopy(plain(timescale.inputs))
    props["spec"]["template"]["spec"]["tolerations"] = [{"key": labels.SPOT_TAINT_KEY, "operator": "Exists"}]
    assert violations("stateful-off-spot", STATEFUL_SET, props, "timescaledb") == [
        "timescaledb: a StatefulSet (a database or monitoring volume) must not tolerate spot nodes"
    ]


def test_a_security_group_open_to_the_internet_fails():
    props = {"ingress": [{"fromPort": 5432, "toPort": 5432, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}]}
    assert violations("security-groups-closed", "aws:ec2/securityGroup:SecurityGroup", props, "db") == [
        "db: ingress from the internet (0.0.0.0/0) on port 5432"
    ]


def test_an_ingress_rule_open_to_the_internet_fails():
    props = {"cidrIpv6": "::/0", "fromPort": 6379}
    kind = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    assert violations("security-groups-closed", kind, props, "cache") == ["cache: ingress from the internet"]


def test_a_load_balancer_without_source_ranges_fails(dev):
    props = props_of(dev, "kubernetes:core/v1:Service", "workload-api-service")
    props["spec"]["type"] = "LoadBalancer"
    assert violations("load-balancers-restricted", "kubernetes:core/v1:Service", props, "api") == [
        "api: a LoadBalancer Service needs loadBalancerSourceRanges, none of them 0.0.0.0/0"
    ]
    props["spec"]["loadBalancerSourceRanges"] = ["198.51.100.0/24"]
    assert violations("load-balancers-restricted", "kubernetes:core/v1:Service", props, "api") == []


def test_a_managed_database_without_a_firewall_fails(staging):
    kept = [r for r in staging.resources if r.type != "digitalocean:index/databaseFirewall:DatabaseFirewall"]
    assert sorted(stack_violations("database-firewalls", stack_resources(kept))) == [  # registration order varies
        "cache: a managed database needs a firewall scoped to the cluster",
        "timescaledb: a managed database needs a firewall scoped to the cluster",
    ]


def test_a_database_firewall_open_to_the_internet_fails(staging):
    firewall = "digitalocean:index/databaseFirewall:DatabaseFirewall"
    broken = replaced(
        staging, firewall, "cache-firewall", lambda p: p.update(rules=[{"type": "ip_addr", "value": "0.0.0.0/0"}])
    )
    assert sorted(stack_violations("database-firewalls", stack_resources(broken))) == [
        "cache-firewall: a database firewall must admit only the cluster, not the internet",
        "cache: a managed database needs a firewall scoped to the cluster",
    ]


def test_an_unencrypted_node_volume_fails(prod):
    (node_class,) = prod.of_type(NODE_CLASS)
    props = copy.deepcopy(plain(node_class.inputs))
    props["spec"]["blockDeviceMappings"][0]["ebs"]["encrypted"] = False
    assert violations("encrypted-at-rest", NODE_CLASS, props, "nodes") == [
        "nodes: node volume /dev/xvda must be encrypted"
    ]


def test_an_unencrypted_launch_template_volume_fails(prod):
    (template,) = prod.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    props = copy.deepcopy(plain(template.inputs))
    props["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"
    assert violations("encrypted-at-rest", "aws:ec2/launchTemplate:LaunchTemplate", props, "system") == [
        "system: launch template volume /dev/xvda must be encrypted"
    ]


def test_a_backup_vault_without_a_kms_key_fails(prod):
    (vault,) = prod.of_type("aws:backup/vault:Vault")
    props = copy.deepcopy(plain(vault.inputs))
    props.pop("kmsKeyArn")
    assert violations("encrypted-at-rest", "aws:backup/vault:Vault", props, "vault") == [
        "vault: the backup vault must encrypt recovery points with a KMS key (kmsKeyArn)"
    ]


def test_an_aws_provider_without_cost_tags_fails(prod):
    broken = replaced(prod, "pulumi:providers:aws", "aws", lambda p: p.pop("defaultTags"))
    assert stack_violations("cost-allocation-tags", stack_resources(broken)) == [
        "aws: the AWS provider's default tags lack project, stack"
    ]


def test_instances_karpenter_launches_without_cost_tags_fail(prod):
    (node_class,) = prod.of_type(NODE_CLASS)
    broken = replaced(prod, NODE_CLASS, node_class.name, lambda p: p["spec"]["tags"].pop("stack"))
    assert stack_violations("cost-allocation-tags", stack_resources(broken)) == [
        f"{node_class.name}: instances Karpenter launches lack the tags stack"
    ]


def test_a_digitalocean_database_without_cost_tags_fails(staging):
    broken = replaced(staging, "digitalocean:index/databaseCluster:DatabaseCluster", "cache", lambda p: p.pop("tags"))
    assert stack_violations("cost-allocation-tags", stack_resources(broken)) == ["cache: tags lack project:…, stack:…"]


def test_a_stack_above_its_cost_ceiling_fails(dev):
    def over(props: dict) -> None:
        props["metadata"]["annotations"][labels.CEILING_ANNOTATION] = "0.0100"
        props["metadata"]["annotations"][labels.COST_ANNOTATION] = "0.7500"

    broken = replaced(dev, "kubernetes:core/v1:Namespace", "namespace", over)
    assert stack_violations("cost-within-ceiling", stack_resources(broken)) == [
        "namespace: estimated 0.75 USD/hour at maximum size, above the ceiling 0.01 (genepool:costCeilingUsdPerHour)"
    ]


def test_the_namespace_carries_the_estimate_and_the_ceiling(prod):
    annotations = plain(prod.named("kubernetes:core/v1:Namespace", "namespace").inputs)["metadata"]["annotations"]
    assert float(annotations[labels.COST_ANNOTATION]) == prod.outputs["estimated_hourly_cost_usd"]
    assert float(annotations[labels.CEILING_ANNOTATION]) == 9.5


def test_a_head_pool_without_its_taint_fails(prod):
    props = pool_props(prod, "on-demand")
    props["spec"]["template"]["spec"].pop("taints")
    assert violations("dedicated-pools-tainted", NODE_POOL, props, "on-demand") == [
        "on-demand: the on-demand NodePool must taint its nodes genepool.io/pool=on-demand:NoSchedule"
    ]


def test_a_stateful_pool_tainted_for_another_pool_fails(prod):
    props = pool_props(prod, "stateful")
    props["spec"]["template"]["spec"]["taints"] = [{"key": "genepool.io/pool", "value": "x", "effect": "NoSchedule"}]
    assert violations("dedicated-pools-tainted", NODE_POOL, props, "stateful") != []


def test_the_untainted_system_pool_passes_the_dedicated_pools_policy(prod):
    assert violations("dedicated-pools-tainted", NODE_POOL, pool_props(prod, "system"), "system") == []


def test_a_system_launch_template_with_hop_limit_2_fails(prod):
    props = props_of(prod, "aws:ec2/launchTemplate:LaunchTemplate", "system-nodes")
    props["metadataOptions"]["httpPutResponseHopLimit"] = 2
    assert violations("node-metadata-closed", "aws:ec2/launchTemplate:LaunchTemplate", props, "system-nodes") == [
        "system-nodes: instance metadata hop limit must be 1 (got 2): a higher limit lets pods read the node role's "
        "credentials"
    ]


def test_a_node_class_without_imds_tokens_fails(prod):
    props = props_of(prod, NODE_CLASS, "karpenter-node-class")
    props["spec"]["metadataOptions"]["httpTokens"] = "optional"
    assert violations("node-metadata-closed", NODE_CLASS, props, "default") == [
        "default: instance metadata must require IMDSv2 tokens (httpTokens: required)"
    ]


def test_a_node_role_with_the_cni_policy_fails(prod):
    attachment = Registered(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "node-cni",
        {"role": "genepool-prod-system-node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
        "",
        urn="urn:node-cni",
    )
    resources = stack_resources([*prod.resources, attachment])
    assert stack_violations("node-role-least-privilege", resources) == [
        "node-cni: node role genepool-prod-system-node must not carry arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    ]


def without_archiving(props: dict) -> None:
    postgres = props["spec"]["template"]["spec"]["containers"][0]
    postgres["args"] = [arg.replace("archive_mode=on", "archive_mode=off") for arg in postgres["args"]]


def test_a_cloud_database_that_does_not_archive_wal_fails(prod):
    resources = stack_resources(replaced(prod, STATEFUL_SET, "timescaledb-statefulset", without_archiving))
    assert stack_violations("in-cluster-database-archived", resources) == [
        "timescaledb-statefulset: the in-cluster database on a cloud runs PostgreSQL without archive_mode=on "
        "(docs/backups.md)"
    ]


def test_a_cloud_database_without_its_archive_bucket_fails(prod):
    kept = [r for r in prod.resources if r.type != "aws:s3/bucket:Bucket"]
    assert stack_violations("in-cluster-database-archived", stack_resources(kept)) == [
        "timescaledb-statefulset: the in-cluster database on a cloud has no archive bucket in the stack"
    ]


def test_dev_may_run_its_database_without_archiving(dev):
    assert stack_violations("in-cluster-database-archived", stack_resources(dev.resources)) == []
