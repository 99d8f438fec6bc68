"""PostgreSQL specifics: retries across a server restart, clear errors when it stays down, and the TimescaleDB DDL
checked by a real server that lacks the extension."""

from __future__ import annotations

import functools
import threading
import time

import psycopg
import pytest

from tests.integration.servers import PG_PASSWORD
from workloads.data.synthetic import generate
from workloads.metrics import STORAGE_ERRORS
from workloads.storage import StorageError, open_storage, schema
from workloads.storage import postgres as postgres_backend
from workloads.storage.postgres import PostgresStorage

pytestmark = pytest.mark.integration


def errors_counted(operation: str) -> float:
    return STORAGE_ERRORS.labels(operation)._value.get()


def test_writes_retry_across_a_server_restart_and_complete(postgres):
    storage = PostgresStorage(postgres.url, connect_timeout=1.0)
    try:
        storage.migrate()
        storage.create_run("restart", {}, "fp")
        before = errors_counted("save_checkpoint")
        postgres.stop("immediate")
        restarter = threading.Timer(2.5, postgres.start)  # longer than a connection attempt: the write must retry
        restarter.start()
        storage.save_checkpoint("restart", 0, b"after restart")
        restarter.join()
        assert storage.load_checkpoint("restart") == (0, b"after restart")
        assert errors_counted("save_checkpoint") > before
    finally:
        storage.close()


def test_a_server_that_stays_down_gives_a_clear_error_without_the_password(postgres_down):
    with pytest.raises(
        StorageError,
        match=r"postgresql://genepool:\*\*\*@127.0.0.1:\d+/postgres: put_bars "
        r"failed after retrying for 1 s",
    ) as info:
        postgres_down.put_bars("BTC", generate(50, 1))
    assert PG_PASSWORD not in str(info.value)


def test_a_server_that_stays_down_is_retried_only_within_the_retry_budget(postgres_down, monkeypatch):
    """What a call waits for is its backoff sleeps and its waits for a pooled connection (the pool connects in the
    background): both are recorded, and no attempt may wait longer than the sleeps before it left of the 1 s
    budget."""
    sleeps: list[float] = []
    waits: list[float | None] = []

    def recording_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    acquire = postgres_down._pool.connection

    def recording_connection(timeout: float | None = None):
        waits.append(timeout)
        return acquire(timeout=timeout)

    monkeypatch.setattr(
        postgres_backend, "Retrying", functools.partial(postgres_backend.Retrying, sleep=recording_sleep)
    )
    monkeypatch.setattr(postgres_down._pool, "connection", recording_connection)
    with pytest.raises(StorageError, match="failed after retrying for 1 s"):
        postgres_down.put_bars("BTC", generate(50, 1))
    assert waits and len(waits) == len(sleeps) + 1  # no sleep after the last attempt: it gave up instead
    assert all(
        wait is not None and sum(sleeps[:attempt]) + wait <= postgres_down.retry_seconds
        for attempt, wait in enumerate(waits)
    )


# Stubs with the signatures TimescaleDB 2.x documents, so PostgreSQL resolves every named argument and type of
# our statements exactly as it would with the extension; created inside one rolled-back transaction, in their own
# schema first on the search path, so they never collide with a real extension's functions in ``public``.
TIMESCALE_STUBS = (
    "CREATE SCHEMA timescale_stubs",
    "SET LOCAL search_path = timescale_stubs, public",
    "CREATE FUNCTION timescale_stubs.create_hypertable(relation regclass, time_column_name name, "
    "partitioning_column name DEFAULT NULL, number_partitions integer DEFAULT NULL, "
    "associated_schema_name name DEFAULT NULL, associated_table_prefix name DEFAULT NULL, "
    "chunk_time_interval anyelement DEFAULT NULL::bigint, create_default_indexes boolean DEFAULT true, "
    "if_not_exists boolean DEFAULT false, partitioning_func regproc DEFAULT NULL, migrate_data boolean "
    "DEFAULT false, chunk_target_size text DEFAULT NULL, chunk_sizing_func regproc DEFAULT NULL, "
    "time_partitioning_func regproc DEFAULT NULL) RETURNS TABLE(hypertable_id integer, schema_name name, "
    "table_name name, created boolean) LANGUAGE sql AS $$ SELECT 1, ''::name, ''::name, true $$",
    "CREATE FUNCTION timescale_stubs.add_compression_policy(hypertable regclass, compress_after "
    "anyelement DEFAULT NULL::interval, if_not_exists boolean DEFAULT false, schedule_interval interval "
    "DEFAULT NULL, initial_start timestamptz DEFAULT NULL, timezone text DEFAULT NULL) RETURNS integer "
    "LANGUAGE sql AS $$ SELECT 1 $$",
)


def test_timescale_ddl_is_valid_sql_for_postgresql_against_our_schema(postgres):
    with open_storage(postgres.url):
        pass
    with psycopg.connect(postgres.url) as conn, conn.transaction(force_rollback=True):
        for stub in TIMESCALE_STUBS:
            conn.execute(stub)
        for statement in schema.timescale_statements():
            if statement.startswith("ALTER TABLE"):
                # Without the extension the server parses the statement and rejects only the option namespace;
                # a syntax error would be SQLSTATE 42601 instead.
                with (
                    pytest.raises(psycopg.errors.InvalidParameterValue, match='namespace "timescaledb"'),
                    conn.transaction(),
                ):
                    conn.execute(statement)
            else:
                assert conn.execute(statement).fetchall()


def test_concurrent_first_imports_on_an_empty_database_are_serialised_and_idempotent(postgres):
    """Four imports of one symbol at once on an empty database: every one succeeds, the timescale status agrees
    with the server, and the inserted counts add up to the bars stored (not 4 x the bars)."""
    bars = generate(2000, 4)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def import_once() -> None:
        try:
            storage = PostgresStorage(postgres.url)
            try:
                start.wait()
                storage.migrate()
                counts.append(storage.put_bars("BTC", bars))
            finally:
                storage.close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=import_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(counts) == len(bars)
    with open_storage(postgres.url) as storage:
        assert len(storage.get_bars("BTC")) == len(bars)


def test_the_timescale_status_is_read_from_the_catalog_before_this_process_migrates(postgres):
    with psycopg.connect(postgres.url) as conn:
        available = bool(conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchall())
    with open_storage(postgres.url):
        pass
    fresh = PostgresStorage(postgres.url)
    try:
        assert fresh.timescale is available
    finally:
        fresh.close()


def test_ohlcv_and_generations_are_hypertables_exactly_when_the_extension_is_available(postgres):
    """Debian packages no timescaledb, so CI checks the plain-table branch; a server with it checks the other."""
    with psycopg.connect(postgres.url) as conn:
        available = bool(conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchall())
    with open_storage(postgres.url) as storage:
        assert storage.timescale is available
        storage.put_bars("BTC", generate(100, 1))
        assert len(storage.get_bars("BTC")) == 100
    if available:
        with psycopg.connect(postgres.url) as conn:
            tables = {row[0] for row in conn.execute("SELECT hypertable_name FROM timescaledb_information.hypertables")}
        assert tables == {"ohlcv", "generations"}
