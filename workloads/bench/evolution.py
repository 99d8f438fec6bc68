"""Evolution benchmark: evaluations/s and generations/s of the pool, local vs Ray, and the GA's
own overhead as a share of wall time.

Setup: synthetic bars (default 100,000, seeded), every non-ML seed, ``population`` individuals per seed, default
costs and walk-forward segments (so one evaluation = one genome over every segment). Kernels are compiled before
timing (a warm-up evaluation per seed). For each backend the pool runs ``generations`` generations; reported:

- ``evaluations_per_second``: genomes evaluated / wall time of the generations,
- ``generations_per_second``: generations (all seeds) / wall time,
- ``ga_overhead``: 1 − (time inside ``backend.evaluate``) / wall time — selection, crossover, mutation, repair,
  de-duplication, cache keys, hall of fame, budget, checkpoint serialisation (for Ray, the time inside
  ``evaluate`` includes moving chunks to and from the actors).

The headline search (population 200 × every fused seed × 50 generations × 1,000,000 bars) is
:mod:`workloads.bench.headline`.

Usage: ``python -m workloads.bench.evolution [--bars N] [--population P] [--generations G] [--workers W] [--json]``,
or :func:`run_benchmark` from ``genepool bench``. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from workloads.data.synthetic import generate
from workloads.evolution.checkpoints import state_to_bytes
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.plan import Plan
from workloads.evolution.pool import Pool
from workloads.evolution.run import make_backend, plan_run
from workloads.seeds.registry import all_seeds


def _bench_backend(name: str, plan: Plan, config: EvolutionConfig, workers: int) -> dict[str, Any]:
    backend = make_backend(name, plan, workers)
    try:
        if name == "local":
            for seed_name, seed in plan.seeds.items():
                backend.evaluate(seed_name, seed.genes.defaults()[None, :])
        pool = Pool(plan.seeds, config, backend)
        state = pool.new_state(f"bench-{name}", "bench", plan.workload.train.fingerprint())
        started = time.perf_counter()
        payload_bytes = 0
        for _ in range(config.generations):
            pool.run(state, stop_after=1)
            payload_bytes = len(state_to_bytes(state))
        wall = time.perf_counter() - started
    finally:
        backend.close()
    evaluations = sum(g.evaluations for g in state.history)
    return {
        "backend": name,
        "workers": backend.workers,
        "generations": config.generations,
        "evaluations": evaluations,
        "seconds": wall,
        "evaluation_seconds": pool.eval_seconds,
        "evaluations_per_second": evaluations / wall,
        "generations_per_second": config.generations / wall,
        "ga_overhead": 1.0 - pool.eval_seconds / wall,
        "checkpoint_bytes": payload_bytes,
    }


def fused_search(
    n_bars: int, population: int, generations: int, random_seed: int
) -> tuple[list[str], EvolutionConfig, Plan]:
    """Every non-ML seed searched on ``n_bars`` seeded synthetic bars with funding: ``(seeds, config, plan)``."""
    bars = generate(n_bars, random_seed, funding=True)
    seeds = [name for name, seed in all_seeds().items() if seed.kind != "ml"]
    config = EvolutionConfig(population=population, generations=generations, random_seed=random_seed)
    return seeds, config, plan_run(bars, config, seeds)


def run_benchmark(
    n_bars: int = 100_000,
    population: int = 200,
    generations: int = 3,
    workers: int = 2,
    backends: tuple[str, ...] = ("local", "ray"),
    random_seed: int = 0,
) -> dict[str, Any]:
    """Benchmark figures for each backend (see the module doc)."""
    seeds, config, plan = fused_search(n_bars, population, generations, random_seed)
    results = [_bench_backend(name, plan, config, workers) for name in backends]
    out: dict[str, Any] = {
        "bars": n_bars,
        "train_bars": plan.split.n_train,
        "segments": config.segments,
        "population": population,
        "seeds": seeds,
        "results": results,
    }
    by_name = {r["backend"]: r for r in results}
    if "local" in by_name and "ray" in by_name:
        out["ray_vs_local_throughput"] = (
            by_name["ray"]["evaluations_per_second"] / by_name["local"]["evaluations_per_second"]
        )
    return out


def format_benchmark(result: dict[str, Any]) -> str:
    """Human-readable lines of :func:`run_benchmark`'s figures."""
    lines = [
        f"evolution: {len(result['seeds'])} non-ML seeds x population {result['population']} x "
        f"{result['bars']:,} bars ({result['train_bars']:,} searched, {result['segments']} segments)"
    ]
    for r in result["results"]:
        lines.append(
            f"  {r['backend']:<5} workers={r['workers']}: {r['evaluations_per_second']:8.1f} evals/s, "
            f"{r['generations_per_second']:.3f} generations/s, GA overhead {r['ga_overhead']:.1%} "
            f"({r['evaluations']} evals in {r['seconds']:.1f}s)"
        )
    if "ray_vs_local_throughput" in result:
        lines.append(f"  ray/local throughput: {result['ray_vs_local_throughput']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="local,ray")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run_benchmark(args.bars, args.population, args.generations, args.workers, tuple(args.backends.split(",")))
    print(json.dumps(result, indent=2) if args.json else format_benchmark(result))


if __name__ == "__main__":
    main()
