"""pgBackRest for the in-cluster TimescaleDB (docs/backups.md): what PostgreSQL archives with, how the repository is
configured, and the container that takes the base backups.

- PostgreSQL runs with ``archive_mode=on`` and ``archive_command`` ``pgbackrest --stanza=genepool archive-push %p``:
  each completed WAL segment goes to the repository before PostgreSQL may recycle it (a failing push is retried and
  the WAL kept on the volume, so a long outage of the object storage fills the volume: the ``WalArchiveFailing``
  alert). ``archive_timeout`` bounds how long a written change waits for its segment to be archived.
- The repository: the platform's bucket (:class:`~infra.platforms.WalArchiveTarget`), path ``/pgbackrest``, encrypted
  client-side (``aes-256-cbc`` with a generated passphrase kept in the Secret ``timescaledb-pgbackrest`` and in the
  stack's state; without it the repository cannot be read), ``repo1-retention-full`` full backups kept (pgBackRest
  expires older backups and the WAL only they need after each backup).
- Credentials: on AWS the pod's service account is bound to a role by EKS Pod Identity (``repo1-s3-key-type=pod-id``,
  no key anywhere); elsewhere a key scoped to the bucket, from the same Secret as environment variables
  (``PGBACKREST_REPO1_S3_KEY``/``_SECRET``), never in the configuration file.
- Base backups: a second container of the database pod (same image, same volume, PostgreSQL's socket through a shared
  ``emptyDir``), because ``pgbackrest backup`` reads the data directory itself. It creates the stanza (idempotent),
  runs ``pgbackrest check`` (a WAL switch archived end to end), then every ``diffEveryHours`` a differential backup
  (pgBackRest makes it a full one when the repository has none) and every ``fullEveryDays`` a full one.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import WalArchiveConfig
from infra.platforms import WalArchiveTarget

STANZA = "genepool"
CONFIG_DIR = "/etc/pgbackrest"
CONFIG_FILE = f"{CONFIG_DIR}/pgbackrest.conf"
SOCKET_DIR = "/var/run/postgresql"
"""PostgreSQL's Unix socket directory, an ``emptyDir`` shared by the database and backup containers."""
REPOSITORY_PATH = "/pgbackrest"
SECRET_NAME = "timescaledb-pgbackrest"
CIPHER_PASS_KEY = "cipher-pass"
ACCESS_KEY_KEY = "s3-key"
SECRET_KEY_KEY = "s3-key-secret"
ARCHIVE_COMMAND = f"pgbackrest --stanza={STANZA} archive-push %p"


@dataclass(frozen=True)
class Repository:
    """Where the pgBackRest repository is and how it is kept."""

    target: WalArchiveTarget
    config: WalArchiveConfig


def key_type(target: WalArchiveTarget) -> str:
    """``pod-id`` where the pod has a cloud identity (EKS Pod Identity), ``shared`` (a key pair) elsewhere."""
    return "pod-id" if target.service_account is not None else "shared"


def config_text(bucket: str, repository: Repository, data_directory: str, user: str) -> str:
    """``pgbackrest.conf``: the repository and the stanza's data directory; no secret (those come from the
    environment)."""
    target = repository.target
    global_options = {
        "repo1-type": "s3",
        "repo1-s3-bucket": bucket,
        "repo1-s3-region": target.region,
        "repo1-s3-endpoint": target.endpoint,
        "repo1-s3-key-type": key_type(target),
        "repo1-path": REPOSITORY_PATH,
        "repo1-cipher-type": "aes-256-cbc",
        "repo1-retention-full-type": "count",
        "repo1-retention-full": str(repository.config.retention_full),
        "compress-type": "zst",
        "process-max": "2",
        "log-level-console": "info",
        "log-level-file": "off",
        "start-fast": "y",
    }
    stanza_options = {"pg1-path": data_directory, "pg1-socket-path": SOCKET_DIR, "pg1-user": user}
    lines = ["[global]", *(f"{k}={v}" for k, v in global_options.items()), "", f"[{STANZA}]"]
    lines += [f"{k}={v}" for k, v in stanza_options.items()]
    return "\n".join(lines) + "\n"


def server_settings(config: WalArchiveConfig) -> dict[str, str]:
    """PostgreSQL settings that turn archiving on."""
    return {
        "archive_mode": "on",
        "archive_command": ARCHIVE_COMMAND,
        "archive_timeout": f"{config.archive_timeout_seconds}s",
        "unix_socket_directories": SOCKET_DIR,
    }


def environment(target: WalArchiveTarget) -> list[dict]:
    """The containers' pgBackRest environment: the configuration file, the repository passphrase and, without a pod
    identity, the bucket key, all secrets by reference to :data:`SECRET_NAME`."""

    def secret(name: str, key: str) -> dict:
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": key}}}

    env = [{"name": "PGBACKREST_CONFIG", "value": CONFIG_FILE}, secret("PGBACKREST_REPO1_CIPHER_PASS", CIPHER_PASS_KEY)]
    if target.keys is not None:
        env += [
            secret("PGBACKREST_REPO1_S3_KEY", ACCESS_KEY_KEY),
            secret("PGBACKREST_REPO1_S3_KEY_SECRET", SECRET_KEY_KEY),
        ]
    return env


def backups_between_fulls(config: WalArchiveConfig) -> int:
    """How many backups (one every ``diff_every_hours``) make one full-backup period (at least 1)."""
    return max(1, config.full_every_days * 24 // config.diff_every_hours)


def backup_script(config: WalArchiveConfig, socket_dir: str = SOCKET_DIR) -> str:
    """The backup container's loop (POSIX sh): wait for PostgreSQL's socket in ``socket_dir``, create the stanza, check
    archiving end to end, then a backup every ``diff_every_hours``, full every :func:`backups_between_fulls`-th one
    (the first is differential, which pgBackRest makes full when the repository has none). A failed backup is logged
    and retried at the next slot; a failed stanza or check exits (the container restarts, visibly)."""
    return "\n".join(
        [
            "set -eu",
            f"until pg_isready -q -h {socket_dir}; do sleep 5; done",
            f"pgbackrest --stanza={STANZA} stanza-create",
            f"pgbackrest --stanza={STANZA} check",
            "n=0",
            "while true; do",
            f'  if [ "$n" -gt 0 ] && [ $((n % {backups_between_fulls(config)})) -eq 0 ]; then type=full; '
            "else type=diff; fi",
            f'  pgbackrest --stanza={STANZA} --type="$type" backup || echo "pgbackrest: $type backup failed" >&2',
            "  n=$((n + 1))",
            f"  sleep {config.diff_every_hours * 3600}",
            "done",
        ]
    )
