"""``genepool serve`` as a real process (uvicorn) on a free port: probes answer, ``/v1`` needs the token, and with
several workers ``/metrics`` counts every worker's requests."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.integration.servers import PG_PASSWORD, free_port

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("error::ResourceWarning")]


class Served:
    """A ``genepool serve`` process; ``log`` is its output (stdout and stderr) once it has stopped."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.pid = process.pid
        self.log = ""

    def poll(self) -> int | None:
        return self.process.poll()

    def output(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.read().decode()


@contextlib.contextmanager
def serve(env: dict[str, str], *args: str) -> Iterator[Served]:
    """``genepool serve *args`` with ``env``, stopped (SIGTERM, 20 s) at the end of the block whatever happens in it,
    its output pipe read into ``log`` and closed."""
    command = [sys.executable, "-c", "from workloads.cli import main; main()", "serve", *args]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        served = Served(process)
        try:
            yield served
        finally:
            process.terminate()
            process.wait(timeout=20)
            served.log = served.output()


def first_answer(process: Served, url: str, **kwargs) -> httpx.Response:
    """The first answer of ``url`` once the server process listens (it must not exit meanwhile; 60 s bound)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, timeout=5, **kwargs)
        except httpx.TransportError:
            assert process.poll() is None, process.output()
            assert time.monotonic() < deadline, "genepool serve did not start"
            time.sleep(0.2)


def test_serve_answers_probes_and_guards_v1(tmp_path):
    port = free_port()
    env = {**os.environ, "GENEPOOL_HOME": str(tmp_path), "GENEPOOL_API_TOKEN": "proc-token"}
    env.pop("GENEPOOL_DATABASE_URL", None)
    env.pop("GENEPOOL_REDIS_URL", None)
    base = f"http://127.0.0.1:{port}"
    with serve(env, "--port", str(port)) as process:
        live = first_answer(process, f"{base}/health/liveness")
        assert live.json() == {"status": "alive"}
        assert httpx.get(f"{base}/health/readiness").json()["status"] == "healthy"
        assert httpx.get(f"{base}/v1/strategies").status_code == 401
        ok = httpx.get(f"{base}/v1/strategies", headers={"Authorization": "Bearer proc-token"})
        assert ok.status_code == 200 and ok.json() == {"strategies": [], "count": 0}
    assert "proc-token" not in process.log


def test_serve_with_two_workers_runs_two_server_processes_on_one_port(tmp_path, postgres):
    port = free_port()
    env = {**os.environ, "GENEPOOL_HOME": str(tmp_path), "GENEPOOL_API_TOKEN": "proc-token"}
    env["GENEPOOL_DATABASE_URL"] = postgres.url
    env.pop("GENEPOOL_REDIS_URL", None)
    base = f"http://127.0.0.1:{port}"
    with serve(env, "--port", str(port), "--workers", "2") as process:
        ok = first_answer(process, f"{base}/v1/strategies", headers={"Authorization": "Bearer proc-token"})
        assert ok.status_code == 200 and ok.json() == {"strategies": [], "count": 0}
    assert process.log.count("Started server process") == 2
    assert "proc-token" not in process.log and PG_PASSWORD not in process.log


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
    base = f"http://127.0.0.1:{port}"
    requests = 200
    with serve(env, "--port", str(port), "--workers", "2") as process:
        first_answer(process, f"{base}/health/liveness")
        with ThreadPoolExecutor(8) as threads:  # a new connection each: both workers accept some
            codes = list(threads.map(lambda _: httpx.get(f"{base}/health/liveness").status_code, range(requests - 1)))
        assert codes == [200] * (requests - 1)
        directory = worker_metrics_directory(process.pid)
        per_worker = liveness_requests_per_worker(directory)
        scraped = [liveness_requests_counted(httpx.get(f"{base}/metrics").text) for _ in range(10)]
    print(f"\nliveness requests per worker: {per_worker}; every scrape: {set(scraped)}")
    assert len(per_worker) == 2 and all(count > 0 for count in per_worker.values())
    assert sum(per_worker.values()) == requests
    assert scraped == [requests] * 10
    assert not directory.exists()
