"""State and service commands: ``genepool data import|list``, ``genepool health``, ``genepool serve``.

``data import`` and ``data list`` are registered on the ``data`` group of :mod:`workloads.cli.data`. Every command
takes ``--stack-outputs FILE`` (the JSON of ``pulumi stack output --json --show-secrets``); otherwise settings
come from ``GENEPOOL_*`` environment variables or the embedded defaults (:mod:`workloads.settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from workloads.cli.common import bad_input_exits, console, error_console, fail_bad_input, print_json
from workloads.cli.data import app as data_app
from workloads.cli.layout import print_table
from workloads.settings import Settings, load_settings

StackOutputs = Annotated[
    Path | None,
    typer.Option("--stack-outputs", help="JSON from `pulumi stack output --json --show-secrets`.", dir_okay=False),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def settings_from(stack_outputs: Path | None) -> Settings:
    """Settings for a command (bad settings exit 2 with the file or variable named)."""
    with bad_input_exits():
        return load_settings(stack_outputs)


def report_missing_state(settings: Settings, json_output: bool, empty: object) -> bool:
    """For a command that only reads: when there is no state yet (no DuckDB file), say so with its path on stderr,
    print ``empty`` as the JSON answer with ``--json``, and return ``True`` (the command has nothing more to do).
    Opening the store would create it, so a read never does."""
    missing = settings.missing_state()
    if missing is None:
        return False
    error_console.print(missing, highlight=False, markup=False, soft_wrap=True)
    if json_output:
        print_json(empty)
    return True


def _storage_failure(exc: Exception) -> typer.Exit:
    error_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@data_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file of bars.")],
    symbol: Annotated[str, typer.Option("--symbol", help="Symbol to store the bars under.")],
    drop_invalid: Annotated[
        bool, typer.Option("--drop-invalid", help="Drop rows that break a rule (reported).")
    ] = False,
    fill_gaps: Annotated[bool, typer.Option("--fill-gaps", help="Insert flat bars for missing intervals.")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace every stored bar of the symbol (a revision).")
    ] = False,
    stack_outputs: StackOutputs = None,
    json_output: JsonOutput = False,
) -> None:
    """Load a data file into the database (idempotent: re-importing the same bars inserts nothing; bars that differ
    from stored ones are refused unless --replace)."""
    from workloads.data.loaders import LoadOptions, read_bars
    from workloads.storage import StorageError, open_storage
    from workloads.storage.base import check_symbol

    settings = settings_from(stack_outputs)
    with bad_input_exits():
        check_symbol(symbol)
        result = read_bars(file, LoadOptions(drop_invalid=drop_invalid, fill_gaps=fill_gaps, symbol=symbol))
    try:
        with open_storage(settings) as storage, bad_input_exits():
            inserted = storage.put_bars(symbol, result.bars, replace=replace)
    except StorageError as exc:
        raise _storage_failure(exc) from None
    summary = {
        "file": str(file),
        "symbol": symbol,
        "bars": len(result.bars),
        "inserted": inserted,
        "already_stored": len(result.bars) - inserted,
        "database": settings.redacted()["database_url"],
        "repairs": result.repairs.as_dict(),
    }
    if json_output:
        print_json(summary)
        return
    for line in result.repairs.lines():
        console.print(f"[yellow]repaired:[/] {escape(line)}")
    console.print(
        f"{symbol}: imported {inserted:,} new bars from {file} ({summary['already_stored']:,} already "
        f"stored) into {summary['database']}",
        highlight=False,
        markup=False,
    )


@data_app.command("rename")
def rename_command(
    old: Annotated[str, typer.Argument(help="The stored name, e.g. BTCUSDT.")],
    new: Annotated[str, typer.Argument(help="The new name, e.g. binance:BTCUSDT-PERP (docs/data.md).")],
    stack_outputs: StackOutputs = None,
) -> None:
    """Rename a stored symbol (its bars, runs and strategies) in one transaction: how a store written before
    instrument names migrates to them without losing a bar."""
    from workloads.storage import StorageError, open_storage

    settings = settings_from(stack_outputs)
    try:
        with open_storage(settings) as storage, bad_input_exits():
            moved = storage.rename_symbol(old, new)
    except StorageError as exc:
        raise _storage_failure(exc) from None
    console.print(f"renamed {escape(old)} to {escape(new)}: {moved:,} bars", highlight=False)


@data_app.command("list")
def list_command(stack_outputs: StackOutputs = None, json_output: JsonOutput = False) -> None:
    """Symbols stored in the database: the instrument each name stands for (exchange, pair, spot or perpetual),
    bars, first and last time, funding rates."""
    from dataclasses import asdict

    from workloads.market.names import parse_instrument
    from workloads.storage import StorageError, open_storage

    settings = settings_from(stack_outputs)
    if report_missing_state(settings, json_output, []):
        return
    try:
        with open_storage(settings) as storage:
            summaries = storage.symbol_summaries()
    except StorageError as exc:
        raise _storage_failure(exc) from None
    instruments = {s.symbol: parse_instrument(s.symbol) for s in summaries}
    if json_output:
        print_json(
            [
                {**s.as_dict(), "instrument": None if (i := instruments[s.symbol]) is None else asdict(i)}
                for s in summaries
            ]
        )
        return
    table = Table(title=escape(f"stored bars ({settings.redacted()['database_url']})"))
    for column in ("symbol", "exchange", "pair", "market", "bars", "first", "last", "funding"):
        table.add_column(column)
    for s in summaries:
        parsed = instruments[s.symbol]
        instrument: dict[str, str | None] = asdict(parsed) if parsed is not None else {}
        row = s.as_dict()
        market = str(instrument.get("kind", "not an instrument name"))
        if instrument.get("expiry"):
            market += f" {instrument['expiry']}"
        if instrument.get("settle"):
            market += f", settled in {instrument['settle']}"
        table.add_row(
            escape(s.symbol),
            str(instrument.get("exchange", "—")),
            str(instrument.get("pair", "—")),
            market,
            f"{s.bars:,}",
            str(row["first_timestamp"]),
            str(row["last_timestamp"]),
            "yes" if s.has_funding else "no",
        )
    print_table(console, table)


def health(stack_outputs: StackOutputs = None, json_output: JsonOutput = False) -> None:
    """Check storage, cache and Ray: healthy / degraded / unhealthy with latency. Exits 1 when unhealthy."""
    from workloads.cache.redis import make_cache
    from workloads.service.health import UNHEALTHY, AbsentStore, UnopenedStorage, check_all
    from workloads.storage import StorageError, open_storage

    settings = settings_from(stack_outputs)
    storage: Any
    absent = settings.absent_store_file()
    if absent is not None:
        storage = AbsentStore(settings.database_url, absent)
    else:
        try:
            storage = open_storage(settings, migrate=False)
        except StorageError as exc:
            storage = UnopenedStorage(exc)
    try:
        report = check_all(settings, storage, make_cache(settings))
    finally:
        storage.close()
    if json_output:
        print_json(report.as_dict())
    else:
        colours = {"healthy": "green", "degraded": "yellow", "unhealthy": "red"}
        table = Table(title=f"genepool health: {report.status}")
        for column in ("check", "status", "latency ms", "detail / error"):
            table.add_column(column)
        for check in report.checks:
            detail = escape(check.error or ", ".join(f"{k}={v}" for k, v in check.detail.items()))
            table.add_row(check.name, f"[{colours[check.status]}]{check.status}[/]", f"{check.latency_ms:.1f}", detail)
        print_table(console, table)
    if report.status == UNHEALTHY:
        raise typer.Exit(1)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (0.0.0.0 in a pod).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes sharing the port (each with its own caches; /metrics counts them all; in the "
            "cluster keep 1 and let the autoscaler add pods).",
        ),
    ] = 1,
    stack_outputs: StackOutputs = None,
) -> None:
    """Serve the HTTP API: strategies, signals, /health/liveness, /health/readiness, /metrics.

    The /v1 endpoints need the header "Authorization: Bearer $GENEPOOL_API_TOKEN"; the command refuses to start
    without it. No access log (a line per request costs more than a cached request): requests are counted and
    timed in genepool_http_requests_total and genepool_http_request_duration_seconds. uvloop and httptools serve
    the HTTP when installed (they are dependencies)."""
    import os

    import uvicorn

    from workloads.service import create_app
    from workloads.service.app import SERVE_STACK_OUTPUTS_ENV
    from workloads.service.worker_metrics import multiprocess_directory

    settings = settings_from(stack_outputs)
    if not settings.api_token:
        raise fail_bad_input("GENEPOOL_API_TOKEN is not set: the /v1 endpoints require a bearer token")
    if workers > 1 and not settings.is_postgres:
        raise fail_bad_input(
            f"--workers {workers} needs PostgreSQL (GENEPOOL_DATABASE_URL): a DuckDB file serves one process at a time"
        )
    options = {"host": host, "port": port, "log_level": "info", "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    if stack_outputs is not None:
        os.environ[SERVE_STACK_OUTPUTS_ENV] = str(stack_outputs)
    with multiprocess_directory():  # every worker's requests in /metrics: workloads/service/worker_metrics.py
        uvicorn.run("workloads.service.app:app_from_environment", factory=True, workers=workers, **options)  # type: ignore[arg-type]
