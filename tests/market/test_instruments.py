"""One stored name per instrument (workloads/market/names.py): spot and perpetual of one pair, and one pair on two
exchanges, get different names by default; both are fetched (from the local exchange stand-in), listed with what
they stand for, and evolved side by side."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.market.conftest import LISTED, NOW, ms
from tests.market.exchange_server import ExchangeServer, FakeBinance
from workloads.cli import app
from workloads.market.names import FUTURE, PERPETUAL, SPOT, Instrument, instrument_name, parse_instrument


@pytest.mark.parametrize(
    ("exchange", "unified", "name"),
    [
        ("binance", "BTC/USDT", "binance:BTCUSDT"),
        ("binance", "BTC/USDT:USDT", "binance:BTCUSDT-PERP"),
        ("binanceusdm", "BTC/USDT:USDT", "binanceusdm:BTCUSDT-PERP"),
        ("bybit", "BTC/USDT:USDT", "bybit:BTCUSDT-PERP"),
        ("binance", "BTC/USD:BTC", "binance:BTCUSD-PERP-BTC"),
        ("okx", "BTC/USDT:USDT-261225", "okx:BTCUSDT-261225"),
        ("kraken", "1000PEPE/USDT", "kraken:1000PEPEUSDT"),
    ],
)
def test_the_name_tells_the_exchange_and_the_kind_of_market(exchange, unified, name):
    assert instrument_name(exchange, unified) == name


@pytest.mark.parametrize(
    ("name", "instrument"),
    [
        ("binance:BTCUSDT", Instrument("binance", "BTCUSDT", SPOT)),
        ("binance:BTCUSDT-PERP", Instrument("binance", "BTCUSDT", PERPETUAL)),
        ("binance:BTCUSD-PERP-BTC", Instrument("binance", "BTCUSD", PERPETUAL, settle="BTC")),
        ("okx:BTCUSDT-261225", Instrument("okx", "BTCUSDT", FUTURE, expiry="261225")),
        ("BTCUSDT", None),
        ("BTC-PERP", None),
    ],
)
def test_a_name_parses_back_to_its_instrument_or_to_none_when_stored_by_hand(name, instrument):
    assert parse_instrument(name) == instrument


@pytest.mark.parametrize(
    ("exchange", "unified", "message"),
    [
        ("binance", "BTC/USDT:USDT-261225-50000-C", "options are not stored"),
        ("binance", "BTCUSDT", "expected a ccxt unified symbol"),
        ("Binance", "BTC/USDT", "expected a ccxt exchange id"),
    ],
)
def test_a_symbol_or_exchange_not_in_ccxts_form_is_refused_naming_the_rule(exchange, unified, message):
    with pytest.raises(ValueError, match=message):
        instrument_name(exchange, unified)


@pytest.fixture()
def spot_and_perpetual():
    """The stand-in listing BTCUSDT both as a spot market and as a USDⓈ-M perpetual."""
    state = FakeBinance(now_ms=ms(NOW), listed_ms=ms(LISTED), max_limit=500, spot={"BTCUSDT": ("BTC", "USDT")})
    with ExchangeServer(state) as server:
        yield server


def fetch(server: ExchangeServer, symbol: str) -> dict:
    command = ["data", "fetch", "--exchange", "binance", "--symbol", symbol, "--since", "2024-01-01", "--json"]
    result = CliRunner().invoke(app, [*command, "--exchange-url", server.url])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_spot_and_perpetual_of_one_pair_are_fetched_listed_and_evolved_side_by_side(spot_and_perpetual):
    perpetual = fetch(spot_and_perpetual, "BTC/USDT:USDT")
    spot = fetch(spot_and_perpetual, "BTC/USDT")
    assert (perpetual["stored_as"], spot["stored_as"]) == ("binance:BTCUSDT-PERP", "binance:BTCUSDT")
    assert perpetual["funding_events"] > 0 and spot["funding_events"] == 0

    listed = json.loads(CliRunner().invoke(app, ["data", "list", "--json"]).stdout)
    assert [(s["symbol"], s["has_funding"], s["instrument"]["kind"], s["bars"]) for s in listed] == [
        ("binance:BTCUSDT", False, SPOT, spot["inserted"]),
        ("binance:BTCUSDT-PERP", True, PERPETUAL, perpetual["inserted"]),
    ]

    evolve = ["evolve", "--strategies", "ema_crossover", "--population", "8", "--generations", "2", "--json"]
    summaries = {}
    for name in ("binance:BTCUSDT", "binance:BTCUSDT-PERP"):
        result = CliRunner().invoke(app, [*evolve, "--symbol", name])
        assert result.exit_code == 0, result.output
        summaries[name] = json.loads(result.stdout)["data"]
    assert {name: data["symbol"] for name, data in summaries.items()} == {n: n for n in summaries}
    assert summaries["binance:BTCUSDT"]["fingerprint"] != summaries["binance:BTCUSDT-PERP"]["fingerprint"]


def test_data_list_shows_what_each_stored_name_stands_for(spot_and_perpetual):
    fetch(spot_and_perpetual, "BTC/USDT:USDT")
    result = CliRunner().invoke(app, ["data", "list"])  # not a terminal: one record per stored name
    assert result.exit_code == 0, result.output
    record = result.output[result.output.index("symbol: binance:BTCUSDT-PERP") :].splitlines()
    assert [line.strip() for line in record[1:4]] == ["exchange: binance", "pair: BTCUSDT", "market: perpetual"]
