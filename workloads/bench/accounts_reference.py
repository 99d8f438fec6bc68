"""The accounts passes of ``genepool bench`` (:mod:`workloads.bench.accounts`): the current pass against the pass as
it was before it stored fewer fields per bar (docs/benchmarks.md#kernels). Nothing on the production path imports
this.

Both run the same trivial rule, :func:`hold_step` (each individual holds one fixed exposure from the first close:
one fill, then only the per-bar pass over the accounts), through a driver loop over the same bars and
individuals: :func:`hold_kernel` through the production :func:`~workloads.kernels.driver.drive`,
:func:`hold_reference_kernel` through a copy of the previous loop and its close step (:func:`reference_close_block`:
every account field loaded and stored on every bar, ruins, first returns and peaks handled inside the one pass,
exposure counted per bar).
:func:`workloads.bench.accounts.accounts_bench` times both in one process and checks that they give the same
metrics.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.kernels.driver import block_lanes, drive
from workloads.kernels.simulate import BLOCK, fill_lane, finish_block, new_accounts


@njit(cache=True)
def hold_init(bars, params, sim, shared):
    """The rule's state: each lane's exposure (``params[:, 0]``)."""
    return params[:, 0].copy()


@njit(cache=True, error_model="numpy")
def hold_step(exposure, bars, t, width, target) -> None:
    for j in range(width):
        target[j] = exposure[j]


@njit(cache=True, error_model="numpy")
def hold_block(bars, params, sim, spans, out, rec, block, count, shared):
    drive(bars, params, sim, spans, out, rec, block, count, hold_init, hold_step, shared)


@njit(cache=True, parallel=True)
def hold_kernel(bars, params, sim, spans, out, rec, count):
    """The hold rule through the production driver (``workloads.kernels.driver.KERNEL_SIGNATURE``)."""
    for block in prange(count):
        hold_block(bars, params, sim, spans, out, rec, block, count, None)


@njit(cache=True, inline="always")
def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


@njit(cache=True, inline="always")
def _reference_mark(units, cash, funding_pnl, ruined, ruin_bar, ruin_price, held, t, close_price, rate) -> tuple:
    """Funding, marking and a ruin at this close, as the previous pass did them (scalars in, scalars out)."""
    equity = 0.0
    if ruined == 0.0:
        payment = units * close_price * rate
        cash -= payment
        funding_pnl -= payment
        equity = cash + units * close_price
        if equity <= 0.0:
            equity = 0.0
            ruined = 1.0
            ruin_bar = float(t)
            ruin_price = close_price
            held = -1.0
    return equity, cash, funding_pnl, ruined, ruin_bar, ruin_price, held


@njit(cache=True, inline="always")
def _reference_sums(equity, previous, shift, sum_d, sum_d2, sum_down2, peak, trough, max_dd, earlier) -> tuple:
    """The return sums and the drawdown of one lane after ``trade_start``, as the previous pass did them."""
    r = equity / previous - 1.0 if previous > 0.0 else 0.0
    if shift == 0.0 and r != 0.0:
        shift = r
        sum_d = -earlier * shift
        sum_d2 = earlier * shift * shift
    d = r - shift
    sum_d += d
    sum_d2 += d * d
    down = min(r, 0.0)
    sum_down2 += down * down
    if equity > peak:
        max_dd = max(max_dd, 1.0 - trough / peak)
        peak = equity
        trough = equity
    else:
        trough = min(trough, equity)
    return shift, sum_d, sum_d2, sum_down2, peak, trough, max_dd


@njit(cache=True, inline="always")
def reference_close_block(accounts, width, t, close_price, rate, target, sim, trade_start) -> bool:
    """The previous close step: every field of every lane loaded and stored in one pass on every bar."""
    a = accounts[0]
    long_only = sim.long_only
    band = sim.rebalance_band
    started = t > trade_start
    counted = t >= trade_start
    earlier = t - trade_start - 1.0
    due = 0
    for j in range(width):
        units = a.units[j]
        equity, cash, funding_pnl, ruined, ruin_bar, ruin_price, held = _reference_mark(
            units,
            a.cash[j],
            a.funding_pnl[j],
            a.ruined[j],
            a.ruin_bar[j],
            a.ruin_price[j],
            a.held[j],
            t,
            close_price,
            rate,
        )
        shift, sum_d, sum_d2, sum_down2, peak, trough, max_dd = (
            a.shift[j],
            a.sum_d[j],
            a.sum_d2[j],
            a.sum_down2[j],
            a.peak[j],
            a.trough[j],
            a.max_dd[j],
        )
        if started:
            shift, sum_d, sum_d2, sum_down2, peak, trough, max_dd = _reference_sums(
                equity, a.equity[j], shift, sum_d, sum_d2, sum_down2, peak, trough, max_dd, earlier
            )
        in_market = a.in_market[j]
        if counted and units != 0.0:
            in_market += 1.0
        decision = target[j]
        if not counted or ruined != 0.0 or (decision < 0.0 and long_only):
            decision = 0.0
        pending = held
        if decision != held and (_sign(decision) != _sign(held) or abs(decision - held) > band):
            pending = decision
        if pending != held:
            due += 1
        a.cash[j], a.funding_pnl[j], a.equity[j], a.ruined[j], a.ruin_bar[j] = (
            cash,
            funding_pnl,
            equity,
            ruined,
            ruin_bar,
        )
        a.ruin_price[j], a.held[j], a.pending[j], a.shift[j], a.sum_d[j] = ruin_price, held, pending, shift, sum_d
        a.sum_d2[j], a.sum_down2[j], a.peak[j], a.trough[j], a.max_dd[j] = sum_d2, sum_down2, peak, trough, max_dd
        a.in_market[j] = in_market
    return due > 0


@njit(cache=True, error_model="numpy")
def hold_reference_block(bars, params, sim, spans, out, rec, block, count, shared):
    """The previous driver loop (one span, no recorder) with :func:`reference_close_block`."""
    lo, width = block_lanes(params.shape[0], block, count)
    if width == 0:
        return
    accounts = new_accounts(sim)
    exposure = hold_init(bars, params[lo : lo + width], sim, shared)
    target = np.zeros(BLOCK)
    due = False
    trade_start, end = spans[0, 0], spans[0, 1]
    for t in range(end):
        if due:
            a = accounts[0]
            for j in range(width):
                if a.pending[j] != a.held[j]:
                    fill_lane(a, j, rec.trips, t, bars.open[t], sim)
        hold_step(exposure, bars, t, width, target)
        due = reference_close_block(accounts, width, t, bars.close[t], bars.funding[t], target, sim, trade_start)
    a = accounts[0]
    for j in range(width):  # finish_block counts a position open at the end as held to it: counted here already
        a.in_market[j] -= end * (1.0 if a.units[j] != 0.0 else 0.0)
    finish_block(accounts, width, rec.trips, end, sim, trade_start, out[lo : lo + width, 0])


@njit(cache=True, parallel=True)
def hold_reference_kernel(bars, params, sim, spans, out, rec, count):
    """The hold rule through the previous accounts pass (one span)."""
    for block in prange(count):
        hold_reference_block(bars, params, sim, spans, out, rec, block, count, None)
