"""One ``genepool bench`` run: the sections a :class:`BenchPlan` asks for, in order, with the machine's load.

Sections, each ``None`` (or ``False``) when not run: the accounts pass (:mod:`workloads.bench.accounts`), the
kernels and their layout (:mod:`workloads.bench.kernels`), the sweep against vectorbt (:mod:`workloads.bench.sweep`),
the evolution on its backends (:mod:`workloads.bench.evolution`), the headline search
(:mod:`workloads.bench.headline`), the search quality (:mod:`workloads.bench.search`), the objective study
(:mod:`workloads.bench.objective_study`). The result also holds the 1/5/15-minute load average before and after,
and the verdict rows of the kernel targets (:mod:`workloads.bench.verdict`). The HTTP API
(:mod:`workloads.bench.api`) is :func:`api_section`, run on its own or after the others.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workloads.bench.accounts import AccountsBenchConfig
from workloads.bench.headline import HeadlineConfig
from workloads.bench.kernels import KernelBenchConfig
from workloads.bench.search_setup import SearchBenchConfig
from workloads.bench.sweep import SweepBenchConfig

Progress = Callable[[dict[str, Any], float], None]
"""Called by the search bench after each seed-run: ``(row, seconds since the start)``."""


@dataclass(frozen=True)
class EvolutionBenchConfig:
    """The evolution figure: ``bars`` × ``population`` per seed on each of ``backends`` (``local``, ``ray``)."""

    bars: int = 100_000
    population: int = 200
    backends: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True)
class ApiBenchConfig:
    """The HTTP API figure (:func:`workloads.bench.api.run_benchmark`'s arguments)."""

    bars: int = 10_000
    strategies: int = 1000
    clients: int = 50
    seconds: float = 20.0
    port: int = 8765
    pin: bool = True
    routes: tuple[str, ...] = ("uncached",)
    compare_with: str | None = None
    rounds: int = 2


@dataclass(frozen=True)
class BenchPlan:
    """Which sections a bench run measures, each with its sizes (``None``: not run)."""

    accounts: AccountsBenchConfig | None = None
    kernels: KernelBenchConfig | None = None
    sweep: SweepBenchConfig | None = None
    evolution: EvolutionBenchConfig | None = None
    headline: HeadlineConfig | None = None
    search: SearchBenchConfig | None = None
    objective_study: bool = False


def api_section(config: ApiBenchConfig) -> dict[str, Any]:
    """The HTTP API figure; raises :class:`ValueError` on bad arguments (unknown routes)."""
    from workloads.bench.api import run_benchmark

    return run_benchmark(**asdict(config))


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages."""
    return list(os.getloadavg())


def kernel_sections(plan: BenchPlan) -> dict[str, Any]:
    """The accounts pass, the kernels and their layout, and the sweep, as the plan asks."""
    from workloads.bench.accounts import accounts_bench
    from workloads.bench.kernels import kernel_bench, layout_bench
    from workloads.bench.sweep import sweep_bench

    results: dict[str, Any] = {}
    if plan.accounts is not None:
        results["accounts"] = accounts_bench(plan.accounts)
    if plan.kernels is not None:
        results["kernels"] = kernel_bench(plan.kernels)
        results["layout"] = layout_bench(plan.kernels)
    if plan.sweep is not None:
        with tempfile.TemporaryDirectory() as tmp:
            results["sweep"] = sweep_bench(plan.sweep, Path(tmp))
    return results


def search_sections(plan: BenchPlan, progress: Progress | None) -> dict[str, Any]:
    """The evolution, the headline search, the search quality and the objective study, as the plan asks."""
    results: dict[str, Any] = {}
    if plan.evolution is not None:
        from workloads.bench.evolution import run_benchmark

        evolution = plan.evolution
        results["evolution"] = run_benchmark(evolution.bars, evolution.population, backends=evolution.backends)
    if plan.headline is not None:
        from workloads.bench.headline import run_headline

        results["headline"] = run_headline(plan.headline)
    if plan.search is not None:
        from workloads.bench.search import run_search_benchmark

        results["search_quality"] = run_search_benchmark(plan.search, progress)
    if plan.objective_study:
        from workloads.bench.objective_study import run_objective_study

        results["objective_study"] = run_objective_study()
    return results


def run_bench(plan: BenchPlan, progress: Progress | None = None) -> dict[str, Any]:
    """Every section of ``plan``, the load average before and after, and the verdict rows."""
    from workloads.bench.verdict import verdicts

    before = load_average()
    results: dict[str, Any] = {
        "config": {name: value for name, value in asdict(plan).items() if value not in (None, False)},
        "cpu_count": os.cpu_count(),
        **kernel_sections(plan),
        **search_sections(plan, progress),
    }
    results["load_average"] = {"before": before, "after": load_average()}
    results["verdict"] = verdicts(results)
    return results
