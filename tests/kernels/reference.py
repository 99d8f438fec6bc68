"""A plain-Python reference simulator written from docs/simulation.md and the conventions documented in
``workloads.kernels.simulate`` / ``workloads.kernels.metrics`` — the oracle the Numba kernels are held to.

It is deliberately naive: one bar at a time, Python floats, metrics from the stored equity curve with
``statistics``; nothing is shared with the kernels.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import talib

SCRATCH = 1e-10
"""A closed trip with |pnl| <= SCRATCH x its starting equity is neither a win nor a loss (metrics docstring)."""
DEVIATION_FLOOR = 1e-13
"""A return deviation at or below this counts as zero in sharpe and sortino (docs/simulation.md#metrics)."""


@dataclass
class RefTrip:
    entry_bar: int
    direction: int
    entry_price: float
    units: float
    basis: float
    fees: float
    exit_bar: int = -1
    exit_price: float = math.nan
    pnl: float = math.nan


@dataclass
class RefResult:
    equity: list[float]
    metrics: dict[str, float]
    trips: list[RefTrip] = field(default_factory=list)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def reference_simulate(
    open_,
    close,
    targets,
    *,
    fee_rate=0.0,
    slippage=0.0,
    long_only=False,
    rebalance_band=0.0,
    bars_per_year=252.0,
    initial_equity=1.0,
    trade_start=0,
    funding=None,
) -> RefResult:
    """Bar by bar, as docs/simulation.md describes it. ``funding``: the rate paid over each bar (None: no funding);
    the units held over bar ``t`` pay ``units * close[t] * funding[t]`` at its close (short positions receive it)."""
    n = len(close)
    cash, units = float(initial_equity), 0.0
    held = 0.0  # the target last executed
    to_execute = None  # a decision of the previous close to execute at this open
    ruined = False
    trips: list[RefTrip] = []
    turnover = 0.0
    in_market = 0
    funding_pnl = 0.0
    curve: list[float] = []

    def close_trip(bar: int, price: float, exit_value: float, fee: float) -> None:
        trip = trips[-1]
        trip.exit_bar, trip.exit_price = bar, price
        trip.pnl = exit_value - trip.basis
        trip.fees += fee

    for t in range(n):
        o, c = float(open_[t]), float(close[t])
        if to_execute is not None and not ruined:
            equity_open = cash + units * o
            if equity_open <= 0:
                if units != 0:
                    close_trip(t, o, 0.0, 0.0)
                ruined, cash, units = True, 0.0, 0.0
            else:
                held = to_execute
                wanted = to_execute * equity_open / o
                trade = wanted - units
                if trade != 0:
                    price = o * (1 + slippage * _sign(trade))
                    fee = fee_rate * abs(trade) * price
                    cash = cash - trade * price - fee
                    turnover += abs(trade) * price / equity_open
                    cost = trade * (price - o) + fee  # equity lost to this fill, marked at the open
                    before, after = _sign(units), _sign(wanted)
                    if before == after:
                        trips[-1].fees += fee
                    else:
                        basis, opening_fee = equity_open, fee
                        if before != 0:
                            share = abs(units) / abs(trade)
                            basis = equity_open - cost * share
                            opening_fee = fee - fee * share
                            close_trip(t, price, basis, fee * share)
                        if after != 0:
                            trips.append(RefTrip(t, after, price, abs(wanted), basis, opening_fee))
                    units = wanted
        to_execute = None
        held_position = units != 0
        if ruined:
            equity = 0.0
        else:
            if funding is not None:
                payment = units * c * float(funding[t])
                cash -= payment
                funding_pnl -= payment
            equity = cash + units * c
            if equity <= 0:
                if units != 0:
                    close_trip(t, c, 0.0, 0.0)
                ruined, equity, cash, units = True, 0.0, 0.0, 0.0
        if t >= trade_start:
            curve.append(equity)
            in_market += held_position
        target = float(targets[t])
        if t < trade_start or ruined or (long_only and target < 0):
            target = 0.0
        if target != held and (_sign(target) != _sign(held) or abs(target - held) > rebalance_band):
            to_execute = target

    if trips and trips[-1].exit_bar < 0:
        trips[-1].pnl = curve[-1] - trips[-1].basis
    metrics = _metrics(curve, trips, initial_equity, bars_per_year, turnover, in_market, funding_pnl)
    return RefResult(curve, metrics, trips)


def _metrics(curve, trips, initial, bars_per_year, turnover, in_market, funding_pnl) -> dict[str, float]:
    returns = [(b / a - 1.0) if a > 0 else 0.0 for a, b in pairwise(curve)]
    k = len(returns)
    final = curve[-1]
    if k == 0:
        cagr = 0.0
    elif final <= 0:
        cagr = -1.0
    else:
        try:
            cagr = (final / initial) ** (bars_per_year / k) - 1.0
        except OverflowError:
            cagr = math.inf
    sharpe = sortino = 0.0
    if k >= 2 and statistics.stdev(returns) > DEVIATION_FLOOR:
        sharpe = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(bars_per_year)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / k) if k else 0.0
    if downside > DEVIATION_FLOOR:
        sortino = statistics.mean(returns) / downside * math.sqrt(bars_per_year)
    peak, max_dd = curve[0], 0.0
    for value in curve:
        peak = max(peak, value)
        max_dd = max(max_dd, 1.0 - value / peak)
    closed = [trip for trip in trips if trip.exit_bar >= 0]
    wins = [trip.pnl for trip in closed if trip.pnl > SCRATCH * abs(trip.basis)]
    losses = [trip.pnl for trip in closed if trip.pnl < -SCRATCH * abs(trip.basis)]
    profit, loss = sum(wins), -sum(losses)
    return {
        "total_return": final / initial - 1.0,
        "cagr": cagr,
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown": max_dd,
        "calmar": cagr / max_dd if max_dd > 0 else 0.0,
        "trades": float(len(trips)),
        "win_rate": len(wins) / len(closed) if closed else 0.0,
        "profit_factor": profit / loss if loss > 0 else (math.inf if profit > 0 else 0.0),
        "exposure": in_market / len(curve),
        "turnover": turnover,
        "final_equity": final,
        "bars": float(len(curve)),
        "funding_pnl": funding_pnl,
    }


def ema_crossover_targets(close: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """docs/seeds.md#ema_crossover with TA-Lib's EMA: +1 if EMA_fast > EMA_slow else -1, 0 while either is undefined."""
    ema_fast, ema_slow = talib.EMA(close, fast), talib.EMA(close, slow)
    defined = ~np.isnan(ema_fast) & ~np.isnan(ema_slow)
    return np.where(defined, np.where(ema_fast > ema_slow, 1.0, -1.0), 0.0)


def sma_trend_filter_targets(close: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """docs/seeds.md#sma_trend_filter with TA-Lib's SMA: +1 if close and SMA_fast above SMA_slow, -1 if both
    below, else 0."""
    sma_fast, sma_slow = talib.SMA(close, fast), talib.SMA(close, slow)
    defined = ~np.isnan(sma_fast) & ~np.isnan(sma_slow)
    long = defined & (close > sma_slow) & (sma_fast > sma_slow)
    short = defined & (close < sma_slow) & (sma_fast < sma_slow)
    return np.where(long, 1.0, np.where(short, -1.0, 0.0))
