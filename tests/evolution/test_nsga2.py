"""NSGA-II: the fast non-dominated sort, crowding distance, survival, crowded tournaments and the promoted front
member, against hand-worked examples and an independent brute-force peeling of the fronts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workloads.evolution import nsga2
from workloads.kernels.metrics import MAX_DRAWDOWN, N_METRICS, SHARPE, TURNOVER

# Hand-worked, two objectives (higher is better): A, B, C trade off; F is dominated by A and C; D by F; E by D.
A, B, C, D, E, F = (3, 1), (1, 3), (2, 2), (1, 1), (0, 0), (2, 1)
POINTS = np.array([A, B, C, D, E, F], dtype=float)


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a >= b) and np.any(a > b))


def _peeled_fronts(values: np.ndarray) -> list[list[int]]:
    """The fronts by definition: repeatedly take the rows no remaining row dominates."""
    left, fronts = list(range(len(values))), []
    while left:
        front = [i for i in left if not any(_dominates(values[j], values[i]) for j in left)]
        fronts.append(front)
        left = [i for i in left if i not in front]
    return fronts


def test_the_fronts_of_the_hand_worked_example():
    fronts = [f.tolist() for f in nsga2.non_dominated_fronts(POINTS)]
    assert fronts == [[0, 1, 2], [5], [3], [4]]


def test_crowding_gives_the_extremes_infinity_and_the_middle_its_normalised_gaps():
    distance = nsga2.crowding_distance(POINTS[[0, 1, 2]])
    # C sits between B and A in both objectives: (3 - 1) / (3 - 1) twice
    assert distance.tolist() == [np.inf, np.inf, 2.0]


def test_crowding_is_smaller_where_the_front_is_denser():
    front = np.array([(0, 4), (1, 3), (2, 2), (4, 0)], dtype=float)
    # (1, 3): 2/4 + 2/4; (2, 2): 3/4 + 3/4
    assert nsga2.crowding_distance(front).tolist() == [np.inf, 1.0, 1.5, np.inf]


def test_survival_fills_by_front_then_by_crowding():
    assert nsga2.survivors(POINTS, 4).tolist() == [0, 1, 2, 5]
    # the front does not fit: its two extremes (infinite crowding) are kept before its middle
    assert nsga2.survivors(POINTS, 2).tolist() == [0, 1]


def test_the_promoted_member_is_the_one_closest_to_the_fronts_ideal_point():
    assert nsga2.compromise(POINTS) == 2


def test_the_promoted_member_is_always_on_the_first_front():
    values = np.random.default_rng(3).normal(size=(200, 3))
    assert nsga2.compromise(values) in nsga2.non_dominated_fronts(values)[0].tolist()


def test_objectives_are_mean_sharpe_and_negated_mean_drawdown_and_turnover():
    metrics = np.zeros((1, 2, N_METRICS))
    metrics[0, :, SHARPE] = (1.0, 3.0)
    metrics[0, :, MAX_DRAWDOWN] = (0.1, 0.3)
    metrics[0, :, TURNOVER] = (4.0, np.nan)
    values = nsga2.strategy_objectives(metrics)
    assert values[0, :2].tolist() == pytest.approx([2.0, -0.2])
    assert values[0, 2] == -np.inf  # a non-finite turnover is the worst case


def test_a_crowded_tournament_winner_is_the_better_of_its_two_draws():
    values = np.random.default_rng(4).integers(0, 5, size=(30, 3)).astype(float)
    ranks, crowding = nsga2.rank_and_crowding(values)
    winners = nsga2.crowded_tournament(np.random.default_rng(9), values, 200)
    pairs = np.random.default_rng(9).integers(0, 30, size=(200, 2))
    for (a, b), w in zip(pairs, winners, strict=True):
        loser = b if w == a else a
        assert (ranks[w], -crowding[w]) <= (ranks[loser], -crowding[loser])


values_strategy = arrays(
    np.float64,
    st.tuples(st.integers(1, 40), st.integers(1, 4)),
    elements=st.integers(-3, 3).map(float),
)


@settings(max_examples=200, deadline=None)
@given(values_strategy)
def test_no_member_of_a_front_is_dominated_by_a_member_of_that_or_a_later_front(values):
    fronts = nsga2.non_dominated_fronts(values)
    for k, front in enumerate(fronts):
        later = np.concatenate(fronts[k:])
        for i in front:
            assert not any(_dominates(values[j], values[i]) for j in later)


@settings(max_examples=200, deadline=None)
@given(values_strategy)
def test_the_fronts_match_peeling_by_definition(values):
    assert [f.tolist() for f in nsga2.non_dominated_fronts(values)] == _peeled_fronts(values)


@settings(max_examples=100, deadline=None)
@given(values_strategy, st.integers(0, 40))
def test_survivors_never_keep_a_worse_front_over_a_better_one(values, n):
    kept = nsga2.survivors(values, n)
    ranks = nsga2.front_ranks(values)
    assert len(kept) == min(n, len(values)) and len(set(kept.tolist())) == len(kept)
    dropped = np.setdiff1d(np.arange(len(values)), kept)
    if len(kept) and len(dropped):
        assert ranks[kept].max() <= ranks[dropped].min()
