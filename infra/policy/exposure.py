"""Network exposure policies: no security group open to the internet, no unrestricted load balancer, every managed
database behind a firewall scoped to the cluster.

What this program serves outside the cluster goes through one load balancer per stack (docs/ingress.md): the ALB of
the ``alb`` Ingresses on AWS (its source ranges in ``alb.ingress.kubernetes.io/inbound-cidrs``) or the ingress
controller's ``LoadBalancer`` Service (``loadBalancerSourceRanges``, set directly or through a Helm release's
``service.spec`` values). Each must list its source ranges, none open to the internet. That they serve only TLS is
``listeners.py``'s rule. The databases are reached only from the cluster's network.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

OPEN_CIDRS = ("0.0.0.0/0", "::/0")
ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"
ALB_INBOUND_CIDRS = "alb.ingress.kubernetes.io/inbound-cidrs"
DO_DATABASE = "digitalocean:index/databaseCluster:DatabaseCluster"
DO_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"


def security_groups_closed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props, kind = args.props, args.resource_type
    if kind == "aws:ec2/securityGroup:SecurityGroup":
        for rule in props.get("ingress") or []:
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            if any(cidr in OPEN_CIDRS for cidr in cidrs):
                report(
                    f"{args.name}: ingress from the internet ({', '.join(cidrs)}) on port {rule.get('fromPort')}", None
                )
    elif kind == "aws:ec2/securityGroupRule:SecurityGroupRule" and props.get("type") == "ingress":
        cidrs = [*(props.get("cidrBlocks") or []), *(props.get("ipv6CidrBlocks") or [])]
        if any(cidr in OPEN_CIDRS for cidr in cidrs):
            report(f"{args.name}: ingress from the internet ({', '.join(cidrs)})", None)
    elif kind == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" and (
        props.get("cidrIpv4") in OPEN_CIDRS or props.get("cidrIpv6") in OPEN_CIDRS
    ):
        report(f"{args.name}: ingress from the internet", None)


def load_balancers_restricted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "kubernetes:networking.k8s.io/v1:Ingress":
        annotations = (args.props.get("metadata") or {}).get("annotations") or {}
        if (args.props.get("spec") or {}).get("ingressClassName") != "alb" or annotations.get(ALB_SCHEME) == "internal":
            return
        ranges = [cidr.strip() for cidr in str(annotations.get(ALB_INBOUND_CIDRS) or "").split(",") if cidr.strip()]
        if not ranges or any(cidr in OPEN_CIDRS for cidr in ranges):
            report(f"{args.name}: an internet-facing ALB needs {ALB_INBOUND_CIDRS}, none of them 0.0.0.0/0", None)
        return
    if args.resource_type == "kubernetes:core/v1:Service":
        spec = args.props.get("spec") or {}
    elif args.resource_type == "kubernetes:helm.sh/v3:Release":
        spec = ((args.props.get("values") or {}).get("service") or {}).get("spec") or {}
    else:
        return
    if spec.get("type") != "LoadBalancer":
        return
    ranges = spec.get("loadBalancerSourceRanges") or []
    if not ranges or any(cidr in OPEN_CIDRS for cidr in ranges):
        report(f"{args.name}: a LoadBalancer Service needs loadBalancerSourceRanges, none of them 0.0.0.0/0", None)


def database_firewalls(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every DigitalOcean managed database has a firewall that depends on it and admits only the cluster (``k8s``)
    or named droplets/tags, never an address range open to the internet."""
    guarded: set[str] = set()
    for resource in args.resources:
        if resource.resource_type != DO_FIREWALL:
            continue
        rules = resource.props.get("rules") or []
        open_rules = [r for r in rules if r.get("type") == "ip_addr" and r.get("value") in OPEN_CIDRS]
        if open_rules or not rules:
            report(f"{resource.name}: a database firewall must admit only the cluster, not the internet", resource.urn)
            continue
        guarded |= {dependency.urn for dependency in resource.dependencies}
    for resource in args.resources:
        if resource.resource_type == DO_DATABASE and resource.urn not in guarded:
            report(f"{resource.name}: a managed database needs a firewall scoped to the cluster", resource.urn)
