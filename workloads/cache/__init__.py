"""Fitness caches: the :class:`FitnessCache` protocol, an in-process default, and Redis (``redis_url``)."""

from workloads.cache.base import CacheStats, FitnessCache, InProcessCache

__all__ = ["CacheStats", "FitnessCache", "InProcessCache"]
