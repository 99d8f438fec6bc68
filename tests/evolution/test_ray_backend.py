"""The Ray backend on a real local Ray: the same hall of fame as the local backend at any worker count, and an
actor killed mid-generation replaced with its chunk re-run."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from tests.prerequisites import require_module

ray = require_module("ray", extra="ray")

from workloads.data.synthetic import generate  # noqa: E402
from workloads.evolution.backends import LocalBackend  # noqa: E402
from workloads.evolution.config import EvolutionConfig  # noqa: E402
from workloads.evolution.ray_backend import RayBackend  # noqa: E402
from workloads.evolution.run import plan_run, run_evolution  # noqa: E402

pytestmark = pytest.mark.integration
STRATEGIES = ["ema_crossover", "sma_trend_filter"]


@pytest.fixture(scope="module")
def local_ray():
    """A private local Ray for this module: ``address="local"`` ignores ``RAY_ADDRESS`` and any cluster that ``ray
    start`` left on this machine."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def bars():
    return generate(3000, 4, funding=True)


def test_ray_and_local_give_the_same_hall_of_fame_at_any_worker_count(tmp_path, local_ray, bars):
    cfg = EvolutionConfig(population=24, generations=3, random_seed=17)
    results = [
        run_evolution(
            bars, cfg, runs_dir=tmp_path / name, run_id="r", strategies=STRATEGIES, backend=backend, workers=workers
        )
        for name, backend, workers in (("local", "local", None), ("ray1", "ray", 1), ("ray2", "ray", 2))
    ]
    assert results[0].hall_of_fame == results[1].hall_of_fame == results[2].hall_of_fame
    assert results[2].backend is not None
    assert (results[2].backend.name, results[2].backend.workers) == ("ray", 2)


def _population(plan, n, seed=0):
    s = plan.seeds["ema_crossover"]
    params, _ = s.repair(s.genes.decode(np.random.default_rng(seed).uniform(size=(n, len(s.genes)))))
    return params


def test_actor_killed_before_its_chunk_is_replaced_and_the_chunk_rerun(local_ray, bars):
    plan = plan_run(bars, EvolutionConfig(), STRATEGIES)
    params = _population(plan, 40)
    expected = LocalBackend(plan.workload, plan.seeds).evaluate("ema_crossover", params)
    backend = RayBackend(plan.workload, STRATEGIES, workers=2)
    try:
        os.kill(backend.pids[0], signal.SIGKILL)
        got = backend.evaluate("ema_crossover", params)
        assert backend.replaced == 1
        np.testing.assert_array_equal(got, expected)
    finally:
        backend.close()


def test_actor_killed_mid_generation_is_replaced_and_nothing_is_lost(local_ray):
    big = generate(60_000, 5)
    plan = plan_run(big, EvolutionConfig(holdout=0.0), ["ema_crossover"])
    params = _population(plan, 8000, seed=1)  # about 2 s per chunk: the kill lands while both actors work
    expected = LocalBackend(plan.workload, plan.seeds).evaluate("ema_crossover", params)
    backend = RayBackend(plan.workload, ["ema_crossover"], workers=2)
    try:
        victim = backend.pids[1]
        killer = threading.Timer(0.5, os.kill, (victim, signal.SIGKILL))
        killer.start()
        started = time.perf_counter()
        got = backend.evaluate("ema_crossover", params)
        killer.join()
        assert time.perf_counter() - started > 0.5, "the generation ended before the kill; make it bigger"
        assert backend.replaced == 1
        np.testing.assert_array_equal(got, expected)
    finally:
        backend.close()


def test_a_replacement_lost_while_it_starts_is_replaced_again(local_ray, bars):
    """As when a lost node's actors are reported dead before the node: the first replacement lands there and dies
    before it has warmed; it counts as another attempt and the chunk still completes, unchanged."""
    plan = plan_run(bars, EvolutionConfig(), STRATEGIES)
    params = _population(plan, 40)
    expected = LocalBackend(plan.workload, plan.seeds).evaluate("ema_crossover", params)
    backend = RayBackend(plan.workload, STRATEGIES, workers=2)
    fresh_actor = backend._new_actor
    doomed: list[object] = []

    def first_replacement_dies():
        actor = fresh_actor()
        if not doomed:
            doomed.append(actor)
            ray.kill(actor, no_restart=True)
        return actor

    backend._new_actor = first_replacement_dies
    try:
        os.kill(backend.pids[0], signal.SIGKILL)
        got = backend.evaluate("ema_crossover", params)
        assert len(doomed) == 1
        assert backend.replaced == 2
        np.testing.assert_array_equal(got, expected)
    finally:
        backend.close()


def test_a_chunk_lost_more_often_than_max_retries_is_an_error(local_ray, bars):
    plan = plan_run(bars, EvolutionConfig(), STRATEGIES)
    backend = RayBackend(plan.workload, STRATEGIES, workers=1, max_retries=2)
    fresh_actor = backend._new_actor

    def always_dies():
        actor = fresh_actor()
        ray.kill(actor, no_restart=True)
        return actor

    backend._new_actor = always_dies
    try:
        os.kill(backend.pids[0], signal.SIGKILL)
        with pytest.raises(RuntimeError, match="ray actor 0 failed 3 times on ema_crossover"):
            backend.evaluate("ema_crossover", _population(plan, 10))
        assert backend.replaced == 2
    finally:
        backend.close()
