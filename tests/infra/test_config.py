"""Each stack-config rule: a valid file parses; every invalid value fails naming the key and the rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import StackConfigError, parse

from .conftest import REPOSITORY, STACKS, stack_config, stack_file_config


def raw(stack: str) -> dict[str, Any]:
    """The stack file's ``genepool:*`` config without the namespace, as ``config.load`` decodes it."""
    return {
        key.split(":", 1)[1]: copy.deepcopy(value)
        for key, value in stack_config(stack).items()
        if key.startswith("genepool:")
    }


def with_value(stack: str, path: str, value: Any) -> dict[str, Any]:
    config = raw(stack)
    *parents, leaf = path.split(".")
    node = config
    for parent in parents:
        node = node.setdefault(parent, {})
    node[leaf] = value
    return config


def without(stack: str, path: str) -> dict[str, Any]:
    config = raw(stack)
    *parents, leaf = path.split(".")
    node = config
    for parent in parents:
        node = node[parent]
    del node[leaf]
    return config


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_config_is_valid(stack):
    assert parse(raw(stack)).cloud == raw(stack)["cloud"]


def test_defaults_are_the_seed_documents_values():
    config = parse(
        {
            "cloud": "local",
            "image": "genepool/workload:0.1.0",
            "costCeilingUsdPerHour": 1,
            "cluster": {"storageClass": "standard"},
            "evolution": {"symbols": ["BTCUSDT"], "randomSeed": 7},
        }
    )
    assert (config.redis.max_memory, config.redis.volume_size) == ("2gb", "20Gi")
    assert (config.timescaledb.max_connections, config.timescaledb.shared_buffers) == (200, "1GB")
    assert (config.timescaledb.effective_cache_size, config.timescaledb.work_mem) == ("3GB", "5MB")
    assert config.timescaledb.maintenance_work_mem == "256MB"
    assert (config.monitoring.retention_days, config.monitoring.volume_size) == (30, "50Gi")
    assert (config.api.min_replicas, config.api.max_replicas, config.api.target_cpu_percent) == (3, 10, 70)
    assert (config.evolution.population, config.evolution.generations) == (50, 10)


def test_numbers_arrive_as_strings_or_floats_and_are_read_as_integers():
    config = parse(with_value("dev", "api.maxReplicas", 8.0))
    assert config.api.max_replicas == 8 and isinstance(config.api.max_replicas, int)
    assert parse(with_value("dev", "api.maxReplicas", "9")).api.max_replicas == 9


INVALID = [
    ("dev", "cloud", "gcp", "genepool:cloud: must be one of local, digitalocean, aws"),
    ("dev", "image", "genepool/workload", "genepool:image: must pin a tag or a digest"),
    ("dev", "image", "genepool/workload:latest", "genepool:image: must pin a tag, not 'latest'"),
    ("dev", "image", "Genepool/Workload:1", "genepool:image: must be an image reference"),
    ("dev", "image", "genepool/workload@sha256:abc", "genepool:image: must be an image reference"),
    ("dev", "costCeilingUsdPerHour", 0, "genepool:costCeilingUsdPerHour: must be a number of USD per hour > 0"),
    ("dev", "costCeilingUsdPerHour", "cheap", "genepool:costCeilingUsdPerHour: must be a number"),
    ("dev", "namespace", "Gene_Pool", "genepool:namespace: must be a Kubernetes namespace name"),
    ("dev", "cluster.region", "fra1", "genepool:cluster.region: does not apply to cloud 'local'"),
    ("dev", "cluster.kubernetesVersion", "v1.31.0", "genepool:cluster.kubernetesVersion: must be a minor version"),
    ("dev", "cluster.storageClas", "standard", "genepool:cluster.storageClas: unknown field"),
    ("staging", "cluster.context", "kind-genepool", "genepool:cluster.context: does not apply to cloud 'digitalocean'"),
    ("staging", "cluster.workerPool.spot", True, "genepool:cluster.workerPool.spot: cloud 'digitalocean' has no spot"),
    (
        "staging",
        "cluster.workerPool.minNodes",
        5,
        "genepool:cluster.workerPool.minNodes: must be <= cluster.workerPool.maxNodes \\(5 > 4\\)",
    ),
    ("staging", "cluster.workerPool.maxNodes", 2.5, "genepool:cluster.workerPool.maxNodes: must be an integer"),
    ("prod", "cluster.systemPool.spot", True, "genepool:cluster.systemPool.spot: .* on-demand only"),
    ("prod", "cluster.systemPool.minNodes", 0, "genepool:cluster.systemPool.minNodes: must be >= 1"),
    ("prod", "cluster.workerPool.spot", "maybe", "genepool:cluster.workerPool.spot: must be true or false"),
    (
        "prod",
        "cluster.workerPool.minNodes",
        2,
        "genepool:cluster.workerPool.minNodes: must be 0 on aws .* ray.minWorkers",
    ),
    ("dev", "aws", {"rootVolumeGiB": 100}, "genepool:aws: does not apply to cloud 'local'"),
    (
        "prod",
        "aws.publicAccessCidrs",
        ["0.0.0.0/0"],
        "genepool:aws.publicAccessCidrs\\[0\\]: 0.0.0.0/0 opens the .* internet",
    ),
    ("prod", "aws.publicAccessCidrs", ["::/0"], "genepool:aws.publicAccessCidrs\\[0\\]: ::/0 opens the"),
    ("prod", "aws.publicAccessCidrs", ["10.0.0.1/8"], "genepool:aws.publicAccessCidrs\\[0\\]: must be a CIDR block"),
    ("prod", "aws.publicAccessCidrs", "10.0.0.0/8", "genepool:aws.publicAccessCidrs: must be a list"),
    (
        "prod",
        "aws.deployerRoleArn",
        "genepool-deployer",
        "genepool:aws.deployerRoleArn: must be an IAM role or user ARN",
    ),
    ("prod", "aws.adminPrincipalArns", ["arn:aws:iam::12:user/x"], "genepool:aws.adminPrincipalArns\\[0\\]: must be"),
    ("prod", "aws.rootVolumeGiB", 8, "genepool:aws.rootVolumeGiB: must be an integer in \\[20, 16384\\]"),
    ("prod", "aws.logRetentionDays", 10, "genepool:aws.logRetentionDays: must be a retention CloudWatch Logs accepts"),
    ("prod", "aws.backupRetentionDays", 0, "genepool:aws.backupRetentionDays: must be an integer in \\[1, 3650\\]"),
    ("dev", "redis.managed", True, "genepool:redis.managed: cloud 'local' has no managed Redis"),
    ("dev", "redis.maxMemory", "2GB", "genepool:redis.maxMemory: must be a Redis size"),
    ("dev", "redis.maxMemory", "1gb", "genepool:redis.maxMemory: must be below redis.memory"),
    ("dev", "redis.cpu", "half", "genepool:redis.cpu: must be a CPU quantity"),
    (
        "prod",
        "timescaledb.managed",
        True,
        "genepool:timescaledb.managed: cloud 'aws' has no managed PostgreSQL with the timescaledb extension",
    ),
    ("dev", "timescaledb.sharedBuffers", "1gb", "genepool:timescaledb.sharedBuffers: must be a PostgreSQL size"),
    ("dev", "timescaledb.sharedBuffers", "2GB", "genepool:timescaledb.sharedBuffers: must be below timescaledb.memory"),
    (
        "dev",
        "timescaledb.maxConnections",
        5,
        "genepool:timescaledb.maxConnections: must be an integer in \\[10, 5000\\]",
    ),
    ("dev", "monitoring.retentionDays", 0, "genepool:monitoring.retentionDays: must be an integer in \\[1, 3650\\]"),
    ("dev", "monitoring.volumeSize", "lots", "genepool:monitoring.volumeSize: must be a memory quantity"),
    ("dev", "ray.minWorkers", 3, "genepool:ray.minWorkers: must be <= ray.maxWorkers \\(3 > 2\\)"),
    ("dev", "ray.workerCpu", "500m", "genepool:ray.workerCpu: must be at least 1 CPU"),
    ("dev", "api.minReplicas", 11, "genepool:api.minReplicas: must be <= api.maxReplicas"),
    ("dev", "api.cpuRequest", "2", "genepool:api.cpuRequest: must be <= api.cpuLimit"),
    ("dev", "api.memoryRequest", "4Gi", "genepool:api.memoryRequest: must be <= api.memoryLimit"),
    ("dev", "api.targetCpuPercent", 150, "genepool:api.targetCpuPercent: must be an integer in \\[1, 100\\]"),
    ("dev", "evolution.schedule", "every 6 hours", "genepool:evolution.schedule: must be a 5-field cron expression"),
    ("dev", "evolution.population", 1, "genepool:evolution.population: must be an integer in \\[2, 100000\\]"),
    ("dev", "evolution.randomSeed", -1, "genepool:evolution.randomSeed: must be an integer"),
    (
        "dev",
        "evolution.deadlineSeconds",
        60,
        "genepool:evolution.deadlineSeconds: must be an integer in \\[600, 604800\\]",
    ),
    ("dev", "evolution", "nightly", "genepool:evolution: must be an object"),
]


DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "image",
    [
        "genepool/workload:0.1.0",
        f"ghcr.io/acme/genepool/workload@{DIGEST}",
        f"ghcr.io/acme/genepool/workload:0.2.0@{DIGEST}",
        "registry.internal:5000/genepool/workload:0.1.0",
    ],
)
def test_an_image_pinned_by_tag_or_digest_is_accepted(image):
    assert parse(with_value("prod", "image", image)).image == image


@pytest.mark.parametrize(("stack", "path", "value", "message"), INVALID, ids=[f"{p}={v!r}" for _, p, v, _ in INVALID])
def test_invalid_value_fails_naming_key_and_rule(stack, path, value, message):
    with pytest.raises(StackConfigError, match=message):
        parse(with_value(stack, path, value))


MISSING = [
    ("dev", "cloud", "genepool:cloud: must be one of"),
    ("dev", "image", "genepool:image: must be a non-empty string"),
    ("dev", "cluster.storageClass", "genepool:cluster.storageClass: is required"),
    ("staging", "cluster.region", "genepool:cluster.region: is required"),
    ("staging", "cluster.workerPool", "genepool:cluster.workerPool.instanceType: is required"),
    ("staging", "redis.instanceType", "genepool:redis.instanceType: is required"),
    ("dev", "evolution.randomSeed", "genepool:evolution.randomSeed: is required"),
    ("prod", "aws", "genepool:aws.publicAccessCidrs: is required"),
    ("prod", "aws.publicAccessCidrs", "genepool:aws.publicAccessCidrs: is required"),
    ("prod", "aws.deployerRoleArn", "genepool:aws.deployerRoleArn: is required"),
]


def test_aws_defaults_give_100_gib_roots_90_day_logs_and_35_day_backups():
    config = parse(
        with_value(
            "prod",
            "aws",
            {
                "publicAccessCidrs": [],
                "deployerRoleArn": "arn:aws:iam::123456789012:role/ci",
                "backupAlertEmails": ["oncall@example.com"],
            },
        )
    )
    assert config.aws is not None
    assert (config.aws.root_volume_gib, config.aws.log_retention_days, config.aws.backup_retention_days) == (
        100,
        90,
        35,
    )
    assert config.aws.public_access_cidrs == () and config.aws.admin_principal_arns == ()


@pytest.mark.parametrize(("stack", "path", "message"), MISSING, ids=[p for _, p, _ in MISSING])
def test_missing_required_value_fails_naming_the_key(stack, path, message):
    with pytest.raises(StackConfigError, match=message):
        parse(without(stack, path))


def test_the_shipped_prod_file_asks_for_who_may_reach_the_cluster():
    """Pulumi.prod.yaml carries no stand-in CIDR or account: until the organisation sets its own, preview fails
    naming the key."""
    shipped = {key.split(":", 1)[1]: value for key, value in stack_file_config("prod").items()}
    with pytest.raises(StackConfigError, match="genepool:aws.publicAccessCidrs: is required"):
        parse(shipped)
    lines = (REPOSITORY / "Pulumi.prod.yaml").read_text().splitlines()
    values = [line for line in lines if not line.lstrip().startswith("#")]
    assert not [line for line in values if "203.0.113" in line or "123456789012" in line]
