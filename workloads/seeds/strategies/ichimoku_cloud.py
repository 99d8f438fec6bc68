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
    lengths = np.zeros((3, BLOCK), np.int64)
    longest = 1
    longest_kijun = 1
    for j in range(params.shape[0]):
        tenkan = int(params[j, TENKAN])
        kijun = int(params[j, KIJUN])
        senkou_b = int(params[j, SENKOU_B])
        lengths[0, j] = tenkan
        lengths[1, j] = kijun
        lengths[2, j] = senkou_b
        longest = max(longest, tenkan, kijun, senkou_b)
        longest_kijun = max(longest_kijun, kijun)
        state.warm[j] = kijun + max(kijun, senkou_b) - 1.0
    # The spans each lane computed over the last longest_kijun bars: row t % longest_kijun holds those of bar t.
    spans_a = np.zeros((longest_kijun, BLOCK))
    spans_b = np.zeros((longest_kijun, BLOCK))
    highs, lows = suffix_extremes(longest)
    return block, lengths, highs, lows, spans_a, spans_b


@njit(cache=True, error_model="numpy")
def ichimoku_cloud_step(state, bars, t, width, target):
    block, lengths, highs, lows, spans_a, spans_b = state
    s = block[0]
    size = highs.shape[0]
    suffix_extremes_push(highs, lows, t % size, bars.high[t], bars.low[t])
    after = (t + 1) % size
    days = spans_a.shape[0]
    today = t % days
    c = bars.close[t]
    for j in range(width):
        tenkan_at = ring_back(after, lengths[0, j], size)
        kijun_at = ring_back(after, lengths[1, j], size)
        span_at = ring_back(after, lengths[2, j], size)
        tenkan_sen = (highs[tenkan_at] + lows[tenkan_at]) / 2.0
        kijun_sen = (highs[kijun_at] + lows[kijun_at]) / 2.0
        # The spans computed now are the cloud of bar t + kijun; the cloud of bar t was computed at t - kijun.
        displaced = today - lengths[1, j]
        displaced += days if displaced < 0 else 0
        cloud_a = spans_a[displaced, j]
        cloud_b = spans_b[displaced, j]
        spans_a[today, j] = (tenkan_sen + kijun_sen) / 2.0
        spans_b[today, j] = (highs[span_at] + lows[span_at]) / 2.0
        above = c > max(cloud_a, cloud_b) and tenkan_sen > kijun_sen
        below = c < min(cloud_a, cloud_b) and tenkan_sen < kijun_sen
        signal = 1.0 if above else (-1.0 if below else 0.0)
        target[j] = signal if t >= s.warm[j] else 0.0


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
