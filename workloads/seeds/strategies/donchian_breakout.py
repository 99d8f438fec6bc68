"""``donchian_breakout`` (trend, 50 bars): the turtle breakout on Donchian channels (design §3.3).

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
from workloads.kernels.windows import deque_push_max, deque_push_min
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
        emax, emin = np.empty(entry, np.int64), np.empty(entry, np.int64)
        xmax, xmin = np.empty(exit_, np.int64), np.empty(exit_, np.int64)
        eh_head, eh_size, el_head, el_size = 0, 0, 0, 0
        xh_head, xh_size, xl_head, xl_size = 0, 0, 0, 0
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            if t >= warm:
                c = close[t]
                if c > high[emax[eh_head]]:
                    position = 1.0
                elif c < low[emin[el_head]]:
                    position = -1.0
                elif position > 0.0 and c < low[xmin[xl_head]]:
                    position = 0.0
                elif position < 0.0 and c > high[xmax[xh_head]]:
                    position = 0.0
            eh_head, eh_size = deque_push_max(emax, eh_head, eh_size, high, t, entry)
            el_head, el_size = deque_push_min(emin, el_head, el_size, low, t, entry)
            xh_head, xh_size = deque_push_max(xmax, xh_head, xh_size, high, t, exit_)
            xl_head, xl_size = deque_push_min(xmin, xl_head, xl_size, low, t, exit_)
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
