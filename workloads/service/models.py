"""Response bodies of the HTTP API (pydantic), so the OpenAPI document states exactly what each route answers.

Conventions: times are ISO-8601 UTC strings ending in ``Z``; a number that is not finite (a metric, ``fitness``,
``dsr``, an exposure) is answered as ``null``, as in every genepool JSON
(docs/architecture.md#numbers-that-are-not-finite); the routes build these models from the storage records with
``from_attributes``. Error bodies never carry a database user, host, name or password.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MetricValue = float | Literal["inf", "-inf", "nan"] | None
ParamValue = float | int | bool | str | None


class Liveness(BaseModel):
    status: Literal["alive"]


class Check(BaseModel):
    """One dependency's check; ``backend``/``url``/``timescale`` and the like are added only for an authenticated
    caller (see ``GET /health/readiness``)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["healthy", "degraded", "unhealthy"]
    latency_ms: float
    error: str | None


class Readiness(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    checks: dict[str, Check]


class Strategy(BaseModel):
    id: str
    run_id: str
    rank: int
    seed: str
    symbol: str | None
    params: dict[str, ParamValue]
    fitness: float | None
    dsr: float | None
    train_metrics: dict[str, MetricValue] | None
    holdout_metrics: dict[str, MetricValue] | None
    details: dict[str, Any]
    promoted: bool = Field(
        description="Passed every promotion rule of its run (DSR, holdout Sharpe, trades, drawdown)."
    )
    gate: list[str] | None = Field(description="The promotion rules it failed; null when stored before promotion.")
    created_at: str | None


class StrategyList(BaseModel):
    strategies: list[Strategy]
    count: int = Field(ge=0)


class Signal(BaseModel):
    strategy_id: str
    seed: str
    params: dict[str, ParamValue]
    fitness: float | None
    promoted: bool
    target_exposure: float | None = Field(description="Fraction of equity, sign = direction; null with `error`.")
    equity: float | None = None
    error: str | None


class Signals(BaseModel):
    symbol: str
    as_of: str | None = Field(description="Open time of the latest stored bar.")
    bars: int
    executes_at: str
    signals: list[Signal]


class ErrorBody(BaseModel):
    """401, 404 and 503: one readable sentence."""

    detail: str


class ValidationIssue(BaseModel):
    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """422: ``detail`` is one readable sentence per problem; ``errors`` keeps the structured list."""

    detail: str
    errors: list[ValidationIssue]
