"""Gene spaces of the eight seeds: the types and bounds of docs/seeds.md#the-12-seeds, defaults inside them, integer
windows, decoding into the box, and the repair of ordered genes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.seeds.conftest import SEED_NAMES
from workloads.seeds.registry import all_seeds, get_seed

# docs/seeds.md#the-12-seeds: (kind, type floor, needs funding, {gene: (low, high, kind)})
TABLE = {
    "stochastic_oscillator": (
        "momentum",
        20,
        False,
        {"k": (5, 50, "int"), "d": (2, 10, "int"), "oversold": (5, 40, "float"), "overbought": (60, 95, "float")},
    ),
    "rsi_filter": (
        "mean_reversion",
        50,
        False,
        {"window": (2, 50, "int"), "oversold": (5, 45, "float"), "overbought": (55, 95, "float")},
    ),
    "vwap_reversion": (
        "mean_reversion",
        50,
        False,
        {"window": (10, 200, "int"), "z_entry": (0.5, 3, "float"), "z_exit": (0, 1, "float")},
    ),
    "bollinger_bands": (
        "volatility",
        50,
        False,
        {"window": (10, 100, "int"), "k": (1, 3.5, "float"), "mode": (0, 1, "choice")},
    ),
    "volatility_scaling": (
        "volatility",
        20,
        False,
        {
            "vol_window": (5, 100, "int"),
            "target_vol": (0.05, 0.6, "float"),
            "trend": (10, 200, "int"),
            "max_leverage": (0.5, 2, "float"),
            "band": (0, 0.25, "float"),
        },
    ),
    "ichimoku_cloud": (
        "trend",
        50,
        False,
        {"tenkan": (5, 20, "int"), "kijun": (20, 60, "int"), "senkou_b": (40, 120, "int")},
    ),
    "donchian_breakout": ("trend", 50, False, {"entry": (10, 100, "int"), "exit": (5, 50, "int")}),
    "funding_rate_carry": ("carry", 20, True, {"window": (1, 48, "int"), "threshold": (0, 0.001, "float")}),
}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_registry_lists_the_seed_with_the_design_tables_type_and_genes(name):
    kind, floor, funding, genes = TABLE[name]
    seed = all_seeds()[name]
    assert (seed.name, seed.kind, seed.min_bars, seed.needs_funding) == (name, kind, floor, funding)
    assert {g.name: (g.low, g.high, g.kind) for g in seed.genes.genes} == genes
    assert seed.description


@pytest.mark.parametrize("name", SEED_NAMES)
def test_defaults_are_valid_parameters(name):
    seed = get_seed(name)
    defaults = seed.genes.defaults()
    repaired, changed = seed.repair(defaults)
    assert not changed[0]
    np.testing.assert_array_equal(repaired[0], defaults)


def test_bollinger_mode_decodes_to_its_two_choices():
    genes = get_seed("bollinger_bands").genes
    assert genes.genes[genes.index("mode")].choices == ("reversion", "breakout")
    decoded = genes.decode(np.array([[0.5, 0.5, 0.2], [0.5, 0.5, 0.8]]))
    assert [genes.as_dict(row)["mode"] for row in decoded] == ["reversion", "breakout"]


@pytest.mark.parametrize("name", SEED_NAMES)
@settings(max_examples=30, deadline=None)
@given(unit=arrays(np.float64, (4, 5), elements=st.floats(-0.5, 1.5)))
def test_decoded_then_repaired_genomes_are_in_bounds_integral_and_ordered(name, unit):
    seed = get_seed(name)
    params, _ = seed.repair(seed.genes.decode(unit[:, : len(seed.genes)]))
    low, high = seed.genes.bounds()
    assert ((params >= low) & (params <= high)).all()
    for j, gene in enumerate(seed.genes.genes):
        if gene.discrete:
            np.testing.assert_array_equal(params[:, j], np.round(params[:, j]))
    for a, b in seed.ordered_genes:
        assert (params[:, seed.genes.index(a)] < params[:, seed.genes.index(b)]).all()
    np.testing.assert_allclose(seed.genes.decode(seed.genes.encode(params)), params, rtol=1e-12)  # ints exact


def test_vwap_exit_band_at_or_above_the_entry_band_is_repaired():
    seed = get_seed("vwap_reversion")
    genes = seed.genes
    rows = np.array([[20, 0.8, 0.9], [20, 0.7, 0.7], [20, 2.0, 0.5]])
    repaired, changed = seed.repair(rows)
    assert changed.tolist() == [True, True, False]
    exit_, entry = repaired[:, genes.index("z_exit")], repaired[:, genes.index("z_entry")]
    assert (exit_ < entry).all()
    np.testing.assert_allclose(repaired[0], [20, 0.9, 0.8])


def test_ichimoku_windows_are_repaired_into_tenkan_kijun_senkou_b_order():
    seed = get_seed("ichimoku_cloud")
    repaired, changed = seed.repair(np.array([[20, 20, 40], [9, 55, 45], [9, 40, 40], [9, 26, 52]]))
    assert changed.tolist() == [True, True, True, False]
    assert repaired.tolist() == [[20, 21, 40], [9, 45, 55], [9, 40, 41], [9, 26, 52]]


def test_ichimoku_lookback_covers_the_displaced_senkou_b_span():
    seed = get_seed("ichimoku_cloud")
    assert seed.lookback(np.array([9.0, 26.0, 52.0])) == 26 + 52 - 1
    assert seed.min_bars_for(np.array([20.0, 60.0, 120.0])) == 60 + 120 - 1 + 2
