"""The state of a run, everything a resumed run needs: the per-seed sub-populations, the budgets, the hall of fame,
the distinct trials and their Sharpe statistics, the per-generation history. The loop
(:class:`workloads.evolution.pool.Pool`) reads and updates it; :mod:`workloads.evolution.checkpoints` serialises it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workloads.evolution.config import EvolutionConfig
from workloads.evolution.hall_of_fame import HallOfFame
from workloads.evolution.records import GenerationStats
from workloads.evolution.trials import TrialSample


@dataclass
class SubPopulation:
    """One seed's current population: unit genomes, decoded parameters, fitness, mean segment Sharpe, and the
    NSGA-II objectives (:func:`workloads.evolution.nsga2.strategy_objectives`, ``(n, 3)``; NaN when restored from
    a checkpoint written before they were kept)."""

    genomes: np.ndarray
    params: np.ndarray
    fitness: np.ndarray
    sharpe: np.ndarray
    best_history: list[float] = field(default_factory=list)
    objectives: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))


@dataclass
class PoolState:
    """Everything a resumed run needs (serialised as the checkpoint payload by
    :mod:`workloads.evolution.checkpoints`); ``generation`` is the last one completed (``-1``: none yet)."""

    run_id: str
    config: EvolutionConfig
    seed_names: list[str]
    data_fingerprint: str
    train_fingerprint: str
    generation: int = -1
    symbol: str = ""
    data_end: int | None = None
    """The run's data pin (see :mod:`workloads.evolution.run`): the symbol and the timestamp (ns) of the last bar
    of the data the run started on; ``None`` in checkpoints written before runs were pinned."""
    budgets: dict[str, int] = field(default_factory=dict)
    populations: dict[str, SubPopulation] = field(default_factory=dict)
    hall_of_fame: HallOfFame = field(init=False)
    trial_sample: TrialSample = field(init=False)
    evaluated: set[str] = field(default_factory=set)
    trial_stats: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    history: list[GenerationStats] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hall_of_fame = HallOfFame(self.config.hall_of_fame, self.config.hof_per_seed, self.config.hof_min_distance)
        self.trial_sample = TrialSample(self.config.dsr_sample)

    @property
    def n_trials(self) -> int:
        return len(self.evaluated)

    @property
    def trial_sharpe_variance(self) -> float:
        """Sample variance of the mean-segment Sharpe (annualised) over the distinct genomes evaluated."""
        count, _, m2 = self.trial_stats
        return m2 / (count - 1) if count > 1 else 0.0
