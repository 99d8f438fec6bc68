"""``ema_crossover`` (momentum, 20 bars): +1 when EMA(fast) > EMA(slow) of the close, else -1
(docs/seeds.md#ema_crossover).

EMAs follow ``talib.EMA`` (first value at index ``n-1``, the SMA of the first ``n`` closes). Warm-up: the first
decision is on the close of bar ``slow - 1``. Genes: ``fast`` 2–50, ``slow`` 10–200, ``fast < slow`` (repaired).
"""

from __future__ import annotations

from numba import njit, prange

from workloads.kernels.indicators import ema_alpha, ema_step
from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

FAST, SLOW = 0, 1


@njit(cache=True, parallel=True)
def ema_crossover_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        fast = int(params[i, FAST])
        slow = int(params[i, SLOW])
        alpha_fast = ema_alpha(fast)
        alpha_slow = ema_alpha(slow)
        warm = max(fast, slow) - 1
        ema_fast = 0.0
        ema_slow = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            ema_fast = ema_step(ema_fast, close[t], t, fast, alpha_fast)
            ema_slow = ema_step(ema_slow, close[t], t, slow, alpha_slow)
            target = 0.0
            if t >= warm:
                target = 1.0 if ema_fast > ema_slow else -1.0
            if target_rec.shape[0] > 0:
                target_rec[t] = target
            book = book_close(book, t, close[t], target)
        book_finish(book, ledger, n, out[i])


class EmaCrossover(FusedSeed):
    name = "ema_crossover"
    kind = "momentum"
    min_bars = 20
    genes = GeneSpace([Gene("fast", 2, 50, "int", 12), Gene("slow", 10, 200, "int", 26)])
    ordered_genes = (("fast", "slow"),)
    window_genes = ("fast", "slow")
    description = "+1 if EMA(fast) > EMA(slow) else -1"
    kernel = ema_crossover_nb


SEED = EmaCrossover()
