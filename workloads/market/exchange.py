"""Opening a ccxt exchange and resolving a symbol, with bounded retries on transient failures.

- **Which exchange**: any id of ``ccxt.exchanges`` (``binance``, ``binanceusdm``, ``bybit``, ``okx`` …); an unknown
  id is a :class:`MarketInputError` listing the close matches (difflib).
- **Rate limiting**: ccxt's own limiter is on (``enableRateLimit``): requests are spaced by the exchange's
  ``rateLimit`` milliseconds (times each endpoint's weight), or by ``GENEPOOL_FETCH_RATE_LIMIT_MS`` when set.
- **Base URL**: :func:`override_base_url` replaces the scheme, host and port of every REST endpoint in the
  exchange's ``urls['api']`` (a string or a nested mapping of them) by the given URL and prefixes the given URL's
  path to each endpoint's path: ``https://fapi.binance.com/fapi/v1`` with ``http://127.0.0.1:9000/proxy`` becomes
  ``http://127.0.0.1:9000/proxy/fapi/v1``. One proxy or testnet host then serves every API of the exchange.
- **Retries** (:func:`with_retries`): ccxt's ``OperationFailed`` family — network errors, timeouts, HTTP 429
  (``DDoSProtection``/``RateLimitExceeded``) and 5xx (``ExchangeNotAvailable``) — is retried with exponential
  backoff (tenacity) up to ``ExchangeSettings.attempts`` requests; each failed request counts in
  ``genepool_market_data_fetch_errors_total``. Other errors (a bad symbol, a refused request) are not retried.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import ccxt
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from workloads.market.settings import ExchangeSettings
from workloads.metrics import MARKET_DATA_FETCH_ERRORS

log = logging.getLogger(__name__)
T = TypeVar("T")
CLOSE_MATCHES = 5
BACKOFF_CAP_FACTOR = 30
"""The wait between attempts doubles from ``backoff_seconds`` up to this many times it."""


class MarketInputError(ValueError):
    """An exchange or symbol that does not exist; the message lists close matches (exit code 2)."""


class FetchFailed(RuntimeError):
    """The exchange kept failing beyond the retry budget (exit code 1); nothing was stored."""


@dataclass(frozen=True)
class Market:
    """A resolved market: the unified ``symbol`` (``BTC/USDT:USDT``), the exchange's ``id`` (``BTCUSDT``) and
    whether it is a perpetual swap (which has funding)."""

    symbol: str
    id: str
    swap: bool


def _suggest(name: str, known: list[str]) -> str:
    matches = difflib.get_close_matches(name, known, n=CLOSE_MATCHES, cutoff=0.5)
    return f"; close matches: {', '.join(matches)}" if matches else "; no close match"


def _rebase(value: Any, base: str) -> Any:
    if isinstance(value, dict):
        return {key: _rebase(item, base) for key, item in value.items()}
    if isinstance(value, str) and "://" in value:
        return base + urlsplit(value).path
    return value


def override_base_url(exchange: ccxt.Exchange, base_url: str) -> None:
    """Point every REST endpoint of ``exchange`` at ``base_url`` (see the module docstring)."""
    exchange.urls["api"] = _rebase(exchange.urls["api"], base_url.rstrip("/"))


def open_exchange(exchange_id: str, settings: ExchangeSettings, base_url: str | None = None) -> ccxt.Exchange:
    """A ccxt exchange with its rate limiter on, the optional credentials of ``settings`` and, when given (else
    ``settings.url``), every REST endpoint moved to ``base_url``."""
    if exchange_id not in ccxt.exchanges:
        raise MarketInputError(
            f"exchange {exchange_id!r}: not an exchange ccxt knows{_suggest(exchange_id, ccxt.exchanges)}"
        )
    config: dict[str, Any] = {"enableRateLimit": True}
    if settings.has_credentials:
        config.update(apiKey=settings.api_key, secret=settings.secret)
    if settings.rate_limit_ms is not None:
        config["rateLimit"] = settings.rate_limit_ms
    exchange: ccxt.Exchange = getattr(ccxt, exchange_id)(config)
    url = base_url or settings.url
    if url:
        override_base_url(exchange, url)
    return exchange


def with_retries(settings: ExchangeSettings, what: str, labels: tuple[str, str], call: Callable[[], T]) -> T:
    """``call()``, retried on ccxt's transient errors (see the module docstring); :class:`FetchFailed` naming
    ``what`` after the last attempt. ``labels`` are the (exchange, symbol) of the error counter."""

    def count(state: RetryCallState) -> None:
        MARKET_DATA_FETCH_ERRORS.labels(*labels).inc()
        if state.outcome is not None and state.outcome.failed and state.next_action is not None:
            log.warning("%s failed (attempt %d): %s", what, state.attempt_number, state.outcome.exception())

    retrying = Retrying(
        retry=retry_if_exception_type(ccxt.OperationFailed),
        stop=stop_after_attempt(settings.attempts),
        wait=wait_exponential(
            multiplier=settings.backoff_seconds,
            min=settings.backoff_seconds,
            max=settings.backoff_seconds * BACKOFF_CAP_FACTOR,
        ),
        before_sleep=count,
        reraise=True,
    )
    try:
        return retrying(call)
    except ccxt.OperationFailed as exc:
        MARKET_DATA_FETCH_ERRORS.labels(*labels).inc()
        raise FetchFailed(f"{what}: failed {settings.attempts} time(s), giving up: {exc}") from exc


def resolve_market(exchange: ccxt.Exchange, symbol: str, settings: ExchangeSettings) -> Market:
    """Load the exchange's markets (retried) and find ``symbol`` (unified, e.g. ``BTC/USDT:USDT``, or the
    exchange's id, e.g. ``BTCUSDT``); a :class:`MarketInputError` listing close matches when there is none."""
    with_retries(settings, f"{exchange.id}: loading markets", (exchange.id, symbol), exchange.load_markets)
    markets: dict[str, Any] = exchange.markets or {}
    market = markets.get(symbol)
    if market is None:
        by_id = [m for m in markets.values() if m.get("id") == symbol]
        market = by_id[0] if len(by_id) == 1 else None
    if market is None:
        raise MarketInputError(
            f"{exchange.id} {symbol}: no such market on {exchange.id}{_suggest(symbol, sorted(markets))}"
        )
    return Market(symbol=str(market["symbol"]), id=str(market["id"]), swap=bool(market.get("swap")))
