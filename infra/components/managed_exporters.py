"""Exporters for the servers the platform manages (ElastiCache, DigitalOcean's Valkey and PostgreSQL): the same
redis_exporter and postgres_exporter images the in-cluster servers run as sidecars, here as one small Deployment
each, pointed at the managed endpoint through the connection URL the workload uses (kept in a Secret).

Each gets a Service ``<app>-exporter`` (``redis-exporter``, ``timescaledb-exporter``: a name nobody mistakes for the
server) with only its ``metrics`` port and the server's app label, so the same ServiceMonitor selects it and sets
the same ``job`` (``redis``, ``timescaledb``): the RedisDown / PostgreSQLDown alerts are the same whether the server
runs in the cluster or not: ``redis_up`` / ``pg_up`` is 0 when the exporter cannot reach the managed server, and the
target is down or absent when the exporter itself is gone. The exporters' metrics port admits only the monitoring
namespace (NetworkPolicy); they run on the system nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components import redis, timescaledb
from infra.components.common import exporter_sidecar, pod_security
from infra.platforms import Scheduling


@dataclass(frozen=True)
class ManagedExporter:
    """How one exporter reads its server: ``env`` names the variable the connection URL goes into."""

    app: str
    """The in-cluster server's app name, which the Service, the ServiceMonitor and the alerts' ``job`` use."""
    image: str
    env: str
    port: int
    health_path: str
    user: int


REDIS_EXPORTER = ManagedExporter(
    labels.REDIS, versions.REDIS_EXPORTER_IMAGE, "REDIS_ADDR", redis.METRICS_PORT, "/health", redis.EXPORTER_UID
)
"""redis_exporter takes the whole ``redis://`` or ``rediss://`` URL, password included, in ``REDIS_ADDR``."""
POSTGRES_EXPORTER = ManagedExporter(
    labels.TIMESCALEDB,
    versions.POSTGRES_EXPORTER_IMAGE,
    "DATA_SOURCE_NAME",
    timescaledb.METRICS_PORT,
    "/",
    timescaledb.EXPORTER_UID,
)
"""postgres_exporter takes a ``postgresql://`` URL (with ``sslmode``) in ``DATA_SOURCE_NAME``."""
SECRET_KEY = "url"


@dataclass(frozen=True)
class ManagedExportersArgs:
    namespace: pulumi.Input[str]
    scheduling: Scheduling
    """Where the exporters run (the system nodes)."""
    redis_url: pulumi.Output[str] | None
    """The managed Redis/Valkey URL (secret); None when Redis runs in the cluster."""
    database_url: pulumi.Output[str] | None
    """The managed PostgreSQL URL (secret); None when TimescaleDB runs in the cluster."""


class ManagedExporters(pulumi.ComponentResource):
    def __init__(self, name: str, args: ManagedExportersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:ManagedExporters", name, None, opts)
        for exporter, url in ((REDIS_EXPORTER, args.redis_url), (POSTGRES_EXPORTER, args.database_url)):
            if url is not None:
                self._exporter(name, exporter, url, args)
        self.register_outputs({})

    def _exporter(
        self, name: str, exporter: ManagedExporter, url: pulumi.Output[str], args: ManagedExportersArgs
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        resource = f"{name}-{exporter.app}"
        selector = {**labels.app(f"{exporter.app}-exporter")}
        meta = {"namespace": args.namespace, "labels": {**labels.app(exporter.app), **labels.PART_OF}}
        secret = k8s.core.v1.Secret(
            f"{resource}-secret",
            metadata={**meta, "name": f"{exporter.app}-exporter"},
            string_data={SECRET_KEY: url.apply(pulumi.Output.secret)},
            opts=child,
        )
        env = [{"name": exporter.env, "valueFrom": {"secretKeyRef": {"name": secret.metadata.name, "key": SECRET_KEY}}}]
        container = exporter_sidecar(
            f"{exporter.app}-exporter", exporter.image, env, exporter.port, exporter.health_path, exporter.user
        )
        k8s.apps.v1.Deployment(
            f"{resource}-deployment",
            metadata={**meta, "name": f"{exporter.app}-exporter"},
            spec={
                "replicas": 1,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": {**selector, **labels.PART_OF}},
                    "spec": {
                        "securityContext": pod_security(exporter.user),
                        "nodeSelector": args.scheduling.node_selector,
                        "tolerations": args.scheduling.tolerations,
                        "automountServiceAccountToken": False,
                        "containers": [container],
                    },
                },
            },
            opts=child,
        )
        k8s.core.v1.Service(
            f"{resource}-service",
            metadata={**meta, "name": f"{exporter.app}-exporter"},
            spec={
                "selector": selector,
                "ports": [{"name": "metrics", "port": exporter.port, "targetPort": "metrics"}],
            },
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{resource}-network-policy",
            metadata={**meta, "name": f"{exporter.app}-exporter"},
            spec={
                "podSelector": {"matchLabels": selector},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": labels.MONITORING_NAMESPACE}
                                }
                            }
                        ],
                        "ports": [{"port": exporter.port}],
                    }
                ],
            },
            opts=child,
        )
