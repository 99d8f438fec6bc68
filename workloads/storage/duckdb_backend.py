"""The embedded backend: one DuckDB file (``duckdb:///path/to/file.duckdb``; ``duckdb://:memory:`` for tests).

DuckDB lets one process at a time open a file for writing: a second process (e.g. ``genepool serve`` while an
``evolve`` runs on the same file) gets a clear :class:`StorageError`. Use PostgreSQL for several processes.
Statements of one storage object are serialised by a lock (DuckDB connections are not shared across threads).
Nothing is retried (a local file has no transient errors), so a per-call ``retry_seconds`` is accepted and ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pyarrow as pa

from workloads.metrics import STORAGE_ERRORS
from workloads.settings import DUCKDB_SCHEME
from workloads.storage.base import Session, Storage, StorageError

T = TypeVar("T")


def make_state_directory(url: str, directory: Path) -> None:
    """Create the directory of the DuckDB file; one that cannot be created (read-only filesystem, a file in the
    way, no permission) is a :class:`StorageError` naming it and saying how to point the state elsewhere."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        STORAGE_ERRORS.labels("connect").inc()
        raise StorageError(
            f"{url}: cannot create the state directory {directory}: {exc.strerror or exc}; set GENEPOOL_HOME "
            "(or GENEPOOL_DATABASE_URL) to a writable place"
        ) from exc


def duckdb_path(url: str) -> str:
    """The file path of a ``duckdb://`` URL: everything after ``duckdb://`` (``duckdb:///abs/x.duckdb`` →
    ``/abs/x.duckdb``), or ``:memory:``."""
    if not url.startswith(DUCKDB_SCHEME):
        raise ValueError(f"database_url {url!r}: not a duckdb:// URL")
    path = url[len(DUCKDB_SCHEME) :]
    if not path:
        raise ValueError(f"database_url {url!r}: no file path after duckdb://")
    return path


def _with_nones(column: np.ndarray) -> np.ndarray:
    """A fetched column as a plain array; masked (NULL) entries become ``None`` in an ``object`` array."""
    if not np.ma.is_masked(column):
        return np.ascontiguousarray(np.ma.getdata(column))
    out = np.asarray(np.ma.getdata(column), dtype=object)
    out[np.ma.getmaskarray(column)] = None
    return out


class DuckDBSession:
    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._cursor.execute(sql.replace("%s", "?"), params)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._cursor.execute(sql.replace("%s", "?"), params).fetchall()

    def insert(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        row = self._cursor.execute(sql.replace("%s", "?"), params).fetchone()
        return int(row[0]) if row else 0

    def query_columns(self, sql: str, params: tuple[Any, ...] = ()) -> list[np.ndarray]:
        result = self._cursor.execute(sql.replace("%s", "?"), params).fetchnumpy()
        return [_with_nones(column) for column in result.values()]

    def stage_bars(self, columns: dict[str, np.ndarray], funding_rate: np.ndarray | None) -> None:
        n = len(columns["ts_us"])
        arrays = {name: pa.array(values) for name, values in columns.items()}
        arrays["funding_rate"] = pa.nulls(n, pa.float64()) if funding_rate is None else pa.array(funding_rate)
        table = pa.table(arrays)
        self._cursor.register("staging_bars_arrow", table)
        try:
            self._cursor.execute("CREATE OR REPLACE TEMP TABLE staging_bars AS SELECT * FROM staging_bars_arrow")
        finally:
            self._cursor.unregister("staging_bars_arrow")


class DuckDBStorage(Storage):
    dialect = "duckdb"

    def __init__(self, url: str) -> None:
        self.url = url
        path = duckdb_path(url)
        if path != ":memory:":
            make_state_directory(url, Path(path).parent)
        try:
            self._conn = duckdb.connect(path)
        except duckdb.Error as exc:
            STORAGE_ERRORS.labels("connect").inc()
            raise StorageError(f"{url}: cannot open the DuckDB file: {exc}") from exc
        self._lock = threading.Lock()

    def _run(self, operation: str, work: Callable[[Session], T], *, retry_seconds: float | None = None) -> T:
        """One transaction under the lock; never retried (a local file has no transient errors), so
        ``retry_seconds`` does not apply."""
        with self._lock:
            cursor = self._conn.cursor()
            try:
                cursor.execute("BEGIN TRANSACTION")
                try:
                    result = work(DuckDBSession(cursor))
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
                return result
            except duckdb.Error as exc:
                STORAGE_ERRORS.labels(operation).inc()
                raise StorageError(f"{self.url}: {operation} failed: {exc}") from exc
            finally:
                cursor.close()

    def _enable_timescale(self) -> bool:
        return False

    def close(self) -> None:
        with self._lock:
            self._conn.close()
