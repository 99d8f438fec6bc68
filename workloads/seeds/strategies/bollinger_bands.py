"""``bollinger_bands`` (volatility, 50 bars): trade the close against Bollinger bands (docs/seeds.md#bollinger_bands).

Bands: ``middle = SMA(close, window)``, ``upper/lower = middle ± k × population std`` — ``talib.BBANDS(close,
window, k, k, matype=0)``. Rule, decided on the close of bar ``t``:

- ``mode = reversion``: ``C < lower`` → +1; ``C > upper`` → -1; "flat at the middle": a long goes flat on the first
  close ``C >= middle``, a short on the first close ``C <= middle``;
- ``mode = breakout`` (the reverse): ``C > upper`` → +1; ``C < lower`` → -1; a long goes flat on the first close
  ``C <= middle``, a short on the first close ``C >= middle``;
- otherwise **hold** the previous target. A band signal is checked first, so a close beyond the opposite band
  reverses the position in one step.

Warm-up: the first decision is on the close of bar ``window - 1``.

Genes: ``window`` 10–100, ``k`` 1–3.5, ``mode`` {reversion, breakout}.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.indicators import moments_lane, moments_resum, next_phase, window_tail
from workloads.kernels.simulate import lanes_dtype
from workloads.kernels.windows import moments_mean, moments_var
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, K, MODE = 0, 1, 2
REVERSION, BREAKOUT = 0, 1
STATE = lanes_dtype(("window", "k", "direction", "s1", "s2", "shift", "phase", "leaving", "position"))


@njit(cache=True)
def bollinger_bands_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    for j in range(params.shape[0]):
        state.window[j] = params[j, WINDOW]
        state.k[j] = params[j, K]
        state.direction[j] = 1.0 if int(params[j, MODE]) == REVERSION else -1.0
    return block


@njit(cache=True, error_model="numpy")
def bollinger_bands_step(block, bars, t, width, target):
    lanes = block[0]
    close = bars.close
    c = close[t]
    for j in range(width):  # the closes leaving the windows (gathers, apart: the loops below vectorize)
        lanes.leaving[j] = window_tail(close, t - 1, lanes.window[j])
    wraps = 0
    for j in range(width):  # windows.moments_push, the ring being the close series itself
        window = lanes.window[j]
        lanes.s1[j], lanes.s2[j], lanes.shift[j] = moments_lane(
            c, lanes.leaving[j], t, window, lanes.s1[j], lanes.s2[j], lanes.shift[j]
        )
        phase = next_phase(lanes.phase[j], window)
        lanes.phase[j] = phase
        wraps += phase == 0.0
    for j in range(width if wraps > 0 else 0):  # a window that wrapped is re-summed (phase back at 0)
        if lanes.phase[j] == 0.0:
            lanes.s1[j], lanes.s2[j], lanes.shift[j] = moments_resum(close, t, int(lanes.window[j]))
    for j in range(width):  # the rule
        window = lanes.window[j]
        direction = lanes.direction[j]
        position = lanes.position[j]
        middle = moments_mean(lanes.s1[j], lanes.shift[j], window)
        half = lanes.k[j] * np.sqrt(moments_var(lanes.s1[j], lanes.s2[j], window, 0))
        if t >= window - 1.0:
            if c < middle - half:
                position = direction
            elif c > middle + half:
                position = -direction
            elif position * direction > 0.0 and c >= middle or position * direction < 0.0 and c <= middle:
                position = 0.0
        lanes.position[j] = position
        target[j] = position


@njit(cache=True, error_model="numpy")
def bollinger_bands_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, bollinger_bands_init, bollinger_bands_step, shared)


@njit(cache=True, parallel=True)
def bollinger_bands_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        bollinger_bands_block(bars, params, sim, spans, out, rec, block, count, None)


class BollingerBands(FusedSeed):
    name = "bollinger_bands"
    kind = "volatility"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("window", 10, 100, "int", 20),
            Gene("k", 1.0, 3.5, "float", 2.0),
            Gene("mode", 0, 1, "choice", REVERSION, choices=("reversion", "breakout")),
        ]
    )
    description = "reversion: below lower +1, above upper -1, flat at the middle; breakout: the reverse"
    kernel = bollinger_bands_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW]) - 1


SEED = BollingerBands()
