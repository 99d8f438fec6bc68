"""The Spaces bucket an in-cluster TimescaleDB on DigitalOcean archives its WAL and base backups to (pgBackRest;
docs/backups.md). Used when ``timescaledb.managed`` is false (staging's shipped stack file uses the managed
database, whose point-in-time recovery is DigitalOcean's).

- The bucket: private, versioned (an overwrite or delete keeps the previous version for
  ``timescaledb.walArchive.noncurrentVersionDays``, which its lifecycle rule then expires, together with multipart
  uploads left incomplete for 7 days); current objects are expired by pgBackRest's retention only. Spaces encrypts
  at rest, and the pgBackRest repository is also encrypted client-side (``components/pgbackrest.py``).
- Credentials: DigitalOcean has no workload identity for Spaces, so a Spaces access key limited to this one bucket
  (``readwrite`` grant) is made; its secret is a secret Output that only reaches the Kubernetes Secret
  ``timescaledb-pgbackrest``.
- Destroy: the bucket outlives ``pulumi destroy`` (retained, with its backups), like prod's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_digitalocean as do
import pulumi_random as random

from infra.config import StackConfig
from infra.platforms import WalArchiveTarget

ABORT_INCOMPLETE_UPLOAD_DAYS = 7


@dataclass(frozen=True)
class SpacesWalArchiveArgs:
    stack: str
    region: str
    noncurrent_version_days: int


def bucket_name(stack: str, suffix: str) -> str:
    """``genepool-<stack>-wal-<suffix>``: Spaces names are global across all accounts, so a random suffix (kept in
    the stack's state) keeps two organisations' stacks of the same name apart."""
    return f"genepool-{stack}-wal-{suffix}"


class SpacesWalArchive(pulumi.ComponentResource):
    target: WalArchiveTarget

    def __init__(self, name: str, args: SpacesWalArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:digitalocean:SpacesWalArchive", name, None, opts)
        suffix = random.RandomId(f"{name}-suffix", byte_length=4, opts=pulumi.ResourceOptions(parent=self))
        bucket = do.SpacesBucket(
            name,
            name=suffix.hex.apply(lambda hex_suffix: bucket_name(args.stack, hex_suffix)),
            region=args.region,
            acl="private",
            versioning={"enabled": True},
            lifecycle_rules=[
                {
                    "id": "old-versions-and-abandoned-uploads",
                    "enabled": True,
                    "noncurrent_version_expiration": {"days": args.noncurrent_version_days},
                    "abort_incomplete_multipart_upload_days": ABORT_INCOMPLETE_UPLOAD_DAYS,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        key = do.SpacesKey(
            f"{name}-key",
            name=f"genepool-{args.stack}-wal-archive",
            grants=[{"bucket": bucket.name, "permission": "readwrite"}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.target = WalArchiveTarget(
            bucket=bucket.name,
            region=args.region,
            endpoint=f"{args.region}.digitaloceanspaces.com",
            keys=(pulumi.Output.secret(key.access_key), pulumi.Output.secret(key.secret_key)),
            ready=[bucket, key],
        )
        self.register_outputs({"bucket": bucket.name})


def wal_archive(config: StackConfig, region: str) -> WalArchiveTarget | None:
    """The stack's Spaces archive when its in-cluster database archives WAL (else None)."""
    archive = config.timescaledb.wal_archive
    if config.timescaledb.managed or not archive.enabled:
        return None
    args = SpacesWalArchiveArgs(pulumi.get_stack(), region, archive.noncurrent_version_days)
    return SpacesWalArchive("wal-archive", args).target
