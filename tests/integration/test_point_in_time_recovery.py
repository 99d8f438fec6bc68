"""Point-in-time recovery with pgBackRest against a real PostgreSQL (docs/runbooks.md#point-in-time-recovery):
a full backup, then writes, a recorded target time, more writes; a restore to the target holds exactly what the
store held at the target — rows written after the backup come back from the archived WAL, rows written after the
target do not — while a target past the end of the archive, or a corrupted WAL segment, fails the recovery."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from tests.integration.test_storage_contract import entry
from tests.integration.wal_archive import ArchivedPostgres, RecoveryFailed
from workloads.data.synthetic import generate
from workloads.storage import Storage, open_storage
from workloads.storage.dumps import Summary, compare, summarize

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class History:
    """What the store held at ``target`` (a PostgreSQL timestamp, UTC), and what was written after it."""

    target: str
    at_target: Summary
    after_target: Summary


def record_run(storage: Storage, run_id: str, generations: int) -> None:
    storage.create_run(run_id, {"symbol": "BTCUSDT"}, "fp")
    for generation in range(generations):
        storage.record_generation(run_id, generation, {"ema_crossover": {"best": generation / 10}})
        storage.save_checkpoint(run_id, generation, f"state {generation}".encode())
    storage.save_hall_of_fame(run_id, [entry("ema_crossover", 1.5)])


def summary_now(url: str) -> Summary:
    with psycopg.connect(url) as conn:
        return summarize(conn)


@pytest.fixture(scope="module")
def archived() -> Iterator[tuple[ArchivedPostgres, History]]:
    """A server with a full backup of one run and one symbol; after the backup a second run and symbol (before the
    target), then a third run and symbol (after the target); every WAL segment archived."""
    cluster = ArchivedPostgres()
    try:
        cluster.start()
        url = cluster.server.url
        with open_storage(url) as storage:
            storage.put_bars("BTCUSDT", generate(2000, 3, funding=True))
            record_run(storage, "run-a", 5)
            storage.finish_run("run-a", {"best": 1.5})
        cluster.run("--type=full", "backup")
        backed_up = time.monotonic()
        with open_storage(url) as storage:
            storage.put_bars("ETHUSDT", generate(1500, 5, funding=True))
            record_run(storage, "run-b", 8)
        at_target = summary_now(url)
        # pgBackRest keeps a backup's stop time to the second and restores to a time only from a backup that
        # stopped before it: a target in the backup's last second would find none
        time.sleep(max(0.0, backed_up + 2.0 - time.monotonic()))
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
            target = f"{row.fetchone()[0]}+00"  # type: ignore[index]
        time.sleep(0.05)  # every later commit is strictly after the target
        with open_storage(url) as storage:
            storage.put_bars("SOLUSDT", generate(700, 7, funding=True))
            record_run(storage, "run-c", 4)
        after_target = summary_now(url)
        cluster.wait_archived()
        yield cluster, History(target, at_target, after_target)
    finally:
        cluster.remove()


def restored_summary(cluster: ArchivedPostgres, *restore_options: str) -> Summary:
    scratch = cluster.restore(*restore_options)
    try:
        return summary_now(cluster.start_restored(scratch))
    finally:
        cluster.stop_restored(scratch)


def test_the_history_spans_the_backup_and_the_target(archived):
    _, history = archived
    assert history.at_target.tables["ohlcv"] == 3500 and history.after_target.tables["ohlcv"] == 4200
    assert history.at_target.latest_run is not None and history.at_target.latest_run["run_id"] == "run-b"
    assert set(history.after_target.latest_bars) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}


def test_restore_to_the_target_time_holds_exactly_what_the_store_held_then(archived):
    cluster, history = archived
    started = time.monotonic()
    restored = restored_summary(cluster, "--type=time", f"--target={history.target}", "--target-action=promote")
    elapsed = time.monotonic() - started
    assert compare(history.at_target, restored) == []
    assert restored.tables["ohlcv"] == 3500 and "SOLUSDT" not in restored.latest_bars
    rows = sum(restored.tables.values())
    print(f"\nPITR restore to target: {restored.tables['ohlcv']} bars, {rows} rows, {elapsed:.2f} s")


def test_restore_to_the_end_of_the_archive_loses_nothing(archived):
    cluster, history = archived
    restored = restored_summary(cluster, "--type=default")
    assert compare(history.after_target, restored) == []


def test_a_target_past_the_end_of_the_archive_fails_the_recovery(archived):
    cluster, _ = archived
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S+00")
    with pytest.raises(RecoveryFailed, match="recovery ended before configured recovery target was reached"):
        restored_summary(cluster, "--type=time", f"--target={tomorrow}", "--target-action=promote")


def test_a_corrupted_wal_segment_fails_the_recovery_and_pgbackrest_verify(archived):
    cluster, history = archived
    backup = cluster.info()["backup"][-1]
    after_backup = [p for p in cluster.wal_segments() if p.name[:24] > backup["archive"]["stop"]]
    assert after_backup, "no WAL archived after the backup"
    originals = {path: path.read_bytes() for path in after_backup}
    try:
        for path, data in originals.items():
            middle = len(data) // 2
            path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :])
        verify = cluster.run("verify", "--job-retry=0", "--log-level-console=info")
        assert "status: error" in verify.stdout, verify.stdout
        with pytest.raises(RecoveryFailed, match="recovery ended before configured recovery target was reached"):
            restored_summary(cluster, "--type=time", f"--target={history.target}", "--target-action=promote")
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
