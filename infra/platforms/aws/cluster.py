"""The EKS cluster and what makes it usable: control-plane logs, API access, node roles, the system node group, the
add-ons and the storage classes.

- Control-plane logs (api, audit, authenticator) go to ``/aws/eks/<cluster>/cluster``, created first with the
  retention of ``aws.logRetentionDays`` (EKS would otherwise create it without retention).
- Authentication mode ``API``: access entries only (no ``aws-auth`` ConfigMap). The deployer role
  (``aws.deployerRoleArn``) and every ``aws.adminPrincipalArns`` principal get ``AmazonEKSClusterAdminPolicy`` on
  the whole cluster; whoever creates the cluster gets nothing implicitly, so ``pulumi up`` must run as one of them.
- API endpoint: private access on; public access only from ``aws.publicAccessCidrs`` (off when empty).
- Kubernetes Secrets envelope-encrypted with a KMS key (rotation on).
- Two node roles with only :data:`~infra.platforms.aws.iam.NODE_POLICIES`: the system group's and the one Karpenter
  launches nodes with (an ``EC2_LINUX`` access entry lets those nodes join).
- The ``system`` managed node group (on-demand) from a launch template: gp3 encrypted root volume of
  ``aws.rootVolumeGiB``, IMDSv2 only with hop limit 1 (pods cannot reach the node's credentials).
- Version policy ``STANDARD`` (:func:`support_type`): at the end of standard support EKS upgrades the cluster instead
  of billing extended support; a minor already in extended support keeps ``EXTENDED`` (EKS refuses ``STANDARD``
  there) and the cost estimate prices it (``cost.py``).
- Managed add-ons, each at the newest version EKS publishes for the cluster's minor
  (``get_addon_version(most_recent=True)``, resolved on every run): kube-proxy, the VPC CNI with network-policy
  enforcement (so the NetworkPolicies of Redis and TimescaleDB apply) and prefix delegation (a /28 per ENI slot, so
  every node can address the 110 pods its kubelet admits), its permissions through Pod Identity (``cni.py``), the Pod
  Identity agent, CoreDNS, and the EBS CSI driver with its own role through a pod identity association.
- Upgrade order, expressed as dependencies (docs/operations.md#versions-and-upgrades): the control plane, then the
  node-level add-ons (kube-proxy, VPC CNI, Pod Identity agent), then the ``system`` node group at the cluster's minor
  and the recommended AL2023 AMI release (SSM ``/aws/service/eks/optimized-ami/<minor>/amazon-linux-2023/x86_64/
  standard/recommended/release_version``), then the add-ons that run as pods on those nodes (CoreDNS, EBS CSI), then
  Karpenter, whose nodes drift to the new minor's AMI.
- Storage classes (``WaitForFirstConsumer``: a volume is created in the zone its pod was scheduled to): the general
  encrypted gp3 class ``cluster.storageClass`` (``Delete``: a released claim's volume is deleted) and
  ``<storageClass>-backup`` for TimescaleDB, whose volumes carry the backup tag and are kept (``Retain``) when their
  claim or the stack is deleted — delete such a volume by hand once it is no longer needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.config import AwsConfig, NodePool
from infra.platforms.aws import iam
from infra.platforms.aws.cni import VpcCniIdentity, VpcCniIdentityArgs
from infra.platforms.aws.network import DISCOVERY_TAG
from infra.platforms.aws.pools import NODE_GROUP_LABEL, POOL_LABEL
from infra.platforms.kubeconfig import exec_kubeconfig

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
BACKUP_TAG_KEY = "genepool.io/backup"
"""Tag the backup storage class puts on its volumes (value: the cluster name); the backup selection selects it."""
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
ROOT_DEVICE = "/dev/xvda"
"""Root device of the AL2023 EKS AMIs."""
IMDS_HOP_LIMIT = 1
"""IMDSv2 answers the node only: a pod's request crosses one more hop and is dropped."""
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true", "env": {"ENABLE_PREFIX_DELEGATION": "true"}}
"""The vpc-cni add-on's configuration values: NetworkPolicy enforcement, and prefix delegation so the pods a node
can address (``instances.InstanceType.pod_ips``) are at least the kubelet's ``maxPods``."""
AMI_TYPE = "AL2023_x86_64_STANDARD"
NODE_ADDONS = ("kube-proxy", "vpc-cni", "eks-pod-identity-agent")
"""Add-ons that run on every node (DaemonSets): updated before the node group."""
POD_ADDONS = ("coredns", "aws-ebs-csi-driver")
"""Add-ons that run as Deployments: they need nodes, so they follow the node group."""


def ami_release_parameter(minor: str) -> str:
    """The SSM parameter holding the recommended EKS-optimized AL2023 AMI release for Kubernetes ``minor``."""
    return f"/aws/service/eks/optimized-ami/{minor}/amazon-linux-2023/x86_64/standard/recommended/release_version"


def support_type(state: str) -> str:
    """The cluster's ``upgradePolicy.supportType`` for a minor in support ``state`` (``versions.support_state``)."""
    return "EXTENDED" if state == "extended" else "STANDARD"


def addon_version(addon: str, minor: str, opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """The newest version of ``addon`` EKS publishes for Kubernetes ``minor``."""
    return aws.eks.get_addon_version_output(
        addon_name=addon, kubernetes_version=minor, most_recent=True, opts=opts
    ).version


def backup_tag_specification(cluster_name: str) -> str:
    """The EBS CSI ``tagSpecification_1`` parameter value: ``key=value`` put on every volume of the class."""
    return f"{BACKUP_TAG_KEY}={cluster_name}"


def kubeconfig_for(cluster: aws.eks.Cluster, region: str) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with ``aws eks get-token`` (the caller's AWS credentials)."""

    def render(args: list) -> str:
        name, endpoint, ca = args
        return exec_kubeconfig(
            name, endpoint, ca, "aws", ["eks", "get-token", "--cluster-name", name, "--region", region]
        )

    return pulumi.Output.secret(
        pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(render)
    )


@dataclass(frozen=True)
class EksClusterArgs:
    cluster_name: str
    region: str
    kubernetes_version: str
    support_state: str
    """``standard`` or ``extended`` (``versions.support_state`` of the minor today)."""
    access: AwsConfig
    system_pool: NodePool
    storage_class: str
    private_subnet_ids: list[pulumi.Input[str]]
    public_subnet_ids: list[pulumi.Input[str]]


class EksCluster(pulumi.ComponentResource):
    cluster: aws.eks.Cluster
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]
    karpenter_node_role: aws.iam.Role
    ready: list[pulumi.Resource]
    """The system node group, the add-ons and the storage classes."""
    addons: dict[str, aws.eks.Addon]
    """The managed add-ons by EKS add-on name."""
    backup_storage_class: str

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:aws:EksCluster", name, None, opts)
        self.cluster = self._control_plane(args)
        admins = self._admin_access(args.access)
        aws.ec2.Tag(
            "cluster-security-group-discovery",
            resource_id=self.cluster.vpc_config.cluster_security_group_id,
            key=DISCOVERY_TAG,
            value=args.cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        minor = args.kubernetes_version
        kube_proxy = self._addon("kube-proxy", "kube-proxy", minor, [])
        cni_identity = VpcCniIdentity(
            "vpc-cni", VpcCniIdentityArgs(self.cluster.name), pulumi.ResourceOptions(parent=self)
        )
        vpc_cni = self._addon("vpc-cni", "vpc-cni", minor, [], configuration_values=json.dumps(VPC_CNI_CONFIGURATION))
        pod_identity_agent = self._addon("pod-identity-agent", "eks-pod-identity-agent", minor, [])
        system_role = self._node_roles(args.cluster_name)
        node_addons = [kube_proxy, vpc_cni, pod_identity_agent, cni_identity.association]
        self.system_nodes = self._system_nodes(args, system_role, node_addons)
        ebs_csi_role = iam.role(
            "ebs-csi-role", iam.POD_IDENTITY_SERVICE, (iam.EBS_CSI_POLICY,), pulumi.ResourceOptions(parent=self)
        )
        coredns = self._addon("coredns", "coredns", minor, [self.system_nodes])
        ebs_csi = self._addon(
            "ebs-csi",
            "aws-ebs-csi-driver",
            minor,
            [self.system_nodes, pod_identity_agent],
            pod_identity_associations=[
                aws.eks.AddonPodIdentityAssociationArgs(
                    role_arn=ebs_csi_role.arn, service_account=EBS_CSI_SERVICE_ACCOUNT
                )
            ],
        )
        self.kubeconfig = kubeconfig_for(self.cluster, args.region)
        self.provider = k8s.Provider(
            "aws",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=admins),
        )
        storage_classes = self._storage_classes(args)
        self.addons = {"kube-proxy": kube_proxy, "vpc-cni": vpc_cni, "eks-pod-identity-agent": pod_identity_agent}
        self.addons.update({"coredns": coredns, "aws-ebs-csi-driver": ebs_csi})
        self.ready = [self.system_nodes, *self.addons.values(), cni_identity.association, *storage_classes]
        self.register_outputs({"cluster_name": self.cluster.name})

    def _control_plane(self, args: EksClusterArgs) -> aws.eks.Cluster:
        """The control-plane log group (with retention, before EKS would create it), the KMS key of Secrets and the
        cluster: API authentication only, private endpoint plus the listed CIDRs, the support type of its minor."""
        child = pulumi.ResourceOptions(parent=self)
        access = args.access
        logs = aws.cloudwatch.LogGroup(
            "control-plane-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=access.log_retention_days,
            opts=child,
        )
        key = aws.kms.Key(
            "secrets", description=f"{args.cluster_name} EKS secrets encryption", enable_key_rotation=True, opts=child
        )
        return aws.eks.Cluster(
            "cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=iam.role("cluster-role", "eks.amazonaws.com", iam.CLUSTER_POLICIES, child).arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=[*args.private_subnet_ids, *args.public_subnet_ids],
                endpoint_private_access=True,
                endpoint_public_access=bool(access.public_access_cidrs),
                public_access_cidrs=list(access.public_access_cidrs) or None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn), resources=["secrets"]
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
            ),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=support_type(args.support_state)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )

    def _admin_access(self, access: AwsConfig) -> list[aws.eks.AccessPolicyAssociation]:
        """An access entry with the cluster-admin policy for the deployer role and each admin principal."""
        child = pulumi.ResourceOptions(parent=self)
        admins = []
        for index, principal in enumerate((access.deployer_role_arn, *access.admin_principal_arns)):
            entry_name = "deployer" if index == 0 else f"admin-{index}"
            entry = aws.eks.AccessEntry(
                f"access-{entry_name}", cluster_name=self.cluster.name, principal_arn=principal, opts=child
            )
            admins.append(
                aws.eks.AccessPolicyAssociation(
                    f"access-{entry_name}-admin",
                    cluster_name=self.cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=CLUSTER_ADMIN_POLICY,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=child,
                )
            )
        return admins

    def _addon(self, name: str, addon: str, minor: str, after: list[pulumi.Resource], **extra: object) -> aws.eks.Addon:
        """The managed add-on ``addon`` at the newest version EKS publishes for ``minor``, after the cluster and
        ``after``."""
        return aws.eks.Addon(
            name,
            cluster_name=self.cluster.name,
            addon_name=addon,
            addon_version=addon_version(addon, minor, pulumi.InvokeOutputOptions(parent=self)),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            **extra,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, *after]),
        )

    def _node_roles(self, cluster_name: str) -> aws.iam.Role:
        """The system group's node role (returned) and Karpenter's (:attr:`karpenter_node_role`, with the
        ``EC2_LINUX`` access entry that lets its nodes join)."""
        child = pulumi.ResourceOptions(parent=self)
        system_role = iam.role(
            "node-role", "ec2.amazonaws.com", iam.NODE_POLICIES, child, role_name=f"{cluster_name}-system-node"
        )
        self.karpenter_node_role = iam.role(
            "karpenter-node-role",
            "ec2.amazonaws.com",
            iam.NODE_POLICIES,
            child,
            role_name=f"{cluster_name}-karpenter-node",
        )
        aws.eks.AccessEntry(
            "access-karpenter-nodes",
            cluster_name=self.cluster.name,
            principal_arn=self.karpenter_node_role.arn,
            type="EC2_LINUX",
            opts=child,
        )
        return system_role

    def _system_nodes(
        self, args: EksClusterArgs, role: aws.iam.Role, node_addons: list[pulumi.Resource]
    ) -> aws.eks.NodeGroup:
        """The ``system`` managed node group (on-demand, the recommended AMI release of the cluster's minor) from a
        launch template (encrypted gp3 root volume, IMDSv2 with hop limit 1), after the node-level add-ons."""
        template = aws.ec2.LaunchTemplate(
            "system-nodes",
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.access.root_volume_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=IMDS_HOP_LIMIT
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        system = args.system_pool
        release = aws.ssm.get_parameter_output(
            name=ami_release_parameter(args.kubernetes_version), opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return aws.eks.NodeGroup(
            "system",
            cluster_name=self.cluster.name,
            node_role_arn=role.arn,
            subnet_ids=args.private_subnet_ids,
            capacity_type="ON_DEMAND",
            ami_type=AMI_TYPE,
            version=self.cluster.version,
            release_version=release.value,
            instance_types=[system.instance_type],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=system.min_nodes, max_size=system.max_nodes, desired_size=system.min_nodes
            ),
            labels={POOL_LABEL: "system", NODE_GROUP_LABEL: "system", "genepool.io/capacity": "on_demand"},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=node_addons, ignore_changes=["scalingConfig.desiredSize"]
            ),
        )

    def _storage_classes(self, args: EksClusterArgs) -> list[k8s.storage.v1.StorageClass]:
        """The general encrypted gp3 class ``cluster.storageClass`` (Delete) and the backup class
        (:attr:`backup_storage_class`: Retain, volumes tagged for the backup plan), after the system nodes."""
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[self.system_nodes])
        general = k8s.storage.v1.StorageClass(
            "gp3-encrypted",
            metadata={"name": args.storage_class},
            provisioner="ebs.csi.aws.com",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            parameters={"type": "gp3", "encrypted": "true"},
            opts=on_cluster,
        )
        self.backup_storage_class = f"{args.storage_class}-backup"
        backed_up = k8s.storage.v1.StorageClass(
            "gp3-encrypted-backup",
            metadata={"name": self.backup_storage_class},
            provisioner="ebs.csi.aws.com",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Retain",
            parameters={
                "type": "gp3",
                "encrypted": "true",
                "tagSpecification_1": backup_tag_specification(args.cluster_name),
            },
            opts=on_cluster,
        )
        return [general, backed_up]
