"""Checkpoint stores: ``save(run_id, generation, payload)`` and ``load_latest(run_id)``.

The evolution writes one checkpoint when a new run starts (generation ``-1``: the initial state, so a run stopped
before its first generation completes is resumable too) and one after every generation. A store only moves bytes;
the payload format belongs to :mod:`workloads.evolution.pool`. :class:`LocalDirectoryCheckpoints` keeps them as files
``<root>/<run_id>/checkpoints/gen-<generation:05d>.ckpt``, written atomically (temporary file, fsync, rename), so a
run killed at any instant leaves either the previous checkpoint or the new one, never a torn file. The database
store is ``workloads.storage.checkpoints.DatabaseCheckpoints`` (same two methods).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

_CHECKPOINT = re.compile(r"^gen-(-?\d{4,})\.ckpt$")


class CheckpointStore(Protocol):
    def save(self, run_id: str, generation: int, payload: bytes) -> None: ...

    def load_latest(self, run_id: str) -> tuple[int, bytes] | None: ...


class LocalDirectoryCheckpoints:
    """Checkpoints as files under ``root`` (see the module doc)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def directory(self, run_id: str) -> Path:
        return self.root / run_id / "checkpoints"

    def save(self, run_id: str, generation: int, payload: bytes) -> None:
        folder = self.directory(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"gen-{generation:05d}.ckpt"
        temporary = folder / f".{final.name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)

    def load_latest(self, run_id: str) -> tuple[int, bytes] | None:
        folder = self.directory(run_id)
        if not folder.is_dir():
            return None
        found = [(int(m.group(1)), path) for path in folder.iterdir() if (m := _CHECKPOINT.match(path.name))]
        if not found:
            return None
        generation, path = max(found)
        return generation, path.read_bytes()
