"""The pool: reproducible, budget moving toward improving seeds, de-duplicated batches, checkpoint and resume."""

from __future__ import annotations

import numpy as np
import pytest

from workloads.cache.base import InProcessCache
from workloads.evolution.backends import LocalBackend
from workloads.evolution.checkpoints import LocalDirectoryCheckpoints, state_from_bytes, state_to_bytes
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.pool import Pool, allocate_budget, ucb_scores
from workloads.evolution.run import plan_run, run_evolution


class CountingBackend(LocalBackend):
    """Records every batch it evaluates."""

    def __init__(self, *args):
        super().__init__(*args)
        self.batches: list[np.ndarray] = []

    def evaluate(self, seed_name, params):
        self.batches.append(np.array(params))
        return super().evaluate(seed_name, params)


def _pool(bars, seeds, cfg, cache=None):
    plan = plan_run(bars, cfg, registry=seeds)
    backend = CountingBackend(plan.workload, plan.seeds)
    pool = Pool(plan.seeds, cfg, backend, cache)
    return pool, pool.new_state("t", bars.fingerprint(), plan.workload.train.fingerprint()), backend


def test_same_random_seed_gives_the_same_hall_of_fame(walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=3, random_seed=11)
    a, sa, _ = _pool(walk, fake_seeds, cfg)
    b, sb, _ = _pool(walk, fake_seeds, cfg)
    assert a.run(sa).hall_of_fame.entries == b.run(sb).hall_of_fame.entries


def test_another_random_seed_explores_other_genomes(walk, fake_seeds):
    a, sa, _ = _pool(walk, fake_seeds, EvolutionConfig(population=12, generations=2, random_seed=1))
    b, sb, _ = _pool(walk, fake_seeds, EvolutionConfig(population=12, generations=2, random_seed=2))
    assert a.run(sa).evaluated != b.run(sb).evaluated


def test_batches_are_deduplicated_before_evaluation(walk, fake_seeds):
    pool, state, backend = _pool(walk, fake_seeds, EvolutionConfig(population=30, generations=4, random_seed=3))
    pool.run(state)
    for batch in backend.batches:
        assert np.unique(batch, axis=0).shape[0] == batch.shape[0]


def test_elites_survive_unchanged(walk, fake_seeds):
    cfg = EvolutionConfig(population=10, generations=2, random_seed=4, elite=0.2)
    pool, state, _ = _pool(walk, fake_seeds, cfg)
    pool.run(state, stop_after=1)
    before = {n: p.params[np.argsort(-p.fitness, kind="stable")[:2]] for n, p in state.populations.items()}
    pool.run(state)
    for name, elites in before.items():
        after = state.populations[name]
        assert np.array_equal(after.params[:2], elites)


def test_best_fitness_never_decreases(walk, fake_seeds):
    pool, state, _ = _pool(walk, fake_seeds, EvolutionConfig(population=12, generations=5, random_seed=6))
    pool.run(state)
    for population in state.populations.values():
        assert np.all(np.diff(population.best_history) >= 0)


def test_cache_hits_skip_the_backend(walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=2, random_seed=8)
    cache = InProcessCache()
    first, s1, _ = _pool(walk, fake_seeds, cfg, cache)
    first.run(s1)
    second, s2, backend = _pool(walk, fake_seeds, cfg, cache)
    assert second.run(s2).hall_of_fame.entries == s1.hall_of_fame.entries
    assert backend.batches == [] and cache.stats.hits > 0


def test_changed_kernel_code_never_reads_cached_fitness(walk, fake_seeds, monkeypatch):
    cfg = EvolutionConfig(population=12, generations=2, random_seed=8)
    cache = InProcessCache()
    first, s1, original = _pool(walk, fake_seeds, cfg, cache)
    first.run(s1)
    monkeypatch.setattr("workloads.evolution.pool.kernel_source_digest", lambda: "edited-kernels")
    second, s2, edited = _pool(walk, fake_seeds, cfg, cache)
    second.run(s2)
    assert len(edited.batches) == len(original.batches) > 0
    assert all(np.array_equal(a, b) for a, b in zip(edited.batches, original.batches, strict=True))


def test_budget_moves_toward_the_improving_seed_and_sums_to_the_total():
    budget = allocate_budget({"a": 0.0, "b": 2.0, "c": 0.5}, population=50, min_share=0.5)
    assert sum(budget.values()) == 150
    assert budget["b"] > budget["c"] > budget["a"] == 25


def test_budget_is_even_when_no_seed_improves():
    assert allocate_budget({"a": 0.0, "b": 0.0, "c": 0.0}, 10, 0.5) == {"a": 10, "b": 10, "c": 10}


def test_checkpoint_round_trips_the_state(walk, fake_seeds):
    pool, state, _ = _pool(walk, fake_seeds, EvolutionConfig(population=10, generations=2, random_seed=9))
    pool.run(state)
    again = state_from_bytes(state_to_bytes(state))
    assert state_to_bytes(again) == state_to_bytes(state)
    assert again.hall_of_fame.entries == state.hall_of_fame.entries and again.n_trials == state.n_trials


def test_local_directory_checkpoints_return_the_latest(tmp_path):
    store = LocalDirectoryCheckpoints(tmp_path)
    assert store.load_latest("r") is None
    store.save("r", 0, b"zero")
    store.save("r", 1, b"one")
    assert store.load_latest("r") == (1, b"one")


def test_resumed_run_ends_with_the_same_hall_of_fame(tmp_path, walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=4, random_seed=12)
    whole = run_evolution(walk, cfg, runs_dir=tmp_path / "a", run_id="r", registry=fake_seeds)
    store = LocalDirectoryCheckpoints(tmp_path / "b")
    plan = plan_run(walk, cfg, registry=fake_seeds)
    pool = Pool(plan.seeds, cfg, LocalBackend(plan.workload, plan.seeds))
    pool.run(pool.new_state("r", walk.fingerprint(), plan.workload.train.fingerprint()), store, stop_after=2)
    resumed = run_evolution(
        walk, EvolutionConfig(), runs_dir=tmp_path / "b", run_id="r", resume=True, registry=fake_seeds
    )
    assert resumed.hall_of_fame == whole.hall_of_fame
    assert resumed.trials == whole.trials


def test_resume_refuses_data_missing_bars_of_the_run(tmp_path, walk, fake_seeds):
    run_evolution(
        walk, EvolutionConfig(population=8, generations=1), runs_dir=tmp_path, run_id="r", registry=fake_seeds
    )
    other = walk.slice(0, len(walk) - 1)
    with pytest.raises(ValueError, match="no bar at the run's cut-off .* bars are missing"):
        run_evolution(other, EvolutionConfig(), runs_dir=tmp_path, run_id="r", resume=True, registry=fake_seeds)


def test_random_immigrants_arrive_only_when_diversity_collapses(walk, fake_seeds):
    collapsed, s1, _ = _pool(walk, fake_seeds, EvolutionConfig(population=12, generations=3, diversity_threshold=0.49))
    healthy, s2, _ = _pool(walk, fake_seeds, EvolutionConfig(population=12, generations=3, diversity_threshold=0.0))
    collapsed.run(s1)
    healthy.run(s2)
    later = [seed.immigrants for g in s1.history[1:] for seed in g.seeds.values()]
    assert all(n > 0 for n in later)
    assert all(seed.immigrants == 0 for g in s2.history for seed in g.seeds.values())


def test_local_backend_hall_of_fame_does_not_depend_on_the_thread_count(tmp_path):
    import numba

    from workloads.data.synthetic import generate

    bars = generate(1500, 8)
    cfg = EvolutionConfig(population=16, generations=2, random_seed=2)
    results = []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        try:
            results.append(
                run_evolution(
                    bars,
                    cfg,
                    runs_dir=tmp_path / str(threads),
                    run_id="r",
                    strategies=["ema_crossover", "sma_trend_filter"],
                ).hall_of_fame
            )
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert results[0] == results[1]


def test_a_failing_seed_stops_the_run_with_an_evaluation_error_not_bad_input(tmp_path, walk, fake_seeds):
    from workloads.evolution.pool import EvaluationError

    class Broken(type(fake_seeds["fake_momentum"])):
        def targets(self, bars, params_row, start=0):
            raise ValueError("Input y contains NaN")

    with pytest.raises(EvaluationError, match="fake_momentum.*Input y contains NaN") as error:
        run_evolution(
            walk,
            EvolutionConfig(population=8, generations=2),
            runs_dir=tmp_path,
            run_id="r",
            registry={"fake_momentum": Broken()},
        )
    assert not isinstance(error.value, ValueError)


def test_plus_survival_keeps_the_best_of_parents_and_children(walk, fake_seeds):
    cfg = EvolutionConfig(population=10, generations=4, random_seed=6, survival="plus")
    plan = plan_run(walk, cfg, registry={"fake_momentum": fake_seeds["fake_momentum"]})
    from workloads.bench.search_methods import TracingPool

    pool = TracingPool(plan.seeds, cfg, LocalBackend(plan.workload, plan.seeds))
    state = pool.run(pool.new_state("t", walk.fingerprint(), plan.workload.train.fingerprint()))
    everything = sorted(pool.trace(), reverse=True)
    assert sorted(state.populations["fake_momentum"].fitness.tolist(), reverse=True) == everything[:10]


def test_the_rank_rule_gives_the_seed_with_the_better_best_the_larger_budget(walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=2, random_seed=8, budget_rule="rank", min_share=0.5)
    pool, state, _ = _pool(walk, fake_seeds, cfg)
    pool.run(state, stop_after=1)
    best = {name: p.best_history[-1] for name, p in state.populations.items()}
    leader, other = sorted(best, key=lambda n: (best[n], n), reverse=True)
    # 24 evaluations: 6 each by min_share, the free 12 shared 2:1 by rank
    assert state.budgets == {leader: 6 + 8, other: 6 + 4}


def test_the_improvement_rule_shares_equally_when_no_seed_has_improved_yet(walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=2, random_seed=8, min_share=0.5)
    pool, state, _ = _pool(walk, fake_seeds, cfg)
    pool.run(state, stop_after=1)
    assert state.budgets == dict.fromkeys(state.populations, 12)


def test_nsga2_survival_keeps_the_nsga2_survivors_of_parents_and_children(walk, fake_seeds):
    from workloads.evolution import nsga2
    from workloads.evolution.fitness import fitness_from_metrics

    cfg = EvolutionConfig(population=10, generations=2, random_seed=6, survival="nsga2")
    pool, state, backend = _pool(walk, {"fake_momentum": fake_seeds["fake_momentum"]}, cfg)
    pool.run(state)
    rows = np.vstack(backend.batches)
    metrics = backend.evaluate("fake_momentum", rows)
    kept = nsga2.survivors(nsga2.strategy_objectives(metrics), 10)
    population = state.populations["fake_momentum"]
    assert population.params.tolist() == rows[kept].tolist()
    assert population.fitness.tolist() == fitness_from_metrics(metrics, cfg)[kept].tolist()


def test_a_checkpoint_keeps_the_nsga2_objectives(walk, fake_seeds):
    cfg = EvolutionConfig(population=8, generations=2, random_seed=2, survival="nsga2")
    pool, state, _ = _pool(walk, fake_seeds, cfg)
    pool.run(state)
    restored = state_from_bytes(state_to_bytes(state))
    for name, population in state.populations.items():
        assert population.objectives.shape == (population.fitness.shape[0], 3)
        assert restored.populations[name].objectives.tolist() == population.objectives.tolist()


def test_ucb_scores_add_a_bonus_that_shrinks_with_evaluations():
    best, spread = {"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}
    even = ucb_scores(best, spread, {"a": 10, "b": 10})
    # b: 0 + 1 · sqrt(2 ln 20 / 10) = 0.774 < a's 1
    assert even["a"] == 1.0 and even["b"] == pytest.approx(np.sqrt(2 * np.log(20) / 10))
    # b tried twice: 0 + sqrt(2 ln 12 / 2) = 1.58 > 1
    assert ucb_scores(best, spread, {"a": 10, "b": 2})["b"] > 1.0


def test_the_ucb_rule_shares_the_free_budget_by_rank_of_the_bound(walk, fake_seeds):
    cfg = EvolutionConfig(population=12, generations=2, random_seed=8, budget_rule="ucb", min_share=0.5)
    pool, state, _ = _pool(walk, fake_seeds, cfg)
    pool.run(state, stop_after=1)
    scores = ucb_scores(
        {n: p.best_history[-1] for n, p in state.populations.items()},
        {n: float(np.std(p.fitness)) for n, p in state.populations.items()},
        dict.fromkeys(state.populations, 12),
    )
    leader, other = sorted(scores, key=lambda n: (scores[n], n), reverse=True)
    assert state.budgets == {leader: 6 + 8, other: 6 + 4}
