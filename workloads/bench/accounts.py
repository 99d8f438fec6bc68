"""The accounts-pass figure of ``genepool bench``: what the simulation driver's own per-bar work costs.

The driver (``workloads.kernels.driver.drive``) runs a seed's signal step and then its accounts pass (fills,
funding, marking, the metric sums, drawdown, the next decision) over every lane of a block. Driven by a trivial rule,
whose step costs next to nothing, the time per individual-bar is the accounts pass's: one Numba thread,
``bars`` × ``population`` (defaults 100,000 × 200), best of ``repeats`` calls, in nanoseconds per individual-bar,
held to :data:`ACCOUNTS_TARGET_NS`.

The trivial rule holds each individual at one exposure drawn uniformly from [-1, 1] from the first close on (one
fill, then only the per-bar pass over the accounts; :mod:`workloads.bench.accounts_reference`). :data:`ACCOUNTS_PASSES`
lists the passes timed side by side in one run, each as ``(name, kernel)`` with the kernel signature of the fused
seeds (``workloads.kernels.driver.KERNEL_SIGNATURE``): the previous pass (every account field loaded and stored on
every bar) and, last, the current driver, the one held to the target; the bench checks that their metrics agree bit
for bit. Times are CPU seconds of the process (``time.process_time``), so other processes on the cores do not count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from workloads.bench.accounts_reference import hold_kernel, hold_reference_kernel
from workloads.bench.timing import best_cpu_seconds

ACCOUNTS_TARGET_NS = 1.5
"""Most nanoseconds per individual-bar the accounts pass may cost on one thread."""


Kernel = Callable[..., None]
ACCOUNTS_PASSES: tuple[tuple[str, Kernel], ...] = (
    ("previous pass", hold_reference_kernel),
    ("current driver", hold_kernel),
)
"""The accounts passes timed side by side, oldest first; the last is the one in use."""


@dataclass(frozen=True)
class AccountsBenchConfig:
    bars: int = 100_000
    population: int = 200
    repeats: int = 3
    random_seed: int = 7


def time_pass(kernel: Kernel, config: AccountsBenchConfig) -> tuple[float, np.ndarray]:
    """Best-of-``repeats`` seconds of ``kernel`` over the trivial rule on one thread, and its metrics."""
    import numba

    from workloads.bench.sweep import SWEEP_FEE_RATE, SWEEP_SLIPPAGE
    from workloads.data.synthetic import generate
    from workloads.kernels.driver import NO_RECORDER, blocks, one_span
    from workloads.kernels.metrics import N_METRICS
    from workloads.kernels.simulate import SimConfig
    from workloads.seeds.base import bar_arrays

    bars = bar_arrays(generate(config.bars, config.random_seed, funding=True))
    params = np.random.default_rng(config.random_seed).uniform(-1.0, 1.0, (config.population, 1))
    sim = SimConfig(SWEEP_FEE_RATE, SWEEP_SLIPPAGE, False, 0.0, 8766.0).kernel_args()
    out = np.empty((config.population, 1, N_METRICS))
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        count = blocks(config.population)
        kernel(bars, params[:1], sim, one_span(0, 10), out[:1], NO_RECORDER, 1)
        spans = one_span(0, config.bars)
        _, best = best_cpu_seconds(lambda: kernel(bars, params, sim, spans, out, NO_RECORDER, count), config.repeats)
    finally:
        numba.set_num_threads(previous)
    return best, out[:, 0, :].copy()


def accounts_bench(config: AccountsBenchConfig) -> dict[str, Any]:
    """Every pass of :data:`ACCOUNTS_PASSES` on the same bars and rule; ``identical`` says whether their metrics
    agree bit for bit with the current pass's."""
    timed = [(name, *time_pass(kernel, config)) for name, kernel in ACCOUNTS_PASSES]
    current = timed[-1]
    individual_bars = config.bars * config.population
    return {
        "bars": config.bars,
        "population": config.population,
        "passes": [
            {
                "name": name,
                "seconds": seconds,
                "ns_per_individual_bar": seconds / individual_bars * 1e9,
                "identical": bool(np.array_equal(metrics, current[2], equal_nan=True)),
            }
            for name, seconds, metrics in timed
        ],
        "target_ns": ACCOUNTS_TARGET_NS,
    }
