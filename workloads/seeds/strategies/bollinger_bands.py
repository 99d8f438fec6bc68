"""``bollinger_bands`` (volatility, 50 bars): trade the close against Bollinger bands (docs/seeds.md#bollinger_bands).

Bands: ``middle = SMA(close, window)``, ``upper/lower = middle ± k × population std`` — ``talib.BBANDS(close,
window, k, k, matype=0)``. Rule, decided on the close of bar ``t``:

- ``mode = reversion``: ``C < lower`` → +1; ``C > upper`` → -1; "flat at the middle": a long goes flat on the first
  close ``C >= middle``, a short on the first close ``C <= middle``;
- ``mode = breakout`` (the reverse): ``C > upper`` → +1; ``C < lower`` → -1; a long goes flat on the first close
  ``C <= middle``, a short on the first close ``C >= middle``;
- otherwise **hold** the previous target. A band signal is checked first, so a close beyond the opposite band
  reverses the position in one step.

Warm-up: the first decision is on the close of bar ``window - 1``.

Genes: ``window`` 10–100, ``k`` 1–3.5, ``mode`` {reversion, breakout}.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import moments_mean, moments_push, moments_var
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, K, MODE = 0, 1, 2
REVERSION, BREAKOUT = 0, 1


@njit(cache=True, parallel=True)
def bollinger_bands_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        window = int(params[i, WINDOW])
        k = params[i, K]
        direction = 1.0 if int(params[i, MODE]) == REVERSION else -1.0
        buf = np.empty(window)
        s1, s2, shift = 0.0, 0.0, 0.0
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            s1, s2, shift = moments_push(buf, t, close[t], s1, s2, shift)
            if t >= window - 1:
                middle = moments_mean(s1, shift, window)
                width = k * np.sqrt(moments_var(s1, s2, window, 0))
                c = close[t]
                if c < middle - width:
                    position = direction
                elif c > middle + width:
                    position = -direction
                elif position * direction > 0.0 and c >= middle or position * direction < 0.0 and c <= middle:
                    position = 0.0
            if target_rec.shape[0] > 0:
                target_rec[t] = position
            book = book_close(book, t, close[t], position)
        book_finish(book, ledger, n, out[i])


class BollingerBands(FusedSeed):
    name = "bollinger_bands"
    kind = "volatility"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("window", 10, 100, "int", 20),
            Gene("k", 1.0, 3.5, "float", 2.0),
            Gene("mode", 0, 1, "choice", REVERSION, choices=("reversion", "breakout")),
        ]
    )
    description = "reversion: below lower +1, above upper -1, flat at the middle; breakout: the reverse"
    kernel = bollinger_bands_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW]) - 1


SEED = BollingerBands()
