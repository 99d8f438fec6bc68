"""``sma_trend_filter`` (trend, 50 bars): +1 when close > SMA(slow) and SMA(fast) > SMA(slow); -1 when both are
below; else 0 (docs/seeds.md#sma_trend_filter).

SMAs follow ``talib.SMA``. Warm-up: the first decision is on the close of bar ``slow - 1``. Genes: ``fast`` 5–50,
``slow`` 20–250, ``fast < slow`` (repaired).
"""

from __future__ import annotations

from numba import njit, prange

from workloads.kernels.indicators import sma_step
from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

FAST, SLOW = 0, 1


@njit(cache=True, parallel=True)
def sma_trend_filter_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        fast = int(params[i, FAST])
        slow = int(params[i, SLOW])
        warm = max(fast, slow) - 1
        total_fast = 0.0
        total_slow = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            sma_fast, total_fast = sma_step(total_fast, close, t, fast)
            sma_slow, total_slow = sma_step(total_slow, close, t, slow)
            target = 0.0
            if t >= warm:
                if close[t] > sma_slow and sma_fast > sma_slow:
                    target = 1.0
                elif close[t] < sma_slow and sma_fast < sma_slow:
                    target = -1.0
            if target_rec.shape[0] > 0:
                target_rec[t] = target
            book = book_close(book, t, close[t], target)
        book_finish(book, ledger, n, out[i])


class SmaTrendFilter(FusedSeed):
    name = "sma_trend_filter"
    kind = "trend"
    min_bars = 50
    genes = GeneSpace([Gene("fast", 5, 50, "int", 20), Gene("slow", 20, 250, "int", 100)])
    ordered_genes = (("fast", "slow"),)
    window_genes = ("fast", "slow")
    description = "+1 if close and SMA(fast) above SMA(slow); -1 if both below; else 0"
    kernel = sma_trend_filter_nb


SEED = SmaTrendFilter()
