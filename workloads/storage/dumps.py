"""Logical backups of the PostgreSQL store and the check that one restores.

The procedure around them is docs/operations.md#backup-and-restore-check.

``backup`` runs ``pg_dump --format=custom`` on a snapshot exported from a read-only REPEATABLE READ transaction, and
in that same transaction records a :class:`Summary` of what the dump must hold: the row count of every table of
schema ``public``, the newest bar of every symbol and the newest run. The summary is written beside the dump
(``<dump>.manifest.json``), so the figures and the dump describe the same instant even while runs keep writing.

``restore_check`` creates a scratch database on a server (``genepool_restore_check_<hex>``), restores the dump into
it with ``pg_restore --exit-on-error`` (TimescaleDB dumps between ``timescaledb_pre_restore()`` and
``timescaledb_post_restore()``), summarises the scratch database the same way and compares: any failed restore or
any difference (a table's count, a symbol's newest bar, the newest run) fails the check. The scratch database is
dropped afterwards unless kept.

Passwords never appear on a command line: the client tools get the connection without its password and the
password through ``PGPASSWORD``. The tools are looked up in ``bin_dir``, then on ``PATH``, then under
``/usr/lib/postgresql/<major>/bin`` (newest major first); ``pg_dump`` must be at least the server's major version.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

SCHEMA = "public"
SCRATCH_PREFIX = "genepool_restore_check_"
MANIFEST_SUFFIX = ".manifest.json"
TOOL_DIRS = "/usr/lib/postgresql/*/bin"


class DumpError(RuntimeError):
    """A backup or restore that could not be made or checked; the message names the step and the tool's error."""


@dataclass(frozen=True)
class Summary:
    """What a database holds, compared between the source at dump time and the restored copy."""

    tables: dict[str, int]
    """Row count of every table of schema ``public``, by table name."""
    latest_bars: dict[str, str]
    """Open time (ISO 8601, UTC) of the newest stored bar, by symbol."""
    latest_run: dict[str, str] | None
    """``run_id``, ``status`` and ``started_at`` (ISO 8601) of the newest run; None when no run is stored."""
    timescaledb: bool = False
    """The source had the timescaledb extension (the restore must bracket it)."""

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Summary:
        return cls(
            tables={str(k): int(v) for k, v in payload["tables"].items()},
            latest_bars={str(k): str(v) for k, v in payload["latest_bars"].items()},
            latest_run=payload["latest_run"],
            timescaledb=bool(payload.get("timescaledb", False)),
        )


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a restore check: ``differences`` empty means the restore holds everything the dump should."""

    expected: Summary
    restored: Summary
    differences: list[str] = field(default_factory=list)
    scratch_database: str = ""

    @property
    def ok(self) -> bool:
        return not self.differences


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def summarize(conn: psycopg.Connection[Any]) -> Summary:
    """The :class:`Summary` of the database ``conn`` is connected to, inside its current transaction."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' "
            "ORDER BY table_name",
            (SCHEMA,),
        )
    ]
    counts = {table: _count(conn, table) for table in tables}
    bars: dict[str, str] = {}
    if "ohlcv" in tables:
        bars = {
            symbol: ts.isoformat()
            for symbol, ts in conn.execute(
                "SELECT symbol, max(ts) AT TIME ZONE 'UTC' FROM ohlcv GROUP BY symbol ORDER BY symbol"
            )
        }
    run = None
    if "runs" in tables:
        row = conn.execute(
            "SELECT run_id, status, started_at AT TIME ZONE 'UTC' FROM runs ORDER BY started_at DESC, run_id DESC "
            "LIMIT 1"
        ).fetchone()
        if row is not None:
            run = {"run_id": row[0], "status": row[1], "started_at": row[2].isoformat()}
    timescale = conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return Summary(tables=counts, latest_bars=bars, latest_run=run, timescaledb=bool(timescale and timescale[0]))


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(table))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row is not None else 0


def compare(expected: Summary, restored: Summary) -> list[str]:
    """Each way ``restored`` differs from ``expected``, one line each (empty: identical)."""
    differences = []
    for table in sorted(set(expected.tables) | set(restored.tables)):
        want, got = expected.tables.get(table), restored.tables.get(table)
        if want != got:
            differences.append(
                f"table {table}: {want if want is not None else 'absent'} rows in the dump's "
                f"manifest, {got if got is not None else 'absent'} restored"
            )
    for symbol in sorted(set(expected.latest_bars) | set(restored.latest_bars)):
        want_bar, got_bar = expected.latest_bars.get(symbol), restored.latest_bars.get(symbol)
        if want_bar != got_bar:
            differences.append(f"newest bar of {symbol}: {want_bar} expected, {got_bar} restored")
    if expected.latest_run != restored.latest_run:
        differences.append(f"newest run: {expected.latest_run} expected, {restored.latest_run} restored")
    return differences


def find_tool(name: str, bin_dir: Path | None = None) -> str:
    """The path of PostgreSQL client tool ``name`` (module docstring's order); a DumpError naming where it looked."""
    if bin_dir is not None:
        candidate = bin_dir / name
        if candidate.is_file():
            return str(candidate)
        raise DumpError(f"{name} not found in {bin_dir}")
    found = shutil.which(name)
    if found:
        return found
    for directory in sorted(glob.glob(TOOL_DIRS), key=_major, reverse=True):
        candidate = Path(directory) / name
        if candidate.is_file():
            return str(candidate)
    raise DumpError(f"{name} not found on PATH or in {TOOL_DIRS}: install the PostgreSQL client tools")


def _major(directory: str) -> int:
    version = Path(directory).parent.name
    return int(version) if version.isdigit() else 0


def _client(url: str, **overrides: str) -> tuple[str, dict[str, str]]:
    """The conninfo (without password) and environment (``PGPASSWORD``) for a client tool reaching ``url``."""
    params = {key: str(value) for key, value in conninfo_to_dict(url).items() if value is not None}
    params.update(overrides)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def _run(argv: list[str], env: dict[str, str], step: str) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise DumpError(f"{step} failed (exit {result.returncode}): {' / '.join(detail[-3:]) or 'no output'}")


def backup(url: str, output: Path, bin_dir: Path | None = None) -> Summary:
    """Dump the database of ``url`` to ``output`` (custom format) and its summary to ``<output>.manifest.json``,
    both of one snapshot; returns the summary."""
    pg_dump = find_tool("pg_dump", bin_dir)
    conninfo, env = _client(url)
    with psycopg.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        summary = summarize(conn)
        _run(
            [pg_dump, "--format=custom", f"--snapshot={row[0]}", f"--file={output}", f"--dbname={conninfo}"],
            env,
            "pg_dump",
        )
        conn.rollback()
    manifest_path(output).write_text(json.dumps(asdict(summary), indent=2, sort_keys=True) + "\n")
    return summary


def read_manifest(dump: Path) -> Summary:
    """The summary written beside ``dump``; a ValueError naming the file when it is missing or malformed."""
    path = manifest_path(dump)
    try:
        return Summary.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise ValueError(f"{path}: no manifest beside the dump (made by `genepool db backup`)") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a backup manifest ({exc})") from None


def restore_check(server_url: str, dump: Path, bin_dir: Path | None = None, keep: bool = False) -> CheckResult:
    """Restore ``dump`` into a scratch database on the server of ``server_url`` and compare it with the dump's
    manifest. A restore that fails raises DumpError; the scratch database is dropped either way unless ``keep``."""
    expected = read_manifest(dump)
    pg_restore = find_tool("pg_restore", bin_dir)
    scratch = SCRATCH_PREFIX + secrets.token_hex(4)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    scratch_url = make_conninfo(server_url, dbname=scratch)
    try:
        if expected.timescaledb:
            with psycopg.connect(scratch_url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                conn.execute("SELECT timescaledb_pre_restore()")
        conninfo, env = _client(server_url, dbname=scratch)
        _run(
            [pg_restore, "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={conninfo}", str(dump)],
            env,
            "pg_restore",
        )
        with psycopg.connect(scratch_url, autocommit=True) as conn:
            if expected.timescaledb:
                conn.execute("SELECT timescaledb_post_restore()")
            restored = summarize(conn)
    finally:
        if not keep:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
    return CheckResult(expected, restored, compare(expected, restored), scratch)
