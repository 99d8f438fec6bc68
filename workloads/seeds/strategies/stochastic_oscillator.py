"""``stochastic_oscillator`` (momentum, 20 bars): fast %K crossing %D in the extreme zones
(docs/seeds.md#stochastic_oscillator).

Rule, decided on the close of bar ``t`` with %K and %D of ``talib.STOCHF(high, low, close, k, d)``:

- %K **crosses above** %D (``K[t] > D[t]`` and ``K[t-1] <= D[t-1]``) while ``D[t] < oversold`` → +1;
- %K **crosses below** %D (``K[t] < D[t]`` and ``K[t-1] >= D[t-1]``) while ``D[t] > overbought`` → -1;
- otherwise **hold**: keep the previous target (so a position runs until the opposite signal; 0 before the first one).

Ties: %K and %D closer than ``TIE`` (1e-9 points on the 0–100 scale) are **equal** — on tick-sized prices %K often
repeats and %K = %D exactly, and rounding (TA-Lib's running sum or ours) must neither fake nor hide a crossing. So
"crosses above" is "%K above %D by more than ``TIE`` now, and not before"; "crosses below" mirrors it.

Warm-up: %K and %D both exist from bar ``k + d - 2`` and a crossing also needs the previous bar's, so the first
decision is on the close of bar ``k + d - 1``. %D is the mean of the last ``d`` %K values, summed from a ring of
``d`` slots each bar (equal to TA-Lib's running sum within 1e-12, and exact for a run of equal %K).

Genes: ``k`` 5–50, ``d`` 2–10, ``oversold`` 5–40, ``overbought`` 60–95 (the bounds keep oversold < overbought).

Kernel: one ring of suffix extremes of H and one of L per block (``workloads.kernels.windows.suffix_extremes_push``)
serve every lane's ``k``; the %K rings are one column per lane (row = slot), written and summed row by row across
lanes (SIMD), each lane adding its ``d`` slots in slot order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.simulate import BLOCK, lanes_dtype
from workloads.kernels.windows import ring_back, stoch_k, suffix_extremes, suffix_extremes_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

K, D, OVERSOLD, OVERBOUGHT = 0, 1, 2, 3
TIE = 1e-9
STATE = lanes_dtype(
    ("k_ready", "d", "d_ready", "decides", "oversold", "overbought", "fast_k", "total", "slot", "prev_diff", "position")
)


@njit(cache=True)
def stochastic_oscillator_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    lengths = np.zeros(BLOCK, np.int64)
    longest = 1
    longest_d = 1
    for j in range(params.shape[0]):
        k = params[j, K]
        d = params[j, D]
        lengths[j] = int(k)
        longest = max(longest, int(k))
        longest_d = max(longest_d, int(d))
        state.k_ready[j] = k - 1.0
        state.d[j] = d
        state.d_ready[j] = k + d - 2.0
        state.decides[j] = k + d - 1.0
        state.oversold[j] = params[j, OVERSOLD]
        state.overbought[j] = params[j, OVERBOUGHT]
    state.prev_diff[:] = np.nan
    # %K rings, one column per lane: row r is slot r of the lane's ring of d values.
    rings = np.zeros((longest_d, BLOCK))
    highs, lows = suffix_extremes(longest)
    return block, lengths, highs, lows, rings


@njit(cache=True, error_model="numpy")
def stochastic_oscillator_step(state, bars, t, width, target):
    block, lengths, highs, lows, rings = state
    s = block[0]
    size = highs.shape[0]
    suffix_extremes_push(highs, lows, t % size, bars.high[t], bars.low[t])
    after = (t + 1) % size
    c = bars.close[t]
    for j in range(width):
        at = ring_back(after, lengths[j], size)
        s.fast_k[j] = stoch_k(c, highs[at], lows[at])
        s.total[j] = 0.0
    for j in range(width):
        if t >= s.k_ready[j]:
            rings[int(s.slot[j]), j] = s.fast_k[j]
    # %D: the lane's ring summed slot by slot (windows.ring_sum's order).
    for r in range(rings.shape[0]):
        row = rings[r]
        for j in range(width):
            s.total[j] += row[j] if r < s.d[j] else 0.0
    for j in range(width):
        pushed = t >= s.k_ready[j]
        slot = s.slot[j] + 1.0 if pushed else s.slot[j]
        s.slot[j] = 0.0 if slot == s.d[j] else slot
        fast_d = s.total[j] / s.d[j]
        diff = s.fast_k[j] - fast_d
        prev_diff = s.prev_diff[j]
        position = s.position[j]
        decides = t >= s.decides[j]
        up = decides and diff > TIE and not prev_diff > TIE and fast_d < s.oversold[j]
        down = decides and diff < -TIE and not prev_diff < -TIE and fast_d > s.overbought[j]
        position = -1.0 if down else position
        position = 1.0 if up else position
        s.position[j] = position
        s.prev_diff[j] = diff if t >= s.d_ready[j] else prev_diff
        target[j] = position


@njit(cache=True, error_model="numpy")
def stochastic_oscillator_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(
        bars, params, sim, spans, out, rec, block, count, stochastic_oscillator_init, stochastic_oscillator_step, shared
    )


@njit(cache=True, parallel=True)
def stochastic_oscillator_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        stochastic_oscillator_block(bars, params, sim, spans, out, rec, block, count, None)


class StochasticOscillator(FusedSeed):
    name = "stochastic_oscillator"
    kind = "momentum"
    min_bars = 20
    genes = GeneSpace(
        [
            Gene("k", 5, 50, "int", 14),
            Gene("d", 2, 10, "int", 3),
            Gene("oversold", 5.0, 40.0, "float", 20.0),
            Gene("overbought", 60.0, 95.0, "float", 80.0),
        ]
    )
    description = "%K crosses above %D below oversold: +1; crosses below above overbought: -1; else hold"
    kernel = stochastic_oscillator_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[K]) + int(params_row[D]) - 1


SEED = StochasticOscillator()
