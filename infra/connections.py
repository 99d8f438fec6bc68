"""The PostgreSQL connection budget, checked at preview: what the stack's clients may open at once must fit the
server's connection limit.

Every process that uses the database opens at most :data:`workloads.storage.postgres.POOL_MAX_CONNECTIONS`
connections: one psycopg pool, or in the API an async pool and a synchronous one that share them
(:class:`workloads.settings.ApiSettings`). The processes, at their most:

- the API: ``api.maxReplicas`` pods (the HorizontalPodAutoscaler's maximum), one process each;
- per evolved symbol, at its slot: the evolution driver on the Ray head, and the submitter pod that checks the slot's
  checkpoint; Ray workers never connect (they score genomes and hand results back to the driver);
- per fetched symbol (``marketData``): the fetch CronJob's pod, all symbols' at the same minute;
- :data:`RESERVE`: the grant Job, an operator's ``psql`` session and the postgres-exporter.

The limit is the server's: a DigitalOcean plan's (25 per GB of memory less 3 DigitalOcean keeps,
``platforms/digitalocean.py``) or the in-cluster server's ``timescaledb.maxConnections`` less PostgreSQL's
``superuser_reserved_connections`` (3). A connection pool in front of the server (PgBouncer, as DigitalOcean's
connection pools are) would not lower this count: the clients hold their connections for the session (psycopg's
prepared statements, temporary tables, advisory locks) and so need session pooling, which maps every client
connection to a server connection. So the budget is met by the plan's size and ``api.maxReplicas``.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import StackConfig, StackConfigError
from workloads.storage.postgres import POOL_MAX_CONNECTIONS

RESERVE = 5
SUPERUSER_RESERVED_CONNECTIONS = 3
"""PostgreSQL's default ``superuser_reserved_connections``: connections ``max_connections`` keeps for superusers."""


@dataclass(frozen=True)
class ConnectionBudget:
    """Connections each class of client may open at once, and the total with :data:`RESERVE`."""

    api: int
    evolution: int
    fetch: int
    reserve: int

    @property
    def total(self) -> int:
        return self.api + self.evolution + self.fetch + self.reserve


def budget(config: StackConfig) -> ConnectionBudget:
    symbols = len(config.evolution.symbols)
    fetched = 0 if config.market_data is None else len(config.market_data.symbols)
    return ConnectionBudget(
        api=config.api.max_replicas * POOL_MAX_CONNECTIONS,
        evolution=symbols * 2 * POOL_MAX_CONNECTIONS,
        fetch=fetched * POOL_MAX_CONNECTIONS,
        reserve=RESERVE,
    )


def in_cluster_limit(config: StackConfig) -> int:
    """Connections the in-cluster TimescaleDB accepts from the app (``timescaledb.maxConnections`` less 3)."""
    return config.timescaledb.max_connections - SUPERUSER_RESERVED_CONNECTIONS


def check_budget(config: StackConfig, limit: int, limit_key: str = "timescaledb.instanceType") -> None:
    """A StackConfigError naming the keys when the budget exceeds ``limit`` (what ``limit_key`` sets)."""
    need = budget(config)
    if need.total <= limit:
        return
    fetch = f" + {need.fetch} (marketData.symbols fetch jobs)" if need.fetch else ""
    raise StackConfigError(
        "api.maxReplicas",
        f"the database clients may open {need.total} connections, above the {limit} that {limit_key} allows: "
        f"{need.api} (api.maxReplicas {config.api.max_replicas} x {POOL_MAX_CONNECTIONS} per pool) + "
        f"{need.evolution} (evolution.symbols: a driver and a submitter per symbol x {POOL_MAX_CONNECTIONS}){fetch} "
        f"+ {need.reserve} reserved; lower api.maxReplicas or choose a larger {limit_key}",
    )
