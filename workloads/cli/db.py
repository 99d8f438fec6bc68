"""``genepool db backup`` and ``genepool db restore-check``: a logical backup of the PostgreSQL store and the proof that
it restores (:mod:`workloads.storage.dumps`; the procedure is docs/operations.md#backup-and-restore-check).

Exit codes: 0 done (the restore holds what the dump's manifest says), 1 a tool failed or the restore differs
(each difference printed), 2 bad input (no PostgreSQL URL, no manifest beside the dump).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from workloads.cli.common import bad_input_exits, console, error_console, fail_bad_input, print_json
from workloads.cli.layout import print_table
from workloads.cli.state import JsonOutput, StackOutputs, settings_from

app = typer.Typer(help="Back up the PostgreSQL store and check that a backup restores.", no_args_is_help=True)

PgBin = Annotated[
    Path | None,
    typer.Option(
        "--pg-bin",
        help="Directory of pg_dump/pg_restore (default: PATH, then /usr/lib/postgresql/*/bin).",
        file_okay=False,
    ),
]


def _postgres_url(stack_outputs: Path | None) -> str:
    settings = settings_from(stack_outputs)
    if not settings.is_postgres:
        raise fail_bad_input(
            "database_url: db backup and restore-check need PostgreSQL (a DuckDB store is one file: copy it)"
        )
    return settings.database_url


def _failure(message: str) -> typer.Exit:
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@app.command("backup")
def backup_command(
    output: Annotated[Path, typer.Argument(help="Dump file to write (pg_dump custom format).", dir_okay=False)],
    stack_outputs: StackOutputs = None,
    pg_bin: PgBin = None,
    json_output: JsonOutput = False,
) -> None:
    """Dump the database to OUTPUT and write OUTPUT.manifest.json: the row count of every table, the newest bar of
    every symbol and the newest run, all of the dump's own snapshot."""
    from workloads.storage.dumps import DumpError, backup, manifest_path

    url = _postgres_url(stack_outputs)
    try:
        summary = backup(url, output, pg_bin)
    except DumpError as exc:
        raise _failure(str(exc)) from None
    if json_output:
        print_json({"dump": str(output), "manifest": str(manifest_path(output)), **asdict(summary)})
        return
    console.print(
        f"wrote {output} and {manifest_path(output)}: {sum(summary.tables.values())} rows in "
        f"{len(summary.tables)} tables, {len(summary.latest_bars)} symbols",
        highlight=False,
    )


@app.command("restore-check")
def restore_check_command(
    dump: Annotated[Path, typer.Argument(help="A dump made by `genepool db backup`.", exists=True, dir_okay=False)],
    server_url: Annotated[
        str | None,
        typer.Option("--server-url", help="PostgreSQL URL of a user who may create databases (default: the store's)."),
    ] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the scratch database (its name is printed).")] = False,
    stack_outputs: StackOutputs = None,
    pg_bin: PgBin = None,
    json_output: JsonOutput = False,
) -> None:
    """Restore DUMP into a scratch database and check it against the dump's manifest: every table's row count, the
    newest bar of every symbol, the newest run. The scratch database is dropped afterwards (unless --keep)."""
    from workloads.storage.dumps import DumpError, read_manifest, restore_check

    url = server_url or _postgres_url(stack_outputs)
    with bad_input_exits():
        read_manifest(dump)
    try:
        result = restore_check(url, dump, pg_bin, keep)
    except DumpError as exc:
        raise _failure(f"{dump}: {exc}") from None
    if json_output:
        print_json(
            {
                "ok": result.ok,
                "differences": result.differences,
                "scratch_database": result.scratch_database,
                "expected": asdict(result.expected),
                "restored": asdict(result.restored),
            }
        )
    else:
        table = Table("table", "rows in the manifest", "rows restored")
        for name in sorted(set(result.expected.tables) | set(result.restored.tables)):
            table.add_row(name, str(result.expected.tables.get(name, "-")), str(result.restored.tables.get(name, "-")))
        print_table(console, table)
        for symbol, ts in sorted(result.restored.latest_bars.items()):
            console.print(f"newest bar of {symbol}: {ts}", highlight=False)
        console.print(f"newest run: {result.restored.latest_run}", highlight=False)
        if keep:
            console.print(f"scratch database kept: {result.scratch_database}", highlight=False)
    if not result.ok:
        raise _failure(f"{dump}: the restore differs from its manifest: " + "; ".join(result.differences))
    if not json_output:
        console.print(f"restore check passed: {dump}", highlight=False)
