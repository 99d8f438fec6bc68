"""A local Binance stand-in (``exchange_server.py``) per test, and a CLI environment pointed at it: DuckDB under a
temporary ``GENEPOOL_HOME``, millisecond retry backoff, 3 attempts per request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.market.exchange_server import ExchangeServer, FakeBinance

HOUR_MS = 3_600_000
LISTED = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2024, 1, 10, 5, 30, tzinfo=UTC)
"""The exchange's clock: 05:00 is the forming hourly candle, 04:00 the last closed one."""


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture()
def exchange() -> Iterator[ExchangeServer]:
    """The stand-in on a free port of 127.0.0.1; pages of at most 50 candles, so a week of hourly bars is 4+ pages."""
    with ExchangeServer(FakeBinance(now_ms=ms(NOW), listed_ms=ms(LISTED), max_limit=50)) as server:
        yield server


@pytest.fixture(autouse=True)
def fetch_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path / "home"))
    for name in (
        "GENEPOOL_DATABASE_URL",
        "GENEPOOL_EXCHANGE_URL",
        "GENEPOOL_EXCHANGE_API_KEY",
        "GENEPOOL_EXCHANGE_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GENEPOOL_FETCH_BACKOFF_SECONDS", "0.001")
    monkeypatch.setenv("GENEPOOL_FETCH_ATTEMPTS", "3")
