"""Data readiness: for each seed, are there enough bars (and the columns it needs) to run it? (docs/seeds.md#readiness)

The thresholds are the seed's type floor (``Seed.min_bars``): 20 bars for momentum, volatility-scaling and carry
seeds, 50 for pattern-dependent seeds (mean reversion, Bollinger, trend), 200 for ML seeds (500 optimal).

============================  ===================================================================
recommendation                when
============================  ===================================================================
``DEPLOY_OPTIMAL``            ML seed, bars >= its optimal count (500)
``DEPLOY_ACCEPTABLE``         ML seed, floor (200) <= bars < optimal
``DELAY_DEPLOYMENT``          ML seed, bars < floor
``DEPLOY_IMMEDIATE``          20-bar seed, bars >= 20
``DEPLOY_RECOMMENDED``        50-bar seed, bars >= 50
``DEPLOY_CAUTIOUS``           50-bar seed, 20 <= bars < 50
``INSUFFICIENT_DATA``         any other seed below its floor, or a required column (funding_rate) is missing
============================  ===================================================================

A seed is **ready** (the evolution runs it) only when bars >= its floor and its columns are present. The floor is
a hard minimum, so ``DEPLOY_CAUTIOUS`` is reported for information but is not ready: the evolution
refuses it, saying why. Individuals whose own windows are longer than the data are handled by the fitness
(they cannot trade and score accordingly).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

CAUTIOUS_FLOOR = 20
"""Bars from which a 50-bar seed is reported ``DEPLOY_CAUTIOUS`` instead of ``INSUFFICIENT_DATA``."""


class SeedRequirements(Protocol):
    """What readiness reads of a seed; read-only, so a ``Seed`` class's ``ClassVar`` attributes satisfy it."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def min_bars(self) -> int: ...

    @property
    def optimal_bars(self) -> int | None: ...

    @property
    def needs_funding(self) -> bool: ...


@dataclass(frozen=True)
class Readiness:
    """One seed's readiness on one data set."""

    seed: str
    kind: str
    data_points: int
    minimum_bars: int
    optimal_bars: int | None
    recommendation: str
    ready: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _recommendation(seed: SeedRequirements, bars: int) -> str:
    if seed.optimal_bars is not None:
        if bars >= seed.optimal_bars:
            return "DEPLOY_OPTIMAL"
        return "DEPLOY_ACCEPTABLE" if bars >= seed.min_bars else "DELAY_DEPLOYMENT"
    if bars >= seed.min_bars:
        return "DEPLOY_RECOMMENDED" if seed.min_bars > CAUTIOUS_FLOOR else "DEPLOY_IMMEDIATE"
    if seed.min_bars > CAUTIOUS_FLOOR and bars >= CAUTIOUS_FLOOR:
        return "DEPLOY_CAUTIOUS"
    return "INSUFFICIENT_DATA"


def assess(seed: SeedRequirements, data_points: int, has_funding: bool) -> Readiness:
    """Readiness of ``seed`` on a data set of ``data_points`` bars."""
    if seed.needs_funding and not has_funding:
        return Readiness(
            seed.name,
            seed.kind,
            data_points,
            seed.min_bars,
            seed.optimal_bars,
            "INSUFFICIENT_DATA",
            False,
            "the data has no funding_rate column, which this seed needs",
        )
    recommendation = _recommendation(seed, data_points)
    ready = data_points >= seed.min_bars
    if ready:
        reason = f"{data_points} bars >= the {seed.min_bars}-bar minimum of {seed.kind} seeds"
    else:
        reason = f"{data_points} bars < the {seed.min_bars}-bar minimum of {seed.kind} seeds"
    return Readiness(seed.name, seed.kind, data_points, seed.min_bars, seed.optimal_bars, recommendation, ready, reason)


def assess_all(seeds: Iterable[SeedRequirements], data_points: int, has_funding: bool) -> list[Readiness]:
    return [assess(seed, data_points, has_funding) for seed in seeds]
