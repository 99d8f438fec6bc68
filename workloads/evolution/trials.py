"""A bounded, uniform sample of the distinct trials a run evaluated, for the correlation behind ``N_eff``.

Every distinct genome evaluated (a distinct fitness-cache key) is offered once. The sample keeps the ``size``
trials whose keys hash lowest (bottom-k sampling: SHA-256 of the key, first 64 bits as the priority, ties by seed
name): a uniform random sample of all distinct trials that depends only on *which* trials were evaluated, never on
their order, the backend, the worker count or a resume. It holds parameter rows only (``size × genes`` numbers, not
return series); :func:`workloads.evolution.summary.trial_correlation` replays them once, after the run, to get their
training returns.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, order=True)
class SampledTrial:
    """One sampled trial: its ``priority`` (hash), ``strategy`` (seed name) and decoded ``params``."""

    priority: int
    strategy: str
    params: tuple[float, ...]


def priority_of(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:16], 16)


class TrialSample:
    """The bottom-``size`` sample of the module doc."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._trials: list[SampledTrial] = []

    @property
    def trials(self) -> tuple[SampledTrial, ...]:
        return tuple(self._trials)

    def offer(self, key: str, strategy: str, params: np.ndarray) -> None:
        """Consider one newly evaluated distinct trial (call once per distinct ``key``)."""
        trial = SampledTrial(priority_of(key), strategy, tuple(float(v) for v in params))
        if len(self._trials) == self.size and not trial < self._trials[-1]:
            return
        bisect.insort(self._trials, trial)
        del self._trials[self.size :]

    def to_list(self) -> list[dict[str, Any]]:
        return [{"priority": t.priority, "strategy": t.strategy, "params": list(t.params)} for t in self._trials]

    def restore(self, rows: list[dict[str, Any]]) -> None:
        self._trials = sorted(
            SampledTrial(int(r["priority"]), str(r["strategy"]), tuple(float(v) for v in r["params"])) for r in rows
        )
