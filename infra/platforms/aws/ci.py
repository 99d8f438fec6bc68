"""How CI reaches prod's EKS API: GitHub Actions runners inside the VPC, hosted by CodeBuild, and the preview role's
read-only access entry (docs/delivery.md).

The EKS endpoint is private (plus, optionally, a short CIDR list for people); GitHub-hosted runners have no fixed
egress, so the prod jobs of ``deploy.yml``, ``drift.yml`` and ``preview-prod.yml`` run on a CodeBuild project that
takes GitHub Actions ``workflow_job`` events (``runs-on: codebuild-<project>-<run id>-<attempt>``):

- the project runs in the private subnets with its own security group, which the cluster security group admits on
  443 only (:data:`RUNNER_PROJECT` names it; the workflow tests check the workflows use this name);
- it reads the repository through an AWS CodeConnections connection made by hand (``ci.connectionArn``) and takes
  only jobs of the workflows in :data:`RUNNER_WORKFLOWS`;
- its own role can only write its logs and attach to the VPC: a job gets cloud access solely by assuming the preview
  or deploy role through GitHub's OIDC, which trust only their GitHub environments (docs/delivery.md#first-deploy).

The preview role (``ci.previewRoleArn``) gets an access entry with ``AmazonEKSAdminViewPolicy`` on the cluster:
read-only, Secrets included, since a refreshed preview reads the Helm releases' state (kept in Secrets) and every
object's live state. It has no ``patch`` right, so the Kubernetes provider's server-side dry run falls back to a
client-side diff for it (pulumi-kubernetes#2419 added that fallback); ``AmazonEKSViewPolicy``
cannot read Secrets, and a refresh would fail on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import CiConfig

RUNNER_PROJECT = "genepool-prod-ci"
"""The CodeBuild project (and runner label prefix ``codebuild-genepool-prod-ci-``) of the prod jobs."""
RUNNER_WORKFLOWS = ("deploy", "drift", "preview-prod")
"""Workflow names whose queued jobs the runner project takes (its webhook's ``WORKFLOW_NAME`` filter)."""
RUNNER_IMAGE = "aws/codebuild/standard:7.0"
"""CodeBuild's curated Ubuntu 22.04 image (the AWS CLI, apt for skopeo); actions/setup-python installs its Python."""
PREVIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
API_PORT = 443


def runner_policy(log_group_arn: str, connection_arn: str, region: str) -> str:
    """The runner's own permissions: its logs, the VPC network interfaces CodeBuild attaches, the GitHub
    connection. Nothing else: jobs assume the preview/deploy roles through OIDC."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Logs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                },
                {
                    "Sid": "VpcNetworkInterfaces",
                    "Effect": "Allow",
                    "Action": [
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                    ],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
                },
                {
                    "Sid": "VpcNetworkInterfacePermission",
                    "Effect": "Allow",
                    "Action": "ec2:CreateNetworkInterfacePermission",
                    "Resource": f"arn:aws:ec2:{region}:*:network-interface/*",
                    "Condition": {"StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"}},
                },
                {
                    "Sid": "GitHubConnection",
                    "Effect": "Allow",
                    "Action": [
                        "codeconnections:GetConnection",
                        "codeconnections:GetConnectionToken",
                        "codeconnections:UseConnection",
                        "codestar-connections:GetConnection",
                        "codestar-connections:GetConnectionToken",
                        "codestar-connections:UseConnection",
                    ],
                    "Resource": connection_arn,
                },
            ],
        }
    )


@dataclass(frozen=True)
class CiAccessArgs:
    ci: CiConfig
    cluster_name: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    region: str
    log_retention_days: int


RUNNER_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
"""Who may assume the runner role: CodeBuild only."""


class CiAccess(pulumi.ComponentResource):
    project: aws.codebuild.Project

    def __init__(self, name: str, args: CiAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:CiAccess", name, None, opts)
        self._preview_access(args)
        runners = self._runner_security_group(args)
        logs = aws.cloudwatch.LogGroup(
            "runner-logs",
            name=f"/aws/codebuild/{RUNNER_PROJECT}",
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.project = self._runner_project(args, runners, logs)
        self._runner_webhook()
        self.register_outputs({"project": self.project.name})

    def _preview_access(self, args: CiAccessArgs) -> None:
        """The preview role's access entry with :data:`PREVIEW_POLICY` (read-only) on the whole cluster."""
        child = pulumi.ResourceOptions(parent=self)
        preview = aws.eks.AccessEntry(
            "access-preview", cluster_name=args.cluster_name, principal_arn=args.ci.preview_role_arn, opts=child
        )
        aws.eks.AccessPolicyAssociation(
            "access-preview-view",
            cluster_name=args.cluster_name,
            principal_arn=preview.principal_arn,
            policy_arn=PREVIEW_POLICY,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=child,
        )

    def _runner_security_group(self, args: CiAccessArgs) -> aws.ec2.SecurityGroup:
        """The runners' security group, which the cluster security group admits on :data:`API_PORT` only."""
        child = pulumi.ResourceOptions(parent=self)
        runners = aws.ec2.SecurityGroup(
            "runners",
            description="GitHub Actions runners of the prod jobs (CodeBuild)",
            vpc_id=args.vpc_id,
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"], description="GitHub, registries"
                )
            ],
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            "cluster-api-from-runners",
            security_group_id=args.cluster_security_group_id,
            referenced_security_group_id=runners.id,
            ip_protocol="tcp",
            from_port=API_PORT,
            to_port=API_PORT,
            description="EKS API from the CI runners",
            opts=child,
        )
        return runners

    def _runner_project(
        self, args: CiAccessArgs, runners: aws.ec2.SecurityGroup, logs: aws.cloudwatch.LogGroup
    ) -> aws.codebuild.Project:
        """The runner role (:func:`runner_policy` only) and the CodeBuild project in the private subnets, reading
        the repository through the GitHub connection and logging to ``logs``."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            "runner-role", name=f"{RUNNER_PROJECT}-runner", assume_role_policy=RUNNER_TRUST_POLICY, opts=child
        )
        policy = aws.iam.RolePolicy(
            "runner-policy",
            role=role.name,
            policy=logs.arn.apply(lambda arn: runner_policy(arn, args.ci.connection_arn, args.region)),
            opts=child,
        )
        return aws.codebuild.Project(
            "runner",
            name=RUNNER_PROJECT,
            description="GitHub Actions runners inside the VPC for the prod jobs",
            service_role=role.arn,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{args.ci.repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=args.ci.connection_arn),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=args.ci.runner_compute,
                image=RUNNER_IMAGE,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id, subnets=args.private_subnet_ids, security_group_ids=[runners.id]
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(group_name=logs.name),
            ),
            build_timeout=120,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _runner_webhook(self) -> None:
        """The project's webhook: queued jobs of the workflows in :data:`RUNNER_WORKFLOWS` only."""
        aws.codebuild.Webhook(
            "runner-webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern="WORKFLOW_JOB_QUEUED"),
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="WORKFLOW_NAME", pattern=f"^({'|'.join(RUNNER_WORKFLOWS)})$"
                        ),
                    ]
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
