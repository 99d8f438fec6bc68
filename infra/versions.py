"""Pinned versions of everything the program deploys, and their support calendar.

Bump here, in one place. Every pin is a :class:`Release` that records when it was released, until when its project
supports it (``None`` where the project publishes no date) and where both came from; every Kubernetes minor a
stack may run is a :class:`KubernetesMinor` of its platform's calendar (EKS, DOKS, upstream for local clusters).
:data:`CONSTRAINTS` are the documented compatibility rules between pins. ``tests/infra/test_versions.py`` fails
when a pin is past its end of support on the day it runs (:func:`expired`), or when two pins break a rule
(:func:`incompatible`).

Dates are ISO calendar dates (UTC). Sources name the project's own release tags (their dates) and the platforms'
version calendars, as read in December 2026. docs/operations.md#versions-and-upgrades is the upgrade runbook.

Ray moves in three places together: :data:`RAY` here (the RayCluster's ``rayVersion``), the base image of
``images/workload.Dockerfile`` and the ``ray`` extra of ``pyproject.toml`` (a client of another Ray version cannot
join the cluster); tests hold them equal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from infra.config import StackConfigError


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.14.1"`` → ``(1, 14, 1)``; a ``v`` prefix and any ``-suffix`` (``-pg16``) are ignored."""
    match = re.match(r"^v?(\d+(?:\.\d+)*)", version)
    if match is None:
        raise ValueError(f"not a dotted version: {version!r}")
    return tuple(int(part) for part in match[1].split("."))


@dataclass(frozen=True)
class Release:
    """One pinned release: a Helm chart version or an image tag (``version``) and what it ships (``app``)."""

    component: str
    version: str
    released: dt.date
    end_of_support: dt.date | None
    """Last day the project supports this release line; ``None`` where it publishes no date (``support`` says
    what it does promise instead)."""
    source: str
    app: str = ""
    """What the chart or image ships, as ``name version`` (``prometheus-operator v0.93.1``); empty when it is the
    component itself."""
    support: str = ""
    """The project's support policy in a sentence, where ``end_of_support`` alone does not say it."""

    @property
    def app_version(self) -> str:
        """The version part of :attr:`app` (``v0.93.1``), or :attr:`version` when ``app`` is empty."""
        return self.app.rsplit(" ", 1)[-1] if self.app else self.version


@dataclass(frozen=True)
class KubernetesMinor:
    """One Kubernetes minor on one platform's calendar. ``end_of_extended_support`` is the last day the platform
    runs it at all (``None`` where it has no extended support: past ``end_of_standard_support`` it force-upgrades)."""

    platform: str
    minor: str
    released: dt.date
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date | None
    source: str


@dataclass(frozen=True)
class Constraint:
    """``component`` at ``version`` needs ``needs`` in ``[at_least, below)`` (``below`` ``None``: no upper bound)."""

    component: str
    version: str
    needs: str
    at_least: str
    below: str | None
    source: str

    def admits(self, version: str) -> bool:
        found = version_tuple(version)
        if found < version_tuple(self.at_least):
            return False
        return self.below is None or found < version_tuple(self.below)


# --- the pins ----------------------------------------------------------------------------------------------------

RAY_VERSION = "2.60.0"
"""Ray with token authentication (``RAY_AUTH_MODE=token``, since 2.52.0); ``images/build-ray-standin.sh`` reads
this line."""
RAY = Release(
    "Ray",
    RAY_VERSION,
    dt.date(2026, 10, 31),
    None,
    "PyPI ray 2.60.0, the newest 2.x (its cp311 manylinux wheel was built 2026-10-31: ray/_version.py)",
    support="no published support window; KubeRay supports Ray from 2.38.0 with no upper bound in 2.x",
)
RAY_IMAGE = f"rayproject/ray:{RAY_VERSION}-py311"
"""The workload image's base (``images/workload.Dockerfile``)."""

KUBERAY = Release(
    "KubeRay operator chart",
    "1.7.0",
    dt.date(2026, 8, 20),
    None,
    "ray-project/kuberay tag v1.7.0 (released 2026-08-20); helm-chart/kuberay-operator/Chart.yaml version 1.7.0",
    app="KubeRay 1.7.0",
    support="no published support window; fixes ship as patches of the newest minor (v1.7.1 is out)",
)
KUBERAY_OPERATOR_CHART = "kuberay-operator"
KUBERAY_OPERATOR_VERSION = KUBERAY.version
KUBERAY_OPERATOR_REPO = "https://ray-project.github.io/kuberay-helm/"
KUBERAY_CRD_FILES = ("ray.io_rayclusters.yaml", "ray.io_rayjobs.yaml", "ray.io_raycronjobs.yaml")
"""The CRDs of the kinds we create or may create (KubeRay publishes no CRD-only chart): applied from the release
tag's ``helm-chart/kuberay-operator/crds/`` (:func:`kuberay_crd_urls`)."""


def kuberay_crd_urls(version: str = KUBERAY_OPERATOR_VERSION) -> list[str]:
    """The KubeRay CRD manifests at release tag ``v<version>`` (the same files the chart's ``crds/`` ships)."""
    base = f"https://raw.githubusercontent.com/ray-project/kuberay/v{version}/helm-chart/kuberay-operator/crds"
    return [f"{base}/{name}" for name in KUBERAY_CRD_FILES]


KUBE_PROMETHEUS_STACK = Release(
    "kube-prometheus-stack chart",
    "88.5.3",
    dt.date(2026, 8, 21),
    None,
    "prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (2026-08-21)",
    app="prometheus-operator v0.93.1",
    support="no published support window; fixes ship as new chart versions",
)
KUBE_PROMETHEUS_STACK_CHART = "kube-prometheus-stack"
KUBE_PROMETHEUS_STACK_VERSION = KUBE_PROMETHEUS_STACK.version
KUBE_PROMETHEUS_STACK_REPO = "https://prometheus-community.github.io/helm-charts"
PROMETHEUS_OPERATOR_CRDS = Release(
    "prometheus-operator-crds chart",
    "31.0.1",
    dt.date(2026, 8, 10),
    None,
    "prometheus-community/helm-charts tag prometheus-operator-crds-31.0.1 (2026-08-10), appVersion v0.93.1: the "
    "operator kube-prometheus-stack 88.5.3 runs",
    app="prometheus-operator v0.93.1",
    support="moves with kube-prometheus-stack (same operator version)",
)
PROMETHEUS_OPERATOR_CRDS_CHART = "prometheus-operator-crds"
PROMETHEUS_OPERATOR_CRDS_VERSION = PROMETHEUS_OPERATOR_CRDS.version

KARPENTER = Release(
    "Karpenter chart",
    "1.14.1",
    dt.date(2026, 8, 20),
    None,
    "aws/karpenter-provider-aws tag v1.14.1 (2026-08-20)",
    app="Karpenter 1.14.1",
    support="no published end-of-life dates; website/content/en/docs/upgrading/compatibility.md at v1.14.1 lists "
    "the Kubernetes minors each release supports",
)
KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter"
KARPENTER_CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd"
"""Karpenter's CRD-only chart, released with the controller at the same version."""
KARPENTER_VERSION = KARPENTER.version
KARPENTER_AMI_ALIAS = "al2023@latest"
"""The EKS-optimized Amazon Linux 2023 AMI for the cluster's Kubernetes version. ``latest`` on purpose: a new AMI
(security patches) drifts the nodes, which Karpenter replaces within each NodePool's disruption budget (never the
Ray head's node). Pin ``al2023@vYYYYMMDD`` here to freeze it."""

METRICS_SERVER = Release(
    "metrics-server chart",
    "3.13.1",
    dt.date(2026, 6, 11),
    None,
    "kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1 (2026-06-11); appVersion 0.8.1 "
    "(tag v0.8.1, 2026-01-29); v0.9.0 (2026-07-13) has no chart yet",
    app="metrics-server 0.8.1",
    support="README compatibility matrix: 0.8.x serves Kubernetes 1.31+",
)
"""The resource metrics API the API's HorizontalPodAutoscaler reads (EKS, DOKS and kind ship without it)."""
METRICS_SERVER_CHART = "metrics-server"
METRICS_SERVER_VERSION = METRICS_SERVER.version
METRICS_SERVER_REPO = "https://kubernetes-sigs.github.io/metrics-server/"

AWS_LOAD_BALANCER_CONTROLLER = Release(
    "AWS Load Balancer Controller chart",
    "3.5.0",
    dt.date(2026, 8, 3),
    None,
    "kubernetes-sigs/aws-load-balancer-controller tag v3.5.0 (2026-08-03); helm/aws-load-balancer-controller/"
    "Chart.yaml version 3.5.0, appVersion v3.5.0, published to the eks-charts repository",
    app="aws-load-balancer-controller v3.5.0",
    support="no published support window; fixes ship as releases of the newest minor",
)
"""prod's ingress controller: one ALB for the stack's Ingresses (docs/ingress.md)."""
AWS_LOAD_BALANCER_CONTROLLER_CHART = "aws-load-balancer-controller"
AWS_LOAD_BALANCER_CONTROLLER_VERSION = AWS_LOAD_BALANCER_CONTROLLER.version
AWS_LOAD_BALANCER_CONTROLLER_REPO = "https://aws.github.io/eks-charts"

TRAEFIK = Release(
    "Traefik chart",
    "41.3.0",
    dt.date(2026, 8, 21),
    None,
    "traefik/traefik-helm-chart tag v41.3.0 (2026-08-21); traefik/Chart.yaml version 41.3.0, appVersion v3.7.11",
    app="Traefik v3.7.11",
    support="no published end date for a chart release; fixes ship on the newest chart major and Traefik minor",
)
"""The ingress controller of staging (behind DigitalOcean's load balancer) and dev (kind): it serves the standard
Ingress API (docs/ingress.md says why not ingress-nginx, retired upstream in March 2026)."""
TRAEFIK_CHART = "traefik"
TRAEFIK_VERSION = TRAEFIK.version
TRAEFIK_REPO = "https://traefik.github.io/charts"

OAUTH2_PROXY = Release(
    "oauth2-proxy chart",
    "10.7.0",
    dt.date(2026, 6, 9),
    None,
    "oauth2-proxy/manifests tag oauth2-proxy-10.7.0 (2026-06-09), the newest tag of the repository's stored "
    "snapshot (read December 2026); helm/oauth2-proxy/Chart.yaml version 10.7.0, appVersion 7.15.3",
    app="oauth2-proxy 7.15.3",
    support="no published support window; fixes ship as new chart releases",
)
"""The single-sign-on proxy in front of the Ray dashboard (docs/ingress.md#single-sign-on)."""
OAUTH2_PROXY_CHART = "oauth2-proxy"
OAUTH2_PROXY_VERSION = OAUTH2_PROXY.version
OAUTH2_PROXY_REPO = "https://oauth2-proxy.github.io/manifests"

TIMESCALEDB = Release(
    "TimescaleDB HA image",
    "pg16.15-ts2.29.2",
    dt.date(2026, 8, 19),
    dt.date(2028, 11, 9),
    "timescale/timescaledb-docker-ha: tags pg<major.minor>-ts<version> (Makefile publish-release: pg$(PG_MAJOR), "
    "pg$(PG_MAJOR)-ts$(TSMAJOR), pg$(PGMAJORMINOR)-ts$(TSVERSION)); the repository's stored snapshot ends at tag "
    "v1.18.0 (2026-06-30: PostgreSQL 16.14, TimescaleDB 2.28.2), and the tag pg16.15-ts2.29.2 is pinned by digest "
    "in public deployments (read December 2026); its parts: timescale/timescaledb tag 2.29.2 (2026-08-18) and "
    "PostgreSQL 16.15 (released by 2026-08-19, the August 2026 minor releases), so the image is no older than "
    "2026-08-19. It installs pgBackRest from apt.postgresql.org at build time (Dockerfile), 2.59.x for an image "
    "built after 2026-08-17 (pgbackrest/pgbackrest tags release/2.59.0 2026-07-20, release/2.59.1 2026-08-17); "
    "repo-s3-key-type=pod-id (EKS Pod Identity) exists since release/2.58.0 (2026-01-19). End of support is "
    "PostgreSQL 16's end of life (postgresql.org versioning policy: 2028-11-09)",
    app="TimescaleDB 2.29.2",
    support="the PostgreSQL major (16) stays until a planned dump and restore; the Ubuntu-based HA image ships "
    "pgBackRest, which WAL archiving needs (docs/backups.md)",
)
TIMESCALEDB_IMAGE = f"timescale/timescaledb-ha:{TIMESCALEDB.version}"
POSTGRES_CLIENT = Release(
    "PostgreSQL client image",
    "16.15-alpine",
    dt.date(2026, 8, 19),
    dt.date(2028, 11, 9),
    "postgresql.org: 16.15 released by 2026-08-19 (the August 2026 minor releases 16.15/17.11/18.6); PostgreSQL 16 "
    "end of life 2028-11-09 (postgresql.org versioning policy)",
    app="psql 16.15",
)
POSTGRES_CLIENT_IMAGE = f"postgres:{POSTGRES_CLIENT.version}"
"""psql for the grant step on a managed PostgreSQL (the client matches the server's major version, 16)."""
REDIS = Release(
    "Redis image",
    "7.4.7",
    dt.date(2025, 11, 2),
    None,
    "redis/redis 7.4 branch 00-RELEASENOTES: Redis 7.4.7 released 2025-11-02 (7.4.6 fixed CVE-2025-49844)",
    support="Redis publishes no end-of-life date per release line; 7.4.7 is the newest 7.4 patch found; 8.x is current "
    "(8.10.0, July 2026), a move to it is a change of major of its own",
)
REDIS_IMAGE = f"redis:{REDIS.version}"
REDIS_EXPORTER = Release(
    "redis_exporter image",
    "v1.88.0",
    dt.date(2026, 7, 23),
    None,
    "oliver006/redis_exporter tag v1.88.0 (2026-07-23); REDIS_ADDR/REDIS_PASSWORD and /health unchanged",
    support="no published support dates",
)
REDIS_EXPORTER_IMAGE = f"oliver006/redis_exporter:{REDIS_EXPORTER.version}"
POSTGRES_EXPORTER = Release(
    "postgres_exporter image",
    "v0.20.1",
    dt.date(2026, 7, 7),
    None,
    "prometheus-community/postgres_exporter tag v0.20.1 (2026-07-07); DATA_SOURCE_URI/USER/PASS unchanged",
    support="no published support dates",
)
POSTGRES_EXPORTER_IMAGE = f"prometheuscommunity/postgres-exporter:{POSTGRES_EXPORTER.version}"

RELEASES: tuple[Release, ...] = (
    RAY,
    KUBERAY,
    KUBE_PROMETHEUS_STACK,
    PROMETHEUS_OPERATOR_CRDS,
    KARPENTER,
    METRICS_SERVER,
    AWS_LOAD_BALANCER_CONTROLLER,
    TRAEFIK,
    OAUTH2_PROXY,
    TIMESCALEDB,
    POSTGRES_CLIENT,
    REDIS,
    REDIS_EXPORTER,
    POSTGRES_EXPORTER,
)


# --- charts whose CRDs the tests read ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CrdChart:
    """A pinned chart whose CustomResourceDefinitions define kinds the program creates.

    The tests validate those resources against the CRDs of the pinned version, read from
    ``../shared/crds/<chart name>-<chart version>/`` (docs/architecture.md#custom-resources-against-upstream-crds).
    The chart → app version map is the release's ``app`` (``prometheus-operator v0.93.1``)."""

    chart: str
    """The chart reference as pinned above (a repository chart name, or an OCI reference ending in the name)."""
    release: Release

    @property
    def version(self) -> str:
        """The pinned chart version."""
        return self.release.version

    @property
    def app(self) -> str:
        """The project whose CRDs the chart ships (``prometheus-operator``)."""
        return self.release.app.rsplit(" ", 1)[0]


CRD_CHARTS = (
    CrdChart(KUBERAY_OPERATOR_CHART, KUBERAY),
    CrdChart(KUBE_PROMETHEUS_STACK_CHART, KUBE_PROMETHEUS_STACK),
    CrdChart(KARPENTER_CHART, KARPENTER),
)
"""The charts whose CRDs define the custom resources the program registers (metrics-server ships none). The
cluster gets them from CRD-only releases (``karpenter-crd``, ``prometheus-operator-crds`` at the same operator
version, KubeRay's tag manifests); the files are the same as the operator charts ship."""


# --- Kubernetes calendars ----------------------------------------------------------------------------------------

EKS_CALENDAR_SOURCE = (
    "Amazon EKS Kubernetes release calendar (docs.aws.amazon.com eks/latest/userguide/kubernetes-versions): 14 months "
    "of standard support from the EKS release, then 12 months of extended support"
)
DOKS_CALENDAR_SOURCE = (
    "DigitalOcean: a DOKS minor is supported while upstream supports it (kubernetes.io/releases end-of-life date), "
    "then force-upgraded to the next minor (docs.digitalocean.com products/kubernetes how-to upgrade-cluster)"
)
UPSTREAM_SOURCE = "kubernetes.io/releases/<minor>: end-of-life date"

KUBERNETES: tuple[KubernetesMinor, ...] = (
    KubernetesMinor(
        "eks", "1.34", dt.date(2025, 10, 6), dt.date(2026, 12, 2), dt.date(2027, 12, 2), EKS_CALENDAR_SOURCE
    ),
    KubernetesMinor(
        "eks", "1.35", dt.date(2026, 1, 28), dt.date(2027, 3, 27), dt.date(2028, 3, 27), EKS_CALENDAR_SOURCE
    ),
    KubernetesMinor(
        "eks",
        "1.36",
        dt.date(2026, 6, 2),
        dt.date(2027, 8, 2),
        dt.date(2028, 8, 2),
        EKS_CALENDAR_SOURCE + "; 1.36 on EKS since 2026-06-02",
    ),
    KubernetesMinor("doks", "1.36", dt.date(2026, 4, 22), dt.date(2027, 6, 28), None, DOKS_CALENDAR_SOURCE),
    KubernetesMinor("upstream", "1.36", dt.date(2026, 4, 22), dt.date(2027, 6, 28), None, UPSTREAM_SOURCE),
    KubernetesMinor("upstream", "1.37", dt.date(2026, 8, 26), dt.date(2027, 10, 28), None, UPSTREAM_SOURCE),
)
"""Minors a stack may run, per platform (``upstream``: local clusters such as kind). A minor missing here fails
the preview (``cluster.kubernetesVersion``): add its dates rather than guess."""
PLATFORM_OF_CLOUD = {"aws": "eks", "digitalocean": "doks", "local": "upstream"}

# --- compatibility rules -----------------------------------------------------------------------------------------

KARPENTER_COMPATIBILITY = "aws/karpenter-provider-aws v1.14.1 website/content/en/docs/upgrading/compatibility.md"
CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("Kubernetes", "1.33", "Karpenter", "1.5", None, KARPENTER_COMPATIBILITY),
    Constraint("Kubernetes", "1.34", "Karpenter", "1.6", None, KARPENTER_COMPATIBILITY),
    Constraint("Kubernetes", "1.35", "Karpenter", "1.9", None, KARPENTER_COMPATIBILITY),
    Constraint("Kubernetes", "1.36", "Karpenter", "1.13", None, KARPENTER_COMPATIBILITY),
    Constraint(
        "KubeRay",
        "1.7.0",
        "Ray",
        "2.52.0",
        "3",
        "Ray docs, KubeRay upgrade guide (KubeRay >= 1.3 supports Ray 2.38.0 and later); ray-project/kuberay v1.7.0 "
        "ray-operator/controllers/ray/utils/validation.go: token authentication needs Ray >= 2.52.0",
    ),
    Constraint(
        "kube-prometheus-stack",
        "88.5.3",
        "Kubernetes",
        "1.25",
        None,
        "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 Chart.yaml: kubeVersion >=1.25.0-0",
    ),
    Constraint(
        "metrics-server",
        "0.8.1",
        "Kubernetes",
        "1.31",
        None,
        "kubernetes-sigs/metrics-server README compatibility matrix: 0.8.x serves Kubernetes 1.31+",
    ),
)
"""Compatibility rules between pins. Karpenter's table lists, per Kubernetes minor, the oldest Karpenter that
supports it; a minor newer than the table (1.37 at v1.14.1) is not supported by the pinned Karpenter. A pinned
component with rules must have rules for its pinned version: bumping it means reading its compatibility notes."""
KARPENTER_NEWEST_KUBERNETES = "1.36"
"""The newest Kubernetes minor the pinned Karpenter's compatibility table lists."""


@dataclass(frozen=True)
class Pins:
    """What :func:`incompatible` checks: the component versions and each stack's (cloud, Kubernetes minor)."""

    components: Mapping[str, str]
    """``Ray``, ``KubeRay``, ``Karpenter``, ``kube-prometheus-stack``, ``metrics-server`` → version."""
    operator: str
    """The prometheus-operator kube-prometheus-stack runs (``v0.93.1``)."""
    crds_operator: str
    """The prometheus-operator whose CRDs the CRD chart carries."""
    clusters: Mapping[str, tuple[str, str]]
    """Stack → (cloud, Kubernetes minor)."""


def pinned(clusters: Mapping[str, tuple[str, str]]) -> Pins:
    """This module's pins with the stacks' ``clusters``."""
    return Pins(
        components={
            "Ray": RAY.version,
            "KubeRay": KUBERAY.version,
            "Karpenter": KARPENTER.version,
            "kube-prometheus-stack": KUBE_PROMETHEUS_STACK.version,
            "metrics-server": METRICS_SERVER.app_version,
        },
        operator=KUBE_PROMETHEUS_STACK.app_version,
        crds_operator=PROMETHEUS_OPERATOR_CRDS.app_version,
        clusters=clusters,
    )


# --- the checks --------------------------------------------------------------------------------------------------


def minor_of(cloud: str, minor: str) -> KubernetesMinor:
    """The calendar entry of ``minor`` on ``cloud``'s platform; a StackConfigError naming ``cluster.kubernetesVersion``
    when the calendar has none."""
    platform = PLATFORM_OF_CLOUD[cloud]
    for entry in KUBERNETES:
        if entry.platform == platform and entry.minor == minor:
            return entry
    known = ", ".join(entry.minor for entry in KUBERNETES if entry.platform == platform)
    raise StackConfigError(
        "cluster.kubernetesVersion",
        f"{minor} is not in the {platform} support calendar of infra/versions.py (known: {known})",
    )


def support_state(entry: KubernetesMinor, today: dt.date) -> str:
    """``standard``, ``extended`` (EKS's paid extension) or ``ended`` on ``today``."""
    if today <= entry.end_of_standard_support:
        return "standard"
    if entry.end_of_extended_support is not None and today <= entry.end_of_extended_support:
        return "extended"
    return "ended"


def expired(releases: Iterable[Release], minors: Iterable[KubernetesMinor], today: dt.date) -> list[str]:
    """Every release past its end of support and every Kubernetes minor past standard support on ``today``."""
    found = [
        f"{release.component} {release.version}: support ended {release.end_of_support} ({release.source})"
        for release in releases
        if release.end_of_support is not None and today > release.end_of_support
    ]
    found += [
        f"Kubernetes {entry.minor} on {entry.platform}: standard support ended {entry.end_of_standard_support}"
        for entry in minors
        if support_state(entry, today) != "standard"
    ]
    return found


def incompatible(pins: Pins, constraints: Iterable[Constraint] = CONSTRAINTS) -> list[str]:
    """Every rule of ``constraints`` that ``pins`` break, one sentence each."""
    rules = list(constraints)
    found = []
    karpenter = pins.components["Karpenter"]
    for stack, (cloud, minor) in sorted(pins.clusters.items()):
        if cloud != "aws":
            continue
        if version_tuple(minor) > version_tuple(KARPENTER_NEWEST_KUBERNETES):
            found.append(f"{stack}: Kubernetes {minor} is newer than Karpenter's compatibility table")
        for rule in rules:
            if rule.component == "Kubernetes" and rule.version == minor and not rule.admits(karpenter):
                found.append(f"{stack}: Kubernetes {minor} needs Karpenter >= {rule.at_least}, pinned {karpenter}")
    for rule in rules:
        if rule.component == "Kubernetes":
            continue
        pinned_version = pins.components[rule.component]
        if pinned_version != rule.version:
            found.append(f"{rule.component} {pinned_version}: its rules are for {rule.version}, re-read its notes")
            continue
        if rule.needs == "Kubernetes":
            needed = {f"{stack}: Kubernetes": minor for stack, (_, minor) in pins.clusters.items()}
        else:
            needed = {rule.needs: pins.components[rule.needs]}
        for what, version in sorted(needed.items()):
            if not rule.admits(version):
                upper = f" and < {rule.below}" if rule.below else ""
                found.append(f"{rule.component} {rule.version} needs {what} >= {rule.at_least}{upper}, got {version}")
    if pins.crds_operator != pins.operator:
        found.append(f"prometheus-operator CRDs {pins.crds_operator} do not match the operator {pins.operator}")
    return found
