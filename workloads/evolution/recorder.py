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

from typing import Protocol

from workloads.evolution.observers import RunObserver
from workloads.evolution.plan import Plan
from workloads.evolution.records import GenerationStats, RunSummary
from workloads.evolution.state import PoolState
from workloads.storage.base import Storage
from workloads.storage.checkpoints import DatabaseCheckpoints


class Leaderboard(Protocol):
    """Where stored strategies are ranked (:meth:`workloads.cache.redis.RedisCache.leaderboard_add`)."""

    def leaderboard_add(self, board: str, scores: dict[str, float]) -> None: ...


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
        document = summary.as_json()
        run_id = document["run_id"]
        self.strategy_ids = self.storage.save_hall_of_fame(run_id, document["hall_of_fame"])
        rest = {key: value for key, value in document.items() if key not in ("hall_of_fame", "generations")}
        self.storage.finish_run(run_id, rest)
        if self.leaderboard is not None:
            stored = [self.storage.get_strategy(strategy_id) for strategy_id in self.strategy_ids]
            self.leaderboard.leaderboard_add(
                self.symbol or "all",
                {s["id"]: s["fitness"] for s in stored if s is not None and s["fitness"] is not None},
            )
