"""The metric columns every kernel writes, in order, and the finishing step that turns accumulators into metrics.

``METRIC_NAMES`` is the column order of every metrics array (float64, shape ``(n_individuals, len(METRIC_NAMES))``).
Definitions (docs/simulation.md#metrics), over the equity curve ``E_s .. E_{n-1}`` (closes of bars
``trade_start .. n-1``) and its ``k = n - trade_start - 1`` close-to-close returns ``r_t = E_t / E_{t-1} - 1``
(``r_t = 0`` once equity is zero):

=================  ==================================================================================================
``total_return``   ``E_{n-1} / initial_equity - 1``
``cagr``           ``(E_{n-1} / initial_equity) ** (bars_per_year / k) - 1``; ``-1`` after ruin; ``0`` when ``k = 0``;
                   ``inf`` when it overflows (a large gain over a short span)
``sharpe``         ``mean(r) / std(r, ddof=1) * sqrt(bars_per_year)``, risk-free 0; ``0`` when ``k < 2`` or std is at
                   most ``DEVIATION_FLOOR``
``sortino``        ``mean(r) / sqrt(mean(min(r, 0) ** 2)) * sqrt(bars_per_year)`` (downside deviation over all ``k``
                   returns, target 0); ``0`` when that deviation is at most ``DEVIATION_FLOOR``
``max_drawdown``   ``max_t (1 - E_t / max_{u <= t} E_u)``, a positive fraction (``1`` after ruin)
``calmar``         ``cagr / max_drawdown``; ``0`` when ``max_drawdown`` is 0
``trades``         entries: positions opened from flat or reversed, including one still open at the end
``win_rate``       winning closed round trips / closed round trips; ``0`` with none closed. A trip wins when
                   ``pnl > 1e-10 * equity at its start`` and loses below ``-1e-10 *`` that; in between it is a
                   scratch (rounding noise: closed, neither won nor lost)
``profit_factor``  gross profit of winning / gross loss of losing closed round trips; ``inf`` with profits and no
                   loss; ``0`` with neither
``exposure``       fraction of the curve's bars during which a position was held (units != 0 at the close)
``turnover``       sum over fills of traded notional / equity at that open (a full long→short flip adds 2)
``final_equity``   ``E_{n-1}`` (in units of ``initial_equity``, which is where the curve starts)
``bars``           ``n - trade_start``: the number of bars the curve covers
``funding_pnl``    funding received minus funding paid on the positions held (docs/simulation.md#funding), in units
                   of ``initial_equity``; 0 when the bars carry no funding rates
=================  ==================================================================================================

Round trips: a trip opens when a position is opened from flat or reversed, and closes when the position returns to
flat, is reversed, or is wiped out by ruin. A reversal is one fill that closes one trip and opens the next; its
slippage and fee are split between the two in proportion to the units closed and opened. Partial rebalances (same
direction, other size) stay inside the trip. A trip's ``pnl`` is the equity after closing it minus the equity before
opening it (so fees, slippage and every rebalance inside are included).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

METRIC_NAMES: tuple[str, ...] = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "trades",
    "win_rate",
    "profit_factor",
    "exposure",
    "turnover",
    "final_equity",
    "bars",
    "funding_pnl",
)
N_METRICS = len(METRIC_NAMES)

DEVIATION_FLOOR = 1e-13
"""A per-bar return deviation at or below this counts as zero in ``sharpe`` and ``sortino``. A return computed as
``E_t / E_{t-1} - 1`` carries an absolute rounding error of a few machine epsilons (~1e-16) whatever its size, so
returns that are equal up to rounding would otherwise give a ratio of order 1e9 from noise alone; 1e-13 is ~500 ε,
and an annualised volatility below 1e-10 on any bar size."""
(
    TOTAL_RETURN,
    CAGR,
    SHARPE,
    SORTINO,
    MAX_DRAWDOWN,
    CALMAR,
    TRADES,
    WIN_RATE,
    PROFIT_FACTOR,
    EXPOSURE,
    TURNOVER,
    FINAL_EQUITY,
    BARS,
    FUNDING_PNL,
) = range(N_METRICS)


@njit(cache=True)
def finish_metrics(
    out: np.ndarray,
    initial: float,
    final: float,
    bars_per_year: float,
    n_returns: float,
    shift: float,
    sum_d: float,
    sum_d2: float,
    sum_down2: float,
    max_drawdown: float,
    entries: float,
    closed: float,
    wins: float,
    gross_profit: float,
    gross_loss: float,
    bars_in_market: float,
    turnover: float,
    n_bars: float,
    funding_pnl: float,
) -> None:
    """Write the metrics row ``out`` (shape ``(N_METRICS,)``) from a simulation's accumulators (see module doc):
    the ``n_returns`` bar returns enter as shifted sums ``sum_d = sum(r - shift)``, ``sum_d2 = sum((r - shift)**2)``,
    and ``sum_down2 = sum(min(r, 0) ** 2)``."""
    k = n_returns
    out[TOTAL_RETURN] = final / initial - 1.0
    if k <= 0.0:
        cagr = 0.0
    elif final <= 0.0:
        cagr = -1.0
    else:
        cagr = math.exp(math.log(final / initial) * (bars_per_year / k)) - 1.0
    out[CAGR] = cagr
    annualise = math.sqrt(bars_per_year)
    sharpe = 0.0
    sortino = 0.0
    if k > 0.0:
        mean = shift + sum_d / k
        if k > 1.0:
            variance = (sum_d2 - sum_d * sum_d / k) / (k - 1.0)
            if variance > DEVIATION_FLOOR * DEVIATION_FLOOR:
                sharpe = mean / math.sqrt(variance) * annualise
        if sum_down2 / k > DEVIATION_FLOOR * DEVIATION_FLOOR:
            sortino = mean / math.sqrt(sum_down2 / k) * annualise
    out[SHARPE] = sharpe
    out[SORTINO] = sortino
    out[MAX_DRAWDOWN] = max_drawdown
    out[CALMAR] = cagr / max_drawdown if max_drawdown > 0.0 else 0.0
    out[TRADES] = entries
    out[WIN_RATE] = wins / closed if closed > 0.0 else 0.0
    if gross_loss > 0.0:
        out[PROFIT_FACTOR] = gross_profit / gross_loss
    else:
        out[PROFIT_FACTOR] = math.inf if gross_profit > 0.0 else 0.0
    out[EXPOSURE] = bars_in_market / n_bars if n_bars > 0.0 else 0.0
    out[TURNOVER] = turnover
    out[FINAL_EQUITY] = final
    out[BARS] = n_bars
    out[FUNDING_PNL] = funding_pnl
