"""The simulator (docs/simulation.md) on hand-computed cases: execution timing, fees, slippage, flips, the rebalance
band, ruin, warm-up, trade_start, constant prices and one-bar data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.kernels.conftest import bars_from_closes
from workloads.kernels.driver import BarArrays, simulate_targets
from workloads.kernels.metrics import DEVIATION_FLOOR, METRIC_NAMES, N_METRICS
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

OPEN = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
CLOSE = np.array([10.5, 11.5, 12.5, 13.5, 14.5])


def run(open_, close, targets, fee_rate=0.0, slippage=0.0, long_only=False, band=0.0, trade_start=0, initial=1.0):
    sim = SimConfig(fee_rate, slippage, long_only, band, 252.0, initial)
    out = np.empty(N_METRICS)
    equity = np.empty(len(close))
    open_, close = np.asarray(open_, float), np.asarray(close, float)
    bars = BarArrays(open_, open_, open_, close, np.zeros(len(close)), np.zeros(len(close)))
    trips = simulate_targets(
        bars, np.asarray(targets, float), sim.kernel_args(), trade_start, out, equity, record_trips=True
    )
    return dict(zip(METRIC_NAMES, out, strict=True)), equity[trade_start:], trips


def test_a_target_decided_at_a_close_is_filled_at_the_next_open():
    _, equity, trips = run(OPEN, CLOSE, [1, 1, 1, 1, 1])
    units = 1.0 / 11.0  # all equity at the open of bar 1
    np.testing.assert_allclose(equity, [1.0, units * 11.5, units * 12.5, units * 13.5, units * 14.5], rtol=1e-15)
    assert trips[0]["entry_bar"] == 1 and trips[0]["exit_bar"] == -1


def test_the_fee_is_a_fraction_of_traded_notional():
    metrics, equity, trips = run(OPEN, CLOSE, [1, 1, 1, 1, 1], fee_rate=0.01)
    units = 1.0 / 11.0
    assert equity[1] == pytest.approx(1.0 - units * 11.0 * 0.01 - 1.0 + units * 11.5, rel=1e-15)
    assert trips[0]["fees"] == pytest.approx(0.01, rel=1e-15)
    assert metrics["turnover"] == pytest.approx(1.0, rel=1e-15)


def test_slippage_moves_each_fill_against_its_trade():
    _, equity, trips = run(OPEN, CLOSE, [1, 1, 0, 0, 0], slippage=0.01)
    units = 1.0 / 11.0  # sized on the open, filled 1% above it
    cash = 1.0 - units * 11.0 * 1.01
    assert equity[1] == pytest.approx(cash + units * 11.5, rel=1e-15)
    assert trips[0]["exit_price"] == pytest.approx(13.0 * 0.99, rel=1e-15)  # the sell fills 1% below the open
    assert equity[3] == pytest.approx(cash + units * 13.0 * 0.99, rel=1e-15)


def test_units_are_held_fixed_between_fills():
    metrics, equity, _ = run(OPEN, CLOSE, [0.5, 0.5, 0.5, 0.5, 0.5], fee_rate=0.001)
    assert metrics["turnover"] == pytest.approx(0.5, rel=1e-15)  # one fill, no silent rebalancing
    units = 0.5 / 11.0
    assert equity[4] - equity[3] == pytest.approx(units * (14.5 - 13.5), rel=1e-12)


def test_a_long_to_short_flip_is_one_fill_closing_one_trip_and_opening_the_next():
    metrics, _, trips = run(OPEN, CLOSE, [1, -1, -1, -1, -1], fee_rate=0.001)
    assert metrics["trades"] == 2  # two entries
    assert (trips[0]["direction"], trips[0]["entry_bar"], trips[0]["exit_bar"]) == (1, 1, 2)
    assert (trips[1]["direction"], trips[1]["entry_bar"], trips[1]["exit_bar"]) == (-1, 2, -1)
    assert metrics["turnover"] == pytest.approx(1.0 + 2.0, rel=1e-3)  # in, then out and short again
    units_long = 1.0 / 11.0
    equity_before_flip = 1.0 - 0.001 - 1.0 + units_long * 12.0
    close_fee = 0.001 * units_long * 12.0  # the closing share of the flip's fee
    assert trips[0]["pnl"] == pytest.approx(equity_before_flip - close_fee - 1.0, rel=1e-12)
    assert metrics["win_rate"] == 1.0 and metrics["profit_factor"] == math.inf


def test_the_rebalance_band_skips_small_same_direction_changes():
    metrics, _, trips = run(OPEN, CLOSE, [1.0, 1.05, 1.2, 1.2, 1.2], band=0.1)
    assert metrics["trades"] == 1 and len(trips) == 1  # a rebalance is not an entry
    # fills: open 1 (to 1.0); 1.05 is within the band of the held 1.0; 1.2 is not and fills at open 3
    equity_open_3 = 1.0 / 11.0 * 13.0
    assert metrics["turnover"] == pytest.approx(1.0 + (1.2 * equity_open_3 - 1.0 / 11.0 * 13.0) / equity_open_3)


def test_the_band_never_blocks_an_exit_or_a_reversal():
    metrics, _, trips = run(OPEN, CLOSE, [0.3, 0.0, -0.3, -0.3, -0.3], band=0.5)
    assert metrics["trades"] == 2
    assert [(t["entry_bar"], t["exit_bar"]) for t in trips] == [(1, 2), (3, -1)]


def test_ruin_leaves_equity_at_zero_for_every_later_bar():
    open_ = np.array([100.0, 100.0, 100.0, 30.0, 200.0])
    close = np.array([100.0, 100.0, 40.0, 30.0, 200.0])
    metrics, equity, trips = run(open_, close, [2, 2, 2, 2, 2])
    np.testing.assert_array_equal(equity[2:], 0.0)  # 2x long, -60%: wiped out at close 2
    assert metrics["final_equity"] == 0 and metrics["total_return"] == -1
    assert metrics["max_drawdown"] == 1 and metrics["cagr"] == -1
    assert metrics["trades"] == 1 and trips[0]["exit_bar"] == 2 and trips[0]["pnl"] == -1.0


def test_a_gap_through_zero_at_an_open_with_a_fill_due_is_ruin_at_that_open():
    open_ = np.array([100.0, 100.0, 100.0, 300.0, 300.0])
    close = np.array([100.0, 100.0, 120.0, 300.0, 300.0])
    metrics, equity, trips = run(open_, close, [-1, -1, -0.5, -0.5, -0.5])
    assert trips[0]["exit_bar"] == 3 and trips[0]["exit_price"] == 300.0
    np.testing.assert_array_equal(equity[3:], 0.0)
    assert metrics["final_equity"] == 0.0


def test_constant_prices_cost_exactly_the_fees_and_nothing_else():
    flat = np.full(6, 100.0)
    metrics, equity, _ = run(flat, flat, [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(equity, 1.0)
    assert metrics["sharpe"] == 0 and metrics["max_drawdown"] == 0 and metrics["total_return"] == 0
    metrics, _, _ = run(flat, flat, [1, 1, 1, 0, 0, 0], fee_rate=0.001)
    assert metrics["final_equity"] == pytest.approx(1.0 - 0.001 - 0.001, rel=1e-12)  # in and out, units fixed
    assert metrics["win_rate"] == 0.0 and metrics["profit_factor"] == 0.0


def test_returns_equal_up_to_rounding_have_zero_sharpe():
    closes = 100.0 * (1.0 - 1e-9) ** np.arange(40.0)  # a constant -1e-9 return per bar, up to rounding
    opens = np.r_[closes[0], closes[:-1]]
    metrics, equity, _ = run(opens, closes, np.ones(40))
    returns = equity[1:] / equity[:-1] - 1.0
    assert 0.0 < returns.std(ddof=1) <= DEVIATION_FLOOR  # rounding noise, not volatility
    assert metrics["sharpe"] == 0.0


def test_the_target_of_the_last_close_is_never_executed():
    metrics, equity, trips = run(OPEN, CLOSE, [0, 0, 0, 0, 1])
    assert metrics["trades"] == 0 and len(trips) == 0
    np.testing.assert_array_equal(equity, 1.0)


def test_long_only_turns_short_targets_flat():
    metrics, _, trips = run(OPEN, CLOSE, [1, -1, -1, 1, 1], long_only=True)
    assert [t["direction"] for t in trips] == [1, 1]
    assert metrics["exposure"] == pytest.approx(2 / 5)


def test_trade_start_ignores_earlier_targets_and_starts_the_curve_at_initial_equity():
    metrics, equity, trips = run(OPEN, CLOSE, [1, 1, -1, -1, -1], trade_start=2, initial=1000.0)
    assert equity[0] == 1000.0 and len(equity) == 3 and metrics["bars"] == 3
    assert trips[0]["entry_bar"] == 3 and trips[0]["direction"] == -1  # decided at close 2, filled at open 3


def test_one_bar_of_data_gives_a_flat_well_defined_result():
    bars = bars_from_closes([100.0])
    sim = SimConfig(0.001, 0.0005, False, 0.0, 8766.0)
    for name in ("ema_crossover", "sma_trend_filter"):
        seed = get_seed(name)
        row = seed.evaluate(bars, seed.genes.defaults()[None, :], sim)[0]
        metrics = dict(zip(METRIC_NAMES, row, strict=True))
        assert metrics["bars"] == 1 and metrics["final_equity"] == 1.0 and metrics["trades"] == 0
        assert all(math.isfinite(v) for v in row)
        result = seed.run(bars, seed.genes.defaults(), sim)
        assert result.equity.tolist() == [1.0] and result.trades == []


@pytest.mark.parametrize("name", ["ema_crossover", "sma_trend_filter"])
def test_warm_up_bars_emit_no_exposure_and_the_first_decision_is_at_the_lookback(name):
    rng = np.random.default_rng(5)
    bars = bars_from_closes(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400))))
    seed = get_seed(name)
    row = seed.genes.row({"fast": 10, "slow": 60})
    targets = seed.targets(bars, row)
    lookback = seed.lookback(row)
    assert lookback == 59
    assert np.all(targets[:lookback] == 0)
    result = seed.run(bars, row, SimConfig(0.0, 0.0, False, 0.0, 8766.0))
    assert np.all(result.equity[: lookback + 1] == 1.0)  # nothing held before the first fill
    if targets[lookback] != 0:
        assert result.trades[0].entry_time == bars.timestamp[lookback + 1]


def test_trade_start_keeps_indicators_warm_from_bar_zero():
    rng = np.random.default_rng(8)
    bars = bars_from_closes(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 600))))
    seed = get_seed("ema_crossover")
    row = seed.genes.row({"fast": 12, "slow": 100})
    later = seed.run(bars, row, SimConfig(0.0, 0.0, False, 0.0, 8766.0), trade_start=300)
    np.testing.assert_array_equal(later.exposure, seed.targets(bars, row)[300:])
