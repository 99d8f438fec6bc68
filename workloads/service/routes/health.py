"""``/health/liveness``, ``/health/readiness`` and ``/metrics``: answered to every caller, without the token.

Liveness touches nothing and waits for no thread. Readiness runs the checks of :mod:`workloads.service.health` on
the health threads within :data:`~workloads.service.budgets.READINESS_BUDGET_SECONDS` (a check still running then
counts as unhealthy); ``503`` when unhealthy. Without the bearer token each check shows only its status, latency
and a generic error: the database's user, host and name are for authenticated callers. (A route's docstring is its
description in the OpenAPI document.) ``/metrics`` serves the process metrics and those read from storage at
scrape time within :data:`~workloads.service.budgets.METRICS_BUDGET_SECONDS`, the process metrics alone past it.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workloads.service.budgets import METRICS_BUDGET_SECONDS, READINESS_BUDGET_SECONDS, BudgetExceeded
from workloads.service.deps import OptionalToken, StateDep
from workloads.service.health import UNHEALTHY
from workloads.service.models import Check, Liveness, Readiness
from workloads.service.storage_metrics import process_registry

router = APIRouter(tags=["health"])


@router.get("/health/liveness", response_model=Liveness)
async def liveness() -> Liveness:
    return Liveness(status="alive")


@router.get(
    "/health/readiness",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Unhealthy: storage unreachable."}},
)
async def readiness(state: StateDep, token: OptionalToken, response: Response) -> Readiness:
    """Optional authentication (not declared as security): the token only adds the checks' details."""
    try:
        report = await state.health_threads.run(state.health_report, READINESS_BUDGET_SECONDS)
    except BudgetExceeded as exc:
        response.status_code = 503
        check = Check(status=UNHEALTHY, latency_ms=READINESS_BUDGET_SECONDS * 1000, error=f"checks {exc}")
        return Readiness(status=UNHEALTHY, checks={"storage": check})
    if report.status == UNHEALTHY:
        response.status_code = 503
    return Readiness.model_validate(report.as_dict() if state.has_token(token) else report.as_public_dict())


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition.",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(state: StateDep) -> Response:
    try:
        text = await state.health_threads.run(partial(generate_latest, state.registry), METRICS_BUDGET_SECONDS)
    except BudgetExceeded:
        text = generate_latest(process_registry())
    return Response(text, media_type=CONTENT_TYPE_LATEST)
