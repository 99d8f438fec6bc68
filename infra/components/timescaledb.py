"""TimescaleDB in-cluster (when the platform gives none): the PostgreSQL the app stores runs and results in.

A one-replica StatefulSet on the official TimescaleDB image (pinned tag) with a persistent volume, PostgreSQL
settings of docs/operations.md#postgresql (max_connections 200, shared_buffers 1GB, effective_cache_size 3GB, work_mem
5MB, maintenance_work_mem 256MB by default; sized per stack), a generated password, and a postgres-exporter sidecar on
port 9187. The schema is not created here: the app's migrations are the one source of truth and create it (hypertables
when the timescaledb extension is present) on first connection.
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
from infra.config import TimescaleConfig
from infra.platforms import Scheduling

PORT = 5432
METRICS_PORT = 9187
DATABASE = "genepool"
USER = "genepool"
POSTGRES_UID = 70
"""The ``postgres`` user of the (Alpine-based) TimescaleDB image."""
EXPORTER_UID = 65534


def server_args(config: TimescaleConfig) -> list[str]:
    """``postgres -c`` settings (they override what the image's timescaledb-tune wrote)."""
    settings = {
        "max_connections": str(config.max_connections),
        "shared_buffers": config.shared_buffers,
        "effective_cache_size": config.effective_cache_size,
        "work_mem": config.work_mem,
        "maintenance_work_mem": config.maintenance_work_mem,
    }
    return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]


@dataclass(frozen=True)
class TimescaleDBArgs:
    namespace: pulumi.Input[str]
    config: TimescaleConfig
    storage_class: str
    scheduling: Scheduling


class TimescaleDB(pulumi.ComponentResource):
    url: pulumi.Output[str]
    """Secret: ``postgresql://genepool:<password>@timescaledb.<namespace>.svc.cluster.local:5432/genepool``."""

    def __init__(self, name: str, args: TimescaleDBArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:TimescaleDB", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        selector = labels.app(labels.TIMESCALEDB)
        meta = {"namespace": args.namespace, "labels": {**selector, **labels.PART_OF}}
        secret_value = password(f"{name}-password", self)
        auth = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata={**meta, "name": "timescaledb-auth"},
            string_data={"password": secret_value},
            opts=child,
        )
        password_ref = {"secretKeyRef": {"name": auth.metadata.name, "key": "password"}}
        ready = ["pg_isready", "-h", "127.0.0.1", "-U", USER, "-d", DATABASE]
        postgres = {
            "name": "timescaledb",
            "image": versions.TIMESCALEDB_IMAGE,
            "args": ["postgres", *server_args(args.config)],
            "env": [
                {"name": "POSTGRES_USER", "value": USER},
                {"name": "POSTGRES_DB", "value": DATABASE},
                {"name": "POSTGRES_PASSWORD", "valueFrom": password_ref},
                {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
            ],
            "ports": [{"name": "postgres", "containerPort": PORT}],
            "resources": resources(args.config.cpu, args.config.memory),
            "securityContext": container_security(),
            "livenessProbe": {"exec": {"command": ready}, "initialDelaySeconds": 30, "periodSeconds": 10},
            "readinessProbe": {"exec": {"command": ready}, "initialDelaySeconds": 5, "periodSeconds": 5},
            "volumeMounts": [
                {"name": "data", "mountPath": "/var/lib/postgresql/data"},
                {"name": "shm", "mountPath": "/dev/shm"},
            ],
        }
        exporter = exporter_sidecar(
            "postgres-exporter",
            versions.POSTGRES_EXPORTER_IMAGE,
            [
                {"name": "DATA_SOURCE_URI", "value": f"127.0.0.1:{PORT}/{DATABASE}?sslmode=disable"},
                {"name": "DATA_SOURCE_USER", "value": USER},
                {"name": "DATA_SOURCE_PASS", "valueFrom": password_ref},
            ],
            METRICS_PORT,
            "/",
            EXPORTER_UID,
        )
        stateful_server(
            name,
            labels.TIMESCALEDB,
            args.namespace,
            "postgres",
            PORT,
            METRICS_PORT,
            {
                "securityContext": pod_security(POSTGRES_UID),
                "nodeSelector": args.scheduling.node_selector,
                "tolerations": args.scheduling.tolerations,
                "terminationGracePeriodSeconds": 60,
                "containers": [postgres, exporter],
                "volumes": [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}],
            },
            args.storage_class,
            args.config.volume_size,
            self,
        )
        clients_only_policy(name, args.namespace, selector, PORT, METRICS_PORT, labels.MONITORING_NAMESPACE, self)
        host = labels.service_host(labels.TIMESCALEDB, args.namespace)
        self.url = pulumi.Output.secret(
            pulumi.Output.concat(f"postgresql://{USER}:", secret_value, "@", host, f":{PORT}/{DATABASE}")
        )
        self.register_outputs({"url": self.url})
