"""Platform ``digitalocean``: a DOKS cluster in its own VPC, managed PostgreSQL (it has the timescaledb extension)
and managed Valkey (Redis-compatible; DigitalOcean's successor to its managed Redis) when asked for.

The control plane runs the newest DOKS patch of the minor ``genepool:cluster.kubernetesVersion`` names: the slug
(``1.36.4-do.0``) is resolved on every run through ``get_kubernetes_versions(version_prefix="1.36.")``, so a stack
never asks for a patch DigitalOcean has stopped creating, and ``auto_upgrade`` applies new patches within the
maintenance window (:data:`MAINTENANCE_WINDOW`, surge upgrades on). The next run resolves the patch the cluster was
upgraded to, never an older one. DigitalOcean force-upgrades a minor past its end of life to the next minor; the
support calendar (``infra/versions.py``) refuses such a minor at preview, so config can never ask for a downgrade
(docs/operations.md#versions-and-upgrades).

Node pools autoscale natively: the system pool (``genepool.io/pool=system``) runs operators, databases, the API and
the Ray head; the workers pool (``genepool.io/pool=workers``, tainted ``genepool.io/pool=workers:NoSchedule``, which
only Ray workers tolerate) runs Ray workers and may scale to zero.
DigitalOcean has no spot droplets, so workers are on-demand (config validation refuses ``spot: true`` here).

The Kubernetes provider's kubeconfig (:func:`doks_kubeconfig`) holds the cluster's endpoint and CA certificate and
a user that runs ``doctl kubernetes cluster kubeconfig exec-credential`` whenever it needs a token; doctl reads the
API token from ``DIGITALOCEAN_ACCESS_TOKEN`` in the environment of ``pulumi`` (never from the stack). So the
provider's input is the same on every run (no drift, no replacement of the provider) and no token is stored: a
kubeconfig read from DigitalOcean instead carries a 7-day token minted on each read, which changes the provider's
input on every run and leaves the tokens piling up.

The HTTPS ingress (Traefik behind a DigitalOcean load balancer with a Let's Encrypt certificate, DNS records in the
account's domain) is ``digitalocean_ingress.py``'s; its load balancer is in the cost estimate.

The workload image lives in the stack's DigitalOcean Container Registry (``digitalocean_registry.py``), pulled with
a read-only credential the program turns into the namespace's pull secret.

The managed databases accept connections only from the cluster (database firewalls) over the VPC, with TLS. The
database ``genepool`` is owned by the admin (``doadmin``) and PostgreSQL 15+ gives other users no CREATE on schema
``public``, so the platform hands the admin connection to the grant step (:class:`~infra.platforms.DatabaseAdmin`).
The plan's connection limit is checked at preview against what the stack's clients may open
(``infra/connections.py``).
"""

from __future__ import annotations

import re

import pulumi
import pulumi_digitalocean as do
import pulumi_kubernetes as k8s

from infra import connections, labels
from infra.config import NodePool, StackConfig, StackConfigError, required
from infra.platforms import (
    DatabaseAdmin,
    ImageRegistry,
    Platform,
    Scheduling,
    digitalocean_ingress,
    digitalocean_wal_archive,
)
from infra.platforms.digitalocean_registry import ContainerRegistry, ContainerRegistryArgs
from infra.platforms.kubeconfig import exec_kubeconfig
from infra.platforms.prices import DIGITALOCEAN, DIGITALOCEAN_LOAD_BALANCER, DIGITALOCEAN_SPACES, price

POOL_LABEL = "genepool.io/pool"
POSTGRES_VERSION = "16"
VALKEY_VERSION = "8"
DATABASE = "genepool"
USER = "genepool"
MAINTENANCE_WINDOW = {"day": "sunday", "start_time": "03:00"}
"""When DigitalOcean may apply patch upgrades (UTC): Sunday 03:00, between the evolution's scheduled runs' busiest
hours; a forced minor upgrade at end of life is scheduled in the same window."""
WORKERS_TAINT = {"key": POOL_LABEL, "value": "workers", "effect": "NoSchedule"}
"""On the workers pool: only pods that tolerate it (the Ray workers) schedule there."""


PLAN_MEMORY = re.compile(r"-(\d+)gb$")
CONNECTIONS_PER_GB = 25
RESERVED_CONNECTIONS = 3


def plan_connection_limit(plan: str) -> int:
    """Connections a managed PostgreSQL plan (``db-s-2vcpu-4gb``) accepts from users: 25 per GB of the node's memory
    less 3 DigitalOcean keeps for maintenance (DigitalOcean's "How to Manage Connection Pools for PostgreSQL
    Database Clusters", read December 2026): 97 on a 4 GB plan."""
    match = PLAN_MEMORY.search(plan)
    if match is None:
        raise StackConfigError(
            "timescaledb.instanceType",
            f"{plan!r} names no memory size (a DigitalOcean database slug such as db-s-2vcpu-4gb): its connection "
            "limit is unknown",
        )
    return CONNECTIONS_PER_GB * int(match.group(1)) - RESERVED_CONNECTIONS


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


def doks_slug(minor: str, valid_versions: list[str], latest_version: str) -> str:
    """The DOKS version slug to run for ``minor``: DigitalOcean's newest within it; a StackConfigError when it offers
    none (the minor is too new for DOKS, or past its end of life)."""
    if not latest_version or not any(version.startswith(f"{minor}.") for version in valid_versions):
        raise StackConfigError(
            "cluster.kubernetesVersion",
            f"DigitalOcean offers no {minor}.x version (offered: {', '.join(valid_versions) or 'none'})",
        )
    return latest_version


def kubernetes_version(minor: str) -> pulumi.Output[str]:
    """The resolved slug of :func:`doks_slug`, read on every run."""
    offered = do.get_kubernetes_versions_output(version_prefix=f"{minor}.")
    return pulumi.Output.all(offered.valid_versions, offered.latest_version).apply(
        lambda found: doks_slug(minor, list(found[0]), found[1])
    )


def doks_kubeconfig(cluster_id: str, endpoint: str, ca_certificate: str) -> str:
    """The DOKS cluster's kubeconfig: its user runs ``doctl`` for a short-lived token on each use (``doctl`` on the
    PATH, ``DIGITALOCEAN_ACCESS_TOKEN`` in the environment). The same cluster gives the same text on every run."""
    args = ["kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", cluster_id]
    return exec_kubeconfig(f"do-{cluster_id}", endpoint, ca_certificate, "doctl", args)


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
    else:
        cost += DIGITALOCEAN_SPACES  # the WAL archive's bucket (digitalocean_wal_archive.py)
    cost += DIGITALOCEAN_LOAD_BALANCER
    return round(cost, 4)


def build(config: StackConfig) -> Platform:
    if config.timescaledb.managed:
        connections.check_budget(
            config, plan_connection_limit(required(config.timescaledb.instance_type, "timescaledb.instanceType"))
        )
    cluster_config = config.cluster
    region = cluster_config.region
    vpc = do.Vpc("vpc", name=f"genepool-{pulumi.get_stack()}", region=region)
    cluster, worker_pool = doks_cluster(config, vpc)
    rendered: pulumi.Output[str] = pulumi.Output.all(
        cluster.id, cluster.endpoint, cluster.kube_configs[0].cluster_ca_certificate
    ).apply(lambda values: doks_kubeconfig(*values))
    kubeconfig: pulumi.Output[str] = pulumi.Output.secret(rendered)
    provider = k8s.Provider("digitalocean", kubeconfig=kubeconfig, enable_server_side_apply=True)

    database_url: pulumi.Output[str] | None = None
    redis_url: pulumi.Output[str] | None = None
    database_admin: DatabaseAdmin | None = None
    if config.timescaledb.managed:
        database_url, database_admin = managed_postgres(config, vpc, cluster)
    if config.redis.managed:
        redis_url = managed_valkey(config, vpc, cluster)
    registry = container_registry(config)
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
        edge=digitalocean_ingress.edge(
            config.ingress,
            system_scheduling,
            required(region, "cluster.region"),
            pulumi.ResourceOptions(provider=provider, depends_on=[cluster, worker_pool]),
        ),
        hourly_cost_usd=hourly_cost(config),
        redis_url=redis_url,
        database_url=database_url,
        database_admin=database_admin,
        registry=ImageRegistry(repository=registry.repository_url, docker_config=registry.docker_config),
        wal_archive=digitalocean_wal_archive.wal_archive(config, required(region, "cluster.region")),
    )


def doks_cluster(config: StackConfig, vpc: do.Vpc) -> tuple[do.KubernetesCluster, do.KubernetesNodePool]:
    """The DOKS cluster in ``vpc`` at the resolved patch of its minor with the system pool, and the tainted workers
    pool."""
    cluster_config = config.cluster
    region = cluster_config.region
    system = required(cluster_config.system_pool, "cluster.systemPool")
    workers = required(cluster_config.worker_pool, "cluster.workerPool")
    cluster = do.KubernetesCluster(
        "cluster",
        name=f"genepool-{pulumi.get_stack()}",
        region=region,
        version=kubernetes_version(cluster_config.kubernetes_version),
        vpc_uuid=vpc.id,
        auto_upgrade=True,
        maintenance_policy=do.KubernetesClusterMaintenancePolicyArgs(**MAINTENANCE_WINDOW),
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
    return cluster, worker_pool


def managed_postgres(
    config: StackConfig, vpc: do.Vpc, cluster: do.KubernetesCluster
) -> tuple[pulumi.Output[str], DatabaseAdmin]:
    """Managed PostgreSQL reachable from ``cluster`` only, with the database and the app's user: the app's URL
    (TLS required) and the admin connection for the grant step."""
    region = config.cluster.region
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
    database_url: pulumi.Output[str] = pulumi.Output.secret(
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
        app_database=DATABASE,
    )
    return database_url, database_admin


def managed_valkey(config: StackConfig, vpc: do.Vpc, cluster: do.KubernetesCluster) -> pulumi.Output[str]:
    """Managed Valkey reachable from ``cluster`` only (``allkeys-lru``, RDB persistence): its URL (TLS)."""
    region = config.cluster.region
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
    return pulumi.Output.secret(
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


def container_registry(config: StackConfig) -> ContainerRegistry:
    """The stack's DigitalOcean Container Registry (``genepool:registry``) in the cluster's region."""
    registry_config = required(config.registry, "registry")
    return ContainerRegistry(
        "registry",
        ContainerRegistryArgs(
            required(registry_config.name, "registry.name"),
            required(registry_config.tier, "registry.tier"),
            required(config.cluster.region, "cluster.region"),
        ),
    )
