"""``rsi_filter`` (mean reversion, 50 bars): fade RSI extremes, stand aside once RSI is back at 50
(docs/seeds.md#rsi_filter).

Rule, decided on the close of bar ``t`` with ``RSI = talib.RSI(close, window)`` (Wilder):

- ``RSI[t] < oversold`` → +1; ``RSI[t] > overbought`` → -1 (an extreme reverses an opposite position at once);
- "flat when RSI crosses 50": a long goes flat on the first close with ``RSI >= 50``, a short on the first close
  with ``RSI <= 50`` (a long is entered below ``oversold < 50``, so the first such close is the crossing; touching
  50 counts);
- otherwise **hold** the previous target.

Warm-up: RSI's first value is at bar ``window``, the first decision. As in TA-Lib, a window with no price change at
all reads RSI = 0, which is below every ``oversold``: a perfectly flat market is bought.

Genes: ``window`` 2–50, ``oversold`` 5–45, ``overbought`` 55–95.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.simulate import lanes_dtype
from workloads.kernels.windows import rsi_value, wilder_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, OVERSOLD, OVERBOUGHT = 0, 1, 2
STATE = lanes_dtype(("window", "oversold", "overbought", "gain", "loss", "position"))


@njit(cache=True)
def rsi_filter_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    for j in range(params.shape[0]):
        state.window[j] = params[j, WINDOW]
        state.oversold[j] = params[j, OVERSOLD]
        state.overbought[j] = params[j, OVERBOUGHT]
    return block


@njit(cache=True, error_model="numpy")
def rsi_filter_step(block, bars, t, width, target):
    state = block[0]
    if t == 0:
        return  # no change yet: every target stays 0
    change = bars.close[t] - bars.close[t - 1]
    up = change if change > 0.0 else 0.0
    down = -change if change < 0.0 else 0.0
    for j in range(width):
        window = state.window[j]
        gain = wilder_push(state.gain[j], up, t - 1, window)
        loss = wilder_push(state.loss[j], down, t - 1, window)
        state.gain[j] = gain
        state.loss[j] = loss
        rsi = rsi_value(gain, loss)
        position = state.position[j]
        if t >= window:
            if rsi < state.oversold[j]:
                position = 1.0
            elif rsi > state.overbought[j]:
                position = -1.0
            elif (position > 0.0 and rsi >= 50.0) or (position < 0.0 and rsi <= 50.0):
                position = 0.0
        state.position[j] = position
        target[j] = position


@njit(cache=True, error_model="numpy")
def rsi_filter_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, rsi_filter_init, rsi_filter_step, shared)


@njit(cache=True, parallel=True)
def rsi_filter_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        rsi_filter_block(bars, params, sim, spans, out, rec, block, count, None)


class RsiFilter(FusedSeed):
    name = "rsi_filter"
    kind = "mean_reversion"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("window", 2, 50, "int", 14),
            Gene("oversold", 5.0, 45.0, "float", 30.0),
            Gene("overbought", 55.0, 95.0, "float", 70.0),
        ]
    )
    description = "RSI < oversold: +1; RSI > overbought: -1; flat when RSI crosses 50; else hold"
    kernel = rsi_filter_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW])


SEED = RsiFilter()
