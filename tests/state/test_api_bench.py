"""The API benchmark's load generator (raw HTTP/1.1 keep-alive clients) against a real uvicorn server: what it
counts, never how fast."""

from __future__ import annotations

from tests.integration.api_server import serving
from workloads.service import create_app
from workloads.service.bench import load
from workloads.settings import Settings

TOKEN = "bench-token"


def _app(tmp_path):
    return create_app(Settings(database_url=f"duckdb://{tmp_path}/b.duckdb", api_token=TOKEN, home=tmp_path))


def test_the_load_generator_sends_at_most_the_requested_number_and_counts_200s_as_successes(tmp_path):
    with serving(_app(tmp_path)) as base:
        result = load(f"{base}/v1/strategies?limit=3", TOKEN, clients=4, requests=40, seconds=60)
    assert result["requests"] == 40 and result["errors"] == 0


def test_the_load_generator_counts_every_other_status_as_an_error(tmp_path):
    with serving(_app(tmp_path)) as base:
        result = load(f"{base}/v1/strategies", "wrong-token", clients=2, requests=10, seconds=60)
    assert result["requests"] == 10 and result["errors"] == 10


def test_the_load_generator_reports_the_cpu_of_the_server_the_generator_and_the_rest(tmp_path):
    with serving(_app(tmp_path)) as base:
        result = load(f"{base}/v1/strategies", TOKEN, clients=2, requests=10, seconds=60)
    assert set(result["cpu"]) == {"server", "generator", "rest_of_machine"}
    assert all(value >= 0 for value in result["cpu"].values())
