"""The HTTP API of ``genepool serve`` (FastAPI).

- ``GET /health/liveness``: the process is up (no dependency is touched).
- ``GET /health/readiness``: storage, cache and Ray checks (:mod:`workloads.health`); 200 when healthy or
  degraded, 503 when unhealthy.
- ``GET /metrics``: Prometheus exposition of :mod:`workloads.metrics` (and the process collectors), with
  ``genepool_last_generation_timestamp_seconds`` read from storage (:mod:`workloads.service.storage_metrics`).
- ``GET /v1/strategies?seed=&symbol=&limit=&all=``, ``GET /v1/strategies/{id}``,
  ``GET /v1/signals/{symbol}?top=&seed=&all=``: promoted strategies only unless ``all=true``;
  require ``Authorization: Bearer <GENEPOOL_API_TOKEN>`` (401 otherwise; with no token configured every ``/v1``
  call is refused). Bad parameters → 422 whose ``detail`` is one readable sentence per problem (``errors`` keeps
  the structured list). Storage failures → 503.

JSON cannot carry infinities or NaN: such values are sent as ``null`` (the convention of every genepool JSON).
HTTP requests are counted in ``genepool_http_requests_total{method,route,status}`` and timed in
``genepool_http_request_duration_seconds{method,route}`` (``route`` is the route template, never the raw path).
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workloads.cache.base import FitnessCache
from workloads.health import UNHEALTHY, UnopenedStorage, check_all
from workloads.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from workloads.service.storage_metrics import api_registry
from workloads.settings import Settings
from workloads.storage import Storage, StorageError, open_storage
from workloads.storage.base import MAX_LIMIT, SYMBOL

log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False, description="GENEPOOL_API_TOKEN")
SeedQuery = Annotated[str | None, Query(description="Only strategies of this seed.", min_length=1)]
SymbolPath = Annotated[str, Path(pattern=SYMBOL.pattern, description="Symbol of the stored bars.")]
SymbolQuery = Annotated[str | None, Query(pattern=SYMBOL.pattern, description="Only strategies evolved on it.")]
AllQuery = Annotated[bool, Query(alias="all", description="Include strategies that were not promoted.")]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ())]
        where = f"{location[0]} parameter {'.'.join(location[1:])!r}" if len(location) > 1 else ".".join(location)
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


class AppState:
    """What the app holds: settings, the storage (opened lazily, migrated once) and the cache.

    :meth:`storage` never migrates and never waits for a migration in progress (opening is not a round trip: the
    PostgreSQL pool connects in the background), so readiness and the ``/metrics`` scrape read through it and stay
    within their own budgets while PostgreSQL is down; ``/v1`` goes through :meth:`migrated_storage`."""

    def __init__(self, settings: Settings, storage: Storage | None, cache: FitnessCache | None) -> None:
        self.settings = settings
        self._storage = storage
        self._migrated = False
        self._open_lock = threading.Lock()
        self._migrate_lock = threading.Lock()
        if cache is None:
            from workloads.cache.redis import make_cache

            cache = make_cache(settings)
        self.cache = cache

    def storage(self) -> Storage:
        """The storage, opened on first use, migrated or not."""
        with self._open_lock:
            if self._storage is None:
                self._storage = open_storage(self.settings, migrate=False)
            return self._storage

    def migrated_storage(self) -> Storage:
        """The storage after one successful :meth:`Storage.migrate` (with the backend's full retry budget); a failed
        migration raises :class:`StorageError` and is tried again by the next call."""
        storage = self.storage()
        with self._migrate_lock:
            if not self._migrated:
                storage.migrate()
                self._migrated = True
        return storage

    def close(self) -> None:
        if self._storage is not None:
            self._storage.close()


def create_app(settings: Settings, storage: Storage | None = None, cache: FitnessCache | None = None) -> FastAPI:
    """The API over ``settings`` (storage and cache are built from them unless given)."""
    state = AppState(settings, storage, cache)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("genepool API starting with %r", settings)
        yield
        state.close()

    app = FastAPI(
        title="genepool",
        version="0.1.0",
        lifespan=lifespan,
        description="Evolved trading strategies, their current signals, health and metrics.",
    )
    app.state.genepool = state
    registry = api_registry(state.storage)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", "<unmatched>")
            HTTP_REQUESTS.labels(request.method, template, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(request.method, template).observe(time.perf_counter() - start)

    @app.exception_handler(RequestValidationError)
    async def unprocessable(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors())
        return JSONResponse(status_code=422, content={"detail": _validation_message(errors), "errors": errors})

    def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        expected = settings.api_token
        given = credentials.credentials if credentials else None
        if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})

    def storage_or_503() -> Storage:
        try:
            return state.migrated_storage()
        except StorageError as exc:
            raise HTTPException(503, f"storage unavailable: {exc}") from exc

    def known_seed(seed: str | None) -> str | None:
        from workloads.seeds.registry import all_seeds

        if seed is not None and seed not in all_seeds():
            raise RequestValidationError(
                [
                    {
                        "loc": ("query", "seed"),
                        "type": "value_error",
                        "input": seed,
                        "msg": f"unknown seed {seed!r}; known seeds: {', '.join(all_seeds())}",
                    }
                ]
            )
        return seed

    @app.get("/health/liveness", tags=["health"])
    def liveness() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/readiness", tags=["health"])
    def readiness() -> JSONResponse:
        try:
            storage: Any = state.storage()
        except StorageError as exc:
            storage = UnopenedStorage(exc)
        report = check_all(settings, storage, state.cache)
        return JSONResponse(report.as_dict(), status_code=503 if report.status == UNHEALTHY else 200)

    @app.get("/metrics", tags=["health"])
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    v1 = [Depends(require_token)]

    @app.get("/v1/strategies", dependencies=v1, tags=["strategies"])
    def list_strategies(
        seed: SeedQuery = None,
        symbol: SymbolQuery = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many, best first.")] = 50,
        include_all: AllQuery = False,
    ) -> JSONResponse:
        known_seed(seed)
        storage = storage_or_503()
        try:
            rows = storage.list_strategies(seed=seed, limit=limit, symbol=symbol, promoted_only=not include_all)
        except StorageError as exc:
            raise HTTPException(503, f"storage unavailable: {exc}") from exc
        return JSONResponse({"strategies": _finite(rows), "count": len(rows)})

    @app.get("/v1/strategies/{strategy_id}", dependencies=v1, tags=["strategies"])
    def get_strategy(strategy_id: Annotated[str, Path(min_length=1, max_length=200)]) -> JSONResponse:
        storage = storage_or_503()
        try:
            row = storage.get_strategy(strategy_id)
        except StorageError as exc:
            raise HTTPException(503, f"storage unavailable: {exc}") from exc
        if row is None:
            raise HTTPException(404, f"no strategy with id {strategy_id!r}")
        return JSONResponse(_finite(row))

    @app.get("/v1/signals/{symbol}", dependencies=v1, tags=["signals"])
    def signals(
        symbol: SymbolPath,
        top: Annotated[int, Query(ge=1, le=50, description="Use the best this many strategies.")] = 5,
        seed: SeedQuery = None,
        include_all: AllQuery = False,
    ) -> JSONResponse:
        from workloads.service.signals import current_signals

        known_seed(seed)
        storage = storage_or_503()
        try:
            document = current_signals(storage, symbol, top, seed, promoted_only=not include_all)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        except StorageError as exc:
            raise HTTPException(503, f"storage unavailable: {exc}") from exc
        return JSONResponse(_finite(document))

    return app
