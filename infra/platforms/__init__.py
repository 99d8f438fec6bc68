"""What a platform (a cloud, or an existing local cluster) hands the cloud-agnostic cluster services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.config import StackConfig


@dataclass(frozen=True)
class Scheduling:
    """Where a class of pods goes: node selector and tolerations (empty on a local cluster), and the pod-template
    annotations the node autoscaler reads (Karpenter's ``karpenter.sh/do-not-disrupt``)."""

    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatabaseAdmin:
    """The managed PostgreSQL's admin connection (every value a secret Output) and the app's user, for the one-off
    grant step that runs as the admin before anything uses the database (``components/database_grant.py``)."""

    host: pulumi.Output[str]
    port: pulumi.Output[str]
    database: pulumi.Output[str]
    user: pulumi.Output[str]
    password: pulumi.Output[str]
    app_user: str
    app_database: str
    """The database the app uses (``DATABASE_URL``'s), which the grants are on."""


@dataclass(frozen=True)
class ImageRegistry:
    """The stack's own registry for the workload image: where the image lives, and how pods may pull from it."""

    repository: pulumi.Input[str]
    """``registry/repository`` of the workload image (a bare ``sha256:`` digest in ``genepool:image`` is in here)."""
    docker_config: pulumi.Output[str] | None = None
    """Secret: a read-only ``.dockerconfigjson`` the pods pull with; None when the nodes may pull by themselves
    (ECR through the node role)."""


@dataclass(frozen=True)
class TlsCertificate:
    """A certificate the ingress controller serves itself (dev's self-signed one): PEM texts."""

    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]
    """A secret Output (``pulumi.Output.secret``): it only ever reaches a Kubernetes Secret."""


@dataclass(frozen=True)
class Edge:
    """How the platform serves the stack's HTTPS names (docs/ingress.md): every route is a standard
    ``networking.k8s.io/v1`` Ingress of :attr:`ingress_class` carrying :attr:`annotations`; TLS is terminated either
    by the controller with :attr:`certificate` (one ``kubernetes.io/tls`` Secret per route) or, where that is None,
    by the cloud load balancer in front of it (ALB with an ACM certificate, DigitalOcean's with a Let's Encrypt
    one)."""

    ingress_class: str
    annotations: Mapping[str, pulumi.Input[str]]
    """On every Ingress (the ALB's listeners, certificate, source ranges; the entry point on Traefik)."""
    ready: list[pulumi.Resource]
    """The controller (its release) and what its load balancer needs: every Ingress waits for them and is deleted
    before them (so the controller can remove what it made)."""
    port: int = 443
    """The HTTPS port of the external URLs."""
    certificate: TlsCertificate | None = None
    health_check_annotation: str | None = None
    """The annotation the load balancer reads a route's health-check path from (the ALB's); None: not needed."""
    publish: Callable[[str, str, pulumi.Output[Any]], None] | None = None
    """``publish(route, host, status)``: the DNS records of a route once its Ingress has a load balancer (``status``
    is the Ingress's ``status``); None where the records are made with the load balancer (DigitalOcean) or none
    are needed (``*.localhost``)."""


@dataclass(frozen=True)
class WalArchiveTarget:
    """Where the in-cluster TimescaleDB's pgBackRest repository lives (docs/backups.md): an S3-compatible bucket and
    how the database pod authenticates to it."""

    bucket: pulumi.Input[str]
    region: str
    endpoint: str
    """The S3 API host (``s3.<region>.amazonaws.com``, ``<region>.digitaloceanspaces.com``)."""
    service_account: str | None = None
    """The Kubernetes service account the database pod runs as, bound to a cloud role (EKS Pod Identity); None where
    the pod authenticates with keys."""
    keys: tuple[pulumi.Output[str], pulumi.Output[str]] | None = None
    """Secret (access key id, secret access key) of a key scoped to the bucket, where there is no pod identity."""
    ready: list[pulumi.Resource] = field(default_factory=list)
    """What the pod needs before it can archive (the bucket, the role's policy and association)."""


@dataclass(frozen=True)
class Platform:
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]
    """Secret output: the kubeconfig that reaches the cluster."""
    storage_class: str
    backup_storage_class: str
    """Storage class of the volumes the platform backs up (TimescaleDB's); ``storage_class`` where none is backed up."""
    system: Scheduling
    """On-demand nodes: operators and the API."""
    head: Scheduling
    """On-demand nodes never disrupted on purpose: the Ray head."""
    stateful: Scheduling
    """On-demand nodes that follow their EBS volumes' zone: TimescaleDB, in-cluster Redis, monitoring."""
    workers: Scheduling
    """Spot nodes where the cloud has spot (else on-demand): Ray workers."""
    ready: list[pulumi.Resource]
    """What "cluster ready" means: the resources (node groups, add-ons, storage classes, node autoscaler and its
    pools) every in-cluster component depends on, so that nothing races the nodes on create and destroy removes the
    workloads before the nodes."""
    hourly_cost_usd: float
    """Estimated cost of the nodes and managed services at their maximum sizes (USD/hour)."""
    redis_url: pulumi.Output[str] | None = None
    """Secret output when the platform gives a managed Redis, else None (deploy it in-cluster)."""
    database_url: pulumi.Output[str] | None = None
    """Secret output when the platform gives a managed PostgreSQL with timescaledb, else None."""
    database_admin: DatabaseAdmin | None = None
    """Set when the managed database needs grants made as its admin before the app user can migrate it."""
    kubelet_insecure_tls: bool = False
    """The kubelets serve self-signed certificates (kind): metrics-server must not verify them."""
    registry: ImageRegistry | None = None
    """The stack's own image registry (clouds); None on a local cluster (``kind load`` the image)."""
    karpenter_namespace: str | None = None
    """Namespace of the Karpenter controller (AWS), whose metrics monitoring scrapes; None without Karpenter."""
    edge: Edge | None = None
    """The HTTPS ingress of :attr:`~infra.config.StackConfig.ingress` (every platform sets it)."""
    wal_archive: WalArchiveTarget | None = None
    """The object storage the in-cluster TimescaleDB archives its WAL to; None where it does not archive (a managed
    database, or ``local``)."""


def hourly_cost(config: StackConfig) -> float:
    """The platform's cost estimate (USD/hour at maximum size), computed before anything is created."""
    if config.cloud == "local":
        return 0.0
    if config.cloud == "digitalocean":
        from infra.platforms import digitalocean

        return digitalocean.hourly_cost(config)
    from infra.platforms import aws

    return aws.hourly_cost(config)


def build(config: StackConfig) -> Platform:
    """The platform named by ``genepool:cloud`` (cloud SDKs are imported only when their cloud is used)."""
    if config.cloud == "local":
        from infra.platforms import local

        return local.build(config)
    if config.cloud == "digitalocean":
        from infra.platforms import digitalocean

        return digitalocean.build(config)
    from infra.platforms import aws

    return aws.build(config)
