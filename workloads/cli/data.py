"""``genepool data …``: generate synthetic bars and inspect data files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from workloads.cli.common import bad_input_exits, console, parse_interval, print_json
from workloads.cli.layout import print_table
from workloads.data.calendar import DEFAULT_START, find_gaps, infer_bars_per_year, spacing_ns

if TYPE_CHECKING:
    from workloads.data.bars import Bars
    from workloads.data.validate import RepairReport

app = typer.Typer(help="Market data: generate synthetic bars, inspect files.", no_args_is_help=True)

DropInvalid = Annotated[bool, typer.Option("--drop-invalid", help="Drop rows that break a rule (and report them).")]
FillGaps = Annotated[bool, typer.Option("--fill-gaps", help="Insert flat bars for missing intervals (24/7 data).")]


def _iso(ns: int) -> str:
    return str(np.datetime_as_string(np.datetime64(int(ns), "ns"), unit="s")) + "Z"


def summarize(bars: Bars, repairs: RepairReport | None = None) -> dict[str, Any]:
    """The ``data inspect`` summary of ``bars``."""
    summary: dict[str, Any] = {
        "file": bars.source,
        "symbol": bars.symbol,
        "bars": len(bars),
        "first_timestamp": _iso(bars.timestamp[0]),
        "last_timestamp": _iso(bars.timestamp[-1]),
        "interval_seconds": spacing_ns(bars.timestamp) / 1e9 if len(bars) > 1 else None,
        "bars_per_year": infer_bars_per_year(bars.timestamp) if len(bars) > 1 else None,
        "gaps": find_gaps(bars.timestamp).as_dict(),
        "has_funding": bars.has_funding,
    }
    if repairs is not None:
        summary["repairs"] = repairs.as_dict()
    return summary


def print_summary(summary: dict[str, Any], repairs: RepairReport | None = None) -> None:
    table = Table(title=escape(str(summary["file"])), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    gaps = summary["gaps"]
    rows = [
        ("symbol", summary["symbol"]),
        ("bars", f"{summary['bars']:,}"),
        ("first", summary["first_timestamp"]),
        ("last", summary["last_timestamp"]),
        ("interval", f"{summary['interval_seconds']:g} s" if summary["interval_seconds"] else "-"),
        ("bars per year", f"{summary['bars_per_year']:,.2f}" if summary["bars_per_year"] else "-"),
        ("gaps", f"{gaps['count']} ({gaps['missing_bars']} bars missing, largest {gaps['largest_seconds']:g} s)"),
        ("funding rate", "yes" if summary["has_funding"] else "no"),
    ]
    for name, value in rows:
        table.add_row(name, escape(str(value)))
    print_table(console, table)
    for line in repairs.lines() if repairs else []:
        console.print(f"[yellow]repaired:[/] {escape(line)}")


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv or .parquet.")],
    bars: Annotated[int, typer.Option("--bars", min=1, help="Number of bars.")] = 10_000,
    random_seed: Annotated[int, typer.Option("--random-seed", help="Seed: the same seed gives the same file.")] = 0,
    funding: Annotated[bool, typer.Option("--funding", help="Include a funding_rate column.")] = False,
    interval: Annotated[str, typer.Option("--interval", help="Bar interval: 30s, 15m, 1h, 1d …")] = "1h",
    start: Annotated[str, typer.Option("--start", help="First bar's time (UTC, ISO-8601).")] = DEFAULT_START,
    symbol: Annotated[str, typer.Option("--symbol", help="Symbol name recorded with the bars.")] = "SYN",
    edge: Annotated[str, typer.Option("--edge", help="Planted edge: trend, reversion or none.")] = "none",
    edge_strength: Annotated[
        float, typer.Option("--edge-strength", help="Planted edge's size in mean bar volatilities (0.3: strong).")
    ] = 0.0,
) -> None:
    """Write a synthetic regime-switching GBM data set (byte-reproducible for the same seed), optionally with a
    planted trend or reversion edge (docs/data.md)."""
    from workloads.data.loaders import write_bars
    from workloads.data.synthetic import generate

    with bad_input_exits():
        data = generate(
            bars,
            random_seed,
            funding=funding,
            edge=edge,
            edge_strength=edge_strength,
            interval_seconds=parse_interval(interval),
            start=start,
            symbol=symbol,
        )
        write_bars(data, out)
    console.print(f"wrote {len(data):,} bars to {escape(str(out))}")


@app.command("inspect")
def inspect_command(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file of bars.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    drop_invalid: DropInvalid = False,
    fill_gaps: FillGaps = False,
) -> None:
    """Validate a data file and summarise it: bars, first/last time, bars per year, gaps, funding."""
    from workloads.data.loaders import LoadOptions, read_bars

    with bad_input_exits():
        result = read_bars(file, LoadOptions(drop_invalid=drop_invalid, fill_gaps=fill_gaps))
    summary = summarize(result.bars, result.repairs)
    summary["notes"] = list(result.notes)
    if json_output:
        print_json(summary)
    else:
        print_summary(summary, result.repairs)
