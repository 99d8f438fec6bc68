"""Response bodies of the HTTP API (pydantic), so the OpenAPI document states exactly what each route answers.

Conventions: times are ISO-8601 UTC strings ending in ``Z``; a number that is not finite (a metric, ``fitness``,
``dsr``, an exposure, a value inside ``details``) is answered as ``null``, as in every genepool JSON
(docs/architecture.md#numbers-that-are-not-finite): the models' serialisation does it (:class:`ApiModel`), at the
JSON edge only. Error bodies never carry a database user, host, name or password.

The ``/v1`` models are built from storage's records by attribute (``from_attributes``): their field names are the
records'.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MetricValue = float | Literal["inf", "-inf", "nan"] | None
ParamValue = float | int | bool | str | None


class ApiModel(BaseModel):
    """A response body: built from a mapping or an object's attributes; non-finite floats serialised as ``null``."""

    model_config = ConfigDict(from_attributes=True, ser_json_inf_nan="null")


class Liveness(ApiModel):
    status: Literal["alive"]


class Check(ApiModel):
    """One dependency's check; ``backend``/``url``/``timescale`` and the like are added only for an authenticated
    caller (see ``GET /health/readiness``)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["healthy", "degraded", "unhealthy"]
    latency_ms: float
    error: str | None


class Readiness(ApiModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    checks: dict[str, Check]


class Strategy(ApiModel):
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


class StrategyList(ApiModel):
    strategies: list[Strategy]
    count: int = Field(ge=0)


class Signal(ApiModel):
    strategy_id: str
    seed: str
    params: dict[str, ParamValue]
    fitness: float | None
    promoted: bool
    target_exposure: float | None = Field(description="Fraction of equity, sign = direction; null with `error`.")
    equity: float | None = None
    error: str | None


class Signals(ApiModel):
    symbol: str
    as_of: str | None = Field(description="Open time of the latest stored bar.")
    bars: int
    executes_at: str
    signals: list[Signal]


class ErrorBody(ApiModel):
    """401, 404 and 503: one readable sentence."""

    detail: str


class ValidationIssue(ApiModel):
    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ApiModel):
    """422: ``detail`` is one readable sentence per problem; ``errors`` keeps the structured list."""

    detail: str
    errors: list[ValidationIssue]
