"""The ``/v1`` answer cache over a real PostgreSQL and Redis behind a real HTTP server: what another process stores
is served on the first request after the freshness window (a manual clock moves the window; no sleeping)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api_server import serving
from workloads.data.bars import Bars
from workloads.data.synthetic import generate
from workloads.service import create_app
from workloads.service.fast_path import V1_FRESH_SECONDS, ResponseCache
from workloads.settings import Settings
from workloads.storage.postgres import PostgresStorage
from workloads.storage.records import HallOfFameRow

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer t"}


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _next_bar(bars: Bars) -> Bars:
    step = int(bars.timestamp[-1] - bars.timestamp[-2])
    last = bars.slice(len(bars) - 1, len(bars))
    return Bars.from_arrays(
        last.timestamp + step, last.open, last.high, last.low, last.close, last.volume, last.funding_rate, symbol="BTC"
    )


def promoted_entry(sharpe: float, params: dict[str, int] | None = None) -> HallOfFameRow:
    return HallOfFameRow(
        strategy="ema_crossover",
        params=params or {"fast": 5, "slow": 30},
        fitness=sharpe,
        dsr=0.97,
        train_metrics={"sharpe": sharpe},
        holdout_metrics=None,
        promoted=True,
    )


@pytest.fixture
def writer(postgres):
    """The storage of another process (its own pool), with 400 bars and one promoted strategy of BTC."""
    storage = PostgresStorage(postgres.url)
    storage.migrate()
    bars = generate(400, 5, symbol="BTC")
    storage.put_bars("BTC", bars)
    storage.create_run("r1", {"symbol": "BTC"}, bars.fingerprint())
    storage.save_hall_of_fame("r1", [promoted_entry(1.0)])
    yield storage, bars
    storage.close()


def test_a_bar_stored_by_another_process_is_in_the_signals_on_the_first_request_after_the_window(
    postgres, redis_server, writer
):
    storage, bars = writer
    clock = ManualClock()
    settings = Settings(database_url=postgres.url, redis_url=redis_server.url, api_token="t")
    with serving(create_app(settings, responses=ResponseCache(clock=clock))) as base:
        assert httpx.get(f"{base}/v1/signals/BTC", headers=AUTH, timeout=60).json()["bars"] == 400
        storage.put_bars("BTC", _next_bar(bars))
        clock.now += V1_FRESH_SECONDS
        assert httpx.get(f"{base}/v1/signals/BTC", headers=AUTH, timeout=60).json()["bars"] == 401


def test_a_run_promoted_by_another_process_is_listed_on_the_first_request_after_the_window(
    postgres, redis_server, writer
):
    storage, bars = writer
    clock = ManualClock()
    settings = Settings(database_url=postgres.url, redis_url=redis_server.url, api_token="t")
    with serving(create_app(settings, responses=ResponseCache(clock=clock))) as base:
        assert httpx.get(f"{base}/v1/strategies", headers=AUTH, timeout=30).json()["count"] == 1
        storage.create_run("r2", {"symbol": "BTC"}, bars.fingerprint())
        storage.save_hall_of_fame("r2", [promoted_entry(2.0, {"fast": 8, "slow": 40})])
        clock.now += V1_FRESH_SECONDS
        body = httpx.get(f"{base}/v1/strategies", headers=AUTH, timeout=30).json()
        assert [s["id"] for s in body["strategies"]] == ["r2.1", "r1.1"]
