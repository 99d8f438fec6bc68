"""AWS Backup of the TimescaleDB volumes: an encrypted vault, a daily plan and a selection by tag.

The backup storage class (``cluster.py``) tags every volume it provisions ``genepool.io/backup=<cluster name>``
(EBS CSI ``tagSpecification_1``); the selection backs up exactly the EBS volumes carrying that tag, so a new
TimescaleDB volume is protected from its creation, and volumes of other stacks or classes are not. Recovery points
are EBS snapshots kept ``aws.backupRetentionDays`` days; the README's prod section describes the restore.

Destroy: AWS refuses to delete a vault that holds recovery points, so by default (``aws.backupVaultForceDestroy``
false) the vault and its KMS key are ``retain_on_delete``: ``pulumi destroy`` removes them from the stack and leaves
them, recovery points included, in the account (the key too, or the recovery points could never be read again);
docs/operations.md#destroying-prod has the cleanup. With the flag true the vault is ``force_destroy``: destroy
deletes every recovery point, then the vault and its key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.platforms.aws import iam

SCHEDULE = "cron(0 3 * * ? *)"
"""Daily at 03:00 UTC (AWS Backup starts within the hour after)."""
BACKUP_SERVICE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)


@dataclass(frozen=True)
class BackupsArgs:
    cluster_name: str
    tag_key: str
    tag_value: str
    retention_days: int
    force_destroy: bool
    """``aws.backupVaultForceDestroy``: destroy deletes the recovery points (else the vault outlives the stack)."""


class Backups(pulumi.ComponentResource):
    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:Backups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=not args.force_destroy)
        key = aws.kms.Key(
            f"{name}-vault", description=f"{args.cluster_name} backup vault", enable_key_rotation=True, opts=kept
        )
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=args.cluster_name,
            kms_key_arn=key.arn,
            force_destroy=args.force_destroy,
            opts=kept,
        )
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.cluster_name}-daily",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=vault.name,
                    schedule=SCHEDULE,
                    start_window=60,
                    completion_window=360,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days),
                )
            ],
            opts=child,
        )
        service_role = iam.role(f"{name}-role", "backup.amazonaws.com", BACKUP_SERVICE_POLICIES, child)
        aws.backup.Selection(
            f"{name}-timescaledb",
            name=f"{args.cluster_name}-timescaledb",
            plan_id=plan.id,
            iam_role_arn=service_role.arn,
            resources=["arn:aws:ec2:*:*:volume/*"],
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key=args.tag_key, value=args.tag_value)
            ],
            opts=child,
        )
        self.register_outputs({"vault": vault.name})
