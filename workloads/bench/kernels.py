"""Benchmarks (``genepool bench`` / ``make bench``): figures printed and written as JSON, never asserted in tests.

1. **Kernel per seed**: every seed's population evaluation on ``bars`` bars × ``population`` individuals (defaults
   1,000,000 × 1,000; scikit-learn seeds on a reduced ``ml_bars`` × ``ml_population``, flagged ``reduced``):
   wall seconds, bar-evaluations per second (total and per Numba thread), and peak RSS above what the process held
   before the call (inputs, compiled kernels) — measured by resetting the kernel's high-water mark
   (``/proc/self/clear_refs``) and reading ``VmHWM`` after the call.
2. **SIMD layout vs per-individual layout**, one Numba thread, every fused seed on ``layout_bars`` ×
   ``layout_population`` (defaults 100,000 × 200): the population in one call (blocks of 64 individuals whose
   innermost loops run over the individuals, docs/simulation.md#the-driver) against the same individuals one call
   each (blocks of one: each individual's recurrence alone, the per-individual layout of the same code). Both give
   bit-identical metrics, which the bench checks. Reported: both rates, their ratio, and their targets
   (ratio >= 2 for ``ema_crossover`` and >= 1.5 for every fused seed; >= 1e8 bar-evals/s per thread).
3. **Sweep vs vectorbt**: the EMA (fast, slow) grid ``sweep_fast`` × ``sweep_slow`` (``genepool sweep --grid``
   syntax; default 5..44 × 50..170 step 5 = 1,000 pairs, every one with fast < slow) on ``sweep_bars`` bars, 10 bps
   fees, 5 bps slippage, long/short, filled at the next open. Each engine runs as a whole process (interpreter
   start, imports, loading the data file, the sweep, its output): genepool is the ``genepool sweep ... --json``
   command users run; vectorbt is ``Portfolio.from_signals`` over ``vbt.MA.run(..., ewm=True)`` crossovers (signals
   shifted one bar, executed at the open; it needs the ``bench`` extra). Each engine first runs once untimed, so
   both Numba caches (ours and vectorbt's) hold compiled code and the timed runs measure warm processes; then the
   engines alternate ``repeats`` times. Per run: wall time and peak RSS (``wait4`` rusage), and the compute time the
   process reports for the sweep itself (genepool: the kernel call; vectorbt: indicators to total return). The
   headline ``speedup`` is the ratio of median whole-process wall times; ``compute_speedup`` the ratio of median
   compute times. ``numba_floor_seconds`` times the least any Numba-based process does (:data:`NUMBA_FLOOR_SCRIPT`:
   start Python, import Numba, load and call one cached trivial kernel), and ``speedup_ceiling`` = vectorbt's wall
   time / that floor is the whole-process ratio a sweep taking no time at all would reach on this machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

SWEEP_FEE_RATE = 0.001
SWEEP_SLIPPAGE = 0.0005


@dataclass(frozen=True)
class BenchConfig:
    bars: int = 1_000_000
    population: int = 1_000
    ml_bars: int = 20_000
    ml_population: int = 2
    sweep_bars: int = 100_000
    sweep_fast: str = "5:44:1"
    sweep_slow: str = "50:170:5"
    repeats: int = 2
    vectorbt: bool = True
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


def kernel_bench(config: BenchConfig) -> list[dict[str, Any]]:
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


def layout_bench(config: BenchConfig) -> list[dict[str, Any]]:
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
            started = time.perf_counter()
            blocked = seed.evaluate(bars, params, sim)
            simd_seconds = time.perf_counter() - started
            started = time.perf_counter()
            single = np.concatenate([seed.evaluate(bars, params[i : i + 1], sim) for i in range(params.shape[0])])
            single_seconds = time.perf_counter() - started
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


def sweep_pairs(fast: str, slow: str) -> np.ndarray:
    """The ``(fast, slow)`` pairs of the grids ``fast`` and ``slow`` (``genepool sweep --grid`` values, e.g.
    ``"5:44:1"``) in ``genepool sweep``'s order: ``(n, 2)`` float64. Every pair must have fast < slow, so both engines
    sweep exactly the same pairs (the sweep would repair the others)."""
    from workloads.sweep import parse_grid

    _, fasts = parse_grid(f"fast={fast}")
    _, slows = parse_grid(f"slow={slow}")
    pairs = np.array([(f, s) for f in fasts for s in slows], dtype=np.float64)
    if not np.all(pairs[:, 0] < pairs[:, 1]):
        raise ValueError(f"sweep grids fast={fast} and slow={slow}: every fast must be below every slow")
    return pairs


def _genepool_command(data: Path, fast: str, slow: str) -> list[str]:
    """``genepool sweep`` over the grid, every pair in the JSON (``--top`` = the number of pairs)."""
    return [
        sys.executable,
        "-c",
        "from workloads.cli import main; main()",
        "sweep",
        "--data",
        str(data),
        "--strategy",
        "ema_crossover",
        "--grid",
        f"fast={fast}",
        "--grid",
        f"slow={slow}",
        "--fee-bps",
        f"{SWEEP_FEE_RATE * 1e4:g}",
        "--slippage-bps",
        f"{SWEEP_SLIPPAGE * 1e4:g}",
        "--top",
        str(len(sweep_pairs(fast, slow))),
        "--json",
    ]


def _genepool_result(stdout: str) -> dict[str, Any]:
    document = json.loads(stdout)
    return {
        "total_return": [entry["metrics"]["total_return"] for entry in document["top"]],
        "compute_seconds": document["seconds"],
    }


def _vectorbt_sweep(data: Path, pairs: np.ndarray) -> dict[str, Any]:
    import pandas as pd
    import vectorbt as vbt

    from workloads.data.loaders import load_bars

    bars = load_bars(data)
    index = pd.to_datetime(bars.timestamp, utc=True)
    close, open_ = pd.Series(bars.close, index=index), pd.Series(bars.open, index=index)
    started = time.perf_counter()
    fast = vbt.MA.run(close, window=pairs[:, 0].astype(int).tolist(), ewm=True, short_name="fast")
    slow = vbt.MA.run(close, window=pairs[:, 1].astype(int).tolist(), ewm=True, short_name="slow")
    entries = fast.ma_crossed_above(slow).vbt.signals.fshift(1)
    exits = fast.ma_crossed_below(slow).vbt.signals.fshift(1)
    portfolio = vbt.Portfolio.from_signals(
        close, entries, exits, direction="both", price=open_, fees=SWEEP_FEE_RATE, slippage=SWEEP_SLIPPAGE, freq="1h"
    )
    total_return = np.asarray(portfolio.total_return()).tolist()
    return {"total_return": total_return, "compute_seconds": time.perf_counter() - started}


def _vectorbt_command(data: Path, fast: str, slow: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "workloads.bench", str(data), fast, slow, str(out)]


def _run_process(engine: str, data: Path, fast: str, slow: str) -> dict[str, Any]:
    """One engine's sweep as a whole child process: wall seconds and peak RSS (MB) from ``wait4``, the compute
    seconds it reports, and the median total return over the pairs (the engines should roughly agree)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, stdout, stderr = Path(tmp) / "result.json", Path(tmp) / "stdout", Path(tmp) / "stderr"
        command = (
            _genepool_command(data, fast, slow) if engine == "genepool" else _vectorbt_command(data, fast, slow, out)
        )
        with stdout.open("wb") as out_handle, stderr.open("wb") as err_handle:
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=out_handle, stderr=err_handle)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{engine} sweep process failed:\n{stderr.read_text()[-2000:]}")
        result = _genepool_result(stdout.read_text()) if engine == "genepool" else json.loads(out.read_text())
    return {
        "engine": engine,
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "compute_seconds": result["compute_seconds"],
        "median_total_return": float(np.median(result["total_return"])),
    }


NUMBA_FLOOR_SCRIPT = """from numba import njit


@njit(cache=True)
def one(x):
    return x + 1.0


one(1.0)
"""
"""The least a Numba-based sweep process does: start Python, import Numba, load one cached kernel (which initialises
Numba's CPU target), call it, and exit."""


def numba_floor_seconds(workdir: Path, repeats: int) -> float:
    """Median wall seconds of :data:`NUMBA_FLOOR_SCRIPT` as a whole process, after one untimed run that compiles it
    into a cache under ``workdir``."""
    script = workdir / "numba_floor.py"
    script.write_text(NUMBA_FLOOR_SCRIPT)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(workdir / "numba-floor-cache")}
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, str(script)], env=env, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def sweep_bench(config: BenchConfig, workdir: Path) -> dict[str, Any]:
    """Figure 3 (see module doc): genepool and vectorbt sweeps as whole processes, warmed up, then alternately."""
    from workloads.data.loaders import write_bars
    from workloads.data.synthetic import generate

    data = workdir / "sweep-bars.parquet"
    write_bars(generate(config.sweep_bars, config.random_seed), data)
    engines = ["genepool", "vectorbt"] if config.vectorbt else ["genepool"]
    for engine in engines:
        _run_process(engine, data, config.sweep_fast, config.sweep_slow)
    runs = [
        _run_process(engine, data, config.sweep_fast, config.sweep_slow)
        for _ in range(config.repeats)
        for engine in engines
    ]
    summary: dict[str, Any] = {
        "pairs": len(sweep_pairs(config.sweep_fast, config.sweep_slow)),
        "fast": config.sweep_fast,
        "slow": config.sweep_slow,
        "bars": config.sweep_bars,
        "fee_rate": SWEEP_FEE_RATE,
        "slippage": SWEEP_SLIPPAGE,
        "runs": runs,
        "numba_floor_seconds": numba_floor_seconds(workdir, config.repeats),
    }
    for engine in engines:
        mine = [run for run in runs if run["engine"] == engine]
        summary[engine] = {
            "median_seconds": statistics.median(r["seconds"] for r in mine),
            "median_compute_seconds": statistics.median(r["compute_seconds"] for r in mine),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in mine),
        }
    if config.vectorbt:
        summary["speedup"] = summary["vectorbt"]["median_seconds"] / summary["genepool"]["median_seconds"]
        summary["compute_speedup"] = (
            summary["vectorbt"]["median_compute_seconds"] / summary["genepool"]["median_compute_seconds"]
        )
        summary["speedup_ceiling"] = summary["vectorbt"]["median_seconds"] / summary["numba_floor_seconds"]
    return summary


def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Figures 1-3, with the machine they ran on."""
    with tempfile.TemporaryDirectory() as tmp:
        sweep = sweep_bench(config, Path(tmp))
    return {
        "config": asdict(config),
        "cpu_count": os.cpu_count(),
        "kernels": kernel_bench(config),
        "layout": layout_bench(config),
        "sweep": sweep,
    }


def _vectorbt_child(argv: list[str]) -> None:
    """``python -m workloads.bench DATA FAST SLOW OUT``: the vectorbt sweep, its result written to ``OUT``."""
    data, fast, slow, out = argv
    Path(out).write_text(json.dumps(_vectorbt_sweep(Path(data), sweep_pairs(fast, slow))))


if __name__ == "__main__":
    _vectorbt_child(sys.argv[1:])
