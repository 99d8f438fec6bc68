"""Funding is a cash flow (docs/simulation.md#funding): the units held over a bar pay ``units x close x rate`` at its
close, long pays a positive rate and short receives it, and ``funding_pnl`` reports the sum."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.kernels.conftest import HOUR_NS
from workloads.data.bars import Bars
from workloads.kernels.driver import BarArrays, simulate_targets
from workloads.kernels.metrics import METRIC_NAMES, N_METRICS
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

PRICE = 250.0
RATE = 1e-4
BARS = 48
FEE = 0.001


def flat(n: int, rate: float) -> BarArrays:
    prices = np.full(n, PRICE)
    return BarArrays(prices, prices, prices, prices, np.ones(n), np.full(n, rate))


def replay(bars: BarArrays, target: float, fee_rate: float = FEE) -> tuple[dict[str, float], np.ndarray]:
    out = np.empty(N_METRICS)
    sim = SimConfig(fee_rate, 0.0, False, 0.0, 8766.0)
    trips = simulate_targets(
        bars, np.full(bars.close.shape[0], target), sim.kernel_args(), 0, out, np.empty(0), record_trips=True
    )
    return dict(zip(METRIC_NAMES, out, strict=True)), trips


def stream(units: float, held_bars: int, rate: float) -> float:
    """What ``units`` held over ``held_bars`` closes at PRICE receive (+) or pay (-), summed bar by bar."""
    total = 0.0
    for _ in range(held_bars):
        total -= units * PRICE * rate
    return total


def test_a_short_position_on_flat_prices_earns_exactly_the_funding_stream_minus_its_fees():
    metrics, trips = replay(flat(BARS, RATE), -1.0)
    units = -1.0 / PRICE  # all equity, sold at the open of bar 1 and held over bars 1 .. BARS-1
    assert metrics["funding_pnl"] == stream(units, BARS - 1, RATE) > 0.0
    fees = trips["fees"].sum()
    assert math.isclose(metrics["final_equity"], 1.0 - fees + metrics["funding_pnl"], rel_tol=1e-14)


def test_a_long_position_pays_the_funding_stream():
    metrics, trips = replay(flat(BARS, RATE), 1.0)
    assert metrics["funding_pnl"] == stream(1.0 / PRICE, BARS - 1, RATE) < 0.0
    assert math.isclose(metrics["final_equity"], 1.0 - trips["fees"].sum() + metrics["funding_pnl"], rel_tol=1e-14)


def test_a_negative_rate_pays_shorts_to_longs():
    long_metrics, _ = replay(flat(BARS, -RATE), 1.0, fee_rate=0.0)
    short_metrics, _ = replay(flat(BARS, -RATE), -1.0, fee_rate=0.0)
    assert long_metrics["funding_pnl"] > 0.0 > short_metrics["funding_pnl"]
    assert long_metrics["final_equity"] == pytest.approx(1.0 + long_metrics["funding_pnl"], rel=1e-14)


def test_a_flat_book_pays_no_funding():
    metrics, _ = replay(flat(BARS, RATE), 0.0)
    assert metrics["funding_pnl"] == 0.0
    assert metrics["final_equity"] == 1.0


def test_funding_lands_at_the_close_on_the_units_held_after_that_open():
    # Long from the open of bar 1, flat again from the open of bar 3: bars 1 and 2 are paid, bar 3 is not.
    bars = flat(6, RATE)
    targets = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    out = np.empty(N_METRICS)
    equity = np.empty(6)
    simulate_targets(bars, targets, SimConfig(0.0, 0.0, False, 0.0, 8766.0).kernel_args(), 0, out, equity)
    paid = PRICE * RATE / PRICE  # units 1/PRICE at PRICE
    np.testing.assert_allclose(
        equity, [1.0, 1.0 - paid, 1.0 - 2 * paid, 1.0 - 2 * paid, 1.0 - 2 * paid, 1.0 - 2 * paid]
    )
    assert out[METRIC_NAMES.index("funding_pnl")] == pytest.approx(-2 * paid, rel=1e-15)


def test_funding_large_enough_to_wipe_out_equity_is_ruin():
    metrics, _ = replay(flat(BARS, 0.6), 1.0, fee_rate=0.0)
    assert metrics["final_equity"] == 0.0
    assert metrics["max_drawdown"] == 1.0


def test_bars_without_funding_rates_report_zero_funding_pnl():
    metrics, _ = replay(flat(BARS, 0.0), -1.0)
    assert metrics["funding_pnl"] == 0.0


def hourly_flat_bars(n: int, rate: float) -> Bars:
    prices = np.full(n, PRICE)
    ts = 1_700_000_000 * 1_000_000_000 + np.arange(n, dtype=np.int64) * HOUR_NS
    return Bars.from_arrays(ts, prices, prices, prices, prices, np.ones(n), funding_rate=np.full(n, rate))


def test_the_carry_seed_short_a_positive_rate_earns_the_stream_minus_its_fees():
    seed = get_seed("funding_rate_carry")
    bars = hourly_flat_bars(BARS, RATE)
    params = seed.genes.row({"window": 4, "threshold": RATE / 2})
    result = seed.run(bars, params, SimConfig(FEE, 0.0, False, 0.0, 8766.0))
    [trade] = result.trades
    assert trade.direction == -1
    held = BARS - 4  # decided on the close of bar window-1 = 3, short from the open of bar 4 to the end
    assert result.metrics["funding_pnl"] == stream(-trade.units, held, RATE) > 0.0
    fees = FEE * trade.units * trade.entry_price
    assert math.isclose(result.metrics["final_equity"], 1.0 - fees + result.metrics["funding_pnl"], rel_tol=1e-14)


def test_evaluate_and_run_report_the_same_funding_pnl():
    seed = get_seed("ema_crossover")
    rng = np.random.default_rng(5)
    n = 400
    close = PRICE * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    ts = 1_700_000_000 * 1_000_000_000 + np.arange(n, dtype=np.int64) * HOUR_NS
    bars = Bars.from_arrays(
        ts, close, close * 1.01, close * 0.99, close, np.ones(n), funding_rate=rng.normal(0, 1e-3, n)
    )
    sim = SimConfig(FEE, 0.0005, False, 0.0, 8766.0)
    params = np.array([[5.0, 20.0], [8.0, 30.0], [3.0, 11.0]])
    population = seed.evaluate(bars, params, sim)
    for row, metrics in zip(params, population, strict=True):
        assert np.array_equal(seed.run(bars, row, sim).metric_row(), metrics)
    assert np.all(population[:, METRIC_NAMES.index("funding_pnl")] != 0.0)
