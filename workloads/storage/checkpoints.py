"""The evolution's checkpoint store (``save`` / ``load_latest``, see :mod:`workloads.evolution.checkpoints`) on the
database, so ``--resume`` works from PostgreSQL or DuckDB. The run must exist (:meth:`Storage.create_run`)."""

from __future__ import annotations

from workloads.storage.base import Storage


class DatabaseCheckpoints:
    """Checkpoints in the ``checkpoints`` table (the last three generations of each run are kept)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def save(self, run_id: str, generation: int, payload: bytes) -> None:
        self.storage.save_checkpoint(run_id, generation, payload)

    def load_latest(self, run_id: str) -> tuple[int, bytes] | None:
        return self.storage.load_checkpoint(run_id)
