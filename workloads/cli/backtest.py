"""``genepool backtest`` (one strategy, one parameter set, or a hall-of-fame entry of a run) and ``genepool sweep``
(a parameter grid in one call).

Costs are given in basis points on the command line (``--fee-bps 10`` = 0.1 % of traded notional per fill) and
default to the one cost model of every path (:mod:`workloads.costs`, the same as ``evolve``). ``bars_per_year`` is
inferred from the timestamps unless ``--bars-per-year`` is given. ``backtest --run RUN --rank N`` replays entry
``N`` of the run's hall of fame exactly as the evolution scored it: the run's data (checked against its
fingerprint), its train/holdout cut, its costs and ``bars_per_year``. Metric semantics:
``workloads.kernels.metrics``; simulation: ``workloads.kernels.simulate``; printed formats:
:func:`workloads.cli.layout.format_metric`.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.table import Table

from workloads.cli.common import bad_input_exits, console, error_console, fail_bad_input, print_json
from workloads.cli.layout import format_metric, print_table
from workloads.costs import BPS, DEFAULT_FEE_BPS, DEFAULT_SLIPPAGE_BPS

if TYPE_CHECKING:
    from workloads.data.bars import Bars
    from workloads.evolution.sweep import SweepResult
    from workloads.kernels.simulate import SimConfig
    from workloads.seeds.base import BacktestResult, Seed, Trade

TRADE_COLUMNS = ("entry_time", "exit_time", "direction", "entry_price", "exit_price", "units", "pnl", "fees")

DataOption = Annotated[Path, typer.Option("--data", help="CSV or Parquet file of bars.")]
StrategyOption = Annotated[str, typer.Option("--strategy", help="Seed name (see `genepool strategies list`).")]
FeeOption = Annotated[
    float,
    typer.Option("--fee-bps", min=0.0, help="Fee per fill, bps of traded notional (the same default as evolve)."),
]
SlippageOption = Annotated[
    float,
    typer.Option("--slippage-bps", min=0.0, help="Slippage per fill, bps of the open (the same default as evolve)."),
]
LongOnlyOption = Annotated[bool, typer.Option("--long-only", help="Short targets become flat.")]
BandOption = Annotated[
    float,
    typer.Option(
        "--rebalance-band",
        min=0.0,
        help="Same-direction exposure changes up to this (fraction of equity) are not traded.",
    ),
]
BarsPerYearOption = Annotated[
    float | None,
    typer.Option("--bars-per-year", min=0.0, help="Annualisation; inferred from the timestamps when omitted."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ReportOption = Annotated[
    Path | None,
    typer.Option("--report", help="Also write an interactive HTML tear sheet to this file.", dir_okay=False),
]


def _seed(name: str) -> Seed:
    from workloads.seeds.registry import get_seed

    try:
        return get_seed(name)
    except KeyError as exc:
        raise fail_bad_input(f"--strategy: {exc.args[0]}") from None


def _load(path: Path, seed: Seed) -> Bars:
    from workloads.data.loaders import load_bars

    bars = load_bars(path)
    if seed.needs_funding and not bars.has_funding:
        raise ValueError(f"{path}: strategy {seed.name} needs a funding_rate column")
    return bars


def _sim(
    bars: Bars, fee_bps: float, slippage_bps: float, long_only: bool, band: float, bars_per_year: float | None
) -> SimConfig:
    from workloads.costs import sim_config

    return sim_config(
        bars_per_year,
        fee_bps=fee_bps,
        slippage_bps=slippage_bps,
        long_only=long_only,
        rebalance_band=band,
        timestamps=bars.timestamp,
    )


def _params(seed: Seed, assignments: list[str]) -> np.ndarray:
    values: dict[str, Any] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {text!r}: expected name=value")
        values[name.strip()] = value.strip()
    return seed.genes.row(values)


def _report_repairs(seed: Seed, before: np.ndarray, after: np.ndarray) -> None:
    error_console.print(
        f"[yellow]repaired:[/] {seed.genes.as_dict(before)} → {seed.genes.as_dict(after)} "
        f"({', '.join(f'{a} < {b}' for a, b in seed.ordered_genes)})",
        highlight=False,
    )


def _iso(ns: int | None) -> str:
    if ns is None:
        return ""
    return str(np.datetime_as_string(np.datetime64(int(ns), "ns"), unit="s")) + "Z"


def write_trades(path: Path, trades: list[Trade]) -> None:
    """The trade list as CSV (``TRADE_COLUMNS``); an open trade has an empty exit_time and exit_price."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRADE_COLUMNS)
        for trade in trades:
            writer.writerow(
                [
                    _iso(trade.entry_time),
                    _iso(trade.exit_time),
                    "long" if trade.direction > 0 else "short",
                    repr(trade.entry_price),
                    "" if trade.exit_price is None else repr(trade.exit_price),
                    repr(trade.units),
                    repr(trade.pnl),
                    repr(trade.fees),
                ]
            )


def _costs(sim: SimConfig) -> str:
    side = ", long only" if sim.long_only else ""
    return f"Costs: fee {sim.fee_rate / BPS:g} bps and slippage {sim.slippage / BPS:g} bps per fill{side}"


def _write_tear_sheet(path: Path, title: str, result: BacktestResult, bars: Bars, sim: SimConfig) -> None:
    from workloads.tearsheet.page import backtest_page, write

    write(path, backtest_page(title, result, bars, sim.bars_per_year, _costs(sim)))
    error_console.print(f"tear sheet written to {path}")


def _write_heatmap(
    path: Path,
    seed: Seed,
    result: SweepResult,
    grids: list[tuple[str, list[float | str]]],
    axes: tuple[str, str],
    rank_by: str,
    data: Path,
    sim: SimConfig,
) -> None:
    from workloads.evolution.sweep import sensitivity
    from workloads.tearsheet.page import sensitivity_page, write

    grid = sensitivity(seed, result, grids, axes[0], axes[1], rank_by)
    note = (
        f"{result.evaluated:,} combinations over {result.n_bars:,} bars of {data.name}. {_costs(sim)}. "
        f"Each cell is the best {rank_by} among the combinations with those two values (over every other "
        "gridded gene); blank cells were repaired to other values by the gene space or have no finite value."
    )
    write(path, sensitivity_page(f"{seed.name}: {rank_by} over {axes[0]} × {axes[1]}", grid, note))
    error_console.print(f"heatmap written to {path}")


def _metrics_table(title: str, metrics: dict[str, float | None]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, format_metric(name, value))
    return table


SpanOption = Annotated[
    str,
    typer.Option("--span", help="With --run: the span to replay, holdout (never searched) or train."),
]


def backtest(
    data: Annotated[
        Path | None, typer.Option("--data", help="CSV or Parquet file of bars (with --run: the run's data file).")
    ] = None,
    strategy: Annotated[
        str | None, typer.Option("--strategy", help="Seed name (see `genepool strategies list`).")
    ] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="name=value; repeat. Defaults otherwise.")] = None,
    fee_bps: FeeOption = DEFAULT_FEE_BPS,
    slippage_bps: SlippageOption = DEFAULT_SLIPPAGE_BPS,
    long_only: LongOnlyOption = False,
    rebalance_band: BandOption = 0.0,
    bars_per_year: BarsPerYearOption = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Replay a hall-of-fame entry of this run (a run id, or latest) as it was scored."),
    ] = None,
    rank: Annotated[int, typer.Option("--rank", min=1, help="With --run: the entry's rank in the hall of fame.")] = 1,
    span: SpanOption = "holdout",
    runs_dir: Annotated[
        Path | None, typer.Option("--runs-dir", help="With --run: where runs are kept [$GENEPOOL_HOME/runs].")
    ] = None,
    json_output: JsonOption = False,
    trades_out: Annotated[
        Path | None, typer.Option("--trades-out", help="Write the trade list to this CSV.", dir_okay=False)
    ] = None,
    report: ReportOption = None,
) -> None:
    """Backtest one strategy: exposure at each close, filled at the next open (docs/simulation.md#execution); print
    the metrics. With --run, replay entry --rank of that run's hall of fame on its --span, with the run's data,
    costs and parameters."""
    from workloads.evolution.sweep import metrics_dict

    if run is not None:
        given = [name for name, value in (("--strategy", strategy), ("--param", param)) if value]
        if given:
            raise fail_bad_input(f"--run replays the run's own entry: drop {' and '.join(given)}")
        if report is not None:
            raise fail_bad_input("--report with --run is not supported: `genepool report RUN` draws the run's entries")
        _replay_entry(run, rank, span, data, runs_dir, json_output, trades_out)
        return
    if data is None or strategy is None:
        raise fail_bad_input("give --data FILE and --strategy NAME (or --run RUN to replay a hall-of-fame entry)")
    seed = _seed(strategy)
    with bad_input_exits():
        bars = _load(data, seed)
        sim = _sim(bars, fee_bps, slippage_bps, long_only, rebalance_band, bars_per_year)
        requested = _params(seed, param or [])
        repaired, changed = seed.repair(requested[None, :])
        result = seed.run(bars, repaired[0], sim)
    if changed[0]:
        _report_repairs(seed, requested, repaired[0])
    if trades_out is not None:
        write_trades(trades_out, result.trades)
    metrics = metrics_dict(result.metric_row())
    params_text = ", ".join(f"{k}={v}" for k, v in result.params.items())
    if report is not None:
        _write_tear_sheet(report, f"{seed.name}({params_text}) on {data.name}", result, bars, sim)
    if json_output:
        print_json(metrics)
        return
    costs = f"fees {fee_bps:g} bps, slippage {slippage_bps:g} bps"
    print_table(console, _metrics_table(f"{seed.name}({params_text}) on {data.name}, {costs}", metrics))
    if trades_out is not None:
        console.print(f"wrote {len(result.trades)} trades to {trades_out}")


def _replay_entry(
    run_name: str,
    rank: int,
    span: str,
    data: Path | None,
    runs_dir: Path | None,
    json_output: bool,
    trades_out: Path | None,
) -> None:
    """``backtest --run``: see :func:`workloads.evolution.replay.replay_entry`."""
    from workloads.cli.runs import load
    from workloads.evolution.replay import replay_entry

    document = load(runs_dir, run_name)
    with bad_input_exits():
        replayed = replay_entry(document, rank, span, data)
    if trades_out is not None:
        write_trades(trades_out, replayed.result.trades)
    if json_output:
        print_json(replayed.as_json())
        return
    params_text = ", ".join(f"{k}={v}" for k, v in replayed.params.items())
    title = (
        f"#{rank} {replayed.strategy}({params_text}) of run {replayed.run_id}, {span} span "
        f"({replayed.bars:,} bars), fees {replayed.fee_bps:g} bps, slippage {replayed.slippage_bps:g} bps"
    )
    print_table(console, _metrics_table(title, replayed.metrics))
    if trades_out is not None:
        console.print(f"wrote {len(replayed.result.trades)} trades to {trades_out}")


def sweep(
    data: DataOption,
    strategy: StrategyOption,
    grid: Annotated[list[str], typer.Option("--grid", help="name=start:stop:step, name=v1,v2 or name=v; repeat.")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the best to show.")] = 10,
    rank_by: Annotated[
        str, typer.Option("--rank-by", help="Metric to rank by (max_drawdown: lowest first).")
    ] = "sharpe",
    fee_bps: FeeOption = DEFAULT_FEE_BPS,
    slippage_bps: SlippageOption = DEFAULT_SLIPPAGE_BPS,
    long_only: LongOnlyOption = False,
    rebalance_band: BandOption = 0.0,
    bars_per_year: BarsPerYearOption = None,
    json_output: JsonOption = False,
    heatmap: Annotated[
        str | None,
        typer.Option("--heatmap", help="Two gridded genes, x,y: draw the --rank-by metric over them (needs --report)."),
    ] = None,
    report: ReportOption = None,
) -> None:
    """Evaluate a whole parameter grid in one parallel kernel call and show the best combinations."""
    from workloads.evolution.sweep import describe, parse_grid, parse_heatmap, run_sweep
    from workloads.kernels.metrics import METRIC_NAMES

    seed = _seed(strategy)
    if rank_by not in METRIC_NAMES:
        raise fail_bad_input(f"--rank-by {rank_by!r}: not a metric; metrics are {', '.join(METRIC_NAMES)}")
    if (heatmap is None) != (report is None):
        raise fail_bad_input("--heatmap and --report go together: --heatmap x,y --report FILE")
    with bad_input_exits():
        grids = [parse_grid(spec) for spec in grid]
        axes = parse_heatmap(heatmap, seed, grids) if heatmap is not None else None
        bars = _load(data, seed)
        sim = _sim(bars, fee_bps, slippage_bps, long_only, rebalance_band, bars_per_year)
        result = run_sweep(seed, bars, grids, sim)
    if result.repaired:
        error_console.print(
            f"[yellow]repaired:[/] {result.repaired} of {result.requested} combinations broke "
            f"{', '.join(f'{a} < {b}' for a, b in seed.ordered_genes)}; evaluated "
            f"{result.evaluated} distinct combinations",
            highlight=False,
        )
    if axes is not None and report is not None:
        _write_heatmap(report, seed, result, grids, axes, rank_by, data, sim)
    document = describe(seed, result, top, rank_by)
    if json_output:
        print_json(document)
        return
    table = Table(
        title=f"{seed.name}: {result.evaluated:,} combinations × {result.n_bars:,} bars in "
        f"{result.seconds:.3f} s ({result.bar_evals_per_second:,.3g} bar-evals/s), by {rank_by}; fees {fee_bps:g} bps, "
        f"slippage {slippage_bps:g} bps"
    )
    names = list(seed.genes.names)
    shown = ("total_return", "sharpe", "max_drawdown", "trades", "win_rate", "final_equity")
    for column in (*names, *shown):
        table.add_column(column, justify="right")
    for entry in document["top"]:
        cells = [str(entry["params"][n]) for n in names]
        cells += [format_metric(m, entry["metrics"][m]) for m in shown]
        table.add_row(*cells)
    print_table(console, table)
