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
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import extreme_window, ring_swap, rolling_max_push, rolling_min_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

TENKAN, KIJUN, SENKOU_B = 0, 1, 2


@njit(cache=True, parallel=True)
def ichimoku_cloud_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        tenkan = int(params[i, TENKAN])
        kijun = int(params[i, KIJUN])
        senkou_b = int(params[i, SENKOU_B])
        warm = kijun + max(kijun, senkou_b) - 1
        tenkan_highs, tenkan_lows = extreme_window(tenkan), extreme_window(tenkan)
        kijun_highs, kijun_lows = extreme_window(kijun), extreme_window(kijun)
        span_highs, span_lows = extreme_window(senkou_b), extreme_window(senkou_b)
        th_k, th_prefix, tl_k, tl_prefix = 0, 0.0, 0, 0.0
        kh_k, kh_prefix, kl_k, kl_prefix = 0, 0.0, 0, 0.0
        bh_k, bh_prefix, bl_k, bl_prefix = 0, 0.0, 0, 0.0
        spans_a = np.empty(kijun)
        spans_b = np.empty(kijun)
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            tenkan_high, th_k, th_prefix = rolling_max_push(tenkan_highs, th_k, th_prefix, high[t])
            tenkan_low, tl_k, tl_prefix = rolling_min_push(tenkan_lows, tl_k, tl_prefix, low[t])
            kijun_high, kh_k, kh_prefix = rolling_max_push(kijun_highs, kh_k, kh_prefix, high[t])
            kijun_low, kl_k, kl_prefix = rolling_min_push(kijun_lows, kl_k, kl_prefix, low[t])
            span_high, bh_k, bh_prefix = rolling_max_push(span_highs, bh_k, bh_prefix, high[t])
            span_low, bl_k, bl_prefix = rolling_min_push(span_lows, bl_k, bl_prefix, low[t])
            tenkan_sen = (tenkan_high + tenkan_low) / 2.0
            kijun_sen = (kijun_high + kijun_low) / 2.0
            # The spans computed now are the cloud of bar t + kijun; the ring hands back those of t - kijun.
            cloud_a = ring_swap(spans_a, t, (tenkan_sen + kijun_sen) / 2.0)
            cloud_b = ring_swap(spans_b, t, (span_high + span_low) / 2.0)
            target = 0.0
            if t >= warm:
                c = close[t]
                if c > max(cloud_a, cloud_b) and tenkan_sen > kijun_sen:
                    target = 1.0
                elif c < min(cloud_a, cloud_b) and tenkan_sen < kijun_sen:
                    target = -1.0
            if target_rec.shape[0] > 0:
                target_rec[t] = target
            book = book_close(book, t, close[t], target)
        book_finish(book, ledger, n, out[i])


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
