"""What the search bench runs (:mod:`workloads.bench.search`): a light module, so the CLI can show the
defaults without importing the kernels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workloads.bench.search_landscapes import landscapes

BASELINES = ("random", "tpe", "tpe-mv", "cmaes")
"""The searches the GA is compared with (:mod:`workloads.bench.search_methods`)."""


@dataclass(frozen=True)
class SearchBenchConfig:
    """What the search bench runs (see the module doc). ``variants``: GA variants as ``(label, overrides)``."""

    landscapes: tuple[str, ...] = ("trend", "weak-trend", "reversion", "goog", "eurusd")
    repetitions: int = 1
    first_repetition: int = 0
    bars: int = 3_000
    budgets: tuple[int, ...] = (80, 400)
    reference_size: int = 40_000
    population: int = 16
    baselines: tuple[str, ...] = BASELINES
    race_opponents: tuple[str, ...] = ("tpe-mv",)
    race_seconds: float = 0.25
    ga: tuple[tuple[str, Any], ...] = ()
    variants: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.budgets or min(self.budgets) < 1:
            raise ValueError(f"search budgets {self.budgets}: need at least one budget, each >= 1")
        if self.repetitions < 1 or self.reference_size < 100:
            raise ValueError("the search bench needs repetitions >= 1 and reference_size >= 100")
        unknown = [b for b in (*self.baselines, *self.race_opponents) if b not in BASELINES]
        if unknown:
            raise ValueError(f"unknown search baseline {', '.join(unknown)}; known: {', '.join(BASELINES)}")
        landscapes(self.landscapes)

    @property
    def methods(self) -> tuple[str, ...]:
        return ("ga", *(label for label, _ in self.variants), *self.baselines)
