"""The finished runs of a runs directory (``<runs_dir>/<run_id>/run.json``): listed, summarised, and looked up by id
or as ``latest`` (docs/cli.md#browsing-runs).

A run is *finished* when its ``run.json`` exists (written once, at the end); a directory with checkpoints only is a
run still going or stopped, resumable with ``genepool evolve --resume``, and is not listed. ``latest`` is the
finished run with the newest ``finished_at`` (for a ``run.json`` written before that field existed: the file's
modification time). Reading never creates anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workloads.storage.base import check_run_id

RUN_FILE = "run.json"
LATEST = "latest"
"""The name that stands for the newest finished run wherever a run id is accepted."""


@dataclass(frozen=True)
class RunRecord:
    """One finished run at a glance. ``finished_at`` is ISO 8601 UTC; ``duration_seconds`` the wall time of its
    generations; ``best_*`` describe hall-of-fame entry #1 (``None`` with an empty hall of fame); ``promoted`` counts
    the promoted entries."""

    run_id: str
    finished_at: str
    data: str
    data_fingerprint: str
    bars: int
    seeds: tuple[str, ...]
    random_seed: int | None
    trials: int
    promoted: int
    best_strategy: str | None
    best_holdout_sharpe: float | None
    best_holdout_return: float | None
    duration_seconds: float | None
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seeds"] = list(self.seeds)
        return out


def run_file(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / run_id / RUN_FILE


def read_run(path: Path) -> dict[str, Any]:
    """A ``run.json`` document (a file that is not a JSON object is a ``ValueError`` naming it)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a run file written by genepool evolve ({exc})") from None
    if not isinstance(document, dict) or "run_id" not in document:
        raise ValueError(f"{path}: not a run file written by genepool evolve (no run_id)")
    return document


def _finished_at(document: dict[str, Any], path: Path) -> str:
    stamp = document.get("finished_at")
    if isinstance(stamp, str):
        return stamp
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(document: dict[str, Any], path: Path) -> RunRecord:
    """The at-a-glance summary of one run document read from ``path``."""
    entries = document.get("hall_of_fame") or []
    best = entries[0] if entries else None
    holdout = (best or {}).get("holdout") or {}
    data = document.get("data") or {}
    backend = document.get("backend") or {}
    return RunRecord(
        run_id=document["run_id"],
        finished_at=_finished_at(document, path),
        data=str(data.get("source") or data.get("symbol") or "—"),
        data_fingerprint=str(data.get("fingerprint", "—")),
        bars=int(data.get("bars", 0)),
        seeds=tuple(document.get("seeds") or ()),
        random_seed=(document.get("config") or {}).get("random_seed"),
        trials=int(document.get("trials", 0)),
        promoted=sum(1 for entry in entries if entry.get("promoted")),
        best_strategy=best["strategy"] if best else None,
        best_holdout_sharpe=holdout.get("sharpe"),
        best_holdout_return=holdout.get("total_return"),
        duration_seconds=backend.get("seconds"),
        verdict=str((document.get("verdict") or {}).get("line", "")),
    )


def list_runs(runs_dir: Path) -> list[tuple[RunRecord, dict[str, Any]]]:
    """Every finished run under ``runs_dir`` with its document, newest first (none when the directory is absent)."""
    if not runs_dir.is_dir():
        return []
    found = []
    for path in sorted(runs_dir.glob(f"*/{RUN_FILE}")):
        document = read_run(path)
        found.append((record(document, path), document))
    found.sort(key=lambda pair: (pair[0].finished_at, pair[0].run_id), reverse=True)
    return found


def resolve_run_id(runs_dir: Path, name: str) -> str:
    """The run id ``name`` stands for: ``latest`` → the newest finished run; any other name must be a valid run id
    of a finished run under ``runs_dir``. Raises ``ValueError`` saying what is missing and where it looked."""
    if name == LATEST:
        runs = list_runs(runs_dir)
        if not runs:
            raise ValueError(f"latest: no finished run under {runs_dir} yet (run `genepool evolve` or `genepool demo`)")
        return runs[0][0].run_id
    check_run_id(name)
    if not run_file(runs_dir, name).is_file():
        raise ValueError(f"run {name!r}: no {RUN_FILE} under {runs_dir / name} (finished runs only)")
    return name


def load_run(runs_dir: Path, name: str) -> dict[str, Any]:
    """The document of the run ``name`` (an id or ``latest``) under ``runs_dir``."""
    return read_run(run_file(runs_dir, resolve_run_id(runs_dir, name)))


def config_differences(documents: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The configuration keys whose values differ between ``documents`` (in their order), with every run's value."""
    configs = [document.get("config") or {} for document in documents]
    keys = sorted(set().union(*configs))
    return {
        key: [config.get(key) for config in configs]
        for key in keys
        if len({json.dumps(config.get(key), sort_keys=True) for config in configs}) > 1
    }
