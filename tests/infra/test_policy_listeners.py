"""The public-listeners-tls policy: each shipped stack passes; a plain-HTTP public listener of each kind fails,
naming the resource (and the load-balancers-restricted policy on the ingress's load balancers)."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from infra import versions

from .conftest import Registered, plain
from .test_policies import stack_resources, stack_violations, violations

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
POLICY = "public-listeners-tls"
DO = "service.beta.kubernetes.io/do-loadbalancer-"
ALB = "alb.ingress.kubernetes.io/"


def changed(deployment, select, change) -> list[Registered]:
    """The deployment's registrations with ``change`` applied to the inputs of each one ``select`` picks."""
    out = []
    for r in deployment.resources:
        if select(r):
            inputs = copy.deepcopy(plain(r.inputs))
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
        out.append(r)
    return out


def added(deployment, type_: str, name: str, inputs: dict) -> list[Registered]:
    urn = f"urn:pulumi:test::genepool::{type_}::{name}"
    return [*deployment.resources, Registered(type_, name, inputs, "", urn=urn)]


def is_api_ingress(r: Registered) -> bool:
    return r.type == INGRESS and r.name == "ingress-api"


def is_traefik(r: Registered) -> bool:
    return r.type == RELEASE and r.inputs.get("chart") == versions.TRAEFIK_CHART


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_shipped_stacks_serve_only_tls(stack, request):
    deployment = request.getfixturevalue(stack)
    assert stack_violations(POLICY, stack_resources(deployment.resources)) == []


def test_an_ingress_without_tls_fails(dev):
    resources = changed(dev, is_api_ingress, lambda props: props["spec"].pop("tls"))
    assert stack_violations(POLICY, stack_resources(resources)) == [
        "ingress-api: a public listener must serve TLS: serves api.genepool.localhost without TLS (no spec.tls "
        "entry, no TLS load balancer)"
    ]


def test_an_ingress_with_a_host_its_tls_does_not_cover_fails(dev):
    def second_host(props):
        props["spec"]["rules"].append({**props["spec"]["rules"][0], "host": "other.genepool.localhost"})

    resources = changed(dev, is_api_ingress, second_host)
    assert stack_violations(POLICY, stack_resources(resources)) == [
        "ingress-api: a public listener must serve TLS: serves other.genepool.localhost without TLS (no spec.tls "
        "entry, no TLS load balancer)"
    ]


def test_a_digitalocean_load_balancer_without_redirect_fails_and_its_ingresses_with_it(staging):
    resources = changed(
        staging, is_traefik, lambda p: p["values"]["service"]["annotations"].pop(f"{DO}redirect-http-to-https")
    )
    found = stack_violations(POLICY, stack_resources(resources))
    assert (
        "ingress-controller-release: a public listener must serve TLS: port(s) [80] of the DigitalOcean load "
        "balancer serve plain HTTP (TLS ports [443])" in found
    )
    assert sorted(m.split(":")[0] for m in found) == [
        "ingress-api",
        "ingress-controller-release",
        "ingress-grafana",
        "ingress-rayDashboard",
    ]


def test_a_digitalocean_load_balancer_without_a_certificate_fails(staging):
    resources = changed(
        staging, is_traefik, lambda p: p["values"]["service"]["annotations"].pop(f"{DO}certificate-name")
    )
    assert (
        "ingress-controller-release: a public listener must serve TLS: a DigitalOcean load balancer without a "
        "certificate (do-loadbalancer-certificate-name) serves HTTP"
    ) in stack_violations(POLICY, stack_resources(resources))


def test_an_alb_listening_on_http_without_redirect_fails(prod):
    resources = changed(prod, is_api_ingress, lambda p: p["metadata"]["annotations"].pop(f"{ALB}ssl-redirect"))
    assert stack_violations(POLICY, stack_resources(resources)) == [
        "ingress-api: a public listener must serve TLS: an HTTP listener that does not redirect to HTTPS "
        "(alb.ingress.kubernetes.io/ssl-redirect)"
    ]


def test_an_alb_listening_on_http_only_fails(prod):
    def plain_http(props):
        annotations = props["metadata"]["annotations"]
        annotations.pop(f"{ALB}certificate-arn")
        annotations[f"{ALB}listen-ports"] = json.dumps([{"HTTP": 80}])

    resources = changed(prod, is_api_ingress, plain_http)
    assert stack_violations(POLICY, stack_resources(resources)) == [
        'ingress-api: a public listener must serve TLS: no HTTPS listener (listen-ports [{"HTTP": 80}]): the ALB '
        "serves plain HTTP only"
    ]


def test_an_alb_https_listener_without_a_certificate_fails(prod):
    resources = changed(prod, is_api_ingress, lambda p: p["metadata"]["annotations"].pop(f"{ALB}certificate-arn"))
    assert stack_violations(POLICY, stack_resources(resources)) == [
        "ingress-api: a public listener must serve TLS: an HTTPS listener without a certificate "
        "(alb.ingress.kubernetes.io/certificate-arn)"
    ]


def test_a_plain_load_balancer_service_on_port_80_fails(dev):
    service = {
        "metadata": {"name": "web", "annotations": {}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}], "loadBalancerSourceRanges": ["203.0.113.0/24"]},
    }
    assert stack_violations(POLICY, stack_resources(added(dev, SERVICE, "web", service))) == [
        "web: a public listener must serve TLS: a load balancer without a TLS certificate serves plain text"
    ]


def test_an_nlb_with_a_port_outside_its_ssl_ports_fails(dev):
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    service = {
        "metadata": {
            "annotations": {f"{prefix}ssl-cert": "arn:aws:acm:eu-west-1:1:certificate/x", f"{prefix}ssl-ports": "443"}
        },
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]},
    }
    assert stack_violations(POLICY, stack_resources(added(dev, SERVICE, "nlb", service))) == [
        "nlb: a public listener must serve TLS: port(s) [80] of the AWS load balancer are not TLS (an NLB cannot "
        "redirect)"
    ]


def test_an_alb_listener_forwarding_http_fails_and_a_redirecting_one_passes(prod):
    forward = {"protocol": "HTTP", "port": 80, "defaultActions": [{"type": "forward", "targetGroupArn": "arn"}]}
    redirect = {
        "protocol": "HTTP",
        "port": 80,
        "defaultActions": [
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
        ],
    }
    listener = "aws:lb/listener:Listener"
    assert stack_violations(POLICY, stack_resources(added(prod, listener, "http", forward))) == [
        "http: a public listener must serve TLS: an HTTP listener whose default action does not redirect to HTTPS"
    ]
    assert stack_violations(POLICY, stack_resources(added(prod, listener, "http", redirect))) == []


def test_an_internet_facing_alb_open_to_the_internet_fails(prod):
    props = copy.deepcopy(plain(prod.named(INGRESS, "ingress-api").inputs))
    props["metadata"]["annotations"][f"{ALB}inbound-cidrs"] = "0.0.0.0/0"
    assert violations("load-balancers-restricted", INGRESS, props, "ingress-api") == [
        f"ingress-api: an internet-facing ALB needs {ALB}inbound-cidrs, none of them 0.0.0.0/0"
    ]


def test_a_release_load_balancer_without_source_ranges_fails(staging):
    (traefik,) = [r for r in staging.resources if is_traefik(r)]
    props = copy.deepcopy(plain(traefik.inputs))
    del props["values"]["service"]["spec"]["loadBalancerSourceRanges"]
    assert violations("load-balancers-restricted", RELEASE, props, traefik.name) == [
        f"{traefik.name}: a LoadBalancer Service needs loadBalancerSourceRanges, none of them 0.0.0.0/0"
    ]
