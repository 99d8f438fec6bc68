"""Sizing at preview: allocatable CPU and memory per instance type (the documented EKS/Karpenter formula, for the
110 pods the EC2NodeClass's ``kubelet.maxPods`` sets), and a StackConfigError naming the key, the count, the instance
types and their allocatable figures when a pod fits fewer of its pool's types than the pool's ``minValues``, with
margin."""

from __future__ import annotations

import copy

import pytest

from infra.config import StackConfigError, parse
from infra.platforms.aws import instances, pools

from .conftest import deploy, stack_config


def prod_with(section: str, field: str, value) -> dict:
    config = copy.deepcopy(stack_config("prod"))
    config[f"genepool:{section}"][field] = value
    return config


def test_allocatable_of_a_c6i_4xlarge_follows_the_documented_formula():
    node = instances.TABLE["c6i.4xlarge"]
    assert node.max_pods == 110  # 8 ENIs x (30 - 1) + 2 = 234, capped at 110 below 30 vCPUs
    assert node.kube_reserved_cpu_m == 60 + 10 + 5 + 5 + 12 * 2.5
    assert node.allocatable_cpu_m == 16000 - 110 - 250
    # 32 GiB less 7.5% VM overhead, kube-reserved 11 x 110 + 255, eviction 100, DaemonSets 300 (MiB)
    assert node.allocatable_memory_mib == int(32768 * 0.925 - 1465 - 100 - 300) == 28445


def test_every_type_reserves_for_the_110_pods_the_node_class_admits_not_its_eni_limit():
    assert {t.max_pods for t in instances.TABLE.values()} == {instances.KUBELET_MAX_PODS} == {110}
    # Without kubelet.maxPods Karpenter would take the ENI limit: 8 x (30 - 1) + 2 = 234 on a 4xlarge.
    assert instances.TABLE["c6i.4xlarge"].allocatable_memory_mib == int(32768 * 0.925 - (11 * 110 + 255) - 400)


def test_every_type_can_address_the_pods_its_kubelet_admits_under_prefix_delegation():
    short = {t.name: t.pod_ips for t in instances.TABLE.values() if t.pod_ips < instances.KUBELET_MAX_PODS}
    assert short == {}


def test_a_worker_that_fits_the_4xlarge_types_only_without_margin_leaves_fewer_than_min_values_and_fails():
    # 27Gi fits a 4xlarge's 28445Mi, but not with 5% to spare: 13 of 16 types remain, minValues is 15.
    with pytest.raises(
        StackConfigError,
        match=r"genepool:ray.workerMemory: a pod requesting 27648Mi memory fits 13 of the 16 instance types of the "
        r"ray-workers NodePool with a 5% margin, and the pool needs 15 \(minValues\)",
    ):
        deploy("prod", config=prod_with("ray", "workerMemory", "27Gi"))


def test_a_worker_that_fits_min_values_types_with_margin_passes_though_some_types_are_too_small():
    config = parse({k.split(":", 1)[1]: v for k, v in prod_with("ray", "workerMemory", "26Gi").items()})
    pools.check_sizing(config)
    shape = pools.karpenter_pools(config)[0].shape
    fitting = [t for t in shape.instance_types() if instances.fits(t, 15000, 26 * 1024)]
    assert len(fitting) >= shape.min_types == instances.MIN_INSTANCE_TYPES


def test_the_prod_worker_fits_every_instance_type_of_its_pool():
    pools.check_sizing(parse({k.split(":", 1)[1]: v for k, v in stack_config("prod").items()}))


def test_a_ray_worker_of_28_gib_on_a_c6i_4xlarge_pool_fails_at_preview_naming_key_types_and_allocatable():
    with pytest.raises(
        StackConfigError,
        match=r"genepool:ray.workerMemory: a pod requesting 28672Mi memory fits 13 of the 16 .*too small: "
        r"c6a.4xlarge \(allocatable memory 28445Mi, 27.78Gi\)",
    ):
        deploy("prod", config=prod_with("ray", "workerMemory", "28Gi"))


def test_a_ray_worker_asking_all_16_cpus_fails_naming_the_cpu_key():
    with pytest.raises(
        StackConfigError, match=r"genepool:ray.workerCpu: .*too small: c6a.4xlarge \(allocatable CPU 15640m\)"
    ):
        deploy("prod", config=prod_with("ray", "workerCpu", "16"))


def test_a_ray_head_that_with_its_autoscaler_exceeds_an_xlarge_fails_naming_the_head_key():
    with pytest.raises(
        StackConfigError, match=r"genepool:ray.headMemory: .*fits 0 of the 3 instance types of the on-demand NodePool"
    ):
        deploy("prod", config=prod_with("ray", "headMemory", "14Gi"))


def test_a_worker_reference_type_giving_fewer_than_15_instance_types_fails_naming_the_key():
    config = {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in stack_config("prod").items()}
    config["cluster"]["workerPool"]["instanceType"] = "c6i.12xlarge"
    with pytest.raises(
        StackConfigError, match=r"genepool:cluster.workerPool.instanceType: c6i.12xlarge gives a Ray worker pool of 8"
    ):
        pools.karpenter_pools(parse(config))


def test_the_head_sizing_counts_the_ray_autoscaler_sidecar():
    from infra.components import ray

    assert (
        f"{pools.RAY_AUTOSCALER_CPU_M}m",
        f"{pools.RAY_AUTOSCALER_MEMORY_MIB}Mi",
    ) == (ray.AUTOSCALER_CPU, ray.AUTOSCALER_MEMORY)


def test_the_system_pool_holds_the_api_at_its_hpa_maximum_on_any_type_it_admits():
    api = parse({k.split(":", 1)[1]: v for k, v in stack_config("prod").items()}).api
    capacity = pools.api_capacity(api)
    # 500m / 512Mi per pod: 7 on an xlarge (3670m allocatable less 2%), 15 on a 2xlarge.
    assert capacity.pods_per_node == {"m6a.xlarge": 7, "m6i.xlarge": 7, "m7i.xlarge": 7} | {
        "m6a.2xlarge": 15,
        "m6i.2xlarge": 15,
        "m7i.2xlarge": 15,
    }
    for name, nodes in capacity.nodes.items():
        assert nodes * capacity.pods_per_node[name] >= api.max_replicas
        assert nodes * instances.TABLE[name].vcpus <= capacity.cpu_limit
    assert capacity.cpu_limit == 8


def test_the_system_pool_grows_with_the_hpa_maximum():
    small = parse({k.split(":", 1)[1]: v for k, v in prod_with("api", "maxReplicas", 10).items()}).api
    large = parse({k.split(":", 1)[1]: v for k, v in prod_with("api", "maxReplicas", 40).items()}).api
    assert pools.api_capacity(large).cpu_limit == 24 > pools.api_capacity(small).cpu_limit


def test_an_api_pod_too_big_for_the_system_pool_fails_naming_the_request_key():
    config = prod_with("api", "memoryRequest", "28Gi")
    config["genepool:api"]["memoryLimit"] = "28Gi"
    with pytest.raises(StackConfigError, match=r"genepool:api.memoryRequest: .*of the system NodePool"):
        deploy("prod", config=config)
