"""One evolution run end to end: pick the ready seeds, cut train/holdout, build the backend, run (or resume) the
pool with a checkpoint after every generation, then score the hall of fame and write ``<runs_dir>/<run_id>/run.json``
(the summary plus the curves the report draws).

A run owns its data: its checkpoints record the symbol, the timestamp of the last bar it started on (its cut-off)
and the content hash of the bars up to it. A resumed run takes the bars it is given up to that cut-off and checks
the hash, so bars appended since the run started (an hourly fetch between a slot's start and its retry) do not
invalidate it: it continues on exactly the data it started with. A different symbol, bars missing or rewritten
within the cut-off, other seeds or another value of a configuration key the caller set are refused, naming which.

The summary (:class:`workloads.evolution.records.RunSummary`; its ``as_json()`` is what ``genepool evolve --json``
prints): ``run_id``, ``config``, ``data`` (fingerprint, bars,
train/holdout sizes), ``seeds``, ``skipped`` (seeds not ready, with the reason), ``generations`` (per-generation
stats per seed), ``trials`` (distinct genomes evaluated), ``n_eff`` (the effective number of independent trials),
``hall_of_fame`` (:class:`workloads.evolution.records.ScoredEntry` as JSON, best first: ``strategy, params,
fitness, generation, train, holdout, dsr, dsr_conservative, n_eff, promoted, gate, dsr_detail, robustness``),
``best_by_seed`` (:class:`~workloads.evolution.records.SeedBest` per seed) and ``verdict`` (``promoted``, ``line``).
Non-finite numbers are ``null``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from workloads.cache.base import FitnessCache
from workloads.data.bars import Bars
from workloads.evolution.backends import Backend, LocalBackend
from workloads.evolution.catalog import RUN_FILE
from workloads.evolution.checkpoints import (
    CheckpointStore,
    LocalDirectoryCheckpoints,
    state_from_bytes,
    state_to_bytes,
)
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import split_data
from workloads.evolution.observers import RunObserver
from workloads.evolution.plan import Plan, Workload
from workloads.evolution.pool import Pool
from workloads.evolution.records import BackendUse, RunSummary
from workloads.evolution.state import PoolState
from workloads.evolution.summary import (
    best_by_seed,
    deflation,
    gene_distributions,
    score_hall_of_fame,
    verdict,
)
from workloads.evolution.sweep import neighbourhood
from workloads.seeds.base import Seed
from workloads.seeds.readiness import assess
from workloads.seeds.registry import all_seeds
from workloads.tearsheet.paths import buy_and_hold, price


def new_run_id() -> str:
    """``run-YYYYmmdd-HHMMSS-xxxxxx`` (UTC time plus 6 random hex digits)."""
    return time.strftime("run-%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(3)


def plan_run(
    bars: Bars, config: EvolutionConfig, strategies: list[str] | None = None, registry: dict[str, Seed] | None = None
) -> Plan:
    """Ready seeds (on the training span) among ``strategies`` (default: all). Naming an unknown or unready seed,
    or leaving no seed to run, is a ``ValueError``."""
    registry = all_seeds() if registry is None else registry
    split = split_data(len(bars), config.holdout, config.segments)
    train = bars.slice(0, split.n_train)
    names = strategies or list(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"--strategies: unknown strategy {', '.join(unknown)}; known: {', '.join(registry)}")
    seeds, skipped = {}, {}
    for name in names:
        readiness = assess(registry[name], split.n_train, bars.has_funding)
        if readiness.ready:
            seeds[name] = registry[name]
        else:
            skipped[name] = f"not ready on the {split.n_train} training bars: {readiness.reason}"
    if strategies and skipped:
        raise ValueError("--strategies: " + "; ".join(f"{n} is {why}" for n, why in skipped.items()))
    if not seeds:
        raise ValueError(
            f"no strategy is ready on {split.n_train} training bars: "
            + "; ".join(f"{n}: {why}" for n, why in skipped.items())
        )
    return Plan(seeds, skipped, split, Workload(train, split.spans, config.sim_config(train.timestamp)))


def make_backend(name: str, plan: Plan, workers: int | None = None) -> Backend:
    """``local`` or ``ray`` (``workers`` actors, default 2)."""
    if name == "local":
        return LocalBackend(plan.workload, plan.seeds)
    if name == "ray":
        from workloads.evolution.ray_backend import RayBackend

        return RayBackend(plan.workload, sorted(plan.seeds), workers=workers or 2)
    raise ValueError(f"--backend {name!r}: must be local or ray")


def run_evolution(
    bars: Bars,
    config: EvolutionConfig,
    *,
    runs_dir: str | Path,
    run_id: str | None = None,
    resume: bool = False,
    strategies: list[str] | None = None,
    backend: str = "local",
    workers: int | None = None,
    cache: FitnessCache | None = None,
    checkpoints: CheckpointStore | None = None,
    observers: Sequence[RunObserver] = (),
    registry: dict[str, Seed] | None = None,
    requested: Mapping[str, Any] | None = None,
) -> RunSummary:
    """Run (or with ``resume`` continue) an evolution and return its summary (see the module doc).

    A new run checkpoints its initial state (generation ``-1``) before its first generation, then every generation.
    On resume the checkpoint's configuration and seeds are used and the data is the run's pinned data
    (:func:`pinned_bars`); ``strategies`` (when given) and ``requested`` (the configuration keys the caller set
    explicitly, e.g. on the command line) must agree with the run's, and ``config`` itself is otherwise ignored.
    ``observers`` (:mod:`workloads.evolution.observers`) are told of the start, each generation and the end."""
    runs_dir = Path(runs_dir)
    checkpoints = checkpoints or LocalDirectoryCheckpoints(runs_dir)
    state = resumed_state(checkpoints, runs_dir, run_id, strategies, requested) if resume else None
    if state is not None:
        bars = pinned_bars(state, bars)
        config, strategies = state.config, state.seed_names
    run_id = run_id or new_run_id()
    if state is None and checkpoints.load_latest(run_id) is not None:
        raise ValueError(f"--run-id {run_id}: a run with this id already exists (use --resume {run_id})")
    plan = plan_run(bars, config, strategies, registry)
    evaluator = make_backend(backend, plan, workers)
    try:
        pool = Pool(plan.seeds, config, evaluator, cache)
        fresh = state is None
        if state is None:
            state = pool.new_state(run_id, bars.fingerprint(), plan.workload.train.fingerprint())
            state.symbol = bars.symbol
            state.data_end = int(bars.timestamp[-1])
        for observer in observers:
            observer.on_start(state, plan)
        if fresh:
            checkpoints.save(run_id, state.generation, state_to_bytes(state))
        started = time.perf_counter()
        pool.run(state, checkpoints, observers)
        seconds = time.perf_counter() - started
    finally:
        evaluator.close()
    summary, curves = summarize(state, plan, bars)
    summary = replace(summary, backend=BackendUse(evaluator.name, evaluator.workers, seconds, pool.eval_seconds))
    write_run_file(runs_dir, run_id, summary, curves, plan, state, bars)
    for observer in observers:
        observer.on_run_end(summary)
    return summary


def resumed_state(
    checkpoints: CheckpointStore,
    runs_dir: Path,
    run_id: str | None,
    strategies: list[str] | None,
    requested: Mapping[str, Any] | None,
) -> PoolState:
    """The state of run ``run_id`` at its latest checkpoint, checked against the request
    (:func:`check_resume_request`)."""
    if not run_id:
        raise ValueError("--resume needs a run id")
    latest = checkpoints.load_latest(run_id)
    if latest is None:
        raise ValueError(f"--resume {run_id}: no checkpoint found for this run under {runs_dir}")
    state = state_from_bytes(latest[1])
    check_resume_request(state, strategies, requested or {})
    return state


def check_resume_request(state: PoolState, strategies: list[str] | None, requested: Mapping[str, Any]) -> None:
    """Refuse to resume ``state`` for a request that names another run: other seeds, or a configuration key set
    to another value than the run's. The message says which, with both values."""
    if strategies is not None and sorted(strategies) != sorted(state.seed_names):
        raise ValueError(
            f"--resume {state.run_id}: the run evolves {', '.join(state.seed_names)}, "
            f"not {', '.join(strategies)} (--strategies)"
        )
    run_config = state.config.as_dict()
    differing = [
        f"{key} {value!r} (the run's is {run_config[key]!r})"
        for key, value in requested.items()
        if key in run_config and value is not None and value != run_config[key]
    ]
    if differing:
        raise ValueError(f"--resume {state.run_id}: the configuration differs from the run's: " + "; ".join(differing))


def pinned_bars(state: PoolState, bars: Bars) -> Bars:
    """The bars a resumed run continues on: ``bars`` cut at the run's pin (its last bar's timestamp), which must be
    the very data the run started on (same symbol, same content hash). Bars that arrived after the run started
    are ignored; a different symbol, missing bars or rewritten bars within the pin are refused, saying which."""
    where = f"--resume {state.run_id}"
    if state.symbol and bars.symbol != state.symbol:
        raise ValueError(f"{where}: the run evolves symbol {state.symbol!r}, the data given is {bars.symbol!r}")
    if state.data_end is not None:
        end = int(np.searchsorted(bars.timestamp, state.data_end, side="right"))
        bars = bars.slice(0, end)
        last = int(bars.timestamp[-1]) if len(bars) else None
        if last != state.data_end:
            raise ValueError(
                f"{where}: the data has no bar at the run's cut-off {_iso(state.data_end)} "
                f"(its last bar up to then is {_iso(last) if last is not None else 'none'}): bars are missing"
            )
    fingerprint = bars.fingerprint()
    if fingerprint != state.data_fingerprint:
        span = f"up to the run's cut-off {_iso(state.data_end)} " if state.data_end is not None else ""
        raise ValueError(
            f"{where}: the data differs from the run's: the bars {span}were rewritten (fingerprint "
            f"{fingerprint} != {state.data_fingerprint})"
        )
    return bars


def _iso(timestamp_ns: int) -> str:
    return datetime.fromtimestamp(timestamp_ns / 1e9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summarize(state: PoolState, plan: Plan, bars: Bars) -> tuple[RunSummary, list[dict[str, Any]]]:
    """``(summary, equity curves of the top entries)``."""
    basis = deflation(state, plan.seeds, plan.workload)
    entries, curves = score_hall_of_fame(state, plan.seeds, bars, plan.split, plan.workload, basis)
    bests = best_by_seed(state, plan.seeds, bars, plan.split, plan.workload, basis)
    return RunSummary(
        run_id=state.run_id,
        config=state.config,
        data={
            "fingerprint": state.data_fingerprint,
            "symbol": bars.symbol,
            "source": bars.source,
            "bars": plan.split.n_bars,
            "train_bars": plan.split.n_train,
            "holdout_bars": plan.split.n_holdout,
            "segments": [[s.start, s.end] for s in plan.split.spans],
            "bars_per_year": plan.workload.sim.bars_per_year,
        },
        seeds=tuple(state.seed_names),
        skipped=dict(plan.skipped),
        trials=state.n_trials,
        n_eff=basis.n_eff,
        generations=tuple(state.history),
        hall_of_fame=tuple(entries),
        best_by_seed=bests,
        verdict=verdict(entries, bests),
    ), curves


def write_run_file(
    runs_dir: Path,
    run_id: str,
    summary: RunSummary,
    curves: list[dict[str, Any]],
    plan: Plan,
    state: PoolState,
    bars: Bars,
) -> Path:
    """``<runs_dir>/<run_id>/run.json``: the summary, when it was written (``finished_at``, ISO 8601 UTC), plus what
    the report draws: the top entries' tear-sheet paths (``curves``), the price, buy-and-hold over all bars and the
    final populations' gene distributions."""
    document = dict(
        summary.as_json(),
        finished_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        report={
            "curves": curves,
            "price": price(bars),
            "buy_and_hold": buy_and_hold(bars),
            "genes": gene_distributions(state, plan.seeds),
            "sensitivity": _sensitivity(state, plan),
        },
    )
    path = runs_dir / run_id / RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, allow_nan=False, default=_json_default))
    return path


def _sensitivity(state: PoolState, plan: Plan) -> dict[str, Any] | None:
    """The training Sharpe around the best hall-of-fame entry (``evolution.sweep.neighbourhood``), or ``None``."""
    if not state.hall_of_fame.entries:
        return None
    best = state.hall_of_fame.entries[0]
    row = np.asarray(best.params, dtype=np.float64)
    grid = neighbourhood(
        plan.seeds[best.strategy], row, plan.workload.train, plan.workload.sim, state.config.robust_step
    )
    return None if grid is None else {"label": f"#1 {best.strategy}", **asdict(grid)}


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_run_file(runs_dir: str | Path, run_id: str) -> dict[str, Any]:
    path = Path(runs_dir) / run_id / RUN_FILE
    if not path.is_file():
        raise ValueError(f"run {run_id!r}: no {RUN_FILE} under {Path(runs_dir) / run_id} (finished runs only)")
    document: dict[str, Any] = json.loads(path.read_text())
    return document
