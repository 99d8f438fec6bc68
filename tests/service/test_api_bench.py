"""The API benchmark's load generator (raw HTTP/1.1 keep-alive clients) against a real uvicorn server: what it
counts, never how fast."""

from __future__ import annotations

import pytest

from tests.integration.api_server import serving
from workloads.service import create_app
from workloads.service.bench import (
    CACHE_BYPASS_SCHEME,
    UNCACHED_TARGET_P99_MS,
    UNCACHED_TARGET_REQ_PER_S,
    load,
    run_benchmark,
    summarise,
    target_met,
)
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


def test_the_load_generator_walks_every_given_url(tmp_path):
    with serving(_app(tmp_path)) as base:
        urls = [f"{base}/v1/strategies?limit=3", f"{base}/v1/strategies/no-such-id"]
        result = load(urls, TOKEN, clients=1, requests=10, seconds=60)
    assert result["requests"] == 10 and result["errors"] == 5


def test_the_load_generator_refuses_urls_on_different_servers():
    with pytest.raises(ValueError, match="same host and port"):
        load(["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"], TOKEN, clients=1, requests=1, seconds=1)


def test_requests_spelled_for_the_uncached_route_reach_the_route_and_are_never_cached(tmp_path):
    app = _app(tmp_path)
    with serving(app) as base:
        result = load(
            f"{base}/v1/strategies?limit=3", TOKEN, clients=2, requests=20, seconds=60, scheme=CACHE_BYPASS_SCHEME
        )
    assert result["errors"] == 0 and len(app.state.genepool.responses) == 0


def test_the_load_generator_reports_the_load_average_before_and_after(tmp_path):
    with serving(_app(tmp_path)) as base:
        result = load(f"{base}/v1/strategies", TOKEN, clients=1, requests=5, seconds=60)
    assert len(result["load_average"]) == 2 and all(value >= 0 for value in result["load_average"])


def _figures(req_per_s: float, p99_ms: float, errors: int = 0) -> dict:
    return {"req_per_s": req_per_s, "p50_ms": p99_ms / 4, "p99_ms": p99_ms, "errors": errors, "load_average": [1, 2]}


@pytest.mark.parametrize(
    "figures, met",
    [
        (_figures(UNCACHED_TARGET_REQ_PER_S, UNCACHED_TARGET_P99_MS - 0.1), True),
        (_figures(UNCACHED_TARGET_REQ_PER_S - 0.1, 1.0), False),
        (_figures(10 * UNCACHED_TARGET_REQ_PER_S, UNCACHED_TARGET_P99_MS), False),
        (_figures(10 * UNCACHED_TARGET_REQ_PER_S, 1.0, errors=1), False),
    ],
)
def test_the_uncached_target_needs_the_rate_the_p99_and_no_errors(figures, met):
    assert target_met(figures) is met


def test_the_summary_of_several_runs_is_their_median_against_the_target():
    runs = [_figures(2000, 60), _figures(3500, 40), _figures(4000, 30)]
    summary = summarise(runs)
    assert (summary["req_per_s"], summary["p99_ms"], summary["runs"], summary["met"]) == (3500, 40, 3, True)


def test_the_api_bench_refuses_duckdb_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", f"duckdb://{tmp_path}/x.duckdb")
    with pytest.raises(ValueError, match="needs GENEPOOL_DATABASE_URL=postgresql://"):
        run_benchmark(bars=10, strategies=2, seconds=0.1, routes=["uncached"])


def test_the_api_bench_refuses_an_unknown_route_set():
    with pytest.raises(ValueError, match="expected some of cached, uncached"):
        run_benchmark(routes=["fast"])
