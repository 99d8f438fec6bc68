"""Redis in-cluster (when the platform gives none): the fitness cache shared across workers and runs.

A one-replica StatefulSet on a persistent volume, configured as in docs/operations.md#redis: AOF (fsync every second)
plus RDB snapshots at 900s/1, 300s/10 and 60s/10000 changes, ``maxmemory`` with ``allkeys-lru`` eviction (the cache may
lose any key), and a password from a generated secret. A redis-exporter sidecar serves metrics on port 9121. The
password reaches the server through the environment (``--requirepass $(REDIS_PASSWORD)``), never a manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components.common import (
    clients_only_policy,
    container_security,
    exporter_sidecar,
    password,
    pod_security,
    resources,
    stateful_server,
)
from infra.config import RedisConfig
from infra.platforms import Scheduling

PORT = 6379
METRICS_PORT = 9121
REDIS_UID = 999
"""The ``redis`` user of the official image."""
EXPORTER_UID = 59000
"""The user the redis_exporter image runs as."""


def redis_conf(config: RedisConfig) -> str:
    return "\n".join(
        [
            "dir /data",
            "appendonly yes",
            "appendfsync everysec",
            "save 900 1",
            "save 300 10",
            "save 60 10000",
            f"maxmemory {config.max_memory}",
            "maxmemory-policy allkeys-lru",
            "",
        ]
    )


@dataclass(frozen=True)
class RedisArgs:
    namespace: pulumi.Input[str]
    config: RedisConfig
    storage_class: str
    scheduling: Scheduling


class Redis(pulumi.ComponentResource):
    url: pulumi.Output[str]
    """Secret: ``redis://:<password>@redis.<namespace>.svc.cluster.local:6379/0``."""

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Redis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        selector = labels.app(labels.REDIS)
        meta = {"namespace": args.namespace, "labels": {**selector, **labels.PART_OF}}
        secret_value = password(f"{name}-password", self)
        auth = k8s.core.v1.Secret(
            f"{name}-auth", metadata={**meta, "name": "redis-auth"}, string_data={"password": secret_value}, opts=child
        )
        conf = k8s.core.v1.ConfigMap(
            f"{name}-conf",
            metadata={**meta, "name": "redis-conf"},
            data={"redis.conf": redis_conf(args.config)},
            opts=child,
        )
        password_env = {
            "name": "REDIS_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": auth.metadata.name, "key": "password"}},
        }
        ping = ["sh", "-c", 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG']
        redis = {
            "name": "redis",
            "image": versions.REDIS_IMAGE,
            "args": ["/etc/redis/redis.conf", "--requirepass", "$(REDIS_PASSWORD)"],
            "env": [password_env],
            "ports": [{"name": "redis", "containerPort": PORT}],
            "resources": resources(args.config.cpu, args.config.memory),
            "securityContext": container_security(read_only_root=True),
            "livenessProbe": {"tcpSocket": {"port": PORT}, "initialDelaySeconds": 10, "periodSeconds": 10},
            "readinessProbe": {"exec": {"command": ping}, "initialDelaySeconds": 5, "periodSeconds": 5},
            "volumeMounts": [
                {"name": "data", "mountPath": "/data"},
                {"name": "conf", "mountPath": "/etc/redis", "readOnly": True},
            ],
        }
        exporter = exporter_sidecar(
            "redis-exporter",
            versions.REDIS_EXPORTER_IMAGE,
            [{"name": "REDIS_ADDR", "value": f"redis://localhost:{PORT}"}, password_env],
            METRICS_PORT,
            "/health",
            EXPORTER_UID,
        )
        stateful_server(
            name,
            labels.REDIS,
            args.namespace,
            "redis",
            PORT,
            METRICS_PORT,
            {
                "securityContext": pod_security(REDIS_UID),
                "nodeSelector": args.scheduling.node_selector,
                "tolerations": args.scheduling.tolerations,
                "containers": [redis, exporter],
                "volumes": [{"name": "conf", "configMap": {"name": conf.metadata.name}}],
            },
            args.storage_class,
            args.config.volume_size,
            self,
        )
        clients_only_policy(name, args.namespace, selector, PORT, METRICS_PORT, labels.MONITORING_NAMESPACE, self)
        host = labels.service_host(labels.REDIS, args.namespace)
        self.url = pulumi.Output.secret(pulumi.Output.concat("redis://:", secret_value, "@", host, f":{PORT}/0"))
        self.register_outputs({"url": self.url})
