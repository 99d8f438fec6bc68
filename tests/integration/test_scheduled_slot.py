"""A scheduled evolution slot against a real local Ray head (``ray start --head`` with its job API, started by the
test, stopped by process id): submitting the same slot twice gives one job, and the submitter exits with the job's
outcome."""

from __future__ import annotations

import contextlib
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.integration.servers import free_port, ray_head
from workloads.cli import app
from workloads.evolution.schedule import attempt_id, latest_attempt, slot_id, slot_of, submit_slot

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOB_NAME = "evolve-btcusdt-29409120"
"""What the CronJob controller names the Job of the 2025-12-01 00:00 UTC slot of ``evolve-btcusdt``."""


def job_api_up(address: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{address}/api/version", timeout=2) as response:
        return response.status == 200
    return False


@pytest.fixture(scope="module")
def job_api() -> Iterator[str]:
    """A local Ray head serving the job API; yields its address (``http://127.0.0.1:<port>``)."""
    port, dashboard_port = free_port(), free_port()
    address = f"http://127.0.0.1:{dashboard_port}"
    head_args = [
        f"--dashboard-port={dashboard_port}",
        "--dashboard-host=127.0.0.1",
        "--include-dashboard=true",
        "--num-cpus=1",
    ]
    with ray_head(port, head_args, lambda: job_api_up(address), timeout=180):
        yield address


@pytest.fixture()
def client(job_api: str, monkeypatch: pytest.MonkeyPatch):
    from ray.job_submission import JobSubmissionClient

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # the test's head runs without Ray's token auth
    return JobSubmissionClient(job_api)


def jobs_of(client, slot: str) -> list[str]:
    return [job.submission_id for job in client.list_jobs() if job.submission_id and job.submission_id.startswith(slot)]


def test_submitting_the_same_slot_twice_gives_one_job(client):
    slot = slot_id("BTCUSDT", slot_of(JOB_NAME) + "-twice")
    command = [sys.executable, "-c", "import time; time.sleep(5)"]

    first = submit_slot(client, slot, command, has_checkpoint=lambda run_id: False)
    second = submit_slot(client, slot, command, has_checkpoint=lambda run_id: False)

    assert first == second == attempt_id(slot, 0)
    assert jobs_of(client, slot) == [slot]


def test_a_slot_whose_job_failed_is_resubmitted_with_resume(client):
    slot = slot_id("BTCUSDT", slot_of(JOB_NAME) + "-failed")
    client.submit_job(entrypoint=f"{sys.executable} -c 'raise SystemExit(3)'", submission_id=slot)
    deadline = time.monotonic() + 60
    while latest_attempt(client, slot) != (0, "FAILED"):
        assert time.monotonic() < deadline, latest_attempt(client, slot)
        time.sleep(0.5)

    retry = submit_slot(client, slot, [sys.executable, "-c", "pass"], has_checkpoint=lambda run_id: run_id == slot)

    assert retry == attempt_id(slot, 1)
    assert client.get_job_info(retry).entrypoint.endswith(f"--resume {slot}")


def test_the_submitter_follows_the_slot_to_its_end_and_a_second_submitter_attaches(
    client, job_api, tmp_path, monkeypatch
):
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path))
    job_name = "evolve-ethusdt-29409120"
    args = ["schedule", "submit", "--address", job_api, "--symbol", "ETHUSDT", "--job-name", job_name]
    args += ["--poll-seconds", "0.5", "--", sys.executable, "-c", "print('evolved')"]

    first = CliRunner().invoke(app, args)
    second = CliRunner().invoke(app, args)

    slot = slot_id("ETHUSDT", slot_of(job_name))
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert f"slot {slot}: job {slot} SUCCEEDED" in second.output
    assert jobs_of(client, slot) == [slot]


def test_the_submitter_exits_non_zero_when_the_job_fails(client, job_api, tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path))
    args = ["schedule", "submit", "--address", job_api, "--symbol", "SOLUSDT", "--job-name", "evolve-solusdt-29409120"]
    args += ["--poll-seconds", "0.5", "--", sys.executable, "-c", "raise SystemExit(3)"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output
