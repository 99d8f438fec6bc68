"""Platform ``aws``: EKS in its own VPC, Karpenter for worker capacity, least-privilege IAM, backups, ElastiCache.

One module per concern, each a ComponentResource with an Args dataclass:

- ``network.py``: the VPC over three zones (private subnets tagged for Karpenter discovery, a NAT gateway per zone
  by default, a gateway endpoint for S3 and interface endpoints for ECR, STS, EKS auth, SQS and EC2);
- ``cluster.py``: EKS (API authentication with access entries, restricted endpoint, KMS-encrypted Secrets,
  control-plane logs with retention, standard-support version policy), the node roles, the on-demand ``system`` node
  group at the cluster's minor and recommended AMI, the managed add-ons at their newest versions for that minor
  (kube-proxy, VPC CNI with network policies and prefix delegation, its role through ``cni.py``, Pod Identity agent,
  CoreDNS, EBS CSI with its own role) and the storage classes;
- ``karpenter.py``: Karpenter (its CRDs a release of their own), its interruption queue, the EC2 Spot service-linked
  role, the EC2NodeClass and the NodePools (``pools.py`` says which pods go where, ``instances.py`` which instance
  types each pool admits and what fits on them);
- ``backup.py``: AWS Backup of the TimescaleDB volumes (the vault kept on destroy unless
  ``aws.backupVaultForceDestroy``);
- ``cache.py``: ElastiCache Redis (``redis.managed``);
- ``iam.py``: roles and the Karpenter controller's policy; ``cost.py``: the hourly cost estimate;
- ``registry.py``: the ECR repository of the workload image (the node roles may read it);
- ``ingress.py``: the AWS Load Balancer Controller, the ACM certificate and the Route53 records of the HTTPS
  ingress (one ALB);
- ``ci.py``: the in-VPC GitHub Actions runners (CodeBuild) that reach the private EKS API, and the preview role's
  read-only access entry.

Preview fails (StackConfigError naming the key) when a Ray pod or an API pod fits fewer of its pool's instance types
than the pool's ``minValues`` (with margin), when the worker pool admits fewer than 15 instance types, or when the
estimate exceeds the cost ceiling. What "cluster ready" means is :attr:`Platform.ready`: the system node group, the
add-ons, the storage classes, the Karpenter CRD and controller releases, its EC2NodeClass and NodePools.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import images, labels
from infra.config import AwsConfig, StackConfig, required
from infra.platforms import ImageRegistry, Platform
from infra.platforms.aws import pools
from infra.platforms.aws.backup import Backups, BackupsArgs
from infra.platforms.aws.cache import ManagedRedis, ManagedRedisArgs
from infra.platforms.aws.ci import CiAccess, CiAccessArgs
from infra.platforms.aws.cluster import BACKUP_TAG_KEY, EksCluster, EksClusterArgs
from infra.platforms.aws.cost import eks_support_state, hourly_cost
from infra.platforms.aws.ingress import AlbIngress, AlbIngressArgs
from infra.platforms.aws.karpenter import NAMESPACE as KARPENTER_NAMESPACE
from infra.platforms.aws.karpenter import Karpenter, KarpenterArgs
from infra.platforms.aws.network import Network, NetworkArgs
from infra.platforms.aws.registry import EcrRepository, EcrRepositoryArgs
from infra.platforms.aws.wal_archive import wal_archive

__all__ = ["build", "hourly_cost"]


def build(config: StackConfig) -> Platform:
    pools.check_sizing(config)
    base = aws_base(config)
    eks = eks_cluster(base)
    karpenter = karpenter_for(base, eks)
    backups(base)
    registry = ecr_registry(base)
    ci_access(base, eks)
    ingress = alb_ingress(base, eks)
    return Platform(
        provider=eks.provider,
        kubeconfig=eks.kubeconfig,
        storage_class=config.cluster.storage_class,
        backup_storage_class=eks.backup_storage_class,
        system=pools.SYSTEM,
        head=pools.HEAD,
        stateful=pools.STATEFUL,
        workers=pools.WORKERS,
        ready=[*eks.ready, *karpenter.ready],
        hourly_cost_usd=hourly_cost(config),
        redis_url=managed_redis(base),
        registry=ImageRegistry(repository=registry.repository_url),
        karpenter_namespace=KARPENTER_NAMESPACE,
        edge=ingress.edge,
        wal_archive=wal_archive(
            config, eks.cluster.name, base.region, base.access.backup_vault_force_destroy, base.on_aws
        ),
    )


@dataclass(frozen=True)
class AwsBase:
    """What every part of the AWS platform is built on: the stack's config and its ``genepool:aws`` settings, the
    region, the cluster's name, the AWS provider (cost tags on everything) and the network."""

    config: StackConfig
    access: AwsConfig
    region: str
    cluster_name: str
    provider: aws.Provider
    zones: list[str]
    network: Network

    @property
    def on_aws(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers=[self.provider])

    @property
    def private_subnet_ids(self) -> list[pulumi.Input[str]]:
        return [subnet.id for subnet in self.network.private]


def aws_base(config: StackConfig) -> AwsBase:
    """The AWS provider of the stack's region and the VPC over its first :data:`pools.ZONES` available zones."""
    region = required(config.cluster.region, "cluster.region")
    access = required(config.aws, "aws")
    stack = pulumi.get_stack()
    cluster_name = f"genepool-{stack}"
    provider = aws.Provider(
        "aws", region=region, default_tags=aws.ProviderDefaultTagsArgs(tags=labels.cost_tags(stack))
    )
    zones = aws.get_availability_zones(state="available", opts=pulumi.InvokeOptions(provider=provider))
    zone_names = zones.names[: pools.ZONES]
    network = Network(
        "network",
        NetworkArgs(zone_names, cluster_name, region, access.nat_gateways),
        pulumi.ResourceOptions(providers=[provider]),
    )
    return AwsBase(config, access, region, cluster_name, provider, zone_names, network)


def eks_cluster(base: AwsBase) -> EksCluster:
    config = base.config
    return EksCluster(
        "eks",
        EksClusterArgs(
            cluster_name=base.cluster_name,
            region=base.region,
            kubernetes_version=config.cluster.kubernetes_version,
            support_state=eks_support_state(config),
            access=base.access,
            system_pool=required(config.cluster.system_pool, "cluster.systemPool"),
            storage_class=config.cluster.storage_class,
            private_subnet_ids=base.private_subnet_ids,
            public_subnet_ids=[subnet.id for subnet in base.network.public],
        ),
        base.on_aws,
    )


def karpenter_for(base: AwsBase, eks: EksCluster) -> Karpenter:
    return Karpenter(
        "karpenter",
        KarpenterArgs(
            cluster=eks.cluster,
            cluster_name=base.cluster_name,
            region=base.region,
            zones=base.zones,
            node_role=eks.karpenter_node_role,
            pools=pools.karpenter_pools(base.config),
            root_volume_gib=base.access.root_volume_gib,
            controller_scheduling=pools.KARPENTER_CONTROLLER,
            depends_on=eks.ready,
            spot_service_linked_role=base.access.spot_service_linked_role,
        ),
        pulumi.ResourceOptions(providers=[base.provider, eks.provider]),
    )


def backups(base: AwsBase) -> Backups:
    access = base.access
    return Backups(
        "backups",
        BackupsArgs(
            base.cluster_name,
            BACKUP_TAG_KEY,
            base.cluster_name,
            access.backup_retention_days,
            access.backup_vault_force_destroy,
            access.backup_alert_emails,
        ),
        base.on_aws,
    )


def ecr_registry(base: AwsBase) -> EcrRepository:
    return EcrRepository(
        "registry",
        EcrRepositoryArgs(
            images.ecr_repository_name(pulumi.get_stack()),
            base.region,
            required(required(base.config.registry, "registry").keep_images, "registry.keepImages"),
        ),
        base.on_aws,
    )


def ci_access(base: AwsBase, eks: EksCluster) -> CiAccess:
    return CiAccess(
        "ci",
        CiAccessArgs(
            ci=required(base.config.ci, "ci"),
            cluster_name=eks.cluster.name,
            cluster_security_group_id=eks.cluster.vpc_config.cluster_security_group_id,
            vpc_id=base.network.vpc.id,
            private_subnet_ids=base.private_subnet_ids,
            region=base.region,
            log_retention_days=base.access.log_retention_days,
        ),
        base.on_aws,
    )


def alb_ingress(base: AwsBase, eks: EksCluster) -> AlbIngress:
    return AlbIngress(
        "ingress",
        AlbIngressArgs(
            ingress=base.config.ingress,
            cluster_name=base.cluster_name,
            cluster=eks.cluster,
            region=base.region,
            vpc_id=base.network.vpc.id,
            scheduling=pools.SYSTEM,
            depends_on=eks.ready,
            kubernetes=eks.provider,
        ),
        base.on_aws,
    )


def managed_redis(base: AwsBase) -> pulumi.Output[str] | None:
    """ElastiCache's URL with ``redis.managed``; None: Redis runs in the cluster."""
    if not base.config.redis.managed:
        return None
    return ManagedRedis(
        "cache",
        ManagedRedisArgs(
            cluster_name=base.cluster_name,
            instance_type=required(base.config.redis.instance_type, "redis.instanceType"),
            vpc_id=base.network.vpc.id,
            subnet_ids=base.private_subnet_ids,
        ),
        base.on_aws,
    ).url
