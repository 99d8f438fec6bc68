"""Honest fitness: walk-forward segments, penalties, and a holdout the search never sees."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from workloads.evolution.backends import LocalBackend
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import fitness_from_metrics, split_data
from workloads.evolution.pool import Pool
from workloads.evolution.run import plan_run
from workloads.kernels.metrics import MAX_DRAWDOWN, N_METRICS, SHARPE, TRADES


def test_split_keeps_the_last_fraction_out_and_tiles_the_training_span():
    split = split_data(1000, 0.3, 4)
    assert (split.n_train, split.n_holdout) == (700, 300)
    assert [(s.start, s.end) for s in split.spans] == [(0, 175), (175, 350), (350, 525), (525, 700)]


def test_split_refuses_too_few_training_bars():
    with pytest.raises(ValueError, match="walk-forward segments"):
        split_data(10, 0.5, 4)


def _metrics(sharpes, trades, drawdowns):
    m = np.zeros((1, len(sharpes), N_METRICS))
    m[0, :, SHARPE], m[0, :, TRADES], m[0, :, MAX_DRAWDOWN] = sharpes, trades, drawdowns
    return m


def test_consistent_segments_beat_erratic_ones_with_the_same_mean():
    cfg = EvolutionConfig()
    steady = fitness_from_metrics(_metrics([1.0, 1.0, 1.0], [10] * 3, [0.1] * 3), cfg)
    erratic = fitness_from_metrics(_metrics([3.0, -1.0, 1.0], [10] * 3, [0.1] * 3), cfg)
    assert steady[0] == pytest.approx(1.0)
    assert erratic[0] < steady[0]


def test_the_worst_segment_objective_scores_the_worst_segment():
    cfg = EvolutionConfig(objective="worst-segment")
    assert fitness_from_metrics(_metrics([3.0, -1.0, 1.0], [10] * 3, [0.1] * 3), cfg)[0] == pytest.approx(-1.0)


def test_the_mean_segment_objective_ignores_the_spread():
    cfg = EvolutionConfig(objective="mean-segment", consistency=0.5)
    assert fitness_from_metrics(_metrics([3.0, -1.0, 1.0], [10] * 3, [0.1] * 3), cfg)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("objective", ["fitness", "worst-segment", "mean-segment"])
def test_every_objective_pays_the_same_penalties(objective):
    cfg = EvolutionConfig(objective=objective, min_trades=4, max_drawdown=0.3)
    clean = fitness_from_metrics(_metrics([1.0, 2.0, 1.5], [4] * 3, [0.2] * 3), cfg)[0]
    penalised = fitness_from_metrics(_metrics([1.0, 2.0, 1.5], [2] * 3, [0.5] * 3), cfg)[0]
    assert penalised == pytest.approx(clean - 0.5 - 0.4)


def test_too_few_trades_and_deep_drawdowns_are_penalised():
    cfg = EvolutionConfig(min_trades=4, trade_penalty=1.0, max_drawdown=0.3, drawdown_penalty=2.0)
    base = fitness_from_metrics(_metrics([1.0] * 3, [4] * 3, [0.2] * 3), cfg)[0]
    few = fitness_from_metrics(_metrics([1.0] * 3, [2] * 3, [0.2] * 3), cfg)[0]
    deep = fitness_from_metrics(_metrics([1.0] * 3, [4] * 3, [0.5] * 3), cfg)[0]
    assert few == pytest.approx(base - 0.5)
    assert deep == pytest.approx(base - 0.4)


def test_non_finite_metrics_score_as_the_worst_case():
    cfg = EvolutionConfig()
    assert np.isfinite(fitness_from_metrics(_metrics([np.nan, np.inf, 1.0], [0, 0, 0], [np.nan] * 3), cfg)).all()


def _search_fitness(bars, seeds, cfg):
    plan = plan_run(bars, cfg, registry=seeds)
    pool = Pool(plan.seeds, cfg, LocalBackend(plan.workload, plan.seeds))
    state = pool.new_state("holdout-test", bars.fingerprint(), plan.workload.train.fingerprint())
    pool.run(state)
    return {name: p.fitness.tolist() for name, p in state.populations.items()}, state.hall_of_fame.entries


def test_changing_holdout_bars_does_not_change_search_fitness(walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=2, holdout=0.3, random_seed=5)
    n_train = split_data(len(walk), cfg.holdout, cfg.segments).n_train
    rng = np.random.default_rng(99)
    scale = np.ones(len(walk))
    scale[n_train:] = np.exp(np.cumsum(rng.normal(0, 0.05, len(walk) - n_train)))
    changed = dataclasses.replace(
        walk,
        open=walk.open * scale,
        high=walk.high * scale * 1.01,
        low=walk.low * scale * 0.99,
        close=walk.close * scale,
    )
    assert changed.fingerprint() != walk.fingerprint()
    assert _search_fitness(walk, fake_seeds, cfg) == _search_fitness(changed, fake_seeds, cfg)


def test_changing_holdout_bars_does_not_change_search_fitness_of_real_seeds():
    from workloads.data.synthetic import generate
    from workloads.seeds.registry import all_seeds

    bars = generate(1500, 6, funding=True)
    cfg = EvolutionConfig(population=10, generations=2, random_seed=3)
    n_train = split_data(len(bars), cfg.holdout, cfg.segments).n_train
    volume = bars.volume.copy()
    volume[n_train:] *= 3.0
    close = bars.close.copy()
    close[n_train:] = np.clip(close[n_train:] * 1.05, bars.low[n_train:], bars.high[n_train:] * 1.05)
    changed = dataclasses.replace(bars, close=close, high=np.maximum(bars.high, close), volume=volume)
    seeds = {name: all_seeds()[name] for name in ("ema_crossover", "vwap_reversion", "funding_rate_carry")}
    assert _search_fitness(bars, seeds, cfg) == _search_fitness(changed, seeds, cfg)
