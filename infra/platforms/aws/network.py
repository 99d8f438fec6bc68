"""The VPC: a /16 over three availability zones, public subnets (load balancers, one NAT gateway) and private subnets
(nodes, ElastiCache), the private ones tagged for Karpenter's subnet discovery."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

VPC_CIDR = "10.0.0.0/16"
DISCOVERY_TAG = "karpenter.sh/discovery"
"""Tag (value: the cluster name) by which the EC2NodeClass selects subnets and security groups."""


@dataclass(frozen=True)
class NetworkArgs:
    zones: list[str]
    """Availability zones, one public and one private /20 each."""
    cluster_name: str


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public: list[aws.ec2.Subnet]
    private: list[aws.ec2.Subnet]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(
            "vpc",
            cidr_block=VPC_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": args.cluster_name},
            opts=child,
        )
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
        nat = aws.ec2.NatGateway(
            "nat",
            subnet_id=self.public[0].id,
            allocation_id=aws.ec2.Eip("nat", domain="vpc", opts=child).id,
            opts=child,
        )
        private_routes = aws.ec2.RouteTable(
            "private",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
            opts=child,
        )
        for subnet, zone in zip(self.private, args.zones, strict=True):
            aws.ec2.RouteTableAssociation(
                f"private-{zone}", subnet_id=subnet.id, route_table_id=private_routes.id, opts=child
            )
        self.register_outputs({"vpc_id": self.vpc.id})
