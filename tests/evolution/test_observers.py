"""The loop over an explicit state and its observers: a step touches only the state it is given, observers hear of
the start, each checkpointed generation and the end, in order, and a run without observers is the same run."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from typing import Any

from workloads.cli.evolve import CONFIG_OPTIONS, evolve
from workloads.evolution.backends import LocalBackend
from workloads.evolution.checkpoints import LocalDirectoryCheckpoints, state_to_bytes
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.plan import Plan
from workloads.evolution.pool import Pool
from workloads.evolution.records import GenerationStats, RunSummary
from workloads.evolution.run import plan_run, run_evolution
from workloads.evolution.state import PoolState

CONFIG = EvolutionConfig(population=8, generations=3, random_seed=4)


@dataclass
class Recording:
    """An observer noting what it is told, and the latest checkpoint each time a generation is reported."""

    checkpoints: LocalDirectoryCheckpoints
    calls: list[tuple[str, object]] = field(default_factory=list)

    def on_start(self, state: PoolState, plan: Plan) -> None:
        self.calls.append(("start", state.generation))

    def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
        latest = self.checkpoints.load_latest(state.run_id)
        self.calls.append(("generation", (stats.generation, state.generation, latest and latest[0])))

    def on_run_end(self, summary: RunSummary) -> None:
        self.calls.append(("end", summary.run_id))


def test_observers_hear_the_start_each_checkpointed_generation_and_the_end_in_order(walk, fake_seeds, tmp_path):
    recording = Recording(LocalDirectoryCheckpoints(tmp_path))
    run_evolution(walk, CONFIG, runs_dir=tmp_path, run_id="r", registry=fake_seeds, observers=[recording])
    generations = [("generation", (g, g, g)) for g in range(CONFIG.generations)]
    assert recording.calls == [("start", -1), *generations, ("end", "r")]


def test_a_run_with_observers_is_the_run_without_them(walk, fake_seeds, tmp_path):
    recording = Recording(LocalDirectoryCheckpoints(tmp_path / "a"))
    watched = run_evolution(
        walk, CONFIG, runs_dir=tmp_path / "a", run_id="r", registry=fake_seeds, observers=[recording]
    )
    alone = run_evolution(walk, CONFIG, runs_dir=tmp_path / "b", run_id="r", registry=fake_seeds)
    assert watched.hall_of_fame == alone.hall_of_fame and watched.trials == alone.trials


def test_a_step_reads_and_updates_only_the_state_it_is_given(walk, fake_seeds):
    plan = plan_run(walk, CONFIG, registry=fake_seeds)
    pool = Pool(plan.seeds, CONFIG, LocalBackend(plan.workload, plan.seeds))
    fingerprints = (walk.fingerprint(), plan.workload.train.fingerprint())
    first, second = pool.new_state("a", *fingerprints), pool.new_state("a", *fingerprints)
    for generation in range(CONFIG.generations):  # interleaved: each state must see only its own history
        pool.step(first, generation)
        pool.step(second, generation)
    alone = pool.new_state("a", *fingerprints)
    Pool(plan.seeds, CONFIG, LocalBackend(plan.workload, plan.seeds)).run(alone)
    assert _without_timings(first) == _without_timings(second)
    assert first.hall_of_fame.entries == alone.hall_of_fame.entries and first.budgets == alone.budgets


def _without_timings(state: PoolState) -> dict[str, Any]:
    """The checkpoint payload without the wall-clock seconds of its history."""
    payload = json.loads(state_to_bytes(state))
    for stats in payload["history"]:
        del stats["seconds"], stats["evaluation_seconds"]
    return payload


def test_every_config_option_of_evolve_is_a_parameter_and_a_config_key():
    parameters = inspect.signature(evolve).parameters
    keys = set(EvolutionConfig().as_dict())
    assert [name for name in CONFIG_OPTIONS if name not in parameters or name not in keys] == []
