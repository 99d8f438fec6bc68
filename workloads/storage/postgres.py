"""The PostgreSQL backend (``postgresql://user:password@host:port/db``): psycopg 3 with a connection pool.

Transient failures — a lost or refused connection, a server restart (``OperationalError``), a pool timeout, a
serialization failure or deadlock — are retried with exponential backoff (0.1 s doubling to 2 s) within a retry
budget: ``retry_seconds`` (30 s by default) per call, or less where the caller caps it for one call (the API's
scrape-time read, :data:`workloads.service.storage_metrics.SCRAPE_RETRY_SECONDS`). No attempt starts after the
budget is spent, and waiting for a pooled connection is bounded by what is left of it (and by ``connect_timeout``),
so a call against a server that is down gives up after about its budget with a :class:`StorageError` naming it.
Every write is idempotent, so a retried transaction never duplicates rows. Each failed attempt is counted in
``genepool_storage_errors_total{operation}`` and logged (with the URL's password masked).

TimescaleDB: :meth:`migrate` creates the ``timescaledb`` extension when the server offers it and turns the
time-series tables into hypertables (see :mod:`workloads.storage.schema`); otherwise plain tables are used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import psycopg
import psycopg_pool
from psycopg_pool.base import AttemptWithBackoff
from tenacity import Retrying, retry_if_exception, stop_before_delay, wait_exponential

from workloads.metrics import STORAGE_ERRORS
from workloads.settings import redact_url
from workloads.settings.redaction import register_dsn
from workloads.storage import schema
from workloads.storage.base import Session, Storage, StorageError

T = TypeVar("T")
MIGRATION_LOCK = 0x67656E65706F6F6C
"""Key of the advisory lock serialising migrations ("genepool" in ASCII)."""
PING_WAIT_SECONDS = 1.0
"""Longest :meth:`PostgresStorage.ping` waits for a pooled connection (readiness must answer within 2.5 s)."""
log = logging.getLogger(__name__)

TRANSIENT = (
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
)


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying: the server or the network, not the statement."""
    return isinstance(exc, TRANSIENT)


MAX_RECONNECT_DELAY = 0.5
"""Longest pause (seconds) between the pool's attempts to reconnect: service resumes within about this much of the
database returning, however long the outage (psycopg_pool's own backoff doubles without a cap)."""


class CappedBackoff(AttemptWithBackoff):
    """psycopg_pool's reconnect backoff with each delay capped at :data:`MAX_RECONNECT_DELAY`."""

    INITIAL_DELAY = 0.1

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, MAX_RECONNECT_DELAY)


class ReconnectingPool(psycopg_pool.ConnectionPool):
    """A connection pool whose reconnection attempts use :class:`CappedBackoff`. psycopg_pool offers no setting for
    the backoff; it creates an attempt only when none is passed, so passing ours is enough."""

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or CappedBackoff(timeout=self.reconnect_timeout), growing)


class PostgresSession:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._conn.execute(sql, params or None)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params or None).fetchall()

    def insert(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return max(self._conn.execute(sql, params or None).rowcount, 0)

    def query_columns(self, sql: str, params: tuple[Any, ...] = ()) -> list[np.ndarray]:
        cursor = self._conn.execute(sql, params or None)
        rows = cursor.fetchall()
        width = len(cursor.description or ())
        if not rows:
            return [np.empty(0) for _ in range(width)]
        return [
            np.array(column, dtype=object if any(v is None for v in column) else None)
            for column in zip(*rows, strict=True)
        ]

    def stage_bars(self, columns: dict[str, np.ndarray], funding_rate: np.ndarray | None) -> None:
        self._conn.execute(
            "CREATE TEMP TABLE staging_bars (symbol TEXT, ts_us BIGINT, open DOUBLE PRECISION, "
            "high DOUBLE PRECISION, low DOUBLE PRECISION, close DOUBLE PRECISION, "
            "volume DOUBLE PRECISION, funding_rate DOUBLE PRECISION) ON COMMIT DROP"
        )
        n = len(columns["ts_us"])
        values = [columns[name].tolist() for name in schema.STAGING_COLUMNS[:-1]]
        values.append([None] * n if funding_rate is None else funding_rate.tolist())
        with self._conn.cursor().copy(f"COPY staging_bars ({', '.join(schema.STAGING_COLUMNS)}) FROM STDIN") as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)


POOL_MAX_CONNECTIONS = 10
"""Connections one process's pool opens at most (psycopg_pool ``max_size``): what the stack's connection budget
counts per database client process (``infra/connections.py``)."""


class PostgresStorage(Storage):
    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = POOL_MAX_CONNECTIONS,
        retry_seconds: float = 30.0,
        connect_timeout: float = 5.0,
    ) -> None:
        register_dsn(url)
        self.url = redact_url(url) or ""
        self.retry_seconds = retry_seconds
        self._pool = ReconnectingPool(
            url,
            min_size=1,
            max_size=max_connections,
            timeout=connect_timeout,
            open=False,
            kwargs={"connect_timeout": max(1, int(connect_timeout)), "application_name": "genepool"},
            name="genepool",
        )
        self._pool.open(wait=False)

    def _attempt(self, operation: str, work: Callable[[Session], T], timeout: float | None = None) -> T:
        try:
            with self._pool.connection(timeout=timeout) as conn, conn.transaction():
                return work(PostgresSession(conn))
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            STORAGE_ERRORS.labels(operation).inc()
            log.warning(
                "storage %s on %s failed: %s",
                operation,
                self.url,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            )
            raise

    def _run(self, operation: str, work: Callable[[Session], T], *, retry_seconds: float | None = None) -> T:
        budget = self.retry_seconds if retry_seconds is None else min(retry_seconds, self.retry_seconds)
        deadline = time.monotonic() + budget
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_before_delay(budget),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            reraise=True,
        )
        try:
            return retrying(lambda: self._attempt(operation, work, timeout=self._pool_wait(deadline)))
        except TRANSIENT as exc:
            raise StorageError(
                f"{self.url}: {operation} failed after retrying for {budget:g} s: "
                f"{str(exc).strip() or type(exc).__name__}"
            ) from exc
        except psycopg.Error as exc:
            raise StorageError(f"{self.url}: {operation} failed: {str(exc).strip()}") from exc

    def _pool_wait(self, deadline: float) -> float:
        """Seconds an attempt may wait for a pooled connection: the pool's own timeout (``connect_timeout``) or
        what is left of the call's retry budget, whichever is shorter (the pool refuses at once when none is)."""
        return min(self._pool.timeout, deadline - time.monotonic())

    def ping(self) -> None:
        try:
            self._attempt("ping", lambda s: s.query("SELECT 1"), timeout=PING_WAIT_SECONDS)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StorageError(f"{self.url}: {str(exc).strip() or type(exc).__name__}") from exc

    def migrate(self) -> list[int]:
        """:meth:`Storage.migrate` holding a session-level advisory lock (:data:`MIGRATION_LOCK`): concurrent first
        uses of an empty database (several imports, API replicas) migrate one at a time, and each later one finds
        the work done. The wait for the lock is bounded by the retry budget (``lock_timeout``)."""
        try:
            with self._pool.connection(timeout=self._pool.timeout) as conn:
                conn.autocommit = True
                conn.execute(f"SET lock_timeout = {int(self.retry_seconds * 1000)}")
                conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
                try:
                    return super().migrate()
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
                    conn.execute("RESET lock_timeout")
                    conn.autocommit = False
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            STORAGE_ERRORS.labels("migrate").inc()
            raise StorageError(f"{self.url}: migrate failed: {str(exc).strip() or type(exc).__name__}") from exc

    @property
    def timescale(self) -> bool:
        """Whether ``ohlcv`` is a hypertable, read from TimescaleDB's catalog (one short round trip)."""

        def work(session: Session) -> bool:
            if not session.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"):
                return False
            return bool(
                session.query(
                    "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'ohlcv' "
                    "AND hypertable_schema = current_schema()"
                )
            )

        return self._run("timescale", work, retry_seconds=PING_WAIT_SECONDS)

    def _enable_timescale(self) -> bool:
        def work(session: Session) -> bool:
            if not session.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"):
                if not session.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"):
                    return False
                session.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            existing = {
                row[0] for row in session.query("SELECT hypertable_name FROM timescaledb_information.hypertables")
            }
            if {table for table, _, _ in schema.HYPERTABLES} - existing:
                for statement in schema.timescale_statements():
                    session.execute(statement)
            return True

        try:
            return self._run("timescale", work)
        except StorageError as exc:
            log.warning("timescaledb is available but could not be enabled (%s); using plain tables", exc)
            return False

    def close(self) -> None:
        self._pool.close()
