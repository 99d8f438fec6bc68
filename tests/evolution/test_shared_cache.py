"""Two runs sharing a real Redis fitness cache: the second is served from the cache and ends with the same hall of
fame; with Redis down the run goes on uncached to the same answer."""

from __future__ import annotations

import pytest

from tests.integration.servers import RedisServer
from workloads.cache.redis import RedisCache
from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.run import run_evolution

pytestmark = pytest.mark.integration


@pytest.fixture()
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


def test_second_run_is_served_by_the_shared_cache_with_the_same_hall_of_fame(tmp_path, redis_server):
    bars = generate(1500, 9, funding=True)
    cfg = EvolutionConfig(population=12, generations=3, random_seed=5)
    first_cache, second_cache = RedisCache(redis_server.url), RedisCache(redis_server.url)
    first = run_evolution(bars, cfg, runs_dir=tmp_path, run_id="first", strategies=["ema_crossover"], cache=first_cache)
    second = run_evolution(
        bars, cfg, runs_dir=tmp_path, run_id="second", strategies=["ema_crossover"], cache=second_cache
    )
    assert second.hall_of_fame == first.hall_of_fame
    assert second_cache.stats.hits == sum(g.evaluations for g in first.generations)
    assert second_cache.stats.misses == 0
    assert second.backend is not None and second.backend.evaluation_seconds == 0.0


def test_run_with_redis_down_continues_uncached_to_the_same_answer(tmp_path, redis_server):
    bars = generate(1500, 9, funding=True)
    cfg = EvolutionConfig(population=12, generations=2, random_seed=5)
    cache = RedisCache(redis_server.url)
    redis_server.kill()
    down = run_evolution(bars, cfg, runs_dir=tmp_path, run_id="down", strategies=["ema_crossover"], cache=cache)
    plain = run_evolution(bars, cfg, runs_dir=tmp_path, run_id="plain", strategies=["ema_crossover"])
    assert down.hall_of_fame == plain.hall_of_fame
    assert cache.stats.errors > 0
