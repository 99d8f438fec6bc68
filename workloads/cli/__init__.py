"""The ``genepool`` command line (typer + rich). Each command group lives in its own module under this package,
imported only when one of its commands runs (:mod:`workloads.cli.lazy`; :data:`COMMANDS` lists them).

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

from workloads.cli.common import error_console
from workloads.cli.lazy import LazyCommand, lazy_group

COMMANDS = (
    LazyCommand(
        "demo",
        "workloads.cli.demo:demo",
        "The main job on embedded defaults: generate data, evolve every ready seed, print the hall of fame, write the "
        "report.",
    ),
    LazyCommand(
        "backtest",
        "workloads.cli.backtest:backtest",
        "Backtest one strategy: exposure at each close, filled at the next open (docs/simulation.md#execution); print "
        "the metrics.",
    ),
    LazyCommand(
        "sweep",
        "workloads.cli.backtest:sweep",
        "Evaluate a whole parameter grid in one parallel kernel call and show the best combinations.",
    ),
    LazyCommand(
        "bench",
        "workloads.cli.bench:bench",
        "Time the accounts pass, the fitness kernels (and their SIMD layout against the per-individual one), the EMA "
        "sweep (vs vectorbt), the evolution (local vs Ray) and the headline search; print the figures, each kernel "
        "target met or not, and write them as JSON.",
    ),
    LazyCommand(
        "evolve",
        "workloads.cli.evolve:evolve",
        "Evolve strategies from every ready seed; print the hall of fame (train, holdout, DSR).",
    ),
    LazyCommand(
        "report",
        "workloads.cli.evolve:report",
        "Write one self-contained HTML report: the verdict, the hall of fame and the tear sheet of the top strategies "
        "(docs/report.md).",
    ),
    LazyCommand(
        "readiness",
        "workloads.cli.strategies:readiness",
        "For each seed: data points, the minimum required, the recommendation, and whether the evolution will run it.",
    ),
    LazyCommand(
        "health",
        "workloads.cli.state:health",
        "Check storage, cache and Ray: healthy / degraded / unhealthy with latency.",
    ),
    LazyCommand(
        "serve",
        "workloads.cli.state:serve",
        "Serve the HTTP API: strategies, signals, /health/liveness, /health/readiness, /metrics.",
    ),
    LazyCommand(
        "data",
        "workloads.cli.data:app",
        "Market data: generate synthetic bars, inspect files.",
        extends=("workloads.cli.state", "workloads.cli.fetch"),
    ),
    LazyCommand(
        "api", "workloads.cli.api:app", "Talk to a deployed API over its URL (the stack's external HTTPS URL)."
    ),
    LazyCommand("db", "workloads.cli.db:app", "Back up the PostgreSQL store and check that a backup restores."),
    LazyCommand("runs", "workloads.cli.runs:app", "Browse finished evolution runs: list, show one, compare several."),
    LazyCommand("strategies", "workloads.cli.strategies:app", "The strategy seeds."),
    LazyCommand("schedule", "workloads.cli.schedule:app", "Scheduled evolution runs on a Ray cluster."),
)
"""Every command of ``genepool``, in the order ``genepool --help`` lists them: the commands, then the groups."""

app = typer.Typer(
    name="genepool",
    cls=lazy_group(COMMANDS),
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
