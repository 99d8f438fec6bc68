"""``genepool:marketData``: one symbol list for the fetch and evolution CronJobs; every invalid value fails naming
its key; the fetch CronJobs under the Pulumi mocks."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import StackConfigError, parse

from .conftest import plain
from .test_config import raw


def market(stack: str = "dev", **fields: Any) -> dict[str, Any]:
    config = raw(stack)
    config["marketData"].update(fields)
    return config


def without_market_data(stack: str = "dev", symbols: Any = ("BTCUSDT",)) -> dict[str, Any]:
    config = raw(stack)
    del config["marketData"]
    config["evolution"]["symbols"] = list(symbols)
    return config


def test_the_evolved_symbols_are_the_fetched_symbols_names():
    config = parse(raw("prod"))

    assert config.market_data is not None
    assert config.evolution.symbols == ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    assert config.market_data.symbols[0] == ("BTCUSDT", "BTC/USDT:USDT")


def test_evolution_symbols_next_to_market_data_symbols_is_refused():
    config = raw("dev")
    config["evolution"]["symbols"] = ["BTCUSDT"]

    with pytest.raises(StackConfigError, match="genepool:evolution.symbols: must not be set together with marketData"):
        parse(config)


def test_without_market_data_evolution_symbols_are_required_and_nothing_is_fetched():
    config = parse(without_market_data())

    assert config.market_data is None and config.evolution.symbols == ("BTCUSDT",)


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        ([], "genepool:evolution.symbols: must be a non-empty list"),
        (["BTCUSDT", "BTCUSDT"], "genepool:evolution.symbols: must not repeat a symbol"),
        (["btc usdt"], r"genepool:evolution.symbols\[0\]: must be an upper-case symbol"),
    ],
)
def test_evolution_symbols_without_market_data_fail_naming_the_key(symbols, message):
    with pytest.raises(StackConfigError, match=message):
        parse(without_market_data(symbols=symbols))


def test_a_list_of_exchange_symbols_is_stored_and_evolved_under_instrument_names():
    config = parse(market(symbols=["BTC/USDT:USDT", "BTC/USDT"]))
    assert config.market_data.symbols == (("binance:BTCUSDT-PERP", "BTC/USDT:USDT"), ("binance:BTCUSDT", "BTC/USDT"))
    assert config.evolution.symbols == ("binance:BTCUSDT-PERP", "binance:BTCUSDT")


def test_spot_and_perpetual_get_their_own_fetch_and_evolve_cronjobs():
    from infra.components.workload import cronjob_name, evolve_command, fetch_command, fetch_cronjob_name

    config = parse(market(symbols=["BTC/USDT:USDT", "BTC/USDT"]))
    jobs = [(cronjob_name(name), fetch_cronjob_name(name)) for name, _ in config.market_data.symbols]
    assert jobs == [
        ("evolve-binance-btcusdt-perp", "fetch-binance-btcusdt-perp"),
        ("evolve-binance-btcusdt", "fetch-binance-btcusdt"),
    ]
    name, exchange_symbol = config.market_data.symbols[0]
    fetch = fetch_command(name, exchange_symbol, config.market_data)
    assert fetch[fetch.index("--store-as") + 1] == "binance:BTCUSDT-PERP"
    evolve = evolve_command(name, config.evolution, 9500)
    assert evolve[evolve.index("--symbol") + 1] == "binance:BTCUSDT-PERP"


def test_the_default_fetch_schedule_is_hourly_ten_minutes_before_the_evolutions_minute():
    assert parse(raw("prod")).market_data.schedule == "50 * * * *"  # evolution: "0 */4 * * *"


INVALID = [
    ({"exchange": None}, "genepool:marketData.exchange: is required"),
    ({"exchange": "Bin ance"}, "genepool:marketData.exchange: must be a ccxt exchange id"),
    ({"timeframe": "1 hour"}, "genepool:marketData.timeframe: must be a timeframe"),
    ({"symbols": {}}, "genepool:marketData.symbols: must be a non-empty list of exchange symbols"),
    ({"symbols": []}, "genepool:marketData.symbols: must be a non-empty list of exchange symbols"),
    (
        {"symbols": ["BTCUSDT"]},
        r"genepool:marketData.symbols\[0\]: binance 'BTCUSDT': expected a ccxt unified",
    ),
    ({"symbols": ["BTC/USDT", "BTC/USDT"]}, "genepool:marketData.symbols: must not name one instrument twice"),
    ({"symbols": {"btc": "BTC/USDT:USDT"}}, "genepool:marketData.symbols.btc: must be an upper-case symbol"),
    ({"symbols": {"BTCUSDT": "BTC USDT"}}, "genepool:marketData.symbols.BTCUSDT: must be the exchange's ccxt symbol"),
    ({"backfillDays": 0}, r"genepool:marketData.backfillDays: must be an integer in \[1, 3650\]"),
    ({"schedule": "0 */6 * * *"}, "genepool:marketData.schedule: must run every hour or more often"),
    ({"schedule": "every hour"}, "genepool:marketData.schedule: must be a 5-field cron expression"),
    ({"deadlineSeconds": 10}, r"genepool:marketData.deadlineSeconds: must be an integer in \[60, 86400\]"),
    ({"exchangeUrl": "ftp://proxy"}, "genepool:marketData.exchangeUrl: must be an http\\(s\\) base URL"),
    ({"limit": 5}, "genepool:marketData.limit: unknown field"),
]


@pytest.mark.parametrize(("fields", "message"), INVALID, ids=[next(iter(f)) + repr(f) for f, _ in INVALID])
def test_invalid_market_data_fails_naming_key_and_rule(fields, message):
    with pytest.raises(StackConfigError, match=message):
        parse(market(**fields))


def test_a_default_schedule_needs_an_evolution_minute_it_can_run_before():
    config = raw("dev")
    config["evolution"]["schedule"] = "*/30 * * * *"

    with pytest.raises(
        StackConfigError, match="genepool:marketData.schedule: is required when evolution.schedule's minute"
    ):
        parse(config)


def fetch_cronjobs(deployment) -> dict[str, dict]:
    return {
        c.name: plain(c.inputs["spec"])
        for c in deployment.of_type("kubernetes:batch/v1:CronJob")
        if c.name.startswith("workload-fetch-")
    }


def test_each_stack_fetches_exactly_the_symbols_it_evolves(stack):
    _, deployment = stack
    names = {c.name for c in deployment.of_type("kubernetes:batch/v1:CronJob")}

    evolved = {n.removeprefix("workload-evolve-") for n in names if n.startswith("workload-evolve-")}
    fetched = {n.removeprefix("workload-fetch-") for n in names if n.startswith("workload-fetch-")}
    assert fetched == evolved and fetched


def test_the_fetch_cronjob_runs_data_fetch_bounded_and_never_concurrently(dev):
    (spec,) = fetch_cronjobs(dev).values()
    job = spec["jobTemplate"]["spec"]
    (container,) = job["template"]["spec"]["containers"]

    assert container["args"] == [
        "genepool", "data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDT:USDT", "--timeframe", "1h",
        "--store-as", "BTCUSDT", "--backfill-days", "365",
    ]  # fmt: skip
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["schedule"] == "50 * * * *"
    assert job["activeDeadlineSeconds"] == 1800


def test_the_fetch_reads_optional_exchange_credentials_from_a_secret_never_from_args(dev):
    (spec,) = fetch_cronjobs(dev).values()
    (container,) = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}

    for variable in ("GENEPOOL_EXCHANGE_API_KEY", "GENEPOOL_EXCHANGE_SECRET"):
        reference = env[variable]["valueFrom"]["secretKeyRef"]
        assert reference["name"] == "genepool-exchange" and reference["optional"] is True
        assert "value" not in env[variable]
    assert not any("key" in arg.lower() or "secret" in arg.lower() for arg in container["args"])
