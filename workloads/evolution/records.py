"""Typed records of a scored run: what the summary, ``evolve --json``, the report and storage carry per
hall-of-fame entry.

JSON convention (one, everywhere): a non-finite number (NaN, ±inf) is written as ``null``; :func:`clean` does it.
Sharpe ratios in these records are annualised unless the name says ``per_bar``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


def clean(value: float | None) -> float | None:
    """A JSON-safe number: non-finite (or ``None``) → ``None``."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class DsrDetail:
    """The inputs of an entry's two deflations (workloads/evolution/dsr.py; per-bar units)."""

    sharpe_per_bar: float | None
    skewness: float | None
    kurtosis: float | None
    returns: int
    trials: int
    n_eff: float
    mean_correlation: float | None
    sr0_per_bar: float | None
    sr0_conservative_per_bar: float | None
    trial_sharpe_variance_per_bar: float | None


@dataclass(frozen=True)
class Robustness:
    """How the fitness holds up around an entry: ``neighbours`` perturbed genomes (each gene moved by ±1 and ±2
    ``robust_step`` in the unit box, one gene at a time), their mean and worst fitness, ``retention`` = mean / the
    entry's fitness (``None`` unless the fitness is positive) and ``thin_peak`` (retention below
    ``thin_peak_ratio``). ``segment_sharpe``: the entry's Sharpe on each walk-forward segment (in-sample: the search
    saw them); ``walk_forward_efficiency`` = holdout Sharpe / mean segment Sharpe (``None`` without a holdout or
    when the mean segment Sharpe is not positive)."""

    neighbours: int
    neighbour_fitness_mean: float | None
    neighbour_fitness_min: float | None
    retention: float | None
    thin_peak: bool
    segment_sharpe: tuple[float | None, ...]
    walk_forward_efficiency: float | None


@dataclass(frozen=True)
class ScoredEntry:
    """One hall-of-fame entry scored after the run: replayed on train and holdout, deflated, gated.

    ``promoted`` is true exactly when ``gate`` (the reasons it failed) is empty."""

    strategy: str
    params: dict[str, Any]
    fitness: float | None
    generation: int
    train: dict[str, float | None]
    holdout: dict[str, float | None] | None
    dsr: float | None
    dsr_conservative: float | None
    n_eff: float
    promoted: bool
    gate: tuple[str, ...]
    dsr_detail: DsrDetail
    robustness: Robustness

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["gate"] = list(self.gate)
        out["robustness"]["segment_sharpe"] = list(self.robustness.segment_sharpe)
        return out


@dataclass(frozen=True)
class SeedBest:
    """The best genome a seed reached (training fitness), whether or not it made the hall of fame, with the
    verdict it would get there (``dsr``, holdout Sharpe, ``promoted``, ``gate``): which seeds found something and
    which were refused."""

    strategy: str
    params: dict[str, Any]
    fitness: float | None
    sharpe: float | None
    generation: int
    in_hall_of_fame: bool
    dsr: float | None
    holdout_sharpe: float | None
    promoted: bool
    gate: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["gate"] = list(self.gate)
        return out


@dataclass(frozen=True)
class Verdict:
    """What the run says users may act on: ``promoted`` entries and one ``line`` ("N promoted: …" or "nothing
    passed: why"); per seed, whether its best genome would pass (``seeds_passing``) or not (``seeds_refused``)."""

    promoted: int
    line: str
    seeds_passing: tuple[str, ...]
    seeds_refused: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["seeds_passing"], out["seeds_refused"] = list(self.seeds_passing), list(self.seeds_refused)
        return out
