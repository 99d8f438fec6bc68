"""``cache=True`` really caches: a second process loads every fused kernel from Numba's cache, compiling nothing."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json
import numpy as np
from workloads.data.synthetic import generate
from workloads.kernels.driver import replay_kernel
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import FusedSeed
from workloads.seeds.registry import all_seeds

bars = generate(300, 1, funding=True)
sim = SimConfig(0.001, 0.0005, False, 0.0, 8766.0)
report = {}
for name, seed in all_seeds().items():
    if isinstance(seed, FusedSeed):
        seed.evaluate(bars, seed.genes.defaults()[None, :], sim)
        seed.run(bars, seed.genes.defaults(), sim)
        kernel = type(seed).kernel
        report[name] = [sum(kernel.stats.cache_hits.values()), sum(kernel.stats.cache_misses.values())]
report["replay_kernel"] = [sum(replay_kernel.stats.cache_hits.values()), sum(replay_kernel.stats.cache_misses.values())]
print(json.dumps(report))
"""


def run_process() -> dict[str, list[int]]:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_every_fused_kernel_from_the_cache():
    run_process()  # compiles whatever is not cached yet
    second = run_process()
    assert {"ema_crossover", "sma_trend_filter", "replay_kernel"} <= set(second)
    for name, (hits, misses) in second.items():
        assert misses == 0 and hits >= 1, f"{name}: {hits} cache hits, {misses} misses (recompiled)"
