"""Each seed's target series (the fused kernel's, via ``SEED.targets``) equals a plain-Python implementation of its
rule (docs/seeds.md) on TA-Lib / NumPy indicators (``tests/seeds/reference_rules.py``), for the default genes, both
corners of the gene box and random genes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.seeds.conftest import SEED_NAMES, param_rows
from tests.seeds.reference_rules import RULES
from workloads.data.calendar import infer_bars_per_year
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed


def reference_targets(name, bars, row, bars_per_year):
    seed = get_seed(name)
    params = {g.name: (int(v) if g.discrete else float(v)) for g, v in zip(seed.genes.genes, row, strict=True)}
    if name == "volatility_scaling":
        params["bars_per_year"] = bars_per_year
    return RULES[name](bars, **params)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_targets_follow_the_rule(name, bars):
    seed = get_seed(name)
    bars_per_year = infer_bars_per_year(bars.timestamp)
    for row in param_rows(seed, 6):
        expected = reference_targets(name, bars, row, bars_per_year)
        np.testing.assert_allclose(
            seed.targets(bars, row), expected, rtol=1e-9, atol=0, err_msg=f"{name} {seed.genes.as_dict(row)}"
        )


@pytest.mark.parametrize("name", SEED_NAMES)
def test_the_rule_trades_both_ways_on_random_data(name, bars):
    """Guards the comparison above against two trivially flat series."""
    seed = get_seed(name)
    targets = np.concatenate([seed.targets(bars, row) for row in param_rows(seed, 6)])
    assert (targets > 0).any() and (targets < 0).any()


def test_volatility_scaling_annualises_with_the_simulations_bars_per_year(bars):
    seed = get_seed("volatility_scaling")
    row = seed.genes.row({"band": 0.0, "max_leverage": 2.0, "target_vol": 0.05})
    for bars_per_year in (252.0, 8760.0):
        sim = SimConfig(0.0, 0.0, False, 0.0, bars_per_year)
        expected = reference_targets("volatility_scaling", bars, row, bars_per_year)
        np.testing.assert_allclose(seed.run(bars, row, sim).exposure, expected, rtol=1e-9)


def test_volatility_scaling_holds_its_target_inside_the_band(bars):
    seed = get_seed("volatility_scaling")
    wide = seed.targets(bars, seed.genes.row({"band": 0.25}))
    none = seed.targets(bars, seed.genes.row({"band": 0.0}))
    changes = lambda x: int(np.count_nonzero(np.diff(x)))  # noqa: E731
    assert changes(wide) < changes(none)


def test_funding_rate_carry_is_flat_over_a_window_of_zero_funding_even_at_threshold_zero(bars):
    seed = get_seed("funding_rate_carry")
    targets = seed.targets(bars, seed.genes.row({"window": 8, "threshold": 0.0}))
    zero = bars.funding_rate == 0.0
    all_zero = np.array([t >= 7 and zero[t - 7 : t + 1].all() for t in range(len(bars))])
    assert all_zero.any()
    assert (targets[all_zero] == 0.0).all()
    assert (targets[~all_zero][7:] != 0.0).all()


@pytest.mark.parametrize("name", SEED_NAMES)
def test_targets_follow_the_rule_on_tick_rounded_prices(name, bars):
    """Prices on a coarse tick: equal highs, closes at the high or low, flat stretches — every tie a rule meets."""
    seed = get_seed(name)
    tick = 0.25
    rounded = type(bars).from_arrays(
        bars.timestamp,
        np.round(bars.open / tick) * tick,
        np.ceil(bars.high / tick) * tick,
        np.floor(bars.low / tick) * tick,
        np.round(bars.close / tick) * tick,
        np.round(bars.volume, -2),
        np.round(bars.funding_rate, 5),
    )
    bars_per_year = infer_bars_per_year(bars.timestamp)
    for row in param_rows(seed, 6, random_seed=1):
        expected = reference_targets(name, rounded, row, bars_per_year)
        np.testing.assert_allclose(
            seed.targets(rounded, row), expected, rtol=1e-9, atol=0, err_msg=f"{name} {seed.genes.as_dict(row)}"
        )


def test_funding_rate_carry_does_not_trade_a_rate_pinned_at_the_threshold(bars):
    """A rate held at exactly the threshold (as exchanges pin it at the baseline) is not above it, whatever the
    rounding of the rolling mean; just below it, the seed shorts the payers."""
    seed = get_seed("funding_rate_carry")
    pinned = type(bars).from_arrays(
        bars.timestamp, bars.open, bars.high, bars.low, bars.close, bars.volume, np.full(len(bars), 0.0001)
    )
    for window in (3, 7, 48):
        assert (seed.targets(pinned, seed.genes.row({"window": window, "threshold": 0.0001})) == 0.0).all()
        below = seed.targets(pinned, seed.genes.row({"window": window, "threshold": 0.000099}))
        assert (below[window - 1 :] == -1.0).all()


def test_vwap_reversion_is_flat_through_a_gap_without_volume(bars):
    seed = get_seed("vwap_reversion")
    volume = bars.volume.copy()
    volume[205:265] = 0.0  # the gap starts mid-ring: the rolling sums reach it by subtraction, not by a re-sum
    gap = type(bars).from_arrays(bars.timestamp, bars.open, bars.high, bars.low, bars.close, volume)
    row = seed.genes.row({"window": 20, "z_entry": 0.5, "z_exit": 0.0})
    targets = seed.targets(gap, row)
    assert (targets[224:265] == 0.0).all()
    assert (targets[150:205] != 0.0).any() and (targets[265:] != 0.0).any()
