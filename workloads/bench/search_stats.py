"""Paired statistics of the search bench: sign tests over paired outcomes, and regret against a dense reference.

Conventions: outcomes are "higher is better" fitness values; a pair is a **win** when the first method's value is
strictly higher, a **loss** when strictly lower, a **tie** otherwise. The sign test is the exact two-sided binomial
test of ``wins`` among ``wins + losses`` non-tied pairs against ½ (``scipy.stats.binomtest``); ties carry no sign and
are left out, as the test prescribes. A difference is called significant at ``ALPHA`` (per comparison, no
multiplicity correction: the report prints every p-value so a reader can apply one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest

ALPHA = 0.05
PLATEAU_SHARE = 0.01
"""A seed's landscape is a plateau when at least this share of its reference ties the reference maximum: hitting
the maximum is then easy for every method and says nothing about the search."""


@dataclass(frozen=True)
class SignTest:
    """Paired wins, losses and ties of A over B; ``p_value``: exact two-sided sign test (1.0 without a sign)."""

    wins: int
    losses: int
    ties: int
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def win_share(self) -> float:
        """Wins among all pairs (ties count as not won)."""
        n = self.wins + self.losses + self.ties
        return self.wins / n if n else 0.0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant, "win_share": self.win_share}


def sign_test(a: Sequence[float], b: Sequence[float]) -> SignTest:
    """The sign test of paired values ``a[i]`` against ``b[i]`` (see the module doc)."""
    if len(a) != len(b):
        raise ValueError(f"paired values differ in length: {len(a)} and {len(b)}")
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
    p = float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
    return SignTest(wins, losses, len(diff) - wins - losses, p)


@dataclass(frozen=True)
class Reference:
    """A seed's dense reference: the fitness of ``size`` uniform genomes of its unit box, sorted ascending."""

    fitness: np.ndarray

    @property
    def maximum(self) -> float:
        return float(self.fitness[-1])

    @property
    def plateau(self) -> bool:
        """See :data:`PLATEAU_SHARE`."""
        return bool(self.share_at_least(self.maximum) >= PLATEAU_SHARE)

    def share_at_least(self, value: float) -> float:
        """The share of the reference at least as good as ``value`` (0 when ``value`` beats all of it)."""
        n = self.fitness.shape[0]
        return float((n - np.searchsorted(self.fitness, value, side="left")) / n)

    def regret(self, best: float) -> dict[str, float | bool]:
        """A method's best fitness against the reference: ``share`` (of the space at least as good; lower is
        better), ``gap`` (reference maximum − best; negative when the method beat every reference genome) and
        ``hit`` (best ≥ the reference maximum)."""
        return {"share": self.share_at_least(best), "gap": self.maximum - best, "hit": best >= self.maximum}
