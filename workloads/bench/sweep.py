"""The sweep figure of ``genepool bench``: genepool's EMA sweep against vectorbt's, both as whole processes.

The EMA (fast, slow) grid ``fast`` × ``slow`` (``genepool sweep --grid`` syntax; default 5..44 × 50..170 step 5 =
1,000 pairs, every one with fast < slow) on ``bars`` bars, 10 bps fees, 5 bps slippage, long/short, filled at the
next open. Each engine runs as a whole process (interpreter start, imports, loading the data file, the sweep, its
output): genepool is the ``genepool sweep ... --json`` command users run; vectorbt is ``Portfolio.from_signals`` over
``vbt.MA.run(..., ewm=True)`` crossovers (signals shifted one bar, executed at the open; it needs the ``bench``
extra). Each engine first runs once untimed, so both Numba caches (ours and vectorbt's) hold compiled code and the
timed runs measure warm processes; then the engines alternate ``repeats`` times. Per run: wall time and peak RSS
(``wait4`` rusage), and the compute time the process reports for the sweep itself (genepool: the kernel call;
vectorbt: indicators to total return).

Beside the processes, the same evaluation ``genepool sweep`` times as its compute runs in this process on one Numba
thread (:func:`one_thread_seconds`: CPU time, best of :data:`ONE_THREAD_REPEATS`), giving
``ns_per_pair_bar_per_thread``, the sweep's compute per pair-bar per thread, which the verdict holds against the
accounts pass of the same run; ``threads`` is how many Numba threads the ``genepool sweep`` process uses.

Reported: ``speedup``, the ratio of median whole-process wall times; ``compute_speedup``, the ratio of median
compute times; ``numba_floor_seconds``, the least any Numba-based process does (:data:`NUMBA_FLOOR_SCRIPT`: start
Python, import Numba, load and call one cached trivial kernel); ``speedup_ceiling`` = vectorbt's wall time / that
floor, the whole-process ratio a sweep taking no time at all would reach on this machine; and
``process_overhead_seconds`` = genepool's median wall time − the floor − its median compute, from floor and
``genepool sweep`` processes timed in turn (:func:`process_overhead`, figures under ``process_overhead``): what
``genepool sweep`` spends beyond the floor and the sweep itself (imports, loading the file, repairing the grid,
printing).

``python -m workloads.bench.sweep DATA FAST SLOW OUT`` is the vectorbt child process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SWEEP_FEE_RATE = 0.001
SWEEP_SLIPPAGE = 0.0005


@dataclass(frozen=True)
class SweepBenchConfig:
    """The sweep figure's grid (``genepool sweep --grid`` values), bars, timed runs per engine, and whether vectorbt
    runs beside genepool."""

    bars: int = 100_000
    fast: str = "5:44:1"
    slow: str = "50:170:5"
    repeats: int = 2
    vectorbt: bool = True
    random_seed: int = 7


def sweep_pairs(fast: str, slow: str) -> np.ndarray:
    """The ``(fast, slow)`` pairs of the grids ``fast`` and ``slow`` (``genepool sweep --grid`` values, e.g.
    ``"5:44:1"``) in ``genepool sweep``'s order: ``(n, 2)`` float64. Every pair must have fast < slow, so both engines
    sweep exactly the same pairs (the sweep would repair the others)."""
    from workloads.evolution.sweep import parse_grid

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
    return [sys.executable, "-m", "workloads.bench.sweep", str(data), fast, slow, str(out)]


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
            process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        if process.returncode != 0:
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


def _floor_process(workdir: Path) -> list[str]:
    """The command of :data:`NUMBA_FLOOR_SCRIPT` as a whole process, the script written under ``workdir``."""
    script = workdir / "numba_floor.py"
    script.write_text(NUMBA_FLOOR_SCRIPT)
    return [sys.executable, str(script)]


def _wall_seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    return time.perf_counter() - started


OVERHEAD_REPEATS = 7
"""Floor and ``genepool sweep`` processes timed in turn for the process overhead (the medians count)."""


def process_overhead(workdir: Path, data: Path, fast: str, slow: str, repeats: int) -> dict[str, float]:
    """What ``genepool sweep`` spends beyond the Numba floor and its compute, from ``repeats`` floor processes
    (:data:`NUMBA_FLOOR_SCRIPT`, compiled into a cache under ``workdir`` by one untimed run) and ``repeats``
    ``genepool sweep`` processes timed in turn, so both meet the same machine (a sweep timed right after a
    25-second vectorbt process takes 0.2–0.3 s longer than one after a floor). Medians of wall seconds."""
    floor = _floor_process(workdir)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(workdir / "numba-floor-cache")}
    _wall_seconds(floor, env)
    floors, sweeps, computes = [], [], []
    for _ in range(repeats):
        floors.append(_wall_seconds(floor, env))
        run = _run_process("genepool", data, fast, slow)
        sweeps.append(run["seconds"])
        computes.append(run["compute_seconds"])
    figures = {
        "floor_seconds": statistics.median(floors),
        "process_seconds": statistics.median(sweeps),
        "compute_seconds": statistics.median(computes),
    }
    figures["seconds"] = figures["process_seconds"] - figures["floor_seconds"] - figures["compute_seconds"]
    return figures


ONE_THREAD_REPEATS = 3
"""Calls timed by :func:`one_thread_seconds` (the best counts)."""


def one_thread_seconds(data: Path, fast: str, slow: str) -> float:
    """Best-of-:data:`ONE_THREAD_REPEATS` CPU seconds (``time.process_time``) of the evaluation ``genepool sweep``
    times as its compute (``workloads.evolution.sweep.evaluate_grid`` over the grid's pairs, the sweep's costs), on
    one Numba thread in this process, after one untimed call that loads the compiled kernel."""
    import numba

    from workloads.bench.timing import best_cpu_seconds
    from workloads.data.loaders import load_bars
    from workloads.evolution.sweep import evaluate_grid
    from workloads.kernels.simulate import SimConfig
    from workloads.seeds.registry import get_seed

    bars = load_bars(data)
    params = sweep_pairs(fast, slow)
    seed = get_seed("ema_crossover")
    sim = SimConfig(SWEEP_FEE_RATE, SWEEP_SLIPPAGE, False, 0.0, 8766.0)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        evaluate_grid(seed, bars, params, sim)
        _, best = best_cpu_seconds(lambda: evaluate_grid(seed, bars, params, sim), ONE_THREAD_REPEATS)
    finally:
        numba.set_num_threads(previous)
    return best


def sweep_bench(config: SweepBenchConfig, workdir: Path) -> dict[str, Any]:
    """Figure 3 (see module doc): genepool and vectorbt sweeps as whole processes, warmed up, then alternately."""
    import numba

    from workloads.data.loaders import write_bars
    from workloads.data.synthetic import generate

    data = workdir / "sweep-bars.parquet"
    write_bars(generate(config.bars, config.random_seed), data)
    engines = ["genepool", "vectorbt"] if config.vectorbt else ["genepool"]
    for engine in engines:
        _run_process(engine, data, config.fast, config.slow)
    runs = [_run_process(engine, data, config.fast, config.slow) for _ in range(config.repeats) for engine in engines]
    pairs = len(sweep_pairs(config.fast, config.slow))
    one_thread = one_thread_seconds(data, config.fast, config.slow)
    summary: dict[str, Any] = {
        "pairs": pairs,
        "fast": config.fast,
        "slow": config.slow,
        "bars": config.bars,
        "fee_rate": SWEEP_FEE_RATE,
        "slippage": SWEEP_SLIPPAGE,
        "runs": runs,
        "threads": numba.config.NUMBA_NUM_THREADS,
        "one_thread_compute_seconds": one_thread,
        "ns_per_pair_bar_per_thread": one_thread / (pairs * config.bars) * 1e9,
    }
    summary["process_overhead"] = overhead = process_overhead(
        workdir, data, config.fast, config.slow, max(config.repeats, OVERHEAD_REPEATS)
    )
    summary["numba_floor_seconds"] = overhead["floor_seconds"]
    summary["process_overhead_seconds"] = overhead["seconds"]
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


def _vectorbt_child(argv: list[str]) -> None:
    """``python -m workloads.bench.sweep DATA FAST SLOW OUT``: the vectorbt sweep, its result written to ``OUT``."""
    data, fast, slow, out = argv
    Path(out).write_text(json.dumps(_vectorbt_sweep(Path(data), sweep_pairs(fast, slow))))


if __name__ == "__main__":
    _vectorbt_child(sys.argv[1:])
