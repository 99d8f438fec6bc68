"""The HTTP API of ``genepool serve`` (FastAPI).

- ``GET /health/liveness``: the process is up. An ``async`` route on the event loop: it never touches storage and
  never waits for a thread, so it answers while every storage thread is blocked by a database outage.
- ``GET /health/readiness``: storage, cache and Ray checks (:mod:`workloads.health`); 200 when healthy or
  degraded, 503 when unhealthy, always within :data:`READINESS_BUDGET_SECONDS` (a check still running then counts as
  unhealthy). Without the bearer token each check shows only its status, latency and a generic error: the database's
  user, host and name are for authenticated callers.
- ``GET /metrics``: Prometheus exposition of :mod:`workloads.metrics` (and the process collectors), with
  ``genepool_last_generation_timestamp_seconds`` read from storage (:mod:`workloads.service.storage_metrics`),
  within :data:`METRICS_BUDGET_SECONDS`.
- ``GET /v1/strategies?seed=&symbol=&limit=&all=``, ``GET /v1/strategies/{id}``,
  ``GET /v1/signals/{symbol}?top=&seed=&all=``: promoted strategies only unless ``all=true``;
  require ``Authorization: Bearer <GENEPOOL_API_TOKEN>`` (401 otherwise; with no token configured every ``/v1``
  call is refused). ``seed`` is one of the seed names (an enum in the OpenAPI document). Bad parameters → 422 whose
  ``detail`` is one readable sentence per problem (``errors`` keeps the structured list). Storage unavailable → 503
  within :data:`V1_BUDGET_SECONDS` (the detail names no database; the server log has the redacted cause).

**Async reads.** On PostgreSQL, ``/v1/strategies`` and ``/v1/strategies/{id}`` (whose answers are rows: nothing
to compute) read on the event loop through psycopg 3's async pool
(:class:`~workloads.storage.postgres_async.AsyncPostgresReads`): no thread hop, one round trip per request. Its size
and connection wait are ``settings.api`` (:class:`~workloads.settings.ApiSettings`: 6 connections, 1.5 s by default);
the process's synchronous pool gets the rest of its 10 connections. The statement itself may take what the wait
leaves of :data:`V1_BUDGET_SECONDS` (PostgreSQL's ``statement_timeout``), and the whole read gets at most what is left
of the budget: pool exhaustion, a blocked statement or a database outage answers 503 within it, never a hang. The first
``/v1`` request migrates the schema first, on a thread (below).

**Threads.** Everything else that touches storage is synchronous (psycopg 3's pool, DuckDB), so it runs on a bounded
executor (:class:`BoundedExecutor`) and the routes are ``async``: the event loop never blocks. ``/v1`` gets
:data:`STORAGE_THREADS` threads: signals on every backend, and every ``/v1`` read on DuckDB, which has no async
driver (a DuckDB storage serialises its statements under one lock, so the threads only keep the event loop free);
readiness and ``/metrics`` get their own :data:`HEALTH_THREADS`, so a database outage that occupies every ``/v1``
thread cannot delay a probe or a scrape. A call waits for a thread at most for what is left of its budget, then
answers 503; a call that ran out of budget keeps its thread until the storage layer's own bounded retries give up,
so at most :data:`STORAGE_THREADS` calls are ever in flight. The response models are in
:mod:`workloads.service.models`.

**Answers from memory.** A ``200`` answer of a ``/v1`` route is kept as bytes and served for
:data:`~workloads.service.fast_path.V1_FRESH_SECONDS` (1 s) to every caller with the token, straight from the event
loop (no thread, no storage read, no validation); the next request after that recomputes it through the route, and a
new bar, run or promotion is visible then. See :mod:`workloads.service.fast_path` (the OpenAPI document is the
routes', unchanged: the cached bytes are what the route answered).

JSON cannot carry infinities or NaN: such values are sent as ``null`` (the convention of every genepool JSON,
:mod:`workloads.jsonable`; the response models serialise floats by the same rule).
HTTP requests, cached or not, are counted in ``genepool_http_requests_total{method,route,status}`` and timed in
``genepool_http_request_duration_seconds{method,route}`` (``route`` is the route template, never the raw path).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workloads.cache.base import FitnessCache
from workloads.health import UNHEALTHY, HealthReport, UnopenedStorage, check_all
from workloads.jsonable import jsonable
from workloads.seeds.registry import seed_names
from workloads.service.fast_path import CachedV1, CountRequests, ResponseCache
from workloads.service.models import (
    ErrorBody,
    Liveness,
    Readiness,
    Signals,
    Strategy,
    StrategyList,
    ValidationErrorBody,
)
from workloads.service.signals import SignalService
from workloads.service.storage_metrics import SCRAPE_RETRY_SECONDS, api_registry
from workloads.settings import Settings
from workloads.storage import Storage, StorageError, open_storage
from workloads.storage.base import MAX_LIMIT, SYMBOL

if TYPE_CHECKING:
    from workloads.storage.postgres_async import AsyncPostgresReads

T = TypeVar("T")
log = logging.getLogger(__name__)

V1_BUDGET_SECONDS = 2.0
"""Longest a ``/v1`` request waits for storage (a thread, a migration, the query with its retries) before 503."""
API_RETRY_SECONDS = 1.5
"""Retry budget of each storage call the API makes (the CLI's is 30 s): inside :data:`V1_BUDGET_SECONDS`."""
SIGNALS_BUDGET_SECONDS = 60.0
"""Longest a ``/v1/signals`` request may take when its document is not cached yet (replaying every stored bar)."""
READINESS_BUDGET_SECONDS = 2.5
"""Readiness answers within this (the probes' timeout in the cluster is 3 s)."""
METRICS_BUDGET_SECONDS = SCRAPE_RETRY_SECONDS + 2.0
"""``/metrics`` answers within this: the scrape-time read's own budget plus the exposition (Prometheus: 10 s)."""
STORAGE_THREADS = 10
HEALTH_THREADS = 2
STORAGE_UNAVAILABLE = "storage unavailable; try again shortly"

_bearer = HTTPBearer(auto_error=False, description="GENEPOOL_API_TOKEN")
SeedName = enum.StrEnum("SeedName", {name: name for name in seed_names()})  # type: ignore[misc]
SeedQuery = Annotated[SeedName | None, Query(description="Only strategies of this seed.")]
SymbolPath = Annotated[str, Path(pattern=SYMBOL.pattern, description="Symbol of the stored bars.")]
SymbolQuery = Annotated[str | None, Query(pattern=SYMBOL.pattern, description="Only strategies evolved on it.")]
AllQuery = Annotated[bool, Query(alias="all", description="Include strategies that were not promoted.")]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid bearer token."},
    422: {"model": ValidationErrorBody, "description": "A parameter breaks its rule."},
    503: {"model": ErrorBody, "description": "Storage unavailable (answered within the request budget)."},
}


class BudgetExceeded(Exception):
    """A call did not get a thread or finish within its budget."""


class BoundedExecutor:
    """At most ``threads`` calls in flight; :meth:`run` gives up after ``budget`` seconds (see the module doc)."""

    def __init__(self, threads: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=name)
        self._slots = asyncio.Semaphore(threads)

    async def run(self, call: Callable[[], T], budget: float, *, total: float | None = None) -> T:
        """``call()`` on a thread: waits at most ``budget`` seconds for one, and for the result at most ``total``
        (default ``budget``) seconds from the start."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (budget if total is None else total)
        try:
            await asyncio.wait_for(self._slots.acquire(), budget)
        except TimeoutError:
            raise BudgetExceeded(f"no thread free within {budget:g} s") from None
        future = loop.run_in_executor(self._executor, call)
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.shield(future), max(deadline - loop.time(), 0.0))
        except TimeoutError:
            raise BudgetExceeded("not finished within its budget") from None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ())]
        where = f"{location[0]} parameter {'.'.join(location[1:])!r}" if len(location) > 1 else ".".join(location)
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def public_readiness(report: HealthReport) -> dict[str, Any]:
    """The readiness body for a caller without the token: each check's status and latency, a generic error."""
    return {
        "status": report.status,
        "checks": {
            c.name: {
                "status": c.status,
                "latency_ms": round(c.latency_ms, 3),
                "error": None if c.error is None else f"{c.name} check failed",
            }
            for c in report.checks
        },
    }


class AppState:
    """What the app holds: settings, the storage (opened lazily, migrated once), the cache and the signals.

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


def create_app(
    settings: Settings,
    storage: Storage | None = None,
    cache: FitnessCache | None = None,
    responses: ResponseCache | None = None,
) -> FastAPI:
    """The API over ``settings`` (storage and cache are built from them unless given; ``responses`` is the
    ``/v1`` answer cache, by default fresh for :data:`~workloads.service.fast_path.V1_FRESH_SECONDS`)."""
    state = AppState(settings, storage, cache, responses)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("genepool API starting with %r", settings)
        yield
        await state.aclose()

    app = FastAPI(
        title="genepool",
        version="0.1.0",
        lifespan=lifespan,
        description="Evolved trading strategies, their current signals, health and metrics.",
    )
    app.state.genepool = state
    registry = api_registry(state.storage)

    app.add_middleware(CachedV1, cache=state.responses, token=settings.api_token)
    app.add_middleware(CountRequests)

    @app.exception_handler(RequestValidationError)
    async def unprocessable(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", "value"))}
            for e in jsonable_encoder(exc.errors())
        ]
        return JSONResponse(status_code=422, content={"detail": _validation_message(errors), "errors": errors})

    expected_digest = hashlib.sha256(settings.api_token.encode()).digest() if settings.api_token else None

    def has_token(credentials: HTTPAuthorizationCredentials | None) -> bool:
        """Constant-time comparison of the SHA-256 digests (the expected one computed once, at start)."""
        given = credentials.credentials if credentials else None
        return bool(
            expected_digest and given and hmac.compare_digest(hashlib.sha256(given.encode()).digest(), expected_digest)
        )

    async def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        """An ``async`` dependency: FastAPI runs a plain ``def`` one on a worker thread, a hop per request."""
        if not has_token(credentials):
            raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})

    async def with_storage(operation: str, work: Callable[[Storage], T], total: float = V1_BUDGET_SECONDS) -> T:
        """``work(migrated storage)`` on a ``/v1`` thread within :data:`V1_BUDGET_SECONDS` (``total`` when the work
        also computes: each storage call in it still gives up within :data:`API_RETRY_SECONDS`), else 503."""
        start = time.monotonic()

        def call() -> T:
            return work(state.migrated_storage(wait=max(V1_BUDGET_SECONDS - (time.monotonic() - start), 0.0)))

        try:
            return await state.v1_threads.run(call, V1_BUDGET_SECONDS, total=total)
        except (StorageError, BudgetExceeded) as exc:
            log.warning("%s: %s: %s", operation, STORAGE_UNAVAILABLE, exc)
            raise HTTPException(503, STORAGE_UNAVAILABLE) from None

    async def with_reads(operation: str, read: Callable[[AsyncPostgresReads], Awaitable[T]]) -> T:
        """``read(async reads)`` within :data:`V1_BUDGET_SECONDS` (the first call also migrates the schema on a
        thread, within the same budget), else 503."""
        assert state.reads is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + V1_BUDGET_SECONDS
        if not state.migrated:
            await with_storage(operation, lambda _: None)
        try:
            async with asyncio.timeout_at(deadline):
                return await read(state.reads)
        except (StorageError, TimeoutError) as exc:
            log.warning("%s: %s: %s", operation, STORAGE_UNAVAILABLE, str(exc) or "not finished within its budget")
            raise HTTPException(503, STORAGE_UNAVAILABLE) from None

    @app.get("/health/liveness", tags=["health"], response_model=Liveness)
    async def liveness() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/health/readiness",
        tags=["health"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Unhealthy: storage unreachable."}},
    )
    async def readiness(request: Request) -> JSONResponse:
        """Optional authentication (not declared as security): the token only adds the checks' details."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        credentials = (
            HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if scheme.lower() == "bearer" else None
        )

        def report() -> HealthReport:
            try:
                storage: Any = state.storage()
            except StorageError as exc:
                storage = UnopenedStorage(exc)
            return check_all(settings, storage, state.cache)

        try:
            result = await state.health_threads.run(report, READINESS_BUDGET_SECONDS)
        except BudgetExceeded as exc:
            check = {"status": UNHEALTHY, "latency_ms": READINESS_BUDGET_SECONDS * 1000, "error": f"checks {exc}"}
            return JSONResponse({"status": UNHEALTHY, "checks": {"storage": check}}, status_code=503)
        body = result.as_dict() if has_token(credentials) else public_readiness(result)
        return JSONResponse(jsonable(body), status_code=503 if result.status == UNHEALTHY else 200)

    @app.get(
        "/metrics",
        tags=["health"],
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition.",
                "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics() -> Response:
        try:
            text = await state.health_threads.run(lambda: generate_latest(registry), METRICS_BUDGET_SECONDS)
        except BudgetExceeded:
            text = generate_latest(_http_only_registry())
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    v1 = [Depends(require_token)]

    @app.get(
        "/v1/strategies", dependencies=v1, tags=["strategies"], response_model=StrategyList, responses=ERROR_RESPONSES
    )
    async def list_strategies(
        seed: SeedQuery = None,
        symbol: SymbolQuery = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many, best first.")] = 50,
        include_all: AllQuery = False,
    ) -> StrategyList:
        name = None if seed is None else seed.value
        if state.reads is not None:
            rows = await with_reads(
                "list_strategies",
                lambda r: r.list_strategies(seed=name, limit=limit, symbol=symbol, promoted_only=not include_all),
            )
        else:
            rows = await with_storage(
                "list_strategies",
                lambda s: s.list_strategies(seed=name, limit=limit, symbol=symbol, promoted_only=not include_all),
            )
        return StrategyList(
            strategies=[Strategy.model_validate(row, from_attributes=True) for row in rows], count=len(rows)
        )

    @app.get(
        "/v1/strategies/{strategy_id}",
        dependencies=v1,
        tags=["strategies"],
        response_model=Strategy,
        responses={**ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "No strategy with this id."}},
    )
    async def get_strategy(strategy_id: Annotated[str, Path(min_length=1, max_length=200)]) -> Strategy:
        if state.reads is not None:
            row = await with_reads("get_strategy", lambda r: r.get_strategy(strategy_id))
        else:
            row = await with_storage("get_strategy", lambda s: s.get_strategy(strategy_id))
        if row is None:
            raise HTTPException(404, f"no strategy with id {strategy_id!r}")
        return Strategy.model_validate(row, from_attributes=True)

    @app.get(
        "/v1/signals/{symbol}",
        dependencies=v1,
        tags=["signals"],
        response_model=Signals,
        responses={**ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "No bars or no strategies."}},
    )
    async def signals(
        symbol: SymbolPath,
        top: Annotated[int, Query(ge=1, le=50, description="Use the best this many strategies.")] = 5,
        seed: SeedQuery = None,
        include_all: AllQuery = False,
    ) -> Signals:
        name = None if seed is None else seed.value

        def work(storage: Storage) -> Signals | str:
            try:
                return state.signals.current(storage, symbol, top, name, promoted_only=not include_all)
            except LookupError as exc:
                return str(exc)

        document = await with_storage("signals", work, total=SIGNALS_BUDGET_SECONDS)
        if isinstance(document, str):
            raise HTTPException(404, document)
        return document

    return app


SERVE_STACK_OUTPUTS_ENV = "GENEPOOL_SERVE_STACK_OUTPUTS"
"""Set by ``genepool serve --workers N --stack-outputs FILE`` for its workers (:func:`app_from_environment`)."""


def app_from_environment() -> FastAPI:
    """The app of one ``genepool serve --workers N`` process: settings from the environment (and the stack-outputs
    file the parent was given)."""
    import os

    from workloads.service.worker_metrics import mark_dead_at_exit
    from workloads.settings import load_settings

    mark_dead_at_exit()
    return create_app(load_settings(os.environ.get(SERVE_STACK_OUTPUTS_ENV)))


def _http_only_registry() -> Any:
    """The process metrics without the storage-derived ones (served when the scrape ran out of budget)."""
    from prometheus_client import CollectorRegistry

    from workloads.service.storage_metrics import _ProcessMetrics

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    return registry
