"""Checkpoints: the payload format of a run's state (:func:`state_to_bytes` / :func:`state_from_bytes`) and the
stores that keep the payloads (``save(run_id, generation, payload)`` and ``load_latest(run_id)``).

The payload is UTF-8 JSON of format :data:`CHECKPOINT_FORMAT`: the run's identity, configuration and data pin, the
last completed generation, the budgets, each seed's population (unit genomes, parameters, fitness, Sharpe, best
history, NSGA-II objectives as nested lists), the hall of fame, the trial sample, the distinct trials (sorted cache
keys), the running Sharpe statistics and the per-generation stats. Floats round-trip exactly (``json`` writes the
shortest repr), so a resumed run continues bit for bit.

The evolution writes one checkpoint when a new run starts (generation ``-1``: the initial state, so a run stopped
before its first generation completes is resumable too) and one after every generation. A store only moves bytes.
:class:`LocalDirectoryCheckpoints` keeps them as files
``<root>/<run_id>/checkpoints/gen-<generation:05d>.ckpt``, written atomically (temporary file, fsync, rename), so a
run killed at any instant leaves either the previous checkpoint or the new one, never a torn file. The database
store is ``workloads.storage.checkpoints.DatabaseCheckpoints`` (same two methods; the run recorder,
:mod:`workloads.evolution.recorder`, hands it out).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from workloads.evolution.config import EvolutionConfig
from workloads.evolution.records import GenerationStats
from workloads.evolution.state import PoolState, SubPopulation

CHECKPOINT_FORMAT = 2
_CHECKPOINT = re.compile(r"^gen-(-?\d{4,})\.ckpt$")


def state_to_bytes(state: PoolState) -> bytes:
    """The checkpoint payload of ``state`` (see the module doc)."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "run_id": state.run_id,
        "config": state.config.as_dict(),
        "seed_names": state.seed_names,
        "data_fingerprint": state.data_fingerprint,
        "train_fingerprint": state.train_fingerprint,
        "symbol": state.symbol,
        "data_end": state.data_end,
        "generation": state.generation,
        "budgets": state.budgets,
        "populations": {name: _population_to_json(p) for name, p in state.populations.items()},
        "hall_of_fame": state.hall_of_fame.to_dict(),
        "trial_sample": state.trial_sample.to_list(),
        "evaluated": sorted(state.evaluated),
        "trial_stats": state.trial_stats,
        "history": [g.as_json() for g in state.history],
    }
    return json.dumps(payload).encode()


def state_from_bytes(payload: bytes) -> PoolState:
    """The state a checkpoint payload holds; a payload of another format is a ``ValueError``."""
    data = json.loads(payload)
    if data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint format {data.get('format')!r} is not {CHECKPOINT_FORMAT}")
    state = PoolState(
        run_id=data["run_id"],
        config=EvolutionConfig(**data["config"]),
        seed_names=data["seed_names"],
        data_fingerprint=data["data_fingerprint"],
        train_fingerprint=data["train_fingerprint"],
        symbol=data.get("symbol", ""),
        data_end=data.get("data_end"),
        generation=data["generation"],
        budgets={k: int(v) for k, v in data["budgets"].items()},
        populations={name: _population_from_json(p) for name, p in data["populations"].items()},
        evaluated=set(data["evaluated"]),
        trial_stats=list(data["trial_stats"]),
        history=[GenerationStats.from_json(g) for g in data["history"]],
    )
    state.hall_of_fame.restore(data["hall_of_fame"])
    state.trial_sample.restore(data["trial_sample"])
    return state


def _population_to_json(population: SubPopulation) -> dict[str, Any]:
    return {
        "genomes": population.genomes.tolist(),
        "params": population.params.tolist(),
        "fitness": population.fitness.tolist(),
        "sharpe": population.sharpe.tolist(),
        "best_history": population.best_history,
        "objectives": population.objectives.tolist(),
    }


def _population_from_json(data: dict[str, Any]) -> SubPopulation:
    """One seed's population; ``objectives`` are NaN in payloads written before they were kept."""
    params = np.asarray(data["params"], dtype=np.float64)
    width = params.shape[1] if params.ndim == 2 else 0
    genomes = np.asarray(data["genomes"], dtype=np.float64)
    return SubPopulation(
        genomes.reshape(-1, width) if width else genomes,
        params,
        np.asarray(data["fitness"], float),
        np.asarray(data["sharpe"], float),
        list(data["best_history"]),
        np.asarray(data.get("objectives", np.full((params.shape[0], 3), np.nan)), float).reshape(-1, 3),
    )


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
