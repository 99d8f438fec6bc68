"""The strategy routes' async reads (psycopg's async pool) over a real PostgreSQL: the same answers, byte for byte,
as the thread path they replace; a clear 503 within the request budget when the pool is exhausted or the database is
down, and service again once it is back; the API process's two pools within its 10 connections."""

from __future__ import annotations

import math
import threading
import time

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.integration.api_server import serving
from workloads.jsonable import JsonValue
from workloads.service import create_app
from workloads.service.budgets import V1_BUDGET_SECONDS
from workloads.service.errors import STORAGE_UNAVAILABLE
from workloads.settings import ApiSettings, Settings
from workloads.storage.postgres import POOL_MAX_CONNECTIONS, PostgresStorage
from workloads.storage.records import HallOfFameRow

pytestmark = pytest.mark.integration
TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BYPASS = {"Authorization": f"bearer {TOKEN}"}
"""The spelling the answer cache never serves: every request reaches the route."""


def _entry(seed: str, params: dict, fitness: float | None, promoted: bool, **details: JsonValue) -> HallOfFameRow:
    return HallOfFameRow(
        strategy=seed,
        params=params,
        fitness=fitness,
        dsr=None if fitness is None else 0.5 + fitness / 10,
        promoted=promoted,
        gate=() if promoted else ("dsr 0.4 < 0.95", "holdout sharpe −0.1 < 0"),
        train_metrics={"sharpe": fitness, "profit_factor": math.inf, "sortino": -math.inf, "calmar": math.nan},
        holdout_metrics=None if fitness is None else {"sharpe": 0.25, "trades": 17},
        details=details,
    )


@pytest.fixture
def stored(postgres):
    """Two runs on two symbols: promoted and not, non-finite metrics, ``None`` fitness, extra details."""
    from workloads.data.synthetic import generate

    storage = PostgresStorage(postgres.url)
    storage.migrate()
    ids = []
    for run_id, symbol in (("r1", "BTC"), ("r2", "ETH-PERP")):
        bars = generate(300, 3, symbol=symbol)
        storage.put_bars(symbol, bars)
        storage.create_run(run_id, {"symbol": symbol}, bars.fingerprint())
        ids += storage.save_hall_of_fame(
            run_id,
            [
                _entry("ema_crossover", {"fast": 5, "slow": 30}, 1.25, True, note="é ✓"),
                _entry("rsi_filter", {"period": 14, "low": 30.5, "high": 70.0, "long_only": True}, 0.1, False),
                _entry("donchian_breakout", {"window": 55}, None, False),
                _entry("bollinger_bands", {"window": 20, "width": 2.0}, math.nan, False),
                _entry("sma_trend_filter", {"fast": 10, "slow": 50}, 0.9, True, origin={"generation": 3}),
            ],
        )
    storage.close()
    return ids


PATHS = (
    "/v1/strategies",
    "/v1/strategies?all=true&limit=1000",
    "/v1/strategies?all=true&seed=rsi_filter",
    "/v1/strategies?symbol=ETH-PERP",
    "/v1/strategies?all=true&symbol=BTC&limit=2",
    "/v1/strategies?limit=1",
    "/v1/strategies?seed=ema_crossover&symbol=NOPE",
    "/v1/strategies/r9.1",
    "/v1/strategies/r1.1%00",
    "/v1/strategies/%E2%9C%93",
    "/v1/strategies?limit=0",
    "/v1/strategies?seed=nope",
)


def _answers(client: TestClient, paths: list[str]) -> list[tuple[int, bytes]]:
    return [(r.status_code, r.content) for r in (client.get(path, headers=BYPASS) for path in paths)]


def test_the_async_reads_answer_byte_for_byte_what_the_thread_path_answers(postgres, stored):
    paths = [f"/v1/strategies/{strategy_id}" for strategy_id in stored] + list(PATHS)
    settings = Settings(database_url=postgres.url, api_token=TOKEN)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.genepool.reads is not None
        async_answers = _answers(client, paths)
        client.app.state.genepool.reads = None  # the routes fall back to the storage on the /v1 threads
        thread_answers = _answers(client, paths)
    assert async_answers == thread_answers
    statuses = [status for status, _ in async_answers]
    assert statuses[: len(stored)] == [200] * len(stored) and 404 in statuses and 422 in statuses


def test_a_strategy_read_asynchronously_is_the_stored_one(postgres, stored):
    settings = Settings(database_url=postgres.url, api_token=TOKEN)
    with TestClient(create_app(settings)) as client:
        body = client.get("/v1/strategies/r2.1", headers=BYPASS).json()
        listed = client.get("/v1/strategies?all=true&symbol=ETH-PERP&limit=1000", headers=BYPASS).json()
    assert (body["id"], body["symbol"], body["seed"], body["promoted"]) == ("r2.1", "ETH-PERP", "ema_crossover", True)
    assert body["train_metrics"] == {"sharpe": 1.25, "profit_factor": None, "sortino": None, "calmar": None}
    assert body["details"] == {"note": "é ✓"}
    assert [s["id"] for s in listed["strategies"]] == ["r2.1", "r2.2", "r2.3", "r2.4", "r2.5"]
    assert [s["fitness"] for s in listed["strategies"]][-2:] == [None, None]


def _concurrently(base: str, paths: list[str]) -> list[tuple[int, str, float]]:
    results: list[tuple[int, str, float]] = []

    def get(path: str) -> None:
        start = time.monotonic()
        response = httpx.get(f"{base}{path}", headers=BYPASS, timeout=30)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        detail = response.json().get("detail", "") if is_json else ""  # /metrics answers in Prometheus' text format
        results.append((response.status_code, detail, time.monotonic() - start))

    threads = [threading.Thread(target=get, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _until_200(base: str, path: str, within: float) -> float:
    start = time.monotonic()
    while httpx.get(f"{base}{path}", headers=BYPASS, timeout=10).status_code != 200:
        assert time.monotonic() - start < within, f"{path} not 200 within {within} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_an_exhausted_pool_answers_503_within_the_budget_and_serves_again_after(postgres, stored):
    settings = Settings(database_url=postgres.url, api_token=TOKEN, api=ApiSettings(pool_size=1, pool_wait_seconds=0.3))
    with serving(create_app(settings)) as base:
        assert httpx.get(f"{base}/v1/strategies/r1.1", headers=BYPASS, timeout=30).status_code == 200
        with psycopg.connect(postgres.url) as blocker:
            blocker.execute("LOCK TABLE strategies IN ACCESS EXCLUSIVE MODE")  # the one pooled connection blocks
            results = _concurrently(base, [f"/v1/strategies/r1.{rank}" for rank in range(1, 6)])
        recovery = _until_200(base, "/v1/strategies/r1.2", within=5.0)
    answered = sorted(round(seconds, 2) for _, _, seconds in results)
    print(f"\nexhausted pool: 503s after {answered} s; serving again after {recovery:.2f} s")
    assert [(status, detail) for status, detail, _ in results] == [(503, STORAGE_UNAVAILABLE)] * 5
    assert max(seconds for _, _, seconds in results) < V1_BUDGET_SECONDS + 1.0


def test_a_database_outage_answers_503_within_the_budget_and_serves_again_when_it_returns(postgres, stored):
    settings = Settings(database_url=postgres.url, api_token=TOKEN)
    with serving(create_app(settings)) as base:
        assert httpx.get(f"{base}/v1/strategies/r1.1", headers=BYPASS, timeout=30).status_code == 200
        postgres.stop("immediate")
        results = _concurrently(base, [f"/v1/strategies/r2.{rank}" for rank in range(1, 6)] + ["/v1/strategies"])
        postgres.start()
        recovery = _until_200(base, "/v1/strategies/r2.1", within=5.0)
    print(f"\noutage: slowest 503 {max(s for _, _, s in results):.2f} s; serving again after {recovery:.2f} s")
    assert [(status, detail) for status, detail, _ in results] == [(503, STORAGE_UNAVAILABLE)] * 6
    assert max(seconds for _, _, seconds in results) < V1_BUDGET_SECONDS + 1.0


def test_the_api_process_opens_at_most_the_connections_one_process_is_budgeted(postgres, stored):
    settings = Settings(database_url=postgres.url, api_token=TOKEN, api=ApiSettings(pool_size=3))
    with serving(create_app(settings)) as base:
        paths = [f"/v1/strategies/{strategy_id}" for strategy_id in stored] * 4
        _concurrently(base, paths + ["/health/readiness", "/metrics", "/v1/signals/BTC"] * 4)
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            opened = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'genepool' AND pid <> pg_backend_pid()"
            ).fetchone()
    assert opened is not None and 3 <= opened[0] <= POOL_MAX_CONNECTIONS
