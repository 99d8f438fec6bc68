"""The one simulation driver: every seed runs through :func:`drive`, supplying only its signal step
(docs/simulation.md#the-driver).

A seed is two flat Numba functions (as vectorbt's ``portfolio.nb`` takes an order function):

- ``init(bars, params, sim) -> state``: the indicator state of one block of individuals, ``params`` being that
  block's ``(width, genes)`` rows. Usually a one-element record array of :data:`~workloads.kernels.simulate.BLOCK`
  lanes per field (``workloads.kernels.simulate.lanes_dtype``), so the step's loop over lanes runs as SIMD code; it
  must be arrays (or a tuple of them), never a bare record, which would not keep its memory alive.
- ``step(state, bars, t, width, target)``: update the state with bar ``t`` (data up to its close only) and write
  each lane's target exposure ``target[j]`` for ``j < width``.

:func:`drive` runs one block of up to :data:`~workloads.kernels.simulate.BLOCK` individuals and, per bar: fills
the lanes with a target pending at the open, calls the step, then :func:`~workloads.kernels.simulate.close_block`
(funding, marking, metrics, the next decision) over all lanes. A seed module wires it up in two lines:

- ``<seed>_block(bars, params, sim, trade_start, out, rec, block)``: ``drive(..., block, init, step)`` with the
  seed's two functions (``drive`` is inlined, so the block function's arguments are arrays and tuples of arrays and
  Numba can cache it; a function taking other functions as arguments is never cached);
- ``<seed>_nb`` (:data:`KERNEL_SIGNATURE`): ``prange`` over :func:`blocks` calling the block function. The block
  function is called, not inlined, inside the ``prange``: Numba's parallel outlining of inlined code that reads
  named-tuple arguments loses the writes (seen on Numba 0.68: every target came out 0).

``rec`` (a :class:`Recorder`) stores, for a single individual (``Seed.run``), the rule's target and the equity at
every close and its round trips; the population path passes :data:`NO_RECORDER`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from workloads.kernels.simulate import (
    BLOCK,
    ENTRY_BAR,
    TRIP_FIELDS,
    close_block,
    fill_block,
    finish_block,
    new_accounts,
)

KERNEL_SIGNATURE = (
    "kernel(bars: BarArrays, params (n, g), sim (6,), trade_start: int, out (n, N_METRICS), rec: Recorder) -> None; "
    "writes each individual's metrics row into out and, for one individual, what rec has room for"
)


class BarArrays(NamedTuple):
    """The bars as the kernels take them: contiguous float64 arrays of equal length; ``funding`` is the funding
    rate paid over each bar (zeros when the data has none)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    funding: np.ndarray


class Recorder(NamedTuple):
    """What a one-individual run records: ``target`` (length n: the rule's target at each close, before the
    simulator forces warm-up/ruin/long-only zeros), ``equity`` (length n: the equity at each close) and ``trips``
    (rows of ``TRIP_FIELDS``, NaN until a trip is recorded in the next row: room for the round trips; n rows always
    suffice). Zero-length arrays record nothing."""

    target: np.ndarray
    equity: np.ndarray
    trips: np.ndarray


NO_RECORDER = Recorder(np.empty(0), np.empty(0), np.empty((0, TRIP_FIELDS)))
"""The recorder of the population path: nothing per bar is stored."""


def recorder(n_bars: int) -> Recorder:
    """A recorder with room for everything one individual does over ``n_bars`` bars."""
    return Recorder(np.zeros(n_bars), np.empty(n_bars), np.full((n_bars, TRIP_FIELDS), np.nan))


@njit(cache=True, inline="always")
def blocks(params: np.ndarray) -> int:
    """How many blocks of :data:`~workloads.kernels.simulate.BLOCK` individuals ``params`` rows make."""
    return (params.shape[0] + BLOCK - 1) // BLOCK


@njit(cache=True, inline="always")
def drive(bars, params, sim, trade_start, out, rec, block, init, step) -> None:
    """Simulate block ``block`` of the rows of ``params`` over ``bars`` with the seed ``(init, step)`` (see the
    module doc); writes the block's metrics rows into ``out``."""
    n = bars.close.shape[0]
    lo = block * BLOCK
    width = min(BLOCK, params.shape[0] - lo)
    accounts = new_accounts(sim)
    state = init(bars, params[lo : lo + width], sim)
    target = np.zeros(BLOCK)
    due = False
    for t in range(n):
        if due:
            fill_block(accounts, width, rec.trips, t, bars.open[t], sim)
        step(state, bars, t, width, target)
        if rec.target.shape[0] > 0:
            rec.target[t] = target[0]
        due = close_block(accounts, width, t, bars.close[t], bars.funding[t], target, sim, trade_start)
        if rec.equity.shape[0] > 0:
            rec.equity[t] = accounts[0].equity[0]
    finish_block(accounts, width, rec.trips, n, sim, trade_start, out[lo : lo + width])


@njit(cache=True)
def _replay_init(bars, params, sim):
    return params


@njit(cache=True)
def _replay_step(targets, bars, t, width, target) -> None:
    target[0] = targets[0, t]


@njit(cache=True, error_model="numpy")
def replay_nb(bars, targets, sim, trade_start, out, rec) -> None:
    """The driver over one recorded target series (``targets`` shape ``(1, n)``), as a seed whose step reads it."""
    drive(bars, targets, sim, trade_start, out, rec, 0, _replay_init, _replay_step)


def recorded_trips(trips: np.ndarray) -> np.ndarray:
    """The round trips a recorder's ``trips`` holds: its rows up to the first never written (ENTRY_BAR still NaN)."""
    unused = np.flatnonzero(np.isnan(trips[:, ENTRY_BAR]))
    return trips[: unused[0] if unused.size else trips.shape[0]]


def simulate_targets(
    bars: BarArrays, targets: np.ndarray, sim: np.ndarray, trade_start: int, out: np.ndarray, equity_rec: np.ndarray
) -> np.ndarray:
    """Simulate one target-exposure series ``targets`` (shape ``(n,)``, the rule's target at each close).

    The path of ``Seed.run`` and of seeds whose targets come from outside Numba (scikit-learn). Writes the metrics
    row ``out`` (shape ``(N_METRICS,)``) and, when ``equity_rec`` has length ``n``, the equity at each close;
    returns the round trips ``(count, TRIP_FIELDS)``."""
    n = bars.close.shape[0]
    rec = Recorder(np.empty(0), equity_rec, np.full((n, TRIP_FIELDS), np.nan))
    series = np.ascontiguousarray(targets, dtype=np.float64).reshape(1, n)
    replay_nb(bars, series, sim, int(trade_start), out.reshape(1, -1), rec)
    return recorded_trips(rec.trips)
