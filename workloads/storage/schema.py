"""The schema: versioned migrations, the dialect differences, and the TimescaleDB statements.

Migrations are applied in ``version`` order and recorded in ``schema_migrations``; a migration is never edited once
released — a change is a new version. Both dialects (``duckdb``, ``postgresql``) get the same tables and columns;
only type names differ (``JSON``/``JSONB``, ``BLOB``/``BYTEA``).

TimescaleDB (PostgreSQL only, when the ``timescaledb`` extension can be created): ``ohlcv`` becomes a hypertable on
``ts`` (30-day chunks) with compression segmented by symbol and a policy compressing chunks older than 90 days;
``generations`` becomes a hypertable on ``recorded_at``. This is not a numbered migration because it depends on the
server, not on the schema version: :meth:`Storage.migrate` applies it (idempotently) whenever the extension is
present and the tables are not hypertables yet. Without the extension the plain tables serve the same queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DIALECTS = ("duckdb", "postgresql")

MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at TIMESTAMPTZ NOT NULL)"
)

STAGING_COLUMNS = ("symbol", "ts_us", "open", "high", "low", "close", "volume", "funding_rate")
"""Columns of the temporary ``staging_bars`` table used by ``put_bars`` (``ts_us``: int64 µs since the epoch)."""

OHLCV_CHUNK_INTERVAL = "30 days"
OHLCV_COMPRESS_AFTER = "90 days"
GENERATIONS_CHUNK_INTERVAL = "7 days"


def ts_from_us(dialect: str, expr: str) -> str:
    """SQL turning an integer of microseconds since the epoch into a ``TIMESTAMPTZ`` (exact, no float rounding)."""
    if dialect == "duckdb":
        return f"(to_timestamp(0) + to_microseconds(CAST({expr} AS BIGINT)))"
    return f"(TIMESTAMPTZ 'epoch' + CAST({expr} AS BIGINT) * INTERVAL '1 microsecond')"


def us_from_ts(dialect: str, expr: str) -> str:
    """SQL turning a ``TIMESTAMPTZ`` into integer microseconds since the epoch (exact)."""
    if dialect == "duckdb":
        return f"epoch_us({expr})"
    return f"CAST(EXTRACT(EPOCH FROM {expr}) * 1000000 AS BIGINT)"


def _types(dialect: str) -> dict[str, str]:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    return {"json": "JSON" if dialect == "duckdb" else "JSONB", "bytes": "BLOB" if dialect == "duckdb" else "BYTEA"}


def _initial(dialect: str) -> list[str]:
    t = _types(dialect)
    return [
        "CREATE TABLE ohlcv (symbol TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL, open DOUBLE PRECISION NOT NULL, "
        "high DOUBLE PRECISION NOT NULL, low DOUBLE PRECISION NOT NULL, close DOUBLE PRECISION NOT NULL, "
        "volume DOUBLE PRECISION NOT NULL, funding_rate DOUBLE PRECISION, PRIMARY KEY (symbol, ts))",
        f"CREATE TABLE runs (run_id TEXT PRIMARY KEY, symbol TEXT, data_fingerprint TEXT NOT NULL, "
        f"config {t['json']} NOT NULL, status TEXT NOT NULL, started_at TIMESTAMPTZ NOT NULL, "
        f"finished_at TIMESTAMPTZ, summary {t['json']})",
        f"CREATE TABLE generations (run_id TEXT NOT NULL, generation INTEGER NOT NULL, "
        f"recorded_at TIMESTAMPTZ NOT NULL, stats {t['json']} NOT NULL)",
        "CREATE INDEX generations_run ON generations (run_id, generation)",
        "CREATE TABLE strategies (id TEXT PRIMARY KEY, run_id TEXT NOT NULL, rank INTEGER NOT NULL, "
        f"seed TEXT NOT NULL, symbol TEXT, params {t['json']} NOT NULL, fitness DOUBLE PRECISION, "
        "dsr DOUBLE PRECISION, "
        f"train_metrics {t['json']}, holdout_metrics {t['json']}, details {t['json']} NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL)",
        "CREATE INDEX strategies_seed_fitness ON strategies (seed, fitness)",
        "CREATE INDEX strategies_run ON strategies (run_id)",
        f"CREATE TABLE checkpoints (run_id TEXT NOT NULL, generation INTEGER NOT NULL, payload {t['bytes']} NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (run_id, generation))",
    ]


def _promotion(dialect: str) -> list[str]:
    t = _types(dialect)
    return [
        "ALTER TABLE strategies ADD COLUMN promoted BOOLEAN DEFAULT FALSE",
        f"ALTER TABLE strategies ADD COLUMN gate {t['json']}",
    ]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: Callable[[str], list[str]]
    """``dialect -> [SQL statement]``."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: ohlcv, runs, generations, strategies, checkpoints", _initial),
    Migration(2, "strategies: promoted and the promotion gate's reasons", _promotion),
)

HYPERTABLES: tuple[tuple[str, str, str], ...] = (
    ("ohlcv", "ts", OHLCV_CHUNK_INTERVAL),
    ("generations", "recorded_at", GENERATIONS_CHUNK_INTERVAL),
)
"""``(table, time column, chunk interval)`` of each hypertable."""


def timescale_statements() -> list[str]:
    """The TimescaleDB DDL, in order: hypertables (migrating existing rows), ohlcv compression and its policy."""
    statements = [
        f"SELECT create_hypertable('{table}', '{column}', chunk_time_interval => INTERVAL '{interval}', "
        "if_not_exists => TRUE, migrate_data => TRUE)"
        for table, column, interval in HYPERTABLES
    ]
    statements += [
        "ALTER TABLE ohlcv SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol', "
        "timescaledb.compress_orderby = 'ts')",
        f"SELECT add_compression_policy('ohlcv', compress_after => INTERVAL '{OHLCV_COMPRESS_AFTER}', "
        "if_not_exists => TRUE)",
    ]
    return statements
