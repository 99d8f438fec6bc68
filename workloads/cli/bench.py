"""``genepool bench``: kernel throughput per seed, the sweep against vectorbt (``workloads.bench``), the evolution
on the local and Ray backends (``workloads.evolution.bench``) and the search quality of the GA against random search
and Optuna TPE (``workloads.evolution.search_bench``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from workloads.cli.common import console, print_json


def bench(
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
    bars: Annotated[int, typer.Option("--bars", min=2, help="Bars per kernel run.")] = 1_000_000,
    population: Annotated[int, typer.Option("--population", min=1, help="Individuals per kernel run.")] = 1_000,
    ml_bars: Annotated[int, typer.Option("--ml-bars", min=2, help="Bars for scikit-learn seeds.")] = 20_000,
    ml_population: Annotated[
        int, typer.Option("--ml-population", min=1, help="Individuals for scikit-learn seeds.")
    ] = 2,
    sweep_bars: Annotated[int, typer.Option("--sweep-bars", min=2, help="Bars of the sweep.")] = 100_000,
    sweep_fast: Annotated[
        str,
        typer.Option(
            "--sweep-fast",
            help="Fast EMA periods of the sweep, start:stop:step or v1,v2,... (as genepool sweep --grid).",
        ),
    ] = "5:44:1",
    sweep_slow: Annotated[
        str, typer.Option("--sweep-slow", help="Slow EMA periods of the sweep (each above every fast one).")
    ] = "50:170:5",
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Alternating runs per sweep engine.")] = 2,
    vectorbt: Annotated[bool, typer.Option("--vectorbt/--no-vectorbt", help="Compare with vectorbt.")] = True,
    seed: Annotated[list[str] | None, typer.Option("--seed", help="Only these seeds (repeat).")] = None,
    layout_bars: Annotated[
        int, typer.Option("--layout-bars", min=2, help="Bars of the SIMD vs per-individual comparison.")
    ] = 100_000,
    layout_population: Annotated[
        int, typer.Option("--layout-population", min=1, help="Individuals of the SIMD vs per-individual comparison.")
    ] = 200,
    headline: Annotated[
        bool,
        typer.Option("--headline/--no-headline", help="Also run the shortened headline search and extrapolate it."),
    ] = True,
    headline_bars: Annotated[int, typer.Option("--headline-bars", min=500, help="Bars of the headline search.")] = (
        1_000_000
    ),
    headline_population: Annotated[
        int, typer.Option("--headline-population", min=2, help="Population per seed of the headline search.")
    ] = 200,
    headline_generations: Annotated[
        int, typer.Option("--headline-generations", min=2, help="Generations run to extrapolate the headline from.")
    ] = 3,
    evolution: Annotated[
        bool, typer.Option("--evolution/--no-evolution", help="Also time the evolution (non-ML seeds).")
    ] = True,
    evolution_bars: Annotated[int, typer.Option("--evolution-bars", min=500, help="Bars of the evolution.")] = 100_000,
    evolution_population: Annotated[
        int, typer.Option("--evolution-population", min=2, help="Population per seed.")
    ] = 200,
    evolution_backends: Annotated[
        str, typer.Option("--evolution-backends", help="Comma-separated: local, ray.")
    ] = "local,ray",
    search: Annotated[
        bool, typer.Option("--search/--no-search", help="Also compare GA, random search and TPE (needs optuna).")
    ] = True,
    search_runs: Annotated[int, typer.Option("--search-runs", min=1, help="Paired runs of the search bench.")] = 10,
    search_strength: Annotated[
        float, typer.Option("--search-strength", min=0.0, help="Planted trend strength of the search bench.")
    ] = 0.3,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Time the fitness kernels (and their SIMD layout against the per-individual one), the EMA sweep (vs
    vectorbt), the evolution (local vs Ray) and the shortened headline search; print the figures and write them as
    JSON."""
    from workloads.bench import BenchConfig, run_bench

    config = BenchConfig(
        bars=bars,
        population=population,
        ml_bars=ml_bars,
        ml_population=ml_population,
        sweep_bars=sweep_bars,
        sweep_fast=sweep_fast,
        sweep_slow=sweep_slow,
        repeats=repeats,
        vectorbt=vectorbt,
        seeds=tuple(seed or ()),
        layout_bars=layout_bars,
        layout_population=layout_population,
    )
    results = run_bench(config)
    if evolution:
        from workloads.evolution.bench import run_benchmark

        results["evolution"] = run_benchmark(
            evolution_bars, evolution_population, backends=tuple(b.strip() for b in evolution_backends.split(","))
        )
    if headline:
        from workloads.evolution.bench import run_headline

        results["headline"] = run_headline(headline_bars, headline_population, headline_generations)
    if search:
        from workloads.evolution.search_bench import run_search_benchmark

        results["search_quality"] = run_search_benchmark(runs=search_runs, strength=search_strength)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
    if json_output:
        print_json(results)
        return
    kernels = Table(title=f"fitness kernels ({config.threads} threads)")
    kernels.add_column("seed", no_wrap=True)
    for column in ("bars × population", "seconds", "bar-evals/s", "per thread", "peak RSS above inputs"):
        kernels.add_column(column, justify="right")
    for row in results["kernels"]:
        size = f"{row['bars']:,} × {row['population']:,}" + (" (reduced)" if row["reduced"] else "")
        kernels.add_row(
            row["seed"],
            size,
            f"{row['seconds']:.2f}",
            f"{row['bar_evals_per_second']:.3g}",
            f"{row['bar_evals_per_second_per_thread']:.3g}",
            f"{row['peak_rss_above_inputs_mb']:.1f} MB",
        )
    console.print(kernels)
    layout = Table(title="SIMD layout vs per-individual layout, one thread (bit-identical metrics)")
    layout.add_column("seed", no_wrap=True)
    for column in ("bars × population", "SIMD bar-evals/s", "per-individual", "ratio", "target", "identical"):
        layout.add_column(column, justify="right")
    for row in results["layout"]:
        layout.add_row(
            row["seed"],
            f"{row['bars']:,} × {row['population']:,}",
            f"{row['simd_bar_evals_per_second']:.3g}" + ("" if row["per_thread_met"] else " (< 1e8)"),
            f"{row['per_individual_bar_evals_per_second']:.3g}",
            f"{row['ratio']:.2f}×",
            f"≥ {row['ratio_target']:.1f}× " + ("met" if row["ratio_met"] else "NOT met"),
            "yes" if row["identical"] else "NO",
        )
    console.print(layout)
    sweep = results["sweep"]
    runs = Table(
        title=f"EMA sweep: {sweep['pairs']:,} pairs (fast {sweep['fast']}, slow {sweep['slow']}) × "
        f"{sweep['bars']:,} bars, whole processes after one untimed warm-up run each"
    )
    for column in ("run", "engine", "seconds", "of which compute", "peak RSS", "median total_return"):
        runs.add_column(column, justify="right", no_wrap=True)
    for i, run in enumerate(sweep["runs"], 1):
        runs.add_row(
            str(i),
            run["engine"],
            f"{run['seconds']:.2f}",
            f"{run['compute_seconds']:.2f}",
            f"{run['peak_rss_mb']:,.0f} MB",
            f"{run['median_total_return']:.4f}",
        )
    console.print(runs)
    if "speedup" in sweep:
        console.print(
            f"genepool is {sweep['speedup']:.1f}× faster than vectorbt (median whole-process wall time); "
            f"{sweep['compute_speedup']:.1f}× on the sweep's compute alone"
        )
        console.print(
            f"a Python process that only imports Numba and calls one cached kernel takes "
            f"{sweep['numba_floor_seconds']:.2f} s here: no Numba-based sweep can be more than "
            f"{sweep['speedup_ceiling']:.1f}× faster than vectorbt as a whole process on this machine"
        )
    if "evolution" in results:
        from workloads.evolution.bench import format_benchmark

        console.print(format_benchmark(results["evolution"]), highlight=False)
    if "headline" in results:
        from workloads.evolution.bench import format_headline

        console.print(format_headline(results["headline"]), highlight=False)
    if "search_quality" in results:
        from workloads.evolution.search_bench import format_search_benchmark

        console.print(format_search_benchmark(results["search_quality"]), highlight=False)
    if out is not None:
        console.print(f"wrote {out}")
