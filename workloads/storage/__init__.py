"""Persistent state behind one interface (:class:`Storage`), chosen by ``database_url``:
``duckdb:///path`` (embedded default) or ``postgresql://…`` (psycopg 3 + pool; TimescaleDB when available)."""

from __future__ import annotations

from typing import Any

from workloads.settings import DUCKDB_SCHEME, POSTGRES_SCHEMES, Settings, redact_url
from workloads.storage.base import Storage, StorageError, SymbolSummary


def open_storage(
    target: Settings | str,
    *,
    migrate: bool = True,
    retry_seconds: float | None = None,
    max_connections: int | None = None,
) -> Storage:
    """Open the storage named by ``target`` (settings or a ``database_url``) and, by default, migrate its schema.
    ``retry_seconds`` sets PostgreSQL's per-call retry budget (default 30 s; the API uses a shorter one) and
    ``max_connections`` its pool's size (default :data:`~workloads.storage.postgres.POOL_MAX_CONNECTIONS`; the API
    gives part of it to its async reads). DuckDB ignores both."""
    url = target.database_url if isinstance(target, Settings) else target
    storage: Storage
    if url.startswith(DUCKDB_SCHEME):
        from workloads.storage.duckdb_backend import DuckDBStorage

        storage = DuckDBStorage(url)
    elif url.startswith(POSTGRES_SCHEMES):
        from workloads.storage.postgres import PostgresStorage

        options: dict[str, Any] = {}
        if retry_seconds is not None:
            options["retry_seconds"] = retry_seconds
        if max_connections is not None:
            options["max_connections"] = max_connections
        storage = PostgresStorage(url, **options)
    else:
        raise ValueError(f"database_url {redact_url(url)!r}: expected duckdb:///path or postgresql://…")
    if migrate:
        try:
            storage.migrate()
        except BaseException:
            storage.close()
            raise
    return storage


__all__ = ["Storage", "StorageError", "SymbolSummary", "open_storage"]
