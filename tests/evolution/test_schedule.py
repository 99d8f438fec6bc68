"""The scheduled-slot submitter's decisions (workloads/evolution/schedule.py) against an in-memory job table; the
same against a real Ray head is tests/integration/test_scheduled_slot.py."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

import pytest

from workloads.evolution.schedule import (
    LOST,
    SUCCEEDED,
    Terminated,
    attempt_id,
    follow,
    run_slot,
    slot_command,
    slot_id,
    slot_of,
    submit_slot,
)


@dataclass
class Job:
    submission_id: str
    entrypoint: str
    status: str = "RUNNING"


@dataclass
class FakeJobs:
    """A Ray job table: each status poll of a job pops the next status from ``script`` (the last one sticks)."""

    jobs: dict[str, Job] = field(default_factory=dict)
    script: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    on_poll: object = None

    def submit_job(self, *, entrypoint: str, submission_id: str | None = None) -> str:
        assert submission_id is not None
        if submission_id in self.jobs:
            raise RuntimeError(f"Job with submission_id {submission_id} already exists.")
        self.jobs[submission_id] = Job(submission_id, entrypoint)
        return submission_id

    def get_job_status(self, job_id: str) -> str:
        if callable(self.on_poll):
            self.on_poll()
        if job_id not in self.jobs:
            raise RuntimeError(f"Request failed with status code 404: Job {job_id} does not exist.")
        if self.script:
            self.jobs[job_id].status = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return self.jobs[job_id].status

    def list_jobs(self) -> list[Job]:
        return list(self.jobs.values())

    def stop_job(self, job_id: str) -> bool:
        self.stopped.append(job_id)
        self.jobs[job_id].status = "STOPPED"
        return True


COMMAND = ["genepool", "evolve", "--symbol", "BTCUSDT"]
SLOT = "evolve-btcusdt-20251201t0000z"


def no_checkpoint(run_id: str) -> bool:
    return False


def test_a_cronjob_job_name_gives_its_scheduled_minute_as_the_slot():
    assert slot_of("evolve-btcusdt-29409120") == "20251201t0000z"


def test_a_job_made_by_hand_is_its_own_slot():
    assert slot_of("evolve-btcusdt-manual-1") == "evolve-btcusdt-manual-1"


def test_the_slot_id_names_the_symbol_and_the_slot():
    assert slot_id("BTC.USDT", "20251201t0000z") == "evolve-btc-usdt-20251201t0000z"


def test_a_new_slot_runs_under_its_slot_id_as_run_id():
    jobs = FakeJobs()
    assert submit_slot(jobs, SLOT, COMMAND, no_checkpoint) == SLOT
    assert jobs.jobs[SLOT].entrypoint == f"genepool evolve --symbol BTCUSDT --run-id {SLOT}"


@pytest.mark.parametrize("status", ["PENDING", "RUNNING", "SUCCEEDED"])
def test_a_resubmitted_slot_attaches_to_its_job(status):
    jobs = FakeJobs({SLOT: Job(SLOT, "x", status)})
    assert submit_slot(jobs, SLOT, COMMAND, no_checkpoint) == SLOT
    assert list(jobs.jobs) == [SLOT]


@pytest.mark.parametrize("status", ["FAILED", "STOPPED"])
def test_a_slot_whose_job_died_is_submitted_again_resuming_its_checkpoint(status):
    jobs = FakeJobs({SLOT: Job(SLOT, "x", status)})
    retry = submit_slot(jobs, SLOT, COMMAND, has_checkpoint=lambda run_id: run_id == SLOT)
    assert retry == attempt_id(SLOT, 1) == f"{SLOT}-retry-1"
    assert jobs.jobs[retry].entrypoint.endswith(f"--resume {SLOT}")


def test_follow_returns_the_terminal_status():
    jobs = FakeJobs({SLOT: Job(SLOT, "x")}, script=["RUNNING", "RUNNING", SUCCEEDED])
    assert follow(jobs, SLOT, 0, 60, sleep=lambda s: None) == SUCCEEDED


def test_follow_reports_a_job_the_cluster_forgot_as_lost():
    assert follow(FakeJobs(), SLOT, 0, 60, sleep=lambda s: None) == LOST


def test_follow_waits_for_an_unreachable_head_then_gives_up():
    class Down(FakeJobs):
        def get_job_status(self, job_id: str) -> str:
            raise ConnectionRefusedError("head is down")

    ticks = iter(range(0, 1000, 10))
    with pytest.raises(OSError):
        follow(Down(), SLOT, 0, 60, sleep=lambda s: None, clock=lambda: float(next(ticks)))


def test_a_job_lost_with_the_head_is_resubmitted_and_resumed():
    jobs = FakeJobs()
    forgotten = {"done": False}

    def head_restart() -> None:
        if not forgotten["done"]:
            forgotten["done"] = True
            jobs.jobs.clear()
        else:
            jobs.script = [SUCCEEDED]

    jobs.on_poll = head_restart
    result = run_slot(jobs, SLOT, COMMAND, lambda run_id: True, attempts=3, poll_seconds=0, unreachable_seconds=1)
    assert result.succeeded
    assert jobs.jobs[SLOT].entrypoint.endswith(f"--resume {SLOT}")


def test_a_failed_job_ends_the_submitter_without_a_success():
    jobs = FakeJobs(script=["FAILED"])
    result = run_slot(jobs, SLOT, COMMAND, no_checkpoint, attempts=3, poll_seconds=0, unreachable_seconds=1)
    assert (result.status, result.succeeded, list(jobs.jobs)) == ("FAILED", False, [SLOT])


def test_sigterm_at_the_deadline_stops_the_slots_job():
    jobs = FakeJobs()
    jobs.on_poll = lambda: os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(Terminated):
        run_slot(jobs, SLOT, COMMAND, no_checkpoint, attempts=1, poll_seconds=0, unreachable_seconds=1)
    assert jobs.stopped == [SLOT]


def test_a_cronjob_slot_evolves_the_bars_before_its_scheduled_time():
    assert slot_command(COMMAND, "evolve-btcusdt-29409120") == [*COMMAND, "--until", "2025-12-01T00:00:00Z"]


def test_a_job_made_by_hand_has_no_cut_off():
    assert slot_command(COMMAND, "evolve-by-hand") == COMMAND


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["--run-id", "mine"], "the command must not name a run"),
        (["--until", "2026-01-01"], "the command must not give --until: the slot's start is added to it"),
        (["--until=2026-01-01"], "the command must not give --until"),
    ],
)
def test_the_submitter_refuses_a_command_naming_its_run_or_cut_off(given, message):
    from typer.testing import CliRunner

    from workloads.cli import app

    args = ["schedule", "submit", "--address", "http://127.0.0.1:9", "--symbol", "BTCUSDT", "--job-name", "j", "--"]
    result = CliRunner().invoke(app, [*args, *COMMAND, *given])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
