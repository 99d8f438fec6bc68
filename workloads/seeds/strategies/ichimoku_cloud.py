"""``ichimoku_cloud`` (trend, 50 bars): trade with the cloud when tenkan and kijun agree (docs/seeds.md#ichimoku_cloud).

Lines (``workloads.kernels.ta.ichimoku_1d``): ``tenkan_sen = (max H + min L) / 2`` over the last ``tenkan`` bars,
``kijun_sen`` likewise over ``kijun`` bars; the cloud at ``t`` is made of the spans **computed at ``t - kijun``**
(``span_a = (tenkan_sen + kijun_sen) / 2``, ``span_b = (max H + min L) / 2`` over ``senkou_b`` bars) — the usual
forward displacement, so the cloud at ``t`` uses only bars up to ``t - kijun``. The chikou span is never used.

Rule, decided on the close of bar ``t``: +1 when ``C > max(span_a, span_b)`` (above the cloud) and
``tenkan_sen > kijun_sen``; -1 when ``C < min(span_a, span_b)`` and ``tenkan_sen < kijun_sen``; else 0 (a close
inside the cloud, or lines that disagree, is flat).

Warm-up: span B exists from bar ``kijun + senkou_b - 1`` (span A from ``2 kijun - 1``), the first decision.
Genes: ``tenkan`` 5–20, ``kijun`` 20–60, ``senkou_b`` 40–120, with ``tenkan < kijun < senkou_b`` (repaired).

Kernel: the midpoints ``(max H + min L) / 2`` of every window length up to the block's longest window,
computed once per bar and indexed by length (``workloads.kernels.windows.midpoints_push``), serve every lane's three
windows; each lane's spans wait ``kijun`` bars in a ring of its own (``kijun`` pairs ``(span_a, span_b)``, read and
overwritten at the same slot), so a lane-bar is a few loads by unsigned index (Numba adds no negative-index fix to
those) and one slot step.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.simulate import BLOCK, lanes_dtype
from workloads.kernels.windows import midpoints_by_length, midpoints_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

TENKAN, KIJUN, SENKOU_B = 0, 1, 2
RING_END = 3
LANE = 4
"""A lane's row of ``lanes``: its three genes, then where its ring of spans ends."""
STATE = lanes_dtype(("warm",))


@njit(cache=True)
def ichimoku_cloud_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    lanes = np.zeros(LANE * BLOCK, np.uint64)
    slots = np.zeros(BLOCK, np.uint64)
    longest = 1
    room = 0
    for j in range(params.shape[0]):
        tenkan = int(params[j, TENKAN])
        kijun = int(params[j, KIJUN])
        senkou_b = int(params[j, SENKOU_B])
        longest = max(longest, tenkan, kijun, senkou_b)
        lanes[LANE * j + TENKAN] = tenkan
        lanes[LANE * j + KIJUN] = kijun
        lanes[LANE * j + SENKOU_B] = senkou_b
        slots[j] = room
        room += 2 * kijun
        lanes[LANE * j + RING_END] = room
        state.warm[j] = kijun + max(kijun, senkou_b) - 1.0
    spans = np.zeros(room)
    return (block, lanes, slots, spans, *midpoints_by_length(longest))


@njit(cache=True, error_model="numpy")
def ichimoku_cloud_step(state, bars, t, width, target):
    block, lanes, slots, spans, highs, lows, mids = state
    s = block[0]
    midpoints_push(highs, lows, mids, t, bars.high[t], bars.low[t])
    c = bars.close[t]
    when = float(t)
    one = np.uint64(1)
    for j in range(width):
        lane = np.uint64(LANE * j)
        tenkan_sen = mids[lanes[lane + np.uint64(TENKAN)]]
        kijun = lanes[lane + np.uint64(KIJUN)]
        kijun_sen = mids[kijun]
        # The lane's ring slot holds the spans it computed kijun bars ago (the cloud of bar t); today's replace them.
        slot = slots[j]
        cloud_a = spans[slot]
        cloud_b = spans[slot + one]
        spans[slot] = (tenkan_sen + kijun_sen) / 2.0
        spans[slot + one] = mids[lanes[lane + np.uint64(SENKOU_B)]]
        slot += np.uint64(2)
        slots[j] = slot - (kijun + kijun if slot == lanes[lane + np.uint64(RING_END)] else np.uint64(0))
        above = (c > max(cloud_a, cloud_b)) & (tenkan_sen > kijun_sen)
        below = (c < min(cloud_a, cloud_b)) & (tenkan_sen < kijun_sen)
        signal = 1.0 if above else (-1.0 if below else 0.0)
        target[j] = signal if when >= s.warm[j] else 0.0


@njit(cache=True, error_model="numpy")
def ichimoku_cloud_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, ichimoku_cloud_init, ichimoku_cloud_step, shared)


@njit(cache=True, parallel=True)
def ichimoku_cloud_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        ichimoku_cloud_block(bars, params, sim, spans, out, rec, block, count, None)


class IchimokuCloud(FusedSeed):
    name = "ichimoku_cloud"
    kind = "trend"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("tenkan", 5, 20, "int", 9),
            Gene("kijun", 20, 60, "int", 26),
            Gene("senkou_b", 40, 120, "int", 52),
        ]
    )
    ordered_genes = (("tenkan", "kijun"), ("kijun", "senkou_b"))
    description = "+1 above the cloud (spans displaced by kijun) and tenkan > kijun; -1 below and tenkan < kijun"
    kernel = ichimoku_cloud_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        kijun = int(params_row[KIJUN])
        return kijun + max(kijun, int(params_row[SENKOU_B])) - 1


SEED = IchimokuCloud()
