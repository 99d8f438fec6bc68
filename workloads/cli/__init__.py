"""The ``genepool`` command line (typer + rich). Each command group lives in its own module under this package.

Exit codes: 0 success, 1 failure, 2 bad input (the message names the file/key/row and the rule). Global options:
``--log-level`` (the level of the log lines on stderr) and typer's ``--install-completion`` / ``--show-completion``
(shell completion for bash, zsh, fish and PowerShell). Reference: docs/cli.md.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape

from workloads.cli import api as api_commands
from workloads.cli import backtest as backtest_commands
from workloads.cli import bench as bench_commands
from workloads.cli import data as data_commands
from workloads.cli import db as db_commands
from workloads.cli import demo as demo_commands
from workloads.cli import evolve as evolve_commands
from workloads.cli import fetch as fetch_commands  # noqa: F401 - registers `data fetch` on the data group
from workloads.cli import runs as runs_commands
from workloads.cli import schedule as schedule_commands
from workloads.cli import state as state_commands
from workloads.cli import strategies as strategy_commands
from workloads.cli.common import error_console

app = typer.Typer(
    name="genepool",
    help="Evolve, backtest and serve trading strategies built from 12 strategy seeds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class LogLevel(StrEnum):
    """``--log-level`` choices (Python's logging levels)."""

    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.callback()
def configure(
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            "--log-level",
            case_sensitive=False,
            help="Level of the log lines on stderr (default: warning; serve and schedule log at info).",
        ),
    ] = None,
) -> None:
    """Evolve, backtest and serve trading strategies built from 12 strategy seeds."""
    if log_level is not None:
        logging.basicConfig(
            level=log_level.value.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
        )


app.add_typer(data_commands.app, name="data")
app.add_typer(api_commands.app, name="api")
app.add_typer(db_commands.app, name="db")
app.command("demo")(demo_commands.demo)
app.command("backtest")(backtest_commands.backtest)
app.command("sweep")(backtest_commands.sweep)
app.command("bench")(bench_commands.bench)
app.command("evolve")(evolve_commands.evolve)
app.command("report")(evolve_commands.report)
app.add_typer(runs_commands.app, name="runs")
app.add_typer(strategy_commands.app, name="strategies")
app.command("readiness")(strategy_commands.readiness)
app.command("health")(state_commands.health)
app.command("serve")(state_commands.serve)
app.add_typer(schedule_commands.app, name="schedule")


def main() -> None:
    """Console-script entry point. A failure of the environment rather than of the code (a file or directory that
    cannot be read or written, storage that cannot be opened or reached) ends with one ``error:`` line naming it and
    exit code 1, never a traceback."""
    try:
        app()
    except Exception as exc:
        if not is_environment_failure(exc):
            raise
        raise SystemExit(report_failure(exc)) from None


def is_environment_failure(exc: BaseException) -> bool:
    """An :class:`OSError` or a :class:`~workloads.storage.StorageError` (looked up only when the storage module is
    loaded, which it is whenever one was raised: the CLI's import stays light)."""
    storage = sys.modules.get("workloads.storage.base")
    return isinstance(exc, OSError) or (storage is not None and isinstance(exc, storage.StorageError))


def report_failure(exc: BaseException) -> int:
    """Print ``error: <what failed>`` on stderr and return exit code 1."""
    if isinstance(exc, OSError) and exc.filename is not None:
        message = f"{exc.filename}: {exc.strerror or exc}"
    else:
        message = str(exc) or type(exc).__name__
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return 1
