"""An evolution recorded in real state: the same hall of fame on DuckDB and PostgreSQL, Redis cache hits on a re-run,
a run that survives Redis being killed and PostgreSQL restarting, and resume from a database checkpoint."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from workloads.cache.base import FitnessCache, InProcessCache
from workloads.cache.redis import RedisCache
from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.plan import Plan
from workloads.evolution.recorder import RunRecorder
from workloads.evolution.records import GenerationStats, RunSummary
from workloads.evolution.run import run_evolution
from workloads.evolution.state import PoolState
from workloads.seeds.registry import get_seed
from workloads.storage import Storage, open_storage
from workloads.storage.postgres import PostgresStorage
from workloads.storage.records import StoredStrategy

pytestmark = pytest.mark.integration

BARS = generate(700, 5)
CONFIG = EvolutionConfig(population=8, generations=3, random_seed=3)
SEEDS = ("ema_crossover", "sma_trend_filter")


class Crash(Exception):
    """Stands in for a process killed between generations."""


def evolve(
    storage: Storage,
    runs_dir: Path,
    run_id: str,
    cache: FitnessCache | None = None,
    after_generation: Callable[[int], None] = lambda g: None,
    resume: bool = False,
) -> RunSummary:
    recorder = RunRecorder(storage, symbol="BTC", leaderboard=cache if isinstance(cache, RedisCache) else None)

    class Crasher:
        """Calls ``after_generation`` once each generation is recorded (it may raise :class:`Crash`)."""

        def on_start(self, state: PoolState, plan: Plan) -> None: ...

        def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
            after_generation(stats.generation)

        def on_run_end(self, summary: RunSummary) -> None: ...

    summary = run_evolution(
        BARS,
        CONFIG,
        runs_dir=runs_dir,
        run_id=run_id,
        resume=resume,
        cache=cache or InProcessCache(),
        checkpoints=recorder.checkpoints,
        observers=[recorder, Crasher()],
        registry={name: get_seed(name) for name in SEEDS},
    )
    return summary


def stored_hall_of_fame(storage: Storage, run_id: str) -> list[StoredStrategy]:
    """What a reader sees of a run's hall of fame, without ids and times."""
    return [
        dataclasses.replace(s, id="", run_id="", created_at=None)
        for s in storage.list_strategies(limit=100)
        if s.run_id == run_id
    ]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> list[StoredStrategy]:
    """The hall of fame of an undisturbed run on DuckDB with the in-process cache."""
    directory = tmp_path_factory.mktemp("baseline")
    with open_storage(f"duckdb://{directory}/base.duckdb") as storage:
        evolve(storage, directory, "base")
        hall = stored_hall_of_fame(storage, "base")
    assert hall
    return hall


def test_the_same_evolution_on_postgresql_stores_the_same_hall_of_fame(postgres, tmp_path, baseline):
    with open_storage(postgres.url) as storage:
        evolve(storage, tmp_path, "base")
        assert stored_hall_of_fame(storage, "base") == baseline
        assert [g.generation for g in storage.generations("base")] == [0, 1, 2]
        assert storage.get_run("base").status == "finished"


def test_a_rerun_hits_the_redis_cache_and_gives_the_same_hall_of_fame(redis_server, tmp_path, baseline):
    with open_storage(f"duckdb://{tmp_path}/s.duckdb") as storage:
        first = RedisCache(redis_server.url)
        evolve(storage, tmp_path, "first", first)
        second = RedisCache(redis_server.url)
        evolve(storage, tmp_path, "second", second)
        lookups = first.stats.hits + first.stats.misses
        assert first.stats.misses > 0
        assert second.stats.misses == 0 and second.stats.hits == lookups  # hit ratio 1.0
        assert stored_hall_of_fame(storage, "first") == stored_hall_of_fame(storage, "second") == baseline
        top = second.leaderboard_top("BTC", 2)
        assert {member for member, _ in top} == {"first.1", "second.1"}
        assert top[0][1] == baseline[0].fitness


def test_redis_killed_mid_run_the_run_completes_with_the_same_hall_of_fame(redis_server, tmp_path, baseline):
    cache = RedisCache(redis_server.url)

    def kill_after_first(generation: int) -> None:
        if generation == 0:
            redis_server.kill()

    with open_storage(f"duckdb://{tmp_path}/s.duckdb") as storage:
        evolve(storage, tmp_path, "base", cache, kill_after_first)
        assert cache.stats.errors > 0
        assert stored_hall_of_fame(storage, "base") == baseline


def test_postgresql_restarted_mid_run_writes_retry_and_the_run_completes(postgres, tmp_path, baseline):
    restarts: list[threading.Timer] = []

    def restart_after_first(generation: int) -> None:
        if generation == 0:
            postgres.stop("immediate")
            restarts.append(threading.Timer(2.5, postgres.start))
            restarts[0].start()

    storage = PostgresStorage(postgres.url, connect_timeout=1.0)
    try:
        storage.migrate()
        evolve(storage, tmp_path, "base", after_generation=restart_after_first)
        restarts[0].join()
        assert stored_hall_of_fame(storage, "base") == baseline
        assert [g.generation for g in storage.generations("base")] == [0, 1, 2]
    finally:
        storage.close()


def test_a_run_killed_between_generations_resumes_from_its_database_checkpoint(postgres, tmp_path, baseline):
    def crash_after_second(generation: int) -> None:
        if generation == 1:
            raise Crash()

    with open_storage(postgres.url) as storage:
        with pytest.raises(Crash):
            evolve(storage, tmp_path, "base", after_generation=crash_after_second)
        assert storage.load_checkpoint("base")[0] == 1
        evolve(storage, tmp_path, "base", resume=True)
        assert stored_hall_of_fame(storage, "base") == baseline
