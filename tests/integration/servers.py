"""Throwaway Redis and PostgreSQL servers started from system binaries, for integration tests.

Binaries are looked up on ``PATH`` and, for PostgreSQL, under ``/usr/lib/postgresql/<version>/bin`` (Debian's
``postgresql`` package). When one is missing the test is skipped — or, under CI, fails (:mod:`tests.prerequisites`).
Every server listens on a free port on 127.0.0.1, never on a default port where the developer's own may run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.prerequisites import require_binary, unavailable

PG_PASSWORD = "s3cret-pg-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start within {timeout} s")


class RedisServer:
    """``redis-server`` on a free port, without persistence. ``kill()`` and ``start()`` simulate an outage."""

    def __init__(self, directory: Path) -> None:
        self.binary = require_binary("redis-server")
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


class PostgresServer:
    """A fresh cluster (``initdb`` with a SCRAM password) served by ``pg_ctl`` on a free TCP port.

    Runs as the ``postgres`` user when the tests run as root (PostgreSQL refuses to run as root), in its own
    directory under the system temp dir (pytest's are private to root); :meth:`remove` deletes it. It listens on
    127.0.0.1 only, unless ``bridge`` names another address of this host (a container network's gateway): then it
    listens there too and accepts password logins from ``bridge_network`` (the containers' subnet)."""

    SEARCH = ("/usr/lib/postgresql/*/bin",)

    def __init__(self, bridge: str | None = None, bridge_network: str | None = None) -> None:
        self.bridge = bridge
        self.initdb = require_binary("initdb", self.SEARCH)
        self.pg_ctl = require_binary("pg_ctl", self.SEARCH)
        directory = Path(tempfile.mkdtemp(prefix="genepool-pg-"))
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(directory, user=self.user)
        pwfile = directory / "pw"
        pwfile.write_text(PG_PASSWORD + "\n")
        if self.user:
            shutil.chown(pwfile, user=self.user)
        self._run(
            [
                self.initdb,
                "-D",
                str(self.data),
                "-U",
                "genepool",
                "-A",
                "scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        if bridge_network is not None:
            with open(self.data / "pg_hba.conf", "a") as hba:
                hba.write(f"host all all {bridge_network} scram-sha-256\n")

    def _run(self, argv: list[str]) -> None:
        result = subprocess.run(argv, user=self.user, capture_output=True, text=True, cwd=self.directory)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr or result.stdout}")

    @property
    def url(self) -> str:
        return f"postgresql://genepool:{PG_PASSWORD}@127.0.0.1:{self.port}/postgres"

    @property
    def bridge_url(self) -> str:
        """The URL containers use: the server at the bridge address."""
        assert self.bridge is not None, "the server was not started on a bridge"
        return self.url.replace("@127.0.0.1:", f"@{self.bridge}:")

    def start(self) -> None:
        listen = "127.0.0.1" if self.bridge is None else f"127.0.0.1,{self.bridge}"
        options = f"-p {self.port} -k {self.directory} -c listen_addresses={listen} -c fsync=off"
        if (Path(self.pg_ctl).resolve().parent.parent / "lib" / "timescaledb.so").exists():
            options += " -c shared_preload_libraries=timescaledb"  # the extension needs preloading
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.directory / "log"), "-o", options, "-w", "start"])
        wait_for_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def is_running(self) -> bool:
        return (
            subprocess.run(
                [self.pg_ctl, "-D", str(self.data), "status"], user=self.user, capture_output=True
            ).returncode
            == 0
        )


def ray_cli() -> str:
    """The ``ray`` command of this virtualenv; :func:`~tests.prerequisites.unavailable` when Ray is not installed."""
    path = Path(sys.executable).with_name("ray")
    if not path.exists():
        unavailable("ray is not installed in this environment (pip install -e '.[ray]'; `make test` does)")
    return str(path)


def pids_using(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (a test's own Ray temp dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@contextlib.contextmanager
def ray_head(port: int, extra_args: list[str], ready: Callable[[], bool], timeout: float) -> Iterator[None]:
    """``ray start --head --block`` on ``port`` with ``extra_args``, token auth off, in its own short temp dir; waits
    until ``ready()``; stops the head and every Ray daemon of that temp dir (they detach from the head process).

    The ports Ray would otherwise take at fixed defaults (the dashboard agent's 52365, the client server's 10001) are
    free ones too, so a Ray already running on this machine does not collide with the test's head."""
    temp_dir = tempfile.mkdtemp(prefix="gpray", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    process = subprocess.Popen(
        [
            ray_cli(),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--ray-client-server-port={free_port()}",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, RAY_AUTH_MODE="disabled"),
    )
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert process.poll() is None, f"ray start --head exited: {process.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
        for pid in pids_using(temp_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)
