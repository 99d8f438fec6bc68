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

ENV_PREFIX = "GENEPOOL_"


def env_name(output: str) -> str:
    """Environment variable that carries ``output`` into a pod, e.g. ``database_url`` → ``GENEPOOL_DATABASE_URL``."""
    if output not in STACK_OUTPUTS:
        raise KeyError(f"{output!r} is not a stack output of the contract; known: {', '.join(STACK_OUTPUTS)}")
    return ENV_PREFIX + output.upper()
