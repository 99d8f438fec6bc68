"""HTTPS ingress on every stack (docs/ingress.md): each serves the API, Grafana and the Ray dashboard at the names of
``genepool:ingress`` through standard Ingresses, with its certificate, its DNS records and its external URLs."""

from __future__ import annotations

import copy
import json

import pytest

from infra import versions
from infra.config import StackConfigError, parse
from infra.platforms.aws.cost import cost_lines
from infra.platforms.digitalocean_ingress import certificate_name

from .conftest import (
    ALB_HOSTED_ZONE_ID,
    ALB_HOSTNAME,
    INGRESS_ADDRESS,
    MOCK_CERTIFICATE_PEM,
    MOCK_PRIVATE_KEY_PEM,
    deploy,
    is_secret,
    plain,
    stack_config,
)
from .test_config import raw, with_value, without

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
RECORD = "aws:route53/record:Record"
ROUTES = ("api", "grafana", "rayDashboard")
PROD_HOSTS = ["api.genepool.example.com", "grafana.genepool.example.com", "ray.genepool.example.com"]
STAGING_HOSTS = [
    "api.staging.genepool.example.com",
    "grafana.staging.genepool.example.com",
    "ray.staging.genepool.example.com",
]
BACKENDS = {
    "api": ("genepool-api", 8000),
    "grafana": ("kube-prometheus-stack-grafana", 80),
    "rayDashboard": ("genepool-head-svc", 8265),
}
SIGNED_IN_BACKENDS = {**BACKENDS, "rayDashboard": ("oauth2-proxy", 80)}
"""With ``genepool:sso`` (required on a cloud) the Ray dashboard is reached through the single-sign-on proxy."""


def ingresses(deployment) -> dict[str, dict]:
    """Route → the Ingress manifest the program registered for it."""
    return {r.name.removeprefix("ingress-"): plain(r.inputs) for r in deployment.of_type(INGRESS)}


def release(deployment, chart: str) -> dict:
    (found,) = [plain(r.inputs) for r in deployment.of_type(RELEASE) if r.inputs.get("chart") == chart]
    return found


def backend(manifest: dict) -> tuple[str, str, int]:
    (rule,) = manifest["spec"]["rules"]
    service = rule["http"]["paths"][0]["backend"]["service"]
    return rule["host"], service["name"], service["port"]["number"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_routes_the_api_grafana_and_the_ray_dashboard(stack, request):
    deployment = request.getfixturevalue(stack)
    routes = ingresses(deployment)
    assert sorted(routes) == sorted(ROUTES)
    for route, manifest in routes.items():
        host, service, port = backend(manifest)
        assert (service, port) == (BACKENDS if stack == "dev" else SIGNED_IN_BACKENDS)[route]
        assert host == parse_config(stack).ingress.host(route)


def parse_config(stack: str):
    return parse(raw(stack))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_external_urls_are_plain_https_outputs(stack, request):
    deployment = request.getfixturevalue(stack)
    config = parse_config(stack).ingress
    suffix = "" if config.port == 443 else f":{config.port}"
    assert deployment.outputs["api_external_url"] == f"https://{config.host('api')}{suffix}"
    assert deployment.outputs["grafana_external_url"] == f"https://{config.host('grafana')}{suffix}"
    assert deployment.outputs["ray_dashboard_external_url"] == f"https://{config.host('rayDashboard')}{suffix}"
    assert not {"api_external_url", "grafana_external_url", "ray_dashboard_external_url"} & deployment.secret_outputs


@pytest.mark.parametrize(("stack", "controller"), [("dev", "traefik"), ("staging", "traefik"), ("prod", "alb")])
def test_every_ingress_waits_for_its_controller(stack, controller, request):
    deployment = request.getfixturevalue(stack)
    chart = versions.TRAEFIK_CHART if controller == "traefik" else versions.AWS_LOAD_BALANCER_CONTROLLER_CHART
    (controller_release,) = [r for r in deployment.of_type(RELEASE) if r.inputs.get("chart") == chart]
    for registered in deployment.of_type(INGRESS):
        assert deployment.depends_on(INGRESS, registered.name, RELEASE, controller_release.name)
        assert plain(registered.inputs)["spec"]["ingressClassName"] == controller


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_ray_dashboard_demands_the_clusters_token(stack, request):
    deployment = request.getfixturevalue(stack)
    (cluster,) = [plain(r.inputs) for r in deployment.of_type("kubernetes:ray.io/v1:RayCluster")]
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    env = {entry["name"]: entry for entry in head["env"]}
    assert env["RAY_AUTH_MODE"]["value"] == "token"
    assert env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "ray-auth"


def test_a_stack_before_its_first_deploy_serves_grafana_only():
    config = stack_config("staging")
    del config["genepool:image"]
    deployment = deploy("staging", config)
    assert sorted(ingresses(deployment)) == ["grafana"]
    assert "api_external_url" not in deployment.outputs
    assert deployment.outputs["grafana_external_url"] == "https://grafana.staging.genepool.example.com"


# --- dev -----------------------------------------------------------------------------------------------------------


def test_dev_serves_a_self_signed_certificate_for_every_host(dev):
    (certificate,) = [plain(r.inputs) for r in dev.of_type("tls:index/selfSignedCert:SelfSignedCert")]
    assert certificate["dnsNames"] == [
        "api.genepool.localhost",
        "grafana.genepool.localhost",
        "ray.genepool.localhost",
    ]
    assert "server_auth" in certificate["allowedUses"]
    for route, manifest in ingresses(dev).items():
        (tls,) = manifest["spec"]["tls"]
        assert tls["hosts"] == [manifest["spec"]["rules"][0]["host"]]
        assert tls["secretName"] == f"{BACKENDS[route][0]}-tls"


def test_dev_exports_the_certificate_to_trust_and_never_its_key(dev):
    assert dev.outputs["ingress_certificate"] == MOCK_CERTIFICATE_PEM
    assert "ingress_certificate" not in dev.secret_outputs
    assert not [name for name, value in dev.outputs.items() if "mock-ingress-private-key" in str(value)]


def test_dev_keeps_the_certificate_key_secret(dev):
    secrets = [r for r in dev.of_type(SECRET) if r.inputs.get("type") == "kubernetes.io/tls"]
    assert len(secrets) == len(ROUTES)
    for secret in secrets:
        assert is_secret(secret.inputs["stringData"])
        assert plain(secret.inputs["stringData"])["tls.key"] == MOCK_PRIVATE_KEY_PEM


def test_dev_exposes_traefik_on_the_node_port_kind_maps_and_redirects_http(dev):
    values = release(dev, versions.TRAEFIK_CHART)["values"]
    assert values["service"]["spec"] == {"type": "NodePort"}
    assert values["ports"]["websecure"]["nodePort"] == 30443
    assert values["ports"]["web"]["http"]["redirections"]["entryPoint"]["to"] == "websecure"
    assert values["providers"]["kubernetesCRD"]["enabled"] is False


def test_the_traefik_release_installs_no_custom_resource_definitions(dev):
    traefik = release(dev, versions.TRAEFIK_CHART)
    assert traefik["skipCrds"] is True and traefik["version"] == versions.TRAEFIK_VERSION


# --- staging -------------------------------------------------------------------------------------------------------


def test_staging_asks_digitalocean_for_a_lets_encrypt_certificate_of_every_host(staging):
    (certificate,) = [plain(r.inputs) for r in staging.of_type("digitalocean:index/certificate:Certificate")]
    assert certificate["type"] == "lets_encrypt"
    assert certificate["domains"] == STAGING_HOSTS
    assert certificate["name"].startswith("genepool-staging-ingress-")
    assert "digitalocean:index/getDomains:getDomains" in staging.invokes


def test_staging_load_balancer_terminates_tls_redirects_http_and_admits_the_allowed_ranges(staging):
    values = release(staging, versions.TRAEFIK_CHART)["values"]
    annotations = values["service"]["annotations"]
    prefix = "service.beta.kubernetes.io/do-loadbalancer-"
    (certificate,) = staging.of_type("digitalocean:index/certificate:Certificate")
    assert annotations[f"{prefix}certificate-name"] == certificate.inputs["name"]
    assert annotations[f"{prefix}tls-ports"] == "443"
    assert annotations[f"{prefix}redirect-http-to-https"] == "true"
    assert values["service"]["spec"] == {"type": "LoadBalancer", "loadBalancerSourceRanges": ["198.51.100.0/24"]}
    assert values["ports"]["websecure"]["targetPort"] == "web"


def test_a_change_of_hosts_names_a_new_certificate_so_it_can_replace_the_old_one_first():
    hosts = ("api.example.com", "grafana.example.com", "ray.example.com")
    moved = ("api.example.org", "grafana.example.org", "ray.example.org")
    assert certificate_name("staging", hosts) == certificate_name("staging", hosts)
    assert certificate_name("staging", hosts) != certificate_name("staging", moved)


def test_staging_reads_the_load_balancer_address_from_traefiks_service(staging):
    assert ("kubernetes:core/v1:Service", "ingress-load-balancer", "traefik/traefik") in staging.reads


def test_staging_points_an_a_record_of_each_host_at_the_load_balancer(staging):
    records = [plain(r.inputs) for r in staging.of_type("digitalocean:index/dnsRecord:DnsRecord")]
    assert sorted((r["name"], r["type"], r["value"], r["domain"]) for r in records) == [
        (label, "A", INGRESS_ADDRESS, "staging.genepool.example.com") for label in ("api", "grafana", "ray")
    ]


def test_staging_ingresses_leave_tls_to_the_load_balancer(staging):
    for manifest in ingresses(staging).values():
        assert "tls" not in manifest["spec"]


# --- prod ----------------------------------------------------------------------------------------------------------


def test_prod_certificate_is_acm_validated_through_route53(prod):
    (certificate,) = [plain(r.inputs) for r in prod.of_type("aws:acm/certificate:Certificate")]
    assert certificate["domainName"] == PROD_HOSTS[0]
    assert certificate["subjectAlternativeNames"] == PROD_HOSTS[1:]
    assert certificate["validationMethod"] == "DNS"
    validation = [plain(r.inputs) for r in prod.of_type(RECORD) if "-validation-" in r.name]
    assert sorted(r["name"] for r in validation) == sorted(f"_validation.{host}." for host in PROD_HOSTS)
    assert {r["zoneId"] for r in validation} == {"Z0123456789EXAMPLE"}
    (check,) = [plain(r.inputs) for r in prod.of_type("aws:acm/certificateValidation:CertificateValidation")]
    assert sorted(check["validationRecordFqdns"]) == sorted(r["name"] for r in validation)


def test_prod_aliases_each_host_to_the_alb(prod):
    aliases = [plain(r.inputs) for r in prod.of_type(RECORD) if "aliases" in r.inputs]
    assert sorted(r["name"] for r in aliases) == PROD_HOSTS
    for record in aliases:
        assert record["type"] == "A" and record["zoneId"] == "Z0123456789EXAMPLE"
        assert record["aliases"] == [{"name": ALB_HOSTNAME, "zoneId": ALB_HOSTED_ZONE_ID, "evaluateTargetHealth": True}]


def test_prod_ingresses_share_one_alb_with_https_only_and_the_allowed_ranges(prod):
    for route, manifest in ingresses(prod).items():
        annotations = manifest["metadata"]["annotations"]
        prefix = "alb.ingress.kubernetes.io/"
        assert annotations[f"{prefix}group.name"] == "genepool-prod"
        assert annotations[f"{prefix}certificate-arn"].startswith("arn:aws:acm:")
        assert json.loads(annotations[f"{prefix}listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
        assert annotations[f"{prefix}ssl-redirect"] == "443"
        assert annotations[f"{prefix}inbound-cidrs"] == "203.0.113.0/24,198.51.100.0/24"
        assert (
            annotations[f"{prefix}healthcheck-path"]
            == {
                "api": "/health/liveness",
                "grafana": "/api/health",
                "rayDashboard": "/ping",
            }[route]
        )


def test_prod_load_balancer_controller_gets_its_role_through_pod_identity(prod):
    (association,) = [
        plain(r.inputs)
        for r in prod.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["serviceAccount"] == "aws-load-balancer-controller"
    ]
    assert association["namespace"] == "kube-system"
    values = release(prod, versions.AWS_LOAD_BALANCER_CONTROLLER_CHART)["values"]
    assert values["clusterName"] == "genepool-prod" and values["region"] == "eu-west-1"
    assert (values["enableWaf"], values["enableWafv2"], values["enableShield"]) == (False, False, False)


def test_prod_load_balancer_controller_may_change_only_this_clusters_load_balancers(prod):
    (policy,) = [
        json.loads(r.inputs["policy"])
        for r in prod.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "ingress-controller"
    ]
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        writes = [a for a in actions if a.split(":")[1].startswith(("Delete", "Modify", "Set"))]
        if writes and statement["Resource"] != "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*":
            conditions = json.dumps(statement.get("Condition", {}))
            listeners = isinstance(statement["Resource"], list) and all(
                ":listener" in resource for resource in statement["Resource"]
            )
            assert listeners or "genepool-prod" in conditions, statement["Sid"]


def test_prod_estimate_includes_the_alb():
    lines = cost_lines(parse_config("prod"))
    assert lines["ingress load balancer"] == pytest.approx(0.0252 + 0.008)


# --- config --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "path", "message"),
    [
        ("staging", "ingress.domain", "genepool:ingress.domain: is required"),
        ("prod", "ingress.route53ZoneId", "genepool:ingress.route53ZoneId: is required"),
        ("prod", "ingress.allowedCidrs", "genepool:ingress.allowedCidrs: is required"),
    ],
)
def test_a_missing_ingress_key_fails_naming_it(stack, path, message):
    with pytest.raises(StackConfigError, match=message):
        parse(without(stack, path))


def test_a_cloud_stack_without_ingress_fails_naming_the_section():
    with pytest.raises(StackConfigError, match="genepool:ingress: is required on a cloud"):
        parse(without("staging", "ingress"))


@pytest.mark.parametrize(
    ("stack", "path", "value", "message"),
    [
        ("prod", "ingress.allowedCidrs", ["0.0.0.0/0"], r"ingress.allowedCidrs\[0\]: 0.0.0.0/0 opens the load"),
        ("prod", "ingress.allowedCidrs", ["10.0.0.1/8"], r"ingress.allowedCidrs\[0\]: must be a CIDR block"),
        ("prod", "ingress.domain", "Genepool.Example.com", "ingress.domain: must be a lower-case DNS domain"),
        ("prod", "ingress.route53ZoneId", "zone-1", "ingress.route53ZoneId: must be a Route53 hosted zone ID"),
        ("prod", "ingress.hosts", {"api": "a" * 60}, "ingress.hosts.api: .* longer than 64 characters"),
        ("prod", "ingress.hosts", {"api": "grafana"}, "ingress.hosts: must give each route its own name"),
        ("prod", "ingress.hosts", {"web": "www"}, "ingress.hosts.web: unknown field"),
        ("staging", "ingress.route53ZoneId", "Z0123456789EXAMPLE", "ingress.route53ZoneId: does not apply"),
        ("dev", "ingress.allowedCidrs", ["203.0.113.0/24"], "ingress.allowedCidrs: does not apply"),
        ("dev", "ingress.port", 80, r"ingress.port: must be an integer in \[1024, 65535\]"),
    ],
)
def test_an_invalid_ingress_value_fails_naming_the_key(stack, path, value, message):
    with pytest.raises(StackConfigError, match=message):
        parse(with_value(stack, path, value))


def test_a_local_stack_defaults_to_localhost_names():
    config = raw("dev")
    del config["ingress"]
    ingress = parse(copy.deepcopy(config)).ingress
    assert ingress.hosts == ("api.genepool.localhost", "grafana.genepool.localhost", "ray.genepool.localhost")
    assert ingress.port == 8443
