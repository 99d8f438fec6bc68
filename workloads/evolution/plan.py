"""What a run searches, shared by the loop, the backends and the scoring: the walk-forward :class:`Span` and the
train/holdout :class:`Split` of the data, the :class:`Workload` every evaluation needs, the run's :class:`Plan`,
and :func:`evaluate_spans`, the one serial evaluation every backend reduces to.

The backends (:mod:`workloads.evolution.backends`, :mod:`workloads.evolution.process_pool`,
:mod:`workloads.evolution.ray_backend`) import these types from here and not from each other. Conventions: bar
indices are positions in the run's bars (``0`` the first bar), spans are half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workloads.data.bars import Bars
from workloads.kernels.metrics import N_METRICS
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import Seed


@dataclass(frozen=True)
class Span:
    """One walk-forward segment: evaluate on bars ``0 .. end - 1`` with ``trade_start = start``."""

    start: int
    end: int


@dataclass(frozen=True)
class Split:
    """Where the data is cut: ``n_train`` training bars (``0 .. n_train - 1``), the rest is holdout."""

    n_bars: int
    n_train: int
    spans: tuple[Span, ...]

    @property
    def n_holdout(self) -> int:
        return self.n_bars - self.n_train


@dataclass(frozen=True)
class Workload:
    """What every evaluation needs: the training bars (the only bars a backend ever receives), the walk-forward
    spans and the execution costs."""

    train: Bars
    spans: tuple[Span, ...]
    sim: SimConfig


@dataclass
class Plan:
    """What a run will search: the seeds, the seeds left out (name → why), the data cut and the workload the
    backends evaluate."""

    seeds: dict[str, Seed]
    skipped: dict[str, str]
    split: Split
    workload: Workload


def evaluate_spans(seed: Seed, workload: Workload, params: np.ndarray) -> np.ndarray:
    """``(n, len(spans), N_METRICS)`` metrics of ``params`` on each walk-forward span, in this process."""
    if params.shape[0] == 0:
        return np.empty((0, len(workload.spans), N_METRICS))
    spans = [(span.start, span.end) for span in workload.spans]
    return seed.evaluate_spans(workload.train, params, workload.sim, spans)
