"""The gene space maps the unit box to typed parameters and back; seeds are discovered and repaired."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.seeds.base import Seed
from workloads.seeds.genes import Gene, GeneSpace
from workloads.seeds.registry import _seed_of, all_seeds, get_seed

SPACE = GeneSpace(
    [
        Gene("n", 2, 5, "int"),
        Gene("x", -1.0, 1.0, "float", 0.0),
        Gene("c", 1e-3, 10.0, "log"),
        Gene("mode", 0, 0, "choice", 0, ("reversion", "breakout")),
    ]
)


def test_int_genes_give_each_integer_an_equal_share_of_the_unit_interval():
    unit = np.linspace(0, 1, 4001)[:, None].repeat(4, axis=1)
    values = SPACE.decode(unit)[:, 0]
    counts = np.unique(values, return_counts=True)
    assert counts[0].tolist() == [2, 3, 4, 5]
    assert max(counts[1]) - min(counts[1]) <= 1


def test_log_genes_are_log_uniform_and_choices_are_indices():
    decoded = SPACE.decode(np.array([[0.0, 0.0, 0.5, 0.75]]))[0]
    assert decoded[2] == pytest.approx(np.sqrt(1e-3 * 10.0))
    assert decoded[3] == 1 and SPACE.as_dict(decoded)["mode"] == "breakout"


@settings(max_examples=200)
@given(st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_decode_encode_decode_is_the_identity(unit):
    params = SPACE.decode(np.array([unit]))
    np.testing.assert_allclose(SPACE.decode(SPACE.encode(params)), params, rtol=1e-12)


def test_unit_values_outside_the_box_are_clipped():
    np.testing.assert_array_equal(SPACE.decode(np.array([[-3, 7, 2, -1]])), SPACE.decode(np.array([[0, 1, 1, 0]])))


def test_defaults_and_row_build_parameter_rows():
    assert SPACE.defaults().tolist() == [3.0, 0.0, pytest.approx(np.sqrt(1e-2)), 0.0]
    assert SPACE.row({"n": 4, "mode": "breakout"}).tolist()[::3] == [4.0, 1.0]
    with pytest.raises(ValueError, match="outside"):
        SPACE.row({"n": 9})
    with pytest.raises(ValueError, match="unknown gene"):
        SPACE.row({"m": 1})


def test_invalid_genes_are_refused():
    with pytest.raises(ValueError, match="kind"):
        Gene("a", 0, 1, "integer")
    with pytest.raises(ValueError, match="low"):
        Gene("a", 2, 1, "float")
    with pytest.raises(ValueError, match="log gene"):
        Gene("a", 0, 1, "log")


def test_every_strategy_module_is_a_registered_seed():
    seeds = all_seeds()
    assert {"ema_crossover", "sma_trend_filter"} <= set(seeds)
    assert all(isinstance(seed, Seed) and seeds[name] is get_seed(name) for name, seed in seeds.items())
    with pytest.raises(KeyError, match="known"):
        get_seed("nope")


@pytest.mark.parametrize("name", ["ema_crossover", "sma_trend_filter"])
def test_repair_orders_fast_below_slow_within_bounds(name):
    seed = get_seed(name)
    params = seed.genes.decode(np.random.default_rng(0).random((2_000, 2)))
    repaired, mask = seed.repair(params)
    low, high = seed.genes.bounds()
    assert np.all(repaired[:, 0] < repaired[:, 1])
    assert np.all((repaired >= low) & (repaired <= high))
    assert np.array_equal(mask, np.any(params != repaired, axis=1))
    assert np.array_equal(repaired[~mask], params[~mask])


def test_get_seed_imports_only_the_module_of_the_seed_asked_for():
    code = (
        "import sys; from workloads.seeds.registry import get_seed; get_seed('ema_crossover'); "
        "print(sorted(m for m in sys.modules if m.startswith('workloads.seeds.strategies.') or m == 'sklearn'))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['workloads.seeds.strategies.ema_crossover']"


def test_a_seed_module_must_be_named_for_its_seed():
    module = types.ModuleType("workloads.seeds.strategies.ema_cross")
    module.SEED = get_seed("ema_crossover")
    with pytest.raises(ValueError, match=r"defines the seed 'ema_crossover'.*named for its seed"):
        _seed_of(module)


def test_a_module_without_seed_is_not_a_seed():
    assert _seed_of(types.ModuleType("workloads.seeds.strategies.helpers")) is None
