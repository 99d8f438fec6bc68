"""Strategy reads on PostgreSQL from the event loop: psycopg 3's ``AsyncConnectionPool`` (used by ``genepool
serve`` for the ``/v1`` routes whose answers are rows, not computations).

The SQL and the decoding of rows are :class:`~workloads.storage.base.Storage`'s own (``strategy_query``,
``strategies_query``, ``strategy_from_row``), so a read here answers exactly what the synchronous backend answers.

Conventions:

- Connections are in autocommit: each read is one statement, so one round trip (no ``BEGIN``/``COMMIT``); psycopg
  prepares a statement on a connection after its fifth use.
- Waiting for a connection is bounded by ``pool_wait_seconds`` (pool exhaustion or a database that is down):
  past it, :class:`~workloads.storage.base.StorageError`. A statement is bounded by ``statement_seconds`` on the
  server (``statement_timeout``, set on each new connection): a read stuck behind a lock fails there with a
  :class:`~workloads.storage.base.StorageError` and frees its connection, with no client-side cancellation.
- A lost connection (``OperationalError``: a server restart) is retried with backoff (0.05 s doubling to 0.5 s)
  within ``retry_seconds`` per read; any other database error is not retried. Each failed attempt counts in
  ``genepool_storage_errors_total{operation}`` and is logged with the URL's password masked; the URL is never
  logged otherwise.
- Reconnection after an outage is attempted at least every 0.5 s (:class:`~workloads.storage.postgres.CappedBackoff`,
  as the synchronous pool).
- The pool opens on the first read, in the running event loop (a pool belongs to one loop), and connects in the
  background; :meth:`AsyncPostgresReads.close` closes it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
import psycopg_pool
from psycopg_pool.base import AttemptWithBackoff
from tenacity import AsyncRetrying, retry_if_exception, stop_before_delay, wait_exponential

from workloads.metrics import STORAGE_ERRORS
from workloads.settings import redact_url
from workloads.settings.redaction import register_dsn
from workloads.storage.base import (
    StorageError,
    can_be_strategy_id,
    strategies_query,
    strategy_from_row,
    strategy_query,
)
from workloads.storage.postgres import CappedBackoff
from workloads.storage.records import StoredStrategy

DIALECT = "postgresql"
CONNECT_TIMEOUT_SECONDS = 5
"""libpq ``connect_timeout`` of each new connection (as the synchronous pool's default)."""
log = logging.getLogger(__name__)


def lost_connection(exc: BaseException) -> bool:
    """A connection lost or refused (worth another attempt), not a pool wait that ran out (``PoolTimeout`` is an
    ``OperationalError`` too: retrying it would wait for the pool again past the request's budget)."""
    return isinstance(exc, psycopg.OperationalError) and not isinstance(exc, psycopg_pool.PoolTimeout)


class ReconnectingAsyncPool(psycopg_pool.AsyncConnectionPool):
    """An async pool whose reconnection attempts use :class:`~workloads.storage.postgres.CappedBackoff`."""

    async def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        await super()._add_connection(attempt or CappedBackoff(timeout=self.reconnect_timeout), growing)


class AsyncPostgresReads:
    """Strategy reads over one :class:`ReconnectingAsyncPool` of at most ``pool_size`` connections."""

    def __init__(
        self, url: str, *, pool_size: int, pool_wait_seconds: float, statement_seconds: float, retry_seconds: float
    ) -> None:
        register_dsn(url)
        self.url = redact_url(url) or ""
        self.retry_seconds = retry_seconds
        self._pool = ReconnectingAsyncPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=pool_wait_seconds,
            open=False,
            kwargs={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "application_name": "genepool",
                "autocommit": True,
            },
            configure=self._configure,
            name="genepool-async",
        )
        self._statement_ms = max(1, round(statement_seconds * 1000))
        self._opened = False
        self._open_lock = asyncio.Lock()

    async def _configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Each new connection's ``statement_timeout`` (a ``SET``, so ``options`` in the URL are kept)."""
        await conn.execute(f"SET statement_timeout = {self._statement_ms}")

    async def _open(self) -> None:
        async with self._open_lock:
            if not self._opened:
                await self._pool.open(wait=False)
                self._opened = True

    async def _attempt(self, operation: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(sql, params)
                return await cursor.fetchall()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            STORAGE_ERRORS.labels(operation).inc()
            log.warning("storage %s on %s failed: %s", operation, self.url, _first_line(exc))
            raise

    async def _query(self, operation: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not self._opened:
            await self._open()
        try:
            try:
                return await self._attempt(operation, sql, params)
            except psycopg.OperationalError as exc:
                if not lost_connection(exc):
                    raise
            retrying = AsyncRetrying(  # the first attempt stays free of the retry machinery
                retry=retry_if_exception(lost_connection),
                stop=stop_before_delay(self.retry_seconds),
                wait=wait_exponential(multiplier=0.05, max=0.5),
                reraise=True,
            )
            return await retrying(self._attempt, operation, sql, params)
        except psycopg_pool.PoolTimeout as exc:
            raise StorageError(f"{self.url}: {operation}: no connection within {self._pool.timeout:g} s") from exc
        except psycopg.Error as exc:
            raise StorageError(f"{self.url}: {operation} failed: {_first_line(exc)}") from exc

    async def get_strategy(self, strategy_id: str) -> StoredStrategy | None:
        """:meth:`Storage.get_strategy <workloads.storage.base.Storage.get_strategy>` on the event loop."""
        if not can_be_strategy_id(strategy_id):
            return None
        rows = await self._query("get_strategy", strategy_query(DIALECT), (strategy_id,))
        return strategy_from_row(rows[0]) if rows else None

    async def list_strategies(
        self, seed: str | None = None, limit: int = 50, symbol: str | None = None, promoted_only: bool = False
    ) -> list[StoredStrategy]:
        """:meth:`Storage.list_strategies <workloads.storage.base.Storage.list_strategies>` on the event loop."""
        sql, params = strategies_query(DIALECT, seed, limit, symbol, promoted_only)
        return [strategy_from_row(row) for row in await self._query("list_strategies", sql, params)]

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()
            self._opened = False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
