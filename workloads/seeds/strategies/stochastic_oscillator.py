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
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import extreme_window, ring_sum, ring_swap, rolling_max_push, rolling_min_push, stoch_k
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

K, D, OVERSOLD, OVERBOUGHT = 0, 1, 2, 3
TIE = 1e-9


@njit(cache=True, parallel=True)
def stochastic_oscillator_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        k = int(params[i, K])
        d = int(params[i, D])
        oversold = params[i, OVERSOLD]
        overbought = params[i, OVERBOUGHT]
        highs, lows = extreme_window(k), extreme_window(k)
        k_ring = np.empty(d)
        high_k, high_prefix, low_k, low_prefix = 0, 0.0, 0, 0.0
        prev_diff = np.nan
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            highest, high_k, high_prefix = rolling_max_push(highs, high_k, high_prefix, high[t])
            lowest, low_k, low_prefix = rolling_min_push(lows, low_k, low_prefix, low[t])
            if t >= k - 1:
                fast_k = stoch_k(close[t], highest, lowest)
                ring_swap(k_ring, t - (k - 1), fast_k)
                if t >= k + d - 2:
                    fast_d = ring_sum(k_ring) / d
                    diff = fast_k - fast_d
                    if t >= k + d - 1:
                        if diff > TIE and not prev_diff > TIE and fast_d < oversold:
                            position = 1.0
                        elif diff < -TIE and not prev_diff < -TIE and fast_d > overbought:
                            position = -1.0
                    prev_diff = diff
            if target_rec.shape[0] > 0:
                target_rec[t] = position
            book = book_close(book, t, close[t], position)
        book_finish(book, ledger, n, out[i])


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
    kernel = stochastic_oscillator_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[K]) + int(params_row[D]) - 1


SEED = StochasticOscillator()
