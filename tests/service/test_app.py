"""The HTTP API on the embedded defaults (DuckDB file, in-process cache): auth, validation, strategies, signals,
health and metrics."""

from __future__ import annotations

import math
import threading
import time

import duckdb
import pytest
from fastapi.testclient import TestClient

from workloads.data.synthetic import generate
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed
from workloads.service import create_app
from workloads.service.fast_path import V1_FRESH_SECONDS, Entry, ResponseCache
from workloads.settings import Settings
from workloads.storage import open_storage
from workloads.storage.records import HallOfFameRow

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def hof_entry(seed: str, params: dict, fitness: float, promoted: bool) -> HallOfFameRow:
    return HallOfFameRow(
        strategy=seed,
        params=params,
        fitness=fitness,
        dsr=0.97 if promoted else 0.7,
        promoted=promoted,
        gate=() if promoted else ("dsr 0.7 < 0.95",),
        train_metrics={"sharpe": fitness, "profit_factor": math.inf},
        holdout_metrics={"sharpe": 0.2},
    )


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=f"duckdb://{tmp_path}/api.duckdb", api_token=TOKEN, home=tmp_path)


@pytest.fixture
def bars():
    return generate(400, 21)


class ManualClock:
    """A monotonic clock that moves only when told (the /v1 answer cache's freshness window)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def client(settings, bars, clock):
    storage = open_storage(settings)
    storage.put_bars("BTC", bars)
    storage.create_run("r1", {"symbol": "BTC", "fee_bps": 10.0, "long_only": False}, bars.fingerprint())
    storage.save_hall_of_fame(
        "r1",
        [
            hof_entry("ema_crossover", {"fast": 5, "slow": 30}, 1.2, promoted=True),
            hof_entry("sma_trend_filter", {"fast": 10, "slow": 50}, 0.8, promoted=False),
        ],
    )
    responses = ResponseCache(clock=clock)
    with TestClient(create_app(settings, storage=storage, responses=responses)) as test_client:
        yield test_client


def test_liveness_needs_no_token(client):
    assert client.get("/health/liveness").json() == {"status": "alive"}


def test_readiness_is_healthy_on_embedded_defaults(client):
    response = client.get("/health/readiness")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert set(body["checks"]) == {"storage", "cache", "ray"}
    assert all("latency_ms" in check and "error" in check for check in body["checks"].values())


def test_openapi_schema_lists_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/health/liveness",
        "/health/readiness",
        "/metrics",
        "/v1/strategies",
        "/v1/strategies/{strategy_id}",
        "/v1/signals/{symbol}",
    } <= set(paths)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
@pytest.mark.parametrize("path", ["/v1/strategies", "/v1/strategies/r1.1", "/v1/signals/BTC"])
def test_v1_without_the_right_bearer_token_is_401(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_with_no_token_configured_v1_is_refused(tmp_path):
    settings = Settings(database_url=f"duckdb://{tmp_path}/x.duckdb")
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/strategies", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/v1/strategies", headers=AUTH).status_code == 401


@pytest.mark.parametrize(
    "path, message",
    [
        ("/v1/strategies?limit=0", "query parameter 'limit': Input should be greater than or equal to 1"),
        ("/v1/strategies?limit=many", "query parameter 'limit': Input should be a valid integer"),
        ("/v1/strategies?seed=no_such_seed", "query parameter 'seed': Input should be 'bollinger_bands', "),
        ("/v1/signals/BTC?top=51", "query parameter 'top': Input should be less than or equal to 50"),
        ("/v1/signals/!BTC", "path parameter 'symbol': String should match pattern"),
    ],
)
def test_bad_parameters_are_422_with_a_readable_message(client, path, message):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_strategies_are_listed_best_first_with_non_finite_metrics_as_null(client):
    body = client.get("/v1/strategies?all=true", headers=AUTH).json()
    assert [s["id"] for s in body["strategies"]] == ["r1.1", "r1.2"] and body["count"] == 2
    assert body["strategies"][0]["train_metrics"]["profit_factor"] is None


def test_strategies_are_the_promoted_ones_unless_all_are_asked_for(client):
    promoted = client.get("/v1/strategies", headers=AUTH).json()["strategies"]
    assert [(s["id"], s["promoted"], s["gate"]) for s in promoted] == [("r1.1", True, [])]
    every = client.get("/v1/strategies?all=true", headers=AUTH).json()["strategies"]
    assert every[1]["promoted"] is False and every[1]["gate"] == ["dsr 0.7 < 0.95"]


def test_strategies_filter_by_seed_and_limit(client):
    assert [
        s["seed"]
        for s in client.get("/v1/strategies?seed=sma_trend_filter&all=true", headers=AUTH).json()["strategies"]
    ] == ["sma_trend_filter"]
    assert client.get("/v1/strategies?limit=1&all=true", headers=AUTH).json()["count"] == 1


def test_one_strategy_by_id_and_404_for_an_unknown_id(client):
    assert client.get("/v1/strategies/r1.2", headers=AUTH).json()["seed"] == "sma_trend_filter"
    response = client.get("/v1/strategies/r9.9", headers=AUTH)
    assert response.status_code == 404 and "r9.9" in response.json()["detail"]


def test_signals_are_each_strategys_target_after_the_latest_bar(client, bars):
    body = client.get("/v1/signals/BTC?top=2&all=true", headers=AUTH).json()
    assert body["symbol"] == "BTC" and body["bars"] == len(bars)
    seed = get_seed("ema_crossover")
    expected = seed.run(
        bars, seed.genes.row({"fast": 5, "slow": 30}), SimConfig(0.001, 0.0, False, 0.0, 8766.0)
    ).exposure[-1]
    first = body["signals"][0]
    assert first["strategy_id"] == "r1.1" and first["error"] is None
    assert first["target_exposure"] == expected
    assert [s["strategy_id"] for s in body["signals"]] == ["r1.1", "r1.2"]


def test_signals_come_from_promoted_strategies_unless_all_are_asked_for(client):
    body = client.get("/v1/signals/BTC?top=5", headers=AUTH).json()
    assert [(s["strategy_id"], s["promoted"]) for s in body["signals"]] == [("r1.1", True)]


def test_signals_for_a_symbol_without_bars_or_strategies_are_404(client, settings, bars):
    assert client.get("/v1/signals/ETH", headers=AUTH).status_code == 404
    client.app.state.genepool.storage().put_bars("ETH", bars)
    response = client.get("/v1/signals/ETH", headers=AUTH)
    assert (
        response.status_code == 404
        and "no stored promoted strategies evolved on symbol 'ETH'" in response.json()["detail"]
    )


def test_metrics_expose_http_requests_by_route_template(client):
    client.get("/v1/strategies/r1.1", headers=AUTH)
    text = client.get("/metrics").text
    assert 'genepool_http_requests_total{method="GET",route="/v1/strategies/{strategy_id}",status="200"}' in text
    assert "genepool_http_request_duration_seconds_bucket" in text


def _last_generation_samples(text: str) -> list[float]:
    return [
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("genepool_last_generation_timestamp_seconds")
    ]


def test_metrics_export_no_last_generation_time_before_any_generation(client):
    assert _last_generation_samples(client.get("/metrics").text) == []


def test_metrics_export_the_stored_time_of_the_latest_generation(client):
    storage = client.app.state.genepool.storage()
    storage.record_generation("r1", 0, {"ema_crossover": {"best": 1.0}})
    recorded = storage.last_generation_time()
    assert recorded is not None and abs(recorded - time.time()) < 60
    assert _last_generation_samples(client.get("/metrics").text) == [recorded]


def test_metrics_export_no_last_generation_time_before_migration(settings):
    with TestClient(create_app(settings)) as unmigrated:
        assert _last_generation_samples(unmigrated.get("/metrics").text) == []


def test_a_scrape_before_migration_leaves_the_database_unmigrated(settings, tmp_path):
    with TestClient(create_app(settings)) as unmigrated:
        unmigrated.get("/metrics")
    with duckdb.connect(str(tmp_path / "api.duckdb")) as conn:
        assert conn.execute("SELECT table_name FROM information_schema.tables").fetchall() == []


def test_a_scrape_answers_while_a_migration_is_in_progress(settings, monkeypatch):
    """A migration waits (for at most 30 s, so a regression fails instead of hanging) until the scrape has answered."""
    with TestClient(create_app(settings)) as unmigrated:
        state = unmigrated.app.state.genepool
        storage = state.storage()
        migrate = storage.migrate
        migrating, scraped = threading.Event(), threading.Event()
        scraped_during_migration: list[bool] = []

        def waiting_migrate() -> list[int]:
            migrating.set()
            scraped_during_migration.append(scraped.wait(timeout=30))
            return migrate()

        monkeypatch.setattr(storage, "migrate", waiting_migrate)
        migration = threading.Thread(target=state.migrated_storage)
        migration.start()
        migrating.wait()
        response = unmigrated.get("/metrics")
        scraped.set()
        migration.join()
    assert response.status_code == 200 and scraped_during_migration == [True]


def test_metrics_still_answer_when_storage_fails(client):
    from workloads.metrics import STORAGE_ERRORS

    storage = client.app.state.genepool.storage()
    storage.record_generation("r1", 0, {"ema_crossover": {"best": 1.0}})
    before = STORAGE_ERRORS.labels("last_generation_time")._value.get()
    storage.close()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert _last_generation_samples(response.text) == []
    assert "genepool_http_requests_total" in response.text
    assert STORAGE_ERRORS.labels("last_generation_time")._value.get() == before + 1


def test_readiness_without_the_token_shows_no_database_location(client, tmp_path):
    response = client.get("/health/readiness")
    assert str(tmp_path) not in response.text
    assert set(response.json()["checks"]["storage"]) == {"status", "latency_ms", "error"}


def test_readiness_with_the_token_shows_the_backend(client):
    body = client.get("/health/readiness", headers=AUTH).json()
    assert body["checks"]["storage"]["backend"] == "duckdb"


def test_a_nul_byte_in_a_strategy_id_is_404_not_503(client):
    response = client.get("/v1/strategies/r1.1%00", headers=AUTH)
    assert response.status_code == 404


def test_signals_are_computed_once_per_last_stored_bar_and_again_after_a_new_bar(client, bars, clock):
    state = client.app.state.genepool
    first = client.get("/v1/signals/BTC", headers=AUTH).json()
    assert client.get("/v1/signals/BTC", headers=AUTH).json() == first
    assert state.signals.computed == 1
    step = int(bars.timestamp[-1] - bars.timestamp[-2])
    last = bars.slice(len(bars) - 1, len(bars))
    from workloads.data.bars import Bars

    new_bar = Bars.from_arrays(
        last.timestamp + step, last.open, last.high, last.low, last.close, last.volume, last.funding_rate, symbol="BTC"
    )
    state.storage().put_bars("BTC", new_bar)
    clock.advance(V1_FRESH_SECONDS)
    after = client.get("/v1/signals/BTC", headers=AUTH).json()
    assert state.signals.computed == 2 and after["bars"] == first["bars"] + 1


def test_openapi_declares_the_seed_enum_and_every_error_response(client):
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/strategies"]["get"]
    seed = next(p for p in operation["parameters"] if p["name"] == "seed")
    assert "#/components/schemas/SeedName" in str(seed["schema"])
    assert "bollinger_bands" in document["components"]["schemas"]["SeedName"]["enum"]
    assert {"200", "401", "422", "503"} <= set(operation["responses"])
    assert "404" in document["paths"]["/v1/signals/{symbol}"]["get"]["responses"]
    assert "text/plain" in str(document["paths"]["/metrics"]["get"]["responses"]["200"]["content"])


def _store_better_promoted_run(storage, bars) -> None:
    storage.create_run("r2", {"symbol": "BTC"}, bars.fingerprint())
    storage.save_hall_of_fame("r2", [hof_entry("ema_crossover", {"fast": 8, "slow": 40}, 2.5, promoted=True)])


def _strategy_ids(client) -> list[str]:
    return [s["id"] for s in client.get("/v1/strategies", headers=AUTH).json()["strategies"]]


def test_a_v1_answer_is_served_from_memory_within_the_freshness_window(client, bars, clock):
    assert _strategy_ids(client) == ["r1.1"]
    _store_better_promoted_run(client.app.state.genepool.storage(), bars)
    clock.advance(V1_FRESH_SECONDS / 2)
    assert _strategy_ids(client) == ["r1.1"]


def test_a_new_promoted_run_is_listed_on_the_first_request_after_the_freshness_window(client, bars, clock):
    assert _strategy_ids(client) == ["r1.1"]
    _store_better_promoted_run(client.app.state.genepool.storage(), bars)
    clock.advance(V1_FRESH_SECONDS)
    assert _strategy_ids(client) == ["r2.1", "r1.1"]


def test_a_new_promoted_run_changes_the_signals_on_the_first_request_after_the_freshness_window(client, bars, clock):
    assert [s["strategy_id"] for s in client.get("/v1/signals/BTC", headers=AUTH).json()["signals"]] == ["r1.1"]
    _store_better_promoted_run(client.app.state.genepool.storage(), bars)
    clock.advance(V1_FRESH_SECONDS)
    body = client.get("/v1/signals/BTC", headers=AUTH).json()
    assert [s["strategy_id"] for s in body["signals"]] == ["r2.1", "r1.1"]


def test_a_refresh_that_fails_drops_the_cached_answer(client, clock, monkeypatch):
    from workloads.storage import StorageError

    assert client.get("/v1/strategies", headers=AUTH).status_code == 200
    storage = client.app.state.genepool.storage()

    def down(*args, **kwargs):
        raise StorageError("database down")

    monkeypatch.setattr(storage, "list_strategies", down)
    clock.advance(V1_FRESH_SECONDS)
    assert client.get("/v1/strategies", headers=AUTH).status_code == 503
    assert client.get("/v1/strategies", headers=AUTH).status_code == 503


def test_requests_during_a_refresh_get_the_previous_answer():
    clock = ManualClock()
    cache = ResponseCache(fresh_seconds=1.0, refresh_seconds=60.0, clock=clock)
    key = ("/v1/strategies", b"")
    previous = Entry(200, [], b"previous", None, clock())
    cache.store(key, previous)
    clock.advance(1.0)
    assert cache.lookup(key) is None  # this caller refreshes
    assert cache.lookup(key) is previous  # the others, meanwhile


def test_a_refresh_that_never_finishes_stops_holding_back_other_callers_after_its_budget():
    clock = ManualClock()
    cache = ResponseCache(fresh_seconds=1.0, refresh_seconds=60.0, clock=clock)
    key = ("/v1/strategies", b"")
    cache.store(key, Entry(200, [], b"previous", None, clock()))
    clock.advance(1.0)
    assert cache.lookup(key) is None
    clock.advance(60.0)
    assert cache.lookup(key) is None


def test_a_cached_answer_is_not_served_for_a_wrong_token(client):
    assert client.get("/v1/strategies", headers=AUTH).status_code == 200
    assert client.get("/v1/strategies", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_cached_answer_is_not_served_without_a_token(client):
    assert client.get("/v1/strategies", headers=AUTH).status_code == 200
    assert client.get("/v1/strategies").status_code == 401


def test_answers_other_than_200_are_not_cached(client, bars):
    assert client.get("/v1/strategies/r2.1", headers=AUTH).status_code == 404
    _store_better_promoted_run(client.app.state.genepool.storage(), bars)
    assert client.get("/v1/strategies/r2.1", headers=AUTH).status_code == 200


def test_each_query_string_is_cached_apart(client):
    assert client.get("/v1/strategies", headers=AUTH).json()["count"] == 1
    assert client.get("/v1/strategies?all=true", headers=AUTH).json()["count"] == 2


def test_cached_answers_are_counted_under_their_route_template(client):
    from workloads.metrics import HTTP_REQUESTS

    counter = HTTP_REQUESTS.labels("GET", "/v1/strategies", "200")
    before = counter._value.get()
    for _ in range(3):
        assert client.get("/v1/strategies", headers=AUTH).status_code == 200
    assert counter._value.get() - before == 3


def test_a_zero_freshness_window_computes_every_answer(settings, bars):
    storage = open_storage(settings)
    storage.put_bars("BTC", bars)
    storage.create_run("r1", {"symbol": "BTC"}, bars.fingerprint())
    storage.save_hall_of_fame("r1", [hof_entry("ema_crossover", {"fast": 5, "slow": 30}, 1.2, promoted=True)])
    with TestClient(create_app(settings, storage=storage, responses=ResponseCache(fresh_seconds=0))) as client:
        assert _strategy_ids(client) == ["r1.1"]
        _store_better_promoted_run(storage, bars)
        assert _strategy_ids(client) == ["r2.1", "r1.1"]


def test_the_answer_cache_evicts_the_least_recently_used_answers_beyond_its_byte_budget():
    clock = ManualClock()
    cache = ResponseCache(max_bytes=10, clock=clock)
    for name in ("a", "b", "c"):
        cache.store((f"/v1/{name}", b""), Entry(200, [], b"x" * 4, None, clock()))
    assert [cache.lookup((f"/v1/{name}", b"")) is not None for name in ("a", "b", "c")] == [False, True, True]


def test_an_answer_larger_than_the_byte_budget_is_not_kept():
    clock = ManualClock()
    cache = ResponseCache(max_bytes=10, clock=clock)
    cache.store(("/v1/big", b""), Entry(200, [], b"x" * 11, None, clock()))
    assert cache.lookup(("/v1/big", b"")) is None and len(cache) == 0
