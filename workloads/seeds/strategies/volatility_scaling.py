"""``volatility_scaling`` (volatility, 20 bars): trend direction sized to a volatility target
(docs/seeds.md#volatility_scaling).

Raw target on the close of bar ``t``::

    sign(C[t] - SMA(close, trend)[t]) * min(max_leverage, target_vol / (realised_vol[t] * sqrt(bars_per_year)))

``realised_vol`` is the std (ddof=1) of the last ``vol_window`` log returns (``workloads.kernels.ta.realized_vol_1d``),
annualised with the simulation's ``bars_per_year`` (``sim[SIM_BARS_PER_YEAR]``) because ``target_vol`` is annual.
``targets(bars, row)`` without a sim annualises with the bars' inferred ``bars_per_year`` (every command's default);
``run(bars, row, sim)`` records the targets with its own ``sim``, so a backtest reports exactly what ``evaluate``
scored, whatever ``bars_per_year`` the user set.
A realised vol of 0 sizes at ``max_leverage``; ``C == SMA`` gives 0.

The individual's ``band`` gene is a rebalance band inside the rule: the emitted target stays at the previous one
unless the direction changes (long / flat / short) or ``|raw - previous| > band``. It composes with the simulator's
own ``rebalance_band`` (which then applies to what this rule emits).

Warm-up: the SMA exists from bar ``trend - 1`` and the realised vol from bar ``vol_window`` (the first return is at
bar 1), so the first decision is on the close of bar ``max(trend - 1, vol_window)``.

Genes: ``vol_window`` 5–100, ``target_vol`` 0.05–0.6 (annualised), ``trend`` 10–200, ``max_leverage`` 0.5–2,
``band`` 0–0.25.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.indicators import sma_step
from workloads.kernels.simulate import SIM_BARS_PER_YEAR, book_close, book_fill, book_finish, new_book
from workloads.kernels.windows import moments_push, moments_var
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

VOL_WINDOW, TARGET_VOL, TREND, MAX_LEVERAGE, BAND = 0, 1, 2, 3, 4


@njit(cache=True, parallel=True)
def volatility_scaling_nb(open_, high, low, close, volume, funding, params, sim, trade_start, out, target_rec):
    """Fused population kernel (``workloads.seeds.base.KERNEL_SIGNATURE``)."""
    n = close.shape[0]
    annualise = np.sqrt(sim[SIM_BARS_PER_YEAR])
    log_return = np.zeros(n)  # shared by the whole population (one series, not one per individual)
    for t in range(1, n):
        log_return[t] = np.log(close[t] / close[t - 1])
    for i in prange(params.shape[0]):
        vol_window = int(params[i, VOL_WINDOW])
        target_vol = params[i, TARGET_VOL]
        trend = int(params[i, TREND])
        max_leverage = params[i, MAX_LEVERAGE]
        band = params[i, BAND]
        warm = max(trend - 1, vol_window)
        buf = np.empty(vol_window)
        s1, s2, shift = 0.0, 0.0, 0.0
        total = 0.0
        position = 0.0
        book, ledger = new_book(sim, trade_start, 0)
        for t in range(n):
            if book.pending != book.held:
                book = book_fill(book, ledger, t, open_[t])
            sma, total = sma_step(total, close, t, trend)
            if t >= 1:
                s1, s2, shift = moments_push(buf, t - 1, log_return[t], s1, s2, shift)
            if t >= warm:
                vol = np.sqrt(moments_var(s1, s2, vol_window, 1)) * annualise
                size = max_leverage
                if vol > 0.0 and target_vol / vol < max_leverage:
                    size = target_vol / vol
                raw = 0.0
                if close[t] > sma:
                    raw = size
                elif close[t] < sma:
                    raw = -size
                same_direction = (
                    (raw > 0.0 and position > 0.0) or (raw < 0.0 and position < 0.0) or (raw == 0.0 and position == 0.0)
                )
                if not same_direction or abs(raw - position) > band:
                    position = raw
            if target_rec.shape[0] > 0:
                target_rec[t] = position
            book = book_close(book, t, close[t], position)
        book_finish(book, ledger, n, out[i])


class VolatilityScaling(FusedSeed):
    name = "volatility_scaling"
    kind = "volatility"
    min_bars = 20
    genes = GeneSpace(
        [
            Gene("vol_window", 5, 100, "int", 20),
            Gene("target_vol", 0.05, 0.6, "float", 0.2),
            Gene("trend", 10, 200, "int", 50),
            Gene("max_leverage", 0.5, 2.0, "float", 1.0),
            Gene("band", 0.0, 0.25, "float", 0.05),
        ]
    )
    description = "sign(C - SMA(trend)) x min(max_leverage, target_vol / realised vol), rebalanced beyond band"
    kernel = volatility_scaling_nb

    def lookback(self, params_row: np.ndarray) -> int:
        return max(int(params_row[TREND]) - 1, int(params_row[VOL_WINDOW]))


SEED = VolatilityScaling()
