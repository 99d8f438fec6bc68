"""The workload: the API (Deployment, Service, HPA, PDB) and the scheduled evolution runs.

API: ``genepool serve`` on port 8000; probes on ``/health/liveness`` and ``/health/readiness``; Prometheus scrapes
``/metrics`` through the ServiceMonitor in ``monitoring.py``. Requests/limits and the HPA (3–10 replicas at 70% CPU /
80% memory by default) come from ``genepool:api`` (docs/operations.md#api). The Deployment sets no ``replicas``: the HPA
owns the count, so ``pulumi up`` never fights it. Rolling updates add one pod before removing one (maxUnavailable 0).

Settings roll the API: its pods read ``GENEPOOL_*``, the API token and the Ray token from env, i.e. once, at start.
The pod template carries ``genepool.io/settings-checksum``, the SHA-256 of everything the settings Secret and
ConfigMap hold plus the API token (``common.settings_checksum``, shown in previews as a plain digest, not
``[secret]``: the docstring there says why that is safe), so changing any of them changes the template and the
Deployment rolls. The Ray token is generated once and not covered. The evolution CronJobs need no checksum: each run
starts a fresh pod, which reads the current settings. The Ray head and workers carry the same checksum on their pod
templates: the RayCluster recreates its pods on any spec change (``upgradeStrategy: Recreate``, ``ray.py``).

Evolution: one CronJob per symbol in ``genepool:evolution.symbols``, on ``evolution.schedule``, each running
``genepool schedule submit`` (:mod:`workloads.evolution.schedule`) against the long-lived RayCluster's job API with
``genepool evolve --symbol S --population P --generations G --random-seed R --backend ray --metrics-port M
--checkpoints database`` (M = ``ray.driver_metrics_port(i)`` of the i-th symbol, scraped on the head as it runs). The
submitter reads its Job's name (``<cronjob>-<scheduled minute>``, downward API) and derives the slot's submission id
and run id from it, so a retried submitter pod attaches to the slot's job instead of starting another, a slot whose
job died is re-submitted with ``--resume`` (checkpoints are in the database, so they survive a head restart), and the
submitter exits with the job's outcome. ``activeDeadlineSeconds`` (``evolution.deadlineSeconds``) bounds a slot;
at the deadline the submitter stops the slot's job, so a hung run cannot block later slots under
``concurrencyPolicy: Forbid``. The CronJob is a permanent object (no self-deleting RayJob that would make every later
``pulumi up`` drift). The driver runs on the Ray head, which carries the same ``GENEPOOL_*`` settings as the API.

Market data (with ``genepool:marketData``): one ``fetch-<symbol>`` CronJob per symbol of ``marketData.symbols`` —
the same list the evolution CronJobs are made from — running ``genepool data fetch --exchange E --symbol X
--timeframe T --store-as S --backfill-days N`` on ``marketData.schedule`` (hourly, by default 10 minutes before the
evolution's minute, so each slot finds the last closed bars stored). A fetch is idempotent (a re-run stores nothing
new), so a retried or overlapping Job is harmless; ``concurrencyPolicy: Forbid`` and ``activeDeadlineSeconds``
(``marketData.deadlineSeconds``) keep a hung fetch from piling up. Optional exchange credentials come from the
Secret ``genepool-exchange`` (keys ``apiKey``, ``secret``) when someone creates it; public data needs none.

Every pod runs as the image's non-root ``ray`` user (uid 1000), read-only root filesystem where the process allows
it: ``GENEPOOL_HOME``, Numba's cache and ``$HOME`` live on an emptyDir at /tmp (``common.WORKLOAD_ENV``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import labels
from infra.components.common import (
    SETTINGS_CHECKSUM_ANNOTATION,
    TMP_MOUNT,
    TMP_VOLUME,
    WORKLOAD_ENV,
    container_security,
    pod_security,
    pull_secrets,
    resources,
    settings_checksum,
)
from infra.components.ray import RAY_UID, driver_metrics_port
from infra.config import ApiConfig, EvolutionScheduleConfig, MarketDataConfig
from infra.platforms import Scheduling

PORT = 8000
API_TOKEN_ENV = "GENEPOOL_API_TOKEN"
"""The bearer token the API requires on non-health endpoints."""


def evolve_command(symbol: str, config: EvolutionScheduleConfig, metrics_port: int) -> list[str]:
    """``genepool evolve`` for one symbol with the stack's GA settings, on the Ray backend, serving its metrics on
    ``metrics_port`` (of the Ray head, where the driver runs), checkpointing to the database (a restarted head loses
    its files). The submitter adds the slot's ``--run-id`` or ``--resume``."""
    return [
        "genepool",
        "evolve",
        "--symbol",
        symbol,
        "--population",
        str(config.population),
        "--generations",
        str(config.generations),
        "--random-seed",
        str(config.random_seed),
        "--backend",
        "ray",
        "--metrics-port",
        str(metrics_port),
        "--checkpoints",
        "database",
    ]


JOB_NAME_ENV = {
    "name": "JOB_NAME",
    "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}},
}
"""The submitter pod's Job name (``<cronjob>-<scheduled minute since the epoch>``): what its slot is derived from."""


def submit_command(
    symbol: str, config: EvolutionScheduleConfig, dashboard_url: pulumi.Input[str], metrics_port: int
) -> list:
    """The CronJob container's args: ``genepool schedule submit`` of the slot's ``genepool evolve``."""
    return [
        "genepool",
        "schedule",
        "submit",
        "--address",
        dashboard_url,
        "--symbol",
        symbol,
        "--job-name",
        "$(JOB_NAME)",
        "--",
        *evolve_command(symbol, config, metrics_port),
    ]


EXCHANGE_SECRET = "genepool-exchange"
"""Optional Secret (created by hand: ``kubectl create secret generic genepool-exchange --from-literal=apiKey=…
--from-literal=secret=…``) with the exchange credentials the fetch CronJobs read, if present."""
EXCHANGE_CREDENTIALS_ENV = [
    {
        "name": variable,
        "valueFrom": {"secretKeyRef": {"name": EXCHANGE_SECRET, "key": key, "optional": True}},
    }
    for variable, key in (("GENEPOOL_EXCHANGE_API_KEY", "apiKey"), ("GENEPOOL_EXCHANGE_SECRET", "secret"))
]


def fetch_command(name: str, exchange_symbol: str, config: MarketDataConfig) -> list[str]:
    """``genepool data fetch`` of one symbol, stored as ``name``; the first run backfills ``backfill_days``."""
    command = [
        "genepool",
        "data",
        "fetch",
        "--exchange",
        config.exchange,
        "--symbol",
        exchange_symbol,
        "--timeframe",
        config.timeframe,
        "--store-as",
        name,
        "--backfill-days",
        str(config.backfill_days),
    ]
    return command + (["--exchange-url", config.exchange_url] if config.exchange_url else [])


def _dns_part(symbol: str) -> str:
    """A stored name as part of a Kubernetes name: lower case, ``_``, ``.`` and ``:`` as ``-``
    (``binance:BTCUSDT-PERP`` → ``binance-btcusdt-perp``)."""
    return symbol.lower().replace("_", "-").replace(".", "-").replace(":", "-")


def fetch_cronjob_name(symbol: str) -> str:
    return "fetch-" + _dns_part(symbol)


def api_url(namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """The API's in-cluster URL (the app's ``api_url``), known before the Service exists."""
    return pulumi.Output.concat("http://", labels.service_host(labels.API, namespace), f":{PORT}")


def cronjob_name(symbol: str) -> str:
    return "evolve-" + _dns_part(symbol)


@dataclass(frozen=True)
class ScheduledJob:
    """One kind of scheduled run: its cron ``schedule`` (UTC), how late it may still start, retries of a failed pod,
    the run's ``activeDeadlineSeconds`` (s) and its one container."""

    schedule: str
    starting_deadline_seconds: int
    backoff_limit: int
    deadline_seconds: int
    container: dict[str, Any]


@dataclass(frozen=True)
class WorkloadDeploymentArgs:
    namespace: pulumi.Input[str]
    image: pulumi.Input[str]
    api: ApiConfig
    evolution: EvolutionScheduleConfig
    api_token: pulumi.Input[str]
    settings_env: list[dict[str, Any]]
    settings_data: dict[str, pulumi.Input[str]]
    """What ``settings_env`` refers to (``ClusterSettings.data``): hashed into the API's settings checksum."""
    ray_auth_env: list[dict[str, Any]]
    ray_dashboard_url: pulumi.Input[str]
    scheduling: Scheduling
    metrics_api: pulumi.Resource
    """What serves the resource metrics API (metrics-server): the HPA is created after it."""
    market_data: MarketDataConfig | None = None
    """The stack's fetch CronJobs (none: bars are imported by hand)."""
    image_pull_secrets: list[str] = field(default_factory=list)
    """Names of the namespace's image pull Secrets the pods pull the workload image with (empty where the nodes may
    pull by themselves, or on a local cluster)."""
    database_ready: list[pulumi.Resource] = field(default_factory=list)
    """What must complete before anything uses the database (a managed database's grant step): the API Deployment
    and the evolution CronJobs wait for it."""


def api_metadata(namespace: pulumi.Input[str]) -> dict[str, Any]:
    """Metadata of the API's objects (each adds its ``name``): the namespace, the API's app label and part-of."""
    return {"namespace": namespace, "labels": {**labels.app(labels.API), **labels.PART_OF}}


def workload_pod(args: WorkloadDeploymentArgs) -> dict[str, Any]:
    """What every workload pod spec shares: the image's non-root user, the platform's placement, the image pull
    Secrets and the /tmp emptyDir."""
    return {
        "securityContext": pod_security(RAY_UID),
        "nodeSelector": args.scheduling.node_selector,
        "tolerations": args.scheduling.tolerations,
        **pull_secrets(args.image_pull_secrets),
        "volumes": [TMP_VOLUME],
    }


def api_container(args: WorkloadDeploymentArgs, token_secret: pulumi.Input[str]) -> dict[str, Any]:
    """The API container: ``genepool serve`` with the settings, the Ray token and the API token (from the Secret
    ``token_secret``) in env, the requests and limits of ``genepool:api`` and its health probes."""
    token_env = {"name": API_TOKEN_ENV, "valueFrom": {"secretKeyRef": {"name": token_secret, "key": "token"}}}
    return {
        "name": "api",
        "image": args.image,
        "args": ["genepool", "serve", "--host", "0.0.0.0", "--port", str(PORT)],
        "env": [*args.settings_env, *args.ray_auth_env, token_env, *WORKLOAD_ENV],
        "ports": [{"name": "http", "containerPort": PORT}],
        "resources": resources(
            args.api.cpu_request, args.api.memory_request, args.api.cpu_limit, args.api.memory_limit
        ),
        "securityContext": container_security(read_only_root=True),
        "startupProbe": {
            "httpGet": {"path": "/health/liveness", "port": "http"},
            "periodSeconds": 5,
            "failureThreshold": 36,
        },
        "livenessProbe": {
            "httpGet": {"path": "/health/liveness", "port": "http"},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/health/readiness", "port": "http"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "volumeMounts": [TMP_MOUNT],
    }


def api_autoscaling(api: ApiConfig, deployment: pulumi.Input[str]) -> dict[str, Any]:
    """The HPA spec of the API Deployment ``deployment``: ``api.minReplicas`` to ``api.maxReplicas`` on average CPU
    and memory utilisation (percent of requests)."""

    def utilisation(resource: str, percent: int) -> dict[str, Any]:
        target = {"type": "Utilization", "averageUtilization": percent}
        return {"type": "Resource", "resource": {"name": resource, "target": target}}

    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
        "minReplicas": api.min_replicas,
        "maxReplicas": api.max_replicas,
        "metrics": [utilisation("cpu", api.target_cpu_percent), utilisation("memory", api.target_memory_percent)],
    }


def evolution_job(args: WorkloadDeploymentArgs, index: int, symbol: str) -> ScheduledJob:
    """The scheduled evolution of the ``index``-th symbol: a submitter of ``genepool evolve`` to the RayCluster."""
    submit = {
        "name": "submit",
        "image": args.image,
        "args": submit_command(symbol, args.evolution, args.ray_dashboard_url, driver_metrics_port(index)),
        "env": [*args.settings_env, *args.ray_auth_env, JOB_NAME_ENV, *WORKLOAD_ENV],
        "resources": resources("100m", "256Mi", "500m", "512Mi"),
        "securityContext": container_security(read_only_root=True),
        "volumeMounts": [TMP_MOUNT],
    }
    return ScheduledJob(args.evolution.schedule, 600, 1, args.evolution.deadline_seconds, submit)


def fetch_job(
    args: WorkloadDeploymentArgs, market: MarketDataConfig, symbol: str, exchange_symbol: str
) -> ScheduledJob:
    """The scheduled market-data fetch of ``exchange_symbol``, stored as ``symbol``."""
    fetch = {
        "name": "fetch",
        "image": args.image,
        "args": fetch_command(symbol, exchange_symbol, market),
        "env": [*args.settings_env, *EXCHANGE_CREDENTIALS_ENV, *WORKLOAD_ENV],
        "resources": resources("100m", "256Mi", "1", "1Gi"),
        "securityContext": container_security(read_only_root=True),
        "volumeMounts": [TMP_MOUNT],
    }
    return ScheduledJob(market.schedule, 300, 2, market.deadline_seconds, fetch)


class WorkloadDeployment(pulumi.ComponentResource):
    """The API and the scheduled runs of one stack. Registered as ``genepool:cluster:Workload``: the type is part of
    every child's URN, so it keeps its name (a new one would replace the resources)."""

    api_url: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadDeploymentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Workload", name, None, opts)
        pod = workload_pod(args)
        self._api(name, args, pod)
        for index, symbol in enumerate(args.evolution.symbols):
            self._scheduled_job(name, args, pod, cronjob_name(symbol), evolution_job(args, index, symbol))
        if args.market_data is not None:
            for symbol, exchange_symbol in args.market_data.symbols:
                fetch = fetch_job(args, args.market_data, symbol, exchange_symbol)
                self._scheduled_job(name, args, pod, fetch_cronjob_name(symbol), fetch)
        self.api_url = api_url(args.namespace)
        self.register_outputs({"api_url": self.api_url})

    def _api(self, name: str, args: WorkloadDeploymentArgs, pod: dict[str, Any]) -> None:
        """The API token's Secret, then the API's Deployment (after the database is ready; its template annotated
        with the settings checksum), Service, HPA (after the metrics API) and PodDisruptionBudget."""
        child = pulumi.ResourceOptions(parent=self)
        selector = labels.app(labels.API)
        meta = api_metadata(args.namespace)
        api_token = pulumi.Output.secret(args.api_token)
        token = k8s.core.v1.Secret(
            f"{name}-api-token",
            metadata={**meta, "name": "genepool-api-token"},
            string_data={"token": api_token},
            opts=child,
        )
        checksum = settings_checksum({**args.settings_data, API_TOKEN_ENV: api_token})
        deployment = k8s.apps.v1.Deployment(
            f"{name}-api",
            metadata={**meta, "name": labels.API},
            spec={
                "selector": {"matchLabels": selector},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {
                        "labels": {**selector, **labels.PART_OF},
                        "annotations": {SETTINGS_CHECKSUM_ANNOTATION: checksum},
                    },
                    "spec": {**pod, "containers": [api_container(args, token.metadata.name)]},
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.database_ready),
        )
        k8s.core.v1.Service(
            f"{name}-api-service",
            metadata={**meta, "name": labels.API},
            spec={
                "selector": selector,
                "ports": [{"name": "http", "port": PORT, "targetPort": "http"}],
            },
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-api-hpa",
            metadata={**meta, "name": labels.API},
            spec=api_autoscaling(args.api, deployment.metadata.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.metrics_api]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-api-pdb",
            metadata={**meta, "name": labels.API},
            spec={
                "maxUnavailable": 1,
                "selector": {"matchLabels": selector},
            },
            opts=child,
        )

    def _scheduled_job(
        self, name: str, args: WorkloadDeploymentArgs, pod: dict[str, Any], job_name: str, job: ScheduledJob
    ) -> None:
        """A CronJob of ``job``: one run at a time, history of 3 each way, waiting for the database."""
        job_labels = {**labels.app(job_name), **labels.PART_OF}
        k8s.batch.v1.CronJob(
            f"{name}-{job_name}",
            metadata={**api_metadata(args.namespace), "name": job_name, "labels": job_labels},
            spec={
                "schedule": job.schedule,
                "timeZone": "Etc/UTC",
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": job.starting_deadline_seconds,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": job.backoff_limit,
                        "activeDeadlineSeconds": job.deadline_seconds,
                        "template": {
                            "metadata": {"labels": job_labels},
                            "spec": {**pod, "restartPolicy": "Never", "containers": [job.container]},
                        },
                    }
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.database_ready),
        )
