"""The fused seed kernels (signal + simulation + metrics in one pass) equal the reference: TA-Lib indicators, the rule
(docs/seeds.md), and the plain-Python simulator of docs/simulation.md — for whole random populations, with trade_start,
in parallel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.kernels.conftest import assert_curve_close, assert_metrics_close, bars_from_closes, price_paths
from tests.kernels.reference import ema_crossover_targets, reference_simulate, sma_trend_filter_targets
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

RULES = {"ema_crossover": ema_crossover_targets, "sma_trend_filter": sma_trend_filter_targets}
SIM = SimConfig(fee_rate=0.001, slippage=0.0005, long_only=False, rebalance_band=0.0, bars_per_year=8766.0)


def reference_for(name: str, bars, params_row, sim: SimConfig, trade_start: int):
    targets = RULES[name](bars.close, int(params_row[0]), int(params_row[1]))
    return reference_simulate(
        bars.open,
        bars.close,
        targets,
        fee_rate=sim.fee_rate,
        slippage=sim.slippage,
        long_only=sim.long_only,
        rebalance_band=sim.rebalance_band,
        bars_per_year=sim.bars_per_year,
        initial_equity=sim.initial_equity,
        trade_start=trade_start,
    )


@st.composite
def populations(draw, name: str):
    seed = get_seed(name)
    open_, close = draw(price_paths(min_bars=1, max_bars=120, max_move=0.05))
    unit = np.array(draw(st.lists(st.lists(st.floats(0, 1), min_size=2, max_size=2), min_size=1, max_size=6)))
    params, _ = seed.repair(seed.genes.decode(unit))
    trade_start = draw(st.integers(0, close.shape[0] - 1))
    long_only = draw(st.booleans())
    sim = SimConfig(fee_rate=0.001, slippage=0.0005, long_only=long_only, rebalance_band=0.0, bars_per_year=8766.0)
    return bars_from_closes(close, open_), params, sim, trade_start


@pytest.mark.parametrize("name", sorted(RULES))
def test_population_metrics_equal_the_reference(name):
    @settings(max_examples=150, deadline=None)
    @given(populations(name))
    def check(case):
        bars, params, sim, trade_start = case
        metrics = get_seed(name).evaluate(bars, params, sim, trade_start)
        for row, params_row in zip(metrics, params, strict=True):
            assert_metrics_close(row, reference_for(name, bars, params_row, sim, trade_start).metrics)

    check()


@pytest.mark.parametrize("name", sorted(RULES))
def test_run_path_equals_the_reference_and_the_population_path_bit_for_bit(name):
    @settings(max_examples=80, deadline=None)
    @given(populations(name))
    def check(case):
        bars, params, sim, trade_start = case
        seed = get_seed(name)
        population = seed.evaluate(bars, params, sim, trade_start)
        for i, params_row in enumerate(params):
            result = seed.run(bars, params_row, sim, trade_start)
            expected = reference_for(name, bars, params_row, sim, trade_start)
            assert_curve_close(result.equity, expected.equity)
            np.testing.assert_array_equal(result.metric_row(), population[i])
            assert len(result.trades) == len(expected.trips)

    check()


@pytest.mark.parametrize("name", sorted(RULES))
def test_targets_follow_the_rule_with_talib_indicators(name):
    rng = np.random.default_rng(3)
    bars = bars_from_closes(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 2_000))))
    seed = get_seed(name)
    for fast, slow in ((5, 20), (12, 26), (50, 200), (20, 21)):
        row = seed.genes.row({"fast": fast, "slow": slow})
        np.testing.assert_array_equal(seed.targets(bars, row), RULES[name](bars.close, fast, slow))


def test_a_large_population_in_parallel_equals_one_individual_at_a_time():
    rng = np.random.default_rng(11)
    bars = bars_from_closes(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 3_000))))
    seed = get_seed("ema_crossover")
    params, _ = seed.repair(seed.genes.decode(rng.random((64, 2))))
    together = seed.evaluate(bars, params, SIM, trade_start=500)
    one_by_one = np.vstack([seed.evaluate(bars, row[None, :], SIM, trade_start=500) for row in params])
    np.testing.assert_array_equal(together, one_by_one)


@pytest.mark.parametrize("long_only", [False, True])
def test_many_lanes_turning_on_one_bar_fill_as_each_lane_alone(long_only):
    # Fast EMAs against one slow EMA cross it on nearby bars: the block's fills come several at a time.
    rng = np.random.default_rng(5)
    bars = bars_from_closes(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 3_000))))
    seed = get_seed("ema_crossover")
    params = np.array([[fast, 60.0] for fast in range(5, 45)])
    sim = SimConfig(0.001, 0.0005, long_only, 0.0, 8766.0)
    together = seed.evaluate(bars, params, sim, trade_start=100)
    one_by_one = np.vstack([seed.evaluate(bars, row[None, :], sim, trade_start=100) for row in params])
    np.testing.assert_array_equal(together, one_by_one)
