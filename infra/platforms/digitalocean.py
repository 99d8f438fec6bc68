"""Platform ``digitalocean``: a DOKS cluster in its own VPC, managed PostgreSQL (it has the timescaledb extension)
and managed Valkey (Redis-compatible; DigitalOcean's successor to its managed Redis) when asked for.

The control plane runs the DOKS version pinned in ``genepool:cluster.doksVersion`` (upgrades are a deliberate config
change; ``auto_upgrade`` off). Node pools autoscale natively: the system pool (``genepool.io/pool=system``) runs
operators, databases, the API and the Ray head; the workers pool (``genepool.io/pool=workers``, tainted
``genepool.io/pool=workers:NoSchedule``, which only Ray workers tolerate) runs Ray workers and may scale to zero.
DigitalOcean has no spot droplets, so workers are on-demand (config validation refuses ``spot: true`` here).

The kubeconfig is read on every run through the ``get_kubernetes_cluster`` data source: the one in the cluster
resource's state carries a token that expires after 7 days, after which preview/up could not reach the cluster.

The workload image lives in the stack's DigitalOcean Container Registry (``digitalocean_registry.py``), pulled with
a read-only credential the program turns into the namespace's pull secret.

The managed databases accept connections only from the cluster (database firewalls) over the VPC, with TLS. The
database ``genepool`` is owned by the admin (``doadmin``) and PostgreSQL 15+ gives other users no CREATE on schema
``public``, so the platform hands the admin connection to the grant step (:class:`~infra.platforms.DatabaseAdmin`).
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do
import pulumi_kubernetes as k8s

from infra import labels
from infra.config import NodePool, StackConfig, required
from infra.platforms import DatabaseAdmin, ImageRegistry, Platform, Scheduling
from infra.platforms.digitalocean_registry import ContainerRegistry, ContainerRegistryArgs
from infra.platforms.prices import DIGITALOCEAN, price

POOL_LABEL = "genepool.io/pool"
POSTGRES_VERSION = "16"
VALKEY_VERSION = "8"
DATABASE = "genepool"
USER = "genepool"
WORKERS_TAINT = {"key": POOL_LABEL, "value": "workers", "effect": "NoSchedule"}
"""On the workers pool: only pods that tolerate it (the Ray workers) schedule there."""


def cost_tags() -> list[str]:
    """The cost-allocation tags (``infra.labels.cost_tags``) as DigitalOcean ``key:value`` tags."""
    return [f"{key}:{value}" for key, value in labels.cost_tags(pulumi.get_stack()).items()]


def node_pool_args(pool: NodePool, name: str) -> dict:
    return {
        "name": name,
        "tags": cost_tags(),
        "size": pool.instance_type,
        "auto_scale": True,
        "min_nodes": pool.min_nodes,
        "max_nodes": pool.max_nodes,
        "labels": {POOL_LABEL: name},
    }


def hourly_cost(config: StackConfig) -> float:
    system = required(config.cluster.system_pool, "cluster.systemPool")
    workers = required(config.cluster.worker_pool, "cluster.workerPool")
    cost = price(DIGITALOCEAN, "cluster.systemPool.instanceType", system.instance_type) * system.max_nodes
    cost += price(DIGITALOCEAN, "cluster.workerPool.instanceType", workers.instance_type) * workers.max_nodes
    if config.redis.managed:
        cost += price(DIGITALOCEAN, "redis.instanceType", required(config.redis.instance_type, "redis.instanceType"))
    if config.timescaledb.managed:
        cost += price(
            DIGITALOCEAN,
            "timescaledb.instanceType",
            required(config.timescaledb.instance_type, "timescaledb.instanceType"),
        )
    return round(cost, 4)


def build(config: StackConfig) -> Platform:
    cluster_config = config.cluster
    region = cluster_config.region
    system = required(cluster_config.system_pool, "cluster.systemPool")
    workers = required(cluster_config.worker_pool, "cluster.workerPool")
    vpc = do.Vpc("vpc", name=f"genepool-{pulumi.get_stack()}", region=region)
    cluster = do.KubernetesCluster(
        "cluster",
        name=f"genepool-{pulumi.get_stack()}",
        region=region,
        version=required(cluster_config.doks_version, "cluster.doksVersion"),
        vpc_uuid=vpc.id,
        auto_upgrade=False,
        surge_upgrade=True,
        tags=cost_tags(),
        node_pool=do.KubernetesClusterNodePoolArgs(**node_pool_args(system, "system")),
    )
    worker_pool = do.KubernetesNodePool(
        "workers",
        cluster_id=cluster.id,
        taints=[do.KubernetesNodePoolTaintArgs(**WORKERS_TAINT)],
        **node_pool_args(workers, "workers"),
    )
    fresh = do.get_kubernetes_cluster_output(name=cluster.name, opts=pulumi.InvokeOutputOptions(depends_on=[cluster]))
    # Read after the cluster exists: on a first preview the result is unknown instead of a failed lookup.
    kubeconfig = pulumi.Output.secret(fresh.kube_configs[0].raw_config)
    provider = k8s.Provider("digitalocean", kubeconfig=kubeconfig, enable_server_side_apply=True)

    database_url: pulumi.Output[str] | None = None
    redis_url: pulumi.Output[str] | None = None
    database_admin: DatabaseAdmin | None = None
    if config.timescaledb.managed:
        postgres = do.DatabaseCluster(
            "timescaledb",
            engine="pg",
            version=POSTGRES_VERSION,
            size=config.timescaledb.instance_type,
            region=region,
            node_count=1,
            private_network_uuid=vpc.id,
            tags=cost_tags(),
        )
        do.DatabaseFirewall(
            "timescaledb-firewall",
            cluster_id=postgres.id,
            rules=[do.DatabaseFirewallRuleArgs(type="k8s", value=cluster.id)],
        )
        database = do.DatabaseDb("timescaledb-database", cluster_id=postgres.id, name=DATABASE)
        user = do.DatabaseUser("timescaledb-user", cluster_id=postgres.id, name=USER)
        database_url = pulumi.Output.secret(
            pulumi.Output.concat(
                "postgresql://",
                USER,
                ":",
                user.password,
                "@",
                postgres.private_host,
                ":",
                postgres.port.apply(lambda port: str(int(port))),
                "/",
                database.name,
                "?sslmode=require",
            )
        )
        database_admin = DatabaseAdmin(
            host=pulumi.Output.secret(postgres.private_host),
            port=pulumi.Output.secret(postgres.port.apply(lambda port: str(int(port)))),
            database=pulumi.Output.secret(database.name),
            user=pulumi.Output.secret(postgres.user),
            password=pulumi.Output.secret(postgres.password),
            app_user=USER,
        )
    if config.redis.managed:
        valkey = do.DatabaseCluster(
            "cache",
            engine="valkey",
            version=VALKEY_VERSION,
            size=config.redis.instance_type,
            region=region,
            node_count=1,
            private_network_uuid=vpc.id,
            tags=cost_tags(),
        )
        do.DatabaseValkeyConfig(
            "cache-config", cluster_id=valkey.id, valkey_maxmemory_policy="allkeys-lru", persistence="rdb"
        )
        do.DatabaseFirewall(
            "cache-firewall", cluster_id=valkey.id, rules=[do.DatabaseFirewallRuleArgs(type="k8s", value=cluster.id)]
        )
        redis_url = pulumi.Output.secret(
            pulumi.Output.concat(
                "rediss://default:",
                valkey.password,
                "@",
                valkey.private_host,
                ":",
                valkey.port.apply(lambda port: str(int(port))),
                "/0",
            )
        )
    registry_config = required(config.registry, "registry")
    registry = ContainerRegistry(
        "registry",
        ContainerRegistryArgs(
            required(registry_config.name, "registry.name"),
            required(registry_config.tier, "registry.tier"),
            required(region, "cluster.region"),
        ),
    )
    system_scheduling = Scheduling(node_selector={POOL_LABEL: "system"})
    return Platform(
        provider=provider,
        kubeconfig=kubeconfig,
        storage_class=cluster_config.storage_class,
        backup_storage_class=cluster_config.storage_class,
        system=system_scheduling,
        head=system_scheduling,
        stateful=system_scheduling,
        workers=Scheduling(
            node_selector={POOL_LABEL: "workers"},
            tolerations=[{**WORKERS_TAINT, "operator": "Equal"}],
        ),
        ready=[cluster, worker_pool],
        hourly_cost_usd=hourly_cost(config),
        redis_url=redis_url,
        database_url=database_url,
        database_admin=database_admin,
        registry=ImageRegistry(repository=registry.repository_url, docker_config=registry.docker_config),
    )
