"""``volatility_scaling`` (volatility, 20 bars): trend direction sized to a volatility target
(docs/seeds.md#volatility_scaling).

Raw target on the close of bar ``t``::

    sign(C[t] - SMA(close, trend)[t]) * min(max_leverage, target_vol / (realised_vol[t] * sqrt(bars_per_year)))

``realised_vol`` is the std (ddof=1) of the last ``vol_window`` log returns (``workloads.kernels.ta.realized_vol_1d``),
annualised with the simulation's ``bars_per_year`` (``sim.bars_per_year``) because ``target_vol`` is annual.
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

from workloads.kernels.driver import drive
from workloads.kernels.indicators import moments_lane, moments_resum, next_phase, sma_lane, window_tail
from workloads.kernels.simulate import lanes_dtype
from workloads.kernels.windows import moments_var
from workloads.seeds.base import FusedSeed
from workloads.seeds.genes import Gene, GeneSpace

VOL_WINDOW, TARGET_VOL, TREND, MAX_LEVERAGE, BAND = 0, 1, 2, 3, 4
STATE = lanes_dtype(
    (
        "vol_window",
        "target_vol",
        "trend",
        "max_leverage",
        "band",
        "warm",
        "annualise",
        "s1",
        "s2",
        "shift",
        "phase",
        "leaving_return",
        "total",
        "leaving_close",
        "position",
    )
)


@njit(cache=True)
def log_returns(close: np.ndarray) -> np.ndarray:
    """``log_return[t] = log(close[t] / close[t-1])``, 0 at bar 0: computed once per population (the kernel's
    ``shared``), each lane's rolling moments read them back."""
    log_return = np.zeros(close.shape[0])
    for t in range(1, close.shape[0]):
        log_return[t] = np.log(close[t] / close[t - 1])
    return log_return


@njit(cache=True)
def volatility_scaling_init(bars, params, sim, shared):
    """The lanes, and the population's log returns (``shared``, :func:`log_returns`)."""
    block = np.zeros(1, dtype=STATE)
    state = block[0]
    annualise = np.sqrt(sim.bars_per_year)
    for j in range(params.shape[0]):
        state.vol_window[j] = params[j, VOL_WINDOW]
        state.target_vol[j] = params[j, TARGET_VOL]
        state.trend[j] = params[j, TREND]
        state.max_leverage[j] = params[j, MAX_LEVERAGE]
        state.band[j] = params[j, BAND]
        state.warm[j] = max(params[j, TREND] - 1.0, params[j, VOL_WINDOW])
        state.annualise[j] = annualise
    return block, shared


@njit(cache=True, error_model="numpy")
def volatility_scaling_step(state, bars, t, width, target):
    block, log_return = state
    lanes = block[0]
    close = bars.close
    c = close[t]
    for j in range(width):  # the values leaving the windows (gathers, apart: the loops below vectorize)
        lanes.leaving_return[j] = window_tail(log_return, t - 1, lanes.vol_window[j])
        lanes.leaving_close[j] = window_tail(close, t, lanes.trend[j])
    if t >= 1:  # the (t-1)-th return enters the rolling moments (windows.moments_push, over the series itself)
        x = log_return[t]
        wraps = 0
        for j in range(width):
            n = lanes.vol_window[j]
            lanes.s1[j], lanes.s2[j], lanes.shift[j] = moments_lane(
                x, lanes.leaving_return[j], t - 1, n, lanes.s1[j], lanes.s2[j], lanes.shift[j]
            )
            phase = next_phase(lanes.phase[j], n)
            lanes.phase[j] = phase
            wraps += phase == 0.0
        for j in range(width if wraps > 0 else 0):  # a window that wrapped is re-summed (phase back at 0) ...
            if lanes.phase[j] == 0.0:
                if j > 0 and lanes.vol_window[j] == lanes.vol_window[j - 1]:  # ... once for lanes of equal windows
                    lanes.s1[j], lanes.s2[j], lanes.shift[j] = lanes.s1[j - 1], lanes.s2[j - 1], lanes.shift[j - 1]
                else:
                    lanes.s1[j], lanes.s2[j], lanes.shift[j] = moments_resum(log_return, t, int(lanes.vol_window[j]))
    for j in range(width):  # the SMA and the rule, as selects (no branch: the loop runs as SIMD code)
        sma, lanes.total[j] = sma_lane(lanes.total[j], c, lanes.leaving_close[j], lanes.trend[j])
        vol = np.sqrt(moments_var(lanes.s1[j], lanes.s2[j], lanes.vol_window[j], 1)) * lanes.annualise[j]
        max_leverage = lanes.max_leverage[j]
        scaled = lanes.target_vol[j] / vol
        size = scaled if (vol > 0.0) & (scaled < max_leverage) else max_leverage
        raw = size if c > sma else (-size if c < sma else 0.0)
        position = lanes.position[j]
        same_direction = (
            ((raw > 0.0) & (position > 0.0)) | ((raw < 0.0) & (position < 0.0)) | ((raw == 0.0) & (position == 0.0))
        )
        moves = (t >= lanes.warm[j]) & (~same_direction | (abs(raw - position) > lanes.band[j]))
        position = raw if moves else position
        lanes.position[j] = position
        target[j] = position


@njit(cache=True, error_model="numpy")
def volatility_scaling_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, volatility_scaling_init, volatility_scaling_step, shared)


@njit(cache=True, parallel=True)
def volatility_scaling_kernel(bars, params, sim, spans, out, rec, count):
    """Population kernel (``workloads.kernels.driver.KERNEL_SIGNATURE``). The rows run in the order of their
    ``vol_window`` (a stable sort, results written back to their own rows), so equal windows share a block and
    neighbour lanes, where the step re-sums a wrapped window once for all of them; every lane computes what it
    would alone (bit-identical in any order)."""
    log_return = log_returns(bars.close)
    order = np.argsort(params[:, VOL_WINDOW], kind="mergesort")
    grouped = params[order]
    ordered = np.empty_like(out)
    for block in prange(count):
        volatility_scaling_block(bars, grouped, sim, spans, ordered, rec, block, count, log_return)
    out[order] = ordered


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
    kernel = volatility_scaling_kernel

    def lookback(self, params_row: np.ndarray) -> int:
        return max(int(params_row[TREND]) - 1, int(params_row[VOL_WINDOW]))


SEED = VolatilityScaling()
