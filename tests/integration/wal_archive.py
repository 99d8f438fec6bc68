"""A real PostgreSQL archiving its WAL into a local pgBackRest repository, and restores from that repository to a
point in time into scratch data directories: the steps of docs/runbooks.md#point-in-time-recovery, on this machine.

Everything lives in one private directory under the system temp dir: the repository (``repo/``), pgBackRest's
config, lock, log and spool directories, and the scratch data directories of restores. pgBackRest and PostgreSQL
run as the ``postgres`` user when the tests run as root (PostgreSQL refuses root, and ``archive_command`` runs as
the server's user). A missing ``pgbackrest`` skips — or, under CI, fails (:mod:`tests.prerequisites`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.integration.servers import PG_PASSWORD, PostgresServer, free_port
from tests.prerequisites import require_binary

STANZA = "genepool"


class RecoveryFailed(RuntimeError):
    """A restored data directory whose server did not come up (the server's log is in the message)."""


class ArchivedPostgres:
    """:class:`PostgresServer` with ``archive_mode=on`` and ``archive_command`` pushing to a pgBackRest stanza."""

    def __init__(self) -> None:
        self.pgbackrest = require_binary("pgbackrest")
        self.server = PostgresServer()
        self.directory = self.server.directory
        self.config = self.directory / "pgbackrest.conf"
        for sub in ("repo", "pgbackrest-lock", "pgbackrest-log", "pgbackrest-spool"):
            (self.directory / sub).mkdir()
            self._own(self.directory / sub)
        self.config.write_text(
            "[global]\n"
            f"repo1-path={self.directory / 'repo'}\n"
            "repo1-retention-full=2\n"
            f"lock-path={self.directory / 'pgbackrest-lock'}\n"
            f"log-path={self.directory / 'pgbackrest-log'}\n"
            f"spool-path={self.directory / 'pgbackrest-spool'}\n"
            "log-level-file=off\n"
            "log-level-console=warn\n"
            "start-fast=y\n"
            f"\n[{STANZA}]\n"
            f"pg1-path={self.server.data}\n"
            f"pg1-port={self.server.port}\n"
            f"pg1-socket-path={self.directory}\n"
            "pg1-user=genepool\n"
        )
        self._own(self.config)
        archive = f"{self.pgbackrest} --config={self.config} --stanza={STANZA} archive-push %p"
        with (self.server.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\narchive_mode = on\narchive_command = '{archive}'\nwal_level = replica\n")

    def _own(self, path: Path) -> None:
        if self.server.user:
            shutil.chown(path, user=self.server.user)

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``pgbackrest --config=… --stanza=genepool <command>`` as the server's user (password via ``PGPASSWORD``)."""
        argv = [self.pgbackrest, f"--config={self.config}", f"--stanza={STANZA}", *command]
        env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
        result = subprocess.run(argv, user=self.server.user, env=env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"pgbackrest {' '.join(command)} failed: {result.stderr or result.stdout}")
        return result

    def start(self) -> None:
        self.server.start()
        self.run("stanza-create")
        self.run("check")

    def info(self) -> dict:
        """The stanza's ``pgbackrest info --output=json`` entry (backups, archive ranges)."""
        return dict(json.loads(self.run("info", "--output=json").stdout)[0])

    def wal_segments(self) -> list[Path]:
        """Archived WAL segment files of the repository, oldest first (``<segment>-<sha1>.<compression>``)."""
        return sorted(p for p in (self.directory / "repo" / "archive" / STANZA).rglob("*") if len(p.name) > 40)

    def restore(self, *options: str) -> Path:
        """``pgbackrest restore`` into a new scratch data directory (never the live one), with ``--archive-mode=off``
        so the restored server pushes nothing into the repository; returns the directory."""
        scratch = self.directory / f"scratch-{free_port()}"
        scratch.mkdir(mode=0o700)
        self._own(scratch)
        self.run(f"--pg1-path={scratch}", "--archive-mode=off", *options, "restore")
        return scratch

    def start_restored(self, scratch: Path, timeout: float = 120.0) -> str:
        """Start a server on ``scratch`` on a free port and wait until it has replayed WAL through
        ``restore_command`` to its target and promoted. ``pg_ctl -w`` returns once the server is up (with
        ``hot_standby=off``, in standby: still recovering, refusing connections); from then on it is waited for until
        it accepts connections out of recovery, or its ``postmaster.pid`` is gone. Returns its URL;
        :class:`RecoveryFailed` when the server shuts down instead (a target it cannot reach, WAL it cannot read)."""
        import psycopg

        port = free_port()
        log = scratch.parent / f"{scratch.name}.log"

        def failed(reason: str) -> RecoveryFailed:
            return RecoveryFailed(f"{reason}: {log.read_text() if log.exists() else 'no server log'}")

        options = f"-p {port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=off"
        started = subprocess.run(
            [self.server.pg_ctl, "-D", str(scratch), "-l", str(log), "-o", options, "-t", str(int(timeout)), "-w"]
            + ["start"],
            user=self.server.user,
            capture_output=True,
            cwd=self.directory,
        )
        if started.returncode != 0:
            raise failed("the server did not start")
        url = f"postgresql://genepool:{PG_PASSWORD}@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(url, connect_timeout=2) as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,):
                        return url
            except psycopg.OperationalError:
                if not (scratch / "postmaster.pid").exists():
                    raise failed("the server shut down during recovery") from None
            time.sleep(0.1)
        raise failed(f"recovery did not end within {timeout} s")

    def stop_restored(self, scratch: Path) -> None:
        subprocess.run(
            [self.server.pg_ctl, "-D", str(scratch), "-m", "immediate", "-w", "stop"],
            user=self.server.user,
            capture_output=True,
        )

    def wait_archived(self, timeout: float = 30.0) -> None:
        """Switch to a new WAL segment and wait until the server reports the old one archived."""
        import psycopg

        with psycopg.connect(self.server.url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
            assert row is not None
            segment = row[0]
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                archived = conn.execute("SELECT last_archived_wal, failed_count FROM pg_stat_archiver").fetchone()
                if archived is not None and archived[0] is not None and archived[0] >= segment:
                    return
                time.sleep(0.1)
        raise RuntimeError(f"WAL segment {segment} was not archived within {timeout} s")

    def remove(self) -> None:
        self.server.remove()
