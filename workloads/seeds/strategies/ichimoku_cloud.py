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

Kernel: one ring of suffix extremes of H and one of L per block (``workloads.kernels.windows.suffix_extremes_push``,
as long as the block's longest ``senkou_b``) serve every lane's three windows; the spans wait ``kijun`` bars in a
block ring of rows of lanes (row ``t % longest kijun``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import drive
from workloads.kernels.simulate import BLOCK, lanes_dtype
from workloads.kernels.windows import ring_back, suffix_extremes, suffix_extremes_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

TENKAN, KIJUN, SENKOU_B = 0, 1, 2
STATE = lanes_dtype(("warm",))


@njit(cache=True)
def ichimoku_cloud_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    longest = 1
    days = 1
    for j in range(params.shape[0]):
        longest = max(longest, int(params[j, TENKAN]), int(params[j, KIJUN]), int(params[j, SENKOU_B]))
        days = max(days, int(params[j, KIJUN]))
    lanes = np.zeros(4 * BLOCK, np.uint64)
    for j in range(params.shape[0]):
        kijun = int(params[j, KIJUN])
        senkou_b = int(params[j, SENKOU_B])
        lanes[4 * j] = int(params[j, TENKAN])
        lanes[4 * j + 1] = kijun
        lanes[4 * j + 2] = senkou_b
        lanes[4 * j + 3] = days - kijun
        state.warm[j] = kijun + max(kijun, senkou_b) - 1.0
    spans = np.zeros(days * 2 * BLOCK)
    highs = np.full((2, longest + 1), -np.inf)
    lows = np.full((2, longest + 1), np.inf)
    mids = np.zeros(longest + 1)
    return block, lanes, highs, lows, mids, spans


@njit(cache=True, error_model="numpy")
def ichimoku_cloud_step(state, bars, t, width, target):
    block, lanes, highs, lows, mids, spans = state
    s = block[0]
    now = t & 1
    before = now ^ 1
    high = bars.high[t]
    low = bars.low[t]
    for n in range(1, mids.shape[0]):
        h = highs[before, n - 1]
        lo = lows[before, n - 1]
        highs[now, n] = high if high > h else h
        lows[now, n] = low if low < lo else lo
    for n in range(1, mids.shape[0]):
        mids[n] = (highs[now, n] + lows[now, n]) / 2.0
    row = np.uint64(2 * BLOCK)
    days = np.uint64(spans.shape[0]) // row
    today = np.uint64(t) % days
    c = bars.close[t]
    when = float(t)
    for j in range(width):
        lane = np.uint64(4 * j)
        tenkan_sen = mids[lanes[lane]]
        kijun_sen = mids[lanes[lane + np.uint64(1)]]
        span_b = mids[lanes[lane + np.uint64(2)]]
        displaced = today + lanes[lane + np.uint64(3)]
        displaced -= days if displaced >= days else np.uint64(0)
        then = displaced * row + np.uint64(2 * j)
        cloud_a = spans[then]
        cloud_b = spans[then + np.uint64(1)]
        here = today * row + np.uint64(2 * j)
        spans[here] = (tenkan_sen + kijun_sen) / 2.0
        spans[here + np.uint64(1)] = span_b
        above = (c > max(cloud_a, cloud_b)) & (tenkan_sen > kijun_sen)
        below = (c < min(cloud_a, cloud_b)) & (tenkan_sen < kijun_sen)
        signal = 1.0 if above else (-1.0 if below else 0.0)
        target[j] = signal if when >= s.warm[j] else 0.0


@njit(cache=True, error_model="numpy")
def ichimoku_cloud_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, ichimoku_cloud_init, ichimoku_cloud_step, shared)


@njit(cache=True, parallel=True)
def ichimoku_cloud_nb(bars, params, sim, spans, out, rec, count):
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
    kernel = ichimoku_cloud_nb

    def lookback(self, params_row: np.ndarray) -> int:
        kijun = int(params_row[KIJUN])
        return kijun + max(kijun, int(params_row[SENKOU_B])) - 1


SEED = IchimokuCloud()
