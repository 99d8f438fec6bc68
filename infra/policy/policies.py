"""The genepool CrossGuard policies (pulumi-policy), as plain validators so tests can call them directly.

Each policy checks one rule on one resource's input properties (camelCase, as the engine passes them) and reports
every violation with the object and the rule. The pack (``__main__.py``) is mandatory by default; ``dev.json`` makes
dev advisory except the credential and pinning rules. Resource rules here: pinned images; requests and limits;
non-root pods; probes on long-running containers; credentials only from Secrets in container env; pinned Helm
charts; the Ray head off spot with no tasks and workers that drain; encryption at rest (storage classes, volumes,
launch templates, node classes, Kubernetes Secrets, the cache, backup vaults); nothing that deletes itself after
running; an EKS API endpoint not open to the internet. Beside this module: spot placement (``capacity.py``),
network exposure (``exposure.py``), TLS on every public listener (``listeners.py``), WAL archiving of a cloud's
in-cluster database (``archiving.py``), cost-allocation tags
(``tags.py``), the cost ceiling (``cost.py``) and the workload image's registry (``registry.py``). Stack
rules correlate resources: node roles carry no autoscaling, instance-terminating or EBS CSI permissions (those
belong to the controllers' own Pod Identity roles); databases have firewalls; tags; cost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra import images
from infra.labels import SPOT_TAINT_KEY
from infra.policy.archiving import in_cluster_database_archived
from infra.policy.capacity import dedicated_pools_tainted, stateful_off_spot, workers_on_spot
from infra.policy.cost import cost_within_ceiling
from infra.policy.exposure import database_firewalls, load_balancers_restricted, security_groups_closed
from infra.policy.listeners import public_listeners_tls
from infra.policy.nodes import node_metadata_closed
from infra.policy.pods import containers, kind_of, pod_templates
from infra.policy.registry import workload_image_from_stack_registry
from infra.policy.tags import cost_allocation_tags

CREDENTIAL_ENV = re.compile(r"(PASSWORD|PASS|TOKEN|SECRET|DATABASE_URL|REDIS_URL|DATA_SOURCE_NAME)$")


def for_each_container(check: Callable[[str, Mapping[str, Any], Mapping[str, Any], bool], str | None]):
    """A validator applying ``check(where, pod spec, container, batch)`` to every container; a string is a violation."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for where, spec, batch in pod_templates(args.resource_type, args.props):
            for container in containers(spec):
                problem = check(where, spec, container, batch)
                if problem:
                    report(f"{args.name}: {where} container {container.get('name')!r}: {problem}", None)

    return validate


def pinned_image(where, spec, container, batch):
    image = container.get("image") or ""
    return (
        None if images.pinning_problem(image) is None else f"image {image!r} must pin a tag (not 'latest') or a digest"
    )


def requests_and_limits(where, spec, container, batch):
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        missing = {"cpu", "memory"} - set(resources.get(kind) or {})
        if missing:
            return f"resources.{kind} must set {', '.join(sorted(missing))}"
    return None


def non_root(where, spec, container, batch):
    pod, own = spec.get("securityContext") or {}, container.get("securityContext") or {}
    if own.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
        return "must run with runAsNonRoot: true"
    if own.get("runAsUser", pod.get("runAsUser")) == 0:
        return "must not run as uid 0"
    if own.get("allowPrivilegeEscalation") is not False:
        return "must set allowPrivilegeEscalation: false"
    return None


def probes(where, spec, container, batch):
    if batch or container in (spec.get("initContainers") or []):
        return None
    missing = [probe for probe in ("livenessProbe", "readinessProbe") if not container.get(probe)]
    return f"a long-running container needs {' and '.join(missing)}" if missing else None


def credentials_from_secrets(where, spec, container, batch):
    for entry in container.get("env") or []:
        if (
            CREDENTIAL_ENV.search(entry.get("name", ""))
            and "value" in entry
            and entry["value"] not in ("", None)
            and "$(" not in str(entry["value"])
        ):
            return f"env {entry['name']} carries a credential in plain text; use valueFrom.secretKeyRef"
    return None


def helm_chart_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "kubernetes:helm.sh/v3:Release":
        version = args.props.get("version") or ""
        if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", version):
            report(
                f"{args.name}: Helm chart {args.props.get('chart')!r} must pin an exact version, got {version!r}", None
            )


def ray_head_on_demand(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if kind_of(args.resource_type) != "RayCluster":
        return
    spec = args.props.get("spec") or {}
    head = spec["headGroupSpec"]
    if str(head.get("rayStartParams", {}).get("num-cpus")) != "0":
        report(f'{args.name}: the Ray head must start with num-cpus "0" (it schedules no tasks)', None)
    if any(t.get("key") == SPOT_TAINT_KEY for t in head["template"]["spec"].get("tolerations") or []):
        report(f"{args.name}: the Ray head must not tolerate spot nodes", None)
    for group in spec.get("workerGroupSpecs") or []:
        pod = group["template"]["spec"]
        stops = [
            c
            for c in pod["containers"]
            if "ray stop" in " ".join((c.get("lifecycle") or {}).get("preStop", {}).get("exec", {}).get("command", []))
        ]
        if not stops or not pod.get("terminationGracePeriodSeconds"):
            report(
                f"{args.name}: worker group {group.get('groupName')!r} must drain: preStop 'ray stop' and a "
                "terminationGracePeriodSeconds",
                None,
            )


def encrypted_at_rest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props, kind = args.props, kind_of(args.resource_type)
    if (
        args.resource_type == "kubernetes:storage.k8s.io/v1:StorageClass"
        and props.get("provisioner") == "ebs.csi.aws.com"
    ):
        if str((props.get("parameters") or {}).get("encrypted")).lower() != "true":
            report(f'{args.name}: EBS StorageClass must set parameters.encrypted: "true"', None)
    elif args.resource_type == "aws:eks/cluster:Cluster":
        resources = [r for c in [props.get("encryptionConfig") or {}] for r in c.get("resources") or []]
        if "secrets" not in resources:
            report(
                f"{args.name}: EKS must envelope-encrypt Kubernetes Secrets (encryptionConfig.resources: secrets)", None
            )
    elif args.resource_type == "aws:elasticache/replicationGroup:ReplicationGroup":
        if not (props.get("atRestEncryptionEnabled") and props.get("transitEncryptionEnabled")):
            report(f"{args.name}: ElastiCache must encrypt at rest and in transit", None)
    elif kind == "Volume" and args.resource_type.startswith("aws:ebs/") and not props.get("encrypted"):
        report(f"{args.name}: EBS volumes must be encrypted", None)
    elif args.resource_type == "aws:ec2/launchTemplate:LaunchTemplate":
        for mapping in props.get("blockDeviceMappings") or []:
            if str((mapping.get("ebs") or {}).get("encrypted")).lower() != "true":
                report(f"{args.name}: launch template volume {mapping.get('deviceName')} must be encrypted", None)
    elif args.resource_type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
        for mapping in (props.get("spec") or {}).get("blockDeviceMappings") or []:
            if (mapping.get("ebs") or {}).get("encrypted") is not True:
                report(f"{args.name}: node volume {mapping.get('deviceName')} must be encrypted", None)
    elif args.resource_type == "aws:backup/vault:Vault" and not props.get("kmsKeyArn"):
        report(f"{args.name}: the backup vault must encrypt recovery points with a KMS key (kmsKeyArn)", None)


def nothing_deletes_itself(args: ResourceValidationArgs, report: ReportViolation) -> None:
    kind, spec = kind_of(args.resource_type), args.props.get("spec") or {}
    if not args.resource_type.startswith("kubernetes:"):
        return
    if kind == "RayJob" and (spec.get("shutdownAfterJobFinishes") or "ttlSecondsAfterFinished" in spec):
        report(
            f"{args.name}: a RayJob that deletes its cluster or itself drifts on every pulumi up; submit to the "
            "long-lived RayCluster from a CronJob instead",
            None,
        )
    if kind == "Job" and "ttlSecondsAfterFinished" in spec:
        report(f"{args.name}: a Job with ttlSecondsAfterFinished deletes itself and drifts on every pulumi up", None)


OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def eks_endpoint_restricted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "aws:eks/cluster:Cluster":
        return
    vpc = args.props.get("vpcConfig") or {}
    if vpc.get("endpointPrivateAccess") is not True:
        report(f"{args.name}: the EKS API endpoint must have private access on", None)
    if vpc.get("endpointPublicAccess") is False:
        return
    cidrs = vpc.get("publicAccessCidrs") or []
    if not cidrs or set(cidrs) & set(OPEN_CIDRS):
        report(
            f"{args.name}: the public EKS API endpoint must be limited to listed CIDRs, not the internet "
            f"(publicAccessCidrs: {cidrs or 'unset, i.e. 0.0.0.0/0'})",
            None,
        )


NODE_ROLE_FORBIDDEN_POLICIES = re.compile(
    r"(AmazonEBSCSIDriverPolicy|AmazonEKS_CNI_Policy|AutoScalingFullAccess|AmazonEC2FullAccess|AdministratorAccess|"
    r"PowerUserAccess)$"
)
"""Managed policies a node role must not carry: the controllers' (EBS CSI, and the VPC CNI's, which reach their
pods through Pod Identity) and broad ones."""
NODE_ROLE_FORBIDDEN_ACTIONS = re.compile(
    r"^(\*|autoscaling:(\*|Set.*|Terminate.*|Update.*|Create.*|Delete.*)|ec2:(\*|Terminate.*|Stop.*|"
    r"CreateVolume|DeleteVolume|AttachVolume|DetachVolume|ModifyVolume|CreateSnapshot|DeleteSnapshot|"
    r"Create\*|Delete\*|Attach\*|Detach\*|Terminate\*))$",
    re.IGNORECASE,
)
"""Write actions a node role must not hold: scaling or terminating instances, creating/attaching/deleting EBS
volumes and snapshots (what the Cluster Autoscaler and the EBS CSI driver need), and wildcards covering them."""


def trusts_ec2(assume_role_policy: Any) -> bool:
    document = json.loads(assume_role_policy) if isinstance(assume_role_policy, str) else assume_role_policy or {}
    for statement in document.get("Statement") or []:
        services = (statement.get("Principal") or {}).get("Service") or []
        if "ec2.amazonaws.com" in ([services] if isinstance(services, str) else services):
            return True
    return False


def forbidden_actions(policy: Any) -> list[str]:
    document = json.loads(policy) if isinstance(policy, str) else policy or {}
    found = []
    for statement in document.get("Statement") or []:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = statement.get("Action") or []
        for action in [actions] if isinstance(actions, str) else actions:
            if NODE_ROLE_FORBIDDEN_ACTIONS.match(action):
                found.append(action)
    return found


def node_role_least_privilege(args: StackValidationArgs, report: ReportViolation) -> None:
    """Node roles (IAM roles ``ec2.amazonaws.com`` assumes) and what is attached to them, matched by role name (so a
    node role must set its name: an auto-generated one is unknown at preview)."""
    node_roles = [
        r
        for r in args.resources
        if r.resource_type == "aws:iam/role:Role" and trusts_ec2(r.props.get("assumeRolePolicy"))
    ]
    roles = {r.props["name"]: r for r in node_roles if r.props.get("name")}
    for role in node_roles:
        if not role.props.get("name"):
            report(
                f"{role.name}: a node role must set an explicit name (the policy matches attachments by it)", role.urn
            )
        for arn in role.props.get("managedPolicyArns") or []:
            if NODE_ROLE_FORBIDDEN_POLICIES.search(arn):
                report(f"{role.name}: node role must not carry {arn}", role.urn)
        for inline in role.props.get("inlinePolicies") or []:
            if actions := forbidden_actions(inline.get("policy")):
                report(f"{role.name}: node role inline policy grants {', '.join(actions)}", role.urn)
    for r in args.resources:
        if r.props.get("role") not in roles:
            continue
        kind = r.resource_type
        if kind == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            if NODE_ROLE_FORBIDDEN_POLICIES.search(r.props.get("policyArn") or ""):
                report(f"{r.name}: node role {r.props['role']} must not carry {r.props['policyArn']}", r.urn)
        elif kind == "aws:iam/rolePolicy:RolePolicy" and (actions := forbidden_actions(r.props.get("policy"))):
            report(f"{r.name}: inline policy on node role {r.props['role']} grants {', '.join(actions)}", r.urn)


Validator = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidator = Callable[[StackValidationArgs, ReportViolation], None]

VALIDATORS: dict[str, tuple[str, Validator]] = {
    "pinned-images": ("Every container image pins a tag or digest, never 'latest'.", for_each_container(pinned_image)),
    "requests-and-limits": (
        "Every container sets CPU and memory requests and limits.",
        for_each_container(requests_and_limits),
    ),
    "non-root": ("Every container runs non-root without privilege escalation.", for_each_container(non_root)),
    "health-probes": ("Every long-running container has liveness and readiness probes.", for_each_container(probes)),
    "credentials-from-secrets": (
        "Credentials reach containers only from Secrets.",
        for_each_container(credentials_from_secrets),
    ),
    "helm-charts-pinned": ("Every Helm release pins an exact chart version.", helm_chart_pinned),
    "ray-head-on-demand": ("The Ray head schedules no tasks and stays off spot; workers drain.", ray_head_on_demand),
    "encrypted-at-rest": ("Storage, Kubernetes Secrets and the cache are encrypted.", encrypted_at_rest),
    "nothing-deletes-itself": ("No resource Pulumi owns deletes itself after running.", nothing_deletes_itself),
    "eks-endpoint-restricted": (
        "The EKS API endpoint has private access and public access only from listed CIDRs.",
        eks_endpoint_restricted,
    ),
    "workers-on-spot": ("Spot capacity is tainted for Ray workers, whose pool allows spot.", workers_on_spot),
    "stateful-off-spot": ("No StatefulSet (databases, monitoring volumes) runs on spot.", stateful_off_spot),
    "dedicated-pools-tainted": (
        "The Ray head's and the stateful NodePools taint their nodes, so only their own pods land there.",
        dedicated_pools_tainted,
    ),
    "node-metadata-closed": (
        "Every node answers IMDSv2 only, with hop limit 1 (pods cannot reach the node's credentials).",
        node_metadata_closed,
    ),
    "security-groups-closed": ("No security group admits the internet.", security_groups_closed),
    "load-balancers-restricted": (
        "A load balancer (LoadBalancer Service, a release's, an internet-facing ALB) lists its source ranges, none "
        "open to the internet.",
        load_balancers_restricted,
    ),
}
"""Policy name → (description, validator); tests call the validators directly."""

STACK_VALIDATORS: dict[str, tuple[str, StackValidator]] = {
    "database-firewalls": ("Every managed database has a firewall admitting only the cluster.", database_firewalls),
    "cost-allocation-tags": ("Every taggable cloud resource carries the project and stack tags.", cost_allocation_tags),
    "cost-within-ceiling": (
        "The estimated hourly cost at maximum size is within genepool:costCeilingUsdPerHour.",
        cost_within_ceiling,
    ),
    "workload-image-from-stack-registry": (
        "On a cloud, every image that is not a pinned upstream image comes from the stack's own registry.",
        workload_image_from_stack_registry,
    ),
    "node-role-least-privilege": (
        "Node roles carry no autoscaling, instance-terminating, EBS CSI or VPC CNI permissions.",
        node_role_least_privilege,
    ),
    "public-listeners-tls": (
        "Every public listener (Ingress, LoadBalancer Service, ALB listener) serves TLS; plain HTTP only redirects.",
        public_listeners_tls,
    ),
    "in-cluster-database-archived": (
        "On a cloud, the in-cluster TimescaleDB archives its WAL with pgBackRest to a bucket of the stack.",
        in_cluster_database_archived,
    ),
}
"""Stack-level policies (they correlate resources): name → (description, validator)."""

POLICIES: list[Policy] = [
    *(ResourceValidationPolicy(name, description, validator) for name, (description, validator) in VALIDATORS.items()),
    *(
        StackValidationPolicy(name, description, validator)
        for name, (description, validator) in STACK_VALIDATORS.items()
    ),
]
