"""dev's ingress: Traefik on the local cluster, HTTPS with a self-signed certificate (docs/ingress.md#dev-on-kind).

The certificate (ECDSA P-256, one year, renewed by ``pulumi up`` in its last 30 days) names every route's host under
``ingress.domain`` (``*.localhost`` by default, which resolves to the loopback address without DNS); its private key
lives only in Pulumi's state (a secret) and the routes' ``kubernetes.io/tls`` Secrets. Traefik's Service is a
NodePort: the kind cluster maps ``ingress.port`` on the host to :data:`HTTPS_NODE_PORT` (its ``extraPortMappings``),
so ``https://api.genepool.localhost:8443`` reaches the API from this machine and nowhere else. Plain HTTP (node port
:data:`HTTP_NODE_PORT`) is redirected to HTTPS by Traefik.
"""

from __future__ import annotations

import pulumi
import pulumi_tls as tls

from infra.components.traefik import ENTRY_POINT_ANNOTATION, SECURE_ENTRY_POINT, Traefik, TraefikArgs
from infra.config import IngressConfig
from infra.platforms import Edge, Scheduling, TlsCertificate

HTTPS_NODE_PORT = 30443
HTTP_NODE_PORT = 30080
VALIDITY_HOURS = 365 * 24
EARLY_RENEWAL_HOURS = 30 * 24


def self_signed(name: str, hosts: tuple[str, ...], opts: pulumi.ResourceOptions) -> TlsCertificate:
    key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    certificate = tls.SelfSignedCert(
        f"{name}-certificate",
        private_key_pem=key.private_key_pem,
        subject=tls.SelfSignedCertSubjectArgs(common_name=hosts[0], organization="genepool dev"),
        dns_names=list(hosts),
        validity_period_hours=VALIDITY_HOURS,
        early_renewal_hours=EARLY_RENEWAL_HOURS,
        allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
        opts=opts,
    )
    return TlsCertificate(
        certificate_pem=certificate.cert_pem, private_key_pem=pulumi.Output.secret(key.private_key_pem)
    )


def edge(ingress: IngressConfig, scheduling: Scheduling, opts: pulumi.ResourceOptions) -> Edge:
    controller = Traefik(
        "ingress-controller",
        TraefikArgs(
            scheduling=scheduling,
            service_type="NodePort",
            https_node_port=HTTPS_NODE_PORT,
            http_node_port=HTTP_NODE_PORT,
        ),
        opts,
    )
    return Edge(
        ingress_class="traefik",
        annotations={ENTRY_POINT_ANNOTATION: SECURE_ENTRY_POINT},
        ready=[controller.release],
        port=ingress.port,
        certificate=self_signed("ingress", ingress.hosts, pulumi.ResourceOptions()),
    )
