"""The VPC: a /16 over three availability zones, public subnets (load balancers, the NAT gateways) and private
subnets (nodes, ElastiCache), the private ones tagged for Karpenter's subnet discovery.

Egress (docs/operations.md#egress-on-aws): by default one NAT gateway per zone, and each zone's private subnet has
its own route table whose default route is its own zone's gateway, so losing a zone costs no other zone its egress.
With fewer gateways (``aws.natGateways``) the zones without one route through the gateway of zone
``index % gateways``. The AWS APIs the nodes need most do not go through NAT at all: a gateway endpoint for S3
(image layers: ECR serves them from S3) on every private route table, and interface endpoints with private DNS, one
network interface per zone, for ECR (api, dkr), STS, EKS Pod Identity (eks-auth), SQS (Karpenter's interruption
queue) and EC2 (Karpenter's launches), behind a security group that admits HTTPS from the VPC only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

VPC_CIDR = "10.0.0.0/16"
DISCOVERY_TAG = "karpenter.sh/discovery"
"""Tag (value: the cluster name) by which the EC2NodeClass selects subnets and security groups."""
INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "sts", "eks-auth", "sqs", "ec2")
"""AWS services reached through interface endpoints (``com.amazonaws.<region>.<service>``), one ENI per zone."""
GATEWAY_ENDPOINTS: tuple[str, ...] = ("s3",)
"""AWS services reached through gateway endpoints (routes in the private route tables, no hourly charge)."""
HTTPS = 443


def nat_gateway_count(zones: int, configured: int | None) -> int:
    """Gateways to create over ``zones`` zones: one per zone when ``configured`` is None (``perZone``)."""
    return zones if configured is None else min(configured, zones)


def nat_zone_of(zone_index: int, gateways: int) -> int:
    """Index of the zone whose NAT gateway carries the egress of zone ``zone_index``: its own when it has one."""
    return zone_index % gateways


def _first_keeps(index: int, old_name: str, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """The first zone's NAT gateway, its address and its private route table carry the names the single shared
    ones had (``nat``, ``private``) as aliases, so an existing stack keeps them rather than replacing them."""
    if index != 0:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old_name)]))


@dataclass(frozen=True)
class NetworkArgs:
    zones: list[str]
    """Availability zones, one public and one private /20 each."""
    cluster_name: str
    region: str
    """The region of the endpoints' service names."""
    nat_gateways: int | None = None
    """NAT gateways (``aws.natGateways``): None for one per zone, else a count up to ``len(zones)``."""


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public: list[aws.ec2.Subnet]
    private: list[aws.ec2.Subnet]
    nat_gateways: list[aws.ec2.NatGateway]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:Network", name, None, opts)
        self.vpc = aws.ec2.Vpc(
            "vpc",
            cidr_block=VPC_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": args.cluster_name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._subnets(args)
        count = nat_gateway_count(len(args.zones), args.nat_gateways)
        self.nat_gateways = self._nat_gateways(args, count)
        private_routes = self._private_routes(args, count)
        self._endpoints(args, private_routes)
        self.register_outputs({"vpc_id": self.vpc.id})

    def _subnets(self, args: NetworkArgs) -> None:
        """The internet gateway and the public route table, then per zone a public subnet on it (:attr:`public`)
        and a private subnet tagged for discovery (:attr:`private`)."""
        child = pulumi.ResourceOptions(parent=self)
        gateway = aws.ec2.InternetGateway("igw", vpc_id=self.vpc.id, opts=child)
        public_routes = aws.ec2.RouteTable(
            "public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            opts=child,
        )
        self.public, self.private = [], []
        for index, zone in enumerate(args.zones):
            subnet = aws.ec2.Subnet(
                f"public-{zone}",
                vpc_id=self.vpc.id,
                availability_zone=zone,
                cidr_block=f"10.0.{index * 16}.0/20",
                map_public_ip_on_launch=True,
                tags={"kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"public-{zone}", subnet_id=subnet.id, route_table_id=public_routes.id, opts=child
            )
            self.public.append(subnet)
            self.private.append(
                aws.ec2.Subnet(
                    f"private-{zone}",
                    vpc_id=self.vpc.id,
                    availability_zone=zone,
                    cidr_block=f"10.0.{128 + index * 16}.0/20",
                    tags={"kubernetes.io/role/internal-elb": "1", DISCOVERY_TAG: args.cluster_name},
                    opts=child,
                )
            )

    def _nat_gateways(self, args: NetworkArgs, count: int) -> list[aws.ec2.NatGateway]:
        """A NAT gateway, with its address, in the public subnet of each of the first ``count`` zones."""
        child = pulumi.ResourceOptions(parent=self)
        return [
            aws.ec2.NatGateway(
                f"nat-{zone}",
                subnet_id=self.public[index].id,
                allocation_id=aws.ec2.Eip(f"nat-{zone}", domain="vpc", opts=_first_keeps(index, "nat", child)).id,
                tags={"Name": f"{args.cluster_name}-{zone}"},
                opts=_first_keeps(index, "nat", child),
            )
            for index, zone in enumerate(args.zones[:count])
        ]

    def _private_routes(self, args: NetworkArgs, count: int) -> list[aws.ec2.RouteTable]:
        """Per zone a private route table whose default route is its zone's NAT gateway (:func:`nat_zone_of`)."""
        child = pulumi.ResourceOptions(parent=self)
        private_routes = []
        for index, (subnet, zone) in enumerate(zip(self.private, args.zones, strict=True)):
            routes = aws.ec2.RouteTable(
                f"private-{zone}",
                vpc_id=self.vpc.id,
                routes=[
                    aws.ec2.RouteTableRouteArgs(
                        cidr_block="0.0.0.0/0", nat_gateway_id=self.nat_gateways[nat_zone_of(index, count)].id
                    )
                ],
                opts=_first_keeps(index, "private", child),
            )
            aws.ec2.RouteTableAssociation(f"private-{zone}", subnet_id=subnet.id, route_table_id=routes.id, opts=child)
            private_routes.append(routes)
        return private_routes

    def _endpoints(self, args: NetworkArgs, private_routes: list[aws.ec2.RouteTable]) -> None:
        """The gateway endpoints on every private route table, and the interface endpoints in the private subnets
        behind a security group that admits HTTPS from the VPC only."""
        child = pulumi.ResourceOptions(parent=self)
        for service in GATEWAY_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                service,
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[routes.id for routes in private_routes],
                opts=child,
            )
        endpoints_group = aws.ec2.SecurityGroup(
            "endpoints",
            vpc_id=self.vpc.id,
            description="HTTPS from the VPC to the AWS service interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_blocks=[VPC_CIDR], description="HTTPS"
                )
            ],
            egress=[],
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                service,
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in self.private],
                security_group_ids=[endpoints_group.id],
                opts=child,
            )
