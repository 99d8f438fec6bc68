"""Observers of a run: what watches the loop without being part of it (metrics, progress, the database record).

The caller registers them (:func:`workloads.evolution.run.run_evolution`'s ``observers``); the run calls each, in
the order given, at three points:

- :meth:`RunObserver.on_start` once the state is ready (new or resumed) and before the initial checkpoint;
- :meth:`RunObserver.on_generation` after each generation, once its checkpoint is saved;
- :meth:`RunObserver.on_run_end` with the scored summary, once ``run.json`` is written.

An observer that raises stops the run there (the last checkpoint is kept, so the run can be resumed).
:class:`PrometheusMetrics` is the metrics observer; the database recorder is
:class:`workloads.evolution.recorder.RunRecorder`, the command line's progress display lives in
:mod:`workloads.cli.evolve`.
"""

from __future__ import annotations

import time
from typing import Protocol

from workloads.evolution.plan import Plan
from workloads.evolution.records import GenerationStats, RunSummary
from workloads.evolution.state import PoolState
from workloads.metrics import BEST_FITNESS, GENERATIONS, LAST_GENERATION, PROMOTIONS


class RunObserver(Protocol):
    """Called by the run at its start, after each generation and at its end (see the module doc). Subclass it to
    inherit the methods an observer does not need as no-ops (they return ``None``, so they are not abstract)."""

    def on_start(self, state: PoolState, plan: Plan) -> None:
        """``state`` as the run starts (``state.generation``: the last one completed, ``-1`` for a new run)."""
        return None

    def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
        """``stats`` of the generation just completed and checkpointed; ``state`` after it."""
        return None

    def on_run_end(self, summary: RunSummary) -> None:
        """The finished run's summary."""
        return None


class PrometheusMetrics(RunObserver):
    """The run's Prometheus metrics (:mod:`workloads.metrics`): per generation, each seed's generation count and
    best fitness so far and the time of the last generation; at the end, the promoted hall-of-fame entries per
    seed. The per-batch evaluation metrics are counted where the backend is called
    (:meth:`workloads.evolution.pool.Pool.evaluate_params`)."""

    def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
        for name in stats.seeds:
            GENERATIONS.labels(strategy=name).inc()
            BEST_FITNESS.labels(strategy=name).set(state.populations[name].best_history[-1])
        LAST_GENERATION.set(time.time())

    def on_run_end(self, summary: RunSummary) -> None:
        for entry in summary.hall_of_fame:
            if entry.promoted:
                PROMOTIONS.labels(strategy=entry.strategy).inc()
