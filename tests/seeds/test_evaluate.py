"""The population path and the single-backtest path agree: ``evaluate`` of a population (the fused kernel, ``prange``
over individuals) equals ``run`` of each individual (targets replayed through the simulator) — bit for bit,
with costs, long-only, a rebalance band and a ``trade_start``; and ``run``'s exposure is the rule's target."""

from __future__ import annotations

import numpy as np
import pytest

from tests.seeds.conftest import SEED_NAMES, param_rows
from workloads.data.calendar import infer_bars_per_year
from workloads.kernels.metrics import METRIC_NAMES
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

SIMS = {
    "costs": {"fee_rate": 0.001, "slippage": 0.0005, "long_only": False, "rebalance_band": 0.0, "bars_per_year": None},
    "long_only_band_daily": {
        "fee_rate": 0.0004,
        "slippage": 0.0,
        "long_only": True,
        "rebalance_band": 0.1,
        "bars_per_year": 252.0,
    },
}


@pytest.mark.parametrize("sim_name", list(SIMS))
@pytest.mark.parametrize("trade_start", [0, 150])
@pytest.mark.parametrize("name", SEED_NAMES)
def test_evaluate_of_a_population_equals_run_of_each_individual(name, trade_start, sim_name, bars):
    seed = get_seed(name)
    config = dict(SIMS[sim_name])
    config["bars_per_year"] = config["bars_per_year"] or infer_bars_per_year(bars.timestamp)
    sim = SimConfig(**config)
    population = param_rows(seed, 9)
    metrics = seed.evaluate(bars, population, sim, trade_start)
    assert metrics.shape == (population.shape[0], len(METRIC_NAMES))
    for row, expected in zip(population, metrics, strict=True):
        result = seed.run(bars, row, sim, trade_start)
        np.testing.assert_array_equal(result.metric_row(), expected, err_msg=f"{name} {seed.genes.as_dict(row)}")
        assert result.exposure.shape == (len(bars) - trade_start,)
    assert (metrics[:, METRIC_NAMES.index("trades")] > 0).any()


@pytest.mark.parametrize("name", SEED_NAMES)
def test_run_exposure_is_the_rules_target_from_trade_start(name, bars):
    seed = get_seed(name)
    row = seed.genes.defaults()
    sim = SimConfig(0.0, 0.0, False, 0.0, infer_bars_per_year(bars.timestamp))
    result = seed.run(bars, row, sim, trade_start=100)
    np.testing.assert_array_equal(result.exposure, seed.targets(bars, row)[100:])


def test_funding_rate_carry_refuses_bars_without_funding(bars):
    seed = get_seed("funding_rate_carry")
    no_funding = type(bars).from_arrays(bars.timestamp, bars.open, bars.high, bars.low, bars.close, bars.volume)
    with pytest.raises(ValueError, match="funding_rate"):
        seed.evaluate(no_funding, seed.genes.defaults(), SimConfig(0.0, 0.0, False, 0.0, 8760.0))
