"""Persistent state behind one interface (:class:`Storage`), chosen by ``database_url``:
``duckdb:///path`` (embedded default) or ``postgresql://…`` (psycopg 3 + pool; TimescaleDB when available)."""

from __future__ import annotations

from workloads.settings import DUCKDB_SCHEME, POSTGRES_SCHEMES, Settings, redact_url
from workloads.storage.base import Storage, StorageError, SymbolSummary


def open_storage(target: Settings | str, *, migrate: bool = True, retry_seconds: float | None = None) -> Storage:
    """Open the storage named by ``target`` (settings or a ``database_url``) and, by default, migrate its schema.
    ``retry_seconds`` sets PostgreSQL's per-call retry budget (default 30 s; the API uses a shorter one)."""
    url = target.database_url if isinstance(target, Settings) else target
    storage: Storage
    if url.startswith(DUCKDB_SCHEME):
        from workloads.storage.duckdb_backend import DuckDBStorage

        storage = DuckDBStorage(url)
    elif url.startswith(POSTGRES_SCHEMES):
        from workloads.storage.postgres import PostgresStorage

        storage = PostgresStorage(url) if retry_seconds is None else PostgresStorage(url, retry_seconds=retry_seconds)
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
