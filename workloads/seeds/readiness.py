"""Data readiness: for each seed, are there enough bars (and the columns it needs) to run it? (docs/seeds.md#readiness)

Three bar counts per seed: its type floor (``Seed.min_bars``: 20 bars for momentum, volatility-scaling and carry
seeds, 50 for pattern-dependent seeds, 200 for ML seeds, 500 optimal), the bars its *smallest* windows need (the
genes at their lower bounds: below that no individual can trade) and the bars its *largest* windows need (the genes
at their upper bounds: from there every individual the search may draw can trade). Each count includes the warm-up
plus two bars to trade (``Seed.min_bars_for``).

============================  ===================================================================================
recommendation                when (``floor`` = max(type floor, smallest windows), ``all`` = largest windows)
============================  ===================================================================================
``INSUFFICIENT_DATA``         bars < floor, or a required column (``funding_rate``) is missing (ML: see below)
``DELAY_DEPLOYMENT``          ML seed, bars < floor
``DEPLOY_CAUTIOUS``           non-ML seed, floor <= bars < all: only the part of the gene range that fits can trade
``DEPLOY_IMMEDIATE``          20-bar seed, bars >= all
``DEPLOY_RECOMMENDED``        50-bar seed, bars >= all
``DEPLOY_ACCEPTABLE``         ML seed, floor <= bars < max(optimal, all)
``DEPLOY_OPTIMAL``            ML seed, bars >= max(optimal, all)
============================  ===================================================================================

A seed is **ready** (the evolution runs it) exactly when its recommendation starts with ``DEPLOY_``: bars >= floor
and its columns present. Individuals whose own windows are longer than the data cannot trade and the fitness scores
them accordingly, which is what ``DEPLOY_CAUTIOUS`` warns of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

MOMENTUM_FLOOR = 20
"""The type floor of the seeds labelled ``DEPLOY_IMMEDIATE`` (higher floors: ``DEPLOY_RECOMMENDED``)."""


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

    def bars_for_smallest_windows(self) -> int: ...

    def bars_for_largest_windows(self) -> int: ...


@dataclass(frozen=True)
class Readiness:
    """One seed's readiness on one data set."""

    seed: str
    kind: str
    data_points: int
    minimum_bars: int
    optimal_bars: int | None
    smallest_windows_bars: int
    largest_windows_bars: int
    recommendation: str
    ready: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def assess(seed: SeedRequirements, data_points: int, has_funding: bool) -> Readiness:
    """Readiness of ``seed`` on a data set of ``data_points`` bars (see the module doc)."""
    smallest, largest = seed.bars_for_smallest_windows(), seed.bars_for_largest_windows()
    floor = max(seed.min_bars, smallest)
    ml = seed.optimal_bars is not None

    def result(recommendation: str, reason: str) -> Readiness:
        return Readiness(
            seed.name,
            seed.kind,
            data_points,
            seed.min_bars,
            seed.optimal_bars,
            smallest,
            largest,
            recommendation,
            recommendation.startswith("DEPLOY_"),
            reason,
        )

    if seed.needs_funding and not has_funding:
        return result("INSUFFICIENT_DATA", "the data has no funding_rate column, which this seed needs")
    if data_points < floor:
        why = (
            f"{data_points} bars < the {seed.min_bars}-bar minimum of {seed.kind} seeds"
            if data_points < seed.min_bars
            else f"{data_points} bars < the {smallest} its smallest windows need"
        )
        return result("DELAY_DEPLOYMENT" if ml else "INSUFFICIENT_DATA", why)
    enough = f"{data_points} bars >= the {floor}-bar minimum"
    if ml:
        full = max(seed.optimal_bars or 0, largest)
        if data_points >= full:
            return result("DEPLOY_OPTIMAL", f"{enough}; >= the {full} its optimum and largest windows need")
        return result("DEPLOY_ACCEPTABLE", f"{enough}; < the {full} its optimum and largest windows need")
    if data_points < largest:
        return result(
            "DEPLOY_CAUTIOUS",
            f"{enough}, but its largest windows need {largest}: only parameters whose windows fit can trade",
        )
    label = "DEPLOY_RECOMMENDED" if seed.min_bars > MOMENTUM_FLOOR else "DEPLOY_IMMEDIATE"
    return result(label, f"{enough}; >= the {largest} its largest windows need")


def assess_all(seeds: Iterable[SeedRequirements], data_points: int, has_funding: bool) -> list[Readiness]:
    return [assess(seed, data_points, has_funding) for seed in seeds]
