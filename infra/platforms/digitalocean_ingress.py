"""staging's ingress: Traefik behind DigitalOcean's load balancer, which terminates TLS (docs/ingress.md).

- The certificate is DigitalOcean's: a Let's Encrypt certificate (``digitalocean.Certificate``, type
  ``lets_encrypt``) for every route's host, which DigitalOcean issues and renews itself through the DNS of
  ``ingress.domain``. That must be a domain of the account: preview lists the account's domains and, when it is not
  among them, stops with a config error naming the stack file and ``genepool:ingress.domain``
  (:func:`check_domain`). The load balancer
  refers to it by name, which survives renewals (a renewed certificate gets a new ID).
- The load balancer is Traefik's ``LoadBalancer`` Service, made by DigitalOcean's cloud controller from the
  Service's annotations: HTTPS on 443 with that certificate, forwarding plain HTTP to Traefik inside the VPC, port 80
  redirected to HTTPS by the load balancer, and only ``ingress.allowedCidrs`` admitted (``loadBalancerSourceRanges``,
  the load balancer's firewall).
- DNS: an A record per host in the domain, pointing at the load balancer's address (read from the Service once the
  cloud controller has set it).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
import pulumi_digitalocean as do
import pulumi_kubernetes as k8s

from infra.components.traefik import Traefik, TraefikArgs
from infra.config import IngressConfig, StackConfigError
from infra.platforms import Edge, Scheduling

ANNOTATION = "service.beta.kubernetes.io/do-loadbalancer-"
RECORD_TTL_SECONDS = 300


def load_balancer_annotations(load_balancer_name: str, certificate: pulumi.Input[str]) -> dict:
    """The DigitalOcean cloud controller's annotations on Traefik's Service: HTTPS on 443 with the certificate named
    ``certificate`` forwarding HTTP, HTTP redirected to HTTPS, and no DNS records of its own (the program makes
    them; DigitalOcean's "Configuring Load Balancers" annotations)."""
    return {
        f"{ANNOTATION}name": load_balancer_name,
        f"{ANNOTATION}protocol": "http",
        f"{ANNOTATION}tls-ports": "443",
        f"{ANNOTATION}certificate-name": certificate,
        f"{ANNOTATION}redirect-http-to-https": "true",
        f"{ANNOTATION}disable-lets-encrypt-dns-records": "true",
    }


def certificate_name(stack: str, hosts: tuple[str, ...]) -> str:
    """``genepool-<stack>-ingress-<8 hex>``: names are unique per account, and a change of hosts replaces the
    certificate, new before old, so the name carries a digest of the hosts (the new one never collides)."""
    digest = hashlib.sha256(",".join(hosts).encode()).hexdigest()[:8]
    return f"genepool-{stack}-ingress-{digest}"


def load_balancer_address(status: Any) -> str:
    """The IP address DigitalOcean's cloud controller wrote into the Service's ``status.loadBalancer``."""
    load_balancer = getattr(status, "load_balancer", None)
    ingress = getattr(load_balancer, "ingress", None) or []
    if not ingress or not getattr(ingress[0], "ip", None):
        raise ValueError("the ingress load balancer has no address yet (Traefik's Service status)")
    return str(ingress[0].ip)


def check_domain(domain: str, stack: str) -> None:
    """A :class:`StackConfigError` naming ``Pulumi.<stack>.yaml`` and ``ingress.domain`` when ``domain`` is not a
    domain of the DigitalOcean account (read at construction time, so preview stops before anything is planned)."""
    listed = do.get_domains(filters=[{"key": "name", "values": [domain]}])
    if not any(found.name == domain for found in listed.domains):
        raise StackConfigError(
            "ingress.domain",
            f"{domain!r} (Pulumi.{stack}.yaml) is not a domain of the DigitalOcean account: add it under Networking → "
            "Domains (its nameservers must be DigitalOcean's, ns1-3.digitalocean.com) or set the key to one that is "
            "(docs/ingress.md)",
        )


def edge(ingress: IngressConfig, scheduling: Scheduling, region: str, opts: pulumi.ResourceOptions) -> Edge:
    stack = pulumi.get_stack()
    check_domain(ingress.domain, stack)
    certificate = do.Certificate(
        "ingress-certificate",
        name=certificate_name(stack, ingress.hosts),
        type="lets_encrypt",
        domains=list(ingress.hosts),
    )
    controller = Traefik(
        "ingress-controller",
        TraefikArgs(
            scheduling=scheduling,
            service_type="LoadBalancer",
            service_annotations=load_balancer_annotations(f"genepool-{stack}-ingress-{region}", certificate.name),
            source_ranges=ingress.allowed_cidrs,
            tls_at_load_balancer=True,
        ),
        opts,
    )
    # The Service's ID comes from the release's status, so a preview before the release exists reads nothing (the
    # address is unknown until the deploy installs Traefik and DigitalOcean assigns it).
    status = controller.release.status
    service = k8s.core.v1.Service.get(
        "ingress-load-balancer",
        pulumi.Output.concat(status.namespace, "/", status.name),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[controller.release])),
    )
    address = service.status.apply(load_balancer_address)
    for route in ingress.labels:
        do.DnsRecord(
            f"ingress-{route}",
            domain=ingress.domain,
            name=ingress.labels[route],
            type="A",
            value=address,
            ttl=RECORD_TTL_SECONDS,
        )
    return Edge(ingress_class="traefik", annotations={}, ready=[controller.release])
