"""``rsi_filter`` (mean reversion, 50 bars): fade RSI extremes, stand aside once RSI is back at 50
(docs/seeds.md#rsi_filter).

Rule, decided on the close of bar ``t`` with ``RSI = talib.RSI(close, window)`` (Wilder):

- ``RSI[t] < oversold`` → +1; ``RSI[t] > overbought`` → -1 (an extreme reverses an opposite position at once);
- "flat when RSI crosses 50": a long goes flat on the first close with ``RSI >= 50``, a short on the first close
  with ``RSI <= 50`` (a long is entered below ``oversold < 50``, so the first such close is the crossing; touching
  50 counts);
- otherwise **hold** the previous target.

Warm-up: RSI's first value is at bar ``window``, the first decision. As in TA-Lib, a window with no price change at
all reads RSI = 0, which is below every ``oversold``: a perfectly flat market is bought.

Genes: ``window`` 2–50, ``oversold`` 5–45, ``overbought`` 55–95.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import rsi_value, wilder_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, OVERSOLD, OVERBOUGHT = 0, 1, 2


@njit(cache=True, parallel=True)
def rsi_filter_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        window = int(params[i, WINDOW])
        oversold = params[i, OVERSOLD]
        overbought = params[i, OVERBOUGHT]
        gain = 0.0
        loss = 0.0
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            if t >= 1:
                change = close[t] - close[t - 1]
                gain = wilder_push(gain, change if change > 0.0 else 0.0, t - 1, window)
                loss = wilder_push(loss, -change if change < 0.0 else 0.0, t - 1, window)
                if t >= window:
                    rsi = rsi_value(gain, loss)
                    if rsi < oversold:
                        position = 1.0
                    elif rsi > overbought:
                        position = -1.0
                    elif (position > 0.0 and rsi >= 50.0) or (position < 0.0 and rsi <= 50.0):
                        position = 0.0
            if target_rec.shape[0] > 0:
                target_rec[t] = position
            book = book_close(book, t, close[t], position)
        book_finish(book, ledger, n, out[i])


class RsiFilter(FusedSeed):
    name = "rsi_filter"
    kind = "mean_reversion"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("window", 2, 50, "int", 14),
            Gene("oversold", 5.0, 45.0, "float", 30.0),
            Gene("overbought", 55.0, 95.0, "float", 70.0),
        ]
    )
    description = "RSI < oversold: +1; RSI > overbought: -1; flat when RSI crosses 50; else hold"
    kernel = rsi_filter_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW])


SEED = RsiFilter()
