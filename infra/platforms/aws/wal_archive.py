"""The S3 bucket the in-cluster TimescaleDB archives its WAL and base backups to (pgBackRest), and the role its pod
reaches it with (docs/backups.md).

- The bucket: private (every public-access block on, bucket-owner objects only), encrypted at rest (SSE-S3; the
  pgBackRest repository is also encrypted client-side with its own key, ``components/pgbackrest.py``), versioned so
  an overwrite or delete keeps the previous version for ``timescaledb.walArchive.noncurrentVersionDays``. Its
  lifecycle expires those old versions and aborts multipart uploads left incomplete for 7 days. Current objects
  are never expired by the bucket: pgBackRest's own retention (``repo1-retention-full``) removes a backup and the WAL
  it needs together; an age rule could delete WAL a kept backup still needs.
- Credentials: no keys. The database pod's service account (``timescaledb``) is bound by EKS Pod Identity to a role
  allowed to list the bucket and read, write and delete its objects, nothing else (pgBackRest 2.58+ reads Pod
  Identity credentials with ``repo1-s3-key-type=pod-id``).
- Destroy: like the backup vault (``aws.backupVaultForceDestroy``), the bucket outlives ``pulumi destroy`` unless the
  flag is set, in which case destroy empties and deletes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig
from infra.platforms import WalArchiveTarget
from infra.platforms.aws import iam

SERVICE_ACCOUNT = "timescaledb"
"""The database pod's service account (``components/timescaledb.py`` creates it)."""
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


def archive_policy(bucket_arn: str) -> str:
    """The database pod's permissions: list the bucket, read, write and delete its objects."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ListRepository", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
                {
                    "Sid": "ReadWriteRepository",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{bucket_arn}/*",
                },
            ],
        }
    )


@dataclass(frozen=True)
class WalArchiveBucketArgs:
    cluster_name: pulumi.Input[str]
    """The EKS cluster the pod identity association is made in."""
    stack: str
    region: str
    namespace: str
    """The app namespace (the database pod's)."""
    noncurrent_version_days: int
    force_destroy: bool


class WalArchiveBucket(pulumi.ComponentResource):
    target: WalArchiveTarget

    def __init__(self, name: str, args: WalArchiveBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:WalArchiveBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            name,
            bucket_prefix=f"genepool-{args.stack}-wal-",
            force_destroy=args.force_destroy,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=not args.force_destroy),
        )
        of_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
        blocked = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=of_bucket,
        )
        aws.s3.BucketOwnershipControls(
            name, bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=of_bucket
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=of_bucket,
        )
        versioning = aws.s3.BucketVersioning(
            name, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=of_bucket
        )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                {
                    "id": "old-versions-and-abandoned-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        access = iam.pod_identity(
            f"{name}-access",
            args.cluster_name,
            args.namespace,
            SERVICE_ACCOUNT,
            bucket.arn.apply(archive_policy),
            child,
        )
        self.target = WalArchiveTarget(
            bucket=bucket.bucket,
            region=args.region,
            endpoint=f"s3.{args.region}.amazonaws.com",
            service_account=SERVICE_ACCOUNT,
            ready=[bucket, blocked, versioning, *access],
        )
        self.register_outputs({"bucket": bucket.bucket})


def wal_archive(
    config: StackConfig, cluster_name: pulumi.Input[str], region: str, force_destroy: bool, opts: pulumi.ResourceOptions
) -> WalArchiveTarget | None:
    """The stack's S3 archive when its in-cluster database archives WAL (else None)."""
    archive = config.timescaledb.wal_archive
    if config.timescaledb.managed or not archive.enabled:
        return None
    args = WalArchiveBucketArgs(
        cluster_name, pulumi.get_stack(), region, config.namespace, archive.noncurrent_version_days, force_destroy
    )
    return WalArchiveBucket("wal-archive", args, opts).target
