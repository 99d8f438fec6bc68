"""The EMA-crossover rule over a grid of (fast, slow) pairs, each block of pairs sharing one slow EMA
(``genepool sweep``).

The ``ema_crossover`` seed's kernel advances two EMAs per individual per bar. In a grid, many pairs share a slow
period: here each block of the population is one slow period with up to
:data:`~workloads.kernels.simulate.BLOCK` fast periods, and the step advances the block's slow EMA once per bar
and only the fast EMAs per lane. Everything stays in the block's state (no table of EMAs streamed from memory).
From the block's ``ready`` bar on (every lane past its EMA's warm-up and deciding), the lane loop is the EMA's
steady update (:func:`~workloads.kernels.indicators.ema_next`) and the comparison, with no warm-up branch or
division; the step is inlined into the driver's bar loop.

The rule is exactly the seed's (docs/seeds.md#ema_crossover): ``+1`` when EMA(fast) > EMA(slow) of the close,
``-1`` otherwise, ``0`` before bar ``max(fast, slow) - 1``; the EMAs are
:func:`~workloads.kernels.indicators.ema_step` with the same float arguments, so the metrics are bit-identical to
the seed kernel's (the sweep's tests compare them).

``params``: ``(count × width, 2)`` float64 rows ``(fast, slow)``, block ``b`` being rows ``b × width ..`` that all
have the slow period of the block's first row (the caller lays the grid out so: ``count`` slow periods, each with
the same ``width`` fast periods, ``width`` a multiple of 8 so the driver's blocks fall on the slow periods).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.indicators import ema_alpha, ema_next, ema_step
from workloads.kernels.simulate import lanes_dtype

FAST, SLOW = 0, 1
STATE = lanes_dtype(("fast", "alpha_fast", "warm", "ema_fast", "shared"))
"""Per lane: the fast period, its smoothing factor, the first bar with a decision, the fast EMA. ``shared``
holds the block's slow period, its smoothing factor, its EMA and the block's ``ready`` bar in lanes 0 to 3."""
SHARED_SLOW, SHARED_ALPHA, SHARED_EMA, SHARED_READY = 0, 1, 2, 3


@njit(cache=True)
def ema_grid_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    ready = 0.0
    for j in range(params.shape[0]):
        state.fast[j] = params[j, FAST]
        state.alpha_fast[j] = ema_alpha(params[j, FAST])
        state.warm[j] = max(params[j, FAST], params[j, SLOW]) - 1.0
        ready = max(ready, params[j, FAST], state.warm[j])
    state.shared[SHARED_SLOW] = params[0, SLOW]
    state.shared[SHARED_ALPHA] = ema_alpha(params[0, SLOW])
    state.shared[SHARED_READY] = ready
    return block


@njit(cache=True, error_model="numpy", inline="always")
def ema_grid_step(block, bars, t, width, target) -> None:
    state = block[0]
    x = bars.close[t]
    shared = state.shared
    slow = ema_step(shared[SHARED_EMA], x, t, shared[SHARED_SLOW], shared[SHARED_ALPHA])
    shared[SHARED_EMA] = slow
    if t >= shared[SHARED_READY]:
        for j in range(width):
            fast = ema_next(state.ema_fast[j], x, state.fast[j], state.alpha_fast[j])
            state.ema_fast[j] = fast
            target[j] = 1.0 if fast > slow else -1.0
        return
    for j in range(width):
        fast = ema_step(state.ema_fast[j], x, t, state.fast[j], state.alpha_fast[j])
        state.ema_fast[j] = fast
        signal = 1.0 if fast > slow else -1.0
        target[j] = signal if t >= state.warm[j] else 0.0


@njit(cache=True, error_model="numpy")
def ema_grid_block(bars, params, sim, spans, out, rec, block, count) -> None:
    drive(bars, params, sim, spans, out, rec, block, count, ema_grid_init, ema_grid_step, None)


@njit(cache=True, parallel=True)
def ema_grid_kernel(bars, params, sim, spans, out, rec, count) -> None:
    """Population kernel over the grid (``workloads.kernels.driver.KERNEL_SIGNATURE``, ``params`` laid out as the
    module doc says)."""
    for block in prange(count):
        ema_grid_block(bars, params, sim, spans, out, rec, block, count)
