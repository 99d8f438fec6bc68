"""Single sign-on (docs/ingress.md#single-sign-on): Grafana's OpenID Connect login and root URL, oauth2-proxy in front
of the Ray dashboard, the refusal of a public Ray dashboard without it, and the DigitalOcean domain check."""

from __future__ import annotations

import json

import pytest

from infra import versions
from infra.config import StackConfigError, parse

from . import conftest
from .conftest import SSO_CONFIG, TEST_SECRETS, Deployment, deploy, is_secret, plain, stack_config
from .test_config import raw, with_value, without

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
CLIENT_SECRET = TEST_SECRETS["genepool:ssoClientSecret"]


def release(deployment: Deployment, chart: str) -> dict:
    (found,) = [plain(r.inputs) for r in deployment.of_type(RELEASE) if r.inputs.get("chart") == chart]
    return found


def grafana(deployment: Deployment) -> dict:
    return release(deployment, versions.KUBE_PROMETHEUS_STACK_CHART)["values"]["grafana"]


@pytest.mark.parametrize(
    ("stack", "root_url"),
    [
        ("dev", "https://grafana.genepool.localhost:8443/"),
        ("staging", "https://grafana.staging.genepool.example.com/"),
        ("prod", "https://grafana.genepool.example.com/"),
    ],
)
def test_grafana_root_url_is_its_external_url_on_every_stack(stack, root_url, request):
    assert grafana(request.getfixturevalue(stack))["grafana.ini"]["server"]["root_url"] == root_url


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_grafana_signs_in_through_the_configured_openid_provider(stack, request):
    values = grafana(request.getfixturevalue(stack))
    oauth = values["grafana.ini"]["auth.generic_oauth"]
    assert oauth["enabled"] is True
    assert oauth["client_id"] == SSO_CONFIG["clientId"]
    assert (oauth["auth_url"], oauth["token_url"], oauth["api_url"]) == (
        SSO_CONFIG["authUrl"],
        SSO_CONFIG["tokenUrl"],
        SSO_CONFIG["userinfoUrl"],
    )
    assert oauth["allowed_domains"] == "example.com"
    assert oauth["use_pkce"] is True
    assert values["envValueFrom"]["GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"]["secretKeyRef"] == {
        "name": "grafana-sso",
        "key": "client-secret",
    }


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_client_secret_is_only_in_kubernetes_secrets(stack, request):
    deployment = request.getfixturevalue(stack)
    data = deployment.named(SECRET, "monitoring-grafana-sso").inputs["stringData"]
    assert is_secret(data) or is_secret(data["client-secret"])
    assert plain(data)["client-secret"] == CLIENT_SECRET
    outside = json.dumps([plain(r.inputs) for r in deployment.resources if r.type != SECRET])
    assert CLIENT_SECRET not in outside
    assert CLIENT_SECRET not in json.dumps(deployment.outputs, default=str)


def test_dev_without_sso_keeps_grafanas_own_login_and_no_proxy(dev):
    assert "auth.generic_oauth" not in grafana(dev)["grafana.ini"]
    assert not [r for r in dev.of_type(RELEASE) if r.inputs.get("chart") == versions.OAUTH2_PROXY_CHART]


@pytest.mark.parametrize(
    ("stack", "url"),
    [("staging", "https://ray.staging.genepool.example.com"), ("prod", "https://ray.genepool.example.com")],
)
def test_the_ray_dashboard_sits_behind_oauth2_proxy_against_the_head(stack, url, request):
    deployment = request.getfixturevalue(stack)
    proxy = release(deployment, versions.OAUTH2_PROXY_CHART)
    assert proxy["version"] == versions.OAUTH2_PROXY_VERSION
    assert proxy["namespace"] == "genepool"
    values = proxy["values"]
    assert values["config"]["existingSecret"] == "ray-dashboard-sso"
    assert values["config"]["upstreams"] == ["http://genepool-head-svc.genepool.svc.cluster.local:8265"]
    assert values["config"]["emailDomains"] == ["example.com"]
    args = values["extraArgs"]
    assert (args["provider"], args["oidc-issuer-url"]) == ("oidc", SSO_CONFIG["issuerUrl"])
    assert args["redirect-url"] == f"{url}/oauth2/callback"
    assert args["cookie-secure"] == "true"
    secret = deployment.named(SECRET, "ray-dashboard-proxy-secret").inputs["stringData"]
    assert set(plain(secret)) == {"client-id", "client-secret", "cookie-secret"}
    assert len(plain(secret)["cookie-secret"]) == 32
    assert deployment.depends_on(RELEASE, "ray-dashboard-proxy-release", SECRET, "ray-dashboard-proxy-secret")


def test_a_cloud_stack_without_sso_is_refused_naming_the_key():
    with pytest.raises(
        StackConfigError, match=r"^stack config genepool:sso: is required on a cloud: the Ray dashboard"
    ):
        parse(without("prod", "sso"))


def test_a_missing_client_secret_is_refused_at_preview():
    secrets = {key: value for key, value in TEST_SECRETS.items() if key != "genepool:ssoClientSecret"}
    with pytest.raises(
        Exception, match=r"genepool:ssoClientSecret: is required; set it with: pulumi config set --secret"
    ):
        deploy("prod", secrets=secrets)


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("sso.issuerUrl", "http://login.example.com", "genepool:sso.issuerUrl: must be an https URL"),
        ("sso.emailDomains", [], "genepool:sso.emailDomains: is required"),
        ("sso.emailDomains", ["*", "example.com"], "genepool:sso.emailDomains: '\\*' admits every domain"),
        ("sso.emailDomains", ["Example.COM"], "genepool:sso.emailDomains\\[0\\]: must be a lower-case e-mail domain"),
        ("sso.groups", ["ops"], "genepool:sso.groups: unknown field"),
    ],
)
def test_bad_sso_settings_are_refused_naming_the_key(path, value, rule):
    with pytest.raises(StackConfigError, match=rule):
        parse(with_value("prod", path, value))


def test_dev_may_sign_in_through_sso_too():
    config = parse({**raw("dev"), "sso": SSO_CONFIG})
    assert config.sso is not None and config.sso.client_id == SSO_CONFIG["clientId"]


# --- DigitalOcean: the domain must be the account's --------------------------------------------------------------


def test_a_domain_missing_from_the_digitalocean_account_fails_naming_the_stack_file_and_key(monkeypatch):
    monkeypatch.setattr(conftest, "ACCOUNT_DOMAINS", ["other.example.org"])
    with pytest.raises(
        StackConfigError,
        match=r"genepool:ingress.domain: 'staging.genepool.example.com' \(Pulumi.staging.yaml\) is not a domain of the "
        r"DigitalOcean account",
    ):
        deploy("staging", stack_config("staging"))


def test_the_domain_check_asks_for_exactly_the_configured_domain(staging):
    (args,) = [args for token, args in staging.invoke_args if token == "digitalocean:index/getDomains:getDomains"]
    assert args["filters"] == [{"key": "name", "values": ["staging.genepool.example.com"]}]
