"""The stack-output contract between ``infra`` (the Pulumi program) and ``workloads`` (the app).

``infra`` exports exactly :data:`STACK_OUTPUTS` as stack outputs and injects each into pods as the environment
variable ``GENEPOOL_<NAME>`` (upper case); the app reads that environment, or the JSON file printed by
``pulumi stack output --json --show-secrets``. This module is the one place the names are defined; a test holds
both sides to it.
"""

from __future__ import annotations

DATABASE_URL = "database_url"
REDIS_URL = "redis_url"
RAY_ADDRESS = "ray_address"
API_URL = "api_url"
GRAFANA_URL = "grafana_url"

STACK_OUTPUTS: tuple[str, ...] = (DATABASE_URL, REDIS_URL, RAY_ADDRESS, API_URL, GRAFANA_URL)
"""The outputs the app consumes, in a stable order."""

SECRET_OUTPUTS: frozenset[str] = frozenset({DATABASE_URL, REDIS_URL})
"""Outputs that carry credentials: exported as Pulumi secrets and injected from Kubernetes Secrets."""

EXTERNAL_URLS: dict[str, str] = {
    "api": "api_external_url",
    "grafana": "grafana_external_url",
    "rayDashboard": "ray_dashboard_external_url",
}
"""Route → the stack output holding its HTTPS URL from outside the cluster (``https://api.example.com``). Not
injected into pods (they use the in-cluster URLs); a laptop's ``--stack-outputs`` file prefers them
(:data:`EXTERNAL_OVERRIDES`). A route that is not deployed yet has no output."""
EXTERNAL_OVERRIDES: dict[str, str] = {API_URL: EXTERNAL_URLS["api"], GRAFANA_URL: EXTERNAL_URLS["grafana"]}
"""Contract output → the external URL that replaces it when read from a stack-outputs file."""

ENV_PREFIX = "GENEPOOL_"


def env_name(output: str) -> str:
    """Environment variable that carries ``output`` into a pod, e.g. ``database_url`` → ``GENEPOOL_DATABASE_URL``."""
    if output not in STACK_OUTPUTS:
        raise KeyError(f"{output!r} is not a stack output of the contract; known: {', '.join(STACK_OUTPUTS)}")
    return ENV_PREFIX + output.upper()
