"""The ``genepool`` command line (typer + rich). Each command group lives in its own module under this package.

Exit codes: 0 success, 1 failure, 2 bad input (the message names the file/key/row and the rule).
"""

from __future__ import annotations

import typer

from workloads.cli import backtest as backtest_commands
from workloads.cli import bench as bench_commands
from workloads.cli import data as data_commands
from workloads.cli import demo as demo_commands
from workloads.cli import evolve as evolve_commands
from workloads.cli import state as state_commands
from workloads.cli import strategies as strategy_commands

app = typer.Typer(
    name="genepool",
    help="Evolve, backtest and serve trading strategies built from 12 strategy seeds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_commands.app, name="data")
app.command("demo")(demo_commands.demo)
app.command("backtest")(backtest_commands.backtest)
app.command("sweep")(backtest_commands.sweep)
app.command("bench")(bench_commands.bench)
app.command("evolve")(evolve_commands.evolve)
app.command("report")(evolve_commands.report)
app.add_typer(strategy_commands.app, name="strategies")
app.command("readiness")(strategy_commands.readiness)
app.command("health")(state_commands.health)
app.command("serve")(state_commands.serve)


def main() -> None:
    """Console-script entry point."""
    app()
