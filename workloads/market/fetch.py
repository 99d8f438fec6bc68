"""The incremental fetch: an exchange's closed candles (and, for perpetual swaps, funding) into storage.

Conventions (docs/data.md#fetching-from-an-exchange):

- **Window**: bars whose open time is in ``[start, until)`` and that are closed. ``start`` is ``--since`` when given;
  else the open time of the last stored bar of the symbol (it is fetched again and must equal what is stored);
  else ``now − backfill_days``. Times are UTC; ccxt speaks milliseconds, :class:`~workloads.data.bars.Bars`
  nanoseconds.
- **Never a partial bar**: a candle is closed when ``open + timeframe <= now``, where ``now`` is the *earlier* of our
  clock and the exchange's (``fetch_time``, when the exchange has it): a skewed clock on either side cannot let
  the forming candle in.
- **Pagination**: ``fetch_ohlcv`` from the window's start, then from one timeframe after each page's last candle,
  until a page is empty or passes the window; funding likewise from one millisecond after each page's last event.
  Every request goes through :func:`~workloads.market.exchange.with_retries`.
- **Streamed, each batch all or nothing**: pages are turned into compact arrays as they arrive and gathered into
  batches of :data:`BATCH_BARS` bars; each batch is validated (the rules of a file import,
  :func:`workloads.data.validate.validate`) and stored in one transaction by ``Storage.put_bars`` (idempotent; a
  bar stored with different values is refused), so a year of 1-minute bars is fetched in the memory of one batch.
  A refused batch raises :class:`~workloads.data.DataError` naming the exchange, the symbol, the timestamp and the
  rule; it is not stored, the batches before it are (a window under one batch, every hourly fetch, is all or
  nothing), and the next fetch continues after the last stored bar.
- **Gaps** (missing timeframes between consecutive bars, counting from the last stored bar and across batches)
  are reported, never filled.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import ccxt
import numpy as np

from workloads.data.bars import Bars
from workloads.data.errors import DataError
from workloads.data.validate import validate
from workloads.market.exchange import Market, with_retries
from workloads.market.funding import align_funding
from workloads.market.settings import ExchangeSettings
from workloads.metrics import MARKET_DATA_LAST_BAR
from workloads.storage import Storage

NS_PER_MS = 1_000_000
MS_PER_DAY = 86_400_000
FUNDING_PAGE = 1000
BATCH_BARS = 50_000
"""Bars validated and stored per transaction: memory holds one batch (about 3 MB of arrays) whatever the window."""


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch. ``since_ms``/``until_ms``: UTC epoch milliseconds (``None``: incremental / up to now)."""

    exchange: ccxt.Exchange
    market: Market
    timeframe: str
    store_as: str
    since_ms: int | None = None
    until_ms: int | None = None
    backfill_days: int = 30


@dataclass(frozen=True)
class GapReport:
    """Missing timeframes between consecutive bars (the last stored bar included). ``largest_seconds``: the longest
    span between two bars that is more than one timeframe."""

    count: int
    missing_bars: int
    largest_seconds: float

    def as_dict(self) -> dict[str, float | int]:
        return {"count": self.count, "missing_bars": self.missing_bars, "largest_seconds": self.largest_seconds}


@dataclass(frozen=True)
class FetchReport:
    """What one fetch did. Times are ISO-8601 UTC (``None`` when no closed bar was fetched)."""

    exchange: str
    symbol: str
    stored_as: str
    timeframe: str
    start: str
    first_fetched: str | None
    last_fetched: str | None
    fetched: int
    inserted: int
    dropped_forming: int
    funding_events: int
    gaps: GapReport

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "gaps"}
        out["already_stored"] = self.fetched - self.inserted
        out["gaps"] = self.gaps.as_dict()
        return out


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def find_gaps(open_ms: np.ndarray, timeframe_ms: int) -> GapReport:
    """Gaps in strictly increasing open times (ms) relative to ``timeframe_ms``."""
    if open_ms.shape[0] < 2:
        return GapReport(0, 0, 0.0)
    diffs = np.diff(open_ms)
    long = diffs[diffs > timeframe_ms]
    if long.size == 0:
        return GapReport(0, 0, 0.0)
    return GapReport(int(long.size), int(np.sum(long // timeframe_ms - 1)), float(long.max()) / 1000)


def _now_ms(exchange: ccxt.Exchange, settings: ExchangeSettings, labels: tuple[str, str]) -> int:
    ours = int(time.time() * 1000)
    if not exchange.has.get("fetchTime"):
        return ours
    theirs = with_retries(settings, f"{exchange.id}: server time", labels, exchange.fetch_time)
    return min(ours, int(theirs)) if theirs else ours


def _pages(request: FetchRequest, settings: ExchangeSettings, start: int, end: int) -> Iterator[list[list[Any]]]:
    """Pages of candles (as the exchange returns them, the forming one included) from ``start`` until a page is
    empty or passes ``end``."""
    exchange, symbol = request.exchange, request.market.symbol
    step = int(exchange.parse_timeframe(request.timeframe) * 1000)
    cursor = start
    while cursor < end:
        since = cursor
        page: list[Any] = with_retries(
            settings,
            f"{exchange.id} {symbol}: candles from {iso_ms(since)}",
            (exchange.id, symbol),
            partial(exchange.fetch_ohlcv, symbol, request.timeframe, since=since),
        )
        page = [row for row in page if row[0] >= since]
        if not page:
            return
        yield page
        cursor = int(page[-1][0]) + step


def _funding(request: FetchRequest, settings: ExchangeSettings, start: int, end: int) -> list[tuple[int, float]]:
    """Funding events ``(time ms, rate)`` in ``[start, end)``, page by page."""
    exchange, symbol = request.exchange, request.market.symbol
    events: list[tuple[int, float]] = []
    cursor = start
    while cursor < end:
        since = cursor
        page = with_retries(
            settings,
            f"{exchange.id} {symbol}: funding from {iso_ms(since)}",
            (exchange.id, symbol),
            partial(exchange.fetch_funding_rate_history, symbol, since=since, limit=FUNDING_PAGE),
        )
        page = [event for event in page if int(event["timestamp"]) >= since]
        if not page:
            break
        events.extend((int(e["timestamp"]), float(e["fundingRate"])) for e in page if int(e["timestamp"]) < end)
        cursor = int(page[-1]["timestamp"]) + 1
    return events


def _batches(pages: Iterator[list[list[Any]]], end: int, batch_bars: int) -> Iterator[np.ndarray]:
    """The candles of ``pages`` opening before ``end`` as ``(n, 6)`` float arrays (open ms, open, high, low, close,
    volume) of at most about ``batch_bars`` rows each: a page's rows become one compact array at once, so memory
    holds one batch, never the window."""
    held: list[np.ndarray] = []
    count = 0
    for page in pages:
        rows = [row[:6] for row in page if row[0] < end]
        if rows:
            held.append(np.asarray(rows, dtype=np.float64).reshape(-1, 6))
            count += len(rows)
        if count >= batch_bars:
            yield np.concatenate(held)
            held, count = [], 0
    if held:
        yield np.concatenate(held)


def _to_bars(table: np.ndarray, funding: np.ndarray | None, store_as: str, source: str) -> Bars:
    opens = table[:, 0].astype(np.int64) * NS_PER_MS
    return Bars.from_arrays(
        opens, table[:, 1], table[:, 2], table[:, 3], table[:, 4], table[:, 5], funding, symbol=store_as, source=source
    )


@dataclass
class _Progress:
    """What the batches stored so far add up to (for the report)."""

    fetched: int = 0
    inserted: int = 0
    funding_events: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    gaps: GapReport = GapReport(0, 0, 0.0)

    def add_gaps(self, found: GapReport) -> None:
        self.gaps = GapReport(
            self.gaps.count + found.count,
            self.gaps.missing_bars + found.missing_bars,
            max(self.gaps.largest_seconds, found.largest_seconds),
        )


def fetch_into(
    storage: Storage, request: FetchRequest, settings: ExchangeSettings, batch_bars: int | None = None
) -> FetchReport:
    """Fetch the request's closed bars and store them batch by batch (see the module docstring). Raises
    :class:`~workloads.data.DataError` for a refused batch, ``ValueError`` when a batch differs from stored bars,
    :class:`~workloads.market.exchange.FetchFailed` when the exchange keeps failing; the batches stored before
    stay (the next fetch continues after them), the failing one is not stored."""
    exchange, market = request.exchange, request.market
    labels = (exchange.id, market.symbol)
    step = int(exchange.parse_timeframe(request.timeframe) * 1000)
    source = f"{exchange.id} {market.symbol} {request.timeframe}"
    stored = {s.symbol: s for s in storage.symbol_summaries()}.get(request.store_as)
    now = _now_ms(exchange, settings, labels)
    if request.since_ms is not None:
        start = request.since_ms
    elif stored is not None:
        start = stored.last_ns // NS_PER_MS
    else:
        start = now - request.backfill_days * MS_PER_DAY
    start = -(-start // step) * step
    closed_end = (now // step) * step  # opens at or after this are not closed yet
    end = min(closed_end, request.until_ms) if request.until_ms is not None else closed_end
    forming = [0]

    def pages() -> Iterator[list[list[Any]]]:
        for page in _pages(request, settings, start, end):
            forming[0] += sum(1 for row in page if int(row[0]) + step > now)
            yield page

    done = _Progress()
    previous = stored.last_ns // NS_PER_MS if stored is not None else None
    for table in _batches(pages(), end, batch_bars or BATCH_BARS):
        opens = table[:, 0].astype(np.int64)
        funding = None
        if market.swap:
            events = _funding(request, settings, int(opens[0]), int(opens[-1]) + step)
            done.funding_events += len(events)
            event_ms = np.asarray([t for t, _ in events], dtype=np.int64)
            rates = np.asarray([r for _, r in events], dtype=np.float64)
            funding = align_funding(opens, step, event_ms, rates)
        bars = _to_bars(table, funding, request.store_as, source)
        try:
            bars, _ = validate(bars, min_bars=1)
        except DataError as exc:
            raise DataError(source, exc.rule, detail=exc.detail) from None
        done.inserted += storage.put_bars(request.store_as, bars)
        MARKET_DATA_LAST_BAR.labels(request.store_as).set(int(opens[-1]) / 1000)
        with_previous = opens if previous is None or previous >= opens[0] else np.concatenate(([previous], opens))
        done.add_gaps(find_gaps(with_previous, step))
        done.fetched += len(opens)
        done.first_ms = int(opens[0]) if done.first_ms is None else done.first_ms
        done.last_ms = previous = int(opens[-1])
    return FetchReport(
        exchange=exchange.id,
        symbol=market.symbol,
        stored_as=request.store_as,
        timeframe=request.timeframe,
        start=iso_ms(start),
        first_fetched=iso_ms(done.first_ms) if done.first_ms is not None else None,
        last_fetched=iso_ms(done.last_ms) if done.last_ms is not None else None,
        fetched=done.fetched,
        inserted=done.inserted,
        dropped_forming=forming[0],
        funding_events=done.funding_events,
        gaps=done.gaps,
    )
