"""ElastiCache Redis (``redis.managed``): encryption at rest and in transit, a generated AUTH token,
``maxmemory-policy allkeys-lru``, reachable only from inside the VPC."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.platforms.aws.network import VPC_CIDR

REDIS_PORT = 6379


@dataclass(frozen=True)
class ManagedRedisArgs:
    cluster_name: str
    instance_type: str
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]


class ManagedRedis(pulumi.ComponentResource):
    url: pulumi.Output[str]
    """Secret: ``rediss://:<token>@<primary endpoint>:6379/0``."""

    def __init__(self, name: str, args: ManagedRedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:ManagedRedis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        token = random.RandomPassword(f"{name}-auth-token", length=48, special=False, opts=child)
        security_group = aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=REDIS_PORT, to_port=REDIS_PORT, cidr_blocks=[VPC_CIDR]
                )
            ],
            opts=child,
        )
        subnets = aws.elasticache.SubnetGroup(name, subnet_ids=args.subnet_ids, opts=child)
        parameters = aws.elasticache.ParameterGroup(
            name,
            family="redis7",
            parameters=[aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value="allkeys-lru")],
            opts=child,
        )
        cache = aws.elasticache.ReplicationGroup(
            name,
            description=f"{args.cluster_name} fitness cache",
            engine="redis",
            engine_version="7.1",
            node_type=args.instance_type,
            num_cache_clusters=1,
            port=REDIS_PORT,
            parameter_group_name=parameters.name,
            subnet_group_name=subnets.name,
            security_group_ids=[security_group.id],
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=pulumi.Output.secret(token.result),
            snapshot_retention_limit=1,
            opts=child,
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.concat("rediss://:", token.result, "@", cache.primary_endpoint_address, f":{REDIS_PORT}/0")
        )
        self.register_outputs({"url": self.url})
