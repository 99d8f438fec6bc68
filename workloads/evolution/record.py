"""Recording a run in the database (``workloads.storage``): the run row, one row per generation, and at the end the
hall of fame (what ``genepool serve`` lists) and the summary.

A database that fails while a run is going on does not stop the search (the checkpoints hold its state): the
failure is logged and counted by the storage layer's ``genepool_storage_errors_total``. Creating the run and the
final write of the hall of fame do raise: a run that cannot be recorded at all is reported as failed.
"""

from __future__ import annotations

import logging
from typing import Any

from workloads.evolution.pool import GenerationReport, PoolState
from workloads.storage import Storage, StorageError

log = logging.getLogger(__name__)


def run_record_config(state: PoolState, symbol: str) -> dict[str, Any]:
    """The ``config`` stored with the run (the evolution config, the seeds and the symbol)."""
    return dict(state.config.as_dict(), seeds=state.seed_names, symbol=symbol or None)


class RunRecorder:
    """Writes a run's progress to ``storage``."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.run_id: str | None = None

    def start(self, state: PoolState, symbol: str) -> None:
        self.run_id = state.run_id
        self.storage.create_run(state.run_id, run_record_config(state, symbol), state.data_fingerprint)

    def generation(self, report: GenerationReport) -> None:
        try:
            self.storage.record_generation(self.run_id, report.generation, report.stats)
        except StorageError as exc:
            log.warning("could not record generation %d of run %s: %s", report.generation, self.run_id, exc)

    def finish(self, summary: dict[str, Any]) -> list[str]:
        """Store the hall of fame and the summary; returns the strategy ids in rank order."""
        ids = self.storage.save_hall_of_fame(summary["run_id"], summary["hall_of_fame"])
        self.storage.finish_run(summary["run_id"], {k: v for k, v in summary.items() if k != "generations"})
        return ids
