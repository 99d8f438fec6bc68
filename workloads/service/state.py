"""What one API process holds (:class:`AppState`): settings, the storage (opened lazily, migrated once), the cache,
the signals, the ``/v1`` answer cache, the thread pools, the async reads and the ``/metrics`` registry."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import TYPE_CHECKING, Any

from workloads.cache.base import FitnessCache
from workloads.service.budgets import (
    API_RETRY_SECONDS,
    HEALTH_THREADS,
    SIGNALS_BUDGET_SECONDS,
    STORAGE_THREADS,
    V1_BUDGET_SECONDS,
    BoundedExecutor,
)
from workloads.service.fast_path import ResponseCache
from workloads.service.health import HealthReport, UnopenedStorage, check_all
from workloads.service.signals import SignalService
from workloads.service.storage_metrics import api_registry
from workloads.settings import Settings
from workloads.storage import Storage, StorageError, open_storage

if TYPE_CHECKING:
    from workloads.storage.postgres_async import AsyncPostgresReads


class AppState:
    """The state of one API process (``app.state.genepool``; routes reach it through :mod:`workloads.service.deps`).

    :meth:`storage` never migrates and never waits for a migration in progress (opening is not a round trip: the
    PostgreSQL pool connects in the background), so readiness and the ``/metrics`` scrape read through it and stay
    within their own budgets while PostgreSQL is down; ``/v1`` goes through :meth:`migrated_storage`."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage | None,
        cache: FitnessCache | None,
        responses: ResponseCache | None = None,
    ) -> None:
        self.settings = settings
        self.responses = ResponseCache(refresh_seconds=SIGNALS_BUDGET_SECONDS) if responses is None else responses
        self._storage = storage
        self._migrated = False
        self._open_lock = threading.Lock()
        self._migrate_lock = threading.Lock()
        if cache is None:
            from workloads.cache.redis import make_cache

            cache = make_cache(settings)
        self.cache = cache
        self.signals = SignalService(cache if settings.redis_url else None)
        self.v1_threads = BoundedExecutor(STORAGE_THREADS, "genepool-v1")
        self.health_threads = BoundedExecutor(HEALTH_THREADS, "genepool-health")
        self.registry = api_registry(self.storage)
        """What ``/metrics`` serves: the process metrics and those read from storage at scrape time."""
        self._token_digest = hashlib.sha256(settings.api_token.encode()).digest() if settings.api_token else None
        self.reads: AsyncPostgresReads | None = None
        """The async strategy reads (PostgreSQL only; ``None`` on DuckDB)."""
        self._sync_connections: int | None = None
        if settings.is_postgres:
            from workloads.storage.postgres import POOL_MAX_CONNECTIONS
            from workloads.storage.postgres_async import AsyncPostgresReads

            self.reads = AsyncPostgresReads(
                settings.database_url,
                pool_size=settings.api.pool_size,
                pool_wait_seconds=settings.api.pool_wait_seconds,
                statement_seconds=V1_BUDGET_SECONDS - settings.api.pool_wait_seconds,
                retry_seconds=API_RETRY_SECONDS,
            )
            self._sync_connections = POOL_MAX_CONNECTIONS - settings.api.pool_size

    def has_token(self, given: str | None) -> bool:
        """Whether ``given`` is the API token: a constant-time comparison of SHA-256 digests (the expected one
        computed once, at start). Always false when no token is configured."""
        return bool(
            self._token_digest
            and given
            and hmac.compare_digest(hashlib.sha256(given.encode()).digest(), self._token_digest)
        )

    @property
    def migrated(self) -> bool:
        """Whether :meth:`migrated_storage` has migrated the schema (once per process)."""
        return self._migrated

    def storage(self) -> Storage:
        """The storage, opened on first use, migrated or not."""
        with self._open_lock:
            if self._storage is None:
                self._storage = open_storage(
                    self.settings,
                    migrate=False,
                    retry_seconds=API_RETRY_SECONDS,
                    max_connections=self._sync_connections,
                )
            return self._storage

    def migrated_storage(self, wait: float | None = None) -> Storage:
        """The storage after one successful :meth:`Storage.migrate`; a failed migration raises
        :class:`StorageError` and is tried again by the next call. ``wait`` bounds the wait for a migration another
        thread is running (``None``: no bound); past it, :class:`StorageError`."""
        storage = self.storage()
        if self._migrated:
            return storage
        if not self._migrate_lock.acquire(timeout=-1 if wait is None else wait):
            raise StorageError("the schema migration is still in progress")
        try:
            if not self._migrated:
                storage.migrate()
                self._migrated = True
        finally:
            self._migrate_lock.release()
        return storage

    def health_report(self) -> HealthReport:
        """Every readiness check, on the storage as it is (an unopenable one is reported unhealthy)."""
        storage: Any
        try:
            storage = self.storage()
        except StorageError as exc:
            storage = UnopenedStorage(exc)
        return check_all(self.settings, storage, self.cache)

    async def aclose(self) -> None:
        """:meth:`close`, after closing the async reads' pool (in the loop that opened it)."""
        if self.reads is not None:
            await self.reads.close()
        self.close()

    def close(self) -> None:
        self.v1_threads.shutdown()
        self.health_threads.shutdown()
        if self._storage is not None:
            self._storage.close()
