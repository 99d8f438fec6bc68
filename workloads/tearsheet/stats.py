"""Series and key statistics of one equity curve, derived from the simulator's outputs (``Seed.run``).

Conventions: ``equity`` is the curve at each close (``BacktestResult.equity``, starting at the initial equity);
returns are close-to-close simple returns ``E_t / E_{t-1} - 1`` (0 once equity is zero), as in
``workloads.kernels.metrics``. Drawdowns are non-positive fractions of the running peak (``-0.25`` = 25 % below
the peak). Timestamps are int64 ns UTC. Annualisation uses ``bars_per_year`` (risk-free rate 0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from workloads.seeds.base import BacktestResult


def bar_returns(equity: np.ndarray) -> np.ndarray:
    """Close-to-close returns of ``equity`` (one fewer than its points); 0 where the previous equity is 0."""
    previous, current = equity[:-1], equity[1:]
    safe = np.where(previous > 0.0, previous, 1.0)
    return np.where(previous > 0.0, current / safe - 1.0, 0.0)


def drawdown(equity: np.ndarray) -> np.ndarray:
    """``E_t / max_{u <= t} E_u - 1`` at each point: 0 at a new high, -1 after ruin."""
    peak = np.maximum.accumulate(equity)
    safe = np.where(peak > 0.0, peak, 1.0)
    return np.where(peak > 0.0, equity / safe - 1.0, 0.0)


def rolling_sharpe(equity: np.ndarray, window: int, bars_per_year: float) -> np.ndarray:
    """Annualised Sharpe ratio of the last ``window`` returns at each point (``mean / std(ddof=1) *
    sqrt(bars_per_year)``); NaN until ``window`` returns exist and where the window's returns do not vary. Aligned
    with ``equity`` (point ``t`` uses the returns ending at ``t``)."""
    if window < 2:
        raise ValueError(f"rolling Sharpe window {window}: must be at least 2 returns")
    out = np.full(equity.shape[0], np.nan)
    returns = bar_returns(equity)
    if returns.shape[0] < window:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(returns, window)
    mean = windows.mean(axis=1)
    std = windows.std(axis=1, ddof=1)
    varies = std > 1e-12 * np.maximum(np.abs(mean), 1e-300)
    out[window:] = np.where(varies, mean / np.where(varies, std, 1.0) * math.sqrt(bars_per_year), np.nan)
    return out


@dataclass(frozen=True)
class MonthlyReturns:
    """Compounded return of each calendar month (UTC) the curve covers: ``returns[i][m]`` is month ``m + 1`` of
    ``years[i]`` as a fraction, ``None`` where the curve has no close in that month. A month's return runs from the
    last close before it (or the curve's first point) to its last close."""

    years: list[int]
    returns: list[list[float | None]]


def monthly_returns(timestamp: np.ndarray, equity: np.ndarray) -> MonthlyReturns:
    """:class:`MonthlyReturns` of ``equity`` at ``timestamp`` (ns UTC)."""
    months = timestamp.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    last = np.r_[np.flatnonzero(np.diff(months)), months.shape[0] - 1]
    ends = equity[last]
    starts = np.r_[equity[0], ends[:-1]]
    safe = np.where(starts > 0.0, starts, 1.0)
    values = np.where(starts > 0.0, ends / safe - 1.0, 0.0)
    first_year = int(months[0] // 12) + 1970
    years = list(range(first_year, int(months[-1] // 12) + 1971))
    grid: list[list[float | None]] = [[None] * 12 for _ in years]
    for month, value in zip(months[last], values, strict=True):
        grid[int(month // 12) + 1970 - first_year][int(month % 12)] = float(value)
    return MonthlyReturns(years, grid)


@dataclass(frozen=True)
class Histogram:
    """Counts of values in ``len(counts)`` equal bins between consecutive ``edges``."""

    edges: list[float]
    counts: list[int]


def histogram(values: np.ndarray, bins: int = 60) -> Histogram:
    """Equal-width histogram of the finite ``values`` (one bin around a constant)."""
    finite = values[np.isfinite(values)]
    if finite.shape[0] == 0:
        return Histogram([], [])
    low, high = float(finite.min()), float(finite.max())
    if high <= low:
        low, high, bins = low - 0.5e-4, high + 0.5e-4, 1
    counts, edges = np.histogram(finite, bins=bins, range=(low, high))
    return Histogram([float(e) for e in edges], [int(c) for c in counts])


@dataclass(frozen=True)
class KeyStats:
    """The key-stats card of one backtest span. Ratios are annualised with the span's ``bars_per_year``.

    - ``total_return``, ``cagr``, ``sharpe``, ``sortino``, ``max_drawdown`` (positive fraction), ``calmar`` (cagr /
      max drawdown), ``profit_factor`` (gross profit / gross loss of closed round trips, ``None`` when infinite),
      ``win_rate``, ``trades`` and ``exposure`` (fraction of bars holding a position): the simulator's metrics
      (``workloads.kernels.metrics``), so the card shows the numbers the evolution scored.
    - ``fee_drag``: fees paid over the span (every fill, summed over the round trips) ÷ the starting equity.
    - ``funding_drag``: funding paid minus received ÷ the starting equity (negative when funding was earned).
    """

    total_return: float | None
    cagr: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    calmar: float | None
    profit_factor: float | None
    win_rate: float | None
    trades: int
    exposure: float | None
    fee_drag: float
    funding_drag: float

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def key_stats(result: BacktestResult) -> KeyStats:
    """The :class:`KeyStats` of one ``Seed.run`` result."""
    m = result.metrics
    initial = float(result.equity[0])
    return KeyStats(
        total_return=_finite(m["total_return"]),
        cagr=_finite(m["cagr"]),
        sharpe=_finite(m["sharpe"]),
        sortino=_finite(m["sortino"]),
        max_drawdown=_finite(m["max_drawdown"]),
        calmar=_finite(m["calmar"]),
        profit_factor=_finite(m["profit_factor"]),
        win_rate=_finite(m["win_rate"]),
        trades=int(m["trades"]),
        exposure=_finite(m["exposure"]),
        fee_drag=sum(trade.fees for trade in result.trades) / initial,
        funding_drag=-m["funding_pnl"] / initial,
    )
