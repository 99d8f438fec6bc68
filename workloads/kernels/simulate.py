"""The simulator of design §3.2 as small Numba step helpers that every seed kernel calls, bar by bar.

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

    book = new_book(sim, trade_start)
    for t in range(n):
        book_open(book, t, open_[t], trips)           # execute the target decided at close t-1
        ...                                          # update indicator state with bar t, pick ``target``
        book_close(book, t, close[t], target, equity_rec, target_rec, trips)
    book_finish(book, n, metrics_row, trips)

``book`` is a small float64 state array (slots below); ``equity_rec`` (equity at each close), ``target_rec`` (the
rule's target at each close, before long-only / trade_start / ruin forcing), both shape ``(n,)``, and ``trips``
(shape ``(n, TRIP_FIELDS)``) record one individual's path for ``Seed.run``, or have length 0 in the population
path, where nothing per bar is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from workloads.kernels.metrics import METRIC_NAMES, finish_metrics

# ``SimConfig.as_array()`` layout.
SIM_FEE_RATE, SIM_SLIPPAGE, SIM_LONG_ONLY, SIM_BAND, SIM_BARS_PER_YEAR, SIM_INITIAL = range(6)

# Book slots: position and cash, then metric accumulators, then the configuration the helpers need.
(CASH, UNITS, HELD, PENDING, EQUITY, RUINED, PEAK, TROUGH, MAX_DD, SUM_R, SUM_R2, SUM_DOWN2, IN_MARKET, ENTRIES,
 CLOSED, WINS, GROSS_PROFIT, GROSS_LOSS, TURNOVER, TRIP_BASIS, TRIP_FEES, N_TRIPS, FEE_RATE, SLIPPAGE, LONG_ONLY,
 BAND, BARS_PER_YEAR, INITIAL, TRADE_START) = range(29)
BOOK_SIZE = 29

# Columns of a recorded trip (round trip). Bars are indices into the series; an open trip has EXIT_BAR = -1.
ENTRY_BAR, EXIT_BAR, DIRECTION, ENTRY_PRICE, EXIT_PRICE, TRIP_UNITS, PNL, FEES = range(8)
TRIP_FIELDS = 8


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
        return np.array([self.fee_rate, self.slippage, float(self.long_only), self.rebalance_band,
                         self.bars_per_year, self.initial_equity], dtype=np.float64)


@njit(cache=True)
def new_book(sim: np.ndarray, trade_start: int) -> np.ndarray:
    """A flat account holding ``initial_equity`` in cash, configured from a ``SimConfig.as_array()`` vector."""
    book = np.zeros(BOOK_SIZE, dtype=np.float64)
    initial = sim[SIM_INITIAL]
    book[CASH] = initial
    book[EQUITY] = initial
    book[PEAK] = initial
    book[TROUGH] = initial
    book[FEE_RATE] = sim[SIM_FEE_RATE]
    book[SLIPPAGE] = sim[SIM_SLIPPAGE]
    book[LONG_ONLY] = sim[SIM_LONG_ONLY]
    book[BAND] = sim[SIM_BAND]
    book[BARS_PER_YEAR] = sim[SIM_BARS_PER_YEAR]
    book[INITIAL] = initial
    book[TRADE_START] = trade_start
    return book


@njit(cache=True)
def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


@njit(cache=True)
def _open_trip(book: np.ndarray, t: int, direction: float, price: float, units: float, basis: float, fee: float,
               trips: np.ndarray) -> None:
    book[ENTRIES] += 1.0
    book[TRIP_BASIS] = basis
    book[TRIP_FEES] = fee
    if trips.shape[0] > 0:
        row = trips[int(book[N_TRIPS])]
        row[ENTRY_BAR] = t
        row[EXIT_BAR] = -1.0
        row[DIRECTION] = direction
        row[ENTRY_PRICE] = price
        row[EXIT_PRICE] = np.nan
        row[TRIP_UNITS] = units
    book[N_TRIPS] += 1.0


@njit(cache=True)
def _close_trip(book: np.ndarray, t: int, price: float, exit_value: float, fee: float, trips: np.ndarray) -> None:
    pnl = exit_value - book[TRIP_BASIS]
    book[CLOSED] += 1.0
    if pnl > 0.0:
        book[WINS] += 1.0
        book[GROSS_PROFIT] += pnl
    elif pnl < 0.0:
        book[GROSS_LOSS] -= pnl
    if trips.shape[0] > 0:
        row = trips[int(book[N_TRIPS]) - 1]
        row[EXIT_BAR] = t
        row[EXIT_PRICE] = price
        row[PNL] = pnl
        row[FEES] = book[TRIP_FEES] + fee


@njit(cache=True)
def _ruin(book: np.ndarray, t: int, price: float, trips: np.ndarray) -> None:
    if book[UNITS] != 0.0:
        _close_trip(book, t, price, 0.0, 0.0, trips)
    book[CASH] = 0.0
    book[UNITS] = 0.0
    book[HELD] = 0.0
    book[PENDING] = 0.0
    book[RUINED] = 1.0


@njit(cache=True)
def book_open(book: np.ndarray, t: int, open_price: float, trips: np.ndarray) -> None:
    """Execute at the open of bar ``t`` the target decided at the close of ``t-1`` (if it is to be executed)."""
    target = book[PENDING]
    if target == book[HELD]:
        return
    units = book[UNITS]
    equity = book[CASH] + units * open_price
    if equity <= 0.0:
        _ruin(book, t, open_price, trips)
        return
    book[HELD] = target
    new_units = target * equity / open_price
    delta = new_units - units
    if delta == 0.0:
        return
    traded = abs(delta)
    fill = open_price * (1.0 + book[SLIPPAGE] * _sign(delta))
    notional = traded * fill
    fee = book[FEE_RATE] * notional
    book[CASH] -= delta * fill + fee
    book[UNITS] = new_units
    book[TURNOVER] += notional / equity
    old_dir = _sign(units)
    new_dir = _sign(new_units)
    if old_dir == new_dir:
        book[TRIP_FEES] += fee
        return
    basis = equity
    opening_fee = fee
    if old_dir != 0.0:
        share = abs(units) / traded
        basis = equity - (delta * (fill - open_price) + fee) * share
        opening_fee = fee - fee * share
        _close_trip(book, t, fill, basis, fee * share, trips)
    if new_dir != 0.0:
        _open_trip(book, t, new_dir, fill, abs(new_units), basis, opening_fee, trips)


@njit(cache=True)
def book_close(book: np.ndarray, t: int, close_price: float, target: float, equity_rec: np.ndarray,
               target_rec: np.ndarray, trips: np.ndarray) -> None:
    """Mark to market at the close of bar ``t``, accumulate metrics, and take the decision ``target`` for ``t+1``."""
    equity = 0.0
    if book[RUINED] == 0.0:
        equity = book[CASH] + book[UNITS] * close_price
        if equity <= 0.0:
            _ruin(book, t, close_price, trips)
            equity = 0.0
    start = book[TRADE_START]
    if t > start:
        previous = book[EQUITY]
        r = equity / previous - 1.0 if previous > 0.0 else 0.0
        book[SUM_R] += r
        book[SUM_R2] += r * r
        if r < 0.0:
            book[SUM_DOWN2] += r * r
        if equity > book[PEAK]:
            drawdown = 1.0 - book[TROUGH] / book[PEAK]
            if drawdown > book[MAX_DD]:
                book[MAX_DD] = drawdown
            book[PEAK] = equity
            book[TROUGH] = equity
        elif equity < book[TROUGH]:
            book[TROUGH] = equity
    if t >= start and book[UNITS] != 0.0:
        book[IN_MARKET] += 1.0
    book[EQUITY] = equity
    if equity_rec.shape[0] > 0:
        equity_rec[t] = equity
        target_rec[t] = target
    if t < start or book[RUINED] != 0.0 or (target < 0.0 and book[LONG_ONLY] != 0.0):
        target = 0.0
    held = book[HELD]
    if target != held and (_sign(target) != _sign(held) or abs(target - held) > book[BAND]):
        book[PENDING] = target
    else:
        book[PENDING] = held


@njit(cache=True)
def book_finish(book: np.ndarray, n_bars: int, out: np.ndarray, trips: np.ndarray) -> None:
    """Write the metrics row ``out`` after the last bar (and the mark-to-market P&L of a trip still open)."""
    drawdown = max(book[MAX_DD], 1.0 - book[TROUGH] / book[PEAK])
    if trips.shape[0] > 0 and book[UNITS] != 0.0:
        row = trips[int(book[N_TRIPS]) - 1]
        row[PNL] = book[EQUITY] - book[TRIP_BASIS]
        row[FEES] = book[TRIP_FEES]
    curve_bars = n_bars - book[TRADE_START]
    finish_metrics(out, book[INITIAL], book[EQUITY], book[BARS_PER_YEAR], curve_bars - 1.0, book[SUM_R],
                   book[SUM_R2], book[SUM_DOWN2], drawdown, book[ENTRIES], book[CLOSED], book[WINS],
                   book[GROSS_PROFIT], book[GROSS_LOSS], book[IN_MARKET], book[TURNOVER], curve_bars)


@njit(cache=True)
def simulate_targets_nb(open_: np.ndarray, close: np.ndarray, targets: np.ndarray, sim: np.ndarray,
                        trade_start: int, out: np.ndarray, equity_rec: np.ndarray, target_rec: np.ndarray,
                        trips: np.ndarray) -> None:
    """Simulate one precomputed target-exposure series ``targets`` (shape ``(n,)``, decided at each close).

    The path for seeds whose signal is not a Numba kernel (scikit-learn seeds) and the oracle the tests hold the
    fused kernels to. Writes the metrics row ``out``; records into ``equity_rec``/``target_rec``/``trips`` when they
    have length ``n``.
    """
    book = new_book(sim, trade_start)
    for t in range(close.shape[0]):
        book_open(book, t, open_[t], trips)
        book_close(book, t, close[t], targets[t], equity_rec, target_rec, trips)
    book_finish(book, close.shape[0], out, trips)


def empty_records() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The zero-length recorders the population path passes (nothing per bar is stored)."""
    return np.empty(0), np.empty(0), np.empty((0, TRIP_FIELDS))


def new_records(n_bars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recorders for one individual's path over ``n_bars`` bars: equity, target, trips."""
    return np.zeros(n_bars), np.zeros(n_bars), np.zeros((n_bars, TRIP_FIELDS))


__all__ = ["METRIC_NAMES", "SimConfig", "book_close", "book_finish", "book_open", "new_book", "simulate_targets_nb"]
