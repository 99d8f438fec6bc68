"""``vwap_reversion`` (mean reversion, 50 bars): fade the close's z-score against the rolling VWAP
(docs/seeds.md#vwap_reversion).

``z[t] = (C[t] - VWAP[t]) / std[t]`` where VWAP is the rolling VWAP of the typical price ``(H + L + C) / 3`` over
the ``window`` bars ``t-window+1 .. t`` and **std is the volume-weighted population std of the typical price around
that VWAP** over the same bars, ``sqrt(sum(v (tp - VWAP)^2) / sum(v))`` — the dispersion the VWAP itself averages
(the std behind the usual VWAP bands), so ``z`` is in the VWAP's own units (``workloads.kernels.ta.vwap_1d``).

Rule, decided on the close of bar ``t``:

- ``z < -z_entry`` → +1; ``z > z_entry`` → -1;
- ``|z| < z_exit`` → 0 (flat);
- otherwise **hold** the previous target. ``z_exit < z_entry`` is repaired, so the zones never overlap.

Warm-up: the first decision is on the close of bar ``window - 1``. Where no bar of the window has volume (VWAP
undefined, e.g. in a gap filled with zero-volume bars) or its std is 0 (``z`` undefined), the bar emits 0 like a
warm-up bar and the rule starts again from flat.

Genes: ``window`` 10–200, ``z_entry`` 0.5–3, ``z_exit`` 0–1, ``z_exit < z_entry`` (repaired).

Kernel: ``workloads.kernels.windows.weighted_moments_push`` lane by lane, with one ring of volumes and typical prices
per block (as long as its longest window) in place of each lane's two rings: the value a window evicts and the
bars it re-sums on a wrap (oldest first, as the ring's slots) are read there.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.indicators import next_phase
from workloads.kernels.simulate import BLOCK, lanes_dtype
from workloads.kernels.ta import typical_price
from workloads.kernels.windows import ring_back, weighted_mean_std
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, Z_ENTRY, Z_EXIT = 0, 1, 2
STATE = lanes_dtype(("window", "z_entry", "z_exit", "phase", "shift", "sw", "s1", "s2", "traded", "position"))


@njit(cache=True)
def vwap_reversion_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    windows = np.zeros(BLOCK, np.int64)
    longest = 1
    for j in range(params.shape[0]):
        windows[j] = int(params[j, WINDOW])
        longest = max(longest, windows[j])
        state.window[j] = params[j, WINDOW]
        state.z_entry[j] = params[j, Z_ENTRY]
        state.z_exit[j] = params[j, Z_EXIT]
    # The volumes and typical prices of the last ``longest`` bars, bar u in slot u % longest: every lane's window;
    # and per lane, the volume and typical price its window evicts on the current bar.
    return block, windows, np.zeros(longest), np.zeros(longest), np.zeros(BLOCK), np.zeros(BLOCK)


@njit(cache=True, error_model="numpy")
def vwap_reversion_step(state, bars, t, width, target):
    block, windows, volumes, prices, gone_w, gone_x = state
    s = block[0]
    size = volumes.shape[0]
    slot = t % size
    w = bars.volume[t]
    x = typical_price(bars.high[t], bars.low[t], bars.close[t])
    traded = 1.0 if w > 0.0 else 0.0
    # windows.weighted_moments_push for every lane at once: the rings are the shared ones (read before bar t is
    # stored, so a window of ``size`` bars finds its evicted bar in bar t's slot). The gathers apart, so the loop
    # after them vectorises.
    for j in range(width):
        at = ring_back(slot, windows[j], size)
        gone_w[j] = volumes[at]
        gone_x[j] = prices[at]
    for j in range(width):
        n = windows[j]
        old_w = gone_w[j]
        old_x = gone_x[j]
        shift = x if t == 0 else s.shift[j]
        sw = s.sw[j]
        s1 = s.s1[j]
        s2 = s.s2[j]
        d = x - shift
        sw += w
        s1 += w * d
        s2 += w * d * d
        evicts = t >= n
        if evicts:
            e = old_x - shift
            sw -= old_w
            s1 -= old_w * e
            s2 -= old_w * e * e
        s.shift[j] = shift
        s.sw[j] = sw
        s.s1[j] = s1
        s.s2[j] = s2
        s.traded[j] += traded - (1.0 if evicts and old_w > 0.0 else 0.0)
    volumes[slot] = w
    prices[slot] = x
    wraps = 0
    for j in range(width):  # the position in each lane's ring: back at 0 on the push that re-sums it
        phase = next_phase(s.phase[j], s.window[j])
        s.phase[j] = phase
        wraps += phase == 0.0
    # A lane whose ring wraps on bar t re-sums its window around the newest value, oldest bar first (rare).
    for j in range(width if wraps > 0 else 0):
        if s.phase[j] == 0.0:
            n = windows[j]
            at = ring_back(slot, n - 1, size)
            sw = 0.0
            s1 = 0.0
            s2 = 0.0
            for _ in range(n):
                d = prices[at] - x
                sw += volumes[at]
                s1 += volumes[at] * d
                s2 += volumes[at] * d * d
                at = at + 1 if at + 1 < size else 0
            s.shift[j] = x
            s.sw[j] = sw
            s.s1[j] = s1
            s.s2[j] = s2
    c = bars.close[t]
    for j in range(width):
        vwap, std = weighted_mean_std(s.sw[j], s.s1[j], s.s2[j], s.shift[j])
        z = (c - vwap) / std
        position = s.position[j]
        position = 0.0 if abs(z) < s.z_exit[j] else position
        position = -1.0 if z > s.z_entry[j] else position
        position = 1.0 if z < -s.z_entry[j] else position
        defined = s.traded[j] > 0.0 and std > 0.0
        position = position if defined else 0.0
        position = position if t >= s.window[j] - 1.0 else 0.0
        s.position[j] = position
        target[j] = position


@njit(cache=True, error_model="numpy")
def vwap_reversion_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, vwap_reversion_init, vwap_reversion_step, shared)


@njit(cache=True, parallel=True)
def vwap_reversion_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        vwap_reversion_block(bars, params, sim, spans, out, rec, block, count, None)


class VwapReversion(FusedSeed):
    name = "vwap_reversion"
    kind = "mean_reversion"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("window", 10, 200, "int", 48),
            Gene("z_entry", 0.5, 3.0, "float", 2.0),
            Gene("z_exit", 0.0, 1.0, "float", 0.25),
        ]
    )
    ordered_genes = (("z_exit", "z_entry"),)
    description = "z = (C - VWAP) / std; z < -entry: +1; z > entry: -1; flat when |z| < exit; else hold"
    kernel = vwap_reversion_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW]) - 1


SEED = VwapReversion()
