"""Node policy: every node's instance metadata answers IMDSv2 only and only the node itself (hop limit 1), on the
system node group's launch templates and Karpenter's EC2NodeClasses alike, so no pod can read the node role's
credentials."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def metadata_options(args: ResourceValidationArgs) -> dict[str, Any] | None:
    if args.resource_type == LAUNCH_TEMPLATE:
        return args.props.get("metadataOptions") or {}
    if args.resource_type == NODE_CLASS:
        return (args.props.get("spec") or {}).get("metadataOptions") or {}
    return None


def node_metadata_closed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    options = metadata_options(args)
    if options is None:
        return
    if options.get("httpTokens") != "required":
        report(f"{args.name}: instance metadata must require IMDSv2 tokens (httpTokens: required)", None)
    if options.get("httpPutResponseHopLimit") != 1:
        report(
            f"{args.name}: instance metadata hop limit must be 1 (got {options.get('httpPutResponseHopLimit')}): "
            "a higher limit lets pods read the node role's credentials",
            None,
        )
