"""``genepool api status``: check a deployed API over HTTP(S) from wherever the command runs.

The URL is the settings' ``api_url``: from ``--stack-outputs FILE`` that is the stack's external HTTPS URL
(``api_external_url``, docs/ingress.md), so a laptop reaches the API with no port-forward; the bearer token is
``GENEPOOL_API_TOKEN``. The command asks ``/health/readiness`` (with the token, for every check's detail) and
``/v1/strategies?limit=1`` (the token must be accepted), and exits 1 when the API is unreachable, unhealthy or
refuses the token. ``--ca-cert`` trusts a certificate the system does not (dev's self-signed one:
``pulumi stack output ingress_certificate > dev-ingress.pem``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from workloads.cli.common import console, error_console, fail_bad_input, print_json
from workloads.cli.state import JsonOutput, StackOutputs, settings_from

app = typer.Typer(help="Talk to a deployed API over its URL (the stack's external HTTPS URL).", no_args_is_help=True)

IN_CLUSTER_SUFFIX = ".svc.cluster.local"
"""Host names only the cluster's DNS resolves (the in-cluster ``api_url``)."""


def check_api(base_url: str, token: str | None, verify: bool | str, timeout: float) -> dict[str, Any]:
    """GET readiness and one authenticated endpoint of the API at ``base_url``; the findings as a dict (``ok`` is
    whether the API answered healthy or degraded and, with a token, accepted it)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    result: dict[str, Any] = {"url": base_url}
    with httpx.Client(base_url=base_url, headers=headers, verify=verify, timeout=timeout) as client:
        try:
            readiness = client.get("/health/readiness")
            strategies = client.get("/v1/strategies", params={"limit": 1}) if token else None
        except httpx.HTTPError as exc:
            result.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            return result
    body = readiness.json() if readiness.headers.get("content-type", "").startswith("application/json") else {}
    result["readiness"] = {"http_status": readiness.status_code, "status": body.get("status")}
    ok = readiness.status_code == 200
    if strategies is not None:
        result["token_accepted"] = strategies.status_code == 200
        result["v1_http_status"] = strategies.status_code
        ok = ok and strategies.status_code == 200
    result["ok"] = ok
    return result


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
    result = check_api(url, settings.api_token, str(ca_cert) if ca_cert else True, timeout)
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
