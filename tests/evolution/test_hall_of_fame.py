"""The hall of fame owns ranking, de-duplication and capacity: per-seed cap, minimum distance, best by seed."""

from __future__ import annotations

import math

from workloads.evolution.hall_of_fame import HallOfFame, HallOfFameEntry, genome_distance


def entry(strategy: str, fitness: float, genome: tuple[float, ...], generation: int = 0) -> HallOfFameEntry:
    return HallOfFameEntry(strategy, tuple(10 * g for g in genome), genome, fitness, fitness, generation)


def test_entries_are_ranked_by_fitness_best_first():
    hof = HallOfFame(capacity=5, per_seed=5, min_distance=0.0)
    hof.update([entry("a", 1.0, (0.1,)), entry("b", 3.0, (0.2,)), entry("a", 2.0, (0.9,))])
    assert [e.fitness for e in hof.entries] == [3.0, 2.0, 1.0]


def test_no_seed_fills_more_than_its_share():
    hof = HallOfFame(capacity=10, per_seed=3, min_distance=0.0)
    hof.update([entry("a", float(i), (i / 10,)) for i in range(8)] + [entry("b", 0.5, (0.5,))])
    assert sum(e.strategy == "a" for e in hof.entries) == 3
    assert any(e.strategy == "b" for e in hof.entries)


def test_a_near_copy_of_a_better_entry_is_refused():
    hof = HallOfFame(capacity=10, per_seed=3, min_distance=0.05)
    hof.update([entry("a", 2.0, (0.50, 0.50)), entry("a", 1.9, (0.51, 0.50)), entry("a", 1.0, (0.9, 0.1))])
    assert [e.genome for e in hof.entries] == [(0.50, 0.50), (0.9, 0.1)]


def test_nearby_genomes_of_different_seeds_are_both_kept():
    hof = HallOfFame(capacity=10, per_seed=3, min_distance=0.05)
    hof.update([entry("a", 2.0, (0.5,)), entry("b", 1.9, (0.5,))])
    assert len(hof) == 2


def test_equal_fitness_within_a_seed_is_one_behaviour():
    hof = HallOfFame(capacity=10, per_seed=3, min_distance=0.0)
    hof.update([entry("a", 2.0, (0.1,)), entry("a", 2.0, (0.9,))])
    assert len(hof) == 1


def test_capacity_is_never_exceeded_across_updates():
    hof = HallOfFame(capacity=4, per_seed=4, min_distance=0.0)
    for generation in range(3):
        hof.update(
            [entry(s, generation + i / 10, (i / 10, generation / 3), generation) for s in "ab" for i in range(5)]
        )
    assert len(hof) == 4 and hof.entries[0].generation == 2


def test_best_by_seed_keeps_a_seed_that_never_made_the_list():
    hof = HallOfFame(capacity=1, per_seed=1, min_distance=0.0)
    hof.update([entry("a", 5.0, (0.1,)), entry("b", 1.0, (0.2,)), entry("b", 0.5, (0.3,))])
    assert [e.strategy for e in hof.entries] == ["a"]
    assert hof.best_by_seed["b"].fitness == 1.0


def test_non_finite_fitness_is_ignored():
    hof = HallOfFame(capacity=3, per_seed=3, min_distance=0.0)
    hof.update([entry("a", math.nan, (0.1,)), entry("a", 1.0, (0.2,))])
    assert [e.fitness for e in hof.entries] == [1.0]


def test_the_order_candidates_arrive_in_does_not_matter():
    candidates = [entry(s, (i * 7 % 5) / 3, (i / 9,)) for s in "ab" for i in range(9)]
    one, other = HallOfFame(4, 2, 0.05), HallOfFame(4, 2, 0.05)
    one.update(candidates)
    other.update(reversed(candidates))
    assert one.entries == other.entries


def test_the_checkpoint_form_round_trips():
    hof = HallOfFame(capacity=3, per_seed=2, min_distance=0.05)
    hof.update([entry("a", 1.0, (0.1,)), entry("b", 2.0, (0.7,))])
    again = HallOfFame(capacity=3, per_seed=2, min_distance=0.05)
    again.restore(hof.to_dict())
    assert again.entries == hof.entries and again.best_by_seed == hof.best_by_seed


def test_distance_is_root_mean_square_per_gene():
    assert genome_distance((0.0, 0.0, 0.0, 0.0), (1.0, 1.0, 1.0, 1.0)) == 1.0
    assert genome_distance((0.0, 0.0), (0.1, 0.1)) == 0.1
