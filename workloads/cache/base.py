"""The fitness-cache protocol and the in-process cache used when no ``redis_url`` is configured.

Keys are strings built by the caller from (dataset fingerprint, seed, fitness configuration, genome); values are
opaque bytes. A cache never raises on ``get_many``/``set_many``: an unavailable cache behaves as all-miss and counts
an error, so a run goes on uncached and never sees a wrong value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class CacheStats:
    """Counts since the cache was created."""

    hits: int = 0
    misses: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "errors": self.errors}


class FitnessCache(Protocol):
    stats: CacheStats

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Values for ``keys`` in order, ``None`` where missing (or when the cache is unavailable)."""
        ...

    def set_many(self, items: dict[str, bytes]) -> None:
        """Store ``items``; failures are counted, never raised."""
        ...


class InProcessCache:
    """A dict-backed cache for one process (the embedded default)."""

    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self.stats = CacheStats()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        values = [self._values.get(key) for key in keys]
        found = sum(value is not None for value in values)
        self.stats.hits += found
        self.stats.misses += len(keys) - found
        return values

    def set_many(self, items: dict[str, bytes]) -> None:
        self._values.update(items)
