"""No public listener without TLS (the ``public-listeners-tls`` stack policy; docs/ingress.md).

A public listener is where a request from outside the cluster first arrives: an ALB listener (written directly, or
by the AWS Load Balancer Controller from an Ingress's annotations), a ``LoadBalancer`` Service (written directly,
or by a Helm release's ``service`` values, as Traefik's), or an Ingress whose controller terminates TLS. Each must
serve HTTPS, and may answer plain HTTP only to redirect to HTTPS:

- an Ingress of class ``alb``: an HTTPS listener (``listen-ports``; default HTTP 80 without a certificate) with a
  certificate (``certificate-arn``), and every HTTP port redirected (``ssl-redirect``);
- any other Ingress: a ``tls`` entry for each of its hosts, unless its class is served by a Helm release whose
  load balancer terminates TLS (the check below), in which case that load balancer is the listener;
- a ``LoadBalancer`` Service (or a release's ``service`` values): DigitalOcean's annotations must name a
  certificate, and every port that is not a TLS port must be 80 redirected to HTTPS; AWS's must name a certificate
  and list every port among its SSL ports (an NLB cannot redirect);
- an ``aws:lb/listener:Listener``: HTTPS or TLS, or HTTP whose default action redirects to HTTPS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
AWS_LISTENER = "aws:lb/listener:Listener"
ALB = "alb.ingress.kubernetes.io/"
DO = "service.beta.kubernetes.io/do-loadbalancer-"
AWS_NLB = "service.beta.kubernetes.io/aws-load-balancer-"
SERVICE_PORTS = (80, 443)
"""The ports a release's LoadBalancer Service exposes when its values do not say (HTTP and HTTPS)."""


def _ports(value: Any) -> set[int]:
    return {int(port) for port in str(value or "").split(",") if port.strip().isdigit()}


def load_balancer_problem(annotations: Mapping[str, Any], ports: set[int]) -> str | None:
    """Why a LoadBalancer Service with ``annotations`` on ``ports`` serves plain HTTP; None when it does not."""
    if any(key.startswith(DO) for key in annotations):
        if not (annotations.get(f"{DO}certificate-name") or annotations.get(f"{DO}certificate-id")):
            return "a DigitalOcean load balancer without a certificate (do-loadbalancer-certificate-name) serves HTTP"
        tls_ports = _ports(annotations.get(f"{DO}tls-ports")) or {443}
        redirect = str(annotations.get(f"{DO}redirect-http-to-https")).lower() == "true"
        plain = sorted(port for port in ports - tls_ports if not (port == 80 and redirect))
        if plain:
            return f"port(s) {plain} of the DigitalOcean load balancer serve plain HTTP (TLS ports {sorted(tls_ports)})"
        return None
    if not annotations.get(f"{AWS_NLB}ssl-cert"):
        return "a load balancer without a TLS certificate serves plain text"
    ssl_ports = _ports(annotations.get(f"{AWS_NLB}ssl-ports")) or set(ports)
    plain = sorted(ports - ssl_ports)
    return f"port(s) {plain} of the AWS load balancer are not TLS (an NLB cannot redirect)" if plain else None


def alb_problem(annotations: Mapping[str, Any]) -> str | None:
    """Why an ``alb`` Ingress's listeners serve plain HTTP; None when they do not."""
    certificate = annotations.get(f"{ALB}certificate-arn")
    listen = annotations.get(f"{ALB}listen-ports")
    try:
        entries = json.loads(listen) if listen else [{"HTTPS": 443} if certificate else {"HTTP": 80}]
    except (TypeError, json.JSONDecodeError):
        return f"listen-ports {listen!r} is not the controller's JSON list"
    protocols = {protocol for entry in entries for protocol in entry}
    if "HTTPS" not in protocols:
        return f"no HTTPS listener (listen-ports {listen or 'default'}): the ALB serves plain HTTP only"
    if not certificate:
        return "an HTTPS listener without a certificate (alb.ingress.kubernetes.io/certificate-arn)"
    if "HTTP" in protocols and not annotations.get(f"{ALB}ssl-redirect"):
        return "an HTTP listener that does not redirect to HTTPS (alb.ingress.kubernetes.io/ssl-redirect)"
    return None


def terminating_classes(resources: list[Any]) -> set[str]:
    """Ingress classes served by a Helm release whose LoadBalancer Service terminates TLS (its ``service`` values
    pass :func:`load_balancer_problem`)."""
    classes = set()
    for resource in resources:
        if resource.resource_type != HELM_RELEASE:
            continue
        values = resource.props.get("values") or {}
        service = values.get("service") or {}
        ingress_class = values.get("ingressClass")
        class_name = ingress_class.get("name") if isinstance(ingress_class, Mapping) else None
        if (service.get("spec") or {}).get("type") != "LoadBalancer" or not class_name:
            continue
        if load_balancer_problem(service.get("annotations") or {}, set(SERVICE_PORTS)) is None:
            classes.add(class_name)
    return classes


def ingress_problem(props: Mapping[str, Any], terminating: set[str]) -> str | None:
    metadata, spec = props.get("metadata") or {}, props.get("spec") or {}
    annotations = metadata.get("annotations") or {}
    class_name = spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class")
    if class_name == "alb":
        return alb_problem(annotations)
    if class_name in terminating:
        return None
    hosts = {rule.get("host") for rule in spec.get("rules") or []}
    covered = {host for entry in spec.get("tls") or [] for host in entry.get("hosts") or []}
    uncovered = sorted(str(host) for host in hosts - covered)
    if not spec.get("tls") or uncovered:
        return f"serves {', '.join(uncovered) or 'its hosts'} without TLS (no spec.tls entry, no TLS load balancer)"
    return None


def listener_problem(props: Mapping[str, Any]) -> str | None:
    protocol = props.get("protocol")
    if protocol in ("HTTPS", "TLS"):
        return None
    if protocol == "HTTP":
        for action in props.get("defaultActions") or []:
            if action.get("type") == "redirect" and (action.get("redirect") or {}).get("protocol") == "HTTPS":
                return None
        return "an HTTP listener whose default action does not redirect to HTTPS"
    return f"a {protocol or 'plain'} listener is not TLS"


def public_listeners_tls(args: StackValidationArgs, report: ReportViolation) -> None:
    terminating = terminating_classes(args.resources)
    for resource in args.resources:
        kind, props = resource.resource_type, resource.props
        problem: str | None = None
        if kind == INGRESS:
            problem = ingress_problem(props, terminating)
        elif kind == SERVICE and (props.get("spec") or {}).get("type") == "LoadBalancer":
            annotations = (props.get("metadata") or {}).get("annotations") or {}
            ports = {int(port.get("port")) for port in (props.get("spec") or {}).get("ports") or []}
            problem = load_balancer_problem(annotations, ports)
        elif kind == HELM_RELEASE:
            service = (props.get("values") or {}).get("service") or {}
            if (service.get("spec") or {}).get("type") == "LoadBalancer":
                problem = load_balancer_problem(service.get("annotations") or {}, set(SERVICE_PORTS))
        elif kind == AWS_LISTENER:
            problem = listener_problem(props)
        if problem:
            report(f"{resource.name}: a public listener must serve TLS: {problem}", resource.urn)
