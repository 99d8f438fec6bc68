"""The GA operators: genomes stay in the unit box, operators do what their names say, draws follow their laws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workloads.evolution import operators as op

unit_populations = arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 6)), elements=st.floats(0.0, 1.0))


@given(unit_populations, st.floats(0.0, 1.0), st.floats(0.0, 2.0), st.integers(0, 2**32 - 1))
def test_blend_crossover_keeps_children_in_the_box_and_the_blend_interval(parents, rate, alpha, seed):
    children = op.blend_crossover(np.random.default_rng(seed), parents, rate, alpha)
    assert children.shape == parents.shape
    assert np.all((children >= 0) & (children <= 1))
    n = parents.shape[0] // 2 * 2
    a, b = parents[0:n:2], parents[1:n:2]
    spread = alpha * np.abs(a - b)
    for child in (children[0:n:2], children[1:n:2]):
        assert np.all(child >= np.minimum(a, b) - spread - 1e-12)
        assert np.all(child <= np.maximum(a, b) + spread + 1e-12)


def test_blend_crossover_with_rate_zero_copies_the_parents():
    parents = np.random.default_rng(0).uniform(size=(10, 3))
    assert np.array_equal(op.blend_crossover(np.random.default_rng(1), parents, 0.0, 0.5), parents)


@given(unit_populations, st.floats(0.0, 1.0), st.floats(0.001, 3.0), st.integers(0, 2**32 - 1))
def test_gaussian_mutation_keeps_genomes_in_the_box(genomes, rate, sigma, seed):
    mutated = op.gaussian_mutation(np.random.default_rng(seed), genomes, rate, sigma)
    assert np.all((mutated >= 0) & (mutated <= 1))


def test_gaussian_mutation_changes_genes_at_the_rate_with_the_step_size():
    genomes = np.full((20_000, 5), 0.5)
    mutated = op.gaussian_mutation(np.random.default_rng(2), genomes, 0.1, 0.05)
    changed = mutated != genomes
    # drawn with probability 0.1, plus one forced gene in the rows where none was drawn (0.9^5 of them, 1 in 5)
    assert abs(changed.mean() - (0.1 + 0.9**5 / 5)) < 0.01
    assert abs(np.std(mutated[changed] - 0.5) - 0.05) < 0.002


def test_gaussian_mutation_moves_at_least_one_gene_of_every_child():
    genomes = np.full((5_000, 3), 0.5)
    mutated = op.gaussian_mutation(np.random.default_rng(3), genomes, 0.01, 0.05)
    assert np.all((mutated != genomes).any(axis=1))


def test_reflection_is_symmetric_at_the_bounds():
    assert np.allclose(op.reflect_into_unit(np.array([-0.2, 1.3, 0.4, 2.5, -1.5])), [0.2, 0.7, 0.4, 0.5, 0.5])


@given(
    arrays(np.float64, st.integers(1, 40), elements=st.floats(-10, 10)), st.integers(1, 5), st.integers(0, 2**32 - 1)
)
def test_tournament_winner_is_the_fittest_of_its_contenders(fitness, k, seed):
    rng = np.random.default_rng(seed)
    winners = op.tournament_select(rng, fitness, 50, k)
    contenders = np.random.default_rng(seed).integers(0, fitness.shape[0], size=(50, k))
    assert np.array_equal(fitness[winners], fitness[contenders].max(axis=1))


def test_tournament_favours_fitter_individuals():
    fitness = np.arange(10, dtype=float)
    winners = op.tournament_select(np.random.default_rng(0), fitness, 20_000, 3)
    counts = np.bincount(winners, minlength=10)
    assert counts[9] > counts[5] > counts[0]


def test_elites_are_the_fittest_best_first_with_ties_by_position():
    fitness = np.array([1.0, 5.0, 3.0, 5.0, 0.0])
    assert op.elite_indices(fitness, 3).tolist() == [1, 3, 2]


def test_unique_rows_keeps_first_occurrences_in_order():
    rows = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [5.0, 6.0], [3.0, 4.0]])
    assert op.unique_rows(rows).tolist() == [0, 1, 3]


@settings(max_examples=25)
@given(st.integers(2, 50), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_diversity_is_zero_for_clones_and_about_0_29_for_uniform(n, g, seed):
    clone = np.tile(np.random.default_rng(seed).uniform(size=(1, g)), (n, 1))
    assert op.diversity(clone) == pytest.approx(0.0, abs=1e-12)
    uniform = op.random_genomes(np.random.default_rng(seed), 5000, g)
    assert abs(op.diversity(uniform) - np.sqrt(1 / 12)) < 0.02


@given(
    arrays(np.float64, st.integers(2, 60), elements=st.floats(-50, 50)),
    st.floats(0.01, 1.0),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_truncation_selection_draws_only_from_the_top_share(fitness, share, seed):
    chosen = op.truncation_select(np.random.default_rng(seed), fitness, 40, share)
    n_top = max(2, int(np.ceil(share * fitness.shape[0])))
    threshold = np.sort(fitness)[::-1][min(n_top, fitness.shape[0]) - 1]
    assert chosen.shape == (40,) and np.all(fitness[chosen] >= threshold)


def test_truncation_selection_reaches_every_one_of_the_top_share():
    fitness = np.arange(20.0)
    chosen = op.truncation_select(np.random.default_rng(0), fitness, 400, 0.25)
    assert set(chosen.tolist()) == {15, 16, 17, 18, 19}
