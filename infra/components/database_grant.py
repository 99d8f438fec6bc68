"""The grant step on a managed PostgreSQL: a Kubernetes Job that runs ``psql`` as the database's admin once, before
anything uses the database.

A managed database (DigitalOcean's ``DatabaseDb``) is owned by the admin (``doadmin``), and PostgreSQL 15+ gives
other users no CREATE on schema ``public``: the app user's first migration would fail with "permission denied for
schema public". As the admin, the Job creates the ``timescaledb`` extension (which only the admin may) and grants the
app user CONNECT/CREATE/TEMPORARY on the database and USAGE/CREATE on schema ``public``; every statement is idempotent.
The admin's connection reaches ``psql`` only as libpq variables (``PGHOST``… ``PGPASSWORD``) from a Secret, never in
a manifest or on a command line.

Pulumi waits for the Job to complete, and whatever uses the database (the API, the Ray cluster and the evolution
CronJobs) depends on :attr:`DatabaseGrant.job`. The completed Job stays (no TTL, so nothing Pulumi owns deletes
itself); a change of the step replaces it (delete first: the name is fixed), which runs it again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components.common import TMP_DIR, TMP_MOUNT, TMP_VOLUME, container_security, pod_security, resources
from infra.platforms import DatabaseAdmin, Scheduling

PSQL_UID = 70
"""The ``postgres`` user of the Alpine postgres image."""
NAME = "database-grant"


def quote_identifier(name: str) -> str:
    """``name`` as a PostgreSQL quoted identifier (embedded double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def grant_sql(app_user: str, database: str) -> str:
    """What the admin runs, connected to ``database``: idempotent grants that let ``app_user`` migrate and use it."""
    user, db = quote_identifier(app_user), quote_identifier(database)
    return (
        "CREATE EXTENSION IF NOT EXISTS timescaledb; "
        f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {db} TO {user}; "
        f"GRANT USAGE, CREATE ON SCHEMA public TO {user};"
    )


@dataclass(frozen=True)
class DatabaseGrantArgs:
    namespace: pulumi.Input[str]
    admin: DatabaseAdmin
    scheduling: Scheduling


class DatabaseGrant(pulumi.ComponentResource):
    job: k8s.batch.v1.Job
    """Completes once the app user may migrate the database: what users of the database depend on."""

    def __init__(self, name: str, args: DatabaseGrantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:DatabaseGrant", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        meta = {"namespace": args.namespace, "labels": {**labels.app(NAME), **labels.PART_OF}}
        admin = args.admin
        secret = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata={**meta, "name": f"{NAME}-admin"},
            string_data={
                "PGHOST": admin.host,
                "PGPORT": admin.port,
                "PGDATABASE": admin.database,
                "PGUSER": admin.user,
                "PGPASSWORD": admin.password,
                "PGSSLMODE": pulumi.Output.secret("require"),
            },
            opts=child,
        )
        psql = {
            "name": "psql",
            "image": versions.POSTGRES_CLIENT_IMAGE,
            "args": [
                "psql",
                "--no-psqlrc",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                grant_sql(admin.app_user, admin.app_database),
            ],
            "envFrom": [{"secretRef": {"name": secret.metadata.name}}],
            "env": [{"name": "HOME", "value": TMP_DIR}],
            "resources": resources("50m", "64Mi", "200m", "128Mi"),
            "securityContext": container_security(read_only_root=True),
            "volumeMounts": [TMP_MOUNT],
        }
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata={**meta, "name": NAME},
            spec={
                "backoffLimit": 6,
                "template": {
                    "metadata": {"labels": {**labels.app(NAME), **labels.PART_OF}},
                    "spec": {
                        "securityContext": pod_security(PSQL_UID),
                        "nodeSelector": args.scheduling.node_selector,
                        "tolerations": args.scheduling.tolerations,
                        "restartPolicy": "Never",
                        "volumes": [TMP_VOLUME],
                        "containers": [psql],
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.register_outputs({})
