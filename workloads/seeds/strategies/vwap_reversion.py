"""``vwap_reversion`` (mean reversion, 50 bars): fade the close's z-score against the rolling VWAP
(docs/seeds.md#vwap_reversion).

``z[t] = (C[t] - VWAP[t]) / std[t]`` where VWAP is the rolling VWAP of the typical price ``(H + L + C) / 3`` over
the ``window`` bars ``t-window+1 .. t`` and **std is the volume-weighted population std of the typical price around
that VWAP** over the same bars, ``sqrt(sum(v (tp - VWAP)^2) / sum(v))`` — the dispersion the VWAP itself averages
(the std behind the usual VWAP bands), so ``z`` is in the VWAP's own units (``workloads.kernels.ta.vwap_1d``).

Rule, decided on the close of bar ``t``:

- ``z < -z_entry`` → +1; ``z > z_entry`` → -1;
- ``|z| < z_exit`` → 0 (flat);
- otherwise **hold** the previous target. ``z_exit < z_entry`` is repaired, so the zones never overlap.

Warm-up: the first decision is on the close of bar ``window - 1``. Where no bar of the window has volume (VWAP
undefined, e.g. in a gap filled with zero-volume bars) or its std is 0 (``z`` undefined), the bar emits 0 like a
warm-up bar and the rule starts again from flat.

Genes: ``window`` 10–200, ``z_entry`` 0.5–3, ``z_exit`` 0–1, ``z_exit < z_entry`` (repaired).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.ta import typical_price, volume_traded
from workloads.kernels.windows import weighted_mean_std, weighted_moments_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, Z_ENTRY, Z_EXIT = 0, 1, 2


@njit(cache=True, parallel=True)
def vwap_reversion_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        window = int(params[i, WINDOW])
        z_entry = params[i, Z_ENTRY]
        z_exit = params[i, Z_EXIT]
        wbuf = np.empty(window)
        xbuf = np.empty(window)
        sw, s1, s2, shift = 0.0, 0.0, 0.0, 0.0
        traded = 0
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            sw, s1, s2, shift = weighted_moments_push(
                wbuf, xbuf, t, volume[t], typical_price(high[t], low[t], close[t]), sw, s1, s2, shift
            )
            traded += volume_traded(volume, t, window)
            target = 0.0
            if t >= window - 1:
                vwap, std = weighted_mean_std(sw, s1, s2, shift)
                if traded > 0 and std > 0.0:
                    z = (close[t] - vwap) / std
                    if z < -z_entry:
                        position = 1.0
                    elif z > z_entry:
                        position = -1.0
                    elif abs(z) < z_exit:
                        position = 0.0
                else:
                    position = 0.0
                target = position
            if target_rec.shape[0] > 0:
                target_rec[t] = target
            book = book_close(book, t, close[t], target)
        book_finish(book, ledger, n, out[i])


class VwapReversion(FusedSeed):
    name = "vwap_reversion"
    kind = "mean_reversion"
    min_bars = 50
    genes = GeneSpace(
        [
            Gene("window", 10, 200, "int", 48),
            Gene("z_entry", 0.5, 3.0, "float", 2.0),
            Gene("z_exit", 0.0, 1.0, "float", 0.25),
        ]
    )
    ordered_genes = (("z_exit", "z_entry"),)
    description = "z = (C - VWAP) / std; z < -entry: +1; z > entry: -1; flat when |z| < exit; else hold"
    kernel = vwap_reversion_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW]) - 1


SEED = VwapReversion()
