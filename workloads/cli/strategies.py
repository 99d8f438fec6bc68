"""``genepool strategies list`` and ``genepool readiness``: what the seeds are, and whether the data can run them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from workloads.cli.common import bad_input_exits, console, print_json
from workloads.cli.layout import print_table

app = typer.Typer(help="The strategy seeds.", no_args_is_help=True)


def seed_description(seed: Any) -> dict[str, Any]:
    """A seed's name, type, minimum bars, funding need, rule and genes with bounds and defaults."""
    genes = []
    for gene in seed.genes.genes:
        entry: dict[str, Any] = {
            "name": gene.name,
            "kind": gene.kind,
            "low": gene.low,
            "high": gene.high,
            "default": seed.genes.as_dict(seed.genes.defaults())[gene.name],
        }
        if gene.choices:
            entry["choices"] = list(gene.choices)
        genes.append(entry)
    return {
        "name": seed.name,
        "type": seed.kind,
        "min_bars": seed.min_bars,
        "optimal_bars": seed.optimal_bars,
        "needs_funding": seed.needs_funding,
        "rule": seed.description,
        "genes": genes,
    }


def _gene_text(gene: dict[str, Any]) -> str:
    if gene["kind"] == "choice":
        return f"{gene['name']} ∈ {{{', '.join(map(str, gene['choices']))}}}"
    scale = " (log)" if gene["kind"] == "log" else ""
    return f"{gene['name']} {gene['low']:g}–{gene['high']:g}{scale}"


@app.command("list")
def list_command(json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every seed with its type, genes (bounds), and minimum bars."""
    from workloads.seeds.registry import all_seeds

    seeds = [seed_description(seed) for seed in all_seeds().values()]
    if json_output:
        print_json(seeds)
        return
    table = Table(title="strategy seeds")
    table.add_column("seed", no_wrap=True)
    for column in ("type", "min bars", "genes", "rule"):
        table.add_column(column)
    for seed in seeds:
        minimum = f"{seed['min_bars']}" + (f" ({seed['optimal_bars']} optimal)" if seed["optimal_bars"] else "")
        if seed["needs_funding"]:
            minimum += ", funding_rate"
        table.add_row(seed["name"], seed["type"], minimum, "\n".join(map(_gene_text, seed["genes"])), seed["rule"])
    print_table(console, table)


def readiness(
    data: Annotated[Path, typer.Option("--data", help="CSV or Parquet file of bars.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """For each seed: data points, the minimum required, the recommendation, and whether the evolution will run it."""
    from workloads.data.loaders import LoadOptions, read_bars
    from workloads.seeds.readiness import assess_all
    from workloads.seeds.registry import all_seeds

    with bad_input_exits():
        bars = read_bars(data, LoadOptions(min_bars=1)).bars
    rows = assess_all(all_seeds().values(), len(bars), bars.has_funding)
    if json_output:
        print_json(
            {
                "file": str(data),
                "bars": len(bars),
                "has_funding": bars.has_funding,
                "seeds": [row.as_dict() for row in rows],
            }
        )
        return
    table = Table(title=f"readiness of {data} ({len(bars):,} bars, funding {'yes' if bars.has_funding else 'no'})")
    for column in (
        "seed",
        "type",
        "bars needed (floor / smallest / largest windows)",
        "recommendation",
        "ready",
        "why",
    ):
        table.add_column(column)
    for row in rows:
        colour = "green" if row.ready else "red"
        table.add_row(
            row.seed,
            row.kind,
            f"{row.minimum_bars} / {row.smallest_windows_bars} / {row.largest_windows_bars}",
            f"[{colour}]{row.recommendation}[/]",
            "yes" if row.ready else "no",
            escape(row.reason),
        )
    print_table(console, table)
