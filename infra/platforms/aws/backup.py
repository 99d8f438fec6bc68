"""AWS Backup of the TimescaleDB volumes: an encrypted vault, a daily plan and a selection by tag.

The backup storage class (``cluster.py``) tags every volume it provisions ``genepool.io/backup=<cluster name>``
(EBS CSI ``tagSpecification_1``); the selection backs up exactly the EBS volumes carrying that tag, so a new
TimescaleDB volume is protected from its creation, and volumes of other stacks or classes are not. Recovery points
are EBS snapshots kept ``aws.backupRetentionDays`` days; docs/operations.md#prod-on-aws describes the restore.

Failures reach people without Prometheus (a failed backup is an AWS event, not a metric we scrape): an EventBridge
rule matches AWS Backup's "Backup Job State Change" events of this vault in state FAILED, ABORTED or EXPIRED and
publishes a one-line message (job, resource, state, AWS's status message, the runbook section) to the SNS topic
``<cluster>-backup-failures``, to which every ``aws.backupAlertEmails`` address is subscribed
(docs/runbooks.md#backupjobfailed).

Destroy: AWS refuses to delete a vault that holds recovery points, so by default (``aws.backupVaultForceDestroy``
false) the vault and its KMS key are ``retain_on_delete``: ``pulumi destroy`` removes them from the stack and leaves
them, recovery points included, in the account (the key too, or the recovery points could never be read again);
docs/operations.md#destroying-prod has the cleanup. With the flag true the vault is ``force_destroy``: destroy
deletes every recovery point, then the vault and its key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.platforms.aws import iam

SCHEDULE = "cron(0 3 * * ? *)"
"""Daily at 03:00 UTC (AWS Backup starts within the hour after)."""
FAILED_STATES = ("FAILED", "ABORTED", "EXPIRED")
"""Backup job states that mean the day's recovery point was not made."""
RUNBOOK = "docs/runbooks.md#backupjobfailed"
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
    alert_emails: tuple[str, ...] = ()
    """``aws.backupAlertEmails``: subscribed (SNS e-mail) to the failed-backup notices."""


def failed_jobs_pattern(vault_name: str) -> dict:
    """The EventBridge pattern of a backup job of ``vault_name`` that failed, was aborted or expired."""
    return {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"state": list(FAILED_STATES), "backupVaultName": [vault_name]},
    }


def publish_policy(topic_arn: str, rule_arn: str) -> str:
    """The topic policy letting EventBridge publish, only for ``rule_arn``."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


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
        self._failure_notices(name, args, child)
        self.register_outputs({"vault": vault.name})

    def _failure_notices(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions) -> None:
        topic = aws.sns.Topic(f"{name}-failures", name=f"{args.cluster_name}-backup-failures", opts=opts)
        rule = aws.cloudwatch.EventRule(
            f"{name}-failures",
            name=f"{args.cluster_name}-backup-failures",
            description="AWS Backup jobs of the TimescaleDB vault that failed, were aborted or expired",
            event_pattern=json.dumps(failed_jobs_pattern(args.cluster_name)),
            opts=opts,
        )
        policy = aws.sns.TopicPolicy(
            f"{name}-failures",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, rule.arn).apply(lambda arns: publish_policy(arns[0], arns[1])),
            opts=opts,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-failures",
            rule=rule.name,
            target_id="backup-failures-topic",
            arn=topic.arn,
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths={
                    "job": "$.detail.backupJobId",
                    "resource": "$.detail.resourceArn",
                    "state": "$.detail.state",
                    "message": "$.detail.statusMessage",
                },
                input_template=(
                    f'"AWS Backup job <job> of <resource> in vault {args.cluster_name} is <state>: <message>. '
                    f'Runbook: {RUNBOOK}"'
                ),
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[policy])),
        )
        for index, email in enumerate(args.alert_emails):
            aws.sns.TopicSubscription(
                f"{name}-failures-{index}", topic=topic.arn, protocol="email", endpoint=email, opts=opts
            )
