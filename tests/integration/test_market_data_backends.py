"""The market-data paths on every backend: the incremental fetch, the gap report, ``last_bars`` (what the API's
staleness metrics read) and the streamed batches, each on DuckDB and on a real PostgreSQL (through the CLI, against
the local exchange stand-in). TimescaleDB cannot be installed here: on a server whose ``timescaledb`` extension is
available, ``ohlcv`` must be a hypertable, and these same tests run over it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.market.conftest import LISTED, NOW, ms
from tests.market.exchange_server import ExchangeServer, FakeBinance
from workloads.cli import app
from workloads.storage import Storage, open_storage

pytestmark = pytest.mark.integration

HOUR_NS = 3_600_000_000_000
NAME = "binance:BTCUSDT-PERP"
CLOSED_HOURS = (ms(NOW) - ms(LISTED)) // 3_600_000


@pytest.fixture(params=["duckdb", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> str:
    url = f"duckdb://{tmp_path}/state.duckdb" if request.param == "duckdb" else request.getfixturevalue("postgres").url
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", url)
    monkeypatch.setenv("GENEPOOL_FETCH_BACKOFF_SECONDS", "0.001")
    monkeypatch.setenv("GENEPOOL_FETCH_ATTEMPTS", "3")
    for name in ("GENEPOOL_EXCHANGE_URL", "GENEPOOL_EXCHANGE_API_KEY", "GENEPOOL_EXCHANGE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return url


@pytest.fixture()
def exchange() -> Iterator[ExchangeServer]:
    with ExchangeServer(FakeBinance(now_ms=ms(NOW), listed_ms=ms(LISTED), max_limit=50)) as server:
        yield server


def fetch(server: ExchangeServer, *args: str) -> dict:
    command = ["data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDT:USDT", "--json", *args]
    result = CliRunner().invoke(app, [*command, "--exchange-url", server.url])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def storage_of(url: str) -> Storage:
    return open_storage(url)


def test_the_incremental_fetch_continues_from_the_last_stored_bar(database_url, exchange):
    first = fetch(exchange, "--since", "2024-01-01", "--until", "2024-01-05")
    exchange.state.requests.clear()
    again = fetch(exchange)

    assert first["inserted"] == 4 * 24
    assert again["start"] == "2024-01-04T23:00:00Z" and again["already_stored"] == 1
    assert first["inserted"] + again["inserted"] == CLOSED_HOURS
    with storage_of(database_url) as storage:
        assert len(storage.get_bars(NAME)) == CLOSED_HOURS


def test_a_gap_since_the_last_stored_bar_is_reported_and_not_filled(database_url, exchange):
    fetch(exchange, "--since", "2024-01-09", "--until", "2024-01-10")
    exchange.state.missing.update(ms(datetime(2024, 1, 10, h, tzinfo=UTC)) for h in range(3))

    out = fetch(exchange)

    assert out["gaps"] == {"count": 1, "missing_bars": 3, "largest_seconds": 4 * 3600.0}
    with storage_of(database_url) as storage:
        assert len(storage.get_bars(NAME)) == 24 + out["inserted"]


def test_last_bars_gives_each_symbols_last_open_time_and_spacing(database_url, exchange):
    fetch(exchange, "--since", "2024-01-09")
    with storage_of(database_url) as storage:
        storage.put_bars("ONE", storage.get_bars(NAME).slice(0, 1))
        rows = storage.last_bars()
    last = ms(datetime(2024, 1, 10, 4, tzinfo=UTC)) * 1_000_000
    assert rows == [("ONE", ms(datetime(2024, 1, 9, tzinfo=UTC)) * 1_000_000, None), (NAME, last, HOUR_NS)]


def test_a_streamed_fetch_stores_what_one_batch_would(database_url, exchange, monkeypatch):
    exchange.state.missing.add(ms(datetime(2024, 1, 3, 1, tzinfo=UTC)))  # a gap across a batch boundary
    monkeypatch.setattr("workloads.market.fetch.BATCH_BARS", 50)
    streamed = fetch(exchange, "--since", "2024-01-01", "--store-as", "STREAMED")
    monkeypatch.setattr("workloads.market.fetch.BATCH_BARS", 1_000_000)
    whole = fetch(exchange, "--since", "2024-01-01", "--store-as", "WHOLE")

    assert {k: v for k, v in streamed.items() if k != "stored_as"} == {
        k: v for k, v in whole.items() if k != "stored_as"
    }
    assert streamed["gaps"]["count"] == 1
    with storage_of(database_url) as storage:
        a, b = storage.get_bars("STREAMED"), storage.get_bars("WHOLE")
    for column in ("timestamp", "open", "high", "low", "close", "volume", "funding_rate"):
        np.testing.assert_array_equal(getattr(a, column), getattr(b, column))


def test_a_refused_batch_keeps_the_batches_before_it_and_the_next_fetch_continues(database_url, exchange, monkeypatch):
    monkeypatch.setattr("workloads.market.fetch.BATCH_BARS", 50)
    exchange.state.corrupt.add(ms(datetime(2024, 1, 6, 7, tzinfo=UTC)))
    command = ["data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDT:USDT", "--since", "2024-01-01"]
    refused = CliRunner().invoke(app, [*command, "--exchange-url", exchange.url])

    assert refused.exit_code == 2 and "high is below low" in " ".join(refused.stderr.split())
    with storage_of(database_url) as storage:
        kept = storage.get_bars(NAME)
    assert 0 < len(kept) < 5 * 24 + 7 and len(kept) % 50 == 0
    exchange.state.corrupt.clear()
    assert fetch(exchange)["already_stored"] == 1
    with storage_of(database_url) as storage:
        assert len(storage.get_bars(NAME)) == CLOSED_HOURS


def test_ohlcv_is_a_hypertable_exactly_where_timescaledb_is_available(database_url):
    with storage_of(database_url) as storage:
        available = bool(
            storage.dialect == "postgresql"
            and storage._run(
                "timescaledb_available",
                lambda s: s.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"),
            )
        )
        assert storage.timescale is available
