"""``genepool api status``: check a deployed API over HTTP(S) from wherever the command runs.

The URL is the settings' ``api_url``: from ``--stack-outputs FILE`` that is the stack's external HTTPS URL
(``api_external_url``, docs/ingress.md), so a laptop reaches the API with no port-forward; the bearer token is
``GENEPOOL_API_TOKEN``. The command asks ``/health/readiness`` (with the token, for every check's detail) and
``/v1/strategies?limit=1`` (the token must be accepted), and exits 1 when the API is unreachable, unhealthy or
refuses the token. ``--ca-cert`` trusts a certificate the system does not (dev's self-signed one:
``pulumi stack output ingress_certificate > dev-ingress.pem``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from workloads.cli.common import console, error_console, fail_bad_input, print_json
from workloads.cli.state import JsonOutput, StackOutputs, settings_from

if TYPE_CHECKING:
    import ssl

app = typer.Typer(help="Talk to a deployed API over its URL (the stack's external HTTPS URL).", no_args_is_help=True)

IN_CLUSTER_SUFFIX = ".svc.cluster.local"
"""Host names only the cluster's DNS resolves (the in-cluster ``api_url``)."""


def check_api(base_url: str, token: str | None, ca_cert: str | None, timeout: float) -> dict[str, Any]:
    """GET readiness and one authenticated endpoint of the API at ``base_url``; the findings as a dict (``ok`` is
    whether the API answered healthy or degraded and, with a token, accepted it). ``ca_cert``: a PEM file to trust
    besides the system's certificates. The standard library's HTTP client: the command needs nothing beyond the
    core dependencies (imported here: the command line starts without them)."""
    import http.client
    import ssl
    import urllib.error

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    context = ssl.create_default_context()
    if ca_cert is not None:
        context.load_verify_locations(cafile=ca_cert)
    result: dict[str, Any] = {"url": base_url}
    try:
        readiness = _get(f"{base_url.rstrip('/')}/health/readiness", headers, context, timeout)
        strategies = _get(f"{base_url.rstrip('/')}/v1/strategies?limit=1", headers, context, timeout) if token else None
    except (OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        result.update(ok=False, error=f"{type(reason).__name__}: {reason}")
        return result
    body = json.loads(readiness.body) if readiness.content_type.startswith("application/json") else {}
    result["readiness"] = {"http_status": readiness.status, "status": body.get("status")}
    ok = readiness.status == 200
    if strategies is not None:
        result["token_accepted"] = strategies.status == 200
        result["v1_http_status"] = strategies.status
        ok = ok and strategies.status == 200
    result["ok"] = ok
    return result


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    body: bytes


def _get(url: str, headers: dict[str, str], context: ssl.SSLContext, timeout: float) -> _Answer:
    """One GET; an answer with an error status is an answer, not an exception."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return _Answer(response.status, response.headers.get("content-type", ""), response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return _Answer(exc.code, exc.headers.get("content-type", ""), exc.read())


@app.command("status")
def status(
    stack_outputs: StackOutputs = None,
    ca_cert: Annotated[
        Path | None,
        typer.Option("--ca-cert", help="PEM certificate to trust (dev's self-signed ingress).", dir_okay=False),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=300, help="Seconds per request.")] = 10.0,
    json_output: JsonOutput = False,
) -> None:
    """Is the deployed API reachable, healthy, and does it accept GENEPOOL_API_TOKEN? Exits 1 when not."""
    settings = settings_from(stack_outputs)
    url = settings.api_url
    if not url:
        raise fail_bad_input("no API URL: pass --stack-outputs (the stack's api_external_url) or set GENEPOOL_API_URL")
    if (urlsplit(url).hostname or "").endswith(IN_CLUSTER_SUFFIX):
        raise fail_bad_input(
            f"{url} is the in-cluster URL, resolvable only inside the cluster: the stack outputs have no "
            "api_external_url (is the workload deployed with its ingress?)"
        )
    if ca_cert is not None and not ca_cert.is_file():
        raise fail_bad_input(f"--ca-cert {ca_cert}: no such file")
    result = check_api(url, settings.api_token, str(ca_cert) if ca_cert else None, timeout)
    if json_output:
        print_json(result)
    elif "error" in result:
        error_console.print(f"[bold red]unreachable:[/] {escape(url)}: {escape(result['error'])}", soft_wrap=True)
    else:
        table = Table(title=f"genepool API at {escape(url)}")
        table.add_column("check")
        table.add_column("result")
        readiness = result["readiness"]
        table.add_row("readiness", f"{readiness['status']} (HTTP {readiness['http_status']})")
        if "token_accepted" in result:
            accepted = "yes" if result["token_accepted"] else f"no (HTTP {result['v1_http_status']})"
            table.add_row("token accepted", accepted)
        else:
            table.add_row("token accepted", "not checked: GENEPOOL_API_TOKEN is not set")
        console.print(table)
    if not result["ok"]:
        raise typer.Exit(1)
