"""The API exports each stored symbol's last bar time and bar interval from storage at scrape time, so the
MarketDataStale alert works although the fetch runs in short-lived pods."""

from __future__ import annotations

import numpy as np
from prometheus_client import generate_latest

from workloads.data.bars import Bars
from workloads.service.storage_metrics import SCRAPE_RETRY_SECONDS, api_registry
from workloads.storage import StorageError, open_storage

HOUR_NS = 3_600_000_000_000


def hourly(n: int) -> Bars:
    close = np.linspace(100.0, 101.0, n)
    return Bars.from_arrays(np.arange(n, dtype=np.int64) * HOUR_NS + 1_700_000_000 * 10**9, close, close, close, close,
                            np.ones(n))  # fmt: skip


def samples(storage) -> dict[str, float]:
    text = generate_latest(api_registry(lambda: storage)).decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(("genepool_market_data_last_bar", "genepool_market_data_bar_interval"))
    }


def test_the_api_exports_the_last_stored_bar_and_interval_per_symbol():
    with open_storage("duckdb://:memory:") as storage:
        storage.put_bars("BTCUSDT", hourly(5))
        storage.put_bars("ETHUSDT", hourly(1))

        exported = samples(storage)

    assert exported == {
        'genepool_market_data_last_bar_timestamp_seconds{symbol="BTCUSDT"}': 1_700_000_000 + 4 * 3600.0,
        'genepool_market_data_last_bar_timestamp_seconds{symbol="ETHUSDT"}': 1_700_000_000.0,
        'genepool_market_data_bar_interval_seconds{symbol="BTCUSDT"}': 3600.0,
    }


def test_an_unmigrated_database_exports_no_market_data_sample():
    with open_storage("duckdb://:memory:", migrate=False) as storage:
        assert samples(storage) == {}


class FailingStorage:
    def __init__(self) -> None:
        self.budgets: list[float | None] = []

    def last_generation_time(self, *, retry_seconds: float | None = None) -> float | None:
        return None

    def last_bars(self, *, retry_seconds: float | None = None) -> list:
        self.budgets.append(retry_seconds)
        raise StorageError("database down")


def test_a_failing_read_exports_nothing_and_asks_for_the_short_budget():
    storage = FailingStorage()

    assert samples(storage) == {}
    assert storage.budgets == [SCRAPE_RETRY_SECONDS]
