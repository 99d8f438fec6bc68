"""The Redis fitness cache (``redis_url``), shared by every worker and run, plus the leaderboard.

- ``get_many`` is one ``MGET`` per batch of :attr:`RedisCache.batch_size` keys; ``set_many`` one pipelined batch of
  ``SET key value EX ttl`` (no transaction). Keys live under ``genepool:fitness:``; entries expire after
  ``ttl_seconds`` (7 days by default) so stale configurations age out.
- Values are framed (``b"gp1"`` + CRC-32 + payload): a value that is not ours or is damaged reads as a miss (and
  counts as an error), so the cache can never hand back a wrong fitness.
- Redis unavailable: the operation returns all-miss (``get_many``) or does nothing (``set_many``), counts an error
  (``genepool_cache_errors_total`` and ``stats.errors``), logs once per outage, and the cache stops calling Redis
  for a backoff period (0.5 s doubling to 30 s) before trying again; the first success logs the recovery.
  Nothing here ever raises to the caller.
- The leaderboard is a sorted set ``genepool:leaderboard:<board>`` (member → score, highest first).
"""

from __future__ import annotations

import logging
import struct
import threading
import time
import zlib
from collections.abc import Callable
from typing import cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from workloads.cache.base import CacheStats, FitnessCache, InProcessCache
from workloads.metrics import CACHE_ERRORS, CACHE_HITS, CACHE_MISSES
from workloads.settings import Settings, redact_url
from workloads.settings.redaction import register_dsn

log = logging.getLogger(__name__)

KEY_PREFIX = "genepool:fitness:"
LEADERBOARD_PREFIX = "genepool:leaderboard:"
DEFAULT_TTL_SECONDS = 7 * 86_400
MAGIC = b"gp1"
_HEADER = struct.Struct(">3sI")


def frame(payload: bytes) -> bytes:
    """``payload`` with the magic and its CRC-32 in front."""
    return _HEADER.pack(MAGIC, zlib.crc32(payload)) + payload


def unframe(value: bytes) -> bytes | None:
    """The payload of a framed value, or ``None`` when the value is not a valid frame."""
    if len(value) < _HEADER.size:
        return None
    magic, crc = _HEADER.unpack_from(value)
    payload = value[_HEADER.size :]
    if magic != MAGIC or zlib.crc32(payload) != crc:
        return None
    return payload


class RedisCache:
    """A :class:`~workloads.cache.base.FitnessCache` on Redis that degrades to all-miss when Redis is away."""

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        batch_size: int = 1000,
        socket_timeout: float = 1.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds {ttl_seconds!r}: must be > 0")
        register_dsn(url)
        self.url = redact_url(url) or ""
        self.ttl_seconds = int(ttl_seconds)
        self.batch_size = batch_size
        self.stats = CacheStats()
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
            max_connections=50,
        )
        self._clock = clock
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._backoff = backoff_initial
        self._retry_at = 0.0
        self._down = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RedisCache {self.url}>"

    # -- availability ------------------------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """``False`` during an outage's backoff period (calls then skip Redis)."""
        with self._lock:
            return not self._down or self._clock() >= self._retry_at

    def _error(self, exc: BaseException | None) -> None:
        self.stats.errors += 1
        CACHE_ERRORS.inc()
        if exc is None:
            return
        with self._lock:
            if not self._down:
                log.warning(
                    "fitness cache %s unavailable (%s); continuing uncached and reconnecting with backoff",
                    self.url,
                    exc,
                )
                self._down = True
                self._backoff = self._backoff_initial
            else:
                self._backoff = min(self._backoff * 2.0, self._backoff_max)
            self._retry_at = self._clock() + self._backoff

    def _ok(self) -> None:
        with self._lock:
            if self._down:
                log.warning("fitness cache %s is reachable again", self.url)
            self._down = False
            self._backoff = self._backoff_initial

    # -- FitnessCache ------------------------------------------------------------------------------------------
    def _miss_all(self, n: int) -> list[bytes | None]:
        self.stats.misses += n
        CACHE_MISSES.inc(n)
        return [None] * n

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        if not self.available:
            self._error(None)
            return self._miss_all(len(keys))
        raw: list[bytes | str | None] = []
        try:
            for start in range(0, len(keys), self.batch_size):
                raw.extend(self._client.mget([KEY_PREFIX + key for key in keys[start : start + self.batch_size]]))
        except redis.RedisError as exc:
            self._error(exc)
            return self._miss_all(len(keys))
        self._ok()
        values: list[bytes | None] = []
        for value in raw:
            payload = unframe(value) if isinstance(value, bytes) else None
            if value is not None and payload is None:
                self._error(None)
            values.append(payload)
        hits = sum(v is not None for v in values)
        self.stats.hits += hits
        self.stats.misses += len(keys) - hits
        CACHE_HITS.inc(hits)
        CACHE_MISSES.inc(len(keys) - hits)
        return values

    def set_many(self, items: dict[str, bytes]) -> None:
        if not items:
            return
        if not self.available:
            self._error(None)
            return
        try:
            pipe = self._client.pipeline(transaction=False)
            for count, (key, value) in enumerate(items.items(), start=1):
                pipe.set(KEY_PREFIX + key, frame(bytes(value)), ex=self.ttl_seconds)
                if count % self.batch_size == 0:
                    pipe.execute()
            pipe.execute()
        except redis.RedisError as exc:
            self._error(exc)
            return
        self._ok()

    # -- leaderboard -------------------------------------------------------------------------------------------
    def leaderboard_add(self, board: str, scores: dict[str, float]) -> None:
        """Set members' scores on ``board`` (a member keeps its highest score: ``ZADD GT``)."""
        if not scores or not self.available:
            return
        try:
            self._client.zadd(LEADERBOARD_PREFIX + board, {m: float(s) for m, s in scores.items()}, gt=True)
        except redis.RedisError as exc:
            self._error(exc)
            return
        self._ok()

    def leaderboard_top(self, board: str, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` best ``(member, score)`` of ``board``, highest first; empty when Redis is unavailable."""
        if not self.available:
            return []
        try:
            # Responses are not decoded: WITHSCORES gives (bytes, float) pairs; the stubs type every reply shape.
            rows = cast(
                "list[tuple[bytes, float]]",
                self._client.zrevrange(LEADERBOARD_PREFIX + board, 0, n - 1, withscores=True),
            )
        except redis.RedisError as exc:
            self._error(exc)
            return []
        self._ok()
        return [(member.decode(), float(score)) for member, score in rows]

    # -- health ------------------------------------------------------------------------------------------------
    def ping(self) -> None:
        """One round trip; raises ``redis.RedisError`` when Redis is unreachable (for health checks only)."""
        self._client.ping()

    def close(self) -> None:
        self._client.close()


def make_cache(settings: Settings) -> FitnessCache:
    """:class:`RedisCache` when ``settings.redis_url`` is set, else the in-process cache."""
    if settings.redis_url:
        return RedisCache(settings.redis_url)
    return InProcessCache()
