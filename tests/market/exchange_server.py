"""A stand-in for Binance's public REST API on 127.0.0.1, answering with generated data, for ccxt to talk to.

It answers the documented endpoints ccxt's ``binance`` calls for public market data (found by logging the requests
of ``load_markets``, ``fetch_time``, ``fetch_ohlcv`` and ``fetch_funding_rate_history``):

- ``GET /api/v3/exchangeInfo``: the spot markets of :attr:`FakeBinance.spot` (none by default);
- ``GET /dapi/v1/exchangeInfo`` (coin-margined): no symbols;
- ``GET /fapi/v1/exchangeInfo``: the USDⓈ-M perpetuals of :attr:`FakeBinance.symbols`;
- ``GET /api/v3/time`` (ccxt's ``fetch_time`` asks the spot API): ``{"serverTime": ms}``, the server's clock
  (:attr:`FakeBinance.now_ms`);
- ``GET /fapi/v1/klines?symbol&interval&startTime&endTime&limit``: candles from ``startTime``, at most
  ``min(limit, max_limit)`` of them, up to and including the one still forming at ``now_ms``;
- ``GET /api/v3/klines``: the same for the spot markets (spot prices are the perpetual's times
  :data:`SPOT_DISCOUNT`, so the two series differ);
- ``GET /fapi/v1/fundingRate?symbol&startTime&endTime&limit``: a funding event every 8 hours, a few milliseconds
  after the hour as on the real exchange.

Prices are a deterministic function of the candle's open time, so every fetch of a candle returns the same values
(except the forming candle, whose close depends on ``now_ms``). ``fail_next`` holds HTTP statuses the next klines
or funding requests answer with, in order, before answering normally; ``missing`` open times are left out (an
exchange outage); ``corrupt`` ones come with high below low; ``None`` in ``fail_next`` lets one request through;
every request's path and query is logged in ``requests``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

INTERVAL_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}
FUNDING_PERIOD_MS = 8 * 3_600_000
FUNDING_DELAY_MS = 3
"""Binance stamps funding events a few milliseconds after the 8-hour mark."""


def price(open_ms: int) -> float:
    """A smooth, positive price path of the open time."""
    hours = open_ms / 3_600_000
    return round(30_000 + 2_000 * math.sin(hours / 50) + 300 * math.sin(hours / 3), 2)


def candle(open_ms: int, interval_ms: int, now_ms: int) -> list[Any]:
    """A Binance kline row; the forming candle (``open + interval > now``) closes at a price of ``now``."""
    forming = open_ms + interval_ms > now_ms
    o = price(open_ms)
    c = price(now_ms if forming else open_ms + interval_ms)
    high, low = max(o, c) * 1.001, min(o, c) * 0.999
    volume = 100 + (open_ms // interval_ms) % 17
    return [open_ms, f"{o:.2f}", f"{high:.2f}", f"{low:.2f}", f"{c:.2f}", f"{volume:.3f}",
            open_ms + interval_ms - 1, "0", 10, "0", "0", "0"]  # fmt: skip


def funding_rate(time_ms: int) -> float:
    return round(0.0001 + 0.00005 * math.sin(time_ms / FUNDING_PERIOD_MS), 8)


SPOT_DISCOUNT = 0.999
"""Spot candles are the perpetual's prices times this (a basis)."""


def _spot_market(symbol: str, base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "permissions": ["SPOT"],
        "permissionSets": [["SPOT"]],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
        ],
    }


def _market(symbol: str, base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "pair": symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "baseAsset": base,
        "quoteAsset": quote,
        "marginAsset": quote,
        "pricePrecision": 2,
        "quantityPrecision": 3,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.10", "maxPrice": "1000000", "tickSize": "0.10"},
            {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
        ],
        "orderTypes": ["LIMIT", "MARKET"],
        "timeInForce": ["GTC"],
    }


@dataclass
class FakeBinance:
    """The server's state; tests change it between fetches."""

    now_ms: int
    symbols: dict[str, tuple[str, str]] = field(default_factory=lambda: {"BTCUSDT": ("BTC", "USDT")})
    spot: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Spot markets (exchange id → base, quote), e.g. ``{"BTCUSDT": ("BTC", "USDT")}``."""
    listed_ms: int = 0
    """No candle opens before this time (the market's listing)."""
    max_limit: int = 1500
    missing: set[int] = field(default_factory=set)
    fail_next: list[int | None] = field(default_factory=list)
    corrupt: set[int] = field(default_factory=set)
    """Open times of candles answered with high below low."""
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def klines(self, query: dict[str, str]) -> list[list[Any]]:
        interval = INTERVAL_MS[query["interval"]]
        start = int(query.get("startTime", self.listed_ms))
        end = min(int(query.get("endTime", self.now_ms)), self.now_ms)
        limit = min(int(query.get("limit", 500)), self.max_limit)
        first = max(-(-start // interval) * interval, -(-self.listed_ms // interval) * interval)
        rows = []
        open_ms = first
        while open_ms <= end and len(rows) < limit:
            if open_ms not in self.missing:
                row = candle(open_ms, interval, self.now_ms)
                if open_ms in self.corrupt:
                    row[2], row[3] = row[3], row[2]
                rows.append(row)
            open_ms += interval
        return rows

    def funding(self, query: dict[str, str]) -> list[dict[str, Any]]:
        start = int(query.get("startTime", self.listed_ms))
        end = min(int(query.get("endTime", self.now_ms)), self.now_ms)
        limit = min(int(query.get("limit", 100)), 1000)
        mark = max(-(-start // FUNDING_PERIOD_MS) * FUNDING_PERIOD_MS, self.listed_ms)
        out = []
        while mark + FUNDING_DELAY_MS <= end and len(out) < limit:
            if mark + FUNDING_DELAY_MS >= start:
                out.append(
                    {
                        "symbol": query["symbol"],
                        "fundingTime": mark + FUNDING_DELAY_MS,
                        "fundingRate": f"{funding_rate(mark):.8f}",
                        "markPrice": f"{price(mark):.2f}",
                    }
                )
            mark += FUNDING_PERIOD_MS
        return out

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
            if path in ("/fapi/v1/klines", "/fapi/v1/fundingRate") and self.fail_next:
                status = self.fail_next.pop(0)
                if status is None:
                    pass
                elif status == 429:
                    return status, {"code": -1003, "msg": "Too many requests (injected)"}
                else:
                    return status, f"<html><body>{status} injected gateway error</body></html>"
        if path == "/api/v3/exchangeInfo":
            markets = [_spot_market(symbol, base, quote) for symbol, (base, quote) in self.spot.items()]
            return 200, {"timezone": "UTC", "serverTime": self.now_ms, "rateLimits": [], "symbols": markets}
        if path == "/dapi/v1/exchangeInfo":
            return 200, {"timezone": "UTC", "serverTime": self.now_ms, "rateLimits": [], "symbols": []}
        if path == "/api/v3/klines":
            if query.get("symbol") not in self.spot:
                return 400, {"code": -1121, "msg": "Invalid symbol."}
            return 200, [
                [row[0], *(f"{float(v) * SPOT_DISCOUNT:.2f}" for v in row[1:5]), *row[5:]] for row in self.klines(query)
            ]
        if path == "/fapi/v1/exchangeInfo":
            markets = [_market(symbol, base, quote) for symbol, (base, quote) in self.symbols.items()]
            return 200, {"timezone": "UTC", "serverTime": self.now_ms, "rateLimits": [], "symbols": markets}
        if path == "/api/v3/time":
            return 200, {"serverTime": self.now_ms}
        if path in ("/fapi/v1/klines", "/fapi/v1/fundingRate"):
            if query.get("symbol") not in self.symbols:
                return 400, {"code": -1121, "msg": "Invalid symbol."}
            return 200, self.klines(query) if path.endswith("klines") else self.funding(query)
        return 404, {"code": -1, "msg": f"not stubbed: {path}"}


class _Handler(BaseHTTPRequestHandler):
    state: FakeBinance

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        status, body = self.server.state.answer(parts.path, query)  # type: ignore[attr-defined]
        text = body if isinstance(body, str) else json.dumps(body)
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
        return


class ExchangeServer:
    """:class:`FakeBinance` served by a threaded HTTP server on a free port of 127.0.0.1."""

    def __init__(self, state: FakeBinance) -> None:
        self.state = state
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.state = state  # type: ignore[attr-defined]
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ExchangeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve(state: FakeBinance) -> Iterator[ExchangeServer]:
    with ExchangeServer(state) as server:
        yield server
