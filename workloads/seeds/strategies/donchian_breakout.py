"""``donchian_breakout`` (trend, 50 bars): the turtle breakout on Donchian channels (docs/seeds.md#donchian_breakout).

Channels use the *previous* bars, excluding ``t`` (``workloads.kernels.ta.donchian_1d``): ``entry_high[t] =
max(H[t-entry .. t-1])``, ``entry_low[t] = min(L[t-entry .. t-1])``; ``exit_high``/``exit_low`` likewise over the
previous ``exit`` bars.

Rule, decided on the close of bar ``t``:

- ``C > entry_high`` → +1; ``C < entry_low`` → -1 (shorts mirror longs);
- a long goes flat when ``C < exit_low``; a short goes flat when ``C > exit_high``;
- otherwise **hold** the previous target.

Same-bar resolution: entries are checked first, so a close that breaks the opposite entry channel while in a position
(which, with ``exit <= entry``, is also an exit) **reverses** the position on that bar rather than going flat.

Warm-up: both channels exist from bar ``max(entry, exit)``, the first decision.
Genes: ``entry`` 10–100, ``exit`` 5–50 (no order is imposed: an exit channel longer than the entry one is allowed).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import extreme_window, rolling_max_push, rolling_min_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

ENTRY, EXIT = 0, 1


@njit(cache=True, parallel=True)
def donchian_breakout_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        entry = int(params[i, ENTRY])
        exit_ = int(params[i, EXIT])
        warm = max(entry, exit_)
        entry_highs, entry_lows = extreme_window(entry), extreme_window(entry)
        exit_highs, exit_lows = extreme_window(exit_), extreme_window(exit_)
        eh_k, eh_prefix, el_k, el_prefix = 0, 0.0, 0, 0.0
        xh_k, xh_prefix, xl_k, xl_prefix = 0, 0.0, 0, 0.0
        # The channels of bar t are over the previous bars: the extremes pushed up to bar t-1.
        entry_high, entry_low, exit_high, exit_low = np.nan, np.nan, np.nan, np.nan
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            if t >= warm:
                c = close[t]
                if c > entry_high:
                    position = 1.0
                elif c < entry_low:
                    position = -1.0
                elif position > 0.0 and c < exit_low or position < 0.0 and c > exit_high:
                    position = 0.0
            entry_high, eh_k, eh_prefix = rolling_max_push(entry_highs, eh_k, eh_prefix, high[t])
            entry_low, el_k, el_prefix = rolling_min_push(entry_lows, el_k, el_prefix, low[t])
            exit_high, xh_k, xh_prefix = rolling_max_push(exit_highs, xh_k, xh_prefix, high[t])
            exit_low, xl_k, xl_prefix = rolling_min_push(exit_lows, xl_k, xl_prefix, low[t])
            if target_rec.shape[0] > 0:
                target_rec[t] = position
            book = book_close(book, t, close[t], position)
        book_finish(book, ledger, n, out[i])


class DonchianBreakout(FusedSeed):
    name = "donchian_breakout"
    kind = "trend"
    min_bars = 50
    genes = GeneSpace([Gene("entry", 10, 100, "int", 20), Gene("exit", 5, 50, "int", 10)])
    description = "C above the previous entry-bar high: +1 until C below the previous exit-bar low; shorts mirror"
    kernel = donchian_breakout_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return max(int(params_row[ENTRY]), int(params_row[EXIT]))


SEED = DonchianBreakout()
