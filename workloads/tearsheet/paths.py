"""Backtest results as the JSON-ready documents a tear sheet draws (stored in ``run.json`` under ``report``).

A *path* is one strategy over the whole data: the training run and, when there is one, the holdout run chained into
one equity curve (the holdout run starts flat at the first holdout close, as the evolution scored it; its curve is
scaled to continue from the training curve's last value), with ``holdout_start`` marking where the holdout begins.
Times are ms since the epoch (UTC); curves are reduced to at most :data:`POINTS` points, drawdowns keeping each
bucket's deepest point so no trough is lost. Series and statistics come from :mod:`workloads.tearsheet.stats`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from workloads.tearsheet import stats

if TYPE_CHECKING:
    from workloads.data.bars import Bars
    from workloads.seeds.base import BacktestResult

POINTS = 2000
"""Most points a drawn curve keeps."""
MAX_TRADES = 1000
"""Most round trips drawn on the price chart (the first ones; the document says how many there are)."""


def _buckets(n: int) -> np.ndarray:
    step = max(1, math.ceil(n / POINTS))
    return np.arange(0, n, step)


def _ms(timestamp: np.ndarray) -> list[int]:
    return (timestamp // 1_000_000).astype(np.int64).tolist()


def _clean(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def curve(timestamp: np.ndarray, values: np.ndarray) -> dict[str, list[Any]]:
    """``{"t": ms, "v": values}`` at most :data:`POINTS` points: every k-th point and the last."""
    index = np.unique(np.r_[_buckets(values.shape[0]), values.shape[0] - 1])
    return {"t": _ms(timestamp[index]), "v": _clean(values[index])}


def troughs(timestamp: np.ndarray, values: np.ndarray) -> dict[str, list[Any]]:
    """Like :func:`curve`, but each bucket is represented by its lowest point (so a drawdown keeps its troughs)."""
    starts = _buckets(values.shape[0])
    ends = np.r_[starts[1:], values.shape[0]]
    index = np.array([s + int(np.argmin(values[s:e])) for s, e in zip(starts, ends, strict=True)], dtype=np.int64)
    return {"t": _ms(timestamp[index]), "v": _clean(values[index])}


def rolling_window(n_returns: int, bars_per_year: float) -> int:
    """The rolling Sharpe window: about three months of bars, at most a quarter of the returns, at least 2."""
    return max(2, min(round(bars_per_year / 4), n_returns // 4))


def _trades(result: BacktestResult) -> list[dict[str, Any]]:
    return [
        {
            "entry_t": trade.entry_time // 1_000_000,
            "entry_price": trade.entry_price,
            "exit_t": None if trade.exit_time is None else trade.exit_time // 1_000_000,
            "exit_price": trade.exit_price,
            "direction": trade.direction,
            "pnl": trade.pnl,
        }
        for trade in result.trades[:MAX_TRADES]
    ]


def strategy_path(
    label: str, train: BacktestResult, holdout: BacktestResult | None, bars_per_year: float
) -> dict[str, Any]:
    """The document of one strategy: ``train`` (and ``holdout``, whose curve continues it) chained into one path."""
    timestamp, equity = train.timestamp, train.equity
    spans = {"train" if holdout is not None else "whole span": stats.key_stats(train).as_dict()}
    trades = _trades(train)
    total_trades = len(train.trades)
    holdout_start = None
    if holdout is not None:
        scale = equity[-1] / holdout.equity[0]
        timestamp = np.r_[timestamp, holdout.timestamp[1:]]
        equity = np.r_[equity, holdout.equity[1:] * scale]
        spans["holdout"] = stats.key_stats(holdout).as_dict()
        trades += _trades(holdout)[: max(0, MAX_TRADES - len(trades))]
        total_trades += len(holdout.trades)
        holdout_start = int(holdout.timestamp[0] // 1_000_000)
    window = rolling_window(equity.shape[0] - 1, bars_per_year)
    monthly = stats.monthly_returns(timestamp, equity)
    returns = stats.histogram(stats.bar_returns(equity))
    return {
        "label": label,
        "strategy": train.seed,
        "params": train.params,
        "equity": curve(timestamp, equity),
        "drawdown": troughs(timestamp, stats.drawdown(equity)),
        "rolling_sharpe": {"window": window, **curve(timestamp, stats.rolling_sharpe(equity, window, bars_per_year))},
        "monthly": {"years": monthly.years, "returns": monthly.returns},
        "returns": {"edges": returns.edges, "counts": returns.counts},
        "trades": trades,
        "total_trades": total_trades,
        "stats": spans,
        "holdout_start": holdout_start,
        "bars_per_year": bars_per_year,
    }


def price(bars: Bars) -> dict[str, Any]:
    """The close of ``bars`` (the price the trade markers sit on) with its symbol."""
    return {"symbol": bars.symbol, **curve(bars.timestamp, bars.close)}


def buy_and_hold(bars: Bars) -> dict[str, list[Any]]:
    """Close-to-close buy-and-hold equity over all of ``bars``, starting at 1."""
    return curve(bars.timestamp, bars.close / bars.close[0])
