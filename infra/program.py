"""The whole stack: platform → namespace → metrics-server → state (Redis, TimescaleDB) → monitoring → settings → Ray
→ workload.

Every in-cluster resource waits for the platform's readiness resources (:attr:`Platform.ready`): the namespace and
each top-level component take them as ``depends_on``. A component's children register only after the component,
and the engine deletes children before their component and the component before what it depends on, so create
and destroy both follow "cluster ready" (tests/infra/test_ordering.py records the dependencies the engine sees).

The workload image (``genepool:image``) is pulled from the stack's own registry on a cloud (a bare ``sha256:``
digest names an image there; a pull secret is created where the nodes cannot pull by themselves). A cloud stack
without ``genepool:image`` (before its first deploy) has no Ray cluster and no workload yet: the first ``pulumi up``
creates the platform and the registry, the deploy pushes the image (docs/delivery.md).

Every stack serves Grafana, and once the workload is deployed the API and the Ray dashboard, over HTTPS at the
names of ``genepool:ingress`` (``components/ingress.py``, through the platform's :class:`~infra.platforms.Edge`;
docs/ingress.md); with ``genepool:sso`` (required on a cloud) Grafana signs in through the OpenID Connect provider
and the Ray dashboard is served through oauth2-proxy (``components/sso.py``). On a cloud the in-cluster TimescaleDB
archives its WAL to the platform's bucket (:attr:`~infra.platforms.Platform.wal_archive`; docs/backups.md).

Returns the stack outputs: exactly ``workloads.settings.contract.STACK_OUTPUTS`` (credentials as secrets), plus the
external URLs of ``workloads.settings.contract.EXTERNAL_URLS`` that exist (no secrets: the routes authenticate their
users), on dev ``ingress_certificate`` (the self-signed certificate to trust),
``kubeconfig`` (secret), ``estimated_hourly_cost_usd`` and, on a cloud, ``image_repository`` (where CI pushes the
workload image).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import connections, images, labels, platforms, versions
from infra.components.common import settings_checksum
from infra.components.database_grant import DatabaseGrant, DatabaseGrantArgs
from infra.components.ingress import PublicRoutes, PublicRoutesArgs, Route, external_url
from infra.components.managed_exporters import ManagedExporters, ManagedExportersArgs
from infra.components.metrics_server import MetricsServer, MetricsServerArgs
from infra.components.monitoring import Monitoring, MonitoringArgs
from infra.components.pull_secret import ImagePullSecret, ImagePullSecretArgs
from infra.components.ray import DASHBOARD_PORT, Ray, RayArgs, client_address
from infra.components.redis import Redis, RedisArgs
from infra.components.settings import ClusterSettings, ClusterSettingsArgs
from infra.components.sso import PROXY_HEALTH_PATH, PROXY_PORT, PROXY_SERVICE, RayDashboardProxy, RayDashboardProxyArgs
from infra.components.timescaledb import TimescaleDB, TimescaleDBArgs
from infra.components.workload import PORT as API_PORT
from infra.components.workload import WorkloadDeployment, WorkloadDeploymentArgs, api_url
from infra.config import StackConfig, StackConfigError, sso_client_secret
from workloads.settings import contract


def check_kubernetes_support(config: StackConfig, today: dt.date) -> None:
    """A StackConfigError naming ``cluster.kubernetesVersion`` when the stack's minor is not in its platform's support
    calendar, or past the last day the platform runs it (EKS: end of extended support, which the cost estimate
    prices; DOKS and local: end of life, after which DigitalOcean force-upgrades and a stack asking for the old minor
    would ask for a downgrade)."""
    entry = versions.minor_of(config.cloud, config.cluster.kubernetes_version)
    if versions.support_state(entry, today) == "ended":
        last = entry.end_of_extended_support or entry.end_of_standard_support
        raise StackConfigError(
            "cluster.kubernetesVersion",
            f"{entry.minor} on {entry.platform} is past its end of support ({last}): move to a newer minor",
        )


def check_cost(config: StackConfig, estimate: float) -> None:
    if estimate > config.cost_ceiling_usd_per_hour:
        raise StackConfigError(
            "costCeilingUsdPerHour",
            f"the stack's estimated cost at maximum size is "
            f"{estimate:.2f} USD/hour, above the ceiling "
            f"{config.cost_ceiling_usd_per_hour:.2f}",
        )


MANAGED_CONTROL_PLANE_CLOUDS = frozenset({"digitalocean", "aws"})
"""Clouds whose control plane (etcd, scheduler, controller-manager, kube-proxy metrics) is the provider's, not
scrapeable from the cluster."""


def build(
    config: StackConfig, api_token: pulumi.Output[str], receiver_secrets: dict[str, pulumi.Output[str]]
) -> dict[str, Any]:
    """Build the stack; ``receiver_secrets`` are the configured Alertmanager receivers' URLs/keys by kind."""
    estimate = preflight(config)
    client_secret = sso_client_secret(config.sso)
    platform = platforms.build(config)
    on_cluster = pulumi.ResourceOptions(providers=[platform.provider], depends_on=platform.ready)
    namespace = app_namespace(config, platform, estimate)
    metrics_server = MetricsServer(
        "metrics-server", MetricsServerArgs(platform.system, platform.kubelet_insecure_tls), on_cluster
    )
    state = build_state(config, platform, namespace, on_cluster)
    monitoring = build_monitoring(config, platform, namespace, receiver_secrets, client_secret, on_cluster)
    outputs: dict[str, pulumi.Input[str]] = {
        contract.DATABASE_URL: pulumi.Output.secret(state.database_url),
        contract.REDIS_URL: pulumi.Output.secret(state.redis_url),
        contract.RAY_ADDRESS: client_address(namespace),
        contract.API_URL: api_url(namespace),
        contract.GRAFANA_URL: monitoring.grafana_url,
    }
    settings = ClusterSettings("settings", ClusterSettingsArgs(namespace, outputs), on_cluster)
    registry_outputs: dict[str, Any] = {}
    if platform.registry is not None:
        registry_outputs["image_repository"] = platform.registry.repository
    grafana = Route(
        "grafana",
        labels.MONITORING_NAMESPACE,
        config.ingress.host("grafana"),
        f"{labels.PROMETHEUS_RELEASE}-grafana",
        GRAFANA_PORT,
        "/api/health",
        (monitoring,),
    )
    if config.image is None:
        urls = public_routes(platform, [grafana], on_cluster)
        return {**outputs, **urls, **platform_outputs(platform), **registry_outputs}
    image = workload_image(config.image, platform, namespace, on_cluster)
    ray, workload = build_workload(config, platform, namespace, image, settings, state, metrics_server, api_token)
    routes = [
        Route("api", namespace, config.ingress.host("api"), labels.API, API_PORT, "/health/liveness", (workload,)),
        grafana,
        ray_dashboard_route(config, namespace, ray, platform, client_secret, on_cluster),
    ]
    urls = public_routes(platform, routes, on_cluster)
    return {**outputs, **urls, **platform_outputs(platform), **registry_outputs}


def preflight(config: StackConfig) -> float:
    """The checks that need no cluster (Kubernetes support, cost ceiling, in-cluster database connections); the
    estimated hourly cost at maximum size (USD)."""
    check_kubernetes_support(config, dt.datetime.now(dt.UTC).date())
    estimate = platforms.hourly_cost(config)
    check_cost(config, estimate)
    if not config.timescaledb.managed:
        connections.check_budget(config, connections.in_cluster_limit(config), "timescaledb.maxConnections")
    return estimate


def app_namespace(config: StackConfig, platform: platforms.Platform, estimate: float) -> pulumi.Output[str]:
    """The app's namespace, annotated with the estimated cost and the ceiling; its name."""
    return k8s.core.v1.Namespace(
        "namespace",
        metadata={
            "name": config.namespace,
            "labels": labels.PART_OF,
            "annotations": {
                labels.COST_ANNOTATION: f"{estimate:.4f}",
                labels.CEILING_ANNOTATION: f"{config.cost_ceiling_usd_per_hour:.4f}",
            },
        },
        opts=pulumi.ResourceOptions(provider=platform.provider, depends_on=platform.ready),
    ).metadata.name


@dataclass(frozen=True)
class State:
    """Where the workload's state lives: Redis and PostgreSQL URLs (credentials in them), and what must complete
    before anything uses the database (a managed database's grant Job; empty in-cluster)."""

    redis_url: pulumi.Input[str]
    database_url: pulumi.Input[str]
    database_ready: list[pulumi.Resource]


def build_state(
    config: StackConfig, platform: platforms.Platform, namespace: pulumi.Input[str], on_cluster: pulumi.ResourceOptions
) -> State:
    """Redis and TimescaleDB in the cluster unless the platform gave managed ones; for managed ones, the grant Job
    and the exporters Prometheus scrapes them through."""
    redis_url = platform.redis_url
    if redis_url is None:
        redis_url = Redis(
            "redis", RedisArgs(namespace, config.redis, platform.storage_class, platform.stateful), on_cluster
        ).url
    database_url = platform.database_url
    database_ready: list[pulumi.Resource] = []
    if platform.database_admin is not None:
        grant = DatabaseGrant(
            "database-grant", DatabaseGrantArgs(namespace, platform.database_admin, platform.system), on_cluster
        )
        database_ready.append(grant.job)
    if database_url is None:
        database_url = TimescaleDB(
            "timescaledb",
            TimescaleDBArgs(
                namespace, config.timescaledb, platform.backup_storage_class, platform.stateful, platform.wal_archive
            ),
            on_cluster,
        ).url
    if platform.redis_url is not None or platform.database_url is not None:
        ManagedExporters(
            "managed-exporters",
            ManagedExportersArgs(namespace, platform.system, platform.redis_url, platform.database_url),
            on_cluster,
        )
    return State(redis_url, database_url, database_ready)


def build_monitoring(
    config: StackConfig,
    platform: platforms.Platform,
    namespace: pulumi.Input[str],
    receiver_secrets: dict[str, pulumi.Output[str]],
    client_secret: pulumi.Output[str] | None,
    on_cluster: pulumi.ResourceOptions,
) -> Monitoring:
    return Monitoring(
        "monitoring",
        MonitoringArgs(
            app_namespace=namespace,
            config=config.monitoring,
            storage_class=platform.storage_class,
            scheduling=platform.stateful,
            system=platform.system,
            karpenter_namespace=platform.karpenter_namespace,
            ray_drivers=len(config.evolution.symbols),
            alerting=config.alerting,
            receiver_secrets=receiver_secrets,
            managed_control_plane=config.cloud in MANAGED_CONTROL_PLANE_CLOUDS,
            grafana_root_url=external_url(config.ingress.host("grafana"), config.ingress.port) + "/",
            sso=config.sso,
            sso_client_secret=client_secret,
        ),
        on_cluster,
    )


@dataclass(frozen=True)
class WorkloadImage:
    """The workload image as the pods pull it: its full reference, the pull Secrets to name, and the options of
    what runs it (on the cluster, after the pull Secret)."""

    reference: pulumi.Input[str]
    pull_secrets: list[str]
    opts: pulumi.ResourceOptions


def workload_image(
    image: str, platform: platforms.Platform, namespace: pulumi.Input[str], on_cluster: pulumi.ResourceOptions
) -> WorkloadImage:
    """``genepool:image`` in the platform's registry (a pull Secret where the nodes cannot pull by themselves), or
    as given on a platform without one."""
    if platform.registry is None:
        return WorkloadImage(image, [], on_cluster)
    reference = pulumi.Output.from_input(platform.registry.repository).apply(
        lambda repository: images.in_registry(image, repository)
    )
    if platform.registry.docker_config is None:
        return WorkloadImage(reference, [], on_cluster)
    pull = ImagePullSecret("registry-pull", ImagePullSecretArgs(namespace, platform.registry.docker_config), on_cluster)
    opts = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[pull]))
    return WorkloadImage(reference, [pull.name], opts)


def build_workload(
    config: StackConfig,
    platform: platforms.Platform,
    namespace: pulumi.Input[str],
    image: WorkloadImage,
    settings: ClusterSettings,
    state: State,
    metrics_server: MetricsServer,
    api_token: pulumi.Output[str],
) -> tuple[Ray, WorkloadDeployment]:
    """The RayCluster, then the API and the scheduled runs that use it."""
    ray = Ray(
        "ray",
        RayArgs(
            namespace=namespace,
            config=config.ray,
            image=image.reference,
            image_pull_secrets=image.pull_secrets,
            system=platform.system,
            head=platform.head,
            workers=platform.workers,
            app_env=settings.env,
            drivers=len(config.evolution.symbols),
            settings_checksum=settings_checksum(settings.data),
            database_ready=state.database_ready,
        ),
        image.opts,
    )
    workload = WorkloadDeployment(
        "workload",
        WorkloadDeploymentArgs(
            namespace=namespace,
            image=image.reference,
            image_pull_secrets=image.pull_secrets,
            api=config.api,
            evolution=config.evolution,
            market_data=config.market_data,
            api_token=api_token,
            settings_env=settings.env,
            settings_data=settings.data,
            ray_auth_env=ray.auth_env,
            ray_dashboard_url=ray.dashboard_url,
            scheduling=platform.system,
            metrics_api=metrics_server.release,
            database_ready=state.database_ready,
        ),
        image.opts,
    )
    return ray, workload


GRAFANA_PORT = 80
"""The port of kube-prometheus-stack's Grafana Service."""


def ray_dashboard_route(
    config: StackConfig,
    namespace: pulumi.Input[str],
    ray: Ray,
    platform: platforms.Platform,
    client_secret: pulumi.Output[str] | None,
    opts: pulumi.ResourceOptions,
) -> Route:
    """The Ray dashboard's route: through the single-sign-on proxy with ``genepool:sso`` (required on a cloud,
    :mod:`infra.config`), else (dev, on this machine only) straight to the head."""
    host = config.ingress.host("rayDashboard")
    if config.sso is None or client_secret is None:
        return Route("rayDashboard", namespace, host, f"{labels.RAY_CLUSTER}-head-svc", DASHBOARD_PORT, "/", (ray,))
    proxy = RayDashboardProxy(
        "ray-dashboard-proxy",
        RayDashboardProxyArgs(
            namespace,
            config.sso,
            client_secret,
            external_url(host, config.ingress.port),
            ray.dashboard_url,
            platform.system,
        ),
        opts,
    )
    return Route("rayDashboard", namespace, host, PROXY_SERVICE, PROXY_PORT, PROXY_HEALTH_PATH, (ray, proxy))


def public_routes(platform: platforms.Platform, routes: list[Route], opts: pulumi.ResourceOptions) -> dict[str, Any]:
    """The routes served over the platform's HTTPS ingress: their external URLs by stack output name, and the
    certificate to trust where the ingress serves a self-signed one."""
    if platform.edge is None:
        raise StackConfigError("cloud", "the platform serves no HTTPS ingress")
    served = PublicRoutes("ingress", PublicRoutesArgs(routes, platform.edge), opts)
    urls: dict[str, Any] = {contract.EXTERNAL_URLS[name]: url for name, url in served.urls.items()}
    if platform.edge.certificate is not None:
        urls[INGRESS_CERTIFICATE_OUTPUT] = platform.edge.certificate.certificate_pem
    return urls


INGRESS_CERTIFICATE_OUTPUT = "ingress_certificate"
"""The PEM certificate of an ingress no public authority signed (dev's self-signed one), for clients to trust
(``genepool api status --ca-cert``); not a secret."""


def platform_outputs(platform: platforms.Platform) -> dict[str, Any]:
    return {
        "kubeconfig": pulumi.Output.secret(platform.kubeconfig),
        "estimated_hourly_cost_usd": platform.hourly_cost_usd,
    }
