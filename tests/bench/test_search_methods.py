"""The search bench's methods: traces of distinct evaluations, budgets, and the interleaved equal-time race."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from workloads.bench.search_methods import METHODS, Racer, TracingPool, make_search, race, run_to_budget
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.run import make_backend, plan_run


@pytest.fixture(scope="module")
def plan(walk, fake_seeds):
    return plan_run(walk, EvolutionConfig(population=8), registry=fake_seeds)


def _pool(plan, method, config=None):
    config = config or EvolutionConfig(population=8, random_seed=5)
    pool = TracingPool({"fake_momentum": plan.seeds["fake_momentum"]}, config, make_backend("local", plan))
    pool.state = pool.new_state(method, "d", "t")
    return pool


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reaches_its_budget_of_distinct_genomes(plan, method):
    pool = _pool(plan, method)
    run_to_budget(make_search(method, pool, "fake_momentum", 8), pool, 24, max_steps=50)
    assert len(pool.trace()) == pool.state.n_trials >= 24


def test_a_trace_counts_a_repeated_genome_once(plan):
    pool = _pool(plan, "random")
    rows = np.array([[10.0, 0.001], [12.0, 0.002], [10.0, 0.001]])
    pool.evaluate_params(pool.state, "fake_momentum", rows)
    pool.evaluate_params(pool.state, "fake_momentum", rows[:1])
    assert len(pool.trace()) == 2


def test_the_independent_and_multivariate_tpe_differ(plan):
    traces = {}
    for method in ("tpe", "tpe-mv"):
        pool = _pool(plan, method)
        run_to_budget(make_search(method, pool, "fake_momentum", 8), pool, 48, max_steps=50)
        traces[method] = pool.trace()[:48]
    assert traces["tpe"][:8] == traces["tpe-mv"][:8] and traces["tpe"] != traces["tpe-mv"]


@dataclass
class TimedStep:
    """A fake stepper whose every step advances a shared fake clock by ``cost`` seconds."""

    clock: list[float]
    cost: float
    steps: int = 0

    def step(self) -> None:
        self.clock[0] += self.cost
        self.steps += 1


def test_the_race_gives_each_side_the_same_time_whatever_its_step_cost():
    clock = [0.0]
    fast, slow = TimedStep(clock, 0.01), TimedStep(clock, 0.05)
    racers = [Racer(fast, None), Racer(slow, None)]  # type: ignore[arg-type]
    race(racers, 1.0, max_steps=1_000, clock=lambda: clock[0])
    assert fast.steps == 100 and slow.steps == 20
    assert all(1.0 <= r.seconds < 1.06 for r in racers)


def test_the_race_interleaves_the_sides():
    clock, order = [0.0], []

    @dataclass
    class Logged(TimedStep):
        label: str = ""

        def step(self) -> None:
            order.append(self.label)
            super().step()

    a, b = Logged(clock, 0.25, label="a"), Logged(clock, 0.25, label="b")
    race([Racer(a, None), Racer(b, None)], 0.75, max_steps=10, clock=lambda: clock[0])  # type: ignore[arg-type]
    assert order == ["a", "b", "a", "b", "a", "b"]
