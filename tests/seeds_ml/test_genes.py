"""The ML seeds' registry entries and gene spaces (docs/seeds.md#the-12-seeds): kind, type floor, bounds, kinds,
decoding, repair, and the warm-up each individual needs."""

from __future__ import annotations

import numpy as np
import pytest

from workloads.seeds.registry import all_seeds, get_seed

SPECS = {
    "linear_svc_classifier": [
        ("train_window", 100, 1000, "int"),
        ("retrain_every", 10, 200, "int"),
        ("C", 1e-3, 10.0, "log"),
        ("n_lags", 2, 20, "int"),
    ],
    "pca_tree_quantile": [
        ("train_window", 100, 1000, "int"),
        ("retrain_every", 10, 200, "int"),
        ("n_components", 1, 8, "int"),
        ("max_depth", 2, 8, "int"),
        ("quantile", 0.5, 0.95, "float"),
    ],
}


@pytest.mark.parametrize("name", SPECS)
def test_registered_as_ml_with_200_bar_floor_and_500_optimal(name):
    seed = all_seeds()[name]
    assert (seed.kind, seed.min_bars, seed.optimal_bars, seed.needs_funding) == ("ml", 200, 500, False)


@pytest.mark.parametrize("name", SPECS)
def test_genes_have_the_designed_names_bounds_and_kinds(name):
    genes = get_seed(name).genes.genes
    assert [(g.name, g.low, g.high, g.kind) for g in genes] == SPECS[name]


@pytest.mark.parametrize("name", SPECS)
def test_decoding_the_unit_box_corners_gives_the_bounds(name):
    space = get_seed(name).genes
    low, high = space.bounds()
    np.testing.assert_allclose(space.decode(np.zeros((1, len(space))))[0], low, rtol=1e-12)
    np.testing.assert_allclose(space.decode(np.ones((1, len(space))))[0], high, rtol=1e-12)


def test_c_decodes_log_uniformly():
    space = get_seed("linear_svc_classifier").genes
    unit = np.full((3, len(space)), 0.5)
    unit[:, space.index("C")] = [0.25, 0.5, 0.75]
    np.testing.assert_allclose(space.decode(unit)[:, space.index("C")], [10**-2, 10**-1, 10**0], rtol=1e-12)


@pytest.mark.parametrize("name", SPECS)
def test_decoded_random_genomes_are_valid_and_round_trip(name):
    seed = get_seed(name)
    params = seed.genes.decode(np.random.default_rng(0).random((200, len(seed.genes))))
    repaired, changed = seed.repair(params)
    assert not changed.any()
    np.testing.assert_allclose(seed.genes.decode(seed.genes.encode(params)), params, rtol=1e-12)
    for j, gene in enumerate(seed.genes.genes):
        if gene.kind == "int":
            assert (params[:, j] == np.round(params[:, j])).all()


@pytest.mark.parametrize("name", SPECS)
def test_repair_clips_out_of_bounds_and_rounds_integers(name):
    seed = get_seed(name)
    low, high = seed.genes.bounds()
    wild = np.vstack([low - 5.0 * np.abs(low) - 1.0, high * 3.0 + 0.4, seed.genes.defaults() + 0.3])
    repaired, changed = seed.repair(wild)
    assert changed.all()
    np.testing.assert_array_equal(repaired[0], low)
    np.testing.assert_array_equal(repaired[1], high)
    for j, gene in enumerate(seed.genes.genes):
        if gene.kind == "int":
            assert repaired[2, j] == round(seed.genes.defaults()[j] + 0.3)


@pytest.mark.parametrize("name", SPECS)
def test_lookback_is_the_feature_warm_up_plus_the_training_window(name):
    seed = get_seed(name)
    space = seed.genes
    for window in (100, 437, 1000):
        row = space.row({"train_window": window})
        assert seed.lookback(row) == 20 + window
        assert seed.min_bars_for(row) == max(200, 22 + window)


@pytest.mark.parametrize("name", SPECS)
def test_the_default_individual_fits_the_type_floor(name):
    seed = get_seed(name)
    assert seed.min_bars_for(seed.genes.defaults()) == seed.min_bars
