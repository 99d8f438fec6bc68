"""The scrape-time read against a real PostgreSQL that is down: it gives up on the short budget
(:data:`workloads.service.storage_metrics.SCRAPE_RETRY_SECONDS`), waits for a pooled connection no longer than that,
and leaves every other call's budget as it was, also in an API that has not migrated the schema yet. Budgets are
observed in the errors and the pool calls, never on a clock."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from workloads.service import create_app
from workloads.service.storage_metrics import SCRAPE_RETRY_SECONDS, LastGenerationCollector
from workloads.settings import Settings
from workloads.storage import StorageError
from workloads.storage.postgres import PostgresStorage

pytestmark = pytest.mark.integration


@pytest.fixture
def stopped(postgres):
    """A migrated storage with the default 30 s budget, on a server that has just stopped."""
    storage = PostgresStorage(postgres.url)
    storage.migrate()
    postgres.stop("immediate")
    yield storage
    storage.close()


def test_a_scrape_on_a_stopped_server_exports_nothing_and_gives_up_on_the_short_budget(stopped, caplog):
    with caplog.at_level(logging.WARNING, logger="workloads.service.storage_metrics"):
        assert list(LastGenerationCollector(lambda: stopped).collect()) == []
    assert f"last_generation_time failed after retrying for {SCRAPE_RETRY_SECONDS:g} s" in caplog.text


def test_a_scrape_before_the_api_migrated_gives_up_on_the_short_budget(postgres, caplog):
    storage = PostgresStorage(postgres.url)
    postgres.stop("immediate")
    with (
        TestClient(create_app(Settings(database_url=postgres.url), storage=storage)) as client,
        caplog.at_level(logging.WARNING, logger="workloads.service.storage_metrics"),
    ):
        assert client.get("/metrics").status_code == 200
    assert f"last_generation_time failed after retrying for {SCRAPE_RETRY_SECONDS:g} s" in caplog.text


def test_waiting_for_a_pooled_connection_is_bounded_by_the_short_budget(stopped, monkeypatch):
    pool = stopped._pool
    waits: list[float | None] = []
    acquire = pool.connection

    def recording(timeout: float | None = None):
        waits.append(timeout)
        return acquire(timeout=timeout)

    monkeypatch.setattr(pool, "connection", recording)
    with pytest.raises(StorageError):
        stopped.last_generation_time(retry_seconds=SCRAPE_RETRY_SECONDS)
    assert pool.timeout > SCRAPE_RETRY_SECONDS
    assert waits and all(wait is not None and wait <= SCRAPE_RETRY_SECONDS for wait in waits)


def test_other_calls_keep_the_storage_budget_after_a_short_budget_read(postgres_down):
    with pytest.raises(StorageError, match=r"last_generation_time failed after retrying for 0.5 s"):
        postgres_down.last_generation_time(retry_seconds=0.5)
    with pytest.raises(StorageError, match=r"generations failed after retrying for 1 s"):
        postgres_down.generations("run")


def test_a_per_call_budget_never_lengthens_the_storage_budget(postgres_down):
    with pytest.raises(StorageError, match=r"last_generation_time failed after retrying for 1 s"):
        postgres_down.last_generation_time(retry_seconds=SCRAPE_RETRY_SECONDS)
