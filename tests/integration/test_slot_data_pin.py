"""A scheduled slot owns its data, on a real PostgreSQL with the CronJob's own evolve flags (local backend): a slot
killed with SIGKILL after new bars were fetched resumes from its database checkpoint on the bars it started with and
ends with the hall of fame of an undisturbed slot; the next slot evolves on the new bars."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.run import run_evolution
from workloads.evolution.schedule import slot_command, slot_id, slot_of
from workloads.storage import open_storage

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SYMBOL = "BTCUSDT"
STORED, LATE, AFTER = 6000, 2, 3
"""Bars stored when the slot starts; bars of before the slot's start that a late fetch stores while it runs; bars
of after its start."""
STRATEGIES = ["ema_crossover", "sma_trend_filter"]
GENERATIONS = 24
"""Enough that the first attempt is still running when the test has seen its generation-1 checkpoint and frozen it
(a generation takes tens of milliseconds here)."""
CONFIG = EvolutionConfig(population=40, generations=GENERATIONS, random_seed=7)
EVOLVE = ["evolve", "--symbol", SYMBOL, "--strategies", ",".join(STRATEGIES), "--population", "40"]
EVOLVE += ["--generations", str(GENERATIONS), "--random-seed", "7", "--checkpoints", "database", "--json"]
HOUR_NS = 3_600_000_000_000


def cronjob_job_name(slot_start_ns: int) -> str:
    """What the CronJob controller names the Job of the slot scheduled at ``slot_start_ns``."""
    return f"evolve-btcusdt-{slot_start_ns // 60_000_000_000}"


def attempt(job_name: str, flag: str, env: dict[str, str]) -> subprocess.Popen:
    """One attempt of the slot, with the arguments ``genepool schedule submit`` gives it."""
    run_id = slot_id(SYMBOL, slot_of(job_name))
    command = [*slot_command(EVOLVE, job_name), flag, run_id]
    return subprocess.Popen(
        [sys.executable, "-c", "from workloads.cli import main; main()", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_killed_slot_resumes_on_its_own_bars_after_new_bars_arrived(postgres, tmp_path):
    everything = generate(STORED + LATE + AFTER, 11, funding=True)
    started_on = everything.slice(0, STORED)
    slot_start = int(everything.timestamp[STORED + LATE])  # the late bars open before it, the others at or after
    job_name = cronjob_job_name(slot_start)
    env = {**os.environ, "GENEPOOL_DATABASE_URL": postgres.url, "GENEPOOL_HOME": str(tmp_path)}
    with open_storage(postgres.url) as storage:
        storage.migrate()
        storage.put_bars(SYMBOL, started_on)
        stored = storage.get_bars(SYMBOL)  # what the slot reads at its start

    first = attempt(job_name, "--run-id", env)
    run_id = slot_id(SYMBOL, slot_of(job_name))
    deadline = time.monotonic() + 600
    with open_storage(postgres.url) as storage:
        while (storage.load_checkpoint(run_id) or (-1,))[0] < 1:
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGSTOP)  # frozen mid-run while the new bars arrive, then lost like a spot node
        storage.put_bars(SYMBOL, everything.slice(STORED, len(everything)))  # the hourly fetch, mid-run
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert storage.load_checkpoint(run_id)[0] < CONFIG.generations - 1
        assert len(storage.get_bars(SYMBOL)) == len(everything)

    retry = attempt(job_name, "--resume", env)
    out, err = retry.communicate(timeout=900)
    assert retry.returncode == 0, err
    resumed = json.loads(out)

    undisturbed = run_evolution(stored, CONFIG, runs_dir=tmp_path / "undisturbed", run_id="u", strategies=STRATEGIES)
    assert resumed["data"]["bars"] == STORED
    assert resumed["hall_of_fame"] == json.loads(json.dumps(undisturbed.as_json()["hall_of_fame"]))
    assert [g["generation"] for g in resumed["generations"]] == list(range(CONFIG.generations))

    next_slot = attempt(cronjob_job_name(slot_start + 4 * HOUR_NS), "--run-id", env)
    out, err = next_slot.communicate(timeout=900)
    assert next_slot.returncode == 0, err
    assert json.loads(out)["data"]["bars"] == len(everything)
