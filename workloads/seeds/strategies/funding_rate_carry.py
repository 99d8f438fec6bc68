"""``funding_rate_carry`` (carry, 20 bars, needs ``funding_rate``): collect the perpetual-swap funding
(docs/seeds.md#funding_rate_carry).

Rule, decided on the close of bar ``t``: ``m = mean(funding_rate[t-window+1 .. t])`` (the rate paid over each bar,
known at its close); target ``-sign(m)`` when ``|m| > threshold``, else 0 — short when longs pay shorts, long when
shorts pay. The mean is a rolling sum re-summed every ``window`` bars (``workloads.kernels.windows``), and a window
whose rates are all zero reads exactly 0 (no rounding residue trades at ``threshold = 0``).

Ties: a mean within ``1e-9`` relative of the threshold is **not** above it. Exchanges often pin the rate at exactly
the baseline (0.0001 per 8 hours) for long stretches; a window of such rates equals a threshold set to that baseline,
and the rounding of the rolling sum must not decide whether it trades.

Warm-up: the first decision is on the close of bar ``window - 1``.
Genes: ``window`` 1–48 bars, ``threshold`` 0–0.001 (a fraction per bar, like the funding rate itself). The default
threshold, 1e-5 per bar, sits just under the usual 0.01 % per 8 hours baseline on hourly bars (1.25e-5 per bar), so
hourly rates at the baseline or beyond are traded.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.simulate import book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import rolling_sum_push
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, THRESHOLD = 0, 1
TIE = 1e-9


@njit(cache=True, parallel=True)
def funding_rate_carry_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    for i in prange(params.shape[0]):
        window = int(params[i, WINDOW])
        threshold = params[i, THRESHOLD] * (1.0 + TIE)
        buf = np.empty(window)
        total = 0.0
        nonzero = 0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            total = rolling_sum_push(buf, t, funding[t], total)
            if funding[t] != 0.0:
                nonzero += 1
            if t >= window and funding[t - window] != 0.0:
                nonzero -= 1
            target = 0.0
            if t >= window - 1 and nonzero > 0:
                mean = total / window
                if mean > threshold:
                    target = -1.0
                elif mean < -threshold:
                    target = 1.0
            if target_rec.shape[0] > 0:
                target_rec[t] = target
            book = book_close(book, t, close[t], target)
        book_finish(book, ledger, n, out[i])


class FundingRateCarry(FusedSeed):
    name = "funding_rate_carry"
    kind = "carry"
    min_bars = 20
    needs_funding = True
    genes = GeneSpace([Gene("window", 1, 48, "int", 8), Gene("threshold", 0.0, 0.001, "float", 0.00001)])
    description = "-sign(mean funding over window) when |mean| > threshold, else 0"
    kernel = funding_rate_carry_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW]) - 1


SEED = FundingRateCarry()
