"""Platform ``aws``: an EKS cluster in its own VPC, spot workers with an on-demand fallback, and ElastiCache.

- Network: a /16 VPC over three availability zones, public subnets (load balancers, one NAT gateway) and private
  subnets (nodes, ElastiCache).
- EKS (``cluster.kubernetesVersion``) with Kubernetes Secrets envelope-encrypted by a KMS key, API authentication.
- Managed node groups, labelled ``genepool.io/pool``: ``system`` (on-demand: operators, TimescaleDB, the API, the
  Ray head), ``workers-spot`` (spot, tainted ``genepool.io/spot=true:NoSchedule``, which only Ray workers tolerate)
  and ``workers-on-demand`` (the fallback when spot capacity is short, empty until needed). The Cluster Autoscaler
  (Helm, pinned) scales the groups, preferring spot (priority expander).
- Storage: the EBS CSI add-on and an encrypted gp3 StorageClass named by ``cluster.storageClass`` — RDS has no
  timescaledb extension, so TimescaleDB runs in-cluster on these encrypted volumes.
- Redis (``redis.managed``): ElastiCache with encryption at rest and in transit, a generated AUTH token,
  ``maxmemory-policy allkeys-lru``, reachable only from inside the VPC.
Node IAM permissions for the CSI driver and the autoscaler are attached to the node role (simple and scoped to
this cluster's nodes; IRSA/Pod Identity would narrow them to the two service accounts).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from infra import versions
from infra.config import StackConfig, required
from infra.platforms import Platform, Scheduling
from infra.platforms.prices import AWS, AWS_EKS_CONTROL_PLANE, AWS_NAT_GATEWAY, price

POOL_LABEL = "genepool.io/pool"
SPOT_TAINT_KEY = "genepool.io/spot"
VPC_CIDR = "10.0.0.0/16"
ZONES = 3
REDIS_PORT = 6379
MANAGED_POLICIES = {
    "cluster": ["AmazonEKSClusterPolicy"],
    "node": [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "service-role/AmazonEBSCSIDriverPolicy",
    ],
}
AUTOSCALER_ACTIONS = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
]


def hourly_cost(config: StackConfig) -> float:
    """Upper bound: system and worker pools at maxNodes (spot at on-demand price), control plane, NAT, ElastiCache.
    Ray's maxWorkers bounds the worker pods, so spot and fallback together never exceed workerPool.maxNodes."""
    system = required(config.cluster.system_pool, "cluster.systemPool")
    workers = required(config.cluster.worker_pool, "cluster.workerPool")
    cost = AWS_EKS_CONTROL_PLANE + AWS_NAT_GATEWAY
    cost += price(AWS, "cluster.systemPool.instanceType", system.instance_type) * system.max_nodes
    cost += price(AWS, "cluster.workerPool.instanceType", workers.instance_type) * workers.max_nodes
    if config.redis.managed:
        cost += price(AWS, "redis.instanceType", required(config.redis.instance_type, "redis.instanceType"))
    return round(cost, 4)


def assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def role(name: str, service: str, policies: list[str], opts: pulumi.ResourceOptions) -> aws.iam.Role:
    created = aws.iam.Role(name, assume_role_policy=assume_role_policy(service), opts=opts)
    for policy in policies:
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.split('/')[-1]}",
            role=created.name,
            policy_arn=f"arn:aws:iam::aws:policy/{policy}",
            opts=opts,
        )
    return created


def kubeconfig_for(cluster: aws.eks.Cluster, region: str) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with ``aws eks get-token`` (the caller's AWS credentials)."""

    def render(args: list) -> str:
        name, endpoint, ca = args
        return yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": name,
                "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "users": [
                    {
                        "name": name,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "aws",
                                "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
                            }
                        },
                    }
                ],
            }
        )

    return pulumi.Output.secret(
        pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(render)
    )


def network(opts: pulumi.ResourceOptions) -> tuple[aws.ec2.Vpc, list, list]:
    zones = aws.get_availability_zones(state="available", opts=pulumi.InvokeOptions(provider=opts.provider))
    vpc = aws.ec2.Vpc(
        "vpc",
        cidr_block=VPC_CIDR,
        enable_dns_hostnames=True,
        enable_dns_support=True,
        tags={"Name": f"genepool-{pulumi.get_stack()}"},
        opts=opts,
    )
    gateway = aws.ec2.InternetGateway("igw", vpc_id=vpc.id, opts=opts)
    public_routes = aws.ec2.RouteTable(
        "public",
        vpc_id=vpc.id,
        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
        opts=opts,
    )
    public, private = [], []
    for index, zone in enumerate(zones.names[:ZONES]):
        subnet = aws.ec2.Subnet(
            f"public-{zone}",
            vpc_id=vpc.id,
            availability_zone=zone,
            cidr_block=f"10.0.{index * 16}.0/20",
            map_public_ip_on_launch=True,
            tags={"kubernetes.io/role/elb": "1"},
            opts=opts,
        )
        aws.ec2.RouteTableAssociation(f"public-{zone}", subnet_id=subnet.id, route_table_id=public_routes.id, opts=opts)
        public.append(subnet)
        private.append(
            aws.ec2.Subnet(
                f"private-{zone}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=f"10.0.{128 + index * 16}.0/20",
                tags={"kubernetes.io/role/internal-elb": "1"},
                opts=opts,
            )
        )
    nat = aws.ec2.NatGateway(
        "nat", subnet_id=public[0].id, allocation_id=aws.ec2.Eip("nat", domain="vpc", opts=opts).id, opts=opts
    )
    private_routes = aws.ec2.RouteTable(
        "private",
        vpc_id=vpc.id,
        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
        opts=opts,
    )
    for subnet, zone in zip(private, zones.names[:ZONES], strict=True):
        aws.ec2.RouteTableAssociation(
            f"private-{zone}", subnet_id=subnet.id, route_table_id=private_routes.id, opts=opts
        )
    return vpc, public, private


def build(config: StackConfig) -> Platform:
    cluster_config = config.cluster
    region = required(cluster_config.region, "cluster.region")
    stack = pulumi.get_stack()
    aws_provider = aws.Provider(
        "aws", region=region, default_tags=aws.ProviderDefaultTagsArgs(tags={"project": "genepool", "stack": stack})
    )
    opts = pulumi.ResourceOptions(provider=aws_provider)
    vpc, public, private = network(opts)

    key = aws.kms.Key(
        "secrets", description=f"genepool-{stack} EKS secrets encryption", enable_key_rotation=True, opts=opts
    )
    cluster = aws.eks.Cluster(
        "cluster",
        name=f"genepool-{stack}",
        version=cluster_config.kubernetes_version,
        role_arn=role("cluster-role", "eks.amazonaws.com", MANAGED_POLICIES["cluster"], opts).arn,
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=[s.id for s in private + public], endpoint_private_access=True, endpoint_public_access=True
        ),
        encryption_config=aws.eks.ClusterEncryptionConfigArgs(
            provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn), resources=["secrets"]
        ),
        access_config=aws.eks.ClusterAccessConfigArgs(
            authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
        ),
        enabled_cluster_log_types=["api", "audit", "authenticator"],
        opts=opts,
    )
    node_role = role("node-role", "ec2.amazonaws.com", MANAGED_POLICIES["node"], opts)
    aws.iam.RolePolicy(
        "node-autoscaler",
        role=node_role.id,
        policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": AUTOSCALER_ACTIONS, "Resource": "*"}]}
        ),
        opts=opts,
    )
    subnet_ids = [s.id for s in private]
    system = required(cluster_config.system_pool, "cluster.systemPool")
    workers = required(cluster_config.worker_pool, "cluster.workerPool")
    groups = {
        "system": (system, "ON_DEMAND", system.min_nodes, system.max_nodes, []),
        "workers-spot": (
            workers,
            "SPOT",
            workers.min_nodes,
            workers.max_nodes,
            [aws.eks.NodeGroupTaintArgs(key=SPOT_TAINT_KEY, value="true", effect="NO_SCHEDULE")],
        ),
        "workers-on-demand": (workers, "ON_DEMAND", 0, workers.max_nodes, []),
    }
    node_groups = []
    for name, (pool, capacity, low, high, taints) in groups.items():
        if capacity == "SPOT" and not pool.spot:
            continue
        node_groups.append(
            aws.eks.NodeGroup(
                name,
                cluster_name=cluster.name,
                node_role_arn=node_role.arn,
                subnet_ids=subnet_ids,
                capacity_type=capacity,
                instance_types=[pool.instance_type],
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=low, max_size=max(high, 1), desired_size=low
                ),
                labels={POOL_LABEL: name.split("-")[0], "genepool.io/capacity": capacity.lower()},
                taints=taints,
                opts=pulumi.ResourceOptions(provider=aws_provider, ignore_changes=["scalingConfig.desiredSize"]),
            )
        )
    aws.eks.Addon(
        "ebs-csi",
        cluster_name=cluster.name,
        addon_name="aws-ebs-csi-driver",
        opts=pulumi.ResourceOptions(provider=aws_provider, depends_on=node_groups),
    )

    kubeconfig = kubeconfig_for(cluster, region)
    provider = k8s.Provider("aws", kubeconfig=kubeconfig, enable_server_side_apply=True)
    on_cluster = pulumi.ResourceOptions(provider=provider, depends_on=node_groups)
    k8s.storage.v1.StorageClass(
        "gp3-encrypted",
        metadata={"name": cluster_config.storage_class},
        provisioner="ebs.csi.aws.com",
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        reclaim_policy="Retain",
        parameters={"type": "gp3", "encrypted": "true"},
        opts=on_cluster,
    )
    system_scheduling = Scheduling(node_selector={POOL_LABEL: "system"})
    k8s.helm.v3.Release(
        "cluster-autoscaler",
        k8s.helm.v3.ReleaseArgs(
            name="cluster-autoscaler",
            chart=versions.CLUSTER_AUTOSCALER_CHART,
            version=versions.CLUSTER_AUTOSCALER_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.CLUSTER_AUTOSCALER_REPO),
            namespace="kube-system",
            values={
                "cloudProvider": "aws",
                "awsRegion": region,
                "autoDiscovery": {"clusterName": cluster.name},
                "nodeSelector": system_scheduling.node_selector,
                "extraArgs": {
                    "expander": "priority",
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                },
                "expanderPriorities": {"50": [".*workers-spot.*"], "10": [".*"]},
                "resources": {
                    "requests": {"cpu": "100m", "memory": "300Mi"},
                    "limits": {"cpu": "500m", "memory": "600Mi"},
                },
            },
        ),
        opts=on_cluster,
    )

    redis_url: pulumi.Output[str] | None = None
    if config.redis.managed:
        token = random.RandomPassword("cache-auth-token", length=48, special=False)
        security_group = aws.ec2.SecurityGroup(
            "cache",
            vpc_id=vpc.id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=REDIS_PORT, to_port=REDIS_PORT, cidr_blocks=[VPC_CIDR]
                )
            ],
            opts=opts,
        )
        subnets = aws.elasticache.SubnetGroup("cache", subnet_ids=subnet_ids, opts=opts)
        parameters = aws.elasticache.ParameterGroup(
            "cache",
            family="redis7",
            parameters=[aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value="allkeys-lru")],
            opts=opts,
        )
        cache = aws.elasticache.ReplicationGroup(
            "cache",
            description=f"genepool-{stack} fitness cache",
            engine="redis",
            engine_version="7.1",
            node_type=config.redis.instance_type,
            num_cache_clusters=1,
            port=REDIS_PORT,
            parameter_group_name=parameters.name,
            subnet_group_name=subnets.name,
            security_group_ids=[security_group.id],
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=pulumi.Output.secret(token.result),
            snapshot_retention_limit=1,
            opts=opts,
        )
        redis_url = pulumi.Output.secret(
            pulumi.Output.concat("rediss://:", token.result, "@", cache.primary_endpoint_address, f":{REDIS_PORT}/0")
        )
    return Platform(
        provider=provider,
        kubeconfig=kubeconfig,
        storage_class=cluster_config.storage_class,
        system=system_scheduling,
        workers=Scheduling(
            node_selector={POOL_LABEL: "workers"},
            tolerations=[{"key": SPOT_TAINT_KEY, "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
        ),
        hourly_cost_usd=hourly_cost(config),
        redis_url=redis_url,
    )
