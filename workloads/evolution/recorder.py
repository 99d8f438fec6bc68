"""Recording an evolution run in the database: :class:`RunRecorder` is a run observer
(:mod:`workloads.evolution.observers`) for :func:`workloads.evolution.run.run_evolution`::

    recorder = RunRecorder(storage, symbol="BTC")
    summary = run_evolution(bars, config, runs_dir=..., checkpoints=recorder.checkpoints, observers=[recorder], ...)

``on_start`` creates the run (a resumed run with the same config and data is accepted as is), each generation's
stats are stored as they complete, checkpoints go to the ``checkpoints`` table (so ``--resume`` works from the
database), and ``on_run_end`` stores the hall of fame and marks the run finished with the rest of the summary. Given
a ``leaderboard`` (a :class:`~workloads.cache.redis.RedisCache`), ``on_run_end`` also scores the stored strategy ids
on the sorted set of the symbol (``genepool:leaderboard:<symbol>``, ``all`` without one) by fitness.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Protocol

from workloads.evolution.observers import RunObserver
from workloads.evolution.plan import Plan
from workloads.evolution.records import GenerationStats, RunSummary, ScoredEntry
from workloads.evolution.state import PoolState
from workloads.jsonable import JsonObject
from workloads.storage.base import Storage
from workloads.storage.checkpoints import DatabaseCheckpoints
from workloads.storage.records import HallOfFameRow


class Leaderboard(Protocol):
    """Where stored strategies are ranked (:meth:`workloads.cache.redis.RedisCache.leaderboard_add`)."""

    def leaderboard_add(self, board: str, scores: dict[str, float]) -> None: ...


def hall_of_fame_row(entry: ScoredEntry) -> HallOfFameRow:
    """A scored hall-of-fame entry as storage keeps it: what the listing orders and filters by in columns, the rest
    (generation, the conservative DSR, ``n_eff``, the deflation's inputs, robustness) in ``details``."""
    robustness = asdict(entry.robustness)
    robustness["segment_sharpe"] = list(entry.robustness.segment_sharpe)
    return HallOfFameRow(
        strategy=entry.strategy,
        params=entry.params,
        fitness=entry.fitness,
        dsr=entry.dsr,
        train_metrics=entry.train,
        holdout_metrics=entry.holdout,
        promoted=entry.promoted,
        gate=tuple(entry.gate),
        details={
            "generation": entry.generation,
            "dsr_conservative": entry.dsr_conservative,
            "n_eff": entry.n_eff,
            "dsr_detail": asdict(entry.dsr_detail),
            "robustness": robustness,
        },
    )


def summary_document(summary: RunSummary) -> JsonObject:
    """What ``finish_run`` stores of a summary: everything but the hall of fame (its own rows) and the generations
    (recorded as they completed), floats as they are (the store keeps non-finite ones)."""
    document = summary.as_document()
    return {key: value for key, value in document.items() if key not in ("hall_of_fame", "generations")}


class RunRecorder(RunObserver):
    """Writes one run to ``storage``; ``symbol`` tags the run and its strategies (``/v1/signals``).
    ``strategy_ids``: the stored ids of the hall of fame, best first, once the run has ended."""

    def __init__(self, storage: Storage, symbol: str | None = None, leaderboard: Leaderboard | None = None) -> None:
        self.storage = storage
        self.symbol = symbol
        self.leaderboard = leaderboard
        self.checkpoints = DatabaseCheckpoints(storage)
        self.run_id: str | None = None
        self.strategy_ids: list[str] = []

    def on_start(self, state: PoolState, plan: Plan) -> None:
        """Create (or accept the resumed) run."""
        self.run_id = state.run_id
        config = dict(state.config.as_dict())
        if self.symbol:
            config["symbol"] = self.symbol
        self.storage.create_run(state.run_id, config, state.data_fingerprint)

    def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
        """Store one generation's stats."""
        if self.run_id is None:
            raise RuntimeError("RunRecorder.on_generation called before on_start")
        self.storage.record_generation(self.run_id, stats.generation, stats.as_json())

    def on_run_end(self, summary: RunSummary) -> None:
        """Store the hall of fame of ``summary`` (entries with ``promoted`` and ``gate``) and finish the run with the
        rest of it; scores the stored ids on the leaderboard when there is one."""
        rows = [hall_of_fame_row(entry) for entry in summary.hall_of_fame]
        self.strategy_ids = self.storage.save_hall_of_fame(summary.run_id, rows)
        self.storage.finish_run(summary.run_id, summary_document(summary))
        if self.leaderboard is not None:
            stored = [self.storage.get_strategy(strategy_id) for strategy_id in self.strategy_ids]
            self.leaderboard.leaderboard_add(
                self.symbol or "all",
                {s.id: s.fitness for s in stored if s is not None and s.fitness is not None},
            )
