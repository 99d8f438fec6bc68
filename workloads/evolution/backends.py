"""Evaluation backends: where a population's walk-forward metrics are computed.

A backend evaluates ``(n, g)`` parameter rows of one seed over the search's walk-forward spans and returns
``(n, len(spans), N_METRICS)`` metrics, row ``i`` belonging to parameter row ``i``. Every individual is evaluated
independently of the others, so the result does not depend on how rows are chunked or which worker ran them: the
same rows give bit-identical metrics on any backend and any worker count.

- :class:`LocalBackend`: in-process, the seeds' Numba kernels (``prange`` threads over individuals); the ML seeds,
  whose scikit-learn fits hold the GIL, in a pool of worker processes instead (:mod:`workloads.evolution.process_pool`).
- :class:`workloads.evolution.ray_backend.RayBackend`: a fixed pool of Ray actors holding the bars once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from workloads.evolution.plan import Workload, evaluate_spans
from workloads.evolution.process_pool import ProcessPool, wants_processes
from workloads.seeds.base import Seed


class Backend(Protocol):
    """An evaluation backend (see the module doc)."""

    name: str
    workers: int

    def evaluate(self, seed_name: str, params: np.ndarray) -> np.ndarray:
        """``(n, len(spans), N_METRICS)`` metrics of ``(n, g)`` parameters of seed ``seed_name``."""
        ...

    def close(self) -> None: ...


class LocalBackend:
    """In-process evaluation with the seeds' Numba kernels (threads: ``NUMBA_NUM_THREADS``). The ML seeds
    (:func:`wants_processes`: scikit-learn fits, which hold the GIL) go to a :class:`ProcessPool` of as many
    processes as Numba has threads, started on first use and stopped by :meth:`close`; with one thread they run
    in-process too."""

    name = "local"

    def __init__(self, workload: Workload, seeds: Mapping[str, Seed]) -> None:
        import numba

        self.workload = workload
        self.seeds = dict(seeds)
        self.workers = int(numba.get_num_threads())
        self.processes = ProcessPool(self.workers)

    def evaluate(self, seed_name: str, params: np.ndarray) -> np.ndarray:
        seed = self.seeds[seed_name]
        params = np.ascontiguousarray(params, dtype=np.float64)
        if wants_processes(seed):
            return self.processes.evaluate_spans(
                seed, self.workload.train, self.workload.spans, self.workload.sim, params
            )
        return evaluate_spans(seed, self.workload, params)

    def close(self) -> None:
        self.processes.close()
