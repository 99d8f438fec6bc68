"""The Numba simulator equals the plain-Python reference of docs/simulation.md (tests/kernels/reference.py) on random
data: equity curve, every metric and every round trip to 1e-9 relative."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.kernels.conftest import REL_TOL, assert_curve_close, assert_metrics_close, price_paths
from tests.kernels.reference import reference_simulate
from workloads.kernels.driver import BarArrays, simulate_targets
from workloads.kernels.metrics import N_METRICS
from workloads.kernels.simulate import SimConfig

exposures = st.one_of(st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]), st.floats(-2.0, 2.0))
sims = st.builds(
    SimConfig,
    fee_rate=st.sampled_from([0.0, 0.0005, 0.001, 0.01]),
    slippage=st.sampled_from([0.0, 0.0002, 0.001, 0.01]),
    long_only=st.booleans(),
    rebalance_band=st.sampled_from([0.0, 0.1, 0.5]),
    bars_per_year=st.sampled_from([252.0, 8766.0]),
    initial_equity=st.sampled_from([1.0, 10_000.0]),
)


@st.composite
def scenarios(draw):
    open_, close = draw(price_paths(max_move=0.3))
    n = close.shape[0]
    targets = np.array(draw(st.lists(exposures, min_size=n, max_size=n)))
    trade_start = draw(st.integers(0, n - 1))
    rate = st.one_of(st.just(0.0), st.sampled_from([1e-4, -1e-4]), st.floats(-0.05, 0.05))
    funding = np.array(draw(st.one_of(st.just([0.0] * n), st.lists(rate, min_size=n, max_size=n))))
    return open_, close, targets, draw(sims), trade_start, funding


def simulate(open_, close, targets, sim: SimConfig, trade_start: int, funding):
    out = np.empty(N_METRICS)
    equity = np.empty(close.shape[0])
    bars = BarArrays(open_, open_, open_, close, np.zeros(close.shape[0]), funding)
    trips = simulate_targets(bars, targets, sim.kernel_args(), trade_start, out, equity, record_trips=True)
    return out, equity[trade_start:], trips


def reference(open_, close, targets, sim: SimConfig, trade_start: int, funding):
    return reference_simulate(
        open_,
        close,
        targets,
        fee_rate=sim.fee_rate,
        slippage=sim.slippage,
        long_only=sim.long_only,
        rebalance_band=sim.rebalance_band,
        bars_per_year=sim.bars_per_year,
        initial_equity=sim.initial_equity,
        trade_start=trade_start,
        funding=funding,
    )


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_equity_curve_and_metrics_equal_the_reference(scenario):
    metrics, equity, _ = simulate(*scenario)
    expected = reference(*scenario)
    assert_curve_close(equity, expected.equity)
    assert_metrics_close(metrics, expected.metrics)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_round_trips_equal_the_reference(scenario):
    _, _, trips = simulate(*scenario)
    expected = reference(*scenario).trips
    assert trips.shape[0] == len(expected)
    for row, trip in zip(trips, expected, strict=True):
        assert (row["entry_bar"], row["exit_bar"], row["direction"]) == (trip.entry_bar, trip.exit_bar, trip.direction)
        for column, want in (("entry_price", trip.entry_price), ("units", trip.units), ("fees", trip.fees)):
            assert math.isclose(row[column], want, rel_tol=REL_TOL, abs_tol=1e-12), (column, row[column], want)
        # pnl is a difference of equities: its rounding noise scales with the equity, not with the pnl
        assert math.isclose(row["pnl"], trip.pnl, rel_tol=REL_TOL, abs_tol=1e-12 * abs(trip.basis)), (row["pnl"], trip)
        if trip.exit_bar >= 0:
            assert math.isclose(row["exit_price"], trip.exit_price, rel_tol=REL_TOL)
