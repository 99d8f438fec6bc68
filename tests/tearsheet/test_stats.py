"""The tear sheet's series and key statistics, against hand computations and pandas as an independent reference."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from workloads.data.bars import Bars
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import Seed
from workloads.seeds.genes import Gene, GeneSpace
from workloads.tearsheet import stats

DAY_NS = 86_400 * 10**9
FEE = 0.001
BARS_PER_YEAR = 365.0


class ScriptedSeed(Seed):
    """A fake seed whose targets are a fixed script (one per bar), for hand-computed backtests."""

    name: ClassVar[str] = "scripted"
    kind: ClassVar[str] = "test"
    min_bars: ClassVar[int] = 1
    genes: ClassVar[GeneSpace] = GeneSpace([Gene("unused", 0.0, 1.0)])
    script: ClassVar[tuple[float, ...]] = (1.0, 1.0, 0.0, -1.0, 0.0, 0.0)

    def lookback(self, params_row: np.ndarray) -> int:
        return 0

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        return np.array(self.script, dtype=np.float64)


OPEN = np.array([100.0, 100.0, 110.0, 121.0, 110.0, 120.0])
CLOSE = np.array([100.0, 110.0, 121.0, 110.0, 115.0, 120.0])
FUNDING = np.array([0.0, 0.001, 0.001, 0.0, -0.002, 0.0])


@pytest.fixture(scope="module")
def scripted_run():
    bars = Bars.from_arrays(
        np.arange(6, dtype=np.int64) * DAY_NS,
        OPEN,
        np.maximum(OPEN, CLOSE),
        np.minimum(OPEN, CLOSE),
        CLOSE,
        np.ones(6),
        FUNDING,
        symbol="HAND",
    )
    sim = SimConfig(fee_rate=FEE, slippage=0.0, long_only=False, rebalance_band=0.0, bars_per_year=BARS_PER_YEAR)
    seed = ScriptedSeed()
    return seed.run(bars, seed.genes.defaults(), sim)


def hand_computed() -> dict[str, float]:
    """The scripted backtest worked by hand (docs/simulation.md): long 1 from the open of bar 1 to the open of bar 3,
    short 1 from the open of bar 4 to the open of bar 5; fees 0.1 % of traded notional; funding paid by the
    position held over each close."""
    units = 1.0 / 100.0  # long, bought at the open of bar 1 with equity 1
    fees = [FEE * units * 100.0]
    cash = 1.0 - units * 100.0 - fees[-1]
    funding = [units * 110.0 * 0.001]  # close 1
    cash -= funding[-1]
    e1 = cash + units * 110.0
    funding.append(units * 121.0 * 0.001)  # close 2
    cash -= funding[-1]
    e2 = cash + units * 121.0
    fees.append(FEE * units * 121.0)  # sold at the open of bar 3
    cash += units * 121.0 - fees[-1]
    e3 = cash
    short = -e3 / 110.0  # short at the open of bar 4
    fees.append(FEE * abs(short) * 110.0)
    cash += -short * 110.0 - fees[-1]
    funding.append(short * 115.0 * -0.002)  # close 4: a short pays a negative rate
    cash -= funding[-1]
    e4 = cash + short * 115.0
    fees.append(FEE * abs(short) * 120.0)  # covered at the open of bar 5
    cash += short * 120.0 - fees[-1]
    e5 = cash
    equity = np.array([1.0, e1, e2, e3, e4, e5])
    r = equity[1:] / equity[:-1] - 1.0
    downside = math.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    max_dd = float(np.max(1.0 - equity / np.maximum.accumulate(equity)))
    cagr = e5 ** (BARS_PER_YEAR / 5) - 1.0
    win, loss = e3 - 1.0, e5 - e3
    return {
        "final_equity": e5,
        "sortino": float(np.mean(r)) / downside * math.sqrt(BARS_PER_YEAR),
        "calmar": cagr / max_dd,
        "profit_factor": win / -loss,
        "exposure": 3 / 6,  # a position is held at closes 1, 2 and 4
        "fee_drag": sum(fees),
        "funding_drag": sum(funding),
        "trades": 2,
    }


def test_the_scripted_backtest_ends_where_the_hand_computation_does(scripted_run):
    assert scripted_run.equity[-1] == pytest.approx(hand_computed()["final_equity"], rel=1e-12)


@pytest.mark.parametrize(
    "name", ["sortino", "calmar", "profit_factor", "exposure", "fee_drag", "funding_drag", "trades"]
)
def test_each_key_stat_matches_the_hand_computation(scripted_run, name):
    card = stats.key_stats(scripted_run).as_dict()
    assert card[name] == pytest.approx(hand_computed()[name], rel=1e-9)


def test_funding_earned_is_a_negative_drag(scripted_run):
    from dataclasses import replace

    earned = replace(scripted_run, metrics={**scripted_run.metrics, "funding_pnl": 0.004})
    assert stats.key_stats(earned).funding_drag == pytest.approx(-0.004)


def test_an_infinite_profit_factor_is_shown_as_none(scripted_run):
    from dataclasses import replace

    no_loss = replace(scripted_run, metrics={**scripted_run.metrics, "profit_factor": math.inf})
    assert stats.key_stats(no_loss).profit_factor is None


def test_drawdown_is_zero_at_new_highs_and_the_fall_from_the_peak_between():
    equity = np.array([1.0, 2.0, 1.5, 3.0, 0.75, 0.0, 0.0])
    assert stats.drawdown(equity).tolist() == [0.0, 0.0, -0.25, 0.0, -0.75, -1.0, -1.0]


def test_returns_are_zero_once_equity_is_zero():
    assert stats.bar_returns(np.array([1.0, 0.5, 0.0, 0.0])).tolist() == [-0.5, -1.0, 0.0]


def test_rolling_sharpe_matches_pandas_rolling_mean_over_std():
    rng = np.random.default_rng(7)
    equity = np.cumprod(1.0 + rng.normal(0.001, 0.01, 500))
    window = 30
    returns = pd.Series(equity).pct_change()
    reference = (returns.rolling(window).mean() / returns.rolling(window).std(ddof=1) * math.sqrt(252)).to_numpy()
    ours = stats.rolling_sharpe(equity, window, 252)
    assert np.isnan(ours[:window]).all()
    np.testing.assert_allclose(ours[window:], reference[window:], rtol=1e-9)


def test_rolling_sharpe_is_undefined_where_returns_do_not_vary():
    equity = np.r_[np.ones(40), np.cumprod(np.full(10, 1.01))]
    ours = stats.rolling_sharpe(equity, 10, 252)
    assert np.isnan(ours[:40]).all()


def test_monthly_returns_match_pandas_month_end_resampling():
    rng = np.random.default_rng(3)
    index = pd.date_range("2024-11-15", periods=24 * 120, freq="h")
    equity = np.cumprod(1.0 + rng.normal(0.0, 0.003, index.shape[0]))
    month_ends = pd.Series(equity, index=index).resample("ME").last()
    reference = month_ends / month_ends.shift(1).fillna(equity[0]) - 1.0
    monthly = stats.monthly_returns(index.as_unit("ns").asi8, equity)
    assert monthly.years == [2024, 2025]
    ours = {
        (year, month + 1): value
        for year, row in zip(monthly.years, monthly.returns, strict=True)
        for month, value in enumerate(row)
        if value is not None
    }
    assert ours == pytest.approx({(t.year, t.month): v for t, v in reference.items()}, rel=1e-12)


def test_a_histogram_counts_every_finite_value_once():
    values = np.r_[np.random.default_rng(1).normal(size=1000), np.nan, np.inf]
    drawn = stats.histogram(values, bins=25)
    assert sum(drawn.counts) == 1000 and len(drawn.edges) == 26
    np.testing.assert_array_equal(drawn.counts, np.histogram(values[:1000], bins=25)[0])
