"""``genepool serve`` as a real process (uvicorn) on a free port: probes answer, ``/v1`` needs the token."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.integration.servers import PG_PASSWORD, free_port

pytestmark = pytest.mark.integration


def first_answer(process: subprocess.Popen, url: str, **kwargs) -> httpx.Response:
    """The first answer of ``url`` once the server process listens (it must not exit meanwhile; 60 s bound)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, timeout=5, **kwargs)
        except httpx.TransportError:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "genepool serve did not start"
            time.sleep(0.2)


def test_serve_answers_probes_and_guards_v1(tmp_path):
    port = free_port()
    env = {**os.environ, "GENEPOOL_HOME": str(tmp_path), "GENEPOOL_API_TOKEN": "proc-token"}
    env.pop("GENEPOOL_DATABASE_URL", None)
    env.pop("GENEPOOL_REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from workloads.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        live = first_answer(process, f"{base}/health/liveness")
        assert live.json() == {"status": "alive"}
        assert httpx.get(f"{base}/health/readiness").json()["status"] == "healthy"
        assert httpx.get(f"{base}/v1/strategies").status_code == 401
        ok = httpx.get(f"{base}/v1/strategies", headers={"Authorization": "Bearer proc-token"})
        assert ok.status_code == 200 and ok.json() == {"strategies": [], "count": 0}
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "proc-token" not in process.stdout.read().decode()


def test_serve_with_two_workers_runs_two_server_processes_on_one_port(tmp_path, postgres):
    port = free_port()
    env = {**os.environ, "GENEPOOL_HOME": str(tmp_path), "GENEPOOL_API_TOKEN": "proc-token"}
    env["GENEPOOL_DATABASE_URL"] = postgres.url
    env.pop("GENEPOOL_REDIS_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from workloads.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ok = first_answer(process, f"{base}/v1/strategies", headers={"Authorization": "Bearer proc-token"})
        assert ok.status_code == 200 and ok.json() == {"strategies": [], "count": 0}
    finally:
        process.terminate()
        process.wait(timeout=20)
    log = process.stdout.read().decode()
    assert log.count("Started server process") == 2
    assert "proc-token" not in log and PG_PASSWORD not in log
