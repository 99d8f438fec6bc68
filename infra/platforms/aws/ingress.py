"""prod's ingress: one internet-facing ALB made by the AWS Load Balancer Controller from the stack's Ingresses, with
an ACM certificate and Route53 records (docs/ingress.md).

- The controller (Helm chart from eks-charts, pinned in ``infra/versions.py``) runs two replicas on the system
  nodes with its own IAM role through a pod identity association (``kube-system/aws-load-balancer-controller``),
  its policy scoped to this cluster's tag (:func:`~infra.platforms.aws.iam.load_balancer_controller_policy`); VPC
  and region are given (pods cannot read the instance metadata). WAF, Shield and Cognito are off.
- The certificate: ACM, DNS-validated through records in the Route53 hosted zone ``ingress.route53ZoneId``, for
  every route's host; ACM renews it while the records stay. The Ingresses wait for the validation, so the ALB never
  serves without it.
- Every Ingress joins one IngressGroup (one ALB for the stack), listens on HTTPS 443 with that certificate and a
  TLS 1.3/1.2 policy, and on HTTP 80 only to redirect to HTTPS; the ALB's security group admits
  ``ingress.allowedCidrs`` only. Targets are the pods' IPs (the VPC CNI's), health-checked on each route's path.
- DNS: an alias A record per host to the ALB, whose name the Ingress's status carries once the controller made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import versions
from infra.config import IngressConfig
from infra.platforms import Edge, Scheduling
from infra.platforms.aws import iam

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"
ANNOTATION = "alb.ingress.kubernetes.io/"
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only (the controller's recommended policy)."""
LISTEN_PORTS = [{"HTTP": 80}, {"HTTPS": 443}]
"""HTTP exists only to redirect (``ssl-redirect``): a browser typing the bare name lands on HTTPS."""


def alb_annotations(group: str, certificate_arn: pulumi.Input[str], cidrs: tuple[str, ...]) -> dict[str, Any]:
    """The annotations every Ingress of the stack carries (the controller merges a group's Ingresses into one ALB)."""
    return {
        f"{ANNOTATION}scheme": "internet-facing",
        f"{ANNOTATION}target-type": "ip",
        f"{ANNOTATION}group.name": group,
        f"{ANNOTATION}listen-ports": json.dumps(LISTEN_PORTS),
        f"{ANNOTATION}ssl-redirect": "443",
        f"{ANNOTATION}certificate-arn": certificate_arn,
        f"{ANNOTATION}ssl-policy": SSL_POLICY,
        f"{ANNOTATION}inbound-cidrs": ",".join(cidrs),
    }


def load_balancer_hostname(status: Any) -> str:
    """The ALB's DNS name from an Ingress's ``status.loadBalancer``."""
    load_balancer = getattr(status, "load_balancer", None)
    ingress = getattr(load_balancer, "ingress", None) or []
    if not ingress or not getattr(ingress[0], "hostname", None):
        raise ValueError("the ingress has no load balancer yet (its status names none)")
    return str(ingress[0].hostname)


@dataclass(frozen=True)
class AlbIngressArgs:
    ingress: IngressConfig
    cluster_name: str
    cluster: aws.eks.Cluster
    region: str
    vpc_id: pulumi.Input[str]
    scheduling: Scheduling
    depends_on: list[pulumi.Resource]
    """What the controller needs first: the system node group and the Pod Identity agent."""
    kubernetes: k8s.Provider


class AlbIngress(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    certificate_arn: pulumi.Output[str]
    """The validated certificate's ARN (resolves once ACM has issued it)."""
    edge: Edge

    def __init__(self, name: str, args: AlbIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:AlbIngress", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._name = name
        self._zone_id = args.ingress.route53_zone_id
        identity = iam.pod_identity(
            f"{name}-controller",
            args.cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            iam.load_balancer_controller_policy(args.cluster_name),
            child,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name="aws-load-balancer-controller",
                chart=versions.AWS_LOAD_BALANCER_CONTROLLER_CHART,
                version=versions.AWS_LOAD_BALANCER_CONTROLLER_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.AWS_LOAD_BALANCER_CONTROLLER_REPO),
                namespace=NAMESPACE,
                values={
                    "clusterName": args.cluster_name,
                    "region": args.region,
                    "vpcId": args.vpc_id,
                    "replicaCount": 2,
                    "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
                    "ingressClass": INGRESS_CLASS,
                    "createIngressClassResource": True,
                    "enableShield": False,
                    "enableWaf": False,
                    "enableWafv2": False,
                    "nodeSelector": args.scheduling.node_selector,
                    "tolerations": args.scheduling.tolerations,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "512Mi"},
                    },
                },
                atomic=True,
                timeout=600,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.kubernetes,
                depends_on=[*args.depends_on, *identity],
            ),
        )
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=args.ingress.hosts[0],
            subject_alternative_names=list(args.ingress.hosts[1:]),
            validation_method="DNS",
            opts=pulumi.ResourceOptions(parent=self),
        )
        records = [
            aws.route53.Record(
                f"{name}-validation-{index}",
                zone_id=args.ingress.route53_zone_id,
                name=certificate.domain_validation_options[index].resource_record_name,
                type=certificate.domain_validation_options[index].resource_record_type,
                records=[certificate.domain_validation_options[index].resource_record_value],
                ttl=300,
                allow_overwrite=True,
                opts=child,
            )
            for index in range(len(args.ingress.hosts))
        ]
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn for record in records],
            opts=child,
        )
        self.certificate_arn = validation.certificate_arn
        self._alb_zone_id = aws.lb.get_hosted_zone_id_output(
            region=args.region, load_balancer_type="application", opts=pulumi.InvokeOutputOptions(parent=self)
        ).id
        self.edge = Edge(
            ingress_class=INGRESS_CLASS,
            annotations=alb_annotations(
                f"genepool-{pulumi.get_stack()}", self.certificate_arn, args.ingress.allowed_cidrs
            ),
            ready=[self.release, validation],
            health_check_annotation=f"{ANNOTATION}healthcheck-path",
            publish=self.alias_record,
        )
        self.register_outputs({"certificate_arn": self.certificate_arn})

    def alias_record(self, route: str, host: str, status: pulumi.Output[Any]) -> None:
        """An A record aliasing ``host`` to the ALB its Ingress got."""
        aws.route53.Record(
            f"{self._name}-{route}",
            zone_id=self._zone_id,
            name=host,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=status.apply(load_balancer_hostname),
                    zone_id=self._alb_zone_id,
                    evaluate_target_health=True,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
