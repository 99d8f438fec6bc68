"""``/v1``: the stored strategies and their current signals, for callers with the bearer token.

``GET /v1/strategies?seed=&symbol=&limit=&all=``, ``GET /v1/strategies/{id}`` and
``GET /v1/signals/{symbol}?top=&seed=&all=`` use promoted strategies only unless ``all=true``. Every route requires
``Authorization: Bearer <GENEPOOL_API_TOKEN>`` (the router's dependency: 401 otherwise; with no token configured
every call is refused). ``seed`` is one of the seed names (an enum in the OpenAPI document). Bad parameters → 422
(:mod:`workloads.service.errors`); storage unavailable → 503 within the request budget
(:class:`~workloads.service.deps.V1Storage`). A ``200`` answer is then served from memory for a second
(:mod:`workloads.service.fast_path`).
"""

from __future__ import annotations

import enum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from workloads.seeds.registry import seed_names
from workloads.service.deps import V1StorageDep, require_token
from workloads.service.errors import ERROR_RESPONSES
from workloads.service.models import ErrorBody, Signals, Strategy, StrategyList
from workloads.storage.base import MAX_LIMIT, SYMBOL

SeedName = enum.StrEnum("SeedName", {name: name for name in seed_names()})  # type: ignore[misc]
SeedQuery = Annotated[SeedName | None, Query(description="Only strategies of this seed.")]
SymbolPath = Annotated[str, Path(pattern=SYMBOL.pattern, description="Symbol of the stored bars.")]
SymbolQuery = Annotated[str | None, Query(pattern=SYMBOL.pattern, description="Only strategies evolved on it.")]
AllQuery = Annotated[bool, Query(alias="all", description="Include strategies that were not promoted.")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many, best first.")]
TopQuery = Annotated[int, Query(ge=1, le=50, description="Use the best this many strategies.")]
StrategyId = Annotated[str, Path(min_length=1, max_length=200)]

router = APIRouter(prefix="/v1", dependencies=[Depends(require_token)], responses=ERROR_RESPONSES)


@router.get("/strategies", tags=["strategies"], response_model=StrategyList)
async def list_strategies(
    storage: V1StorageDep,
    seed: SeedQuery = None,
    symbol: SymbolQuery = None,
    limit: LimitQuery = 50,
    include_all: AllQuery = False,
) -> StrategyList:
    rows = await storage.list_strategies(
        seed=None if seed is None else seed.value, limit=limit, symbol=symbol, promoted_only=not include_all
    )
    return StrategyList(strategies=[Strategy.model_validate(row) for row in rows], count=len(rows))


@router.get(
    "/strategies/{strategy_id}",
    tags=["strategies"],
    response_model=Strategy,
    responses={404: {"model": ErrorBody, "description": "No strategy with this id."}},
)
async def get_strategy(storage: V1StorageDep, strategy_id: StrategyId) -> Strategy:
    row = await storage.get_strategy(strategy_id)
    if row is None:
        raise HTTPException(404, f"no strategy with id {strategy_id!r}")
    return Strategy.model_validate(row)


@router.get(
    "/signals/{symbol}",
    tags=["signals"],
    response_model=Signals,
    responses={404: {"model": ErrorBody, "description": "No bars or no strategies."}},
)
async def signals(
    storage: V1StorageDep,
    symbol: SymbolPath,
    top: TopQuery = 5,
    seed: SeedQuery = None,
    include_all: AllQuery = False,
) -> Signals:
    try:
        return await storage.signals(symbol, top, None if seed is None else seed.value, not include_all)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
