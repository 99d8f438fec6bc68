"""``genepool serve`` as a real process (uvicorn) on a free port: probes answer, ``/v1`` needs the token, and with
several workers ``/metrics`` counts every worker's requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


def liveness_requests_counted(metrics_text: str) -> float:
    """``genepool_http_requests_total`` of the liveness route in one ``/metrics`` answer."""
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == "genepool_http_requests_total" and sample.labels["route"] == "/health/liveness"
    )


def liveness_requests_per_worker(directory: Path) -> dict[int, float]:
    """Per worker process id, its own count of liveness requests, read from its file in the metrics directory."""
    from prometheus_client.mmap_dict import MmapedDict

    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, name, labels, _ = json.loads(key)
            if name == "genepool_http_requests_total" and labels["route"] == "/health/liveness":
                pid = int(path.stem.split("_")[1])
                counts[pid] = counts.get(pid, 0.0) + value
    return counts


def worker_metrics_directory(parent: int) -> Path:
    """The ``PROMETHEUS_MULTIPROC_DIR`` the workers of ``genepool serve`` (process ``parent``) count into."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != parent:
                continue
            environ = dict(item.split("=", 1) for item in (entry / "environ").read_text().split("\0") if "=" in item)
        except (OSError, IndexError, ValueError):
            continue
        if "PROMETHEUS_MULTIPROC_DIR" in environ:
            return Path(environ["PROMETHEUS_MULTIPROC_DIR"])
    raise AssertionError("no worker of genepool serve has PROMETHEUS_MULTIPROC_DIR")


def test_metrics_of_two_workers_count_every_workers_requests(tmp_path, postgres):
    port = free_port()
    env = {**os.environ, "GENEPOOL_HOME": str(tmp_path), "GENEPOOL_API_TOKEN": "proc-token"}
    env["GENEPOOL_DATABASE_URL"] = postgres.url
    env.pop("GENEPOOL_REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = "from workloads.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    requests = 200
    try:
        first_answer(process, f"{base}/health/liveness")
        with ThreadPoolExecutor(8) as threads:  # a new connection each: both workers accept some
            codes = list(threads.map(lambda _: httpx.get(f"{base}/health/liveness").status_code, range(requests - 1)))
        assert codes == [200] * (requests - 1)
        directory = worker_metrics_directory(process.pid)
        per_worker = liveness_requests_per_worker(directory)
        scraped = [liveness_requests_counted(httpx.get(f"{base}/metrics").text) for _ in range(10)]
    finally:
        process.terminate()
        process.wait(timeout=20)
    print(f"\nliveness requests per worker: {per_worker}; every scrape: {set(scraped)}")
    assert len(per_worker) == 2 and all(count > 0 for count in per_worker.values())
    assert sum(per_worker.values()) == requests
    assert scraped == [requests] * 10
    assert not directory.exists()
