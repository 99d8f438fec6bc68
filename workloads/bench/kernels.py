"""Kernel figures of ``genepool bench``, printed and written as JSON, never asserted in tests.

1. **Kernel per seed**: every seed's population evaluation on ``bars`` bars × ``population`` individuals (defaults
   1,000,000 × 1,000; scikit-learn seeds on a reduced ``ml_bars`` × ``ml_population``, flagged ``reduced``):
   wall seconds, bar-evaluations per second (total and per Numba thread), and peak RSS above what the process held
   before the call (inputs, compiled kernels) — measured by resetting the kernel's high-water mark
   (``/proc/self/clear_refs``) and reading ``VmHWM`` after the call.
2. **SIMD layout vs per-individual layout**, one Numba thread, every fused seed on ``layout_bars`` ×
   ``layout_population`` (defaults 100,000 × 200): the population in one call (blocks of 64 individuals whose
   innermost loops run over the individuals, docs/simulation.md#the-driver) against the same individuals one call
   each (blocks of one: each individual's recurrence alone, the per-individual layout of the same code). Both give
   bit-identical metrics, which the bench checks. CPU time of the process (one thread); the population call best
   of :data:`LAYOUT_REPEATS`, the per-individual calls once (they take ten times as long). Reported: both rates,
   their ratio, and their targets
   (ratio >= 2 for ``ema_crossover`` and >= 1.5 for every fused seed; >= 1e8 bar-evals/s per thread).

Both run at the sweep's costs (:data:`~workloads.bench.sweep.SWEEP_FEE_RATE`, long/short).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from workloads.bench.sweep import SWEEP_FEE_RATE, SWEEP_SLIPPAGE
from workloads.bench.timing import best_cpu_seconds


@dataclass(frozen=True)
class KernelBenchConfig:
    """Sizes of the kernel figures: ``bars`` × ``population`` per seed (``ml_*`` for the scikit-learn seeds),
    ``layout_bars`` × ``layout_population`` for the layout comparison; ``seeds`` empty = every seed."""

    bars: int = 1_000_000
    population: int = 1_000
    ml_bars: int = 20_000
    ml_population: int = 2
    seeds: tuple[str, ...] = ()
    layout_bars: int = 100_000
    layout_population: int = 200
    random_seed: int = 7
    threads: int = field(default_factory=lambda: _numba_threads())


def _numba_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def _status_kb(name: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in kB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {name}")


def peak_rss_above_baseline_mb(call: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``call`` and return ``(result, seconds, peak RSS during it minus RSS before it, in MB)``."""
    baseline = _status_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM to the current RSS
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    return result, seconds, max(0, _status_kb("VmHWM") - baseline) / 1024


def kernel_bench(config: KernelBenchConfig) -> list[dict[str, Any]]:
    """Figure 1 (see module doc), one row per seed."""
    import numba

    from workloads.data.synthetic import generate
    from workloads.kernels.simulate import SimConfig
    from workloads.seeds.base import FusedSeed
    from workloads.seeds.registry import all_seeds

    numba.set_num_threads(config.threads)
    rng = np.random.default_rng(config.random_seed)
    full = generate(config.bars, config.random_seed, funding=True)
    reduced = generate(min(config.ml_bars, config.bars), config.random_seed, funding=True)
    sim = SimConfig(
        fee_rate=SWEEP_FEE_RATE, slippage=SWEEP_SLIPPAGE, long_only=False, rebalance_band=0.0, bars_per_year=8766.0
    )
    rows = []
    for name, seed in all_seeds().items():
        if config.seeds and name not in config.seeds:
            continue
        fused = isinstance(seed, FusedSeed)
        bars, population = (
            (full, config.population) if fused else (reduced, min(config.ml_population, config.population))
        )
        params, _ = seed.repair(seed.genes.decode(rng.random((population, len(seed.genes)))))
        seed.evaluate(bars.slice(0, min(len(bars), 300)), params[:1], sim)
        _, seconds, peak_mb = peak_rss_above_baseline_mb(partial(seed.evaluate, bars, params, sim))
        rate = population * len(bars) / seconds
        rows.append(
            {
                "seed": name,
                "fused": fused,
                "reduced": not fused,
                "bars": len(bars),
                "population": population,
                "seconds": seconds,
                "bar_evals_per_second": rate,
                "bar_evals_per_second_per_thread": rate / config.threads,
                "threads": config.threads,
                "peak_rss_above_inputs_mb": peak_mb,
            }
        )
    return rows


LAYOUT_TARGETS = {"ema_crossover": 2.0}
"""Least SIMD/per-individual ratio required per seed (:data:`LAYOUT_DEFAULT_TARGET` for the others)."""
LAYOUT_DEFAULT_TARGET = 1.5
PER_THREAD_TARGET = 1e8
"""Least bar-evals/s per thread every fused seed should reach on a quiet machine."""


LAYOUT_REPEATS = 3
"""Runs of the population call per seed in the layout figure; the best one counts (one run moves 15–30% with the
machine's load, which is the margin of the per-thread target)."""


def layout_bench(config: KernelBenchConfig) -> list[dict[str, Any]]:
    """Figure 2 (see module doc), one row per fused seed; one Numba thread, threads restored afterwards."""
    import numba

    from workloads.data.synthetic import generate
    from workloads.kernels.simulate import SimConfig
    from workloads.seeds.base import FusedSeed
    from workloads.seeds.registry import all_seeds

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        rng = np.random.default_rng(config.random_seed)
        bars = generate(config.layout_bars, config.random_seed, funding=True)
        sim = SimConfig(SWEEP_FEE_RATE, SWEEP_SLIPPAGE, False, 0.0, 8766.0)
        rows = []
        for name, seed in all_seeds().items():
            if not isinstance(seed, FusedSeed) or (config.seeds and name not in config.seeds):
                continue
            params, _ = seed.repair(seed.genes.decode(rng.random((config.layout_population, len(seed.genes)))))
            seed.evaluate(bars.slice(0, min(len(bars), 300)), params[:2], sim)
            blocked, simd_seconds = best_cpu_seconds(partial(seed.evaluate, bars, params, sim), LAYOUT_REPEATS)
            started = time.process_time()
            single = np.concatenate([seed.evaluate(bars, params[i : i + 1], sim) for i in range(params.shape[0])])
            single_seconds = time.process_time() - started
            evals = params.shape[0] * len(bars)
            simd_rate, single_rate = evals / simd_seconds, evals / single_seconds
            target = LAYOUT_TARGETS.get(name, LAYOUT_DEFAULT_TARGET)
            rows.append(
                {
                    "seed": name,
                    "bars": len(bars),
                    "population": params.shape[0],
                    "simd_bar_evals_per_second": simd_rate,
                    "per_individual_bar_evals_per_second": single_rate,
                    "ratio": simd_rate / single_rate,
                    "ratio_target": target,
                    "ratio_met": simd_rate / single_rate >= target,
                    "per_thread_target": PER_THREAD_TARGET,
                    "per_thread_met": simd_rate >= PER_THREAD_TARGET,
                    "identical": bool(np.array_equal(blocked, single, equal_nan=True)),
                }
            )
        return rows
    finally:
        numba.set_num_threads(previous)
