"""The simulator of docs/simulation.md: the accounts of a block of individuals and the steps the driver
(``workloads.kernels.driver``) applies to them bar by bar.

Convention (one, everywhere):

- A strategy emits a **target exposure** ``e_t`` (fraction of equity, sign = direction) from data up to and including
  the close of bar ``t``. It is executed at the **open of bar t+1**; the target of the last bar is never executed.
- Execution trades to ``units = e_t * equity_at_open / open`` at the fill price ``open * (1 + slippage * sign(trade))``
  and pays ``fee_rate * |units traded| * fill price``. Between fills the number of units is held fixed.
- A new target is executed when it differs from the held one **and** either its direction differs (long / flat /
  short, so every entry, exit and reversal is always executed) or it moves by more than ``rebalance_band``
  (``|e_t - e_held| > band``). With ``band = 0`` every change is executed.
- ``long_only`` turns short targets into flat ones.
- **Funding** (docs/simulation.md#funding): at the close of bar ``t`` the units held over the bar pay
  ``units * close[t] * funding[t]`` from cash (long pays a positive rate, short receives it; a negative rate reverses
  both), before equity is marked. The sum of what was received minus paid is the ``funding_pnl`` metric.
- Equity is marked to market at every close. Equity that reaches zero or less — at an open before the fill, or at a
  close — is **ruin**: the position is gone, equity is 0 for every later bar and no further trade happens.
- ``trade_start = s``: indicators run from bar 0, but targets are forced to 0 on closes ``t < s`` (so the first fill
  can happen at the open of ``s + 1``); the equity curve and every metric cover the closes of bars ``s .. n-1``, and
  the curve starts at ``initial_equity`` at the close of ``s``.

Layout (structure of arrays): an :data:`ACCOUNTS` record holds one named field per quantity, each an array of
:data:`BLOCK` lanes, one lane per individual of a block. :func:`close_block` — funding, marking, the metric
accumulators and the decision for the next open — is a branch-free pass over the lanes that LLVM turns into SIMD
code (every field sits at a constant offset from one base, so no aliasing check is needed; the kernels are
compiled with ``error_model="numpy"`` so a division carries no zero check). Fills are usually rare and branchy
(round-trip accounting), so :func:`fill_block` visits only the lanes with a target pending, one at a time, but
on a bar with a rebalance (rules that size their exposure fill nearly every bar) it fills them all in one vector
pass, round trips included.

Settings reach the kernels as ``sim``, a :class:`SimArgs` named tuple of scalars (``sim.fee_rate``, ...): the
public :class:`SimConfig` validates them and makes it (:meth:`SimConfig.kernel_args`).

Records are views: a Numba record does not keep its array alive (Numba frees an array after the last use of its
variable), so blocks travel as one-element record arrays and each function takes its record with ``[0]`` inside.

Returns are accumulated as shifted sums ``sum_d = sum(r - shift)``, ``sum_d2 = sum((r - shift) ** 2)`` with ``shift``
the first non-zero return: the variance stays accurate when returns barely vary. ``ruined`` is 0.0 / 1.0;
``ruin_bar``/``ruin_price`` remember a ruin at a close until the next fill step (or the finish) records it.
Round trips are recorded, for lane 0 only, into a ``trips`` array of :data:`TRIP` records when it has any (the
one-individual path of ``Seed.run``); the population path passes an empty one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import literal_unroll, njit

from workloads.kernels.metrics import METRIC_NAMES, finish_metrics

BLOCK = 64
"""Individuals per block: the lanes of one :data:`ACCOUNTS` record, and one ``prange`` task of the driver."""

ACCOUNT_FIELDS = (
    "cash",
    "units",
    "held",
    "pending",
    "equity",
    "ruined",
    "ruin_bar",
    "ruin_price",
    "peak",
    "trough",
    "max_dd",
    "shift",
    "sum_d",
    "sum_d2",
    "sum_down2",
    "in_market",
    "funding_pnl",
    "entries",
    "closed",
    "wins",
    "gross_profit",
    "gross_loss",
    "turnover",
    "trip_basis",
    "trip_fees",
    "n_trips",
)


def lanes_dtype(names: tuple[str, ...]) -> np.dtype:
    """A record type with one float64 array of :data:`BLOCK` lanes per name (a block's structure of arrays)."""
    return np.dtype([(name, np.float64, (BLOCK,)) for name in names])


ACCOUNTS = lanes_dtype(ACCOUNT_FIELDS)
"""The accounts of one block: ``equity`` is the equity at the last close; ``held`` the target last executed and
``pending`` the one to execute at the next open; the ``entries`` .. ``n_trips`` fields are the round-trip ledger."""

TRIP_FIELDS = ("entry_bar", "exit_bar", "direction", "entry_price", "exit_price", "units", "pnl", "fees")

TRIP = np.dtype([(name, np.float64) for name in TRIP_FIELDS])
"""One recorded round trip, an element of a ``trips`` array; every field is float64, as in :data:`ACCOUNTS`.
``entry_bar``/``exit_bar`` are bar indices (``exit_bar = -1`` and ``exit_price`` NaN while the trip is open),
``direction`` is +1 or -1, ``units`` and ``entry_price`` those of the opening fill, ``pnl`` and ``fees`` the whole
trip's (docs/simulation.md#round-trips)."""

SCRATCH = 1e-10
"""A closed trip whose |pnl| is at most this fraction of the equity it started from is a scratch: float rounding,
neither a win nor a loss (it still counts as a closed trip)."""


class SimArgs(NamedTuple):
    """The settings of a simulation as the kernels take them (the ``sim`` argument): :class:`SimConfig`'s fields,
    of fixed types so every call has one Numba signature. Made by :meth:`SimConfig.kernel_args`, which validates
    them."""

    fee_rate: float
    slippage: float
    long_only: bool
    rebalance_band: float
    bars_per_year: float
    initial_equity: float


@dataclass(frozen=True)
class SimConfig:
    """Execution costs and conventions of a simulation.

    - ``fee_rate``: fraction of traded notional paid per fill (0.001 = 10 bps; the CLI takes bps).
    - ``slippage``: fraction of the open added to (buys) or taken from (sells) the fill price (the CLI takes bps).
    - ``long_only``: short targets become flat.
    - ``rebalance_band``: a same-direction change of target exposure (fraction of equity) is executed only when it
      exceeds this; entries, exits and reversals always execute.
    - ``bars_per_year``: annualisation of sharpe, sortino and cagr (``workloads.data.calendar.infer_bars_per_year``).
    - ``initial_equity``: equity at the start of the curve; ``final_equity`` is in the same unit.
    """

    fee_rate: float
    slippage: float
    long_only: bool
    rebalance_band: float
    bars_per_year: float
    initial_equity: float = 1.0

    def __post_init__(self) -> None:
        rules = (
            ("fee_rate", self.fee_rate, 0.0 <= self.fee_rate < 1.0, "must be a fraction in [0, 1)"),
            ("slippage", self.slippage, 0.0 <= self.slippage < 1.0, "must be a fraction in [0, 1)"),
            ("rebalance_band", self.rebalance_band, self.rebalance_band >= 0.0, "must be >= 0"),
            ("bars_per_year", self.bars_per_year, self.bars_per_year > 0.0, "must be > 0"),
            ("initial_equity", self.initial_equity, self.initial_equity > 0.0, "must be > 0"),
        )
        for name, value, ok, rule in rules:
            if not (ok and np.isfinite(value)):
                raise ValueError(f"SimConfig.{name} = {value!r}: {rule}")

    def kernel_args(self) -> SimArgs:
        """The :class:`SimArgs` the kernels take: floats as Python floats and ``long_only`` as a bool, whatever
        numbers the config was built from (an ``int`` or a NumPy scalar would compile another specialisation)."""
        return SimArgs(
            float(self.fee_rate),
            float(self.slippage),
            bool(self.long_only),
            float(self.rebalance_band),
            float(self.bars_per_year),
            float(self.initial_equity),
        )


@njit(cache=True)
def open_accounts(block: np.ndarray, sim: SimArgs) -> None:
    """Make every account of ``block`` flat, holding ``initial_equity`` in cash, with no history."""
    accounts = block[0]
    for name in literal_unroll(ACCOUNT_FIELDS):
        accounts[name][:] = 0.0
    initial = sim.initial_equity
    accounts.cash[:] = initial
    accounts.equity[:] = initial
    accounts.peak[:] = initial
    accounts.trough[:] = initial
    accounts.ruin_bar[:] = -1.0


@njit(cache=True)
def new_accounts(sim: SimArgs) -> np.ndarray:
    """A block of flat accounts (a 1-element :data:`ACCOUNTS` array; the driver works on its record ``[0]``)."""
    block = np.empty(1, dtype=ACCOUNTS)
    open_accounts(block, sim)
    return block


@njit(cache=True, inline="always")
def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


@njit(cache=True)
def _open_trip(
    a, j: int, trips: np.ndarray, t: int, direction: float, price: float, units: float, basis: float, fee: float
) -> None:
    a.entries[j] += 1.0
    a.trip_basis[j] = basis
    a.trip_fees[j] = fee
    a.n_trips[j] += 1.0
    if j == 0 and trips.shape[0] > 0:
        trip = trips[int(a.n_trips[j]) - 1]
        trip.entry_bar = t
        trip.exit_bar = -1.0
        trip.direction = direction
        trip.entry_price = price
        trip.exit_price = np.nan
        trip.units = units


@njit(cache=True)
def _close_trip(a, j: int, trips: np.ndarray, t: float, price: float, exit_value: float, fee: float) -> None:
    pnl = exit_value - a.trip_basis[j]
    scratch = SCRATCH * abs(a.trip_basis[j])
    a.closed[j] += 1.0
    if pnl > scratch:
        a.wins[j] += 1.0
        a.gross_profit[j] += pnl
    elif pnl < -scratch:
        a.gross_loss[j] -= pnl
    if j == 0 and trips.shape[0] > 0:
        trip = trips[int(a.n_trips[j]) - 1]
        trip.exit_bar = t
        trip.exit_price = price
        trip.pnl = pnl
        trip.fees = a.trip_fees[j] + fee


@njit(cache=True)
def _wipe_out(a, j: int, trips: np.ndarray, bar: float, price: float) -> None:
    """Ruin at ``price`` on ``bar``: any open trip closes at zero value; the account stays flat at zero."""
    if a.units[j] != 0.0:
        _close_trip(a, j, trips, bar, price, 0.0, 0.0)
    a.cash[j] = 0.0
    a.units[j] = 0.0
    a.held[j] = 0.0
    a.pending[j] = 0.0
    a.ruined[j] = 1.0


@njit(cache=True)
def fill_lane(a, j: int, trips: np.ndarray, t: int, open_price: float, sim: SimArgs) -> None:
    """The fill step of lane ``j`` at the open of bar ``t`` (a target is pending): trade to it
    (docs/simulation.md#execution) with round-trip accounting, or record a ruin."""
    if a.ruined[j] != 0.0:
        _wipe_out(a, j, trips, a.ruin_bar[j], a.ruin_price[j])
        return
    units = a.units[j]
    cash = a.cash[j]
    equity = cash + units * open_price
    if equity <= 0.0:
        _wipe_out(a, j, trips, float(t), open_price)
        return
    target = a.pending[j]
    new_units = target * equity / open_price
    delta = new_units - units
    if delta != 0.0:
        traded = abs(delta)
        fill = open_price * (1.0 + sim.slippage * _sign(delta))
        notional = traded * fill
        fee = sim.fee_rate * notional
        cash -= delta * fill + fee
        a.turnover[j] += notional / equity
        old_dir = _sign(units)
        new_dir = _sign(new_units)
        if old_dir == new_dir:
            a.trip_fees[j] += fee
        else:
            basis = equity
            opening_fee = fee
            if old_dir != 0.0:
                share = abs(units) / traded
                basis = equity - (delta * (fill - open_price) + fee) * share
                opening_fee = fee - fee * share
                _close_trip(a, j, trips, float(t), fill, basis, fee * share)
            if new_dir != 0.0:
                _open_trip(a, j, trips, t, new_dir, fill, abs(new_units), basis, opening_fee)
    a.cash[j] = cash
    a.units[j] = new_units
    a.held[j] = target
    a.ruined[j] = 0.0


@njit(cache=True, inline="always")
def _holding(units: float) -> float:
    return 1.0 if units != 0.0 else 0.0


@njit(cache=True, inline="always")
def trade_lanes(a, lanes: int, t: int, open_price: float, sim: SimArgs, turns: bool) -> int:
    """The vector part of :func:`fill_block`: every pending fill that keeps the direction (a rebalance inside a
    trip, the frequent fill of rules that size their exposure) and, when ``turns``, every entry, exit and reversal
    with its round-trip accounting, exactly as :func:`fill_lane` computes them (and ``in_market`` as
    :func:`fill_block` counts it), as selects over all lanes. Returns how many pending fills are left to
    :func:`fill_lane`: ruins (and any NaN on the way, which :func:`fill_lane` handles as ever), and the turns
    when not ``turns``."""
    slippage = sim.slippage
    fee_rate = sim.fee_rate
    rest = 0
    for j in range(lanes):
        units = a.units[j]
        cash = a.cash[j]
        held = a.held[j]
        target = a.pending[j]
        equity = cash + units * open_price
        new_units = target * equity / open_price
        delta = new_units - units
        traded = abs(delta)
        fill = open_price * (1.0 + slippage * _sign(delta))
        notional = traded * fill
        fee = fee_rate * notional
        moved = delta != 0.0
        old_dir = _sign(units)
        new_dir = _sign(new_units)
        keeps = old_dir == new_dir
        filled = (target != held) & (a.ruined[j] == 0.0) & (equity > 0.0) & (delta == delta) & (keeps | turns)
        rest += (target != held) & ~filled
        if filled:
            share = abs(units) / traded  # a turn closing a position: the part of the trade (and fee) that closes it
            closes = ~keeps & (old_dir != 0.0)
            opens = ~keeps & (new_dir != 0.0)
            basis = equity - (delta * (fill - open_price) + fee) * share if closes else equity
            opening_fee = fee - fee * share if closes else fee
            trip_basis = a.trip_basis[j]
            pnl = basis - trip_basis
            scratch = SCRATCH * abs(trip_basis)
            wins = closes & (pnl > scratch)
            loses = closes & (pnl < -scratch)
            a.closed[j] += 1.0 if closes else 0.0
            a.wins[j] += 1.0 if wins else 0.0
            a.gross_profit[j] += pnl if wins else 0.0
            a.gross_loss[j] = a.gross_loss[j] - pnl if loses else a.gross_loss[j]
            a.entries[j] += 1.0 if opens else 0.0
            a.n_trips[j] += 1.0 if opens else 0.0
            a.trip_basis[j] = basis if opens else trip_basis
            trip_fees = a.trip_fees[j]
            kept_fees = trip_fees + fee if keeps else (opening_fee if opens else trip_fees)
            a.trip_fees[j] = kept_fees if moved else trip_fees
            a.cash[j] = cash - (delta * fill + fee) if moved else cash
            a.turnover[j] += notional / equity if moved else 0.0
            a.in_market[j] += t * (_holding(units) - _holding(new_units))
            a.units[j] = new_units
            a.held[j] = target
    return rest


VECTOR_TURNS = 4
"""Entries, exits and reversals due in a block from which :func:`trade_lanes` fills them as one vector pass instead
of :func:`fill_lane` lane by lane (fewer are cheaper visited one at a time)."""


@njit(cache=True, inline="always")
def fill_block(
    accounts: np.ndarray,
    width: int,
    trips: np.ndarray,
    t: int,
    open_price: float,
    sim: SimArgs,
    rebalance: bool,
    turns: bool,
) -> None:
    """Fill every lane of the block whose target is pending, at the open of bar ``t``. When the close counted a
    rebalance (``rebalance``: fills are frequent) or at least :data:`VECTOR_TURNS` entries, exits or reversals
    (``turns``: an EMA sweep's pairs crossing together), every fill but ruins runs as one vector pass
    (:func:`trade_lanes`); the turns only when ``trips`` records no round trips. The rest go lane by lane
    (:func:`fill_lane`, which fills any lane exactly as the vector pass does). ``in_market`` counts the closes with
    a position as events: a position opened at the open of ``t`` subtracts ``t``, one closed there adds ``t`` (and
    :func:`finish_block` adds the end for one still open), whole numbers, so exact in any order."""
    a = accounts[0]
    unrecorded = trips.shape[0] == 0
    vector = rebalance or (turns and unrecorded)
    if vector and trade_lanes(a, _padded(width), t, open_price, sim, unrecorded) == 0:
        return
    for j in range(width):
        if a.pending[j] != a.held[j]:
            before = a.units[j]
            fill_lane(a, j, trips, t, open_price, sim)
            a.in_market[j] += t * (_holding(before) - _holding(a.units[j]))


@njit(cache=True, inline="always")
def _direction_changes(decision: float, held: float) -> bool:
    """Whether ``decision`` and ``held`` differ in direction (long / flat / short), as ``_sign(a) != _sign(b)``
    written as two comparisons per side so a loop over lanes keeps it in mask registers."""
    return (decision > 0.0) != (held > 0.0) or (decision < 0.0) != (held < 0.0)


@njit(cache=True, inline="always")
def _decide(target: float, held: float, forced: bool, band: float) -> float:
    """The target to execute at the next open (docs/simulation.md#when-a-new-target-is-executed): ``target``, forced
    to 0 when ``forced``, replaces ``held`` when it differs in direction or by more than ``band``."""
    decision = 0.0 if forced else target
    # ``decision != held`` is implied: equal targets (0.0 and -0.0 included) keep direction and move by 0 <= band.
    return decision if _direction_changes(decision, held) or abs(decision - held) > band else held


@njit(cache=True, inline="always")
def decide_block(accounts: np.ndarray, width: int, target: np.ndarray, sim: SimArgs) -> tuple[bool, bool, bool]:
    """The close of ``trade_start`` itself: the accounts are flat and untouched (no fill can precede it, so no
    funding, no return, no exposure), so only the decision for the next open is taken. Returns whether a fill is
    due, whether any is a rebalance (never: every fill from flat is an entry) and whether the entries are left to
    :func:`fill_lane` (always: once per span)."""
    a = accounts[0]
    long_only = sim.long_only
    band = sim.rebalance_band
    due = 0
    for j in range(width):
        held = a.held[j]
        pending = _decide(target[j], held, target[j] < 0.0 and long_only, band)
        a.pending[j] = pending
        due += pending != held
    return due > 0, False, False


@njit(cache=True, inline="always")
def _padded(width: int) -> int:
    """``width`` rounded up to a whole number of 8-lane vectors (at most :data:`BLOCK`): the lanes past ``width``
    are flat accounts whose target stays 0, so a pass over them changes nothing and the loop has no scalar tail."""
    return min(BLOCK, (width + 7) // 8 * 8)


@njit(cache=True, inline="always")
def mark_lanes(a, lanes: int, close_price: float, rate: float, target: np.ndarray, sim: SimArgs) -> tuple:
    """The vector pass of :func:`close_block` over ``lanes`` lanes, at a close after ``trade_start``: funding,
    marking, the return sums, the trough and the decision. Returns the counts ``(due, rebalances, peaks, rare)``:
    lanes with a fill due, those among them keeping their direction (:func:`trade_lanes`), lanes at a new
    equity peak (:func:`peak_lanes`), lanes ruined here or with their first non-zero return (:func:`rare_lanes`).

    A ruined account holds no units and no cash from the open after its ruin on (the fill step wipes it out, and a
    ruin always makes that fill due), so funding and marking leave it at zero without a test on ``ruined``, and
    zero equity is the mark of ruin: it forces the decision to 0 and makes the return 0."""
    long_only = sim.long_only
    band = sim.rebalance_band
    due = 0
    rebalances = 0
    peaks = 0
    rare = 0
    for j in range(lanes):
        value = a.units[j] * close_price
        payment = value * rate
        cash = a.cash[j] - payment
        a.cash[j] = cash
        a.funding_pnl[j] -= payment
        equity = cash + value
        ruin = equity <= 0.0
        equity = 0.0 if ruin else equity
        previous = a.equity[j]
        r = equity / previous - 1.0 if previous > 0.0 else 0.0
        shift = a.shift[j]
        d = r - shift
        a.sum_d[j] += d
        a.sum_d2[j] += d * d
        down = min(r, 0.0)
        a.sum_down2[j] += down * down
        a.trough[j] = min(a.trough[j], equity)
        a.equity[j] = equity
        held = a.held[j]
        decision = 0.0 if ruin | ((target[j] < 0.0) & long_only) else target[j]
        turns = _direction_changes(decision, held)  # as in _decide, kept to tell rebalances from turns
        pending = decision if turns or abs(decision - held) > band else held
        a.pending[j] = pending
        changes = pending != held
        due += changes
        rebalances += changes & ~turns
        peaks += equity > a.peak[j]
        rare += (ruin & (previous > 0.0)) | ((shift == 0.0) & (r != 0.0))
    return due, rebalances, peaks, rare


@njit(cache=True, inline="always")
def peak_lanes(a, lanes: int) -> None:
    """The drawdown at a close where some lane reached a new equity peak: the trough since the previous peak (which
    :func:`mark_lanes` has kept) closes its drawdown, and peak and trough restart at the equity."""
    for j in range(lanes):
        equity = a.equity[j]
        peak = a.peak[j]
        trough = a.trough[j]
        if equity > peak:
            a.max_dd[j] = max(a.max_dd[j], 1.0 - trough / peak)
            a.peak[j] = equity
            a.trough[j] = equity


@njit(cache=True)
def rare_lanes(a, lanes: int, t: int, close_price: float, earlier: float) -> None:
    """What :func:`mark_lanes` counted as rare, lane by lane. A ruin at this close (equity 0, not yet ruined) is
    remembered (``held = -1`` forces the next fill step, which records it, to flat). A lane's first non-zero
    return ``r`` becomes its ``shift``: the ``earlier`` zero returns then each count ``-shift`` (the pass added
    ``r - 0`` to sums that were exactly 0, so ``sum_d`` holds ``r``)."""
    for j in range(lanes):
        if a.equity[j] <= 0.0 and a.ruined[j] == 0.0:
            a.ruined[j] = 1.0
            a.ruin_bar[j] = float(t)
            a.ruin_price[j] = close_price
            a.held[j] = -1.0
            a.pending[j] = 0.0
        if a.shift[j] == 0.0 and a.sum_d[j] != 0.0:
            r = a.sum_d[j]
            shift = r
            sum_d = -earlier * shift
            sum_d2 = earlier * shift * shift
            d = r - shift
            a.shift[j] = shift
            a.sum_d[j] = sum_d + d
            a.sum_d2[j] = sum_d2 + d * d


@njit(cache=True, inline="always")
def close_block(
    accounts: np.ndarray,
    width: int,
    t: int,
    close_price: float,
    rate: float,
    target: np.ndarray,
    sim: SimArgs,
    trade_start: int,
) -> tuple[bool, bool, bool]:
    """At the close of bar ``t > trade_start``, for every lane: pay or receive funding at ``rate`` on the units
    held, mark to market, accumulate the metrics, and take the decision ``target[j]`` for the open of ``t+1``
    (:func:`mark_lanes`, then :func:`peak_lanes` and :func:`rare_lanes` when a lane needs them). Returns whether
    any lane has a fill due, whether any of those keeps its direction (``fill_block``'s ``rebalance``) and whether
    at least :data:`VECTOR_TURNS` of them change it (``fill_block``'s ``turns``)."""
    a = accounts[0]
    lanes = _padded(width)
    due, rebalances, peaks, rare = mark_lanes(a, lanes, close_price, rate, target, sim)
    if peaks > 0:
        peak_lanes(a, lanes)
    turns = due - rebalances >= VECTOR_TURNS
    if rare > 0:
        rare_lanes(a, lanes, t, close_price, t - trade_start - 1.0)
        return True, rebalances > 0, turns
    return due > 0, rebalances > 0, turns


@njit(cache=True)
def finish_block(
    accounts: np.ndarray, width: int, trips: np.ndarray, n_bars: int, sim: SimArgs, trade_start: int, out: np.ndarray
) -> None:
    """After the last bar, for every lane: record a pending ruin, mark a trip still open (``pnl`` at the last close),
    and write the metrics row ``out[j]``."""
    a = accounts[0]
    curve_bars = n_bars - trade_start
    for j in range(width):
        a.in_market[j] += n_bars * _holding(a.units[j])
        if a.ruined[j] != 0.0 and a.units[j] != 0.0:
            _wipe_out(a, j, trips, a.ruin_bar[j], a.ruin_price[j])
        if j == 0 and trips.shape[0] > 0 and a.units[j] != 0.0:
            trip = trips[int(a.n_trips[j]) - 1]
            trip.pnl = a.equity[j] - a.trip_basis[j]
            trip.fees = a.trip_fees[j]
        finish_metrics(
            out[j],
            sim.initial_equity,
            a.equity[j],
            sim.bars_per_year,
            curve_bars - 1.0,
            a.shift[j],
            a.sum_d[j],
            a.sum_d2[j],
            a.sum_down2[j],
            max(a.max_dd[j], 1.0 - a.trough[j] / a.peak[j]),
            a.entries[j],
            a.closed[j],
            a.wins[j],
            a.gross_profit[j],
            a.gross_loss[j],
            a.in_market[j],
            a.turnover[j],
            curve_bars,
            a.funding_pnl[j],
        )


__all__ = [
    "ACCOUNTS",
    "BLOCK",
    "METRIC_NAMES",
    "SimArgs",
    "SimConfig",
    "TRIP",
    "TRIP_FIELDS",
    "close_block",
    "fill_block",
    "finish_block",
    "lanes_dtype",
    "new_accounts",
]
