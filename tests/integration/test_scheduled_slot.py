"""A scheduled evolution slot against a real local Ray head (``ray start --head`` with its job API, started by the
test, stopped by process id): submitting the same slot twice gives one job, and the submitter exits with the job's
outcome."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration.servers import free_port
from workloads.cli import app
from workloads.schedule import attempt_id, latest_attempt, slot_id, slot_of, submit_slot

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOB_NAME = "evolve-btcusdt-29409120"
"""What the CronJob controller names the Job of the 2025-12-01 00:00 UTC slot of ``evolve-btcusdt``."""


def _pids_using(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _ray_cli() -> str:
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        message = "ray is not installed in this environment (pip install -e '.[ray]')"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "; CI=true forbids skipping integration tests")
        pytest.skip(message)
    return str(ray_cli)


@pytest.fixture(scope="module")
def job_api() -> Iterator[str]:
    """A local Ray head serving the job API; yields its address (``http://127.0.0.1:<port>``)."""
    port, dashboard_port = free_port(), free_port()
    temp_dir = tempfile.mkdtemp(prefix="gpslot", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    process = subprocess.Popen(
        [
            _ray_cli(),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            f"--dashboard-port={dashboard_port}",
            "--dashboard-host=127.0.0.1",
            "--include-dashboard=true",
            "--num-cpus=1",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, RAY_AUTH_MODE="disabled"),
    )
    address = f"http://127.0.0.1:{dashboard_port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{address}/api/version", timeout=2) as response,
            ):
                if response.status == 200:
                    break
            assert process.poll() is None, f"ray start --head exited: {process.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "the Ray job API did not come up"
            time.sleep(1)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in _pids_using(temp_dir):  # Ray's daemons detach from the head process: stop ours by id
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)


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
