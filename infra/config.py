"""One typed, validated view of the stack config (namespace ``genepool``).

Keys (``Pulumi.<stack>.yaml``; objects are YAML maps, quantities are Kubernetes quantities such as ``500m``/``2Gi``):

``cloud``                   ``local`` | ``digitalocean`` | ``aws`` (required) — which platform stands up the cluster.
``namespace``               Kubernetes namespace of everything we deploy (default ``genepool``).
``image``                   the workload image: ``repo:tag`` with a pinned tag (not ``latest``), or by digest,
                            ``repo@sha256:…`` / ``repo:tag@sha256:…`` (``infra/images.py``). Required on ``local``.
                            On a cloud it may be a bare digest ``sha256:<64 hex>`` of the stack's own registry (what
                            the promotion PR writes, docs/delivery.md), and is unset before the first deploy: the
                            stack then has no Ray cluster and no workload yet, only the platform and its registry.
``registry``                clouds only: the registry the stack creates for the workload image. digitalocean:
                            ``name`` (required; DigitalOcean Container Registry names are global, one per account),
                            ``tier`` (``starter`` | ``basic`` | ``professional``, default ``basic``); aws: the ECR
                            repository ``genepool-<stack>/workload``, ``keepImages`` (its lifecycle policy keeps the
                            newest pushed images, default 200, 10–10000; an older digest is gone for rollback).
``costCeilingUsdPerHour``   upper bound (USD/hour, at maximum node counts) the estimate may not exceed, > 0.
``cluster``                 ``kubernetesVersion``, ``storageClass``; local: ``context`` (+ optional ``kubeconfig``
                            path, else ``$KUBECONFIG`` or ``~/.kube/config``); clouds: ``region``, ``systemPool`` and
                            ``workerPool`` (``instanceType``, ``minNodes``, ``maxNodes``, ``spot``). On aws the
                            workers are Karpenter's: ``workerPool.instanceType`` is the reference type (its vCPUs
                            set the pool's range, see infra/platforms/aws/instances.py), ``maxNodes`` × its vCPUs
                            the pool's CPU limit, and ``minNodes`` must be 0. ``kubernetesVersion`` is a minor
                            (``1.36``) from the support calendar in ``infra/versions.py``; patches are resolved by
                            the platform (DOKS slug, EKS add-on and AMI versions), never pinned here.
``redis``                   ``managed``, ``instanceType`` (managed), ``maxMemory`` (e.g. ``2gb``, allkeys-lru),
                            ``volumeSize``, ``cpu``, ``memory`` (in-cluster).
``timescaledb``             ``managed``, ``instanceType`` (managed), ``volumeSize``, ``maxConnections``,
                            ``sharedBuffers``, ``effectiveCacheSize``, ``workMem``, ``maintenanceWorkMem``, ``cpu``,
                            ``memory`` (PostgreSQL sizes such as ``1GB``), ``walArchive`` (in-cluster only:
                            pgBackRest WAL archiving to the platform's object storage, docs/backups.md; ``enabled``
                            (true on a cloud, where false is refused; false on local, which has no object storage),
                            ``retentionFull`` (full backups kept, 4, 1–52), ``fullEveryDays`` (7, 1–31),
                            ``diffEveryHours`` (24, 1–168: differential backups between fulls),
                            ``archiveTimeoutSeconds`` (60, 60–3600: the longest a written change waits to be
                            archived, the recovery point objective), ``noncurrentVersionDays`` (30, 1–3650: how long
                            the bucket keeps an overwritten or deleted object's old version)).
``monitoring``              ``retentionDays`` (30), ``volumeSize`` (50Gi), ``grafanaVolumeSize`` (10Gi), ``replicas``
                            (1, 1–3: Prometheus and Alertmanager replicas, each Prometheus on its own volume, in
                            its own zone; 2 keeps alerting through the loss of a zone or a node).
``ray``                     ``headCpu``, ``headMemory``, ``workerCpu``, ``workerMemory``, ``minWorkers`` (0),
                            ``maxWorkers``.
``api``                     ``minReplicas`` (3), ``maxReplicas`` (10), ``targetCpuPercent`` (70),
                            ``targetMemoryPercent`` (80), ``cpuRequest``/``cpuLimit``,
                            ``memoryRequest``/``memoryLimit``.
``evolution``               ``schedule`` (cron), ``symbols`` (only without ``marketData``), ``population``,
                            ``generations``, ``randomSeed``,
                            ``deadlineSeconds`` (10800: a scheduled slot's ``activeDeadlineSeconds``, 600–604800;
                            the submitter stops the slot's Ray job when it runs out).
``marketData``              optional; the single list of symbols to fetch and evolve: ``symbols`` (a list of the
                            exchange's ccxt symbols, each stored under its instrument name: ``BTC/USDT:USDT`` →
                            ``binance:BTCUSDT-PERP``, ``BTC/USDT`` → ``binance:BTCUSDT``; or a map of stored name to
                            ccxt symbol, e.g. ``BTCUSDT: BTC/USDT:USDT``, for a store written before instrument
                            names; the names become the evolved symbols, so ``evolution.symbols`` must not be set),
                            ``exchange`` (a
                            ccxt exchange id, required), ``timeframe`` (``1h``), ``backfillDays`` (365, 1–3650: what
                            the first fetch of a symbol loads), ``schedule`` (cron; hourly or more often, i.e. hour
                            and day fields ``*``; default: every hour, 10 minutes before ``evolution.schedule``'s
                            minute), ``deadlineSeconds`` (1800, 60–86400), ``exchangeUrl`` (REST base URL of a
                            proxy or testnet). One ``fetch-<symbol>`` CronJob per symbol (docs/operations.md).
``alerting``                ``receivers``: which Alertmanager receivers get alerts, any of ``slack``, ``pagerduty``
                            (critical alerts only), ``webhook`` (default none: alerts only in Alertmanager's UI);
                            ``slackChannel`` (with ``slack``, e.g. ``#genepool-alerts``); ``deadMansSwitch`` (default
                            false; true: the always-firing Watchdog is sent every minute to the URL in the secret
                            ``alertDeadMansSwitchUrl``, a heartbeat service that pages when it stops arriving);
                            ``runbookBaseUrl`` (the https URL the repository's files are read at, e.g.
                            ``https://github.com/<owner>/genepool/blob/main/``: each alert's ``runbook_url``
                            becomes that plus ``docs/runbooks.md#<alert>``; unset, the path alone).
``aws``                     AWS only (required there): ``publicAccessCidrs`` (list of CIDRs allowed to reach the EKS
                            API endpoint; ``[]`` turns public access off; never ``0.0.0.0/0`` or ``::/0``),
                            ``deployerRoleArn`` (the IAM role CI deploys with; cluster admin, required; CI previews with
                            ``ci.previewRoleArn``),
                            ``adminPrincipalArns`` (IAM role/user ARNs of people who get cluster admin, default ``[]``),
                            ``rootVolumeGiB`` (node root volumes, gp3 encrypted, default 100, 20–16384),
                            ``logRetentionDays`` (control-plane log group, a CloudWatch retention value, default 90),
                            ``backupRetentionDays`` (daily TimescaleDB volume backups kept, default 35, 1–3650),
                            ``spotServiceLinkedRole`` (``create``, default: the stack creates the account's EC2 Spot
                            service-linked role and keeps it on destroy; ``existing``: the account has it already),
                            ``backupVaultForceDestroy`` (default false: ``pulumi destroy`` keeps the backup vault and
                            its recovery points; true: destroy deletes them, docs/operations.md#destroying-prod),
                            ``backupAlertEmails`` (required: e-mail addresses SNS notifies when a backup job of the
                            vault fails, is aborted or expires; each must confirm the subscription once),
                            ``natGateways`` (``perZone``, the default: one NAT gateway per zone, each zone's private
                            subnet routed through its own, so losing a zone costs no other zone its egress;
                            ``single``, or a count 1 to the number of zones: fewer gateways, cheaper, and the zones
                            without one route through another zone's, docs/operations.md#egress-on-aws).
``ci``                      AWS only (required there): how CI reaches the private EKS endpoint (docs/delivery.md).
                            ``repository`` (the GitHub ``owner/name`` whose workflow jobs the in-VPC runners take),
                            ``connectionArn`` (the AWS CodeConnections connection to GitHub, made once by hand),
                            ``previewRoleArn`` (the IAM role preview and drift jobs assume; read-only cluster access),
                            ``runnerCompute`` (CodeBuild compute type, default ``BUILD_GENERAL1_MEDIUM``).
``ingress``                 how the API, Grafana and the Ray dashboard are reached from outside, over HTTPS only
                            (docs/ingress.md). ``domain`` (the DNS zone the names live in; required on a cloud,
                            ``genepool.localhost`` by default on local), ``hosts`` (first labels: ``api`` → ``api``,
                            ``grafana`` → ``grafana``, ``rayDashboard`` → ``ray``; each name is ``<label>.<domain>``,
                            at most 64 characters, a certificate's common-name limit), ``allowedCidrs`` (clouds,
                            required: the source ranges the load balancer admits, never ``0.0.0.0/0`` or ``::/0``),
                            ``route53ZoneId`` (aws, required: the public Route53 hosted zone of ``domain``, where the
                            certificate's validation records and the names' alias records go), ``port`` (local: the
                            host port the kind cluster maps to the ingress controller's HTTPS node port, default
                            8443). On digitalocean ``domain`` must be a domain of the DigitalOcean account (its DNS
                            is DigitalOcean's: the Let's Encrypt certificate and the records are made there).
``sso``                     single sign-on through an OpenID Connect provider (docs/ingress.md#single-sign-on): Grafana
                            logs in with it and the Ray dashboard sits behind oauth2-proxy. ``issuerUrl``,
                            ``authUrl``, ``tokenUrl``, ``userinfoUrl`` (https URLs of the provider), ``clientId``,
                            ``emailDomains`` (who may sign in: a list of domains, or ``["*"]`` for every account the
                            provider authenticates). Required on a cloud: the Ray dashboard is public there and has
                            no login of its own a browser can use. The client secret is the secret ``ssoClientSecret``.
``apiToken``                **secret** (``pulumi config set --secret genepool:apiToken …``): the API bearer token.
``alertSlackWebhookUrl``    **secret**, with receiver ``slack``: the Slack incoming-webhook URL.
``alertPagerdutyRoutingKey`` **secret**, with receiver ``pagerduty``: the PagerDuty Events API v2 routing key.
``alertWebhookUrl``         **secret**, with receiver ``webhook``: the URL Alertmanager POSTs its webhook payload to.
``alertDeadMansSwitchUrl``  **secret**, with ``alerting.deadMansSwitch``: the heartbeat URL Watchdog is POSTed to.
``ssoClientSecret``         **secret**, with ``sso``: the OpenID Connect client's secret.

Defaults are the server settings of docs/operations.md#server-settings (Redis 2gb/20Gi, PostgreSQL 200 connections / 1GB
shared buffers / 100Gi, Prometheus 30 days on 50Gi, HPA 3–10 at 70% CPU / 80% memory, API 500m–2 CPU and 512Mi–2Gi) and
the GA defaults of docs/evolution.md#configuration (population 50, generations 10). Every invalid value raises
:class:`StackConfigError` naming the key and the rule, so ``pulumi preview`` fails before anything is created.
"""

from __future__ import annotations

import builtins
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi

from infra import images
from workloads.market.names import instrument_name

NAMESPACE = "genepool"
CLOUDS: tuple[str, ...] = ("local", "digitalocean", "aws")
SPOT_CLOUDS: frozenset[str] = frozenset({"aws"})
"""Clouds with spot capacity for Kubernetes node pools (DigitalOcean has no spot droplets)."""
MANAGED_REDIS_CLOUDS: frozenset[str] = frozenset({"digitalocean", "aws"})
MANAGED_TIMESCALEDB_CLOUDS: frozenset[str] = frozenset({"digitalocean"})
"""Clouds whose managed PostgreSQL has the timescaledb extension (AWS RDS does not)."""

ALERT_RECEIVER_SECRETS: dict[str, str] = {
    "slack": "alertSlackWebhookUrl",
    "pagerduty": "alertPagerdutyRoutingKey",
    "webhook": "alertWebhookUrl",
}
"""Each Alertmanager receiver kind and the secret key holding its URL or key."""
DEAD_MANS_SWITCH = "deadMansSwitch"
"""The receiver kind of the dead man's switch (``alerting.deadMansSwitch``): Watchdog's heartbeat goes there."""
DEAD_MANS_SWITCH_SECRET = "alertDeadMansSwitchUrl"
SSO_CLIENT_SECRET = "ssoClientSecret"
SECRET_KEYS: tuple[str, ...] = (
    "apiToken",
    *ALERT_RECEIVER_SECRETS.values(),
    DEAD_MANS_SWITCH_SECRET,
    SSO_CLIENT_SECRET,
)
"""Keys that must be set with ``pulumi config set --secret``."""

_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_PG_SIZE = re.compile(r"^\d+(kB|MB|GB|TB)$")
_REDIS_SIZE = re.compile(r"^\d+(kb|mb|gb)$")
_K8S_VERSION = re.compile(r"^1\.\d{2}$")
DEFAULT_KUBERNETES_VERSION = "1.36"
"""The minor a stack runs when ``cluster.kubernetesVersion`` is unset (in standard support on every platform)."""
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SYMBOL = re.compile(r"^(?:[a-z][a-z0-9]{1,39}:)?[A-Z0-9][A-Z0-9._-]{0,31}$")
_SYMBOL_RULE = "an upper-case symbol such as BTCUSDT or an instrument name such as binance:BTCUSDT-PERP"
_EXCHANGE_ID = re.compile(r"^[a-z][a-z0-9]{1,39}$")
_EXCHANGE_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/:._-]{0,63}$")
_TIMEFRAME = re.compile(r"^[1-9]\d{0,2}[mhdwM]$")
_BASE_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s?#]*)?$")
FETCH_LEAD_MINUTES = 10
"""The default fetch schedule runs this many minutes before the evolution's minute, every hour."""
_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")
_IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
)  # fmt: skip
"""The retention periods CloudWatch Logs accepts (days)."""
_SPOT_SERVICE_LINKED_ROLE = re.compile(r"^(create|existing)$")
_SLACK_CHANNEL = re.compile(r"^[#@][a-z0-9._-]{1,80}$")
_RUNBOOK_BASE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?/([^\s?#]*/)?$")


class StackConfigError(pulumi.RunError):
    """Invalid stack config: names the key (``genepool:a.b``) and the rule it breaks."""

    def __init__(self, key: str, rule: str) -> None:
        self.key = f"{NAMESPACE}:{key}"
        self.rule = rule
        super().__init__(f"stack config {self.key}: {rule}")


@dataclass(frozen=True)
class NodePool:
    instance_type: str
    min_nodes: int
    max_nodes: int
    spot: bool


@dataclass(frozen=True)
class ClusterConfig:
    kubernetes_version: str
    storage_class: str
    context: str | None
    kubeconfig_path: str | None
    region: str | None
    system_pool: NodePool | None
    worker_pool: NodePool | None


@dataclass(frozen=True)
class AwsConfig:
    """AWS-only settings: who reaches the EKS API and from where, node disks, log and backup retention."""

    public_access_cidrs: tuple[str, ...]
    """CIDRs allowed on the public API endpoint; empty means the endpoint is private only."""
    deployer_role_arn: str
    admin_principal_arns: tuple[str, ...]
    root_volume_gib: int
    log_retention_days: int
    backup_retention_days: int
    spot_service_linked_role: str
    """``create`` or ``existing``: whether the stack creates the account's EC2 Spot service-linked role."""
    backup_vault_force_destroy: bool
    """Whether destroying the stack deletes the backup vault's recovery points (off: the vault is kept)."""
    backup_alert_emails: tuple[str, ...] = ()
    """Who gets an e-mail (SNS) when a backup job of the vault fails, is aborted or expires."""
    nat_gateways: int | None = None
    """NAT gateways to create; None means one per zone (``perZone``), else 1 to the number of zones."""


@dataclass(frozen=True)
class CiConfig:
    """AWS only: the CodeBuild-hosted GitHub Actions runners inside the VPC, and the role CI previews with."""

    repository: str
    """GitHub ``owner/name``."""
    connection_arn: str
    """AWS CodeConnections connection to GitHub (created and authorised by hand)."""
    preview_role_arn: str
    runner_compute: str


@dataclass(frozen=True)
class RegistryConfig:
    """The stack's own image registry (clouds only): what its pods pull the workload image from."""

    name: str | None
    """DigitalOcean Container Registry name (global, one registry per account); None on aws."""
    tier: str | None
    """DigitalOcean subscription tier slug; None on aws."""
    keep_images: int | None
    """aws: images the ECR lifecycle policy keeps (the newest pushed); None on digitalocean."""


@dataclass(frozen=True)
class RedisConfig:
    managed: bool
    instance_type: str | None
    max_memory: str
    volume_size: str
    cpu: str
    memory: str


@dataclass(frozen=True)
class WalArchiveConfig:
    """pgBackRest archiving of the in-cluster TimescaleDB to object storage (docs/backups.md): every WAL segment as
    PostgreSQL completes it, plus scheduled base backups, so the database can be recovered to any second since the
    oldest kept full backup."""

    enabled: bool
    retention_full: int = 4
    """Full backups pgBackRest keeps (``repo1-retention-full``); older ones and their WAL are expired by it."""
    full_every_days: int = 7
    diff_every_hours: int = 24
    """Hours between backups; every ``full_every_days`` days the backup is a full one, else differential."""
    archive_timeout_seconds: int = 60
    """PostgreSQL's ``archive_timeout``: a partly filled WAL segment is archived after this long (seconds)."""
    noncurrent_version_days: int = 30
    """Days the versioned bucket keeps an overwritten or deleted object's previous version."""


@dataclass(frozen=True)
class TimescaleConfig:
    managed: bool
    instance_type: str | None
    volume_size: str
    max_connections: int
    shared_buffers: str
    effective_cache_size: str
    work_mem: str
    maintenance_work_mem: str
    cpu: str
    memory: str
    wal_archive: WalArchiveConfig = WalArchiveConfig(enabled=False)
    """Off when ``managed`` (the managed service has its own point-in-time recovery) and on ``local``."""


@dataclass(frozen=True)
class MonitoringConfig:
    retention_days: int
    volume_size: str
    grafana_volume_size: str
    replicas: int = 1
    """Prometheus and Alertmanager replicas (each Prometheus replica claims its own ``volume_size``)."""


@dataclass(frozen=True)
class RayConfig:
    head_cpu: str
    head_memory: str
    worker_cpu: str
    worker_memory: str
    min_workers: int
    max_workers: int


@dataclass(frozen=True)
class ApiConfig:
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    target_memory_percent: int
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str


@dataclass(frozen=True)
class EvolutionScheduleConfig:
    schedule: str
    symbols: tuple[str, ...]
    population: int
    generations: int
    random_seed: int
    deadline_seconds: int
    """``activeDeadlineSeconds`` of each scheduled slot (seconds)."""


@dataclass(frozen=True)
class MarketDataConfig:
    """What the fetch CronJobs fetch: ``symbols`` maps each stored name to its exchange (ccxt) symbol, in config
    order; ``backfill_days`` is what a symbol's first fetch loads (days); ``deadline_seconds`` bounds a fetch."""

    exchange: str
    timeframe: str
    symbols: tuple[tuple[str, str], ...]
    backfill_days: int
    schedule: str
    deadline_seconds: int
    exchange_url: str | None


@dataclass(frozen=True)
class AlertingConfig:
    receivers: tuple[str, ...]
    """Receiver kinds (keys of :data:`ALERT_RECEIVER_SECRETS`), in config order."""
    slack_channel: str | None
    dead_mans_switch: bool = False
    """Watchdog goes to the heartbeat URL of the secret ``alertDeadMansSwitchUrl`` (else nowhere)."""
    runbook_base_url: str | None = None
    """Prefix of each alert's ``runbook_url`` (``docs/runbooks.md#…`` follows it); None: the path alone."""


INGRESS_ROUTES: dict[str, str] = {"api": "api", "grafana": "grafana", "rayDashboard": "ray"}
"""Each route served over the ingress (``ingress.hosts`` key) and its default first label."""
LOCAL_INGRESS_DOMAIN = "genepool.localhost"
"""The default domain on a local cluster: ``*.localhost`` resolves to the loopback address without DNS."""
CERTIFICATE_NAME_LIMIT = 64
"""Characters a certificate's common name may have (ACM's ``DomainName`` and Let's Encrypt both refuse longer)."""


@dataclass(frozen=True)
class IngressConfig:
    """Where the API, Grafana and the Ray dashboard are served over HTTPS (docs/ingress.md)."""

    domain: str
    labels: dict[str, str]
    """Route (a key of :data:`INGRESS_ROUTES`) → first label of its host name under :attr:`domain`."""
    allowed_cidrs: tuple[str, ...] = ()
    """Source ranges the cloud load balancer admits; empty on a local cluster."""
    route53_zone_id: str | None = None
    """aws: the public hosted zone of :attr:`domain`."""
    port: int = 8443
    """local: the host port mapped to the controller's HTTPS node port (part of the external URLs)."""

    def host(self, route: str) -> str:
        """The host name of ``route`` (``api`` → ``api.example.com``)."""
        return f"{self.labels[route]}.{self.domain}"

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every route's host name, in :data:`INGRESS_ROUTES` order (the API's first: a certificate's common name)."""
        return tuple(self.host(route) for route in INGRESS_ROUTES)


@dataclass(frozen=True)
class SsoConfig:
    """An OpenID Connect client Grafana and the Ray dashboard's proxy sign users in with (docs/ingress.md)."""

    issuer_url: str
    auth_url: str
    token_url: str
    userinfo_url: str
    client_id: str
    email_domains: tuple[str, ...]
    """Domains whose users may sign in; ``("*",)``: every account the provider authenticates."""


@dataclass(frozen=True)
class StackConfig:
    cloud: str
    namespace: str
    image: str | None
    """None on a cloud stack before its first deploy (no Ray cluster, no workload); a bare ``sha256:`` digest
    means that image in the stack's registry."""
    cost_ceiling_usd_per_hour: float
    cluster: ClusterConfig
    redis: RedisConfig
    timescaledb: TimescaleConfig
    monitoring: MonitoringConfig
    ray: RayConfig
    api: ApiConfig
    evolution: EvolutionScheduleConfig
    alerting: AlertingConfig
    aws: AwsConfig | None = None
    """Set (and required) exactly when ``cloud`` is ``aws``."""
    market_data: MarketDataConfig | None = None
    """Set when the stack fetches its bars (``genepool:marketData``); else bars are imported by hand."""
    registry: RegistryConfig | None = None
    """Set exactly on the clouds (``genepool:registry``)."""
    ci: CiConfig | None = None
    """Set (and required) exactly when ``cloud`` is ``aws``."""
    ingress: IngressConfig = IngressConfig(domain=LOCAL_INGRESS_DOMAIN, labels=dict(INGRESS_ROUTES))
    """The external HTTPS names (``genepool:ingress``; required on a cloud)."""
    sso: SsoConfig | None = None
    """Single sign-on for Grafana and the Ray dashboard (``genepool:sso``; required on a cloud)."""

    @property
    def has_spot(self) -> bool:
        return self.cluster.worker_pool is not None and self.cluster.worker_pool.spot


T = TypeVar("T")


def required(value: T | None, key: str) -> T:
    """``value`` of the optional field ``key`` (a node pool, ``region``, a managed service's ``instanceType``), which
    validation sets wherever a platform reads it; a :class:`StackConfigError` if it is unset."""
    if value is None:
        raise StackConfigError(key, "is required on this cloud")
    return value


class _Section:
    """Typed reads from one config object, each error naming ``section.field``; unknown fields are refused.

    The readers are named after the type they return, so annotations below ``str`` spell ``builtins.str``."""

    def __init__(self, key: str, raw: Any, fields: tuple[str, ...]) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise StackConfigError(key, f"must be an object with fields {', '.join(fields)}")
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise StackConfigError(f"{key}.{unknown[0]}", f"unknown field; known fields: {', '.join(fields)}")
        self.key = key
        self.raw = raw

    def _get(self, name: str, default: Any, parse: Callable[[str, Any], T]) -> T:
        value = self.raw.get(name)
        if value is None:
            if default is _REQUIRED:
                raise StackConfigError(f"{self.key}.{name}", "is required")
            return default
        return parse(f"{self.key}.{name}", value)

    def int(self, name: str, default: Any, low: int, high: int) -> int:
        return self._get(name, default, lambda k, v: _int(k, v, low, high))

    def bool(self, name: str, default: Any) -> bool:
        return self._get(name, default, _bool)

    def str(self, name: str, default: Any, pattern: re.Pattern[str] | None = None, rule: str = "") -> str:
        return self._get(name, default, lambda k, v: _str(k, v, pattern, rule))

    def cpu(self, name: builtins.str, default: Any) -> builtins.str:
        return self.str(name, default, _CPU, "must be a CPU quantity such as 500m or 2")

    def memory(self, name: builtins.str, default: Any) -> builtins.str:
        return self.str(name, default, _MEMORY, "must be a memory quantity such as 512Mi or 2Gi")


_REQUIRED = object()


def _int(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise StackConfigError(key, f"must be an integer in [{low}, {high}], got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StackConfigError(key, f"must be an integer in [{low}, {high}], got {value!r}") from None
    if not number.is_integer() or not low <= number <= high:
        raise StackConfigError(key, f"must be an integer in [{low}, {high}], got {value!r}")
    return int(number)


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StackConfigError(key, f"must be true or false, got {value!r}")


def _str(key: str, value: Any, pattern: re.Pattern[str] | None, rule: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise StackConfigError(key, f"must be a non-empty string, got {value!r}")
    if pattern is not None and not pattern.match(value):
        raise StackConfigError(key, f"{rule}, got {value!r}")
    return value


def quantity_bytes(quantity: str) -> float:
    """Bytes in a Kubernetes memory quantity (``512Mi``) or a Redis size (``2gb``, 1024-based)."""
    units = {
        "ki": 2**10,
        "mi": 2**20,
        "gi": 2**30,
        "ti": 2**40,
        "k": 1e3,
        "m": 1e6,
        "g": 1e9,
        "t": 1e12,
        "kb": 2**10,
        "mb": 2**20,
        "gb": 2**30,
    }
    match = re.match(r"^(\d+(?:\.\d+)?)([A-Za-z]*)$", quantity)
    assert match, quantity
    number, unit = match.groups()
    return float(number) * (units[unit.lower()] if unit else 1)


def cpu_cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def _node_pool(key: str, raw: Any, cloud: str) -> NodePool:
    section = _Section(key, raw, ("instanceType", "minNodes", "maxNodes", "spot"))
    pool = NodePool(
        instance_type=section.str("instanceType", _REQUIRED),
        min_nodes=section.int("minNodes", _REQUIRED, 0, 100),
        max_nodes=section.int("maxNodes", _REQUIRED, 1, 100),
        spot=section.bool("spot", False),
    )
    if pool.min_nodes > pool.max_nodes:
        raise StackConfigError(f"{key}.minNodes", f"must be <= {key}.maxNodes ({pool.min_nodes} > {pool.max_nodes})")
    if pool.spot and cloud not in SPOT_CLOUDS:
        raise StackConfigError(
            f"{key}.spot",
            f"cloud {cloud!r} has no spot node pools; spot is available on {', '.join(sorted(SPOT_CLOUDS))}",
        )
    return pool


def _cluster(raw: Any, cloud: str) -> ClusterConfig:
    section = _Section(
        "cluster",
        raw,
        (
            "kubernetesVersion",
            "storageClass",
            "context",
            "kubeconfig",
            "region",
            "systemPool",
            "workerPool",
        ),
    )
    local = cloud == "local"
    for name in ("context", "kubeconfig") if not local else ("region", "systemPool", "workerPool"):
        if section.raw.get(name) is not None:
            raise StackConfigError(f"cluster.{name}", f"does not apply to cloud {cloud!r}")
    system_pool = worker_pool = None
    if not local:
        system_pool = _node_pool("cluster.systemPool", section.raw.get("systemPool"), cloud)
        if system_pool.spot:
            raise StackConfigError(
                "cluster.systemPool.spot", "the system pool runs the Ray head and operators: on-demand only"
            )
        if system_pool.min_nodes < 1:
            raise StackConfigError("cluster.systemPool.minNodes", "must be >= 1 (system services need a node)")
        worker_pool = _node_pool("cluster.workerPool", section.raw.get("workerPool"), cloud)
        if cloud == "aws" and worker_pool.min_nodes != 0:
            raise StackConfigError(
                "cluster.workerPool.minNodes",
                f"must be 0 on aws (got {worker_pool.min_nodes}): Karpenter starts worker nodes for pending Ray "
                "workers; keep workers warm with ray.minWorkers",
            )
    kubernetes_version = section.str(
        "kubernetesVersion", DEFAULT_KUBERNETES_VERSION, _K8S_VERSION, "must be a minor version such as 1.36"
    )
    return ClusterConfig(
        kubernetes_version=kubernetes_version,
        storage_class=section.str("storageClass", _REQUIRED, _DNS_LABEL, "must be a Kubernetes object name"),
        context=section.str("context", None) if local else None,
        kubeconfig_path=section.str("kubeconfig", None) if local else None,
        region=None if local else section.str("region", _REQUIRED),
        system_pool=system_pool,
        worker_pool=worker_pool,
    )


def _restricted_cidr(key: str, value: Any, whole_internet: str) -> str:
    """A CIDR block narrower than the whole internet (``/0`` is refused with ``whole_internet`` as the reason)."""
    try:
        network = ipaddress.ip_network(_str(key, value, None, ""), strict=True)
    except ValueError:
        raise StackConfigError(key, f"must be a CIDR block such as 203.0.113.0/24, got {value!r}") from None
    if network.prefixlen == 0:
        raise StackConfigError(key, f"{value} {whole_internet}")
    return str(network)


def _cidr(key: str, value: Any) -> str:
    return _restricted_cidr(
        key,
        value,
        "opens the Kubernetes API endpoint to the whole internet; list your office/VPN/CI egress ranges, or [] for "
        "a private endpoint",
    )


def _principal(key: str, value: Any) -> str:
    return _str(
        key, value, _IAM_PRINCIPAL_ARN, "must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/ci"
    )


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _email(key: str, value: Any) -> str:
    return _str(key, value, _EMAIL, "must be an e-mail address such as oncall@example.com")


def _string_list(key: str, value: Any, item: Callable[[str, Any], str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise StackConfigError(key, f"must be a list, got {value!r}")
    items = tuple(item(f"{key}[{index}]", entry) for index, entry in enumerate(value))
    if len(set(items)) != len(items):
        raise StackConfigError(key, f"must not repeat an entry, got {value!r}")
    return items


def _aws(raw: Any, cloud: str) -> AwsConfig | None:
    if cloud != "aws":
        if raw is not None:
            raise StackConfigError("aws", f"does not apply to cloud {cloud!r}")
        return None
    section = _Section(
        "aws",
        raw,
        (
            "publicAccessCidrs",
            "deployerRoleArn",
            "adminPrincipalArns",
            "rootVolumeGiB",
            "logRetentionDays",
            "backupRetentionDays",
            "spotServiceLinkedRole",
            "backupVaultForceDestroy",
            "natGateways",
            "backupAlertEmails",
        ),
    )
    if "publicAccessCidrs" not in section.raw:
        raise StackConfigError(
            "aws.publicAccessCidrs", "is required: the CIDRs allowed to reach the EKS API ([] for a private endpoint)"
        )
    if not section.raw.get("backupAlertEmails"):
        raise StackConfigError(
            "aws.backupAlertEmails",
            "is required: at least one e-mail address to tell when a backup job fails (AWS Backup → EventBridge → SNS)",
        )
    log_retention = section.int("logRetentionDays", 90, 1, 3653)
    if log_retention not in LOG_RETENTION_DAYS:
        raise StackConfigError(
            "aws.logRetentionDays",
            f"must be a retention CloudWatch Logs accepts ({', '.join(map(str, LOG_RETENTION_DAYS))}), "
            f"got {log_retention}",
        )
    return AwsConfig(
        public_access_cidrs=_string_list("aws.publicAccessCidrs", section.raw["publicAccessCidrs"], _cidr),
        deployer_role_arn=section._get("deployerRoleArn", _REQUIRED, _principal),
        admin_principal_arns=_string_list("aws.adminPrincipalArns", section.raw.get("adminPrincipalArns"), _principal),
        root_volume_gib=section.int("rootVolumeGiB", 100, 20, 16384),
        log_retention_days=log_retention,
        backup_retention_days=section.int("backupRetentionDays", 35, 1, 3650),
        spot_service_linked_role=section.str(
            "spotServiceLinkedRole",
            "create",
            _SPOT_SERVICE_LINKED_ROLE,
            "must be create (the stack creates the EC2 Spot service-linked role) or existing (the account has it)",
        ),
        backup_vault_force_destroy=section.bool("backupVaultForceDestroy", False),
        nat_gateways=_nat_gateways(section.raw.get("natGateways")),
        backup_alert_emails=_string_list("aws.backupAlertEmails", section.raw["backupAlertEmails"], _email),
    )


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_ROUTE53_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


def _ingress_cidr(key: str, value: Any) -> str:
    return _restricted_cidr(
        key, value, "opens the load balancer to the whole internet; list your office/VPN/CI egress ranges"
    )


def _ingress(raw: Any, cloud: str) -> IngressConfig:
    section = _Section("ingress", raw, ("domain", "hosts", "allowedCidrs", "route53ZoneId", "port"))
    local = cloud == "local"
    if raw is None and not local:
        raise StackConfigError(
            "ingress",
            "is required on a cloud: set genepool:ingress.domain and genepool:ingress.allowedCidrs (docs/ingress.md)",
        )
    domain = section.str(
        "domain",
        LOCAL_INGRESS_DOMAIN if local else _REQUIRED,
        _DOMAIN,
        "must be a lower-case DNS domain such as genepool.example.com",
    )
    hosts = _Section("ingress.hosts", section.raw.get("hosts"), tuple(INGRESS_ROUTES))
    labels = {
        route: hosts.str(route, default, _DNS_LABEL, "must be one DNS label such as api")
        for route, default in INGRESS_ROUTES.items()
    }
    if len(set(labels.values())) != len(labels):
        raise StackConfigError("ingress.hosts", f"must give each route its own name, got {labels!r}")
    for route, label in labels.items():
        if len(f"{label}.{domain}") > CERTIFICATE_NAME_LIMIT:
            raise StackConfigError(
                f"ingress.hosts.{route}",
                f"{label}.{domain} is longer than {CERTIFICATE_NAME_LIMIT} characters, the most a certificate's "
                "common name may have",
            )
    for key, applies in (("allowedCidrs", not local), ("route53ZoneId", cloud == "aws"), ("port", local)):
        if not applies and key in section.raw:
            raise StackConfigError(f"ingress.{key}", f"does not apply to cloud {cloud!r}")
    cidrs: tuple[str, ...] = ()
    if not local:
        cidrs = _string_list("ingress.allowedCidrs", section.raw.get("allowedCidrs"), _ingress_cidr)
        if not cidrs:
            raise StackConfigError(
                "ingress.allowedCidrs",
                "is required: the CIDRs allowed to reach the load balancer (office/VPN/CI egress ranges)",
            )
    zone = None
    if cloud == "aws":
        zone = section.str(
            "route53ZoneId",
            _REQUIRED,
            _ROUTE53_ZONE_ID,
            "must be a Route53 hosted zone ID such as Z0123456789ABCDEFGHIJ",
        )
    return IngressConfig(
        domain=domain,
        labels=labels,
        allowed_cidrs=cidrs,
        route53_zone_id=zone,
        port=section.int("port", 8443, 1024, 65535) if local else 443,
    )


AWS_ZONES = 3
"""Availability zones an AWS stack spreads over (infra/platforms/aws/pools.py ``ZONES`` is the same number)."""


def _nat_gateways(value: Any) -> int | None:
    """``aws.natGateways``: None for ``perZone`` (the default), 1 for ``single``, else a count 1..AWS_ZONES."""
    rule = f"must be perZone, single or a count from 1 to {AWS_ZONES}, got {value!r}"
    if value is None or value == "perZone":
        return None
    if value == "single":
        return 1
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= AWS_ZONES:
        raise StackConfigError("aws.natGateways", rule)
    return value


_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
)
RUNNER_COMPUTE: tuple[str, ...] = (
    "BUILD_GENERAL1_SMALL",
    "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_LARGE",
)
"""CodeBuild Linux container compute types a runner may use (3, 7 and 15 GB of memory)."""


def _ci(raw: Any, cloud: str) -> CiConfig | None:
    if cloud != "aws":
        if raw is not None:
            raise StackConfigError("ci", f"does not apply to cloud {cloud!r}")
        return None
    section = _Section("ci", raw, ("repository", "connectionArn", "previewRoleArn", "runnerCompute"))
    return CiConfig(
        repository=section.str("repository", _REQUIRED, _GITHUB_REPOSITORY, "must be a GitHub owner/name"),
        connection_arn=section.str(
            "connectionArn",
            _REQUIRED,
            _CONNECTION_ARN,
            "must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)",
        ),
        preview_role_arn=section._get("previewRoleArn", _REQUIRED, _principal),
        runner_compute=section.str(
            "runnerCompute",
            "BUILD_GENERAL1_MEDIUM",
            re.compile(f"^({'|'.join(RUNNER_COMPUTE)})$"),
            "must be one of " + ", ".join(RUNNER_COMPUTE),
        ),
    )


REGISTRY_TIERS: tuple[str, ...] = ("starter", "basic", "professional")
_DOCR_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$")


def _registry(raw: Any, cloud: str) -> RegistryConfig | None:
    if cloud == "local":
        if raw is not None:
            raise StackConfigError("registry", "does not apply to cloud 'local' (load the image into the cluster)")
        return None
    digitalocean = cloud == "digitalocean"
    section = _Section("registry", raw, ("name", "tier") if digitalocean else ("keepImages",))
    return RegistryConfig(
        name=(
            section.str(
                "name", _REQUIRED, _DOCR_NAME, "must be 3-63 lower-case letters, digits or dashes (a DOCR name)"
            )
            if digitalocean
            else None
        ),
        tier=section.str(
            "tier",
            "basic",
            re.compile(f"^({'|'.join(REGISTRY_TIERS)})$"),
            "must be one of " + ", ".join(REGISTRY_TIERS),
        )
        if digitalocean
        else None,
        keep_images=None if digitalocean else section.int("keepImages", 200, 10, 10000),
    )


def _image(raw: Any, cloud: str) -> str | None:
    if raw is None and cloud != "local":
        return None
    image = _str("image", raw, None, "")
    if images.is_digest(image):
        if cloud == "local":
            raise StackConfigError(
                "image",
                f"a bare digest names an image of a cloud stack's registry; local needs repo:tag, got {image!r}",
            )
        return image
    problem = images.pinning_problem(image)
    if problem:
        raise StackConfigError("image", f"{problem}, got {image!r}")
    return image


def _redis(raw: Any, cloud: str) -> RedisConfig:
    section = _Section("redis", raw, ("managed", "instanceType", "maxMemory", "volumeSize", "cpu", "memory"))
    managed = section.bool("managed", False)
    if managed and cloud not in MANAGED_REDIS_CLOUDS:
        raise StackConfigError(
            "redis.managed",
            f"cloud {cloud!r} has no managed Redis; managed Redis is available on "
            f"{', '.join(sorted(MANAGED_REDIS_CLOUDS))}",
        )
    config = RedisConfig(
        managed=managed,
        instance_type=section.str("instanceType", _REQUIRED) if managed else None,
        max_memory=section.str("maxMemory", "2gb", _REDIS_SIZE, "must be a Redis size such as 512mb or 2gb"),
        volume_size=section.memory("volumeSize", "20Gi"),
        cpu=section.cpu("cpu", "500m"),
        memory=section.memory("memory", "2560Mi"),
    )
    if not managed and quantity_bytes(config.max_memory) >= quantity_bytes(config.memory):
        raise StackConfigError(
            "redis.maxMemory",
            f"must be below redis.memory ({config.max_memory} >= {config.memory}): "
            "the container limit must leave room for Redis's own overhead",
        )
    return config


def _timescaledb(raw: Any, cloud: str) -> TimescaleConfig:
    section = _Section(
        "timescaledb",
        raw,
        (
            "managed",
            "instanceType",
            "volumeSize",
            "maxConnections",
            "sharedBuffers",
            "effectiveCacheSize",
            "workMem",
            "maintenanceWorkMem",
            "cpu",
            "memory",
            "walArchive",
        ),
    )
    managed = section.bool("managed", False)
    if managed and cloud not in MANAGED_TIMESCALEDB_CLOUDS:
        raise StackConfigError(
            "timescaledb.managed",
            f"cloud {cloud!r} has no managed PostgreSQL with the timescaledb "
            f"extension; it is available on {', '.join(sorted(MANAGED_TIMESCALEDB_CLOUDS))}",
        )
    pg_rule = "must be a PostgreSQL size such as 256MB or 1GB"
    config = TimescaleConfig(
        managed=managed,
        instance_type=section.str("instanceType", _REQUIRED) if managed else None,
        volume_size=section.memory("volumeSize", "100Gi"),
        max_connections=section.int("maxConnections", 200, 10, 5000),
        shared_buffers=section.str("sharedBuffers", "1GB", _PG_SIZE, pg_rule),
        effective_cache_size=section.str("effectiveCacheSize", "3GB", _PG_SIZE, pg_rule),
        work_mem=section.str("workMem", "5MB", _PG_SIZE, pg_rule),
        maintenance_work_mem=section.str("maintenanceWorkMem", "256MB", _PG_SIZE, pg_rule),
        cpu=section.cpu("cpu", "1"),
        memory=section.memory("memory", "4Gi"),
        wal_archive=_wal_archive(section.raw.get("walArchive"), cloud, managed),
    )
    if not managed and quantity_bytes(config.shared_buffers.replace("B", "b")) >= quantity_bytes(config.memory):
        raise StackConfigError(
            "timescaledb.sharedBuffers",
            f"must be below timescaledb.memory ({config.shared_buffers} >= {config.memory})",
        )
    return config


def _wal_archive(raw: Any, cloud: str, managed: bool) -> WalArchiveConfig:
    """``timescaledb.walArchive``: on for an in-cluster database on a cloud (turning it off is refused: that
    database's only copies would be the daily volume snapshots), off on ``local`` (no object storage)."""
    key = "timescaledb.walArchive"
    if managed:
        if raw is not None:
            raise StackConfigError(
                key, "does not apply to a managed database (it has the provider's point-in-time recovery)"
            )
        return WalArchiveConfig(enabled=False)
    section = _Section(
        key,
        raw,
        (
            "enabled",
            "retentionFull",
            "fullEveryDays",
            "diffEveryHours",
            "archiveTimeoutSeconds",
            "noncurrentVersionDays",
        ),
    )
    local = cloud == "local"
    enabled = section.bool("enabled", not local)
    if local and enabled:
        raise StackConfigError(
            f"{key}.enabled",
            "cloud 'local' has no object storage to archive to; dev's data is rebuilt from the exchange (leave it "
            "off, docs/backups.md#dev)",
        )
    if not local and not enabled:
        raise StackConfigError(
            f"{key}.enabled",
            f"must be true on cloud {cloud!r}: an in-cluster database without WAL archiving has no point-in-time "
            "recovery (docs/backups.md)",
        )
    return WalArchiveConfig(
        enabled=enabled,
        retention_full=section.int("retentionFull", 4, 1, 52),
        full_every_days=section.int("fullEveryDays", 7, 1, 31),
        diff_every_hours=section.int("diffEveryHours", 24, 1, 168),
        archive_timeout_seconds=section.int("archiveTimeoutSeconds", 60, 60, 3600),
        noncurrent_version_days=section.int("noncurrentVersionDays", 30, 1, 3650),
    )


_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s?#]*)?$")
_EMAIL_DOMAIN = re.compile(r"^(\*|([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$")


def _sso(raw: Any, cloud: str) -> SsoConfig | None:
    """``sso``: required on a cloud, where the Ray dashboard is served publicly and only the proxy signs people in."""
    if raw is None:
        if cloud != "local":
            raise StackConfigError(
                "sso",
                "is required on a cloud: the Ray dashboard is served publicly (ingress.hosts.rayDashboard) and only "
                "the single-sign-on proxy lets a browser in; set genepool:sso.issuerUrl, authUrl, tokenUrl, "
                "userinfoUrl, clientId, emailDomains and the secret genepool:ssoClientSecret (docs/ingress.md)",
            )
        return None
    section = _Section("sso", raw, ("issuerUrl", "authUrl", "tokenUrl", "userinfoUrl", "clientId", "emailDomains"))
    url_rule = "must be an https URL without query"
    domains = section.raw.get("emailDomains")
    if not isinstance(domains, list) or not domains:
        raise StackConfigError(
            "sso.emailDomains",
            f"is required: a list of e-mail domains whose users may sign in, or ['*'] for every account the "
            f"provider authenticates, got {domains!r}",
        )
    email_domains = _string_list(
        "sso.emailDomains",
        domains,
        lambda key, value: _str(
            key, value, _EMAIL_DOMAIN, "must be a lower-case e-mail domain such as example.com or *"
        ),
    )
    if "*" in email_domains and len(email_domains) > 1:
        raise StackConfigError("sso.emailDomains", f"'*' admits every domain: list it alone, got {domains!r}")
    return SsoConfig(
        issuer_url=section.str("issuerUrl", _REQUIRED, _HTTPS_URL, url_rule),
        auth_url=section.str("authUrl", _REQUIRED, _HTTPS_URL, url_rule),
        token_url=section.str("tokenUrl", _REQUIRED, _HTTPS_URL, url_rule),
        userinfo_url=section.str("userinfoUrl", _REQUIRED, _HTTPS_URL, url_rule),
        client_id=section.str("clientId", _REQUIRED),
        email_domains=email_domains,
    )


def _monitoring(raw: Any) -> MonitoringConfig:
    section = _Section("monitoring", raw, ("retentionDays", "volumeSize", "grafanaVolumeSize", "replicas"))
    return MonitoringConfig(
        retention_days=section.int("retentionDays", 30, 1, 3650),
        volume_size=section.memory("volumeSize", "50Gi"),
        grafana_volume_size=section.memory("grafanaVolumeSize", "10Gi"),
        replicas=section.int("replicas", 1, 1, 3),
    )


def _ray(raw: Any) -> RayConfig:
    section = _Section("ray", raw, ("headCpu", "headMemory", "workerCpu", "workerMemory", "minWorkers", "maxWorkers"))
    config = RayConfig(
        head_cpu=section.cpu("headCpu", "2"),
        head_memory=section.memory("headMemory", "8Gi"),
        worker_cpu=section.cpu("workerCpu", "4"),
        worker_memory=section.memory("workerMemory", "8Gi"),
        min_workers=section.int("minWorkers", 0, 0, 1000),
        max_workers=section.int("maxWorkers", 4, 1, 1000),
    )
    if config.min_workers > config.max_workers:
        raise StackConfigError(
            "ray.minWorkers", f"must be <= ray.maxWorkers ({config.min_workers} > {config.max_workers})"
        )
    if cpu_cores(config.worker_cpu) < 1:
        raise StackConfigError(
            "ray.workerCpu", f"must be at least 1 CPU (Ray schedules whole CPUs), got {config.worker_cpu}"
        )
    return config


def _api(raw: Any) -> ApiConfig:
    section = _Section(
        "api",
        raw,
        (
            "minReplicas",
            "maxReplicas",
            "targetCpuPercent",
            "targetMemoryPercent",
            "cpuRequest",
            "cpuLimit",
            "memoryRequest",
            "memoryLimit",
        ),
    )
    config = ApiConfig(
        min_replicas=section.int("minReplicas", 3, 1, 100),
        max_replicas=section.int("maxReplicas", 10, 1, 100),
        target_cpu_percent=section.int("targetCpuPercent", 70, 1, 100),
        target_memory_percent=section.int("targetMemoryPercent", 80, 1, 100),
        cpu_request=section.cpu("cpuRequest", "500m"),
        cpu_limit=section.cpu("cpuLimit", "2"),
        memory_request=section.memory("memoryRequest", "512Mi"),
        memory_limit=section.memory("memoryLimit", "2Gi"),
    )
    if config.min_replicas > config.max_replicas:
        raise StackConfigError(
            "api.minReplicas", f"must be <= api.maxReplicas ({config.min_replicas} > {config.max_replicas})"
        )
    if cpu_cores(config.cpu_request) > cpu_cores(config.cpu_limit):
        raise StackConfigError("api.cpuRequest", f"must be <= api.cpuLimit ({config.cpu_request} > {config.cpu_limit})")
    if quantity_bytes(config.memory_request) > quantity_bytes(config.memory_limit):
        raise StackConfigError(
            "api.memoryRequest", f"must be <= api.memoryLimit ({config.memory_request} > {config.memory_limit})"
        )
    return config


def _schedule(key: str, value: Any) -> str:
    fields = value.split() if isinstance(value, str) else []
    if len(fields) != 5 or not all(_CRON_FIELD.match(field) for field in fields):
        raise StackConfigError(key, f"must be a 5-field cron expression such as '0 */6 * * *', got {value!r}")
    return value


def _evolution(raw: Any, market_symbols: tuple[str, ...] | None = None) -> EvolutionScheduleConfig:
    """``market_symbols``: the stored names of ``marketData.symbols`` when the stack fetches its bars; they are then
    the evolved symbols (one list), and ``evolution.symbols`` must not be set."""
    section = _Section(
        "evolution", raw, ("schedule", "symbols", "population", "generations", "randomSeed", "deadlineSeconds")
    )
    symbols = section.raw.get("symbols")
    if market_symbols is not None:
        if symbols is not None:
            raise StackConfigError(
                "evolution.symbols",
                "must not be set together with marketData.symbols: the stack evolves exactly the symbols it fetches "
                "(the names of marketData.symbols)",
            )
        symbols = list(market_symbols)
    if not isinstance(symbols, list) or not symbols:
        raise StackConfigError("evolution.symbols", f"must be a non-empty list of symbols, got {symbols!r}")
    for index, symbol in enumerate(symbols):
        _str(f"evolution.symbols[{index}]", symbol, _SYMBOL, f"must be {_SYMBOL_RULE}")
    if len(set(symbols)) != len(symbols):
        raise StackConfigError("evolution.symbols", f"must not repeat a symbol, got {symbols!r}")
    return EvolutionScheduleConfig(
        schedule=section._get("schedule", "0 */6 * * *", _schedule),
        symbols=tuple(symbols),
        population=section.int("population", 50, 2, 100_000),
        generations=section.int("generations", 10, 1, 100_000),
        random_seed=section.int("randomSeed", _REQUIRED, 0, 2**32 - 1),
        deadline_seconds=section.int("deadlineSeconds", 10800, 600, 604800),
    )


def _market_symbols(raw: Any) -> tuple[tuple[str, str], ...]:
    """``(stored name, exchange symbol)`` pairs: from a list of exchange symbols, each stored under its instrument
    name (``BTC/USDT:USDT`` on binance → ``binance:BTCUSDT-PERP``, :mod:`workloads.market.names`); from a map, under
    the name given (a store written before instrument names)."""
    key = "marketData.symbols"
    if not isinstance(raw, Mapping):
        raise StackConfigError("marketData", "must be an object with fields exchange, symbols, timeframe, …")
    symbols = raw.get("symbols")
    rule = "must be the exchange's ccxt symbol such as BTC/USDT:USDT"
    if isinstance(symbols, list) and symbols:
        exchange = _str("marketData.exchange", raw.get("exchange"), _EXCHANGE_ID, "must be a ccxt exchange id")
        pairs = []
        for index, exchange_symbol in enumerate(symbols):
            _str(f"{key}[{index}]", exchange_symbol, _EXCHANGE_SYMBOL, rule)
            try:
                pairs.append((instrument_name(exchange, exchange_symbol), exchange_symbol))
            except ValueError as exc:
                raise StackConfigError(f"{key}[{index}]", str(exc)) from None
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise StackConfigError(key, f"must not name one instrument twice, got {symbols!r}")
        return tuple(pairs)
    if not isinstance(symbols, Mapping) or not symbols:
        raise StackConfigError(
            key,
            "must be a non-empty list of exchange symbols ([BTC/USDT:USDT], stored as binance:BTCUSDT-PERP) or map "
            f"of stored name to exchange symbol (BTCUSDT: BTC/USDT:USDT), got {symbols!r}",
        )
    pairs = []
    for name, exchange_symbol in symbols.items():
        _str(f"{key}.{name}", name, _SYMBOL, f"must be {_SYMBOL_RULE}")
        pairs.append((str(name), _str(f"{key}.{name}", exchange_symbol, _EXCHANGE_SYMBOL, rule)))
    return tuple(pairs)


def _fetch_schedule(key: str, value: Any) -> str:
    """A cron schedule running at least hourly (hour and day fields ``*``): the MarketDataStale alert allows three
    intervals of at least an hour."""
    _schedule(key, value)
    if value.split()[1:] != ["*", "*", "*", "*"]:
        raise StackConfigError(
            key, f"must run every hour or more often (hour and day fields '*', such as '50 * * * *'), got {value!r}"
        )
    return str(value)


def _default_fetch_schedule(evolution_schedule: str) -> str:
    minute = evolution_schedule.split()[0]
    if not minute.isdigit():
        raise StackConfigError(
            "marketData.schedule",
            f"is required when evolution.schedule's minute is not a single number ({evolution_schedule!r}); set an "
            "hourly schedule that runs shortly before each evolution slot",
        )
    return f"{(int(minute) - FETCH_LEAD_MINUTES) % 60} * * * *"


def _market_data(raw: Any, evolution: EvolutionScheduleConfig) -> MarketDataConfig:
    section = _Section(
        "marketData",
        raw,
        ("exchange", "timeframe", "symbols", "backfillDays", "schedule", "deadlineSeconds", "exchangeUrl"),
    )
    return MarketDataConfig(
        exchange=section.str("exchange", _REQUIRED, _EXCHANGE_ID, "must be a ccxt exchange id such as binance"),
        timeframe=section.str("timeframe", "1h", _TIMEFRAME, "must be a timeframe such as 1m, 15m, 1h or 1d"),
        symbols=_market_symbols(section.raw),
        backfill_days=section.int("backfillDays", 365, 1, 3650),
        schedule=section._get("schedule", None, _fetch_schedule) or _default_fetch_schedule(evolution.schedule),
        deadline_seconds=section.int("deadlineSeconds", 1800, 60, 86400),
        exchange_url=section.str("exchangeUrl", None, _BASE_URL, "must be an http(s) base URL without query"),
    )


def _alerting(raw: Any) -> AlertingConfig:
    section = _Section("alerting", raw, ("receivers", "slackChannel", "deadMansSwitch", "runbookBaseUrl"))
    receivers = section.raw.get("receivers", [])
    kinds = ", ".join(ALERT_RECEIVER_SECRETS)
    if not isinstance(receivers, list) or any(r not in ALERT_RECEIVER_SECRETS for r in receivers):
        raise StackConfigError("alerting.receivers", f"must be a list of receivers among {kinds}, got {receivers!r}")
    if len(set(receivers)) != len(receivers):
        raise StackConfigError("alerting.receivers", f"must not repeat a receiver, got {receivers!r}")
    slack = "slack" in receivers
    if not slack and section.raw.get("slackChannel") is not None:
        raise StackConfigError("alerting.slackChannel", "applies only with the slack receiver in alerting.receivers")
    channel = (
        section.str("slackChannel", _REQUIRED, _SLACK_CHANNEL, "must be a Slack channel such as #alerts")
        if slack
        else None
    )
    return AlertingConfig(
        receivers=tuple(receivers),
        slack_channel=channel,
        dead_mans_switch=section.bool("deadMansSwitch", False),
        runbook_base_url=section.str(
            "runbookBaseUrl", None, _RUNBOOK_BASE_URL, "must be an https URL ending in / (where docs/ is read)"
        ),
    )


def parse(raw: Mapping[str, Any]) -> StackConfig:
    """Validate decoded stack config (keys without the ``genepool:`` prefix, objects as dicts) into a StackConfig."""
    cloud = raw.get("cloud")
    if cloud not in CLOUDS:
        raise StackConfigError("cloud", f"must be one of {', '.join(CLOUDS)}, got {cloud!r}")
    image = _image(raw.get("image"), cloud)
    try:
        ceiling = float(raw["costCeilingUsdPerHour"])
    except (KeyError, TypeError, ValueError):
        raise StackConfigError(
            "costCeilingUsdPerHour", f"must be a number of USD per hour > 0, got {raw.get('costCeilingUsdPerHour')!r}"
        ) from None
    if not ceiling > 0:
        raise StackConfigError("costCeilingUsdPerHour", f"must be a number of USD per hour > 0, got {ceiling!r}")
    market_raw = raw.get("marketData")
    market_symbols = None if market_raw is None else tuple(name for name, _ in _market_symbols(market_raw))
    evolution = _evolution(raw.get("evolution"), market_symbols)
    return StackConfig(
        cloud=cloud,
        namespace=_str(
            "namespace", raw.get("namespace", "genepool"), _DNS_LABEL, "must be a Kubernetes namespace name"
        ),
        image=image,
        cost_ceiling_usd_per_hour=ceiling,
        cluster=_cluster(raw.get("cluster"), cloud),
        redis=_redis(raw.get("redis"), cloud),
        timescaledb=_timescaledb(raw.get("timescaledb"), cloud),
        monitoring=_monitoring(raw.get("monitoring")),
        ray=_ray(raw.get("ray")),
        api=_api(raw.get("api")),
        evolution=evolution,
        aws=_aws(raw.get("aws"), cloud),
        alerting=_alerting(raw.get("alerting")),
        market_data=None if market_raw is None else _market_data(market_raw, evolution),
        registry=_registry(raw.get("registry"), cloud),
        ci=_ci(raw.get("ci"), cloud),
        ingress=_ingress(raw.get("ingress"), cloud),
        sso=_sso(raw.get("sso"), cloud),
    )


SCALAR_KEYS: tuple[str, ...] = ("cloud", "namespace", "image", "costCeilingUsdPerHour")
OBJECT_KEYS: tuple[str, ...] = (
    "cluster",
    "redis",
    "timescaledb",
    "monitoring",
    "ray",
    "api",
    "evolution",
    "alerting",
    "aws",
    "marketData",
    "registry",
    "ci",
    "ingress",
    "sso",
)


def load() -> StackConfig:
    """Read and validate the current stack's ``genepool:*`` config (the program's entry point)."""
    config = pulumi.Config(NAMESPACE)
    raw: dict[str, Any] = {key: config.get(key) for key in SCALAR_KEYS}
    for key in OBJECT_KEYS:
        try:
            raw[key] = config.get_object(key)
        except pulumi.config.ConfigTypeError:
            raise StackConfigError(key, "must be an object (a YAML map in the stack file)") from None
    raw = {key: value for key, value in raw.items() if value is not None}
    return parse(raw)


def require_secret(key: str) -> pulumi.Output[str]:
    """A secret config value as a secret Output; refuses a missing value or one stored in plain text."""
    config = pulumi.Config(NAMESPACE)
    if pulumi.runtime.get_config(f"{NAMESPACE}:{key}") is None:
        raise StackConfigError(key, f"is required; set it with: pulumi config set --secret {NAMESPACE}:{key} <value>")
    if not pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}"):
        raise StackConfigError(
            key, f"is stored in plain text; set it with: pulumi config set --secret {NAMESPACE}:{key} <value>"
        )
    return config.require_secret(key)


def receiver_secrets(alerting: AlertingConfig) -> dict[str, pulumi.Output[str]]:
    """The secret URL or key of each configured Alertmanager receiver, by receiver kind (the dead man's switch as
    :data:`DEAD_MANS_SWITCH`); each must be set with ``pulumi config set --secret`` (:func:`require_secret`)."""
    secrets = {kind: require_secret(ALERT_RECEIVER_SECRETS[kind]) for kind in alerting.receivers}
    if alerting.dead_mans_switch:
        secrets[DEAD_MANS_SWITCH] = require_secret(DEAD_MANS_SWITCH_SECRET)
    return secrets


def sso_client_secret(sso: SsoConfig | None) -> pulumi.Output[str] | None:
    """The OpenID Connect client secret (``ssoClientSecret``, set with ``pulumi config set --secret``) when ``sso``
    is configured."""
    return None if sso is None else require_secret(SSO_CLIENT_SECRET)
