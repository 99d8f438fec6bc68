"""The HTTP API of ``genepool serve`` (FastAPI): :func:`create_app` assembles it.

- :mod:`workloads.service.routes.health`: ``/health/liveness``, ``/health/readiness``, ``/metrics`` (no token);
- :mod:`workloads.service.routes.v1`: ``/v1/strategies``, ``/v1/strategies/{id}``, ``/v1/signals/{symbol}``
  (bearer token);
- :mod:`workloads.service.deps`: what routes depend on (the app state, the token check, the ``/v1`` storage
  access within its budgets); :mod:`workloads.service.state`: what the process holds; :mod:`~workloads.service.budgets`:
  the time and thread budgets; :mod:`~workloads.service.models` and :mod:`~workloads.service.errors`: the answers;
- :mod:`workloads.service.fast_path`: ASGI middleware answering repeated ``/v1`` requests from memory and counting
  every request (``genepool_http_requests_total{method,route,status}``, ``route`` the route template).

The design, with its budgets and threads: docs/architecture.md#the-http-api.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from workloads.cache.base import FitnessCache
from workloads.service.errors import unprocessable
from workloads.service.fast_path import CachedV1, CountRequests, ResponseCache
from workloads.service.routes import health, v1
from workloads.service.state import AppState
from workloads.settings import Settings, load_settings
from workloads.storage import Storage

log = logging.getLogger(__name__)

SERVE_STACK_OUTPUTS_ENV = "GENEPOOL_SERVE_STACK_OUTPUTS"
"""Set by ``genepool serve --workers N --stack-outputs FILE`` for its workers (:func:`app_from_environment`)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Logs the settings (secrets masked) at start; closes the storage, pools and threads at shutdown."""
    state: AppState = app.state.genepool
    log.info("genepool API starting with %r", state.settings)
    yield
    await state.aclose()


def create_app(
    settings: Settings,
    storage: Storage | None = None,
    cache: FitnessCache | None = None,
    responses: ResponseCache | None = None,
) -> FastAPI:
    """The API over ``settings`` (storage and cache are built from them unless given; ``responses`` is the
    ``/v1`` answer cache, by default fresh for :data:`~workloads.service.fast_path.V1_FRESH_SECONDS`)."""
    app = FastAPI(
        title="genepool",
        version="0.1.0",
        lifespan=lifespan,
        description="Evolved trading strategies, their current signals, health and metrics.",
        exception_handlers={RequestValidationError: unprocessable},
    )
    app.state.genepool = state = AppState(settings, storage, cache, responses)
    app.add_middleware(CachedV1, cache=state.responses, token=settings.api_token)
    app.add_middleware(CountRequests)
    # Every request is matched against the included routers in order, each router's routes in turn (FastAPI
    # 0.137+ keeps an included router whole and matches it per request): /v1 first, so its requests, the ones
    # under load, skip the health routes. The paths do not overlap, so the order changes no answer.
    app.include_router(v1.router)
    app.include_router(health.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of one ``genepool serve --workers N`` process: settings from the environment (and the stack-outputs
    file the parent was given)."""
    from workloads.service.worker_metrics import mark_dead_at_exit

    mark_dead_at_exit()
    return create_app(load_settings(os.environ.get(SERVE_STACK_OUTPUTS_ENV)))
