"""Recording an evolution run in the database: plug :class:`RunRecorder` into
``workloads.evolution.run.run_evolution``::

    recorder = RunRecorder(storage, symbol="BTC")
    summary = run_evolution(bars, config, runs_dir=..., checkpoints=recorder.checkpoints,
                            on_start=recorder.on_start, on_generation=recorder.on_generation, ...)
    recorder.finish(summary)

``on_start`` creates the run (a resumed run with the same config and data is accepted as is), each generation's
stats are stored as they complete, checkpoints go to the ``checkpoints`` table (so ``--resume`` works from the
database), and ``finish`` stores the hall of fame and marks the run finished with the rest of the summary. Given a
``leaderboard`` (a :class:`~workloads.cache.redis.RedisCache`), ``finish`` also scores the stored strategy ids on
the sorted set of the symbol (``genepool:leaderboard:<symbol>``, ``all`` without one) by fitness.
"""

from __future__ import annotations

from typing import Any

from workloads.storage.base import Storage
from workloads.storage.checkpoints import DatabaseCheckpoints


class RunRecorder:
    """Callbacks writing one run to ``storage``; ``symbol`` tags the run and its strategies (``/v1/signals``)."""

    def __init__(self, storage: Storage, symbol: str | None = None, leaderboard: Any = None) -> None:
        self.storage = storage
        self.symbol = symbol
        self.leaderboard = leaderboard
        self.checkpoints = DatabaseCheckpoints(storage)
        self.run_id: str | None = None

    def on_start(self, state: Any, plan: Any) -> None:
        """Create (or accept the resumed) run: ``state`` is the evolution's ``PoolState``."""
        self.run_id = state.run_id
        config = dict(state.config.as_dict())
        if self.symbol:
            config["symbol"] = self.symbol
        self.storage.create_run(state.run_id, config, state.data_fingerprint)

    def on_generation(self, report: Any) -> None:
        """Store one ``GenerationReport``'s stats."""
        if self.run_id is None:
            raise RuntimeError("RunRecorder.on_generation called before on_start")
        self.storage.record_generation(self.run_id, report.generation, report.stats.as_json())

    def finish(self, summary: Any) -> list[str]:
        """Store the hall of fame of ``summary`` (a ``RunSummary``: entries with ``promoted`` and ``gate``) and
        finish the run with the rest of it; returns the stored strategy ids, best first."""
        document = summary.as_json()
        run_id = document["run_id"]
        ids = self.storage.save_hall_of_fame(run_id, document["hall_of_fame"])
        rest = {key: value for key, value in document.items() if key not in ("hall_of_fame", "generations")}
        self.storage.finish_run(run_id, rest)
        if self.leaderboard is not None:
            stored = [self.storage.get_strategy(strategy_id) for strategy_id in ids]
            self.leaderboard.leaderboard_add(
                self.symbol or "all",
                {s["id"]: s["fitness"] for s in stored if s is not None and s["fitness"] is not None},
            )
        return ids
