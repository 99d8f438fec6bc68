"""``funding_rate_carry`` (carry, 20 bars, needs ``funding_rate``): collect the perpetual-swap funding
(docs/seeds.md#funding_rate_carry).

Rule, decided on the close of bar ``t``: ``m = mean(funding_rate[t-window+1 .. t])`` (the rate paid over each bar,
known at its close); target ``-sign(m)`` when ``|m| > threshold``, else 0 — short when longs pay shorts, long when
shorts pay. The mean is a rolling sum (add the new rate, take away the leaving one) re-summed from the series every
``window`` bars (``workloads.kernels.indicators.window_sum``), as ``workloads.kernels.windows`` keeps its sums; a
window whose rates are all zero reads exactly 0 (no rounding residue trades at ``threshold = 0``).

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

from workloads.kernels.driver import drive
from workloads.kernels.indicators import next_phase, window_sum, window_tail
from workloads.kernels.simulate import lanes_dtype
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

WINDOW, THRESHOLD = 0, 1
TIE = 1e-9
STATE = lanes_dtype(("window", "threshold", "total", "phase", "nonzero", "leaving"))


@njit(cache=True)
def funding_rate_carry_init(bars, params, sim, shared):
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    for j in range(params.shape[0]):
        state.window[j] = params[j, WINDOW]
        state.threshold[j] = params[j, THRESHOLD] * (1.0 + TIE)
    return block


@njit(cache=True, error_model="numpy")
def funding_rate_carry_step(block, bars, t, width, target):
    lanes = block[0]
    funding = bars.funding
    rate = funding[t]
    entering = 1.0 if rate != 0.0 else 0.0
    for j in range(width):  # the rates leaving the windows (gathers, apart: the loops below vectorize)
        lanes.leaving[j] = window_tail(funding, t - 1, lanes.window[j])
    for j in range(width):  # the rolling sum, the series itself as its ring
        window = lanes.window[j]
        leaving = lanes.leaving[j]
        lanes.total[j] = lanes.total[j] + rate - leaving
        lanes.phase[j] = next_phase(lanes.phase[j], window)
        lanes.nonzero[j] += entering - (1.0 if t >= window and leaving != 0.0 else 0.0)
    for j in range(width):  # a window that wrapped is re-summed (phase back at 0)
        if lanes.phase[j] == 0.0:
            lanes.total[j] = window_sum(funding, t, int(lanes.window[j]))
    for j in range(width):  # the rule
        window = lanes.window[j]
        mean = lanes.total[j] / window
        threshold = lanes.threshold[j]
        signal = 0.0
        if mean > threshold:
            signal = -1.0
        elif mean < -threshold:
            signal = 1.0
        target[j] = signal if t >= window - 1.0 and lanes.nonzero[j] > 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def funding_rate_carry_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, funding_rate_carry_init, funding_rate_carry_step, shared)


@njit(cache=True, parallel=True)
def funding_rate_carry_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        funding_rate_carry_block(bars, params, sim, spans, out, rec, block, count, None)


class FundingRateCarry(FusedSeed):
    name = "funding_rate_carry"
    kind = "carry"
    min_bars = 20
    needs_funding = True
    genes = GeneSpace([Gene("window", 1, 48, "int", 8), Gene("threshold", 0.0, 0.001, "float", 0.00001)])
    description = "-sign(mean funding over window) when |mean| > threshold, else 0"
    kernel = funding_rate_carry_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[WINDOW]) - 1


SEED = FundingRateCarry()
