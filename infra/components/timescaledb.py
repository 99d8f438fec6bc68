"""TimescaleDB in-cluster (when the platform gives none): the PostgreSQL the app stores runs and results in.

A one-replica StatefulSet on TimescaleDB's HA image (``timescale/timescaledb-ha``, pinned tag; Ubuntu-based, it ships
pgBackRest, which the Alpine ``timescale/timescaledb`` image does not: docs/backups.md says why this image) with a
persistent volume, PostgreSQL settings of docs/operations.md#postgresql (max_connections 200, shared_buffers 1GB,
effective_cache_size 3GB, work_mem 5MB, maintenance_work_mem 256MB by default; sized per stack), a generated password,
and a postgres-exporter sidecar on port 9187. The schema is not created here: the app's migrations are the one source
of truth and create it (hypertables when the timescaledb extension is present) on first connection.

Where the platform gives object storage (:attr:`~infra.platforms.Platform.wal_archive`), PostgreSQL archives every
WAL segment to it with pgBackRest and a ``pgbackrest`` container takes the base backups (``pgbackrest.py``): the
database can be recovered to any second since the oldest kept full backup (docs/backups.md has the runbooks).
The pod runs as the service account ``timescaledb`` (on AWS bound to the bucket's role by Pod Identity).

The data volume is the claim ``pgdata`` mounted at the image's ``/home/postgres/pgdata`` (data directory
``pgdata/data``), owned by the image's ``postgres`` user (uid 1000). Volumes of the earlier Alpine image (claim
``data``, uid 70, musl collations) are not reused: docs/backups.md#moving-from-the-alpine-image has the dump-and-restore
migration.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components import pgbackrest
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
from infra.platforms import Scheduling, WalArchiveTarget

PORT = 5432
METRICS_PORT = 9187
DATABASE = "genepool"
USER = "genepool"
POSTGRES_UID = 1000
"""The ``postgres`` user of the (Ubuntu-based) TimescaleDB HA image."""
EXPORTER_UID = 65534
VOLUME = "pgdata"
"""The data claim (``pgdata-timescaledb-0``); the Alpine image's was ``data``."""
VOLUME_MOUNT = "/home/postgres/pgdata"
DATA_DIRECTORY = f"{VOLUME_MOUNT}/data"
SERVICE_ACCOUNT = "timescaledb"


def server_args(config: TimescaleConfig, archiving: bool = False) -> list[str]:
    """``postgres -c`` settings (they override what the image's timescaledb-tune wrote), with pgBackRest's archiving
    settings when ``archiving``."""
    settings = {
        "max_connections": str(config.max_connections),
        "shared_buffers": config.shared_buffers,
        "effective_cache_size": config.effective_cache_size,
        "work_mem": config.work_mem,
        "maintenance_work_mem": config.maintenance_work_mem,
    }
    if archiving:
        settings |= pgbackrest.server_settings(config.wal_archive)
    return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]


@dataclass(frozen=True)
class TimescaleDBArgs:
    namespace: pulumi.Input[str]
    config: TimescaleConfig
    storage_class: str
    scheduling: Scheduling
    wal_archive: WalArchiveTarget | None = None
    """The platform's object storage the WAL is archived to; None: no archiving (``local``)."""


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
        archive = args.wal_archive
        archive_ready = list(archive.ready) if archive is not None else []
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={**meta, "name": SERVICE_ACCOUNT},
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=archive_ready),
        )
        mounts = [{"name": VOLUME, "mountPath": VOLUME_MOUNT}, {"name": "shm", "mountPath": "/dev/shm"}]
        volumes: list[dict] = [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}]
        archive_env: list[dict] = []
        if archive is not None:
            archive_env, archive_mounts, archive_volumes = self._repository(name, args, archive, meta)
            mounts += archive_mounts
            volumes += archive_volumes
        containers = [postgres_container(args.config, password_ref, archive_env, mounts, archive is not None)]
        if archive is not None:
            containers.append(pgbackrest_container(args.config, password_ref, archive_env, mounts))
        containers.append(exporter_container(password_ref))
        stateful_server(
            name,
            labels.TIMESCALEDB,
            args.namespace,
            "postgres",
            PORT,
            METRICS_PORT,
            {
                "serviceAccountName": account.metadata.name,
                "securityContext": pod_security(POSTGRES_UID),
                "nodeSelector": args.scheduling.node_selector,
                "tolerations": args.scheduling.tolerations,
                "terminationGracePeriodSeconds": 60,
                "containers": containers,
                "volumes": volumes,
            },
            args.storage_class,
            args.config.volume_size,
            self,
            volume_name=VOLUME,
        )
        clients_only_policy(name, args.namespace, selector, PORT, METRICS_PORT, labels.MONITORING_NAMESPACE, self)
        host = labels.service_host(labels.TIMESCALEDB, args.namespace)
        self.url = pulumi.Output.secret(
            pulumi.Output.concat(f"postgresql://{USER}:", secret_value, "@", host, f":{PORT}/{DATABASE}")
        )
        self.register_outputs({"url": self.url})

    def _repository(
        self, name: str, args: TimescaleDBArgs, archive: WalArchiveTarget, meta: dict
    ) -> tuple[list[dict], list[dict], list[dict]]:
        """The pgBackRest configuration (ConfigMap) and secrets (Secret) of ``archive``: the containers'
        environment, volume mounts and volumes."""
        after = pulumi.ResourceOptions(parent=self, depends_on=list(archive.ready))
        repository = pgbackrest.Repository(archive, args.config.wal_archive)
        config = k8s.core.v1.ConfigMap(
            f"{name}-pgbackrest-config",
            metadata={**meta, "name": "timescaledb-pgbackrest"},
            data={
                "pgbackrest.conf": pulumi.Output.from_input(archive.bucket).apply(
                    lambda bucket: pgbackrest.config_text(bucket, repository, DATA_DIRECTORY, USER)
                )
            },
            opts=after,
        )
        secrets: dict[str, pulumi.Input[str]] = {
            pgbackrest.CIPHER_PASS_KEY: password(f"{name}-pgbackrest-cipher", self, 64)
        }
        if archive.keys is not None:
            secrets[pgbackrest.ACCESS_KEY_KEY] = archive.keys[0]
            secrets[pgbackrest.SECRET_KEY_KEY] = archive.keys[1]
        k8s.core.v1.Secret(
            f"{name}-pgbackrest-secret",
            metadata={**meta, "name": pgbackrest.SECRET_NAME},
            string_data=secrets,
            opts=after,
        )
        mounts: list[dict] = [
            {"name": "pgbackrest-config", "mountPath": pgbackrest.CONFIG_DIR, "readOnly": True},
            {"name": "socket", "mountPath": pgbackrest.SOCKET_DIR},
        ]
        volumes: list[dict] = [
            {"name": "pgbackrest-config", "configMap": {"name": config.metadata.name}},
            {"name": "socket", "emptyDir": {}},
        ]
        return pgbackrest.environment(archive), mounts, volumes


def postgres_container(
    config: TimescaleConfig, password_ref: dict, archive_env: list[dict], mounts: list[dict], archiving: bool
) -> dict:
    """The database server's container (archiving its WAL through pgBackRest when ``archiving``)."""
    ready = ["pg_isready", "-h", "127.0.0.1", "-U", USER, "-d", DATABASE]
    return {
        "name": "timescaledb",
        "image": versions.TIMESCALEDB_IMAGE,
        "args": ["postgres", *server_args(config, archiving)],
        "env": [
            {"name": "POSTGRES_USER", "value": USER},
            {"name": "POSTGRES_DB", "value": DATABASE},
            {"name": "POSTGRES_PASSWORD", "valueFrom": password_ref},
            {"name": "PGDATA", "value": DATA_DIRECTORY},
            *archive_env,
        ],
        "ports": [{"name": "postgres", "containerPort": PORT}],
        "resources": resources(config.cpu, config.memory),
        "securityContext": container_security(),
        "livenessProbe": {"exec": {"command": ready}, "initialDelaySeconds": 30, "periodSeconds": 10},
        "readinessProbe": {"exec": {"command": ready}, "initialDelaySeconds": 5, "periodSeconds": 5},
        "volumeMounts": mounts,
    }


def pgbackrest_container(
    config: TimescaleConfig, password_ref: dict, archive_env: list[dict], mounts: list[dict]
) -> dict:
    """The base-backup loop beside the server (same image and data volume: ``pgbackrest backup`` reads it)."""
    return {
        "name": "pgbackrest",
        "image": versions.TIMESCALEDB_IMAGE,
        "command": ["/bin/sh", "-c", pgbackrest.backup_script(config.wal_archive)],
        "env": [{"name": "PGPASSWORD", "valueFrom": password_ref}, *archive_env],
        "resources": resources("100m", "256Mi", "1", "1Gi"),
        "securityContext": container_security(),
        # The loop's own failures are in its log; the probes only say the tool runs (a probe on the repository
        # would take the database out of its Service whenever the object storage stalls).
        "livenessProbe": {"exec": {"command": ["pgbackrest", "version"]}, "periodSeconds": 60},
        "readinessProbe": {"exec": {"command": ["pgbackrest", "version"]}, "periodSeconds": 60},
        "volumeMounts": [m for m in mounts if m["name"] != "shm"],
    }


def exporter_container(password_ref: dict) -> dict:
    """postgres_exporter, scraping the server over loopback."""
    return exporter_sidecar(
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
