"""``ema_crossover`` (momentum, 20 bars): +1 when EMA(fast) > EMA(slow) of the close, else -1
(docs/seeds.md#ema_crossover).

EMAs follow ``talib.EMA`` (first value at index ``n-1``, the SMA of the first ``n`` closes). Warm-up: the first
decision is on the close of bar ``slow - 1``. Genes: ``fast`` 2–50, ``slow`` 10–200, ``fast < slow`` (repaired).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.indicators import ema_alpha, ema_step
from workloads.kernels.simulate import lanes_dtype
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

FAST, SLOW = 0, 1
STATE = lanes_dtype(("fast", "slow", "alpha_fast", "alpha_slow", "warm", "ema_fast", "ema_slow"))


@njit(cache=True)
def ema_crossover_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    for j in range(params.shape[0]):
        state.fast[j] = params[j, FAST]
        state.slow[j] = params[j, SLOW]
        state.alpha_fast[j] = ema_alpha(params[j, FAST])
        state.alpha_slow[j] = ema_alpha(params[j, SLOW])
        state.warm[j] = max(params[j, FAST], params[j, SLOW]) - 1.0
    return block


@njit(cache=True, error_model="numpy")
def ema_crossover_step(block, bars, t, width, target):
    state = block[0]
    x = bars.close[t]
    for j in range(width):
        fast = ema_step(state.ema_fast[j], x, t, state.fast[j], state.alpha_fast[j])
        slow = ema_step(state.ema_slow[j], x, t, state.slow[j], state.alpha_slow[j])
        state.ema_fast[j] = fast
        state.ema_slow[j] = slow
        signal = 1.0 if fast > slow else -1.0
        target[j] = signal if t >= state.warm[j] else 0.0


@njit(cache=True, error_model="numpy")
def ema_crossover_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, ema_crossover_init, ema_crossover_step, shared)


@njit(cache=True, parallel=True)
def ema_crossover_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        ema_crossover_block(bars, params, sim, spans, out, rec, block, count, None)


class EmaCrossover(FusedSeed):
    name = "ema_crossover"
    kind = "momentum"
    min_bars = 20
    genes = GeneSpace([Gene("fast", 2, 50, "int", 12), Gene("slow", 10, 200, "int", 26)])
    ordered_genes = (("fast", "slow"),)
    window_genes = ("fast", "slow")
    description = "+1 if EMA(fast) > EMA(slow) else -1"
    kernel = ema_crossover_kernel


SEED = EmaCrossover()
