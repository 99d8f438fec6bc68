"""The schema: migrations on both dialects, and the TimescaleDB path (statements and when they are applied)."""

from __future__ import annotations

from typing import Any

import pytest

from workloads.storage import schema
from workloads.storage.postgres import PostgresStorage


def test_timescale_statements_make_ohlcv_and_generations_hypertables_and_compress_ohlcv():
    statements = schema.timescale_statements()
    assert statements[0] == (
        "SELECT create_hypertable('ohlcv', 'ts', chunk_time_interval => INTERVAL '30 days', "
        "if_not_exists => TRUE, migrate_data => TRUE)"
    )
    assert statements[1].startswith("SELECT create_hypertable('generations', 'recorded_at'")
    assert "timescaledb.compress, timescaledb.compress_segmentby = 'symbol'" in statements[2]
    assert statements[3] == (
        "SELECT add_compression_policy('ohlcv', compress_after => INTERVAL '90 days', if_not_exists => TRUE)"
    )


@pytest.mark.parametrize(
    "dialect, json_type, bytes_type", [("duckdb", "JSON", "BLOB"), ("postgresql", "JSONB", "BYTEA")]
)
def test_initial_migration_differs_between_dialects_only_in_type_names(dialect, json_type, bytes_type):
    ddl = " ".join(schema.MIGRATIONS[0].statements(dialect))
    assert f"config {json_type} NOT NULL" in ddl and f"payload {bytes_type} NOT NULL" in ddl
    other = "postgresql" if dialect == "duckdb" else "duckdb"
    normalised = " ".join(schema.MIGRATIONS[0].statements(other)).replace("JSONB", "JSON").replace("BYTEA", "BLOB")
    assert ddl.replace("JSONB", "JSON").replace("BYTEA", "BLOB") == normalised


def test_migration_versions_are_increasing_and_unique():
    versions = [m.version for m in schema.MIGRATIONS]
    assert versions == sorted(set(versions)) and versions[0] == 1


class RecordingSession:
    """Answers the catalogue queries of ``_enable_timescale`` and records every statement."""

    def __init__(self, installed: bool, available: bool, hypertables: set[str]) -> None:
        self.installed, self.available, self.hypertables = installed, available, hypertables
        self.executed: list[str] = []

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.executed.append(sql)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if "pg_extension" in sql:
            return [(1,)] if self.installed else []
        if "pg_available_extensions" in sql:
            return [(1,)] if self.available else []
        if "timescaledb_information.hypertables" in sql:
            return [(name,) for name in self.hypertables]
        raise AssertionError(f"unexpected query {sql}")


def enable_with(session: RecordingSession) -> bool:
    storage = PostgresStorage.__new__(PostgresStorage)
    storage.url = "postgresql://u:***@h/db"
    storage._run = lambda operation, work: work(session)  # type: ignore[method-assign]
    return storage._enable_timescale()


def test_available_extension_is_created_and_tables_become_hypertables():
    session = RecordingSession(installed=False, available=True, hypertables=set())
    assert enable_with(session) is True
    assert session.executed == ["CREATE EXTENSION IF NOT EXISTS timescaledb", *schema.timescale_statements()]


def test_existing_hypertables_are_left_alone():
    session = RecordingSession(installed=True, available=True, hypertables={"ohlcv", "generations"})
    assert enable_with(session) is True
    assert session.executed == []


def test_without_the_extension_plain_tables_are_kept():
    session = RecordingSession(installed=False, available=False, hypertables=set())
    assert enable_with(session) is False
    assert session.executed == []


def test_promotion_is_a_new_migration_not_an_edit_of_the_first():
    assert "promoted" not in " ".join(schema.MIGRATIONS[0].statements("duckdb"))
    assert any("promoted" in " ".join(m.statements("duckdb")) for m in schema.MIGRATIONS[1:])
