"""The database pod's pgBackRest pieces (infra/components/pgbackrest.py, docs/backups.md) against a real PostgreSQL
and pgBackRest on this machine: the rendered ``pgbackrest.conf``, PostgreSQL's archive settings and the backup
container's loop, with the repository moved from object storage to a local directory through pgBackRest's
environment (which takes precedence over the file) and ``sleep`` made instant, so the loop's schedule runs in
seconds. The loop creates the stanza, checks archiving, and takes full, differential, full, differential backups
for one full backup per two."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.components import pgbackrest
from infra.config import WalArchiveConfig
from infra.platforms import WalArchiveTarget
from tests.integration.servers import PG_PASSWORD, PostgresServer
from tests.prerequisites import require_binary

pytestmark = pytest.mark.integration

SCHEDULE = WalArchiveConfig(enabled=True, full_every_days=1, diff_every_hours=12)
"""Two backups per full-backup period: full, differential, full, differential, …"""


class PodLikeServer:
    """A PostgreSQL started with the pod's archive settings and pgBackRest environment (as the container's)."""

    def __init__(self) -> None:
        self.pgbackrest = require_binary("pgbackrest")
        self.server = PostgresServer()
        self.directory = self.server.directory
        self.repository = self._own_dir("repo")
        self.bin = self._own_dir("bin")
        sleep = self.bin / "sleep"
        sleep.write_text("#!/bin/sh\nexit 0\n")
        sleep.chmod(0o755)
        target = WalArchiveTarget(bucket="genepool-test-wal", region="fra1", endpoint="fra1.digitaloceanspaces.com")
        repository = pgbackrest.Repository(target, SCHEDULE)
        self.config = self.directory / "pgbackrest.conf"
        self.config.write_text(
            pgbackrest.config_text("genepool-test-wal", repository, str(self.server.data), "genepool")
        )
        self._own(self.config)
        settings = pgbackrest.server_settings(SCHEDULE)
        settings.pop("unix_socket_directories")  # the test server's socket is in its own directory
        with (self.server.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"\n{key} = '{value}'" for key, value in settings.items())
        self.env = {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}:{Path(self.pgbackrest).parent}",
            "PGBACKREST_CONFIG": str(self.config),
            "PGBACKREST_REPO1_TYPE": "posix",
            "PGBACKREST_REPO1_PATH": str(self.repository),
            "PGBACKREST_REPO1_CIPHER_PASS": "test-cipher-passphrase",
            "PGBACKREST_LOCK_PATH": str(self._own_dir("lock")),
            "PGBACKREST_PG1_SOCKET_PATH": str(self.directory),
            "PGBACKREST_PG1_PORT": str(self.server.port),
            "PGPORT": str(self.server.port),
            "PGPASSWORD": PG_PASSWORD,
        }

    def _own_dir(self, name: str) -> Path:
        path = self.directory / name
        path.mkdir()
        self._own(path)
        return path

    def _own(self, path: Path) -> None:
        if self.server.user:
            shutil.chown(path, user=self.server.user)

    def start(self) -> None:
        """Start the server with the pod's environment, so its ``archive_command`` finds the configuration."""
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            self.server.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def backup_loop(self) -> subprocess.Popen[str]:
        script = pgbackrest.backup_script(SCHEDULE, socket_dir=str(self.directory))
        return subprocess.Popen(
            ["/bin/sh", "-c", script],
            user=self.server.user,
            env=self.env,
            cwd=self.directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def backups(self) -> list[str]:
        """The types of the repository's backups, oldest first."""
        result = subprocess.run(
            [self.pgbackrest, "--stanza=genepool", "--output=json", "info"],
            user=self.server.user,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not result.stdout.strip():
            return []
        return [backup["type"] for backup in json.loads(result.stdout)[0].get("backup", [])]


@pytest.fixture(scope="module")
def loop_ran() -> Iterator[tuple[PodLikeServer, list[str], str]]:
    """The server, the backup types the loop made (until four), and the loop's output."""
    pod = PodLikeServer()
    try:
        pod.start()
        loop = pod.backup_loop()
        deadline = time.monotonic() + 180
        types: list[str] = []
        while time.monotonic() < deadline and loop.poll() is None and len(types) < 4:
            time.sleep(1)
            types = pod.backups()
        loop.kill()
        output, _ = loop.communicate(timeout=30)
        yield pod, types, output
    finally:
        pod.server.remove()


def test_the_loop_backs_up_full_then_differential_one_full_per_period(loop_ran):
    _, types, output = loop_ran
    assert types[:4] == ["full", "diff", "full", "diff"], output


def test_the_loop_checks_archiving_end_to_end_before_backing_up(loop_ran):
    _, _, output = loop_ran
    assert "check command end: completed successfully" in output, output


def test_postgres_archives_its_wal_through_the_rendered_configuration(loop_ran):
    pod, _, _ = loop_ran
    archived = [p for p in (pod.repository / "archive" / "genepool").rglob("*") if len(p.name) > 40]
    assert archived, "no WAL segment in the repository"
    assert all(p.name.endswith(".zst") for p in archived)
