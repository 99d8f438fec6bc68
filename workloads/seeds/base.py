"""The :class:`Seed` interface: a gene space plus a signal rule, evaluated over bars with the simulator
(docs/simulation.md).

Two ways to write a seed (one module in ``workloads/seeds/strategies/`` exposing ``SEED``; nothing else changes):

- :class:`FusedSeed`: the rule is a Numba signal step run by the one simulation driver
  (``workloads.kernels.driver``; the kernel's signature is its ``KERNEL_SIGNATURE``). ``evaluate`` calls it;
  ``run`` records the same kernel's targets and replays them through ``simulate_targets`` — the same driver, so a
  backtest reports bit for bit the metrics the evolution saw (the tests hold them to that).
- :class:`Seed` itself: implement :meth:`Seed.targets` (one individual's target exposure per bar, e.g. with
  scikit-learn); evaluation then simulates each individual's targets with ``simulate_targets``.

``trade_start = s`` (walk-forward segments, holdout): indicators run from bar 0, targets are forced to 0 on closes
``t < s``, and the equity curve and every metric cover bars ``s .. n-1`` (see ``workloads.kernels.simulate``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from workloads.data.bars import Bars
from workloads.data.calendar import infer_bars_per_year
from workloads.kernels.driver import NO_RECORDER, BarArrays, Recorder, blocks, one_span, simulate_targets
from workloads.kernels.metrics import METRIC_NAMES, N_METRICS
from workloads.kernels.simulate import SimConfig
from workloads.seeds.genes import GeneSpace


def bar_arrays(bars: Bars) -> BarArrays:
    """The arrays the kernels take (``funding`` zeros when the bars carry no funding rates)."""
    return BarArrays(bars.open, bars.high, bars.low, bars.close, bars.volume, bars.funding_or_zeros())


@dataclass(frozen=True)
class Trade:
    """One round trip. Times are int64 ns UTC (bar open times of the fills); ``exit_*`` are ``None`` while open.

    ``units`` and ``entry_price`` are those of the opening fill; ``pnl`` (equity after closing minus equity before
    opening, marked at the last close while open) and ``fees`` include every partial rebalance inside the trip.
    """

    entry_time: int
    exit_time: int | None
    direction: int
    entry_price: float
    exit_price: float | None
    units: float
    pnl: float
    fees: float


@dataclass(frozen=True)
class BacktestResult:
    """One individual's path over bars ``trade_start .. n-1``.

    ``exposure[i]`` is the target in force from the close of ``timestamp[i]`` (0 in warm-up and after ruin; short
    targets are 0 when long-only); ``equity[i]`` the equity at that close (the curve starts at ``initial_equity``).
    """

    seed: str
    params: dict[str, Any]
    timestamp: np.ndarray
    exposure: np.ndarray
    equity: np.ndarray
    metrics: dict[str, float]
    trades: list[Trade]

    def metric_row(self) -> np.ndarray:
        """The metrics as a ``(N_METRICS,)`` array in ``METRIC_NAMES`` order."""
        return np.array([self.metrics[name] for name in METRIC_NAMES], dtype=np.float64)


def _check_span(bars: Bars, trade_start: int) -> None:
    if len(bars) == 0:
        raise ValueError("no bars to evaluate")
    if not 0 <= trade_start < len(bars):
        raise ValueError(f"trade_start {trade_start} must be in 0..{len(bars) - 1} for {len(bars)} bars")


def _check_window(bars: Bars, start: int, end: int) -> None:
    if not 0 <= start < end <= len(bars):
        raise ValueError(f"span ({start}, {end}) must satisfy 0 <= start < end <= {len(bars)} (the bars)")


def _trades(bars: Bars, trips: np.ndarray) -> list[Trade]:
    out = []
    for trip in trips:
        closed = trip["exit_bar"] >= 0
        out.append(
            Trade(
                entry_time=int(bars.timestamp[int(trip["entry_bar"])]),
                exit_time=int(bars.timestamp[int(trip["exit_bar"])]) if closed else None,
                direction=int(trip["direction"]),
                entry_price=float(trip["entry_price"]),
                exit_price=float(trip["exit_price"]) if closed else None,
                units=float(trip["units"]),
                pnl=float(trip["pnl"]),
                fees=float(trip["fees"]),
            )
        )
    return out


class Seed:
    """A strategy seed. Subclasses set the class attributes and implement :meth:`targets` or use :class:`FusedSeed`.

    - ``name``: registry key; ``kind``: momentum / mean_reversion / volatility / trend / carry / ml.
    - ``min_bars``: the type floor (docs/seeds.md#readiness); ``optimal_bars``: ML seeds' optimal count, else ``None``.
    - ``genes``: the gene space; ``needs_funding``: the rule reads ``funding_rate``.
    - ``ordered_genes``: pairs ``(a, b)`` that must satisfy ``a < b`` (repaired by :meth:`repair`).
    - ``window_genes``: genes that are window lengths, for the default :meth:`lookback`.
    """

    name: ClassVar[str]
    kind: ClassVar[str]
    min_bars: ClassVar[int]
    optimal_bars: ClassVar[int | None] = None
    genes: ClassVar[GeneSpace]
    needs_funding: ClassVar[bool] = False
    ordered_genes: ClassVar[tuple[tuple[str, str], ...]] = ()
    window_genes: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def __repr__(self) -> str:
        return f"<seed {self.name}>"

    # -- parameters ---------------------------------------------------------------------------------------------
    def repair(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Make ``(n, g)`` parameters valid: clip to bounds, round discrete genes, then for each ordered pair
        ``(a, b)`` with ``a >= b``: swap them, and if equal move ``b`` up one step (or ``a`` down at ``b``'s bound).
        Returns ``(repaired copy, (n,) bool mask of rows that changed)``."""
        original = np.atleast_2d(np.asarray(params, dtype=np.float64))
        fixed = self.genes.clip(original)
        for a_name, b_name in self.ordered_genes:
            a, b = self.genes.index(a_name), self.genes.index(b_name)
            swap = fixed[:, a] > fixed[:, b]
            fixed[swap, a], fixed[swap, b] = fixed[swap, b], fixed[swap, a].copy()
            equal = fixed[:, a] == fixed[:, b]
            step = 1.0 if self.genes.genes[b].discrete else (self.genes.genes[b].high - self.genes.genes[b].low) * 1e-6
            can_raise = equal & (fixed[:, b] + step <= self.genes.genes[b].high)
            fixed[can_raise, b] += step
            fixed[equal & ~can_raise, a] -= step
        changed = np.any(fixed != original, axis=1)
        return fixed, changed

    def lookback(self, params_row: np.ndarray) -> int:
        """Warm-up bars: the index of the first close on which the rule is defined (every earlier bar emits 0).
        By default the longest of the ``window_genes`` minus one (a window of n bars is first full at bar n-1);
        seeds whose warm-up is something else override this."""
        if not self.window_genes:
            raise NotImplementedError(f"{self.name} names no window_genes and does not define lookback")
        return int(max(params_row[self.genes.index(name)] for name in self.window_genes)) - 1

    def min_bars_for(self, params_row: np.ndarray) -> int:
        """Bars this individual needs: the type floor, and at least its warm-up plus two bars to trade."""
        return max(self.min_bars, self.lookback(params_row) + 2)

    def bars_for_smallest_windows(self) -> int:
        """Bars the seed's cheapest individual needs (:meth:`min_bars_for` with every gene at its lower bound):
        with fewer, no individual can trade (docs/seeds.md#readiness)."""
        return self.min_bars_for(self.genes.bounds()[0])

    def bars_for_largest_windows(self) -> int:
        """Bars the seed's most demanding individual needs (:meth:`min_bars_for` with every gene at its upper
        bound, the largest windows): from there every individual the search may draw can trade."""
        return self.min_bars_for(self.genes.bounds()[1])

    def _params(self, params: np.ndarray) -> np.ndarray:
        p = np.ascontiguousarray(np.atleast_2d(np.asarray(params, dtype=np.float64)))
        if p.ndim != 2 or p.shape[1] != len(self.genes):
            raise ValueError(
                f"{self.name}: parameters must have shape (n, {len(self.genes)}) "
                f"for genes {self.genes.names}, got {p.shape}"
            )
        return p

    def _check_bars(self, bars: Bars, trade_start: int) -> None:
        _check_span(bars, trade_start)
        if self.needs_funding and not bars.has_funding:
            raise ValueError(f"{self.name} needs a funding_rate column, which {bars.source or 'the data'} lacks")

    # -- signal -------------------------------------------------------------------------------------------------
    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        """One individual's target exposure decided at each close, shape ``(n,)`` (0 in warm-up). Targets before
        ``start`` may be left 0 (a walk-forward model need not be fit for them); those from ``start`` on are exactly
        the ones a call with ``start = 0`` gives."""
        raise NotImplementedError

    # -- evaluation ---------------------------------------------------------------------------------------------
    def evaluate(self, bars: Bars, params: np.ndarray, sim: SimConfig, trade_start: int = 0) -> np.ndarray:
        """Metrics ``(n, N_METRICS)`` (``METRIC_NAMES`` order) for a population of parameters ``(n, g)``."""
        p = self._params(params)
        self._check_bars(bars, trade_start)
        out = np.empty((p.shape[0], N_METRICS))
        sim_args = sim.kernel_args()
        arrays = bar_arrays(bars)
        empty = np.empty(0)
        for i in range(p.shape[0]):
            simulate_targets(arrays, self._targets(bars, p[i], sim, trade_start), sim_args, trade_start, out[i], empty)
        return out

    def evaluate_spans(
        self, bars: Bars, params: np.ndarray, sim: SimConfig, spans: Sequence[tuple[int, int]]
    ) -> np.ndarray:
        """Metrics ``(n, len(spans), N_METRICS)``: span ``(start, end)`` is ``evaluate(bars.slice(0, end), params,
        sim, start)`` (walk-forward segments), bit for bit."""
        p = self._params(params)
        out = np.empty((p.shape[0], len(spans), N_METRICS))
        for k, (start, end) in enumerate(spans):
            _check_window(bars, start, end)
            out[:, k, :] = self.evaluate(bars.slice(0, end), p, sim, start)
        return out

    def _targets(self, bars: Bars, params_row: np.ndarray, sim: SimConfig, start: int) -> np.ndarray:
        """The targets ``evaluate`` and ``run`` simulate under ``sim`` (plain seeds' rules do not read it)."""
        targets = np.ascontiguousarray(self.targets(bars, params_row, start), dtype=np.float64)
        if targets.shape != (len(bars),):
            raise ValueError(f"{self.name}: targets must have shape ({len(bars)},), got {targets.shape}")
        return targets

    def run(self, bars: Bars, params_row: np.ndarray, sim: SimConfig, trade_start: int = 0) -> BacktestResult:
        """One individual's full path: exposure, equity curve, metrics and trade list (the numbers
        :meth:`evaluate` gives)."""
        p = self._params(params_row)
        if p.shape[0] != 1:
            raise ValueError(f"{self.name}: run takes one parameter row, got {p.shape[0]}")
        self._check_bars(bars, trade_start)
        out = np.empty(N_METRICS)
        equity = np.empty(len(bars))
        targets = self._targets(bars, p[0], sim, trade_start)
        trips = simulate_targets(
            bar_arrays(bars), targets, sim.kernel_args(), trade_start, out, equity, record_trips=True
        )
        equity = equity[trade_start:]
        exposure = targets[trade_start:]
        if sim.long_only:
            exposure = np.maximum(exposure, 0.0)
        exposure = np.where(equity == 0.0, 0.0, exposure)
        return BacktestResult(
            seed=self.name,
            params=self.genes.as_dict(p[0]),
            timestamp=bars.timestamp[trade_start:],
            exposure=exposure,
            equity=equity,
            metrics=dict(zip(METRIC_NAMES, map(float, out), strict=True)),
            trades=_trades(bars, trips),
        )


Kernel = Callable[..., None]


class FusedSeed(Seed):
    """A seed whose rule is a fused Numba population kernel (``kernel``, signature :data:`KERNEL_SIGNATURE`)."""

    kernel: ClassVar[Kernel]

    def _call(
        self, bars: Bars, params: np.ndarray, sim: SimConfig, spans: np.ndarray, out: np.ndarray, rec: Recorder
    ) -> None:
        type(self).kernel(bar_arrays(bars), params, sim.kernel_args(), spans, out, rec, blocks(params.shape[0]))

    def evaluate(self, bars: Bars, params: np.ndarray, sim: SimConfig, trade_start: int = 0) -> np.ndarray:
        p = self._params(params)
        self._check_bars(bars, trade_start)
        out = np.empty((p.shape[0], 1, N_METRICS))
        self._call(bars, p, sim, one_span(trade_start, len(bars)), out, NO_RECORDER)
        return out[:, 0, :]

    def evaluate_spans(
        self, bars: Bars, params: np.ndarray, sim: SimConfig, spans: Sequence[tuple[int, int]]
    ) -> np.ndarray:
        """As :meth:`Seed.evaluate_spans`, in one pass over the bars when the spans are in order and do not overlap
        (walk-forward segments): the rule runs once and the accounts reopen at each span (``workloads.kernels.
        driver.drive``); otherwise one pass per span."""
        windows = np.array(spans, dtype=np.int64).reshape(-1, 2)
        if windows.shape[0] == 0 or np.any(windows[1:, 0] < windows[:-1, 1]):
            return super().evaluate_spans(bars, params, sim, spans)
        p = self._params(params)
        for start, end in windows:
            _check_window(bars, int(start), int(end))
        bars = bars.slice(0, int(windows[-1, 1]))
        self._check_bars(bars, int(windows[0, 0]))
        out = np.empty((p.shape[0], windows.shape[0], N_METRICS))
        self._call(bars, p, sim, windows, out, NO_RECORDER)
        return out

    def _targets(self, bars: Bars, params_row: np.ndarray, sim: SimConfig, start: int) -> np.ndarray:
        """The rule's target at each close as the kernel computes it under ``sim`` (rules that annualise read
        ``sim.bars_per_year``); the rule runs from bar 0 whatever ``start`` is."""
        rec = Recorder(np.zeros(len(bars)), np.empty(0), NO_RECORDER.trips)
        self._call(bars, self._params(params_row), sim, one_span(0, len(bars)), np.empty((1, 1, N_METRICS)), rec)
        return rec.target

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        """The rule's target at each close, annualised (for rules that read it) by the bars' inferred
        ``bars_per_year`` — the default of every command."""
        bars_per_year = infer_bars_per_year(bars.timestamp) if len(bars) > 1 else 1.0
        return self._targets(bars, params_row, SimConfig(0.0, 0.0, False, 0.0, bars_per_year), start)
