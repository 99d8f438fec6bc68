"""The hall of fame: the best distinct strategies found so far, across seeds, and the best of every seed.

Modelled on DEAP's ``tools.HallOfFame``: :meth:`HallOfFame.update` takes a generation's evaluated candidates and is
the only thing that changes the entries; ranking, de-duplication and capacity live here and nowhere else.

Ranking: training fitness descending, then seed name, then parameters (a total order, so the result does not depend
on the order candidates arrive in). Walking that order, a candidate is kept unless

- ``capacity`` entries are kept already;
- its seed holds ``per_seed`` entries already;
- it lies within ``min_distance`` of a kept entry of the same seed, the distance being the root-mean-square
  per-gene difference of the unit genomes (``‖a − b‖₂ / sqrt(g)``: 0 = same genome, 1 = opposite corners of the
  box, whatever the number of genes);
- a kept entry of the same seed has exactly the same fitness (genes that do not matter at those values give the
  same behaviour on the training data).

``best_by_seed`` keeps the single best candidate of every seed ever offered, whether or not it made the list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class HallOfFameEntry:
    """One evaluated genome: ``strategy`` (seed name), decoded ``params`` and unit ``genome`` (gene order of the
    seed), training ``fitness``, ``sharpe`` (mean walk-forward-segment Sharpe, annualised) and the ``generation``
    that evaluated it."""

    strategy: str
    params: tuple[float, ...]
    genome: tuple[float, ...]
    fitness: float
    sharpe: float
    generation: int

    def rank_key(self) -> tuple[float, str, tuple[float, ...]]:
        return (-self.fitness, self.strategy, self.params)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HallOfFameEntry:
        return cls(
            strategy=str(data["strategy"]),
            params=tuple(float(v) for v in data["params"]),
            genome=tuple(float(v) for v in data["genome"]),
            fitness=float(data["fitness"]),
            sharpe=float(data["sharpe"]),
            generation=int(data["generation"]),
        )


def genome_distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Root-mean-square per-gene distance of two unit genomes of the same seed (0 for genomes without genes)."""
    if not a:
        return 0.0
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) / len(a))


class HallOfFame:
    """At most ``capacity`` entries, at most ``per_seed`` of one seed, none two of a seed within ``min_distance``
    (see the module doc). Read :attr:`entries` and :attr:`best_by_seed`; change them only with :meth:`update`."""

    def __init__(self, capacity: int, per_seed: int, min_distance: float) -> None:
        self.capacity = capacity
        self.per_seed = per_seed
        self.min_distance = min_distance
        self._entries: tuple[HallOfFameEntry, ...] = ()
        self._best: dict[str, HallOfFameEntry] = {}

    @property
    def entries(self) -> tuple[HallOfFameEntry, ...]:
        """Best first."""
        return self._entries

    @property
    def best_by_seed(self) -> dict[str, HallOfFameEntry]:
        """The best candidate ever offered of each seed, by seed name."""
        return dict(sorted(self._best.items()))

    def __len__(self) -> int:
        return len(self._entries)

    def _admits(self, kept: list[HallOfFameEntry], candidate: HallOfFameEntry) -> bool:
        same_seed = [e for e in kept if e.strategy == candidate.strategy]
        if len(same_seed) >= self.per_seed:
            return False
        return all(
            e.fitness != candidate.fitness and genome_distance(e.genome, candidate.genome) >= self.min_distance
            for e in same_seed
        )

    def update(self, candidates: Iterable[HallOfFameEntry]) -> None:
        """Merge ``candidates`` (non-finite fitness is ignored) into the entries and ``best_by_seed``."""
        fresh = [c for c in candidates if math.isfinite(c.fitness)]
        for candidate in fresh:
            best = self._best.get(candidate.strategy)
            if best is None or candidate.rank_key() < best.rank_key():
                self._best[candidate.strategy] = candidate
        kept: list[HallOfFameEntry] = []
        for candidate in sorted([*self._entries, *fresh], key=HallOfFameEntry.rank_key):
            if len(kept) == self.capacity:
                break
            if self._admits(kept, candidate):
                kept.append(candidate)
        self._entries = tuple(kept)

    def to_dict(self) -> dict[str, Any]:
        """The checkpoint form."""
        return {
            "entries": [e.as_dict() for e in self._entries],
            "best_by_seed": {name: e.as_dict() for name, e in sorted(self._best.items())},
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load the checkpoint form written by :meth:`to_dict`."""
        self._entries = tuple(HallOfFameEntry.from_dict(e) for e in data["entries"])
        self._best = {name: HallOfFameEntry.from_dict(e) for name, e in data["best_by_seed"].items()}
