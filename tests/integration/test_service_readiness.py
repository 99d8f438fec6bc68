"""Readiness against real servers: healthy with PostgreSQL and Redis up, degraded when Redis dies, unhealthy (503)
when PostgreSQL stops; ``genepool health --json`` reading the same settings from the environment; and ``/metrics``
reading the last generation time from PostgreSQL before and after the API migrated the schema."""

from __future__ import annotations

import json

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.integration.servers import PG_PASSWORD
from workloads.cache.redis import RedisCache
from workloads.cli import app as cli
from workloads.metrics import STORAGE_ERRORS
from workloads.service import create_app
from workloads.settings import Settings
from workloads.storage.postgres import PostgresStorage

pytestmark = pytest.mark.integration


@pytest.fixture
def served(postgres, redis_server):
    settings = Settings(database_url=postgres.url, redis_url=redis_server.url, api_token="t")
    storage = PostgresStorage(postgres.url, retry_seconds=1.0, connect_timeout=1.0)
    with TestClient(create_app(settings, storage=storage, cache=RedisCache(redis_server.url))) as client:
        yield client


def test_readiness_is_healthy_with_every_server_up(served):
    response = served.get("/health/readiness", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200 and response.json()["status"] == "healthy"
    assert response.json()["checks"]["storage"]["backend"] == "postgresql"


def test_readiness_turns_degraded_when_redis_is_down(served, redis_server):
    redis_server.kill()
    response = served.get("/health/readiness")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "degraded" and body["checks"]["cache"]["error"]
    assert body["checks"]["storage"]["status"] == "healthy"


def test_readiness_turns_unhealthy_when_the_database_is_down(served, postgres):
    postgres.stop("immediate")
    response = served.get("/health/readiness")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "unhealthy"
    assert body["checks"]["storage"]["status"] == "unhealthy"
    assert PG_PASSWORD not in response.text


def test_v1_is_503_when_the_database_is_down(served, postgres):
    postgres.stop("immediate")
    response = served.get("/v1/strategies", headers={"Authorization": "Bearer t"})
    assert response.status_code == 503 and "storage unavailable" in response.json()["detail"]
    for secret in (PG_PASSWORD, "genepool", "127.0.0.1", "postgres"):
        assert secret not in response.text


def test_health_command_reads_the_environment_and_reports_each_check(postgres, redis_server, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", postgres.url)
    monkeypatch.setenv("GENEPOOL_REDIS_URL", redis_server.url)
    result = CliRunner().invoke(cli, ["health", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "healthy"
    assert report["checks"]["cache"]["backend"] == "redis" and report["checks"]["storage"]["backend"] == "postgresql"


def test_health_command_exits_1_when_the_database_is_down(postgres, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", postgres.url)
    postgres.stop("immediate")
    result = CliRunner().invoke(cli, ["health", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["checks"]["storage"]["status"] == "unhealthy"
    assert PG_PASSWORD not in result.output


def _last_generation_samples(text: str) -> list[float]:
    return [
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("genepool_last_generation_timestamp_seconds")
    ]


def test_metrics_export_the_last_generation_time_stored_in_postgresql(served):
    assert _last_generation_samples(served.get("/metrics").text) == []
    storage = served.app.state.genepool.migrated_storage()
    storage.create_run("r1", {}, "fp")
    storage.record_generation("r1", 0, {"ema_crossover": {"best": 1.0}})
    assert _last_generation_samples(served.get("/metrics").text) == [storage.last_generation_time()]


def _storage_errors(operation: str) -> float:
    return STORAGE_ERRORS.labels(operation)._value.get()


def _public_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
        ]


def test_metrics_export_no_last_generation_time_before_migration(served):
    before = _storage_errors("last_generation_time")
    response = served.get("/metrics")
    assert response.status_code == 200 and _last_generation_samples(response.text) == []
    assert _storage_errors("last_generation_time") == before


def test_a_scrape_before_migration_leaves_the_schema_unmigrated(served, postgres):
    served.get("/metrics")
    assert _public_tables(postgres.url) == []


def test_metrics_answer_without_the_last_generation_time_when_the_database_is_down(served, postgres):
    served.app.state.genepool.migrated_storage()
    postgres.stop("immediate")
    before = _storage_errors("last_generation_time")
    response = served.get("/metrics")
    assert response.status_code == 200 and "genepool_http_requests_total" in response.text
    assert _last_generation_samples(response.text) == []
    assert _storage_errors("last_generation_time") > before


def test_a_scrape_before_migration_on_a_stopped_database_fails_in_the_read_and_never_migrates(served, postgres):
    postgres.stop("immediate")
    read_errors, migrate_errors = _storage_errors("last_generation_time"), _storage_errors("migrate")
    response = served.get("/metrics")
    assert response.status_code == 200 and _last_generation_samples(response.text) == []
    assert _storage_errors("last_generation_time") > read_errors
    assert _storage_errors("migrate") == migrate_errors
