"""Prod (AWS) capacity that cannot starve: the head's and the stateful pools take only their own pods, the head's
pool has room for a replacement node, the API's HPA maximum has nodes, Karpenter and the sizing check agree on max
pods, and spot launches have their service-linked role."""

from __future__ import annotations

import copy
import json

import pytest

from infra.config import StackConfigError, parse
from infra.platforms.aws import instances, pools

from .conftest import NODE_CLASS, deploy, node_pool, plain, pod_specs, stack_config

RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


def tolerated_pools(spec: dict) -> set[str]:
    """The ``genepool.io/pool`` taints a pod spec tolerates."""
    return {t["value"] for t in spec.get("tolerations") or [] if t.get("key") == pools.POOL_LABEL}


def prod_config(section: str, field: str, value) -> dict:
    config = copy.deepcopy(stack_config("prod"))
    config[f"genepool:{section}"][field] = value
    return config


# --- taints: only what belongs there


@pytest.mark.parametrize("pool", ["on-demand", "stateful"])
def test_the_head_and_stateful_pools_taint_their_nodes(prod, pool):
    assert node_pool(prod, pool)["template"]["spec"]["taints"] == [
        {"key": "genepool.io/pool", "value": pool, "effect": "NoSchedule"}
    ]


def test_the_system_pool_is_untainted_so_pods_that_name_no_pool_land_there(prod):
    assert "taints" not in node_pool(prod, "system")["template"]["spec"]
    group = plain(prod.named("aws:eks/nodeGroup:NodeGroup", "system").inputs)
    assert "taints" not in group


def test_only_the_ray_head_tolerates_the_head_pools_taint(prod):
    tolerating = {owner for owner, spec, _ in pod_specs(prod) if "on-demand" in tolerated_pools(spec)}
    assert tolerating == {"ray-cluster/head"}


def test_only_pods_with_volumes_tolerate_the_stateful_pools_taint(prod):
    tolerating = {owner for owner, spec, _ in pod_specs(prod) if "stateful" in tolerated_pools(spec)}
    assert tolerating == {"timescaledb-statefulset"}
    values = plain(prod.named(RELEASE, "monitoring-kube-prometheus-stack").inputs["values"])
    with_volumes = [
        values["prometheus"]["prometheusSpec"],
        values["alertmanager"]["alertmanagerSpec"],
        values["grafana"],
    ]
    assert all(tolerated_pools(v) == {"stateful"} for v in with_volumes)
    for stateless in (values["prometheusOperator"], values["kube-state-metrics"]):
        assert tolerated_pools(stateless) == set()
        assert stateless["nodeSelector"] == {"genepool.io/pool": "system"}


def test_node_exporter_runs_on_every_node_whatever_its_taint(prod):
    values = plain(prod.named(RELEASE, "monitoring-kube-prometheus-stack").inputs["values"])
    assert {"operator": "Exists", "effect": "NoSchedule"} in values["prometheus-node-exporter"]["tolerations"]


# --- sizes


def test_the_head_pool_has_room_for_the_heads_node_and_its_replacement(prod):
    spec = node_pool(prod, "on-demand")
    head_vcpus = instances.ON_DEMAND_SHAPE.max_vcpus
    assert int(spec["limits"]["cpu"]) == 2 * head_vcpus == 8


def test_the_system_node_pool_holds_the_api_at_its_hpa_maximum(prod):
    spec = node_pool(prod, "system")
    api = parse({k.split(":", 1)[1]: v for k, v in stack_config("prod").items()}).api
    capacity = pools.api_capacity(api)
    assert int(spec["limits"]["cpu"]) == capacity.cpu_limit
    assert all(n * capacity.pods_per_node[t] >= api.max_replicas for t, n in capacity.nodes.items())
    assert spec["template"]["metadata"]["labels"] == {"genepool.io/pool": "system"}
    (capacity_type,) = [r for r in spec["template"]["spec"]["requirements"] if r["key"] == "karpenter.sh/capacity-type"]
    assert capacity_type["values"] == ["on-demand"]


def test_a_larger_hpa_maximum_raises_the_system_pools_limit():
    config = prod_config("api", "maxReplicas", 20)
    config["genepool:timescaledb"]["maxConnections"] = 400
    deployment = deploy("prod", config={**config, "genepool:costCeilingUsdPerHour": 20})
    assert int(node_pool(deployment, "system")["limits"]["cpu"]) == 16  # 3 xlarges at 7 pods, or 2 2xlarges at 15


def test_karpenter_runs_only_on_the_managed_node_group_never_on_nodes_it_launched(prod):
    release = plain(prod.named(RELEASE, "karpenter-release").inputs)
    group = plain(prod.named("aws:eks/nodeGroup:NodeGroup", "system").inputs)
    selector = release["values"]["nodeSelector"]
    assert selector.items() <= group["labels"].items()
    for name in ("ray-workers", "on-demand", "stateful", "system"):
        assert not selector.items() <= node_pool(prod, name)["template"]["metadata"]["labels"].items(), name


def test_the_node_class_sets_kubelet_max_pods_to_what_the_sizing_assumes(prod):
    spec = plain(prod.named(NODE_CLASS, "karpenter-node-class").inputs["spec"])
    assert spec["kubelet"] == {"maxPods": instances.KUBELET_MAX_PODS}
    assert all(t.max_pods == spec["kubelet"]["maxPods"] for t in instances.TABLE.values())


def test_the_vpc_cni_delegates_prefixes_so_every_node_can_address_max_pods(prod):
    cni = json.loads(prod.named("aws:eks/addon:Addon", "vpc-cni").inputs["configurationValues"])
    assert cni["env"]["ENABLE_PREFIX_DELEGATION"] == "true"


# --- the EC2 Spot service-linked role


def test_the_spot_service_linked_role_is_created_and_outlives_the_stack(prod):
    role = prod.named(SERVICE_LINKED_ROLE, "karpenter-spot-service-linked-role")
    assert role.inputs["awsServiceName"] == "spot.amazonaws.com"
    assert role.retain_on_delete


def test_karpenter_starts_only_after_the_spot_service_linked_role_exists(prod):
    assert prod.depends_on(RELEASE, "karpenter-release", SERVICE_LINKED_ROLE, "karpenter-spot-service-linked-role")


def test_an_account_that_has_the_spot_role_reads_it_instead_of_creating_it():
    deployment = deploy("prod", config=prod_config("aws", "spotServiceLinkedRole", "existing"))
    assert deployment.of_type(SERVICE_LINKED_ROLE) == []
    assert "aws:iam/getRole:getRole" in deployment.invokes


def test_an_unknown_spot_role_mode_fails_naming_the_key():
    raw = {k.split(":", 1)[1]: v for k, v in prod_config("aws", "spotServiceLinkedRole", "import").items()}
    with pytest.raises(StackConfigError, match=r"genepool:aws.spotServiceLinkedRole: must be create .* or existing"):
        parse(raw)
