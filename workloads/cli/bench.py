"""``genepool bench``: the options, turned into a :class:`~workloads.bench.run.BenchPlan`, run, printed.

What each section measures: the ``workloads.bench`` package (the accounts pass, the kernels and their layout, the
sweep against vectorbt, the evolution on the local and Ray backends, the headline search, the search quality of the
GA against random search, Optuna's TPE and CMA-ES and, with ``--api`` or ``--only-api``, the HTTP API under load
over PostgreSQL). The options are declared once below as ``Annotated`` aliases, so the command's signature is one
line per option."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workloads.cli.common import bad_input_exits, console, fail_bad_input, print_json

if TYPE_CHECKING:
    from workloads.bench.run import ApiBenchConfig, BenchPlan
    from workloads.bench.search_setup import SearchBenchConfig

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
    import yaml

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


def _progress(row: dict[str, Any], seconds: float) -> None:
    typer.echo(f"search bench: {row['landscape']} #{row['repetition']} {row['seed']} done at {seconds:.0f} s", err=True)


def _write(out: Path | None, results: dict[str, Any]) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")


Out = Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")]
Bars_ = Annotated[int, typer.Option("--bars", min=2, help="Bars per kernel run.")]
Population = Annotated[int, typer.Option("--population", min=1, help="Individuals per kernel run.")]
MlBars = Annotated[int, typer.Option("--ml-bars", min=2, help="Bars for scikit-learn seeds.")]
MlPopulation = Annotated[int, typer.Option("--ml-population", min=1, help="Individuals for scikit-learn seeds.")]
SweepBars = Annotated[int, typer.Option("--sweep-bars", min=2, help="Bars of the sweep.")]
SweepFast = Annotated[
    str,
    typer.Option(
        "--sweep-fast", help="Fast EMA periods of the sweep, start:stop:step or v1,v2,... (as genepool sweep --grid)."
    ),
]
SweepSlow = Annotated[
    str, typer.Option("--sweep-slow", help="Slow EMA periods of the sweep (each above every fast one).")
]
Repeats = Annotated[int, typer.Option("--repeats", min=1, help="Alternating runs per sweep engine.")]
Vectorbt = Annotated[bool, typer.Option("--vectorbt/--no-vectorbt", help="Compare with vectorbt.")]
Seeds = Annotated[list[str] | None, typer.Option("--seed", help="Only these seeds (repeat).")]
LayoutBars = Annotated[
    int,
    typer.Option(
        "--layout-bars", min=2, help="Bars of the one-thread figures: SIMD vs per-individual layout, accounts pass."
    ),
]
LayoutPopulation = Annotated[
    int, typer.Option("--layout-population", min=1, help="Individuals of the one-thread figures.")
]
Headline = Annotated[
    bool, typer.Option("--headline/--no-headline", help="Also run the headline search (or its first generations).")
]
HeadlineBars = Annotated[int, typer.Option("--headline-bars", min=500, help="Bars of the headline search.")]
HeadlinePopulation = Annotated[
    int, typer.Option("--headline-population", min=2, help="Population per seed of the headline search.")
]
HeadlineGenerations = Annotated[
    int,
    typer.Option(
        "--headline-generations",
        min=2,
        max=50,
        help="Generations of the headline search run: 50 measures the whole search (minutes); fewer extrapolate.",
    ),
]
Evolution = Annotated[bool, typer.Option("--evolution/--no-evolution", help="Also time the evolution (non-ML seeds).")]
EvolutionBars = Annotated[int, typer.Option("--evolution-bars", min=500, help="Bars of the evolution.")]
EvolutionPopulation = Annotated[int, typer.Option("--evolution-population", min=2, help="Population per seed.")]
EvolutionBackends = Annotated[str, typer.Option("--evolution-backends", help="Comma-separated: local, ray.")]
Search = Annotated[
    bool,
    typer.Option(
        "--search/--no-search",
        help="Also compare the GA with random search, TPE and CMA-ES per seed (needs the bench extra).",
    ),
]
OnlySearch = Annotated[
    bool, typer.Option("--only-search", help="Run the search bench alone (no kernels, sweep or evolution).")
]
SearchLandscapes = Annotated[
    str | None,
    typer.Option("--search-landscapes", help="Comma-separated: trend, weak-trend, reversion, goog, eurusd [all]."),
]
SearchRepetitions = Annotated[
    int | None,
    typer.Option("--search-repetitions", min=1, help="Repetitions per landscape (data path / random seed) [1]."),
]
SearchBars = Annotated[
    int | None, typer.Option("--search-bars", min=500, help="Bars of the synthetic landscapes [3000].")
]
SearchBudgets = Annotated[
    str | None, typer.Option("--search-budgets", help="Comma-separated evaluation budgets per seed [80,400].")
]
SearchReference = Annotated[
    int | None,
    typer.Option("--search-reference", min=100, help="Uniform genomes in each seed's dense reference [40000]."),
]
SearchRaceSeconds = Annotated[
    float | None,
    typer.Option("--search-race-seconds", min=0.001, help="Wall time per side of each seed-run's race [0.25]."),
]
SearchVariant = Annotated[
    list[str] | None,
    typer.Option(
        "--search-variant",
        help="A GA variant run beside the GA, as KEY=VALUE[,KEY=VALUE] config overrides (repeatable).",
    ),
]
ObjectiveStudy = Annotated[
    bool,
    typer.Option(
        "--objective-study/--no-objective-study",
        help="Also score each objective's pick out of sample: fresh paths of the planted-edge generator, "
        "walk-forward folds on the real data sets (needs the bench extra).",
    ),
]
Api = Annotated[
    bool, typer.Option("--api/--no-api", help="Also load the HTTP API (needs GENEPOOL_DATABASE_URL=postgresql://…).")
]
OnlyApi = Annotated[bool, typer.Option("--only-api", help="Run the API bench alone.")]
ApiRoutes = Annotated[
    str, typer.Option("--api-routes", help="Comma-separated: uncached (/v1/strategies/{id}), cached.")
]
ApiBars = Annotated[int, typer.Option("--api-bars", min=2, help="Bars stored for the API bench.")]
ApiStrategies = Annotated[
    int, typer.Option("--api-strategies", min=1, help="Strategies stored: the uncached route's ids.")
]
ApiClients = Annotated[int, typer.Option("--api-clients", min=1, help="Concurrent API clients.")]
ApiSeconds = Annotated[float, typer.Option("--api-seconds", min=0.1, help="Seconds per API run.")]
ApiRounds = Annotated[
    int, typer.Option("--api-rounds", min=1, help="Uncached runs per server, alternating with --api-compare-with.")
]
ApiPin = Annotated[bool, typer.Option("--api-pin/--no-api-pin", help="Server on CPU 0, load generator on CPU 1.")]
ApiCompareWith = Annotated[
    Path | None,
    typer.Option("--api-compare-with", help="A checkout whose server is measured beside this one ('before')."),
]
ApiPort = Annotated[int, typer.Option("--api-port", min=1, max=65534, help="Port of the server (+1: before).")]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _check_extra(vectorbt: bool, search: bool, only_search: bool, only_api: bool) -> None:
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


def _search_setup(
    landscapes: str | None,
    budgets: str | None,
    variants: list[str] | None,
    sizes: tuple[int | None, int | None, int | None, float | None],
) -> SearchBenchConfig:
    """The ``--search-*`` options as a config (``sizes``: repetitions, bars, reference genomes, race seconds);
    options not given keep the config's defaults."""
    from workloads.bench.search_setup import SearchBenchConfig

    repetitions, bars, reference, race_seconds = sizes
    given: dict[str, Any] = {
        "landscapes": None if landscapes is None else tuple(n.strip() for n in landscapes.split(",")),
        "repetitions": repetitions,
        "bars": bars,
        "budgets": None if budgets is None else _budgets(budgets),
        "reference_size": reference,
        "race_seconds": race_seconds,
        "variants": tuple((label, tuple(o.items())) for label, o in map(_variant, variants or [])),
    }
    try:
        return SearchBenchConfig(**{key: value for key, value in given.items() if value is not None})
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--search-*") from None


def _kernel_plan(
    bars: int,
    population: int,
    ml: tuple[int, int],
    seeds: list[str] | None,
    layout: tuple[int, int],
    sweep: tuple[int, str, str, int, bool],
) -> BenchPlan:
    """The accounts pass, the kernels and the sweep: ``ml`` and ``layout`` are ``(bars, population)``, ``sweep``
    ``(bars, fast, slow, repeats, vectorbt)``."""
    from workloads.bench.accounts import AccountsBenchConfig
    from workloads.bench.kernels import KernelBenchConfig
    from workloads.bench.run import BenchPlan
    from workloads.bench.sweep import SweepBenchConfig

    kernels = KernelBenchConfig(
        bars=bars,
        population=population,
        ml_bars=ml[0],
        ml_population=ml[1],
        seeds=tuple(seeds or ()),
        layout_bars=layout[0],
        layout_population=layout[1],
    )
    return BenchPlan(
        accounts=AccountsBenchConfig(bars=layout[0], population=layout[1]),
        kernels=kernels,
        sweep=SweepBenchConfig(*sweep),
    )


def _api_config(
    routes: str,
    bars: int,
    strategies: int,
    clients: int,
    seconds: float,
    rounds: int,
    pin: bool,
    compare_with: Path | None,
    port: int,
) -> ApiBenchConfig:
    from workloads.bench.run import ApiBenchConfig

    return ApiBenchConfig(
        bars=bars,
        strategies=strategies,
        clients=clients,
        seconds=seconds,
        port=port,
        pin=pin,
        routes=tuple(name.strip() for name in routes.split(",") if name.strip()),
        compare_with=None if compare_with is None else str(compare_with),
        rounds=rounds,
    )


def _finish(results: dict[str, Any], out: Path | None, json_output: bool) -> None:
    """Write ``results`` to ``out``, then print them as JSON or as tables."""
    _write(out, results)
    if json_output:
        print_json(results)
        return
    _print_results(results)
    if out is not None:
        console.print(f"wrote {out}")


def _print_results(results: dict[str, Any]) -> None:
    """Every figure of ``results`` that ran, then the verdict table when there are kernel targets; tables fold and
    lines stay whole (docs/cli.md#terminal-output), plain when piped."""
    from workloads.bench import tables
    from workloads.cli.layout import print_lines, print_table

    if "accounts" in results:
        print_lines(console, [tables.accounts_line(results["accounts"])])
    if "kernels" in results:
        print_table(console, tables.kernels_table(results["kernels"]))
        print_table(console, tables.layout_table(results["layout"]))
    if "sweep" in results:
        print_table(console, tables.sweep_table(results["sweep"]))
        print_lines(console, tables.sweep_lines(results["sweep"]))
    print_lines(console, tables.search_texts(results))
    if results.get("verdict"):
        print_table(console, tables.verdict_table(results))


def bench(
    out: Out = None,
    bars: Bars_ = 1_000_000,
    population: Population = 1_000,
    ml_bars: MlBars = 20_000,
    ml_population: MlPopulation = 2,
    sweep_bars: SweepBars = 100_000,
    sweep_fast: SweepFast = "5:44:1",
    sweep_slow: SweepSlow = "50:170:5",
    repeats: Repeats = 2,
    vectorbt: Vectorbt = True,
    seed: Seeds = None,
    layout_bars: LayoutBars = 100_000,
    layout_population: LayoutPopulation = 200,
    headline: Headline = True,
    headline_bars: HeadlineBars = 1_000_000,
    headline_population: HeadlinePopulation = 200,
    headline_generations: HeadlineGenerations = 3,
    evolution: Evolution = True,
    evolution_bars: EvolutionBars = 100_000,
    evolution_population: EvolutionPopulation = 200,
    evolution_backends: EvolutionBackends = "local,ray",
    search: Search = True,
    only_search: OnlySearch = False,
    search_landscapes: SearchLandscapes = None,
    search_repetitions: SearchRepetitions = None,
    search_bars: SearchBars = None,
    search_budgets: SearchBudgets = None,
    search_reference: SearchReference = None,
    search_race_seconds: SearchRaceSeconds = None,
    search_variant: SearchVariant = None,
    objective_study: ObjectiveStudy = False,
    api: Api = False,
    only_api: OnlyApi = False,
    api_routes: ApiRoutes = "uncached",
    api_bars: ApiBars = 10_000,
    api_strategies: ApiStrategies = 1000,
    api_clients: ApiClients = 50,
    api_seconds: ApiSeconds = 20.0,
    api_rounds: ApiRounds = 2,
    api_pin: ApiPin = True,
    api_compare_with: ApiCompareWith = None,
    api_port: ApiPort = 8765,
    json_output: JsonOutput = False,
) -> None:
    """Time the accounts pass, the fitness kernels (and their SIMD layout against the per-individual one), the EMA
    sweep (vs vectorbt), the evolution (local vs Ray) and the headline search; print the figures, each kernel target
    met or not, and write them as JSON."""
    from workloads.bench.headline import HeadlineConfig
    from workloads.bench.run import BenchPlan, EvolutionBenchConfig, api_section, run_bench

    _check_extra(vectorbt, search, only_search, only_api)
    sizes = (search_repetitions, search_bars, search_reference, search_race_seconds)
    search_setup = _search_setup(search_landscapes, search_budgets, search_variant, sizes)
    api_config = _api_config(
        api_routes, api_bars, api_strategies, api_clients, api_seconds, api_rounds, api_pin, api_compare_with, api_port
    )
    plan = BenchPlan(search=search_setup, objective_study=objective_study)
    if not (only_search or only_api):
        sweep = (sweep_bars, sweep_fast, sweep_slow, repeats, vectorbt)
        kernels = _kernel_plan(
            bars, population, (ml_bars, ml_population), seed, (layout_bars, layout_population), sweep
        )
        backends = tuple(b.strip() for b in evolution_backends.split(","))
        plan = replace(
            kernels,
            evolution=EvolutionBenchConfig(evolution_bars, evolution_population, backends) if evolution else None,
            headline=HeadlineConfig(headline_bars, headline_population, headline_generations) if headline else None,
            search=search_setup if search else None,
            objective_study=objective_study,
        )
    results = {} if only_api else run_bench(plan, _progress)
    if api or only_api:
        with bad_input_exits():
            results["api"] = api_section(api_config)
    _finish(results, out, json_output)
