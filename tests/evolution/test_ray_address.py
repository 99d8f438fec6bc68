"""``RAY_ADDRESS`` makes the Ray backend join that cluster instead of starting its own (a real head node started
by the test with ``ray start --head --block``, stopped by its process id)."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

from tests.prerequisites import require_module

ray = require_module("ray", extra="ray")

from tests.integration.servers import free_port, ray_head  # noqa: E402
from workloads.data.synthetic import generate  # noqa: E402
from workloads.evolution.backends import LocalBackend  # noqa: E402
from workloads.evolution.config import EvolutionConfig  # noqa: E402
from workloads.evolution.ray_backend import RayBackend  # noqa: E402
from workloads.evolution.run import plan_run  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture()
def head_node():
    """The head's address; afterwards this process leaves the cluster before the head stops (a driver whose cluster
    goes away exits the whole process), whether or not the test got as far as its own clean-up."""
    port = free_port()
    with ray_head(port, ["--num-cpus=2", "--include-dashboard=false"], lambda: port_open(port), timeout=120):
        time.sleep(2)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            ray.shutdown()


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
