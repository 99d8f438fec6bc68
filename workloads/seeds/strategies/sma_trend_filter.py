"""``sma_trend_filter`` (trend, 50 bars): +1 when close > SMA(slow) and SMA(fast) > SMA(slow); -1 when both are
below; else 0 (docs/seeds.md#sma_trend_filter).

SMAs follow ``talib.SMA`` (running sums, ``workloads.kernels.indicators.sma_lane``). Warm-up: the first decision is
on the close of bar ``slow - 1``. Genes: ``fast`` 5–50, ``slow`` 20–250, ``fast < slow`` (repaired).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.indicators import sma_lane, window_tail
from workloads.kernels.simulate import lanes_dtype
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

FAST, SLOW = 0, 1
STATE = lanes_dtype(("fast", "slow", "warm", "total_fast", "total_slow", "leaving_fast", "leaving_slow"))


@njit(cache=True)
def sma_trend_filter_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    for j in range(params.shape[0]):
        state.fast[j] = params[j, FAST]
        state.slow[j] = params[j, SLOW]
        state.warm[j] = max(params[j, FAST], params[j, SLOW]) - 1.0
    return block


@njit(cache=True, error_model="numpy")
def sma_trend_filter_step(block, bars, t, width, target):
    state = block[0]
    close = bars.close
    x = close[t]
    for j in range(width):  # the gathers, apart: the arithmetic below then vectorizes
        state.leaving_fast[j] = window_tail(close, t, state.fast[j])
        state.leaving_slow[j] = window_tail(close, t, state.slow[j])
    for j in range(width):
        fast, state.total_fast[j] = sma_lane(state.total_fast[j], x, state.leaving_fast[j], state.fast[j])
        slow, state.total_slow[j] = sma_lane(state.total_slow[j], x, state.leaving_slow[j], state.slow[j])
        signal = 0.0
        if x > slow and fast > slow:
            signal = 1.0
        elif x < slow and fast < slow:
            signal = -1.0
        target[j] = signal if t >= state.warm[j] else 0.0


@njit(cache=True, error_model="numpy")
def sma_trend_filter_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, sma_trend_filter_init, sma_trend_filter_step, shared)


@njit(cache=True, parallel=True)
def sma_trend_filter_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        sma_trend_filter_block(bars, params, sim, spans, out, rec, block, count, None)


class SmaTrendFilter(FusedSeed):
    name = "sma_trend_filter"
    kind = "trend"
    min_bars = 50
    genes = GeneSpace([Gene("fast", 5, 50, "int", 20), Gene("slow", 20, 250, "int", 100)])
    ordered_genes = (("fast", "slow"),)
    window_genes = ("fast", "slow")
    description = "+1 if close and SMA(fast) above SMA(slow); -1 if both below; else 0"
    kernel = sma_trend_filter_kernel


SEED = SmaTrendFilter()
