"""``ichimoku_cloud`` (trend, 50 bars): trade with the cloud when tenkan and kijun agree (design §3.3).

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
from workloads.kernels.windows import deque_push_max, deque_push_min, ring_swap
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
        tmax, tmin = np.empty(tenkan, np.int64), np.empty(tenkan, np.int64)
        kmax, kmin = np.empty(kijun, np.int64), np.empty(kijun, np.int64)
        bmax, bmin = np.empty(senkou_b, np.int64), np.empty(senkou_b, np.int64)
        th_head, th_size, tl_head, tl_size = 0, 0, 0, 0
        kh_head, kh_size, kl_head, kl_size = 0, 0, 0, 0
        bh_head, bh_size, bl_head, bl_size = 0, 0, 0, 0
        spans_a = np.empty(kijun)
        spans_b = np.empty(kijun)
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            th_head, th_size = deque_push_max(tmax, th_head, th_size, high, t, tenkan)
            tl_head, tl_size = deque_push_min(tmin, tl_head, tl_size, low, t, tenkan)
            kh_head, kh_size = deque_push_max(kmax, kh_head, kh_size, high, t, kijun)
            kl_head, kl_size = deque_push_min(kmin, kl_head, kl_size, low, t, kijun)
            bh_head, bh_size = deque_push_max(bmax, bh_head, bh_size, high, t, senkou_b)
            bl_head, bl_size = deque_push_min(bmin, bl_head, bl_size, low, t, senkou_b)
            tenkan_sen = (high[tmax[th_head]] + low[tmin[tl_head]]) / 2.0
            kijun_sen = (high[kmax[kh_head]] + low[kmin[kl_head]]) / 2.0
            # The spans computed now are the cloud of bar t + kijun; the ring hands back those of t - kijun.
            cloud_a = ring_swap(spans_a, t, (tenkan_sen + kijun_sen) / 2.0)
            cloud_b = ring_swap(spans_b, t, (high[bmax[bh_head]] + low[bmin[bl_head]]) / 2.0)
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
    genes = GeneSpace([
        Gene("tenkan", 5, 20, "int", 9),
        Gene("kijun", 20, 60, "int", 26),
        Gene("senkou_b", 40, 120, "int", 52),
    ])
    ordered_genes = (("tenkan", "kijun"), ("kijun", "senkou_b"))
    description = "+1 above the cloud (spans displaced by kijun) and tenkan > kijun; -1 below and tenkan < kijun"
    kernel = ichimoku_cloud_nb

    def lookback(self, params_row: np.ndarray) -> int:
        kijun = int(params_row[KIJUN])
        return kijun + max(kijun, int(params_row[SENKOU_B])) - 1


SEED = IchimokuCloud()
