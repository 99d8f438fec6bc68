"""The storage interface: bars, runs, per-generation stats, checkpoints and the hall of fame, on DuckDB or PostgreSQL.

One class, :class:`Storage`, implements every operation once in SQL; a backend supplies only a :class:`Session`
(how statements run inside one transaction) and :meth:`Storage._run` (how a transaction is opened, retried and
counted). :func:`workloads.storage.open_storage` picks the backend from ``database_url``.

Conventions (the same on every backend):

- Bars: ``ohlcv(symbol, ts TIMESTAMPTZ, open, high, low, close, volume, funding_rate)`` keyed by ``(symbol, ts)``.
  Times are stored at microsecond resolution, so a :class:`~workloads.data.bars.Bars` timestamp (int64 ns UTC)
  with a sub-microsecond part is refused. :meth:`Storage.put_bars` is idempotent: bars already stored with the
  same values are skipped; a bar stored with *different* values, or mixing series with and without
  ``funding_rate``, is refused — a data revision must be explicit: ``put_bars(..., replace=True)`` swaps the whole
  stored series in one transaction.
- Runs: :meth:`create_run` → :meth:`record_generation` / :meth:`save_checkpoint` / :meth:`save_hall_of_fame` after
  each generation → :meth:`finish_run`. ``create_run`` with an existing ``run_id`` and the same config and data
  fingerprint is a no-op (a resumed run); with a different one it is refused.
- Every write is idempotent, so a transaction retried after a lost connection cannot duplicate anything.
- Records: writes take :class:`~workloads.storage.records.HallOfFameRow` and JSON documents typed as
  :data:`~workloads.jsonable.JsonObject`; reads return :class:`~workloads.storage.records.StoredRun`,
  :class:`~workloads.storage.records.StoredGeneration` and :class:`~workloads.storage.records.StoredStrategy`.
- JSON documents (config, stats, params, metrics, details, summary) keep non-finite floats: they are stored as the
  strings ``"inf"``, ``"-inf"``, ``"nan"`` (JSON has no such numbers) and read back as floats; the ``fitness`` and
  ``dsr`` columns, which order the listing, store a non-finite value as ``NULL``
  (docs/architecture.md#numbers-that-are-not-finite).
- A stored strategy carries ``promoted`` (the run's verdict: passed every promotion rule) and ``gate`` (the rules
  it failed); strategies stored before migration 2 read as not promoted with ``gate = None`` (never gated).
- Strategy ids are ``"<run_id>.<rank>"`` (rank 1 = best fitness of that run's hall of fame): the same run gives the
  same ids on every backend.
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

import numpy as np

from workloads.data.bars import Bars
from workloads.jsonable import JsonObject, JsonValue
from workloads.storage import schema
from workloads.storage.records import (
    HallOfFameRow,
    Metrics,
    ParamValue,
    StoredGeneration,
    StoredRun,
    StoredStrategy,
)

T = TypeVar("T")

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
CHECKPOINTS_KEPT = 3
"""Checkpoints kept per run (older generations are pruned when a new one is saved)."""
MAX_LIMIT = 1000
_TABLE_EXISTS = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = %s"
"""One row when the named table exists in the schema unqualified names resolve to (the same SQL on both dialects)."""


class StorageError(RuntimeError):
    """A storage operation failed for a reason other than bad input (server down after retries, corrupt file)."""


class Session(Protocol):
    """Statements inside one transaction. SQL uses ``%s`` placeholders on every backend."""

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None: ...

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...

    def insert(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run an ``INSERT`` and return the number of rows it actually inserted (``ON CONFLICT DO NOTHING``
        skips are not counted)."""
        ...

    def query_columns(self, sql: str, params: tuple[Any, ...] = ()) -> list[np.ndarray]:
        """The result as one array per column (``object`` arrays where a column has NULLs)."""
        ...

    def stage_bars(self, columns: dict[str, np.ndarray], funding_rate: np.ndarray | None) -> None:
        """Create the temporary table ``staging_bars`` (``schema.STAGING_COLUMNS``) holding ``columns`` and, last,
        ``funding_rate`` (NULLs when None)."""
        ...


@dataclass(frozen=True)
class SymbolSummary:
    symbol: str
    bars: int
    first_ns: int
    last_ns: int
    has_funding: bool

    def as_dict(self) -> dict[str, str | int | bool | None]:
        return {
            "symbol": self.symbol,
            "bars": self.bars,
            "first_timestamp": iso_from_us(self.first_ns // 1000),
            "last_timestamp": iso_from_us(self.last_ns // 1000),
            "has_funding": self.has_funding,
        }


# -- encoding helpers ---------------------------------------------------------------------------------------------
_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _encode_floats(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isfinite(number):
            return number
        return "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.ndarray):
        return [_encode_floats(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): _encode_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_floats(v) for v in value]
    return value


def _decode_floats(value: object) -> JsonValue:
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, dict):
        return {k: _decode_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_floats(v) for v in value]
    return cast(JsonValue, value)


def dump_json(value: object) -> str:
    """JSON text for a document column (non-finite floats as strings; numpy scalars as numbers)."""
    return json.dumps(_encode_floats(value), allow_nan=False, sort_keys=True)


def load_json(value: object) -> JsonValue:
    """A document column back to Python (backends return text or already-parsed JSON)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    if isinstance(value, str):
        value = json.loads(value)
    return _decode_floats(value)


def load_object(value: object, where: str) -> JsonObject:
    """A document column that must hold a JSON object (``where`` names it in the error)."""
    document = load_json(value)
    if not isinstance(document, Mapping):
        raise StorageError(f"{where}: expected a JSON object, found {type(document).__name__}")
    return document


def _load_optional_object(value: object, where: str) -> JsonObject | None:
    """A document column holding a JSON object or nothing (SQL ``NULL`` or JSON ``null``)."""
    return None if load_json(value) is None else load_object(value, where)


def iso_from_us(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


def _now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise ValueError(
            f"run_id {run_id!r}: must be 1-128 characters of letters, digits, '_', '.', ':' or '-', "
            "starting with a letter or digit"
        )
    return run_id


def check_symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not SYMBOL.match(symbol):
        raise ValueError(
            f"symbol {symbol!r}: must be 1-64 characters of letters, digits, '_', '.', ':' or '-', "
            "starting with a letter or digit"
        )
    return symbol


def _check_limit(limit: int) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit {limit!r}: must be an integer in 1..{MAX_LIMIT}")
    return limit


COST_KEYS = ("fee_bps", "slippage_bps", "long_only", "rebalance_band", "bars_per_year")
"""Run-config keys that, with the data, decide how a strategy's signals trade (promoted duplicates share them)."""


def _optional_float(value: float | None) -> float | None:
    """A finite float, or ``None`` for missing / non-finite (no meaningful ordering)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_row(run_id: str, index: int, row: HallOfFameRow) -> None:
    """Refuse a hall-of-fame row whose fields are not what :class:`HallOfFameRow` declares (callers may be untyped)."""
    where = f"hall of fame of run {run_id!r}, entry {index}"
    if not isinstance(row, HallOfFameRow):
        raise ValueError(f"{where}: must be a HallOfFameRow, got {type(row).__name__}")
    if not isinstance(row.strategy, str) or not row.strategy:
        raise ValueError(f"{where}: strategy must be a seed name")
    if not isinstance(row.params, Mapping):
        raise ValueError(f"{where}: params must be a mapping of gene name to value")
    if not isinstance(row.gate, tuple) or not all(isinstance(reason, str) for reason in row.gate):
        raise ValueError(f"{where}: gate must be a tuple of reasons")
    for name in ("train_metrics", "holdout_metrics"):
        metrics = getattr(row, name)
        if metrics is not None and not isinstance(metrics, Mapping):
            raise ValueError(f"{where}: {name} must be a mapping of metric to value (or None)")
    if not isinstance(row.details, Mapping):
        raise ValueError(f"{where}: details must be a JSON object")


# -- the interface ------------------------------------------------------------------------------------------------
class Storage(ABC):
    """Persistent state of genepool. Thread-safe; open with :func:`workloads.storage.open_storage`.

    ``dialect`` is ``"duckdb"`` or ``"postgresql"``; ``url`` is the redacted ``database_url`` (safe to log);
    ``timescale`` tells whether the time-series tables are TimescaleDB hypertables, read from the database's catalog
    (so it is true on a TimescaleDB database before this process migrated anything).
    """

    dialect: str
    url: str

    @property
    def timescale(self) -> bool:
        """Whether ``ohlcv`` is a TimescaleDB hypertable (from the catalog; ``False`` where there is none)."""
        return False

    # -- backend primitives ------------------------------------------------------------------------------------
    @abstractmethod
    def _run(self, operation: str, work: Callable[[Session], T], *, retry_seconds: float | None = None) -> T:
        """Run ``work`` in one transaction (committed on return, rolled back on error), retried on transient
        errors where the backend has them; each failed attempt counts in ``genepool_storage_errors_total``.

        ``retry_seconds`` caps the backend's own retry budget for this call only (``None``: the backend's budget);
        a backend that never retries accepts and ignores it."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def _enable_timescale(self) -> bool:
        """Turn ``ohlcv`` and ``generations`` into hypertables when the extension is available; ``True`` if so."""

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    # -- schema ------------------------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Apply pending schema migrations in order (each in its own transaction) and, on PostgreSQL with the
        ``timescaledb`` extension, the hypertables and compression policy. Returns the versions applied now."""
        self._run("migrate", lambda s: s.execute(schema.MIGRATIONS_TABLE))
        done = {row[0] for row in self._run("migrate", lambda s: s.query("SELECT version FROM schema_migrations"))}
        applied = []
        for migration in schema.MIGRATIONS:
            if migration.version in done:
                continue

            def apply(session: Session, migration: schema.Migration = migration) -> None:
                for statement in migration.statements(self.dialect):
                    session.execute(statement)
                session.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, "
                    + schema.ts_from_us(self.dialect, "%s")
                    + ")",
                    (migration.version, migration.name, _now_us()),
                )

            self._run("migrate", apply)
            applied.append(migration.version)
        self._enable_timescale()
        return applied

    def schema_version(self) -> int:
        rows = self._run("schema_version", lambda s: s.query("SELECT max(version) FROM schema_migrations"))
        return int(rows[0][0] or 0)

    def ping(self) -> None:
        """A trivial round trip; raises when the database cannot be reached (no retries)."""
        self._run("ping", lambda s: s.query("SELECT 1"))

    # -- bars --------------------------------------------------------------------------------------------------
    def put_bars(self, symbol: str, bars: Bars, replace: bool = False) -> int:
        """Store ``bars`` under ``symbol``; returns the number of bars this call inserted (0 on an identical
        re-import; concurrent imports of the same bars are idempotent and their counts add up to the bars stored).
        ``replace=True`` first deletes every stored bar of ``symbol`` (same transaction)."""
        check_symbol(symbol)
        if len(bars) == 0:
            return 0
        if np.any(bars.timestamp % 1000 != 0):
            row = int(np.argmax(bars.timestamp % 1000 != 0))
            raise ValueError(
                f"bars for {symbol} ({bars.source or 'in memory'}), bar {row}: timestamp "
                f"{int(bars.timestamp[row])} ns has a sub-microsecond part; storage keeps microseconds"
            )
        columns = {
            "symbol": np.full(len(bars), symbol, dtype=object),
            "ts_us": bars.timestamp // 1000,
            "open": bars.open,
            "high": bars.high,
            "low": bars.low,
            "close": bars.close,
            "volume": bars.volume,
        }
        ts = schema.ts_from_us(self.dialect, "s.ts_us")

        def work(session: Session) -> int:
            if replace:
                session.execute("DELETE FROM ohlcv WHERE symbol = %s", (symbol,))
            total, with_funding = session.query(
                "SELECT count(*), count(funding_rate) FROM ohlcv WHERE symbol = %s", (symbol,)
            )[0]
            if total and (with_funding == total) != bars.has_funding:
                stored = "has" if with_funding else "has no"
                raise ValueError(
                    f"bars for {symbol} ({bars.source or 'in memory'}): the stored series {stored} "
                    f"funding_rate and the new bars {'have' if bars.has_funding else 'have none'}; "
                    "a series must not mix the two"
                )
            session.stage_bars(columns, bars.funding_rate)
            differing = session.query(
                "SELECT count(*), min(s.ts_us) FROM staging_bars s JOIN ohlcv o ON o.symbol = s.symbol AND o.ts = "
                + ts
                + " WHERE o.open <> s.open OR o.high <> s.high OR o.low <> s.low OR o.close <> s.close "
                "OR o.volume <> s.volume OR o.funding_rate IS DISTINCT FROM s.funding_rate"
            )[0]
            if differing[0]:
                raise ValueError(
                    f"bars for {symbol} ({bars.source or 'in memory'}): {differing[0]} bar(s) already "
                    f"stored with different values (first at {iso_from_us(differing[1])}); refusing to "
                    "overwrite stored bars (replace the whole series with `genepool data import "
                    "--replace`)"
                )
            inserted = session.insert(
                "INSERT INTO ohlcv (symbol, ts, open, high, low, close, volume, funding_rate) "
                "SELECT s.symbol, " + ts + ", s.open, s.high, s.low, s.close, s.volume, s.funding_rate "
                "FROM staging_bars s ON CONFLICT (symbol, ts) DO NOTHING"
            )
            session.execute("DROP TABLE staging_bars")
            return inserted

        return self._run("put_bars", work)

    def rename_symbol(self, old: str, new: str) -> int:
        """Move everything stored under symbol ``old`` to ``new`` in one transaction: its bars, and the symbol
        recorded with its runs and strategies (so their signals read the renamed bars). Returns the bars moved. The
        migration of a name stored before instrument names (``BTCUSDT`` → ``binance:BTCUSDT-PERP``,
        docs/data.md); ``ValueError`` when ``old`` has no bars or ``new`` already has some (nothing is changed)."""
        check_symbol(old)
        check_symbol(new)

        def work(session: Session) -> int:
            [(moved,)] = session.query("SELECT count(*) FROM ohlcv WHERE symbol = %s", (old,))
            if not moved:
                raise ValueError(f"symbol {old!r}: no bars are stored under it; nothing renamed")
            [(taken,)] = session.query("SELECT count(*) FROM ohlcv WHERE symbol = %s", (new,))
            if taken:
                raise ValueError(f"symbol {new!r}: {taken} bar(s) are already stored under it; nothing renamed")
            for table in ("ohlcv", "runs", "strategies"):
                session.execute(f"UPDATE {table} SET symbol = %s WHERE symbol = %s", (new, old))
            return int(moved)

        return self._run("rename_symbol", work)

    def get_bars(self, symbol: str) -> Bars:
        """All stored bars of ``symbol`` in time order; ``ValueError`` when there are none."""
        check_symbol(symbol)
        columns = self._run(
            "get_bars",
            lambda s: s.query_columns(
                "SELECT " + schema.us_from_ts(self.dialect, "ts") + ", open, high, low, close, volume, funding_rate "
                "FROM ohlcv WHERE symbol = %s ORDER BY ts",
                (symbol,),
            ),
        )
        ts_us, o, h, low, c, v, f = columns
        if len(ts_us) == 0:
            raise ValueError(
                f"no bars stored for symbol {symbol!r} in {self.url}; import them with "
                f"`genepool data import FILE --symbol {symbol}`"
            )
        funding = None if f[0] is None else f.astype(np.float64)
        return Bars.from_arrays(
            ts_us.astype(np.int64) * 1000, o, h, low, c, v, funding, symbol=symbol, source=f"{self.url} ohlcv/{symbol}"
        )

    def last_bar_time(self, symbol: str) -> int | None:
        """Open time (int ns UTC) of the latest stored bar of ``symbol``, ``None`` when none is stored (one index
        lookup on the ``(symbol, ts)`` key, however many bars are stored)."""
        check_symbol(symbol)
        latest = schema.us_from_ts(self.dialect, "ts")
        rows = self._run(
            "last_bar_time",
            lambda s: s.query(f"SELECT {latest} FROM ohlcv WHERE symbol = %s ORDER BY ts DESC LIMIT 1", (symbol,)),
        )
        return int(rows[0][0]) * 1000 if rows else None

    def list_symbols(self) -> list[str]:
        """Symbols with stored bars, sorted."""
        return [s.symbol for s in self.symbol_summaries()]

    def symbol_summaries(self) -> list[SymbolSummary]:
        """Per symbol: bar count, first/last timestamp (ns UTC), whether it has funding rates."""
        us = schema.us_from_ts(self.dialect, "{}")
        rows = self._run(
            "list_symbols",
            lambda s: s.query(
                f"SELECT symbol, count(*), {us.format('min(ts)')}, {us.format('max(ts)')}, count(funding_rate) "
                "FROM ohlcv GROUP BY symbol ORDER BY symbol"
            ),
        )
        return [
            SymbolSummary(sym, int(n), int(first) * 1000, int(last) * 1000, int(nf) > 0)
            for sym, n, first, last, nf in rows
        ]

    def last_bars(self, *, retry_seconds: float | None = None) -> list[tuple[str, int, int | None]]:
        """Per stored symbol, sorted: ``(symbol, last bar's open time in ns UTC, spacing to the bar before it in ns
        or None for a single bar)``. Like :meth:`last_generation_time` it needs no :meth:`migrate` (no ``ohlcv``
        table: ``[]``) and takes a per-call ``retry_seconds``: the API reads it at scrape time."""
        us = schema.us_from_ts(self.dialect, "{}")
        sql = (
            f"WITH last AS (SELECT symbol, max(ts) AS ts FROM ohlcv GROUP BY symbol) SELECT l.symbol, "
            f"{us.format('l.ts')}, (SELECT {us.format('max(p.ts)')} FROM ohlcv p WHERE p.symbol = l.symbol "
            "AND p.ts < l.ts) FROM last l ORDER BY l.symbol"
        )

        def work(session: Session) -> list[tuple[str, int, int | None]]:
            if not session.query(_TABLE_EXISTS, ("ohlcv",)):
                return []
            return [
                (str(sym), int(last) * 1000, None if prev is None else (int(last) - int(prev)) * 1000)
                for sym, last, prev in session.query(sql)
            ]

        return self._run("last_bars", work, retry_seconds=retry_seconds)

    # -- runs --------------------------------------------------------------------------------------------------
    def create_run(self, run_id: str, config: JsonObject, data_fingerprint: str) -> None:
        """Record a new run (``config["symbol"]``, when present, tags its strategies with the symbol)."""
        check_run_id(run_id)
        config_json = dump_json(config)
        symbol = config.get("symbol")
        if symbol is not None and not isinstance(symbol, str):
            raise ValueError(f"run {run_id!r}: config symbol {symbol!r} must be a string")

        def work(session: Session) -> None:
            existing = session.query("SELECT config, data_fingerprint FROM runs WHERE run_id = %s", (run_id,))
            if existing:
                if load_json(existing[0][0]) != load_json(config_json) or existing[0][1] != data_fingerprint:
                    raise ValueError(
                        f"run {run_id!r} already exists with a different config or data fingerprint; "
                        "choose a new run id or resume with the original config and data"
                    )
                return
            session.execute(
                "INSERT INTO runs (run_id, symbol, data_fingerprint, config, status, started_at) VALUES "
                f"(%s, %s, %s, %s, 'running', {schema.ts_from_us(self.dialect, '%s')})",
                (run_id, symbol, data_fingerprint, config_json, _now_us()),
            )

        self._run("create_run", work)

    def get_run(self, run_id: str) -> StoredRun | None:
        """The run record (``config``, ``summary`` decoded) or ``None``."""
        us = schema.us_from_ts(self.dialect, "{}")
        rows = self._run(
            "get_run",
            lambda s: s.query(
                f"SELECT run_id, symbol, data_fingerprint, config, status, {us.format('started_at')}, "
                f"{us.format('finished_at')}, summary FROM runs WHERE run_id = %s",
                (run_id,),
            ),
        )
        if not rows:
            return None
        rid, symbol, fingerprint, config, status, started, finished, summary = rows[0]
        return StoredRun(
            run_id=str(rid),
            symbol=None if symbol is None else str(symbol),
            data_fingerprint=str(fingerprint),
            config=load_object(config, f"config of run {rid!r}"),
            status=str(status),
            started_at=iso_from_us(started),
            finished_at=iso_from_us(finished),
            summary=_load_optional_object(summary, f"summary of run {rid!r}"),
        )

    def _require_run(self, session: Session, run_id: str) -> None:
        if not session.query("SELECT 1 FROM runs WHERE run_id = %s", (run_id,)):
            raise ValueError(f"run {run_id!r} does not exist; call create_run first")

    def record_generation(self, run_id: str, generation: int, stats: JsonObject) -> None:
        """Store the per-seed statistics of ``generation`` (replacing an earlier record of the same generation)."""
        check_run_id(run_id)
        stats_json = dump_json(stats)

        def work(session: Session) -> None:
            self._require_run(session, run_id)
            session.execute("DELETE FROM generations WHERE run_id = %s AND generation = %s", (run_id, generation))
            session.execute(
                "INSERT INTO generations (run_id, generation, recorded_at, stats) VALUES "
                f"(%s, %s, {schema.ts_from_us(self.dialect, '%s')}, %s)",
                (run_id, int(generation), _now_us(), stats_json),
            )

        self._run("record_generation", work)

    def last_generation_time(self, *, retry_seconds: float | None = None) -> float | None:
        """Unix time (seconds) at which the most recent generation of any run was recorded; ``None`` when none was,
        including on a database not migrated yet (no ``generations`` table in the current schema: nothing can have
        been recorded). So this read needs no :meth:`migrate` first and never changes the schema.

        ``retry_seconds`` caps the retry budget of this read (see :meth:`_run`): the API reads it at scrape time,
        which must answer well inside Prometheus' scrape timeout. The table check and the read are one transaction,
        so the whole call is retried within that one budget."""
        latest = schema.us_from_ts(self.dialect, "max(recorded_at)")

        def work(session: Session) -> float | None:
            if not session.query(_TABLE_EXISTS, ("generations",)):
                return None
            rows = session.query(f"SELECT {latest} FROM generations")
            recorded_us = rows[0][0] if rows else None
            return None if recorded_us is None else int(recorded_us) / 1_000_000

        return self._run("last_generation_time", work, retry_seconds=retry_seconds)

    def generations(self, run_id: str) -> list[StoredGeneration]:
        """The recorded generations of a run, in order."""
        rows = self._run(
            "generations",
            lambda s: s.query(
                "SELECT generation, stats FROM generations WHERE run_id = %s ORDER BY generation", (run_id,)
            ),
        )
        return [
            StoredGeneration(int(g), load_object(stats, f"stats of run {run_id!r}, generation {g}"))
            for g, stats in rows
        ]

    def save_checkpoint(self, run_id: str, generation: int, payload: bytes) -> None:
        """Store the checkpoint taken after ``generation``; keeps the last :data:`CHECKPOINTS_KEPT` per run."""
        check_run_id(run_id)
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise ValueError(f"checkpoint of run {run_id!r}: payload must be bytes, got {type(payload).__name__}")

        def work(session: Session) -> None:
            self._require_run(session, run_id)
            session.execute("DELETE FROM checkpoints WHERE run_id = %s AND generation = %s", (run_id, generation))
            session.execute(
                "INSERT INTO checkpoints (run_id, generation, payload, created_at) VALUES "
                f"(%s, %s, %s, {schema.ts_from_us(self.dialect, '%s')})",
                (run_id, int(generation), bytes(payload), _now_us()),
            )
            session.execute(
                "DELETE FROM checkpoints WHERE run_id = %s AND generation NOT IN (SELECT generation FROM "
                "checkpoints WHERE run_id = %s ORDER BY generation DESC LIMIT %s)",
                (run_id, run_id, CHECKPOINTS_KEPT),
            )

        self._run("save_checkpoint", work)

    def load_checkpoint(self, run_id: str) -> tuple[int, bytes] | None:
        """``(generation, payload)`` of the latest checkpoint of ``run_id``, or ``None``."""
        rows = self._run(
            "load_checkpoint",
            lambda s: s.query(
                "SELECT generation, payload FROM checkpoints WHERE run_id = %s ORDER BY generation DESC LIMIT 1",
                (run_id,),
            ),
        )
        return (int(rows[0][0]), bytes(rows[0][1])) if rows else None

    def save_hall_of_fame(self, run_id: str, entries: Sequence[HallOfFameRow]) -> list[str]:
        """Replace the hall of fame of ``run_id`` with ``entries``. Non-finite ``fitness`` and ``dsr`` are stored as
        ``None``. Entries are ranked by fitness, descending, ``None`` last, ties in the given order; a ``promoted``
        entry with a non-empty ``gate`` is stored as not promoted. Returns the strategy ids in rank order."""
        check_run_id(run_id)
        for index, entry in enumerate(entries):
            _check_row(run_id, index, entry)
        fitness = [_optional_float(entry.fitness) for entry in entries]
        order = sorted(range(len(entries)), key=lambda i: (fitness[i] is None, -(fitness[i] or 0.0), i))
        now = _now_us()
        rows = []
        for rank, i in enumerate(order, start=1):
            e = entries[i]
            rows.append(
                (
                    f"{run_id}.{rank}",
                    run_id,
                    rank,
                    e.strategy,
                    dump_json(e.params),
                    fitness[i],
                    _optional_float(e.dsr),
                    dump_json(e.train_metrics),
                    dump_json(e.holdout_metrics),
                    dump_json(e.details),
                    bool(e.promoted) and not e.gate,
                    dump_json(list(e.gate)),
                    now,
                )
            )

        def work(session: Session) -> None:
            self._require_run(session, run_id)
            session.execute("DELETE FROM strategies WHERE run_id = %s", (run_id,))
            for row in rows:
                session.execute(
                    "INSERT INTO strategies (id, run_id, rank, seed, symbol, params, fitness, dsr, train_metrics, "
                    "holdout_metrics, details, promoted, gate, created_at) "
                    "SELECT %s, %s, %s, %s, r.symbol, %s, %s, %s, %s, %s, %s, %s, %s, "
                    f"{schema.ts_from_us(self.dialect, '%s')} FROM runs r WHERE r.run_id = %s",
                    (*row, run_id),
                )

        self._run("save_hall_of_fame", work)
        return [row[0] for row in rows]

    def finish_run(self, run_id: str, summary: JsonObject) -> None:
        """Mark the run finished with its summary."""
        check_run_id(run_id)
        summary_json = dump_json(summary)

        def work(session: Session) -> None:
            self._require_run(session, run_id)
            session.execute(
                f"UPDATE runs SET status = 'finished', finished_at = {schema.ts_from_us(self.dialect, '%s')}"
                ", summary = %s WHERE run_id = %s",
                (_now_us(), summary_json, run_id),
            )

        self._run("finish_run", work)

    # -- strategies ----------------------------------------------------------------------------------------------
    def list_strategies(
        self, seed: str | None = None, limit: int = 50, symbol: str | None = None, promoted_only: bool = False
    ) -> list[StoredStrategy]:
        """Stored hall-of-fame strategies, best fitness first (``None`` last, ties by id), optionally of one seed
        and/or symbol, optionally only the promoted ones (listed once across runs: :func:`strategies_query`)."""
        sql, params = strategies_query(self.dialect, seed, limit, symbol, promoted_only)
        rows = self._run("list_strategies", lambda s: s.query(sql, params))
        return [strategy_from_row(row) for row in rows]

    def get_strategy(self, strategy_id: str) -> StoredStrategy | None:
        """One stored strategy by id, or ``None`` (at once for an id no stored one can have: with a NUL byte)."""
        if not can_be_strategy_id(strategy_id):
            return None
        rows = self._run("get_strategy", lambda s: s.query(strategy_query(self.dialect), (strategy_id,)))
        return strategy_from_row(rows[0]) if rows else None


# -- strategy reads, shared with the API's async reader (workloads/storage/postgres_async.py) ------------------------
_STRATEGY_COLUMNS = (
    "id, run_id, rank, seed, symbol, params, fitness, dsr, train_metrics, holdout_metrics, details, promoted, gate, {}"
)


def _strategy_select(dialect: str) -> str:
    return "SELECT " + _STRATEGY_COLUMNS.format(schema.us_from_ts(dialect, "created_at")) + " FROM strategies"


def can_be_strategy_id(strategy_id: str) -> bool:
    """Whether a stored strategy can have this id (none has a NUL byte, which PostgreSQL text cannot hold)."""
    return "\x00" not in strategy_id


def strategy_query(dialect: str) -> str:
    """The SQL of one strategy by id (one ``%s``: the id); rows decode with :func:`strategy_from_row`."""
    return _strategy_select(dialect) + " WHERE id = %s"


def strategies_query(
    dialect: str, seed: str | None, limit: int, symbol: str | None, promoted_only: bool
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of :meth:`Storage.list_strategies` (a bad ``limit`` raises ``ValueError``).

    Promoted strategies are listed once across runs: promoted records with the same seed, the same genes, the same
    data (fingerprint) and the same costs (:data:`COST_KEYS` of their runs' configs) trade identically, and only the
    first stored (earliest ``created_at``, then id) is listed, so the id a client already holds stays the listed one.
    Every record is listed when ``promoted_only`` is false."""
    _check_limit(limit)
    where = ["s.promoted"] if promoted_only else []
    params: list[Any] = []
    if seed is not None:
        where.append("s.seed = %s")
        params.append(seed)
    if symbol is not None:
        where.append("s.symbol = %s")
        params.append(symbol)
    costs = ", ".join(f"r.config->>'{key}'" for key in COST_KEYS)
    copy = (
        f"ROW_NUMBER() OVER (PARTITION BY s.seed, CAST(s.params AS TEXT), r.data_fingerprint, {costs} "
        "ORDER BY s.created_at, s.id)"
        if promoted_only
        else "1"
    )
    sql = (
        "SELECT "
        + _STRATEGY_COLUMNS.format(schema.us_from_ts(dialect, "created_at"))
        + f" FROM (SELECT s.*, {copy} AS copy FROM strategies s LEFT JOIN runs r ON r.run_id = s.run_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + ") AS listed WHERE copy = 1 ORDER BY fitness DESC NULLS LAST, id LIMIT %s"
    )
    return sql, (*params, limit)


def strategy_from_row(row: tuple[Any, ...]) -> StoredStrategy:
    """One stored strategy as the API and the CLI show it, from a row of :func:`strategy_query`."""
    sid, run_id, rank, seed, symbol, params, fitness, dsr, train, holdout, details, promoted, gate, created = row
    where = f"strategy {sid!r}"
    gate_document = load_json(gate)
    if gate_document is not None and not isinstance(gate_document, list):
        raise StorageError(f"{where}: gate must be a JSON list, found {type(gate_document).__name__}")
    return StoredStrategy(
        id=str(sid),
        run_id=str(run_id),
        rank=int(rank),
        seed=str(seed),
        symbol=None if symbol is None else str(symbol),
        params=cast(Mapping[str, ParamValue], load_object(params, f"{where}: params")),
        fitness=None if fitness is None else float(fitness),
        dsr=None if dsr is None else float(dsr),
        train_metrics=cast(Metrics | None, _load_optional_object(train, f"{where}: train_metrics")),
        holdout_metrics=cast(Metrics | None, _load_optional_object(holdout, f"{where}: holdout_metrics")),
        details=load_object(details, f"{where}: details"),
        promoted=bool(promoted),
        gate=None if gate_document is None else tuple(str(reason) for reason in gate_document),
        created_at=iso_from_us(created),
    )
