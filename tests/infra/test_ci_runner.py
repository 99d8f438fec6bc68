"""How CI reaches prod's private EKS API under the mocks: CodeBuild-hosted GitHub Actions runners in the private
subnets, admitted by the cluster security group on 443 only, with a role that can do nothing in AWS but log and
attach to the VPC; and the preview role's read-only access entry."""

from __future__ import annotations

import json

import pytest

from infra.config import StackConfigError, parse
from infra.platforms.aws.ci import PREVIEW_POLICY, RUNNER_PROJECT, RUNNER_WORKFLOWS

from .conftest import ORGANISATION_CONFIG, plain
from .test_config import with_value, without

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
CI = ORGANISATION_CONFIG["prod"]["genepool:ci"]


def test_the_runner_project_runs_in_the_private_subnets_with_its_own_security_group(prod):
    project = plain(prod.named(PROJECT, "runner").inputs)
    private = {plain(r.inputs)["cidrBlock"] for r in prod.resources if r.type == "aws:ec2/subnet:Subnet"}
    assert project["name"] == RUNNER_PROJECT
    assert len(project["vpcConfig"]["subnets"]) == 3 and len(private) == 6
    assert project["vpcConfig"]["securityGroupIds"] == ["runners-id"]
    assert project["environment"]["privilegedMode"] is False


def test_the_runner_reads_the_repository_through_the_configured_connection(prod):
    source = plain(prod.named(PROJECT, "runner").inputs)["source"]
    assert source["location"] == f"https://github.com/{CI['repository']}.git"
    assert source["auth"] == {"type": "CODECONNECTIONS", "resource": CI["connectionArn"]}


def test_the_webhook_takes_only_queued_jobs_of_the_prod_workflows(prod):
    (group,) = plain(prod.named(WEBHOOK, "runner-webhook").inputs)["filterGroups"]
    assert {f["type"]: f["pattern"] for f in group["filters"]} == {
        "EVENT": "WORKFLOW_JOB_QUEUED",
        "WORKFLOW_NAME": f"^({'|'.join(RUNNER_WORKFLOWS)})$",
    }


def test_the_cluster_security_group_admits_the_runners_on_443_only(prod):
    rule = plain(
        prod.named("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "cluster-api-from-runners").inputs
    )
    assert rule["securityGroupId"] == "sg-cluster"
    assert rule["referencedSecurityGroupId"] == "runners-id"
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert "cidrIpv4" not in rule


def test_the_runner_security_group_admits_nothing(prod):
    assert not plain(prod.named("aws:ec2/securityGroup:SecurityGroup", "runners").inputs).get("ingress")


def test_the_runner_role_can_only_log_attach_to_the_vpc_and_use_the_connection(prod):
    policy = json.loads(plain(prod.named("aws:iam/rolePolicy:RolePolicy", "runner-policy").inputs)["policy"])
    actions = {
        action
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    services = {action.split(":")[0] for action in actions}
    assert services == {"logs", "ec2", "codeconnections", "codestar-connections"}
    assert not [a for a in actions if a.startswith(("eks:", "sts:", "iam:", "ecr:", "kms:")) or a.endswith("*")]
    attachments = prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert not [a for a in attachments if a.inputs.get("role") == f"{RUNNER_PROJECT}-runner"]


def test_the_runner_logs_keep_the_control_plane_log_retention(prod):
    logs = plain(prod.named("aws:cloudwatch/logGroup:LogGroup", "runner-logs").inputs)
    assert logs == {"name": f"/aws/codebuild/{RUNNER_PROJECT}", "retentionInDays": 90}


def test_the_preview_role_gets_read_only_cluster_access(prod):
    (association,) = [
        plain(r.inputs)
        for r in prod.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.name == "access-preview-view"
    ]
    assert association["principalArn"] == CI["previewRoleArn"]
    assert association["policyArn"] == PREVIEW_POLICY
    assert association["accessScope"] == {"type": "cluster"}


@pytest.mark.parametrize("key", ["ci.repository", "ci.connectionArn", "ci.previewRoleArn"])
def test_each_ci_key_is_required_on_aws(key):
    with pytest.raises(StackConfigError, match=f"genepool:{key}: is required"):
        parse(without("prod", key))


def test_ci_does_not_apply_to_digitalocean():
    with pytest.raises(StackConfigError, match="genepool:ci: does not apply to cloud 'digitalocean'"):
        parse(with_value("staging", "ci.repository", "acme/genepool"))


def test_a_connection_arn_of_another_service_is_refused():
    with pytest.raises(StackConfigError, match="genepool:ci.connectionArn: must be a CodeConnections connection ARN"):
        parse(with_value("prod", "ci.connectionArn", "arn:aws:iam::123456789012:role/x"))
