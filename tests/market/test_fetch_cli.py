"""``genepool data fetch`` through the real ccxt client against the local exchange stand-in (no internet)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
from typer.testing import CliRunner

from tests.market.conftest import HOUR_MS, LISTED, NOW, ms
from tests.market.exchange_server import ExchangeServer, candle, funding_rate
from workloads.cli import app
from workloads.metrics import MARKET_DATA_FETCH_ERRORS
from workloads.settings import load_settings
from workloads.storage import open_storage

SYMBOL = "BTC/USDT:USDT"
CLOSED_HOURS = (ms(NOW) - ms(LISTED)) // HOUR_MS  # the candle opening at 05:00 is still forming


def fetch(server: ExchangeServer, *args: str, url: bool = True):
    command = ["data", "fetch", "--exchange", "binance", "--symbol", SYMBOL, "--timeframe", "1h", "--json", *args]
    if url:
        command += ["--exchange-url", server.url]
    return CliRunner().invoke(app, command)


def report(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stored(symbol: str = "binance:BTCUSDT-PERP"):
    with open_storage(load_settings()) as storage:
        return storage.get_bars(symbol)


def stored_symbols() -> list[str]:
    with open_storage(load_settings()) as storage:
        return storage.list_symbols()


def klines_requests(server: ExchangeServer) -> list[str]:
    return [r for r in server.state.requests if r.startswith("/fapi/v1/klines")]


def test_fetch_pages_through_the_window_and_stores_every_closed_bar(exchange):
    out = report(fetch(exchange, "--since", "2024-01-01"))

    bars = stored()
    expected = np.array([candle(ms(LISTED) + i * HOUR_MS, HOUR_MS, ms(NOW)) for i in range(CLOSED_HOURS)], dtype=float)
    assert out["inserted"] == len(bars) == CLOSED_HOURS
    assert len(klines_requests(exchange)) >= CLOSED_HOURS // 50
    np.testing.assert_array_equal(bars.timestamp, expected[:, 0].astype(np.int64) * 1_000_000)
    np.testing.assert_array_equal(np.column_stack([bars.open, bars.high, bars.low, bars.close]), expected[:, 1:5])


def test_the_candle_still_forming_is_never_stored(exchange):
    out = report(fetch(exchange, "--since", "2024-01-01"))

    assert out["last_fetched"] == "2024-01-10T04:00:00Z"
    assert out["dropped_forming"] == 1
    assert stored().timestamp[-1] == ms(datetime(2024, 1, 10, 4, tzinfo=UTC)) * 1_000_000


def test_a_candle_closed_only_by_the_exchanges_clock_waits_for_ours(exchange):
    """The exchange's clock runs two hours ahead of ours: the earlier clock decides what is closed."""
    ours = int(datetime.now(UTC).timestamp() * 1000)
    exchange.state.now_ms = ours + 2 * HOUR_MS
    exchange.state.listed_ms = ours - 10 * HOUR_MS

    out = report(fetch(exchange, "--backfill-days", "1"))

    assert stored().timestamp[-1] // 1_000_000 + HOUR_MS <= ours
    assert out["dropped_forming"] >= 1


def test_re_running_stores_nothing_new(exchange):
    report(fetch(exchange, "--since", "2024-01-01"))

    again = report(fetch(exchange))

    assert again["inserted"] == 0
    assert again["fetched"] == 1  # only the last stored bar, fetched again to compare
    assert len(stored()) == CLOSED_HOURS


def test_without_since_it_continues_from_the_last_stored_bar(exchange):
    report(fetch(exchange, "--since", "2024-01-09"))
    exchange.state.now_ms += 3 * HOUR_MS
    exchange.state.requests.clear()

    out = report(fetch(exchange))

    assert out["start"] == "2024-01-10T04:00:00Z"
    assert out["inserted"] == 3
    assert "startTime=" + str(ms(datetime(2024, 1, 10, 4, tzinfo=UTC))) in klines_requests(exchange)[0]


def test_the_first_fetch_backfills_backfill_days(exchange):
    out = report(fetch(exchange, "--backfill-days", "2"))

    assert out["first_fetched"] == "2024-01-08T06:00:00Z"
    assert out["last_fetched"] == "2024-01-10T04:00:00Z"


def test_until_excludes_bars_opening_at_or_after_it(exchange):
    out = report(fetch(exchange, "--since", "2024-01-01", "--until", "2024-01-02"))

    assert out["last_fetched"] == "2024-01-01T23:00:00Z" and out["fetched"] == 24


def test_store_as_names_the_stored_symbol(exchange):
    report(fetch(exchange, "--since", "2024-01-09", "--store-as", "BTC-PERP"))

    assert stored_symbols() == ["BTC-PERP"]


def test_bars_that_differ_from_the_stored_ones_are_refused(exchange):
    report(fetch(exchange, "--since", "2024-01-09", "--until", "2024-01-10"))
    bars = stored()
    with open_storage(load_settings()) as storage:
        shifted = bars.from_arrays(
            bars.timestamp, bars.open * 1.01, bars.high * 1.01, bars.low * 1.01, bars.close * 1.01, bars.volume,
            bars.funding_rate,
        )  # fmt: skip
        storage.put_bars("binance:BTCUSDT-PERP", shifted, replace=True)  # as if the exchange had revised its candles

    result = fetch(exchange, "--since", "2024-01-09")

    assert result.exit_code == 2
    assert "already stored with different values" in " ".join(result.stderr.split())
    np.testing.assert_array_equal(stored().close, shifted.close)


def test_a_refused_batch_names_exchange_symbol_timestamp_and_rule_and_stores_nothing(exchange):
    exchange.state.corrupt.add(ms(datetime(2024, 1, 3, 7, tzinfo=UTC)))

    result = fetch(exchange, "--since", "2024-01-01")

    message = " ".join(result.stderr.split())
    assert result.exit_code == 2
    assert "binance BTC/USDT:USDT 1h: high is below low" in message
    assert "timestamp=2024-01-03T07:00:00Z" in message
    assert stored_symbols() == []


def test_funding_events_are_attributed_to_the_bar_containing_them(exchange):
    report(fetch(exchange, "--since", "2024-01-01"))

    bars = stored()
    assert bars.funding_rate is not None
    hours = (bars.timestamp // 1_000_000 - ms(LISTED)) // HOUR_MS
    on_funding_hours = hours % 8 == 0
    expected = [funding_rate(ms(LISTED) + int(h) * HOUR_MS) for h in hours[on_funding_hours]]
    np.testing.assert_allclose(bars.funding_rate[on_funding_hours], expected)
    assert not bars.funding_rate[~on_funding_hours].any()


def test_daily_bars_carry_the_sum_of_the_days_funding_events(exchange):
    command = ["data", "fetch", "--exchange", "binance", "--symbol", SYMBOL, "--timeframe", "1d", "--json"]
    result = CliRunner().invoke(app, [*command, "--since", "2024-01-01", "--exchange-url", exchange.url])
    report(result)

    bars = stored()
    first_day = sum(funding_rate(ms(LISTED) + k * 8 * HOUR_MS) for k in range(3))
    assert len(bars) == 9
    assert bars.funding_rate is not None and bars.funding_rate[0] == first_day


def test_a_429_is_retried_and_the_fetch_succeeds(exchange):
    before = MARKET_DATA_FETCH_ERRORS.labels("binance", SYMBOL)._value.get()
    exchange.state.fail_next = [429]

    out = report(fetch(exchange, "--since", "2024-01-01"))

    assert out["inserted"] == CLOSED_HOURS
    assert MARKET_DATA_FETCH_ERRORS.labels("binance", SYMBOL)._value.get() == before + 1


def test_a_5xx_burst_beyond_the_retry_budget_fails_and_stores_nothing(exchange):
    exchange.state.fail_next = [None, None, 502, 503, 504]  # two pages pass, then three failures: the budget

    result = fetch(exchange, "--since", "2024-01-01")

    message = " ".join(result.stderr.split())
    assert result.exit_code == 1
    assert "failed 3 time(s), giving up" in message and "nothing was stored" in message
    assert stored_symbols() == []


def test_a_gap_is_reported_and_not_filled(exchange):
    outage = [ms(datetime(2024, 1, 5, h, tzinfo=UTC)) for h in (10, 11, 12)]
    exchange.state.missing.update(outage)

    out = report(fetch(exchange, "--since", "2024-01-01"))

    assert out["gaps"] == {"count": 1, "missing_bars": 3, "largest_seconds": 4 * 3600.0}
    assert len(stored()) == CLOSED_HOURS - 3


def test_a_gap_since_the_last_stored_bar_is_reported(exchange):
    report(fetch(exchange, "--since", "2024-01-09", "--until", "2024-01-10"))
    exchange.state.missing.update(ms(datetime(2024, 1, 10, h, tzinfo=UTC)) for h in range(3))

    out = report(fetch(exchange))

    assert out["gaps"]["count"] == 1 and out["gaps"]["missing_bars"] == 3


def test_an_unknown_symbol_exits_2_listing_close_matches(exchange):
    result = CliRunner().invoke(
        app, ["data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDC:USDT", "--exchange-url", exchange.url]
    )

    message = " ".join(result.stderr.split())
    assert result.exit_code == 2
    assert "BTC/USDC:USDT: no such market on binance; close matches: BTC/USDT:USDT" in message


def test_an_unknown_exchange_exits_2_listing_close_matches():
    result = CliRunner().invoke(app, ["data", "fetch", "--exchange", "binanse", "--symbol", SYMBOL])

    assert result.exit_code == 2
    assert "exchange 'binanse': not an exchange ccxt knows; close matches: binance" in " ".join(result.stderr.split())


def test_the_exchange_url_may_come_from_the_environment(exchange, monkeypatch):
    monkeypatch.setenv("GENEPOOL_EXCHANGE_URL", exchange.url)

    out = report(fetch(exchange, "--since", "2024-01-10", url=False))

    assert out["inserted"] == 5


def test_credentials_are_not_accepted_on_the_command_line(exchange):
    result = fetch(exchange, "--api-key", "k", "--secret", "s")

    assert result.exit_code == 2 and "No such option" in result.output
