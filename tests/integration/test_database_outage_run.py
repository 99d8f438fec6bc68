"""PostgreSQL stopped in the middle of an evolution run (the CLI, local backend, checkpoints in the database): an
outage shorter than ``--database-wait`` stalls the run, which then continues where it was; a longer one ends it with
one line naming the database, and ``--resume`` continues from the last checkpoint. Either way the checkpoint loads
and the final hall of fame equals an undisturbed run's with the same seed. Each test prints the work lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.servers import PostgresServer
from workloads.evolution.checkpoints import state_from_bytes
from workloads.evolution.state import PoolState
from workloads.storage.postgres import PostgresStorage

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_SECONDS = 30.0
GENERATIONS = 30
EVOLVE = ["evolve", "--synthetic", "4000", "--strategies", "ema_crossover,sma_trend_filter", "--population", "40"]
EVOLVE += ["--generations", str(GENERATIONS), "--random-seed", "5", "--json"]


def genepool(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from workloads.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finished(process: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same run without a database outage (local checkpoints, nothing stored): its summary and wall seconds."""
    home = tmp_path_factory.mktemp("undisturbed")
    started = time.monotonic()
    code, out, err = finished(genepool([*EVOLVE, "--no-store"], {**os.environ, "GENEPOOL_HOME": str(home)}))
    assert code == 0, err[-3000:]
    return {"summary": json.loads(out), "seconds": time.monotonic() - started}


def migrated(url: str) -> str:
    """``url`` after migrating its schema (so the test can poll the checkpoints table before the run creates it)."""
    storage = PostgresStorage(url)
    try:
        storage.migrate()
    finally:
        storage.close()
    return url


def latest_generation(url: str, run_id: str) -> int:
    storage = PostgresStorage(url, retry_seconds=5.0)
    try:
        latest = storage.load_checkpoint(run_id)
        return -2 if latest is None else latest[0]
    finally:
        storage.close()


def frozen_outage(process: subprocess.Popen[str], server: PostgresServer, run_id: str, after: int) -> int:
    """Once the run has checkpointed generation ``after``, freeze it, stop PostgreSQL, thaw it (so the outage
    starts mid-run, whatever the speed of a generation); returns the generation checkpointed when it stopped."""
    deadline = time.monotonic() + 600
    while latest_generation(server.url, run_id) < after:
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the run never checkpointed"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGSTOP)
    checkpointed = latest_generation(server.url, run_id)
    server.stop("fast")
    os.kill(process.pid, signal.SIGCONT)
    return checkpointed


def restart_after(server: PostgresServer, seconds: float) -> tuple[threading.Timer, Callable[[], float]]:
    """Start ``server`` again in ``seconds``; the second value gives the monotonic time it was up again."""
    up: list[float] = []

    def start() -> None:
        server.start()
        up.append(time.monotonic())

    timer = threading.Timer(seconds, start)
    timer.start()
    return timer, lambda: up[0]


def checkpoint_state(url: str, run_id: str) -> PoolState:
    storage = PostgresStorage(url)
    try:
        latest = storage.load_checkpoint(run_id)
        assert latest is not None
        return state_from_bytes(latest[1])
    finally:
        storage.close()


def test_a_database_outage_shorter_than_the_wait_stalls_the_run_which_continues(postgres, tmp_path, undisturbed):
    env = {**os.environ, "GENEPOOL_DATABASE_URL": migrated(postgres.url), "GENEPOOL_HOME": str(tmp_path)}
    started = time.monotonic()
    run = genepool([*EVOLVE, "--checkpoints", "database", "--run-id", "outage", "--database-wait", "120"], env)
    checkpointed = frozen_outage(run, postgres, "outage", after=1)
    down = time.monotonic()
    timer, up_at = restart_after(postgres, OUTAGE_SECONDS)
    code, out, err = finished(run)
    timer.join()
    seconds = time.monotonic() - started
    state = checkpoint_state(postgres.url, "outage")
    print(
        f"\nPostgreSQL down {up_at() - down:.1f} s from generation {checkpointed}: the run waited and continued; "
        f"0 generations redone; wall {seconds:.1f} s against {undisturbed['seconds']:.1f} s undisturbed "
        f"({seconds - undisturbed['seconds']:.1f} s lost)"
    )
    assert code == 0, err[-3000:]
    assert "save_checkpoint" in err or "record_generation" in err  # the run did meet the outage
    assert checkpointed < GENERATIONS - 1
    assert state.generation == GENERATIONS - 1
    assert json.loads(out)["hall_of_fame"] == undisturbed["summary"]["hall_of_fame"]


def test_a_database_outage_longer_than_the_wait_exits_with_one_line_and_resumes(postgres, tmp_path, undisturbed):
    env = {**os.environ, "GENEPOOL_DATABASE_URL": migrated(postgres.url), "GENEPOOL_HOME": str(tmp_path)}
    run = genepool([*EVOLVE, "--checkpoints", "database", "--run-id", "outage", "--database-wait", "5"], env)
    checkpointed = frozen_outage(run, postgres, "outage", after=1)
    down = time.monotonic()
    timer, up_at = restart_after(postgres, OUTAGE_SECONDS)
    code, _, err = finished(run)
    exited = time.monotonic()
    timer.join()
    kept = checkpoint_state(postgres.url, "outage")
    resumed = genepool([*EVOLVE, "--checkpoints", "database", "--resume", "outage"], env)
    resume_code, out, resume_err = finished(resumed)
    summary = json.loads(out) if resume_code == 0 else {}
    redone = [g for g in summary.get("generations", []) if g["generation"] == checkpointed + 1]
    lost = sum(g["seconds"] for g in redone)
    print(
        f"\nPostgreSQL down {up_at() - down:.1f} s from generation {checkpointed}: the run exited after "
        f"{exited - down:.1f} s and resumed from generation {kept.generation}; {len(redone)} generation redone "
        f"({lost:.2f} s of evaluation)"
    )
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 1
    assert len(errors) == 1, err[-3000:]
    assert "database postgresql://genepool:***@127.0.0.1" in errors[0]
    assert "resume with `genepool evolve --resume outage`" in errors[0]
    assert "Traceback" not in err
    assert kept.generation == checkpointed
    assert resume_code == 0, resume_err[-3000:]
    assert len(redone) == 1
    assert summary["hall_of_fame"] == undisturbed["summary"]["hall_of_fame"]
