"""Sizing at preview: allocatable CPU and memory per instance type (the documented EKS/Karpenter formula), and a
ConfigError naming the key, the instance type and the allocatable figure when a Ray pod cannot fit its pool."""

from __future__ import annotations

import copy

import pytest

from infra.config import ConfigError, parse
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


def test_nodes_of_30_or_more_vcpus_run_up_to_250_pods():
    assert instances.TABLE["c6i.8xlarge"].max_pods == 234
    assert instances.TABLE["c6i.16xlarge"].max_pods == 250


def test_the_prod_worker_fits_every_instance_type_of_its_pool():
    pools.check_sizing(parse({k.split(":", 1)[1]: v for k, v in stack_config("prod").items()}))


def test_a_ray_worker_of_28_gib_on_a_c6i_4xlarge_pool_fails_at_preview_naming_key_type_and_allocatable():
    with pytest.raises(
        ConfigError,
        match=r"genepool:ray.workerMemory: a pod requesting 28672Mi memory does not fit instance type c6a.4xlarge "
        r"of the ray-workers NodePool: allocatable memory 28445Mi \(27.78Gi",
    ):
        deploy("prod", config=prod_with("ray", "workerMemory", "28Gi"))


def test_a_ray_worker_asking_all_16_cpus_fails_naming_the_cpu_key():
    with pytest.raises(
        ConfigError, match=r"genepool:ray.workerCpu: .* instance type c6a.4xlarge .* allocatable CPU 15640m"
    ):
        deploy("prod", config=prod_with("ray", "workerCpu", "16"))


def test_a_ray_head_that_with_its_autoscaler_exceeds_an_xlarge_fails_naming_the_head_key():
    with pytest.raises(ConfigError, match=r"genepool:ray.headMemory: .* instance type m6a.xlarge of the on-demand"):
        deploy("prod", config=prod_with("ray", "headMemory", "14Gi"))


def test_a_worker_reference_type_giving_fewer_than_15_instance_types_fails_naming_the_key():
    config = {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in stack_config("prod").items()}
    config["cluster"]["workerPool"]["instanceType"] = "c6i.12xlarge"
    with pytest.raises(
        ConfigError, match=r"genepool:cluster.workerPool.instanceType: c6i.12xlarge gives a Ray worker pool of 8"
    ):
        pools.karpenter_pools(parse(config))


def test_the_head_sizing_counts_the_ray_autoscaler_sidecar():
    from infra.components import ray

    assert (
        f"{pools.RAY_AUTOSCALER_CPU_M}m",
        f"{pools.RAY_AUTOSCALER_MEMORY_MIB}Mi",
    ) == (ray.AUTOSCALER_CPU, ray.AUTOSCALER_MEMORY)
