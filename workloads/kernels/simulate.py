"""The simulator of docs/simulation.md as small Numba step helpers that every seed kernel calls, bar by bar.

Convention (one, everywhere):

- A strategy emits a **target exposure** ``e_t`` (fraction of equity, sign = direction) from data up to and including
  the close of bar ``t``. It is executed at the **open of bar t+1**; the target of the last bar is never executed.
- Execution trades to ``units = e_t * equity_at_open / open`` at the fill price ``open * (1 + slippage * sign(trade))``
  and pays ``fee_rate * |units traded| * fill price``. Between fills the number of units is held fixed.
- A new target is executed when it differs from the held one **and** either its direction differs (long / flat /
  short, so every entry, exit and reversal is always executed) or it moves by more than ``rebalance_band``
  (``|e_t - e_held| > band``). With ``band = 0`` every change is executed.
- ``long_only`` turns short targets into flat ones.
- Equity is marked to market at every close. Equity that reaches zero or less — at an open before the fill, or at a
  close — is **ruin**: the position is gone, equity is 0 for every later bar and no further trade happens.
- ``trade_start = s``: indicators run from bar 0, but targets are forced to 0 on closes ``t < s`` (so the first fill
  can happen at the open of ``s + 1``); the equity curve and every metric cover the closes of bars ``s .. n-1``, and
  the curve starts at ``initial_equity`` at the close of ``s``.
- Funding payments are not charged (funding rates are a signal input, not a cash flow, in this version).

How a seed kernel uses this module (see ``workloads/seeds/strategies/ema_crossover.py``)::

    book, ledger = new_book(sim, trade_start, 0)
    for t in range(n):
        if book.pending != book.held:                      # a decision of close t-1 to execute at this open
            book = book_fill(book, ledger, t, open_[t])
        ...                                                # update indicator state with bar t, pick ``target``
        if target_rec.shape[0] > 0:
            target_rec[t] = target
        book = book_close(book, t, close[t], target)
    book_finish(book, ledger, n, metrics_row)

The state is split for speed. :class:`Book` is an immutable tuple of scalars (position, per-bar metric accumulators
and the configuration read every bar): ``book_close`` returns a new one, so inside the fused loop it lives in
registers (it is inlined; it takes no array, so no reference counting happens per bar). ``book_fill`` is inlined
too, inside the seed's ``if``, so the fill path costs nothing on bars without a fill. ``ledger`` is a float64
array touched only at fills: row 0 holds the configuration and round-trip accounting (slots ``L_*``), rows
``1 .. capacity`` record the trips (columns ``ENTRY_BAR .. FEES``) when a capacity was asked for (``Seed.run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from workloads.kernels.metrics import METRIC_NAMES, finish_metrics

# ``SimConfig.as_array()`` layout.
SIM_FEE_RATE, SIM_SLIPPAGE, SIM_LONG_ONLY, SIM_BAND, SIM_BARS_PER_YEAR, SIM_INITIAL = range(6)

# Ledger row 0: configuration, then accumulators that change only at fills.
(
    L_FEE_RATE,
    L_SLIPPAGE,
    L_LONG_ONLY,
    L_BAND,
    L_BARS_PER_YEAR,
    L_INITIAL,
    L_TRADE_START,
    L_ENTRIES,
    L_CLOSED,
    L_WINS,
    L_GROSS_PROFIT,
    L_GROSS_LOSS,
    L_TURNOVER,
    L_TRIP_BASIS,
    L_TRIP_FEES,
    L_N_TRIPS,
) = range(16)
LEDGER_WIDTH = 16

# Ledger rows 1..: one recorded round trip each. Bars are indices into the series; an open trip has EXIT_BAR = -1.
ENTRY_BAR, EXIT_BAR, DIRECTION, ENTRY_PRICE, EXIT_PRICE, TRIP_UNITS, PNL, FEES = range(8)
TRIP_FIELDS = 8

SCRATCH = 1e-10
"""A closed trip whose |pnl| is at most this fraction of the equity it started from is a scratch: float rounding,
neither a win nor a loss (it still counts as a closed trip)."""


class Book(NamedTuple):
    """Per-bar state; ``equity`` is the equity at the last close.

    Returns are accumulated as shifted sums ``sum_d = sum(r - shift)``, ``sum_d2 = sum((r - shift) ** 2)`` with
    ``shift`` the first non-zero return: the variance stays accurate when returns barely vary (no cancellation of
    large sums), and nothing slow sits on the loop-carried path. ``ruined`` is 0.0 / 1.0; ``start``, ``long_only``,
    ``band`` are configuration;
    ``ruin_bar``/``ruin_price`` remember a ruin at a close until the ledger records it at the next fill step.
    """

    cash: float
    units: float
    held: float
    pending: float
    equity: float
    ruined: float
    peak: float
    trough: float
    max_dd: float
    shift: float
    sum_d: float
    sum_d2: float
    sum_down2: float
    in_market: float
    start: int
    long_only: float
    band: float
    ruin_bar: float
    ruin_price: float


@dataclass(frozen=True)
class SimConfig:
    """Execution costs and conventions of a simulation.

    - ``fee_rate``: fraction of traded notional paid per fill (0.001 = 10 bps; the CLI takes bps).
    - ``slippage``: fraction of the open added to (buys) or taken from (sells) the fill price (the CLI takes bps).
    - ``long_only``: short targets become flat.
    - ``rebalance_band``: a same-direction change of target exposure (fraction of equity) is executed only when it
      exceeds this; entries, exits and reversals always execute.
    - ``bars_per_year``: annualisation of sharpe, sortino and cagr (``workloads.data.calendar.infer_bars_per_year``).
    - ``initial_equity``: equity at the start of the curve; ``final_equity`` is in the same unit.
    """

    fee_rate: float
    slippage: float
    long_only: bool
    rebalance_band: float
    bars_per_year: float
    initial_equity: float = 1.0

    def __post_init__(self) -> None:
        rules = (
            ("fee_rate", self.fee_rate, 0.0 <= self.fee_rate < 1.0, "must be a fraction in [0, 1)"),
            ("slippage", self.slippage, 0.0 <= self.slippage < 1.0, "must be a fraction in [0, 1)"),
            ("rebalance_band", self.rebalance_band, self.rebalance_band >= 0.0, "must be >= 0"),
            ("bars_per_year", self.bars_per_year, self.bars_per_year > 0.0, "must be > 0"),
            ("initial_equity", self.initial_equity, self.initial_equity > 0.0, "must be > 0"),
        )
        for name, value, ok, rule in rules:
            if not (ok and np.isfinite(value)):
                raise ValueError(f"SimConfig.{name} = {value!r}: {rule}")

    def as_array(self) -> np.ndarray:
        """The float64 vector the kernels take (layout ``SIM_*``)."""
        return np.array(
            [
                self.fee_rate,
                self.slippage,
                float(self.long_only),
                self.rebalance_band,
                self.bars_per_year,
                self.initial_equity,
            ],
            dtype=np.float64,
        )


@njit(cache=True)
def new_book(sim: np.ndarray, trade_start: int, trip_capacity: int) -> tuple[Book, np.ndarray]:
    """A flat account holding ``initial_equity`` in cash, configured from a ``SimConfig.as_array()`` vector, and its
    ledger with room to record ``trip_capacity`` round trips (0: count them, record nothing)."""
    ledger = np.zeros((1 + trip_capacity, LEDGER_WIDTH), dtype=np.float64)
    ledger[0, : SIM_INITIAL + 1] = sim[: SIM_INITIAL + 1]
    ledger[0, L_TRADE_START] = trade_start
    initial = sim[SIM_INITIAL]
    book = Book(
        initial,
        0.0,
        0.0,
        0.0,
        initial,
        0.0,
        initial,
        initial,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        trade_start,
        sim[SIM_LONG_ONLY],
        sim[SIM_BAND],
        -1.0,
        0.0,
    )
    return book, ledger


@njit(cache=True, inline="always")
def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


@njit(cache=True, inline="always")
def _with_account(
    book: Book, cash: float, units: float, held: float, pending: float, equity: float, ruined: float
) -> Book:
    """``book`` with a new account (numba's tuples have no ``_replace``)."""
    return Book(
        cash,
        units,
        held,
        pending,
        equity,
        ruined,
        book.peak,
        book.trough,
        book.max_dd,
        book.shift,
        book.sum_d,
        book.sum_d2,
        book.sum_down2,
        book.in_market,
        book.start,
        book.long_only,
        book.band,
        book.ruin_bar,
        book.ruin_price,
    )


@njit(cache=True)
def _open_trip(
    ledger: np.ndarray, t: int, direction: float, price: float, units: float, basis: float, fee: float
) -> None:
    head = ledger[0]
    head[L_ENTRIES] += 1.0
    head[L_TRIP_BASIS] = basis
    head[L_TRIP_FEES] = fee
    head[L_N_TRIPS] += 1.0
    if ledger.shape[0] > 1:
        row = ledger[int(head[L_N_TRIPS])]
        row[ENTRY_BAR] = t
        row[EXIT_BAR] = -1.0
        row[DIRECTION] = direction
        row[ENTRY_PRICE] = price
        row[EXIT_PRICE] = np.nan
        row[TRIP_UNITS] = units


@njit(cache=True)
def _close_trip(ledger: np.ndarray, t: float, price: float, exit_value: float, fee: float) -> None:
    head = ledger[0]
    pnl = exit_value - head[L_TRIP_BASIS]
    scratch = SCRATCH * abs(head[L_TRIP_BASIS])
    head[L_CLOSED] += 1.0
    if pnl > scratch:
        head[L_WINS] += 1.0
        head[L_GROSS_PROFIT] += pnl
    elif pnl < -scratch:
        head[L_GROSS_LOSS] -= pnl
    if ledger.shape[0] > 1:
        row = ledger[int(head[L_N_TRIPS])]
        row[EXIT_BAR] = t
        row[EXIT_PRICE] = price
        row[PNL] = pnl
        row[FEES] = head[L_TRIP_FEES] + fee


@njit(cache=True, inline="always")
def _wiped_out(book: Book, ledger: np.ndarray, bar: float, price: float) -> Book:
    """Ruin at ``price`` on ``bar``: any open trip closes at zero value; the account stays flat at zero."""
    if book.units != 0.0:
        _close_trip(ledger, bar, price, 0.0, 0.0)
    return _with_account(book, 0.0, 0.0, 0.0, 0.0, book.equity, 1.0)


@njit(cache=True, inline="always")
def book_fill(book: Book, ledger: np.ndarray, t: int, open_price: float) -> Book:
    """The fill step at the open of bar ``t`` (call it when ``book.pending != book.held``): trade to the pending
    target (docs/simulation.md#execution) with round-trip accounting, or record a ruin."""
    if book.ruined != 0.0:
        return _wiped_out(book, ledger, book.ruin_bar, book.ruin_price)
    units = book.units
    equity = book.cash + units * open_price
    if equity <= 0.0:
        return _wiped_out(book, ledger, float(t), open_price)
    head = ledger[0]
    target = book.pending
    new_units = target * equity / open_price
    delta = new_units - units
    cash = book.cash
    if delta != 0.0:
        traded = abs(delta)
        fill = open_price * (1.0 + head[L_SLIPPAGE] * _sign(delta))
        notional = traded * fill
        fee = head[L_FEE_RATE] * notional
        cash -= delta * fill + fee
        head[L_TURNOVER] += notional / equity
        old_dir = _sign(units)
        new_dir = _sign(new_units)
        if old_dir == new_dir:
            head[L_TRIP_FEES] += fee
        else:
            basis = equity
            opening_fee = fee
            if old_dir != 0.0:
                share = abs(units) / traded
                basis = equity - (delta * (fill - open_price) + fee) * share
                opening_fee = fee - fee * share
                _close_trip(ledger, float(t), fill, basis, fee * share)
            if new_dir != 0.0:
                _open_trip(ledger, t, new_dir, fill, abs(new_units), basis, opening_fee)
    return _with_account(book, cash, new_units, target, target, book.equity, 0.0)


@njit(cache=True, inline="always")
def book_close(book: Book, t: int, close_price: float, target: float) -> Book:
    """Mark to market at the close of bar ``t``, accumulate the metrics, and take the decision ``target`` for the
    open of ``t+1``. A ruin here is remembered in the book and recorded by the next ``book_fill``/``book_finish``."""
    ruined, held = book.ruined, book.held
    ruin_bar, ruin_price = book.ruin_bar, book.ruin_price
    equity = 0.0
    if ruined == 0.0:
        equity = book.cash + book.units * close_price
        if equity <= 0.0:
            equity = 0.0
            ruined = 1.0
            ruin_bar = float(t)
            ruin_price = close_price
            held = -1.0
    peak, trough, max_dd = book.peak, book.trough, book.max_dd
    shift, sum_d, sum_d2 = book.shift, book.sum_d, book.sum_d2
    sum_down2, in_market = book.sum_down2, book.in_market
    if t > book.start:
        r = equity / book.equity - 1.0 if book.equity > 0.0 else 0.0
        if shift == 0.0 and r != 0.0:
            shift = r
            earlier = t - book.start - 1.0
            sum_d = -earlier * shift
            sum_d2 = earlier * shift * shift
        d = r - shift
        sum_d += d
        sum_d2 += d * d
        down = min(r, 0.0)
        sum_down2 += down * down
        if equity > peak:
            max_dd = max(max_dd, 1.0 - trough / peak)
            peak = equity
            trough = equity
        else:
            trough = min(trough, equity)
    if t >= book.start and book.units != 0.0:
        in_market += 1.0
    if t < book.start or ruined != 0.0 or (target < 0.0 and book.long_only != 0.0):
        target = 0.0
    pending = held
    if target != held and (_sign(target) != _sign(held) or abs(target - held) > book.band):
        pending = target
    return Book(
        book.cash,
        book.units,
        held,
        pending,
        equity,
        ruined,
        peak,
        trough,
        max_dd,
        shift,
        sum_d,
        sum_d2,
        sum_down2,
        in_market,
        book.start,
        book.long_only,
        book.band,
        ruin_bar,
        ruin_price,
    )


@njit(cache=True)
def book_finish(book: Book, ledger: np.ndarray, n_bars: int, out: np.ndarray) -> None:
    """After the last bar: record a pending ruin, mark a trip still open (``pnl`` at the last close), and write the
    metrics row ``out``."""
    if book.ruined != 0.0 and book.units != 0.0:
        book = _wiped_out(book, ledger, book.ruin_bar, book.ruin_price)
    head = ledger[0]
    if ledger.shape[0] > 1 and book.units != 0.0:
        row = ledger[int(head[L_N_TRIPS])]
        row[PNL] = book.equity - head[L_TRIP_BASIS]
        row[FEES] = head[L_TRIP_FEES]
    curve_bars = n_bars - book.start
    finish_metrics(
        out,
        head[L_INITIAL],
        book.equity,
        head[L_BARS_PER_YEAR],
        curve_bars - 1.0,
        book.shift,
        book.sum_d,
        book.sum_d2,
        book.sum_down2,
        max(book.max_dd, 1.0 - book.trough / book.peak),
        head[L_ENTRIES],
        head[L_CLOSED],
        head[L_WINS],
        head[L_GROSS_PROFIT],
        head[L_GROSS_LOSS],
        book.in_market,
        head[L_TURNOVER],
        curve_bars,
    )


@njit(cache=True)
def simulate_targets_nb(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    sim: np.ndarray,
    trade_start: int,
    out: np.ndarray,
    equity_rec: np.ndarray,
) -> np.ndarray:
    """Simulate one target-exposure series ``targets`` (shape ``(n,)``, the rule's target at each close).

    The path of ``Seed.run`` (the targets recorded by a fused kernel, or computed by a scikit-learn seed).
    Writes the metrics row ``out`` and, when ``equity_rec`` has length ``n``, the equity at each close; returns
    the ledger with every round trip recorded (``trips_of(ledger)``).
    """
    n = close.shape[0]
    book, ledger = new_book(sim, trade_start, n)
    for t in range(n):
        if book.pending != book.held:
            book = book_fill(book, ledger, t, open_[t])
        book = book_close(book, t, close[t], targets[t])
        if equity_rec.shape[0] > 0:
            equity_rec[t] = book.equity
    book_finish(book, ledger, n, out)
    return ledger


def trips_of(ledger: np.ndarray) -> np.ndarray:
    """The recorded round trips ``(count, TRIP_FIELDS)`` of a ledger."""
    count = int(ledger[0, L_N_TRIPS])
    return ledger[1 : 1 + count, :TRIP_FIELDS]


NO_RECORD = np.empty(0)
"""The zero-length ``target_rec`` the population path passes (nothing per bar is stored)."""

__all__ = [
    "METRIC_NAMES",
    "Book",
    "SimConfig",
    "book_close",
    "book_fill",
    "book_finish",
    "new_book",
    "simulate_targets_nb",
    "trips_of",
]
