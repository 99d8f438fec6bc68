"""The stack's public HTTPS routes: one standard ``networking.k8s.io/v1`` Ingress per route (the API, Grafana, the
Ray dashboard), of the platform's ingress class, at the host names of ``genepool:ingress`` (docs/ingress.md).

The platform's :class:`~infra.platforms.Edge` says how TLS is served: by the controller from a ``kubernetes.io/tls``
Secret per route (dev's self-signed certificate), or by the cloud load balancer in front of the controller (the ALB's
ACM certificate, DigitalOcean's Let's Encrypt one), in which case the Ingress carries the load balancer's TLS
settings as annotations. Nothing here answers plain HTTP: the policy pack's ``public-listeners-tls`` refuses a
public listener that would. Every Ingress waits for the controller (``Edge.ready``), so destroy removes the
Ingresses, and the controller the load balancer it made for them, before the controller goes.

No custom resource is involved: the routes validate against the Kubernetes API itself, whatever the controller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import labels
from infra.platforms import Edge


@dataclass(frozen=True)
class Route:
    """One public route: ``host`` forwards every path to ``service:port`` in ``namespace``."""

    name: str
    """``api``, ``grafana`` or ``rayDashboard`` (keys of ``infra.config.INGRESS_ROUTES``)."""
    namespace: pulumi.Input[str]
    host: str
    service: str
    port: int
    health_path: str
    """A path the service answers 200 on without credentials (the load balancer's health check)."""
    after: tuple[pulumi.Resource, ...] = ()
    """What serves the route (its namespace, release or Deployment): the Ingress waits for it."""


@dataclass(frozen=True)
class PublicRoutesArgs:
    routes: list[Route]
    edge: Edge


def external_url(host: str, port: int) -> str:
    """``https://host`` (``:port`` when not 443)."""
    return f"https://{host}" if port == 443 else f"https://{host}:{port}"


def ingress_spec(route: Route, edge: Edge, tls_secret: pulumi.Input[str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ingressClassName": edge.ingress_class,
        "rules": [
            {
                "host": route.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": route.service, "port": {"number": route.port}}},
                        }
                    ]
                },
            }
        ],
    }
    if tls_secret is not None:
        spec["tls"] = [{"hosts": [route.host], "secretName": tls_secret}]
    return spec


class PublicRoutes(pulumi.ComponentResource):
    ingresses: dict[str, k8s.networking.v1.Ingress]
    urls: dict[str, str]
    """Route name → its external URL (``https://api.example.com``)."""

    def __init__(self, name: str, args: PublicRoutesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:ingress:PublicRoutes", name, None, opts)
        edge = args.edge
        self.ingresses = {}
        self.urls = {}
        for route in args.routes:
            child = pulumi.ResourceOptions(parent=self, depends_on=[*edge.ready, *route.after])
            tls_secret: pulumi.Output[str] | None = None
            if edge.certificate is not None:
                tls_secret = k8s.core.v1.Secret(
                    f"{name}-{route.name}-tls",
                    metadata={"name": f"{route.service}-tls", "namespace": route.namespace, "labels": labels.PART_OF},
                    type="kubernetes.io/tls",
                    string_data={
                        "tls.crt": edge.certificate.certificate_pem,
                        "tls.key": edge.certificate.private_key_pem,
                    },
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(route.after)),
                ).metadata.name
            annotations: dict[str, pulumi.Input[str]] = dict(edge.annotations)
            if edge.health_check_annotation is not None:
                annotations[edge.health_check_annotation] = route.health_path
            ingress = k8s.networking.v1.Ingress(
                f"{name}-{route.name}",
                metadata={
                    "name": route.service,
                    "namespace": route.namespace,
                    "labels": labels.PART_OF,
                    "annotations": annotations,
                },
                spec=ingress_spec(route, edge, tls_secret),
                opts=child,
            )
            if edge.publish is not None:
                edge.publish(route.name, route.host, ingress.status)
            self.ingresses[route.name] = ingress
            self.urls[route.name] = external_url(route.host, edge.port)
        self.register_outputs({"urls": self.urls})
