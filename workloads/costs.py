"""The one cost model of every path that simulates: ``backtest``, ``sweep``, the evolution's fitness (``evolve``), a
replay of a run's entry and the API's signals all build their :class:`~workloads.kernels.simulate.SimConfig` with
:func:`sim_config` (the evolution and the signals through
:meth:`~workloads.evolution.config.EvolutionConfig.sim_config`), so a strategy scores the same wherever it is
replayed (docs/simulation.md#costs).

- Fees: :data:`DEFAULT_FEE_BPS` basis points of traded notional per fill.
- Slippage: :data:`DEFAULT_SLIPPAGE_BPS` basis points of the open, against the trade, per fill.
- Funding has no switch: a position pays or receives the bars' ``funding_rate`` at every close whenever the data
  has that column (docs/simulation.md#funding), in every path alike.

This module imports only the standard library at load time (the CLI shows the defaults in its help without loading
Numba).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from workloads.kernels.simulate import SimConfig

DEFAULT_FEE_BPS = 10.0
"""Fee per fill, basis points of traded notional (10 bps = 0.1 %)."""
DEFAULT_SLIPPAGE_BPS = 5.0
"""Slippage per fill, basis points of the open price."""
BPS = 1e-4
"""One basis point as a fraction."""


def sim_config(
    bars_per_year: float | None,
    *,
    fee_bps: float = DEFAULT_FEE_BPS,
    slippage_bps: float = DEFAULT_SLIPPAGE_BPS,
    long_only: bool = False,
    rebalance_band: float = 0.0,
    timestamps: np.ndarray | None = None,
) -> SimConfig:
    """Simulation settings from costs in basis points (converted to the fractions the kernels take).
    ``bars_per_year`` ``None`` (or 0): inferred from ``timestamps`` (int64 ns UTC,
    :func:`workloads.data.calendar.infer_bars_per_year`), which must then be given."""
    from workloads.kernels.simulate import SimConfig

    if not bars_per_year:
        if timestamps is None:
            raise ValueError("bars_per_year is not set: give it, or the bars' timestamps to infer it from")
        from workloads.data.calendar import infer_bars_per_year

        bars_per_year = infer_bars_per_year(timestamps)
    return SimConfig(
        fee_rate=float(fee_bps) * BPS,
        slippage=float(slippage_bps) * BPS,
        long_only=bool(long_only),
        rebalance_band=float(rebalance_band),
        bars_per_year=float(bars_per_year),
    )
