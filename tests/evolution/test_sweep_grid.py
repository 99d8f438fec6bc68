"""A full EMA grid is evaluated one block per slow period with that period's EMA shared, bit-identical to the
``ema_crossover`` kernel; other grids go through the seed's own kernel."""

from __future__ import annotations

import numpy as np
import pytest

from tests.evolution.conftest import random_walk_bars
from workloads.evolution.sweep import ema_grid_evaluate, evaluate_grid, grid_params, parse_grid, run_sweep
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

SEED = get_seed("ema_crossover")
BARS = random_walk_bars(3000, 11)
SIMS = {
    "long/short with costs": SimConfig(0.001, 0.0005, False, 0.0, 8766.0),
    "long only, banded": SimConfig(0.0004, 0.0002, True, 0.05, 8766.0),
}


def full_grid(fast: str, slow: str) -> np.ndarray:
    params, _ = SEED.repair(grid_params(SEED, [parse_grid(f"fast={fast}"), parse_grid(f"slow={slow}")]))
    return np.unique(params, axis=0)


@pytest.mark.parametrize("sim", SIMS.values(), ids=SIMS.keys())
@pytest.mark.parametrize(("fast", "slow"), [("2:50:1", "51:200:7"), ("5,9,13", "20,21"), ("12", "26")])
def test_a_full_grid_gives_the_seed_kernels_metrics_bit_for_bit(fast, slow, sim):
    params = full_grid(fast, slow)
    expected = SEED.evaluate(BARS, params, sim)
    assert np.array_equal(ema_grid_evaluate(BARS, params, sim), expected, equal_nan=True)


def test_the_rows_come_back_in_the_callers_order():
    params = full_grid("3:30:3", "40:100:20")
    shuffled = params[np.random.default_rng(5).permutation(params.shape[0])]
    sim = SIMS["long/short with costs"]
    assert np.array_equal(ema_grid_evaluate(BARS, shuffled, sim), SEED.evaluate(BARS, shuffled, sim), equal_nan=True)


def test_a_grid_that_is_not_every_pair_goes_through_the_seed_kernel():
    params = np.array([[5.0, 20.0], [6.0, 30.0]])
    sim = SIMS["long/short with costs"]
    assert ema_grid_evaluate(BARS, params, sim) is None
    assert np.array_equal(evaluate_grid(SEED, BARS, params, sim), SEED.evaluate(BARS, params, sim), equal_nan=True)


def test_a_sweep_with_repaired_pairs_matches_the_seed_kernel():
    grids = [parse_grid("fast=10:50:10"), parse_grid("slow=20:60:10")]
    result = run_sweep(SEED, BARS, grids, SIMS["long/short with costs"])
    assert result.repaired > 0
    assert np.array_equal(
        result.metrics, SEED.evaluate(BARS, result.params, SIMS["long/short with costs"]), equal_nan=True
    )
