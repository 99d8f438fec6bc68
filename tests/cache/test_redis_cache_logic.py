"""The Redis cache's own logic without a server: framing, degrading to all-miss, backoff, logging once; keys."""

from __future__ import annotations

import logging

import numpy as np

from tests.integration.servers import free_port
from workloads.cache.base import InProcessCache
from workloads.cache.keys import fitness_keys
from workloads.cache.redis import RedisCache, frame, make_cache, unframe
from workloads.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def unreachable(clock: Clock | None = None) -> RedisCache:
    return RedisCache(f"redis://:pw@127.0.0.1:{free_port()}/0", socket_timeout=0.2, clock=clock or Clock())


def test_frames_round_trip_and_damaged_or_foreign_values_are_rejected():
    assert unframe(frame(b"fitness")) == b"fitness"
    damaged = bytearray(frame(b"fitness"))
    damaged[-1] ^= 1
    assert unframe(bytes(damaged)) is None
    assert unframe(b"1.2345") is None


def test_unreachable_redis_reads_as_all_miss_and_counts_an_error():
    cache = unreachable()
    assert cache.get_many(["a", "b"]) == [None, None]
    assert cache.stats.as_dict() == {"hits": 0, "misses": 2, "errors": 1}


def test_unreachable_redis_swallows_writes_and_leaderboard_calls():
    cache = unreachable()
    cache.set_many({"a": b"1"})
    cache.leaderboard_add("run", {"x": 1.0})
    assert cache.leaderboard_top("run") == []
    assert cache.stats.errors == 1


def test_during_backoff_redis_is_not_called_and_after_it_is_tried_again():
    clock = Clock()
    cache = unreachable(clock)
    cache.get_many(["a"])
    assert not cache.available
    calls = []
    cache._client.mget = lambda keys: calls.append(keys) or [None] * len(keys)  # type: ignore[method-assign]
    assert cache.get_many(["a"]) == [None]
    assert calls == []
    clock.now += 0.6
    assert cache.available
    cache.get_many(["a"])
    assert len(calls) == 1 and cache.available


def test_backoff_doubles_up_to_its_cap():
    clock = Clock()
    cache = RedisCache(
        f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.2, backoff_initial=1.0, backoff_max=3.0, clock=clock
    )
    waits = []
    for _ in range(4):
        cache.get_many(["k"])
        waits.append(cache._retry_at - clock.now)
        clock.now = cache._retry_at
    assert waits == [1.0, 2.0, 3.0, 3.0]


def test_an_outage_is_logged_once_without_the_password(caplog):
    clock = Clock()
    cache = unreachable(clock)
    with caplog.at_level(logging.WARNING, logger="workloads.cache.redis"):
        for _ in range(3):
            cache.get_many(["a"])
            clock.now += 100
    outage = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage) == 1 and ":pw@" not in outage[0].getMessage()


def test_make_cache_picks_redis_only_when_configured(tmp_path):
    assert isinstance(make_cache(Settings(database_url=f"duckdb://{tmp_path}/x.duckdb")), InProcessCache)
    assert isinstance(
        make_cache(Settings(database_url=f"duckdb://{tmp_path}/x.duckdb", redis_url="redis://h:6379/0")), RedisCache
    )


def test_fitness_keys_change_with_data_seed_config_and_genome():
    params = np.array([[5.0, 30.0], [5.0, 31.0]])
    base = fitness_keys("fp", "ema_crossover", {"fee": 0.001}, params)
    assert len(set(base)) == 2
    assert fitness_keys("fp", "ema_crossover", {"fee": 0.001}, params) == base
    for other in (
        fitness_keys("fp2", "ema_crossover", {"fee": 0.001}, params),
        fitness_keys("fp", "sma_trend_filter", {"fee": 0.001}, params),
        fitness_keys("fp", "ema_crossover", {"fee": 0.002}, params),
    ):
        assert not set(other) & set(base)
