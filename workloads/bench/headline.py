"""The headline search of ``genepool bench``: population 200 × every fused seed × 50 generations × 1,000,000 bars on
the local backend, held to :data:`HEADLINE_TARGET_SECONDS` on the 2-core development machine.

The bench runs ``generations`` of the ``target_generations`` (the first, which loads the compiled kernels, is kept
apart) and times each. When it runs all of them the figure is measured: the sum of the generation times. Otherwise
it is extrapolated as ``first + (target_generations - 1) × mean(later generations)``, and says so. Later
generations evaluate fewer genomes than the first (elites are kept, duplicates are cached), as in the real run.
The generation times are part of the result and printed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

HEADLINE_TARGET_SECONDS = 180.0
"""The whole search must finish within this many seconds."""


@dataclass(frozen=True)
class HeadlineConfig:
    """Sizes of the headline search; ``generations`` of the ``target_generations`` are run (at least 2 when they
    are fewer: the first, and one after it to extrapolate from)."""

    bars: int = 1_000_000
    population: int = 200
    generations: int = 3
    target_generations: int = 50
    random_seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.generations <= self.target_generations:
            raise ValueError(
                f"headline generations {self.generations}: between 1 and the target's {self.target_generations}"
            )
        if self.generations == 1 < self.target_generations:
            raise ValueError("the headline extrapolation needs at least 2 generations (the first, and one after it)")


def generation_seconds(config: HeadlineConfig) -> tuple[list[float], list[int], dict[str, Any]]:
    """Run ``config.generations`` generations of the headline search: ``(seconds per generation, evaluations per
    generation, the plan's sizes)``."""
    from workloads.bench.evolution import fused_search
    from workloads.evolution.pool import Pool
    from workloads.evolution.run import make_backend

    seeds, evolution, plan = fused_search(config.bars, config.population, config.target_generations, config.random_seed)
    backend = make_backend("local", plan, 1)
    seconds: list[float] = []
    try:
        pool = Pool(plan.seeds, evolution, backend)
        state = pool.new_state("bench-headline", "bench", plan.workload.train.fingerprint())
        for _ in range(config.generations):
            started = time.perf_counter()
            pool.run(state, stop_after=1)
            seconds.append(time.perf_counter() - started)
    finally:
        backend.close()
    sizes = {"train_bars": plan.split.n_train, "segments": evolution.segments, "seeds": seeds}
    return seconds, [g.evaluations for g in state.history], sizes


def run_headline(config: HeadlineConfig) -> dict[str, Any]:
    """The headline search's figure, measured or extrapolated (see the module doc)."""
    seconds, evaluations, sizes = generation_seconds(config)
    measured = config.generations == config.target_generations
    if measured:
        total, basis = sum(seconds), f"measured: all {config.target_generations} generations run"
    else:
        later = sum(seconds[1:]) / len(seconds[1:])
        total = seconds[0] + (config.target_generations - 1) * later
        basis = (
            f"extrapolated: first generation {seconds[0]:.1f} s + {config.target_generations - 1} x mean of the "
            f"next {len(seconds) - 1} ({later:.1f} s)"
        )
    return {
        "bars": config.bars,
        "population": config.population,
        **sizes,
        "generations_run": config.generations,
        "generation_seconds": seconds,
        "evaluations": evaluations,
        "target_generations": config.target_generations,
        "measured": measured,
        "seconds": total,
        "target_seconds": HEADLINE_TARGET_SECONDS,
        "met": total < HEADLINE_TARGET_SECONDS,
        "basis": basis,
    }


def format_headline(result: dict[str, Any]) -> str:
    """The headline figure and its generation times."""
    times = ", ".join(f"{s:.1f}" for s in result["generation_seconds"])
    return (
        f"headline search: population {result['population']} x {len(result['seeds'])} seeds x "
        f"{result['target_generations']} generations x {result['bars']:,} bars: {result['seconds']:.1f} s "
        f"(target < {result['target_seconds']:.0f} s: {'met' if result['met'] else 'NOT met'}); {result['basis']}\n"
        f"  generation seconds: {times}"
    )
