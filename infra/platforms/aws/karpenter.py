"""Karpenter: all worker capacity on AWS (what awslabs/data-on-eks does), replacing the Cluster Autoscaler.

- CRDs (NodePool, NodeClaim, EC2NodeClass) from their own release of the ``karpenter-crd`` chart at the
  controller's version, installed before the controller and upgraded with it (Helm never upgrades a chart's
  ``crds/``); the controller release skips its CRDs.
- The controller (Helm chart from its OCI registry, pinned in ``infra/versions.py``, values in
  ``infra/components/values/karpenter.yaml``) runs on the ``system`` managed node group (never on a node it
  launched), two replicas, with its own IAM role through a pod identity association (``kube-system/karpenter``)
  and its region from ``AWS_REGION`` (the nodes' IMDS is out of pods' reach).
- The EC2 Spot service-linked role (``AWSServiceRoleForEC2Spot``), without which spot launches fail in an account
  that never ran spot: created with the stack and kept when the stack is destroyed (it is the account's, not the
  stack's). An account that already has it sets ``aws.spotServiceLinkedRole: existing``; preview then checks that
  it is there (docs/operations.md#prod-on-aws).
- Interruption handling: an SQS queue fed by EventBridge rules for spot interruption warnings, rebalance
  recommendations, instance state changes and AWS Health scheduled changes. Karpenter reads it, cordons and drains
  the node before EC2 takes it back (two minutes for spot) and starts a replacement at once; the Ray workers' preStop
  ``ray stop`` and grace period drain their actors.
- One ``EC2NodeClass`` (``default``): AL2023, the private subnets and the cluster security group found by the
  ``karpenter.sh/discovery`` tag, the Karpenter node role, encrypted gp3 root volumes of ``aws.rootVolumeGiB``,
  IMDSv2 with hop limit 1 (pods cannot reach the node's instance metadata), and ``kubelet.maxPods`` of
  :data:`~infra.platforms.aws.instances.KUBELET_MAX_PODS`, what the preview's sizing check assumes.
- ``NodePool``s as described in ``pools.py``. Consolidation is ``WhenEmpty`` only: consolidating under-used nodes
  evicts running pods far more often than spot reclaims do (aws/karpenter-provider-aws#3778), and an evicted Ray
  worker loses the evaluations in flight. The Ray autoscaler removes idle workers, then Karpenter removes the empty
  node.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components.common import deep_merge, load_values
from infra.platforms import Scheduling
from infra.platforms.aws import iam
from infra.platforms.aws.cluster import ROOT_DEVICE
from infra.platforms.aws.instances import KUBELET_MAX_PODS
from infra.platforms.aws.network import DISCOVERY_TAG
from infra.platforms.aws.pools import POOL_LABEL, KarpenterPool

NAMESPACE = "kube-system"
SPOT_SERVICE = "spot.amazonaws.com"
SPOT_SERVICE_LINKED_ROLE = "AWSServiceRoleForEC2Spot"
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "default"
INTERRUPTION_EVENTS: dict[str, dict[str, list[str]]] = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}
"""EventBridge rule name → event pattern; every rule targets the interruption queue."""
DISRUPTION: dict[str, dict[str, Any]] = {
    "ray-workers": {
        "consolidationPolicy": "WhenEmpty",
        "consolidateAfter": "5m",
        "budgets": [{"nodes": "1"}],
    },
    "on-demand": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "30m", "budgets": [{"nodes": "0"}]},
    "stateful": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "30m", "budgets": [{"nodes": "1"}]},
    "system": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "15m", "budgets": [{"nodes": "1"}]},
}
"""Per NodePool: empty nodes only; the head's pool is never disrupted voluntarily (budget 0), the others one node at
a time (drift after an AMI update included)."""
EXPIRE_AFTER = {"ray-workers": "168h", "on-demand": "Never", "stateful": "720h", "system": "720h"}
"""Node lifetime: workers a week (spot nodes rarely live that long); the head never expires; stateful and system
nodes after 30 days, so the database's node is replaced with a patched AMI monthly at a moment Karpenter picks (one
restart of TimescaleDB, its volume reattached in the same zone) rather than never."""
TERMINATION_GRACE = {"ray-workers": "10m", "on-demand": "1h", "stateful": "1h", "system": "1h"}
"""How long a draining node waits for its pods (PodDisruptionBudgets, do-not-disrupt) before it is terminated."""


def interruption_queue_policy(queue_arn: str) -> str:
    """EventBridge (and SQS itself) may send to the queue; nothing may use it without TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeSends",
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                },
                {
                    "Sid": "DenyHTTP",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


def node_class_spec(cluster_name: str, node_role: str, root_volume_gib: int) -> dict[str, Any]:
    discovery = [{"tags": {DISCOVERY_TAG: cluster_name}}]
    return {
        "role": node_role,
        "amiSelectorTerms": [{"alias": versions.KARPENTER_AMI_ALIAS}],
        "subnetSelectorTerms": discovery,
        "securityGroupSelectorTerms": discovery,
        "blockDeviceMappings": [
            {
                "deviceName": ROOT_DEVICE,
                "ebs": {
                    "volumeSize": f"{root_volume_gib}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "kubelet": {"maxPods": KUBELET_MAX_PODS},
        "tags": {"genepool.io/cluster": cluster_name, **labels.cost_tags(pulumi.get_stack())},
    }


def node_pool_spec(pool: KarpenterPool, zones: list[str]) -> dict[str, Any]:
    """A ``karpenter.sh/v1`` NodePool spec. When both capacity types are allowed Karpenter launches spot whenever
    it has spot capacity and falls back to on-demand otherwise."""
    requirements = [
        *pool.shape.requirements(),
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones},
    ]
    template_spec: dict[str, Any] = {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
        "requirements": requirements,
        "expireAfter": EXPIRE_AFTER[pool.name],
        "terminationGracePeriod": TERMINATION_GRACE[pool.name],
    }
    if pool.taints:
        template_spec["taints"] = [dict(taint) for taint in pool.taints]
    return {
        "template": {"metadata": {"labels": {POOL_LABEL: pool.label}}, "spec": template_spec},
        "disruption": DISRUPTION[pool.name],
        "limits": {"cpu": str(pool.cpu_limit)},
    }


@dataclass(frozen=True)
class KarpenterArgs:
    cluster: aws.eks.Cluster
    cluster_name: str
    region: str
    zones: list[str]
    node_role: aws.iam.Role
    """The role Karpenter's nodes run with (it has an EC2_LINUX access entry)."""
    pools: tuple[KarpenterPool, ...]
    root_volume_gib: int
    controller_scheduling: Scheduling
    depends_on: list[pulumi.Resource]
    """What the controller needs first: the system node group and the Pod Identity agent."""
    spot_service_linked_role: str
    """``create`` (the stack creates the EC2 Spot service-linked role) or ``existing`` (the account has it)."""


class Karpenter(pulumi.ComponentResource):
    crds: k8s.helm.v3.Release
    release: k8s.helm.v3.Release
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    ready: list[pulumi.Resource]
    """The CRD release, the controller release, the EC2NodeClass and the NodePools."""

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:Karpenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        queue = aws.sqs.Queue(
            f"{name}-interruptions",
            name=args.cluster_name,
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{name}-interruptions", queue_url=queue.url, policy=queue.arn.apply(interruption_queue_policy), opts=child
        )
        for rule_name, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(f"{name}-{rule_name}", event_pattern=json.dumps(pattern), opts=child)
            aws.cloudwatch.EventTarget(
                f"{name}-{rule_name}",
                rule=rule.name,
                target_id="karpenter-interruption-queue",
                arn=queue.arn,
                opts=child,
            )
        identity = iam.pod_identity(
            f"{name}-controller",
            args.cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            pulumi.Output.all(args.cluster.arn, queue.arn, args.node_role.arn).apply(
                lambda arns: iam.karpenter_controller_policy(args.cluster_name, args.region, *arns)
            ),
            child,
        )
        spot_role = self.spot_service_linked_role(name, args.spot_service_linked_role)
        computed = {
            "serviceAccount": {"name": SERVICE_ACCOUNT},
            "settings": {"clusterName": args.cluster_name, "interruptionQueue": queue.name},
            "controller": {"env": [{"name": "AWS_REGION", "value": args.region}]},
            "nodeSelector": args.controller_scheduling.node_selector,
            "tolerations": args.controller_scheduling.tolerations,
        }
        self.crds = k8s.helm.v3.Release(
            f"{name}-crds",
            k8s.helm.v3.ReleaseArgs(
                name="karpenter-crd",
                chart=versions.KARPENTER_CRD_CHART,
                version=versions.KARPENTER_VERSION,
                namespace=NAMESPACE,
                atomic=True,
                timeout=300,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name="karpenter",
                chart=versions.KARPENTER_CHART,
                version=versions.KARPENTER_VERSION,
                namespace=NAMESPACE,
                values=deep_merge(load_values("karpenter.yaml"), computed),
                skip_crds=True,
                atomic=True,
                timeout=600,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*args.depends_on, self.crds, *identity, queue_policy, *spot_role],
            ),
        )
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": NODE_CLASS},
            spec=args.node_role.name.apply(lambda role: node_class_spec(args.cluster_name, role, args.root_volume_gib)),
            opts=after_release,
        )
        self.node_pools = {
            pool.name: k8s.apiextensions.CustomResource(
                f"{name}-pool-{pool.name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": pool.name},
                spec=node_pool_spec(pool, args.zones),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release, node_class]),
            )
            for pool in args.pools
        }
        self.ready = [self.crds, self.release, node_class, *self.node_pools.values()]
        self.register_outputs({"interruption_queue": queue.name})

    def spot_service_linked_role(self, name: str, mode: str) -> list[pulumi.Resource]:
        """``create``: the role, kept on destroy (``retain_on_delete``: other spot users of the account need it);
        ``existing``: a read of the role, so preview fails when it is not there after all."""
        if mode == "existing":
            aws.iam.get_role_output(name=SPOT_SERVICE_LINKED_ROLE, opts=pulumi.InvokeOutputOptions(parent=self))
            return []
        return [
            aws.iam.ServiceLinkedRole(
                f"{name}-spot-service-linked-role",
                aws_service_name=SPOT_SERVICE,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
        ]
