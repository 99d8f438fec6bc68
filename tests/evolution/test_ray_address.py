"""``RAY_ADDRESS`` makes the Ray backend join that cluster instead of starting its own (a real head node started
by the test with ``ray start --head --block``, stopped by its process id)."""

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
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray") if os.environ.get("CI") != "true" else __import__("ray")

from workloads.data.synthetic import generate  # noqa: E402
from workloads.evolution.backends import LocalBackend  # noqa: E402
from workloads.evolution.config import EvolutionConfig  # noqa: E402
from workloads.evolution.ray_backend import RayBackend  # noqa: E402
from workloads.evolution.run import plan_run  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_using(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (this test's own Ray temp dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture()
def head_node(monkeypatch):
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="gpray", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    ray_cli = Path(sys.executable).with_name("ray")
    process = subprocess.Popen(
        [
            str(ray_cli),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, RAY_AUTH_MODE="disabled"),
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, f"ray start --head exited: {process.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(0.5)
        time.sleep(2)
        yield f"127.0.0.1:{port}"
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


def test_ray_address_joins_the_named_cluster(head_node, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", head_node)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # the test's head runs without Ray's token auth
    bars = generate(1500, 2)
    plan = plan_run(bars, EvolutionConfig(), ["ema_crossover"])
    seed = plan.seeds["ema_crossover"]
    params, _ = seed.repair(seed.genes.decode(np.random.default_rng(0).uniform(size=(20, 2))))
    backend = RayBackend(plan.workload, ["ema_crossover"], workers=2)
    try:
        assert ray.get_runtime_context().gcs_address.endswith(head_node.split(":")[1])
        np.testing.assert_array_equal(
            backend.evaluate("ema_crossover", params),
            LocalBackend(plan.workload, plan.seeds).evaluate("ema_crossover", params),
        )
    finally:
        backend.close()
        ray.shutdown()
