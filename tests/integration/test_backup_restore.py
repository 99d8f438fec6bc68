"""Backup → restore → check against a real PostgreSQL: nothing is lost, and a corrupted dump or a restore that
differs from its manifest fails the check (workloads/storage/dumps.py, ``genepool db``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from tests.integration.servers import PostgresServer
from tests.integration.test_storage_contract import entry
from workloads.cli import app
from workloads.data.synthetic import generate
from workloads.storage import open_storage
from workloads.storage.dumps import (
    SCRATCH_PREFIX,
    DumpError,
    Summary,
    backup,
    manifest_path,
    read_manifest,
    restore_check,
)


@pytest.fixture()
def stored(postgres: PostgresServer) -> Iterator[PostgresServer]:
    """A store with bars of two symbols, two runs (one finished), generations, checkpoints and strategies."""
    with open_storage(postgres.url) as storage:
        storage.put_bars("BTCUSDT", generate(300, 3, funding=True))
        storage.put_bars("ETHUSDT", generate(120, 5, funding=True))
        for run_id in ("run-a", "run-b"):
            storage.create_run(run_id, {"symbol": "BTCUSDT"}, "fp")
            for generation in range(3):
                storage.record_generation(run_id, generation, {"ema_crossover": {"best": generation / 3}})
                storage.save_checkpoint(run_id, generation, f"state {generation}".encode())
            storage.save_hall_of_fame(run_id, [entry("ema_crossover", 1.5), entry("rsi_filter", 0.25)])
        storage.finish_run("run-a", {"best": 1.5})
    yield postgres


def scratch_databases(postgres: PostgresServer) -> list[str]:
    with psycopg.connect(postgres.url) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",))
        return [row[0] for row in rows]


def test_backup_then_restore_check_loses_nothing(stored, tmp_path):
    dump = tmp_path / "genepool.dump"
    summary = backup(stored.url, dump)
    result = restore_check(stored.url, dump)
    assert result.ok, result.differences
    assert result.restored == summary
    assert summary.tables["ohlcv"] == 420 and summary.tables["runs"] == 2 and summary.tables["generations"] == 6
    assert set(summary.latest_bars) == {"BTCUSDT", "ETHUSDT"}
    assert summary.latest_run is not None and summary.latest_run["run_id"] == "run-b"
    assert not scratch_databases(stored)


def test_the_manifest_records_the_snapshot_of_the_dump(stored, tmp_path):
    dump = tmp_path / "genepool.dump"
    summary = backup(stored.url, dump)
    assert read_manifest(dump) == summary
    with psycopg.connect(stored.url) as conn:
        count = conn.execute("SELECT count(*) FROM ohlcv WHERE symbol = 'BTCUSDT'").fetchone()
    assert count is not None and count[0] == 300


def test_a_corrupted_dump_fails_the_check_and_leaves_no_scratch_database(stored, tmp_path):
    dump = tmp_path / "genepool.dump"
    backup(stored.url, dump)
    data = bytearray(dump.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 256] = bytes(256)
    dump.write_bytes(bytes(data))
    with pytest.raises(DumpError, match="pg_restore failed"):
        restore_check(stored.url, dump)
    assert not scratch_databases(stored)


def test_a_truncated_dump_fails_the_check(stored, tmp_path):
    dump = tmp_path / "genepool.dump"
    backup(stored.url, dump)
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size * 2 // 3])
    with pytest.raises(DumpError, match="pg_restore failed"):
        restore_check(stored.url, dump)


def test_a_restore_that_holds_fewer_rows_than_its_manifest_fails_naming_the_table(stored, tmp_path):
    dump = tmp_path / "genepool.dump"
    backup(stored.url, dump)
    manifest = json.loads(manifest_path(dump).read_text())
    manifest["tables"]["strategies"] += 1
    manifest["latest_bars"]["BTCUSDT"] = "2099-01-01T00:00:00"
    manifest_path(dump).write_text(json.dumps(manifest))
    result = restore_check(stored.url, dump)
    assert not result.ok
    assert any(line.startswith("table strategies:") for line in result.differences)
    assert any(line.startswith("newest bar of BTCUSDT:") for line in result.differences)


def test_keep_leaves_the_scratch_database_for_inspection(stored, tmp_path):
    dump = tmp_path / "genepool.dump"
    backup(stored.url, dump)
    result = restore_check(stored.url, dump, keep=True)
    assert scratch_databases(stored) == [result.scratch_database]
    with psycopg.connect(stored.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{result.scratch_database}"')


def test_the_cli_backs_up_and_checks_and_fails_on_a_corrupted_dump(stored, tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", stored.url)
    dump = tmp_path / "cli.dump"
    made = CliRunner().invoke(app, ["db", "backup", str(dump), "--json"])
    assert made.exit_code == 0, made.output
    assert Summary.from_json(json.loads(made.stdout)).tables["checkpoints"] > 0
    checked = CliRunner().invoke(app, ["db", "restore-check", str(dump)])
    assert checked.exit_code == 0, checked.output
    assert "restore check passed" in checked.stdout
    dump.write_bytes(dump.read_bytes()[:200])
    broken = CliRunner().invoke(app, ["db", "restore-check", str(dump)])
    assert broken.exit_code == 1
    assert "pg_restore failed" in broken.output


def test_the_cli_refuses_a_dump_without_its_manifest(stored, tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", stored.url)
    dump = tmp_path / "lonely.dump"
    dump.write_bytes(b"PGDMP")
    result = CliRunner().invoke(app, ["db", "restore-check", str(dump)])
    assert result.exit_code == 2
    assert f"{manifest_path(dump)}: no manifest beside the dump" in result.output.replace("\n", "")


def test_the_password_never_reaches_a_command_line(stored, tmp_path, monkeypatch):
    import subprocess

    seen: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(argv, *args, **kwargs):
        seen.append(list(argv))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr("workloads.storage.dumps.subprocess.run", recording_run)
    dump = tmp_path / "genepool.dump"
    backup(stored.url, dump)
    restore_check(stored.url, dump)
    password = psycopg.conninfo.conninfo_to_dict(stored.url)["password"]
    assert seen and not any(str(password) in arg for argv in seen for arg in argv)


def test_dumps_are_written_where_asked(stored, tmp_path):
    dump = Path(tmp_path / "nested.dump")
    backup(stored.url, dump)
    assert dump.read_bytes().startswith(b"PGDMP") and manifest_path(dump).exists()
