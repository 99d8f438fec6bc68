"""Search quality: the GA against random search and Optuna's TPE at equal evaluation budgets, on planted-edge data.

Setup, per paired run ``r`` (``runs`` of them): ``generate(bars, 2000 + r, funding=True, edge, edge_strength)``,
every non-ML seed, default fitness and costs, ``random_seed = r``. Each method gets the same budget of distinct
evaluations, split equally over the seeds:

- ``ga``: the pool (:class:`workloads.evolution.pool.Pool`) with ``population`` per seed for ``generations``; its
  number of distinct genomes evaluated is the budget ``B`` of the other two;
- ``random``: ``B / seeds`` uniform genomes per seed (one batch each);
- ``tpe``: an Optuna TPE study per seed (``seed = r``), ``B / seeds`` trials over the unit genes, asked and told in
  batches of ``population`` so that each batch is one kernel call.

Every method's evaluations go through the same pool machinery (canonical genomes, fitness cache keys, trial count
and sample, :class:`~workloads.evolution.hall_of_fame.HallOfFame`) and are scored by the same
:func:`workloads.evolution.run.summarize`: reported per method are the best training fitness reached, the holdout
Sharpe of its pick (the hall of fame's first entry) and whether that pick is promoted, and per pair whether the GA's
best training fitness beat random search's. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.pool import Pool, PoolState, generator_for
from workloads.evolution.run import Plan, make_backend, plan_run, summarize
from workloads.seeds.registry import all_seeds

METHODS = ("ga", "random", "tpe")


def _record(pool: Pool, name: str, genomes: np.ndarray, generation: int) -> np.ndarray:
    """Evaluate ``genomes`` of seed ``name`` as one batch of an external search: canonicalise, evaluate, count the
    distinct trials and offer them to the hall of fame. Returns their fitness (row order of ``genomes``)."""
    from workloads.evolution.fitness import fitness_from_metrics, trial_sharpe
    from workloads.evolution.hall_of_fame import HallOfFameEntry

    seed = pool.seeds[name]
    params, _ = seed.repair(seed.genes.decode(genomes))
    canonical = seed.genes.encode(params)
    metrics, keys = pool.evaluate(name, params)
    fitness = fitness_from_metrics(metrics, pool.config)
    sharpe = trial_sharpe(metrics)
    pool.count_trials(name, keys, params, sharpe)
    pool.state.hall_of_fame.update(
        HallOfFameEntry(name, tuple(p.tolist()), tuple(g.tolist()), float(f), float(s), generation)
        for p, g, f, s in zip(params, canonical, fitness, sharpe, strict=True)
    )
    return fitness


def _random_search(pool: Pool, per_seed: int) -> None:
    for name in pool.state.seed_names:
        rng = generator_for(pool.config.random_seed, 0, name)
        _record(pool, name, rng.uniform(size=(per_seed, len(pool.seeds[name].genes))), 0)


def _tpe_search(pool: Pool, per_seed: int, batch: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name in pool.state.seed_names:
        n_genes = len(pool.seeds[name].genes)
        sampler = optuna.samplers.TPESampler(seed=pool.config.random_seed)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        done = 0
        while done < per_seed:
            trials = [study.ask() for _ in range(min(batch, per_seed - done))]
            genomes = np.array([[t.suggest_float(f"g{i}", 0.0, 1.0) for i in range(n_genes)] for t in trials])
            for trial, value in zip(trials, _record(pool, name, genomes, done // batch), strict=True):
                study.tell(trial, float(value))
            done += len(trials)


def _outcome(method: str, state: PoolState, plan: Plan, bars: Any, seconds: float) -> dict[str, Any]:
    summary, _ = summarize(state, plan, bars)
    pick = summary.hall_of_fame[0] if summary.hall_of_fame else None
    return {
        "method": method,
        "evaluations": state.n_trials,
        "best_fitness": pick.fitness if pick else None,
        "pick": pick.strategy if pick else None,
        "holdout_sharpe": (pick.holdout or {}).get("sharpe") if pick else None,
        "promoted": bool(pick and pick.promoted),
        "seconds": seconds,
    }


def paired_run(
    run: int, bars_n: int, edge: str, strength: float, population: int, generations: int
) -> dict[str, dict[str, Any]]:
    """One data set, the three methods at the GA's budget."""
    bars = generate(bars_n, 2000 + run, funding=True, edge=edge, edge_strength=strength)
    names = [name for name, seed in all_seeds().items() if seed.kind != "ml"]
    config = EvolutionConfig(population=population, generations=generations, random_seed=run)
    plan = plan_run(bars, config, names)
    backend = make_backend("local", plan)
    out: dict[str, dict[str, Any]] = {}
    try:

        def method(label: str, search: Callable[[Pool], None]) -> None:
            pool = Pool(plan.seeds, config, backend)
            pool.state = pool.new_state(f"{label}-{run}", bars.fingerprint(), plan.workload.train.fingerprint())
            started = time.perf_counter()
            search(pool)
            out[label] = _outcome(label, pool.state, plan, bars, time.perf_counter() - started)

        def ga(pool: Pool) -> None:
            pool.run(pool.state)

        method("ga", ga)
        per_seed = max(1, out["ga"]["evaluations"] // len(plan.seeds))
        method("random", lambda pool: _random_search(pool, per_seed))
        method("tpe", lambda pool: _tpe_search(pool, per_seed, population))
    finally:
        backend.close()
    return out


def run_search_benchmark(
    runs: int = 10,
    bars: int = 3_000,
    edge: str = "trend",
    strength: float = 0.3,
    population: int = 16,
    generations: int = 6,
) -> dict[str, Any]:
    """``runs`` paired runs and their aggregate (see the module doc)."""
    pairs = [paired_run(r, bars, edge, strength, population, generations) for r in range(runs)]
    aggregate: dict[str, Any] = {}
    for m in METHODS:
        rows = [p[m] for p in pairs]
        aggregate[m] = {
            "median_best_fitness": statistics.median(r["best_fitness"] for r in rows),
            "median_holdout_sharpe": statistics.median(r["holdout_sharpe"] or 0.0 for r in rows),
            "promotion_rate": sum(r["promoted"] for r in rows) / len(rows),
            "median_evaluations": statistics.median(r["evaluations"] for r in rows),
        }
    for m in ("random", "tpe"):
        wins = sum(p["ga"]["best_fitness"] > p[m]["best_fitness"] for p in pairs)
        aggregate[f"ga_beats_{m}"] = wins / len(pairs)
        aggregate[f"median_ga_gain_over_{m}"] = statistics.median(
            p["ga"]["best_fitness"] - p[m]["best_fitness"] for p in pairs
        )
    return {
        "setup": {
            "runs": runs,
            "bars": bars,
            "edge": edge,
            "edge_strength": strength,
            "population": population,
            "generations": generations,
        },
        "pairs": pairs,
        "aggregate": aggregate,
    }


def format_search_benchmark(result: dict[str, Any]) -> str:
    """The search-quality table as text."""
    s, a = result["setup"], result["aggregate"]
    lines = [
        f"search quality: {s['runs']} paired runs, {s['bars']} bars, planted {s['edge']} {s['edge_strength']}, "
        f"GA population {s['population']} x {s['generations']} generations per seed; equal distinct evaluations",
        f"{'method':<8} {'evals':>7} {'best fitness':>13} {'holdout SR':>11} {'promoted':>9}",
    ]
    for m in METHODS:
        row = a[m]
        lines.append(
            f"{m:<8} {row['median_evaluations']:>7.0f} {row['median_best_fitness']:>13.2f} "
            f"{row['median_holdout_sharpe']:>11.2f} {row['promotion_rate']:>9.0%}"
        )
    lines.append(
        f"GA's best training fitness beats random search in {a['ga_beats_random']:.0%} of pairs "
        f"(median paired gain {a['median_ga_gain_over_random']:+.2f}), TPE in {a['ga_beats_tpe']:.0%} "
        f"({a['median_ga_gain_over_tpe']:+.2f}); columns are medians over the runs"
    )
    return "\n".join(lines)
