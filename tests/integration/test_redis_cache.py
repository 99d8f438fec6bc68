"""The Redis fitness cache against a real ``redis-server``: batching, TTL, outages and recovery, the leaderboard."""

from __future__ import annotations

import time

import pytest
import redis

from workloads.cache.redis import KEY_PREFIX, RedisCache
from workloads.metrics import CACHE_ERRORS

pytestmark = pytest.mark.integration


def test_values_round_trip_with_hits_and_misses_counted(redis_server):
    cache = RedisCache(redis_server.url)
    cache.set_many({"a": b"\x00fitness-a", "b": b"fitness-b"})
    assert cache.get_many(["a", "missing", "b"]) == [b"\x00fitness-a", None, b"fitness-b"]
    assert cache.stats.as_dict() == {"hits": 2, "misses": 1, "errors": 0}


def test_batches_larger_than_one_mget_are_read_in_order(redis_server):
    cache = RedisCache(redis_server.url, batch_size=7)
    items = {f"k{i}": str(i).encode() for i in range(50)}
    cache.set_many(items)
    assert cache.get_many(list(items)) == list(items.values())


def test_entries_expire_after_the_ttl(redis_server):
    cache = RedisCache(redis_server.url, ttl_seconds=120)
    cache.set_many({"a": b"1"})
    ttl = redis.Redis.from_url(redis_server.url).ttl(KEY_PREFIX + "a")
    assert 0 < ttl <= 120


def test_a_foreign_value_under_a_key_reads_as_a_miss_never_as_a_fitness(redis_server):
    redis.Redis.from_url(redis_server.url).set(KEY_PREFIX + "a", b"0.75")
    cache = RedisCache(redis_server.url)
    assert cache.get_many(["a"]) == [None]
    assert cache.stats.errors == 1


def test_redis_killed_mid_use_gives_all_miss_then_recovers_after_restart(redis_server):
    cache = RedisCache(redis_server.url, backoff_initial=0.2, backoff_max=0.4)
    cache.set_many({"a": b"1"})
    errors_before = CACHE_ERRORS._value.get()
    redis_server.kill()
    assert cache.get_many(["a", "b"]) == [None, None]
    cache.set_many({"c": b"3"})
    assert cache.stats.errors >= 2 and CACHE_ERRORS._value.get() >= errors_before + 2
    redis_server.start()
    deadline = time.monotonic() + 10
    while cache.get_many(["c"]) != [None] or not cache.available:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    cache.set_many({"c": b"3"})
    assert cache.get_many(["c"]) == [b"3"]


def test_leaderboard_keeps_each_members_best_score_highest_first(redis_server):
    cache = RedisCache(redis_server.url)
    cache.leaderboard_add("BTC", {"run.1": 1.5, "run.2": 0.5})
    cache.leaderboard_add("BTC", {"run.1": 0.1, "run.3": 2.0})
    assert cache.leaderboard_top("BTC", 2) == [("run.3", 2.0), ("run.1", 1.5)]
