"""``donchian_breakout`` (trend, 50 bars): the turtle breakout on Donchian channels (docs/seeds.md#donchian_breakout).

Channels use the *previous* bars, excluding ``t`` (``workloads.kernels.ta.donchian_1d``): ``entry_high[t] =
max(H[t-entry .. t-1])``, ``entry_low[t] = min(L[t-entry .. t-1])``; ``exit_high``/``exit_low`` likewise over the
previous ``exit`` bars.

Rule, decided on the close of bar ``t``:

- ``C > entry_high`` → +1; ``C < entry_low`` → -1 (shorts mirror longs);
- a long goes flat when ``C < exit_low``; a short goes flat when ``C > exit_high``;
- otherwise **hold** the previous target.

Same-bar resolution: entries are checked first, so a close that breaks the opposite entry channel while in a position
(which, with ``exit <= entry``, is also an exit) **reverses** the position on that bar rather than going flat.

Warm-up: both channels exist from bar ``max(entry, exit)``, the first decision.
Genes: ``entry`` 10–100, ``exit`` 5–50 (no order is imposed: an exit channel longer than the entry one is allowed).

Kernel: one ring of suffix extremes of H and one of L per block (``workloads.kernels.windows.suffix_extremes_push``,
as long as the block's longest channel) serve every lane's four channels, read before bar ``t`` is pushed.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.simulate import BLOCK, lanes_dtype
from workloads.kernels.windows import ring_back, suffix_extremes, suffix_extremes_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

ENTRY, EXIT = 0, 1
STATE = lanes_dtype(("warm", "position"))


@njit(cache=True)
def donchian_breakout_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    lengths = np.zeros((2, BLOCK), np.int64)
    longest = 1
    for j in range(params.shape[0]):
        lengths[0, j] = int(params[j, ENTRY])
        lengths[1, j] = int(params[j, EXIT])
        longest = max(longest, lengths[0, j], lengths[1, j])
        state.warm[j] = max(params[j, ENTRY], params[j, EXIT])
    return (block, lengths, *suffix_extremes(longest))


@njit(cache=True, error_model="numpy")
def donchian_breakout_step(state, bars, t, width, target):
    block, lengths, highs, lows = state
    s = block[0]
    size = highs.shape[0]
    base = t % size
    c = bars.close[t]
    for j in range(width):
        # The channels of bar t are over the previous bars: the suffixes starting at t - n, before bar t is pushed.
        entry_at = ring_back(base, lengths[0, j], size)
        exit_at = ring_back(base, lengths[1, j], size)
        entry_high = highs[entry_at]
        entry_low = lows[entry_at]
        exit_high = highs[exit_at]
        exit_low = lows[exit_at]
        position = s.position[j]
        exit_long = position > 0.0 and c < exit_low
        exit_short = position < 0.0 and c > exit_high
        position = 0.0 if exit_long or exit_short else position
        position = -1.0 if c < entry_low else position
        position = 1.0 if c > entry_high else position
        position = position if t >= s.warm[j] else 0.0
        s.position[j] = position
        target[j] = position
    suffix_extremes_push(highs, lows, base, bars.high[t], bars.low[t])


@njit(cache=True, error_model="numpy")
def donchian_breakout_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, donchian_breakout_init, donchian_breakout_step, shared)


@njit(cache=True, parallel=True)
def donchian_breakout_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        donchian_breakout_block(bars, params, sim, spans, out, rec, block, count, None)


class DonchianBreakout(FusedSeed):
    name = "donchian_breakout"
    kind = "trend"
    min_bars = 50
    genes = GeneSpace([Gene("entry", 10, 100, "int", 20), Gene("exit", 5, 50, "int", 10)])
    description = "C above the previous entry-bar high: +1 until C below the previous exit-bar low; shorts mirror"
    kernel = donchian_breakout_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return max(int(params_row[ENTRY]), int(params_row[EXIT]))


SEED = DonchianBreakout()
