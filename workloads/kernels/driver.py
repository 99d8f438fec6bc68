"""The one simulation driver: every seed runs through :func:`drive`, supplying only its signal step
(docs/simulation.md#the-driver).

A seed is two flat Numba functions (as vectorbt's ``portfolio.nb`` takes an order function):

- ``init(bars, params, sim, shared) -> state``: the indicator state of one block of individuals, ``params`` being
  that block's ``(width, genes)`` rows and ``shared`` what the population kernel computed once for every block (a
  series derived from the bars, such as log returns; ``None`` for seeds that need none). Usually a one-element
  record array of :data:`~workloads.kernels.simulate.BLOCK` lanes per field (``workloads.kernels.simulate.
  lanes_dtype``), so the step's loop over lanes runs as SIMD code; it must be arrays (or a tuple of them), never a
  bare record, which would not keep its memory alive.
- ``step(state, bars, t, width, target)``: update the state with bar ``t`` (data up to its close only) and write
  each lane's target exposure ``target[j]`` for ``j < width``.

:func:`drive` runs one block of up to :data:`~workloads.kernels.simulate.BLOCK` individuals and, per bar: fills
the lanes with a target pending at the open, calls the step, then :func:`~workloads.kernels.simulate.close_block`
(funding, marking, metrics, the next decision) over all lanes. A seed module wires it up in two lines:

- ``<seed>_block(bars, params, sim, spans, out, rec, block, count, shared)``: ``drive(..., block, count, init, step,
  shared)`` with the seed's two functions (``drive`` is inlined, so the block function's arguments are arrays and
  tuples of arrays and Numba can cache it; a function taking other functions as arguments is never cached);
- ``<seed>_kernel`` (:data:`KERNEL_SIGNATURE`): computes ``shared`` once (per population, not per block), then
  ``prange`` over the ``count`` blocks calling the block function. The block function is called, not inlined,
  inside the ``prange``: Numba's parallel outlining of inlined code that reads named-tuple arguments loses the
  writes (seen on Numba 0.68: every target came out 0).

``rec`` (a :class:`Recorder`) stores, for a single individual (``Seed.run``), the rule's target and the equity at
every close and its round trips; the population path passes :data:`NO_RECORDER`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import get_num_threads, njit

from workloads.kernels.simulate import (
    BLOCK,
    TRIP,
    SimArgs,
    close_block,
    decide_block,
    fill_block,
    finish_block,
    new_accounts,
    open_accounts,
)

KERNEL_SIGNATURE = (
    "kernel(bars: BarArrays, params (n, g), sim: SimArgs, spans int64 (k, 2), out (n, k, N_METRICS), rec: Recorder, "
    "count: blocks(n)) -> None; writes each individual's metrics row per span into out and, for one individual, "
    "what rec has room for"
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
    (:data:`~workloads.kernels.simulate.TRIP` records, NaN until a trip is recorded there: room for the round
    trips; n always suffice). Zero-length arrays record nothing."""

    target: np.ndarray
    equity: np.ndarray
    trips: np.ndarray


NO_RECORDER = Recorder(np.empty(0), np.empty(0), np.empty(0, dtype=TRIP))
"""The recorder of the population path: nothing per bar is stored."""


def blocks(n: int) -> int:
    """How many blocks ``n`` rows are cut into (the kernel's ``count``): enough for at most
    :data:`~workloads.kernels.simulate.BLOCK` individuals each, rounded up to a multiple of the Numba threads so
    every thread gets the same share (e.g. 170 rows on 2 threads: 4 blocks of 43 or 42, not 64 + 64 + 42). Computed
    outside the kernels: a kernel that asks Numba for its thread count cannot be cached."""
    threads = get_num_threads()
    count = (n + BLOCK - 1) // BLOCK
    count = (count + threads - 1) // threads * threads
    return min(count, n)


@njit(cache=True, inline="always")
def block_lanes(n: int, block: int, count: int) -> tuple[int, int]:
    """``(first row, rows)`` of block ``block`` of ``count`` over ``n`` rows (rows may be 0 for trailing blocks).
    Blocks hold a whole number of 8-lane vectors where they can (the last takes the rest), so no lane loop ends
    in a scalar tail; no block is wider than an even cut rounded up to 8 lanes, so no thread gets more work."""
    width = ((n + count - 1) // count + 7) // 8 * 8
    lo = block * width
    return lo, max(0, min(width, n - lo))


@njit(cache=True, inline="always")
def drive(bars, params, sim, spans, out, rec, block, count, init, step, shared) -> None:
    """Simulate block ``block`` of ``count`` of the rows of ``params`` with the seed ``(init, step)`` (see the
    module doc) over each span ``(start, end)`` of ``spans`` (int64, shape ``(k, 2)``, sorted and not overlapping:
    ``start < end <= next start``), writing the metrics row of row ``i`` on span ``s`` into ``out[i, s]``.

    Span ``s`` is exactly what a run over bars ``0 .. end - 1`` with ``trade_start = start`` gives: the rule runs
    once from bar 0 to the last end, and the accounts are opened afresh (flat, ``initial_equity``) after each span
    finishes, so walk-forward segments cost one pass over the bars, not one pass per segment."""
    lo, width = block_lanes(params.shape[0], block, count)
    if width == 0:
        return
    accounts = new_accounts(sim)
    state = init(bars, params[lo : lo + width], sim, shared)
    target = np.zeros(BLOCK)
    due = False
    rebalance = False
    turns = False
    k = 0
    trade_start = spans[0, 0]
    end = spans[0, 1]
    for t in range(spans[spans.shape[0] - 1, 1]):
        if due:
            fill_block(accounts, width, rec.trips, t, bars.open[t], sim, rebalance, turns)
        step(state, bars, t, width, target)
        if rec.target.shape[0] > 0:
            rec.target[t] = target[0]
        if t > trade_start:
            due, rebalance, turns = close_block(
                accounts, width, t, bars.close[t], bars.funding[t], target, sim, trade_start
            )
        elif t == trade_start:
            due, rebalance, turns = decide_block(accounts, width, target, sim)
        if rec.equity.shape[0] > 0:
            rec.equity[t] = accounts[0].equity[0]
        if t == end - 1:
            finish_block(accounts, width, rec.trips, end, sim, trade_start, out[lo : lo + width, k])
            k += 1
            if k < spans.shape[0]:
                open_accounts(accounts, sim)
                due = False
                trade_start = spans[k, 0]
                end = spans[k, 1]


@njit(cache=True)
def _replay_init(bars, params, sim, shared):
    return params


@njit(cache=True)
def _replay_step(targets, bars, t, width, target) -> None:
    target[0] = targets[0, t]


@njit(cache=True, error_model="numpy")
def replay_kernel(bars, targets, sim, spans, out, rec) -> None:
    """The driver over one recorded target series (``targets`` shape ``(1, n)``), as a seed whose step reads it."""
    drive(bars, targets, sim, spans, out, rec, 0, 1, _replay_init, _replay_step, None)


def one_span(trade_start: int, n_bars: int) -> np.ndarray:
    """The ``spans`` argument of one run over ``n_bars`` bars from ``trade_start``."""
    return np.array([[int(trade_start), int(n_bars)]], dtype=np.int64)


def recorded_trips(trips: np.ndarray) -> np.ndarray:
    """The round trips a recorder's ``trips`` holds: its records up to the first never written (``entry_bar`` still
    NaN)."""
    unused = np.flatnonzero(np.isnan(trips["entry_bar"]))
    return trips[: unused[0] if unused.size else trips.shape[0]]


def simulate_targets(
    bars: BarArrays,
    targets: np.ndarray,
    sim: SimArgs,
    trade_start: int,
    out: np.ndarray,
    equity_rec: np.ndarray,
    record_trips: bool = False,
) -> np.ndarray:
    """Simulate one target-exposure series ``targets`` (shape ``(n,)``, the rule's target at each close).

    The path of ``Seed.run`` and of seeds whose targets come from outside Numba (scikit-learn). Writes the metrics
    row ``out`` (shape ``(N_METRICS,)``) and, when ``equity_rec`` has length ``n``, the equity at each close;
    returns the round trips (:data:`~workloads.kernels.simulate.TRIP` records) when ``record_trips`` (room for
    ``n`` of them is allocated only then), else none."""
    n = bars.close.shape[0]
    trips = np.full(n, np.nan, dtype=TRIP) if record_trips else NO_RECORDER.trips
    rec = Recorder(np.empty(0), equity_rec, trips)
    series = np.ascontiguousarray(targets, dtype=np.float64).reshape(1, n)
    replay_kernel(bars, series, sim, one_span(trade_start, n), out.reshape(1, 1, -1), rec)
    return recorded_trips(trips)
