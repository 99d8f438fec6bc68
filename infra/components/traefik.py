"""Traefik (Helm, pinned): the ingress controller of staging and dev, serving the standard Ingress API
(docs/ingress.md says why Traefik: ingress-nginx was retired upstream in March 2026).

Two replicas on the system nodes, the Ingress provider only (no IngressRoute or Gateway API: the release installs no
CRDs), the class ``traefik`` (not the cluster's default). How its Service is exposed is the platform's:

- behind a cloud load balancer that terminates TLS (:attr:`TraefikArgs.tls_at_load_balancer`): the Service's
  HTTPS port forwards to Traefik's plain ``web`` entry point, the load balancer holds the certificate and redirects
  HTTP to HTTPS (the Service's annotations), admitting only ``source_ranges``;
- on a local cluster: a NodePort Service, HTTPS on :attr:`TraefikArgs.https_node_port` with the routes' own
  certificates, and plain HTTP redirected to HTTPS by Traefik itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components.common import deep_merge, load_values
from infra.platforms import Scheduling

NAMESPACE = "traefik"
INGRESS_CLASS = "traefik"
RELEASE = "traefik"
SECURE_ENTRY_POINT = "websecure"
ENTRY_POINT_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints"
"""Routes of an Ingress with this annotation attach to the named entry points only."""


@dataclass(frozen=True)
class TraefikArgs:
    scheduling: Scheduling
    service_type: str
    """``LoadBalancer`` (a cloud's) or ``NodePort`` (a local cluster's)."""
    service_annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    source_ranges: tuple[str, ...] = ()
    """``loadBalancerSourceRanges`` of a LoadBalancer Service."""
    tls_at_load_balancer: bool = False
    """The load balancer terminates TLS: its HTTPS port reaches Traefik's plain ``web`` entry point."""
    https_node_port: int | None = None
    http_node_port: int | None = None


def helm_values(args: TraefikArgs) -> dict[str, Any]:
    web: dict[str, Any] = {}
    websecure: dict[str, Any] = {}
    if args.tls_at_load_balancer:
        websecure = {"targetPort": "web"}
    else:
        web = {"http": {"redirections": {"entryPoint": {"to": SECURE_ENTRY_POINT, "scheme": "https"}}}}
    if args.https_node_port is not None:
        websecure["nodePort"] = args.https_node_port
    if args.http_node_port is not None:
        web["nodePort"] = args.http_node_port
    spec: dict[str, Any] = {"type": args.service_type}
    if args.source_ranges:
        spec["loadBalancerSourceRanges"] = list(args.source_ranges)
    computed = {
        "nodeSelector": args.scheduling.node_selector,
        "tolerations": args.scheduling.tolerations,
        "ports": {"web": web, "websecure": websecure},
        "service": {"annotations": dict(args.service_annotations), "spec": spec},
    }
    return deep_merge(load_values("traefik.yaml"), computed)


class Traefik(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: TraefikArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Traefik", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": NAMESPACE, "labels": labels.PART_OF},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=RELEASE,
                chart=versions.TRAEFIK_CHART,
                version=versions.TRAEFIK_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.TRAEFIK_REPO),
                namespace=namespace.metadata.name,
                values=helm_values(args),
                skip_crds=True,
                atomic=True,
                timeout=600,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
