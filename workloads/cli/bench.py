"""``genepool bench``: kernel throughput per seed, the sweep against vectorbt (``workloads.bench``), the evolution
on the local and Ray backends (``workloads.evolution.bench``), the search quality of the GA against random search,
Optuna's TPE and CMA-ES (``workloads.evolution.search_bench``) and, with ``--api`` or ``--only-api``, the HTTP API
under load over PostgreSQL (``workloads.service.bench``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from workloads.cli.common import bad_input_exits, console, fail_bad_input, print_json

VECTORBT_MODULES = ("vectorbt", "pandas")
"""What the sweep comparison imports (the bench extra)."""
SEARCH_MODULES = ("optuna", "cmaes", "backtesting")
"""What the search-quality benchmark imports (the bench extra)."""


def _budgets(text: str) -> tuple[int, ...]:
    try:
        budgets = tuple(int(b) for b in text.split(","))
    except ValueError:
        hint = "--search-budgets"
        raise typer.BadParameter(f"{text!r}: expected comma-separated integers", param_hint=hint) from None
    if min(budgets) < 1:
        raise typer.BadParameter(f"{text!r}: every budget must be >= 1", param_hint="--search-budgets")
    return budgets


def _variant(text: str) -> tuple[str, dict[str, Any]]:
    """``KEY=VALUE[,KEY=VALUE]`` → ``(label, overrides)``; values are YAML scalars, checked by the config."""
    from workloads.evolution.config import ConfigError, EvolutionConfig

    overrides: dict[str, Any] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--search-variant")
        overrides[key.strip()] = yaml.safe_load(value)
    try:
        EvolutionConfig().with_overrides(overrides, source="--search-variant")
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--search-variant") from None
    return f"ga[{text}]", overrides


def _objective_study() -> dict[str, Any]:
    from workloads.evolution.objective_study import run_objective_study

    return run_objective_study()


def _progress(row: dict[str, Any], seconds: float) -> None:
    typer.echo(f"search bench: {row['landscape']} #{row['repetition']} {row['seed']} done at {seconds:.0f} s", err=True)


def _write(out: Path | None, results: dict[str, Any]) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")


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
        bool,
        typer.Option(
            "--search/--no-search",
            help="Also compare the GA with random search, TPE and CMA-ES per seed (needs the bench extra).",
        ),
    ] = True,
    only_search: Annotated[
        bool, typer.Option("--only-search", help="Run the search bench alone (no kernels, sweep or evolution).")
    ] = False,
    search_landscapes: Annotated[
        str | None,
        typer.Option("--search-landscapes", help="Comma-separated: trend, weak-trend, reversion, goog, eurusd [all]."),
    ] = None,
    search_repetitions: Annotated[
        int | None,
        typer.Option("--search-repetitions", min=1, help="Repetitions per landscape (data path / random seed) [1]."),
    ] = None,
    search_bars: Annotated[
        int | None, typer.Option("--search-bars", min=500, help="Bars of the synthetic landscapes [3000].")
    ] = None,
    search_budgets: Annotated[
        str | None, typer.Option("--search-budgets", help="Comma-separated evaluation budgets per seed [80,400].")
    ] = None,
    search_reference: Annotated[
        int | None,
        typer.Option("--search-reference", min=100, help="Uniform genomes in each seed's dense reference [40000]."),
    ] = None,
    search_race_seconds: Annotated[
        float | None,
        typer.Option("--search-race-seconds", min=0.001, help="Wall time per side of each seed-run's race [0.25]."),
    ] = None,
    search_variant: Annotated[
        list[str] | None,
        typer.Option(
            "--search-variant",
            help="A GA variant run beside the GA, as KEY=VALUE[,KEY=VALUE] config overrides (repeatable).",
        ),
    ] = None,
    objective_study: Annotated[
        bool,
        typer.Option(
            "--objective-study/--no-objective-study",
            help="Also score each objective's pick out of sample: fresh paths of the planted-edge generator, "
            "walk-forward folds on the real data sets (needs the bench extra).",
        ),
    ] = False,
    api: Annotated[
        bool,
        typer.Option("--api/--no-api", help="Also load the HTTP API (needs GENEPOOL_DATABASE_URL=postgresql://…)."),
    ] = False,
    only_api: Annotated[bool, typer.Option("--only-api", help="Run the API bench alone.")] = False,
    api_routes: Annotated[
        str, typer.Option("--api-routes", help="Comma-separated: uncached (/v1/strategies/{id}), cached.")
    ] = "uncached",
    api_bars: Annotated[int, typer.Option("--api-bars", min=2, help="Bars stored for the API bench.")] = 10_000,
    api_strategies: Annotated[
        int, typer.Option("--api-strategies", min=1, help="Strategies stored: the uncached route's ids.")
    ] = 1000,
    api_clients: Annotated[int, typer.Option("--api-clients", min=1, help="Concurrent API clients.")] = 50,
    api_seconds: Annotated[float, typer.Option("--api-seconds", min=0.1, help="Seconds per API run.")] = 20.0,
    api_rounds: Annotated[
        int, typer.Option("--api-rounds", min=1, help="Uncached runs per server, alternating with --api-compare-with.")
    ] = 2,
    api_pin: Annotated[
        bool, typer.Option("--api-pin/--no-api-pin", help="Server on CPU 0, load generator on CPU 1.")
    ] = True,
    api_compare_with: Annotated[
        Path | None,
        typer.Option("--api-compare-with", help="A checkout whose server is measured beside this one ('before')."),
    ] = None,
    api_port: Annotated[int, typer.Option("--api-port", min=1, max=65534, help="Port of the server (+1: before).")] = (
        8765
    ),
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Time the fitness kernels (and their SIMD layout against the per-individual one), the EMA sweep (vs
    vectorbt), the evolution (local vs Ray) and the shortened headline search; print the figures and write them as
    JSON."""
    from workloads.bench import BenchConfig, run_bench
    from workloads.evolution.search_setup import SearchBenchConfig

    needed = [
        *(VECTORBT_MODULES if vectorbt and not (only_search or only_api) else ()),
        *(SEARCH_MODULES if (search or only_search) and not only_api else ()),
    ]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise fail_bad_input(
            f"genepool bench needs the bench extra, which is not installed (missing: {', '.join(missing)}): "
            "pip install 'genepool[bench]' (or `make bench` from a clone); --no-vectorbt runs the kernel and "
            "evolution figures without it"
        )
    given: dict[str, Any] = {
        "landscapes": None if search_landscapes is None else tuple(n.strip() for n in search_landscapes.split(",")),
        "repetitions": search_repetitions,
        "bars": search_bars,
        "budgets": None if search_budgets is None else _budgets(search_budgets),
        "reference_size": search_reference,
        "race_seconds": search_race_seconds,
        "variants": tuple((label, tuple(o.items())) for label, o in map(_variant, search_variant or [])),
    }
    try:
        search_setup = SearchBenchConfig(**{key: value for key, value in given.items() if value is not None})
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--search-*") from None

    def api_bench() -> dict[str, Any]:
        from workloads.service.bench import run_benchmark as run_api_benchmark

        with bad_input_exits():
            return run_api_benchmark(
                bars=api_bars,
                strategies=api_strategies,
                clients=api_clients,
                seconds=api_seconds,
                port=api_port,
                pin=api_pin,
                routes=[name.strip() for name in api_routes.split(",") if name.strip()],
                compare_with=None if api_compare_with is None else str(api_compare_with),
                rounds=api_rounds,
            )

    if only_api:
        from workloads.service.bench import format_benchmark as format_api_benchmark

        results_api = {"api": api_bench()}
        _write(out, results_api)
        if json_output:
            print_json(results_api)
            return
        console.print(format_api_benchmark(results_api["api"]), highlight=False)
        return
    if only_search:
        from workloads.evolution.search_bench import format_search_benchmark, run_search_benchmark

        results_only = {"search_quality": run_search_benchmark(search_setup, _progress)}
        if objective_study:
            results_only["objective_study"] = _objective_study()
        _write(out, results_only)
        if json_output:
            print_json(results_only)
            return
        console.print(format_search_benchmark(results_only["search_quality"]), highlight=False)
        if objective_study:
            from workloads.evolution.objective_study import format_objective_study

            console.print(format_objective_study(results_only["objective_study"]), highlight=False)
        return
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

        results["search_quality"] = run_search_benchmark(search_setup, _progress)
    if objective_study:
        results["objective_study"] = _objective_study()
    if api:
        results["api"] = api_bench()
    _write(out, results)
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
    if "objective_study" in results:
        from workloads.evolution.objective_study import format_objective_study

        console.print(format_objective_study(results["objective_study"]), highlight=False)
    if "api" in results:
        from workloads.service.bench import format_benchmark as format_api_benchmark

        console.print(format_api_benchmark(results["api"]), highlight=False)
    if out is not None:
        console.print(f"wrote {out}")
