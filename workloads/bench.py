"""Benchmarks (``genepool bench`` / ``make bench``): figures printed and written as JSON, never asserted in tests.

1. **Kernel per seed**: every seed's population evaluation on ``bars`` bars × ``population`` individuals (defaults
   1,000,000 × 1,000; scikit-learn seeds on a reduced ``ml_bars`` × ``ml_population``, flagged ``reduced``):
   wall seconds, bar-evaluations per second (total and per Numba thread), and peak RSS above what the process held
   before the call (inputs, compiled kernels) — measured by resetting the kernel's high-water mark
   (``/proc/self/clear_refs``) and reading ``VmHWM`` after the call.
2. **Sweep vs vectorbt**: ``sweep_pairs`` EMA (fast, slow) pairs × ``sweep_bars`` bars, 10 bps fees, 5 bps
   slippage, long/short, filled at the next open. Each engine runs as a whole process (interpreter start, imports,
   loading the data file, the sweep, its summary metrics), alternately ``repeats`` times; wall time and peak RSS
   (``wait4`` rusage) per run. The vectorbt side is ``Portfolio.from_signals`` over ``vbt.MA.run(..., ewm=True)``
   crossovers (signals shifted one bar, executed at the open); it needs the ``bench`` extra.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

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
    sweep_pairs: int = 1_000
    repeats: int = 2
    vectorbt: bool = True
    seeds: tuple[str, ...] = ()
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
    sim = SimConfig(fee_rate=SWEEP_FEE_RATE, slippage=SWEEP_SLIPPAGE, long_only=False, rebalance_band=0.0,
                    bars_per_year=8766.0)
    rows = []
    for name, seed in all_seeds().items():
        if config.seeds and name not in config.seeds:
            continue
        fused = isinstance(seed, FusedSeed)
        bars, population = (full, config.population) if fused else (reduced, min(config.ml_population,
                                                                                  config.population))
        params, _ = seed.repair(seed.genes.decode(rng.random((population, len(seed.genes)))))
        seed.evaluate(bars.slice(0, min(len(bars), 300)), params[:1], sim)
        _, seconds, peak_mb = peak_rss_above_baseline_mb(lambda: seed.evaluate(bars, params, sim))
        rate = population * len(bars) / seconds
        rows.append({"seed": name, "fused": fused, "reduced": not fused, "bars": len(bars),
                     "population": population, "seconds": seconds, "bar_evals_per_second": rate,
                     "bar_evals_per_second_per_thread": rate / config.threads, "threads": config.threads,
                     "peak_rss_above_inputs_mb": peak_mb})
    return rows


def ema_pairs(count: int) -> np.ndarray:
    """``count`` distinct valid ``(fast, slow)`` pairs of ``ema_crossover`` (fast 2..50 < slow 10..200), spread
    over the gene box in a fixed order: ``(count, 2)`` float64."""
    pairs = [(fast, slow) for slow in range(10, 201) for fast in range(2, 51) if fast < slow]
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} distinct (fast, slow) pairs exist, asked for {count}")
    chosen = np.linspace(0, len(pairs) - 1, count).round().astype(int)
    return np.array([pairs[i] for i in chosen], dtype=np.float64)


def _genepool_sweep(data: Path, pairs: np.ndarray) -> dict[str, Any]:
    from workloads.data.calendar import infer_bars_per_year
    from workloads.data.loaders import load_bars
    from workloads.kernels.metrics import METRIC_NAMES
    from workloads.kernels.simulate import SimConfig
    from workloads.seeds.strategies.ema_crossover import SEED  # just this seed: no scikit-learn import

    bars = load_bars(data)
    sim = SimConfig(SWEEP_FEE_RATE, SWEEP_SLIPPAGE, False, 0.0, infer_bars_per_year(bars.timestamp))
    metrics = SEED.evaluate(bars, pairs, sim)
    return {"total_return": metrics[:, METRIC_NAMES.index("total_return")].tolist()}


def _vectorbt_sweep(data: Path, pairs: np.ndarray) -> dict[str, Any]:
    import pandas as pd
    import vectorbt as vbt

    from workloads.data.loaders import load_bars

    bars = load_bars(data)
    index = pd.to_datetime(bars.timestamp, utc=True)
    close, open_ = pd.Series(bars.close, index=index), pd.Series(bars.open, index=index)
    fast = vbt.MA.run(close, window=pairs[:, 0].astype(int).tolist(), ewm=True, short_name="fast")
    slow = vbt.MA.run(close, window=pairs[:, 1].astype(int).tolist(), ewm=True, short_name="slow")
    entries = fast.ma_crossed_above(slow).vbt.signals.fshift(1)
    exits = fast.ma_crossed_below(slow).vbt.signals.fshift(1)
    portfolio = vbt.Portfolio.from_signals(close, entries, exits, direction="both", price=open_,
                                           fees=SWEEP_FEE_RATE, slippage=SWEEP_SLIPPAGE, freq="1h")
    return {"total_return": np.asarray(portfolio.total_return()).tolist()}


ENGINES: dict[str, Callable[[Path, np.ndarray], dict[str, Any]]] = {
    "genepool": _genepool_sweep,
    "vectorbt": _vectorbt_sweep,
}


def _run_process(engine: str, data: Path, n_pairs: int) -> dict[str, Any]:
    """One engine's sweep as a whole child process: wall seconds and peak RSS (MB) from ``wait4``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "workloads.bench", engine, str(data), str(n_pairs), out.name]
        started = time.perf_counter()
        process = subprocess.Popen(command, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        stderr = process.stderr.read().decode() if process.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{engine} sweep process failed:\n{stderr[-2000:]}")
        total_return = json.loads(Path(out.name).read_text())["total_return"]
    return {"engine": engine, "seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024,
            "median_total_return": float(np.median(total_return))}


def sweep_bench(config: BenchConfig, workdir: Path) -> dict[str, Any]:
    """Figure 2 (see module doc): genepool and vectorbt sweeps as whole processes, alternately."""
    from workloads.data.loaders import write_bars
    from workloads.data.synthetic import generate

    data = workdir / "sweep-bars.parquet"
    write_bars(generate(config.sweep_bars, config.random_seed), data)
    engines = ["genepool", "vectorbt"] if config.vectorbt else ["genepool"]
    runs = [_run_process(engine, data, config.sweep_pairs) for _ in range(config.repeats) for engine in engines]
    summary: dict[str, Any] = {"pairs": config.sweep_pairs, "bars": config.sweep_bars, "fee_rate": SWEEP_FEE_RATE,
                               "slippage": SWEEP_SLIPPAGE, "runs": runs}
    for engine in engines:
        mine = [run for run in runs if run["engine"] == engine]
        summary[engine] = {"median_seconds": statistics.median(r["seconds"] for r in mine),
                           "max_peak_rss_mb": max(r["peak_rss_mb"] for r in mine)}
    if config.vectorbt:
        summary["speedup"] = summary["vectorbt"]["median_seconds"] / summary["genepool"]["median_seconds"]
    return summary


def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Both figures, with the machine they ran on."""
    with tempfile.TemporaryDirectory() as tmp:
        sweep = sweep_bench(config, Path(tmp))
    return {"config": asdict(config), "cpu_count": os.cpu_count(), "kernels": kernel_bench(config), "sweep": sweep}


def _child(argv: list[str]) -> None:
    engine, data, n_pairs, out = argv
    result = ENGINES[engine](Path(data), ema_pairs(int(n_pairs)))
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    _child(sys.argv[1:])
