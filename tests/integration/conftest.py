"""Session-wide throwaway servers (started from system binaries; see ``servers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.integration.servers import PostgresServer, RedisServer

if TYPE_CHECKING:
    from workloads.storage.postgres import PostgresStorage


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture()
def postgres(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The session's PostgreSQL, running, with an empty ``public`` schema for each test."""
    import psycopg

    if not postgres_server.is_running():
        postgres_server.start()
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield postgres_server
    if not postgres_server.is_running():
        postgres_server.start()


@pytest.fixture()
def postgres_down(postgres: PostgresServer) -> Iterator[PostgresStorage]:
    """A migrated storage with a 1 s retry budget (and 1 s pool wait), on a server that has just stopped."""
    from workloads.storage.postgres import PostgresStorage

    storage = PostgresStorage(postgres.url, retry_seconds=1.0, connect_timeout=1.0)
    storage.migrate()
    postgres.stop("immediate")
    yield storage
    storage.close()


@pytest.fixture()
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh ``redis-server`` per test (tests kill and restart it)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()
