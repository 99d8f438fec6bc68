"""Single sign-on (docs/ingress.md#single-sign-on): Grafana's own OpenID Connect login, and oauth2-proxy in front of
the Ray dashboard, both clients of the provider of ``genepool:sso`` with the secret ``ssoClientSecret``.

- Grafana: kube-prometheus-stack's Grafana values (:func:`grafana_values`): ``server.root_url`` is the external URL
  (every stack, with or without single sign-on: redirects, e-mailed links and the OAuth callback name it), and with
  ``sso`` the ``auth.generic_oauth`` section (authorization code with PKCE, scopes ``openid email profile``, sign-ins
  limited to ``sso.emailDomains``; new users are Viewers). The client secret reaches Grafana only as the environment
  variable ``GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET`` from the Secret ``monitoring/grafana-sso``.
- The Ray dashboard (:class:`RayDashboardProxy`): oauth2-proxy (Helm, pinned) in the app namespace, provider
  ``oidc`` with the issuer's discovery, the one upstream ``genepool-head-svc:8265``, only ``sso.emailDomains``; the
  Ray dashboard's route points at it instead of the head. Its client id and secret and a generated cookie secret
  are in the Secret ``ray-dashboard-sso`` (the chart's ``existingSecret``). Ray's own token still applies behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import labels, versions
from infra.components.common import password
from infra.config import SsoConfig
from infra.platforms import Scheduling

GRAFANA_SECRET = "grafana-sso"
CLIENT_SECRET_KEY = "client-secret"
PROXY_RELEASE = "oauth2-proxy"
PROXY_SERVICE = "oauth2-proxy"
"""The chart's Service (its full name: the release name, which contains the chart's)."""
PROXY_PORT = 80
PROXY_HEALTH_PATH = "/ping"
PROXY_SECRET = "ray-dashboard-sso"
SCOPES = "openid email profile"


def grafana_values(root_url: str, sso: SsoConfig | None) -> dict[str, Any]:
    """The ``grafana`` values of kube-prometheus-stack: ``root_url`` always, the OpenID Connect login with ``sso``."""
    ini: dict[str, Any] = {"server": {"root_url": root_url}}
    values: dict[str, Any] = {"grafana.ini": ini}
    if sso is None:
        return values
    oauth: dict[str, Any] = {
        "enabled": True,
        "name": "Single sign-on",
        "client_id": sso.client_id,
        "scopes": SCOPES,
        "auth_url": sso.auth_url,
        "token_url": sso.token_url,
        "api_url": sso.userinfo_url,
        "use_pkce": True,
        "allow_sign_up": True,
        "auto_login": False,
    }
    if sso.email_domains != ("*",):
        oauth["allowed_domains"] = " ".join(sso.email_domains)
    ini["auth.generic_oauth"] = oauth
    ini["users"] = {"auto_assign_org_role": "Viewer"}
    values["envValueFrom"] = {
        "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET": {"secretKeyRef": {"name": GRAFANA_SECRET, "key": CLIENT_SECRET_KEY}}
    }
    return values


def grafana_secret(
    name: str, namespace: pulumi.Input[str], client_secret: pulumi.Output[str], parent: pulumi.Resource
) -> k8s.core.v1.Secret:
    """The Secret Grafana reads the client secret from (created before the release that mounts it)."""
    return k8s.core.v1.Secret(
        name,
        metadata={"name": GRAFANA_SECRET, "namespace": namespace, "labels": labels.PART_OF},
        string_data={CLIENT_SECRET_KEY: client_secret},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def proxy_values(
    sso: SsoConfig, external_url: str, upstream: pulumi.Input[str], scheduling: Scheduling
) -> dict[str, Any]:
    """oauth2-proxy's chart values: OIDC against ``sso.issuer_url``, ``upstream`` behind it, callback under
    ``external_url``."""
    return {
        "config": {
            "existingSecret": PROXY_SECRET,
            "emailDomains": list(sso.email_domains),
            "upstreams": [upstream],
        },
        "extraArgs": {
            "provider": "oidc",
            "oidc-issuer-url": sso.issuer_url,
            "redirect-url": f"{external_url}/oauth2/callback",
            "scope": SCOPES,
            "code-challenge-method": "S256",
            "cookie-secure": "true",
            "cookie-samesite": "lax",
            "reverse-proxy": "true",
            "skip-provider-button": "true",
        },
        "replicaCount": 2,
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "nodeSelector": scheduling.node_selector,
        "tolerations": scheduling.tolerations,
        "service": {"type": "ClusterIP", "portNumber": PROXY_PORT},
    }


@dataclass(frozen=True)
class RayDashboardProxyArgs:
    namespace: pulumi.Input[str]
    sso: SsoConfig
    client_secret: pulumi.Output[str]
    external_url: str
    """The dashboard's external URL (``https://ray.example.com``): the callback is under it."""
    upstream: pulumi.Input[str]
    """The Ray head's dashboard (``http://genepool-head-svc.<namespace>.svc.cluster.local:8265``)."""
    scheduling: Scheduling


class RayDashboardProxy(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: RayDashboardProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:RayDashboardProxy", name, None, opts)
        secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata={"name": PROXY_SECRET, "namespace": args.namespace, "labels": labels.PART_OF},
            string_data={
                "client-id": args.sso.client_id,
                "client-secret": args.client_secret,
                "cookie-secret": password(f"{name}-cookie-secret", self, 32),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=PROXY_RELEASE,
                chart=versions.OAUTH2_PROXY_CHART,
                version=versions.OAUTH2_PROXY_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.OAUTH2_PROXY_REPO),
                namespace=args.namespace,
                values=proxy_values(args.sso, args.external_url, args.upstream, args.scheduling),
                atomic=True,
                timeout=300,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret]),
        )
        self.register_outputs({})
