"""The routes' dependencies: the app state, the bearer token and the ``/v1`` storage access, each an
``Annotated[..., Depends(...)]`` alias a route names as a parameter type.

Every dependency is ``async``: FastAPI runs a plain ``def`` one on a worker thread, a hop per request. The ``/v1``
ones take the state from the request (:func:`state_of`) rather than through :data:`StateDep`: each level of
dependencies costs about 10 µs of CPU per request (FastAPI 0.165), a few percent of an uncached ``/v1`` answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from workloads.service.budgets import SIGNALS_BUDGET_SECONDS, V1_BUDGET_SECONDS, BudgetExceeded
from workloads.service.errors import BEARER_REQUIRED, STORAGE_UNAVAILABLE
from workloads.service.models import Signals
from workloads.service.state import AppState
from workloads.storage import Storage, StorageError
from workloads.storage.records import StoredStrategy

if TYPE_CHECKING:
    from workloads.storage.postgres_async import AsyncPostgresReads

T = TypeVar("T")
log = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="GENEPOOL_API_TOKEN")


def state_of(request: Request) -> AppState:
    """The state :func:`~workloads.service.app.create_app` put on the app."""
    state: AppState = request.app.state.genepool
    return state


async def app_state(request: Request) -> AppState:
    """:func:`state_of` as a dependency."""
    return state_of(request)


StateDep = Annotated[AppState, Depends(app_state)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""The ``Authorization: Bearer …`` header (any case of ``Bearer``), declared in the OpenAPI document."""


async def require_token(request: Request, credentials: Credentials) -> None:
    """401 unless the request carries the API token as its bearer token (every ``/v1`` route)."""
    if not state_of(request).has_token(credentials.credentials if credentials else None):
        raise HTTPException(401, BEARER_REQUIRED, headers={"WWW-Authenticate": "Bearer"})


async def optional_token(request: Request) -> str | None:
    """The bearer token of the request, if any, without declaring it: readiness answers everyone and adds the
    checks' details only for the right token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else None


OptionalToken = Annotated[str | None, Depends(optional_token)]


class V1Storage:
    """What the ``/v1`` routes read, each within its budget, else ``503`` (:data:`STORAGE_UNAVAILABLE`).

    Strategy rows are read on the event loop through the async reads on PostgreSQL (the first request migrates the
    schema first, on a thread, within the same budget) and on a ``/v1`` thread on DuckDB, within
    :data:`V1_BUDGET_SECONDS`; a signals document is computed on a ``/v1`` thread within
    :data:`SIGNALS_BUDGET_SECONDS` (each storage call in it still gives up within the API's retry budget)."""

    def __init__(self, state: AppState) -> None:
        self._state = state

    async def list_strategies(
        self, *, seed: str | None, limit: int, symbol: str | None, promoted_only: bool
    ) -> list[StoredStrategy]:
        """The stored strategies, best first (see :meth:`Storage.list_strategies`)."""
        if self._state.reads is not None:
            return await self._read(
                "list_strategies",
                lambda r: r.list_strategies(seed=seed, limit=limit, symbol=symbol, promoted_only=promoted_only),
            )
        return await self._on_thread(
            "list_strategies",
            lambda s: s.list_strategies(seed=seed, limit=limit, symbol=symbol, promoted_only=promoted_only),
        )

    async def get_strategy(self, strategy_id: str) -> StoredStrategy | None:
        """One stored strategy, ``None`` when there is no such id."""
        if self._state.reads is not None:
            return await self._read("get_strategy", lambda r: r.get_strategy(strategy_id))
        return await self._on_thread("get_strategy", lambda s: s.get_strategy(strategy_id))

    async def signals(self, symbol: str, top: int, seed: str | None, promoted_only: bool) -> Signals:
        """The signals document (:meth:`SignalService.current`); ``LookupError`` when there is nothing to use."""
        signals = self._state.signals
        return await self._on_thread(
            "signals",
            lambda s: signals.current(s, symbol, top, seed, promoted_only=promoted_only),
            total=SIGNALS_BUDGET_SECONDS,
        )

    async def _on_thread(self, operation: str, work: Callable[[Storage], T], total: float = V1_BUDGET_SECONDS) -> T:
        """``work(migrated storage)`` on a ``/v1`` thread: waits at most :data:`V1_BUDGET_SECONDS` for the thread
        and the migration, and ``total`` seconds in all."""
        state = self._state
        start = time.monotonic()

        def call() -> T:
            return work(state.migrated_storage(wait=max(V1_BUDGET_SECONDS - (time.monotonic() - start), 0.0)))

        try:
            return await state.v1_threads.run(call, V1_BUDGET_SECONDS, total=total)
        except (StorageError, BudgetExceeded) as exc:
            log.warning("%s: %s: %s", operation, STORAGE_UNAVAILABLE, exc)
            raise HTTPException(503, STORAGE_UNAVAILABLE) from None

    async def _read(self, operation: str, read: Callable[[AsyncPostgresReads], Awaitable[T]]) -> T:
        """``read(async reads)`` within :data:`V1_BUDGET_SECONDS` (the first call also migrates the schema on a
        thread, within the same budget)."""
        reads = self._state.reads
        assert reads is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + V1_BUDGET_SECONDS
        if not self._state.migrated:
            await self._on_thread(operation, lambda _: None)
        try:
            async with asyncio.timeout_at(deadline):
                return await read(reads)
        except (StorageError, TimeoutError) as exc:
            log.warning("%s: %s: %s", operation, STORAGE_UNAVAILABLE, str(exc) or "not finished within its budget")
            raise HTTPException(503, STORAGE_UNAVAILABLE) from None


async def v1_storage(request: Request) -> V1Storage:
    """The ``/v1`` storage access of this app."""
    return V1Storage(state_of(request))


V1StorageDep = Annotated[V1Storage, Depends(v1_storage)]
