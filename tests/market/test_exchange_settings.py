"""Exchange settings come from the environment, with errors naming the variable; secrets never show."""

from __future__ import annotations

import ccxt
import pytest

from workloads.market.exchange import open_exchange, override_base_url
from workloads.market.settings import ExchangeSettings, load_exchange_settings
from workloads.settings import SettingsError


def test_defaults_need_no_credentials():
    settings = load_exchange_settings({})

    assert settings == ExchangeSettings() and not settings.has_credentials


def test_a_key_without_a_secret_is_refused_naming_both_variables():
    with pytest.raises(SettingsError, match="GENEPOOL_EXCHANGE_API_KEY is set but GENEPOOL_EXCHANGE_SECRET is not"):
        load_exchange_settings({"GENEPOOL_EXCHANGE_API_KEY": "k"})


def test_repr_shows_neither_key_nor_secret():
    settings = load_exchange_settings({"GENEPOOL_EXCHANGE_API_KEY": "the-key", "GENEPOOL_EXCHANGE_SECRET": "shh"})

    assert "the-key" not in repr(settings) and "shh" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GENEPOOL_FETCH_ATTEMPTS", "0"),
        ("GENEPOOL_FETCH_ATTEMPTS", "2.5"),
        ("GENEPOOL_FETCH_BACKOFF_SECONDS", "x"),
        ("GENEPOOL_FETCH_RATE_LIMIT_MS", "-1"),
        ("GENEPOOL_FETCH_RATE_LIMIT_MS", "fast"),
    ],
)
def test_a_bad_retry_setting_names_its_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        load_exchange_settings({variable: value})


def test_the_exchange_keeps_its_own_rate_limit_unless_one_is_set():
    own = open_exchange("binance", load_exchange_settings({}))
    relay = open_exchange("binance", load_exchange_settings({"GENEPOOL_FETCH_RATE_LIMIT_MS": "0"}))

    assert own.rateLimit == ccxt.binance().rateLimit > 0
    assert relay.rateLimit == 0


def test_an_exchange_url_that_is_not_http_is_refused():
    with pytest.raises(SettingsError, match="GENEPOOL_EXCHANGE_URL 'ftp://x'"):
        load_exchange_settings({"GENEPOOL_EXCHANGE_URL": "ftp://x"})


def test_the_base_url_replaces_every_endpoints_origin_and_keeps_its_path():
    exchange = ccxt.binance()

    override_base_url(exchange, "http://127.0.0.1:9000/proxy/")

    api = exchange.urls["api"]
    assert api["fapiPublic"] == "http://127.0.0.1:9000/proxy/fapi/v1"
    assert api["public"] == "http://127.0.0.1:9000/proxy/api/v3"
    assert all(url.startswith("http://127.0.0.1:9000/proxy/") for url in api.values())
