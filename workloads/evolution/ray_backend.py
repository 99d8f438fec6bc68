"""The Ray backend: a fixed pool of actors that hold the training bars once and keep the kernels compiled.

- The bars go into the object store once (``ray.put``); every actor receives the same reference.
- Each actor compiles (or loads from Numba's cache) the kernels of the run's seeds once, when it starts
  (:meth:`_Evaluator.warm`), and limits Numba to ``threads_per_actor`` threads so actors do not oversubscribe cores.
- A population is split into contiguous chunks, one per actor (EvoTorch-style), not one task per genome.
- An actor that dies mid-generation (spot reclaim, OOM kill) is replaced by a fresh one and its chunk is re-run; the
  results are assembled by chunk position, so nothing is lost or counted twice and the answer is the same. When a
  whole node is lost, Ray reports its actors dead seconds before it declares the node dead, and may place a
  replacement on that node meanwhile: a replacement lost while it starts counts as another attempt and is replaced
  in turn (at most ``max_retries`` attempts per chunk and generation).

The cluster is ``RAY_ADDRESS`` if set, else the ``ray_address`` setting (stack output / ``GENEPOOL_RAY_ADDRESS``),
else a local Ray started (and stopped) by this backend with ``workers`` CPUs — always a private one
(``address="local"``), never a cluster that ``ray start`` once left in Ray's temp directory on this machine.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from workloads.evolution.plan import Workload, evaluate_spans
from workloads.kernels.metrics import N_METRICS
from workloads.metrics import WORKER_FAILURES

log = logging.getLogger(__name__)


class _Evaluator:
    """One Ray actor: the workload (bars dereferenced from the object store) and the seed registry."""

    def __init__(self, workload: Workload, threads: int) -> None:
        import numba

        from workloads.seeds.registry import all_seeds

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        self.workload = workload
        self.seeds = all_seeds()

    def warm(self, seed_names: list[str]) -> int:
        """Compile each seed's kernel on a tiny input; returns this actor's process id."""
        for name in seed_names:
            seed = self.seeds[name]
            span = self.workload.spans[-1]
            seed.evaluate(
                self.workload.train.slice(0, span.end), seed.genes.defaults()[None, :], self.workload.sim, span.start
            )
        return os.getpid()

    def evaluate(self, seed_name: str, params: np.ndarray) -> np.ndarray:
        # Arrays arriving through Ray are read-only; a writable copy keeps the kernels' compiled signature.
        return evaluate_spans(self.seeds[seed_name], self.workload, np.array(params, dtype=np.float64))


def ray_address() -> str | None:
    """The cluster to join: ``RAY_ADDRESS``, else the ``ray_address`` setting, else ``None`` (a local Ray)."""
    address = os.environ.get("RAY_ADDRESS")
    if address:
        return address
    from workloads.settings import load_settings

    return load_settings().ray_address


class RayBackend:
    """A fixed pool of ``workers`` evaluator actors (see the module doc)."""

    name = "ray"

    def __init__(
        self,
        workload: Workload,
        seed_names: list[str],
        workers: int = 2,
        threads_per_actor: int = 1,
        max_retries: int = 3,
    ) -> None:
        import ray

        self._ray = ray
        self.workers = int(workers)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.max_retries = max_retries
        self.replaced = 0
        self._started_ray = False
        if not ray.is_initialized():
            address = ray_address()
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(
                    address="local",
                    num_cpus=self.workers,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
                self._started_ray = True
        self._seed_names = list(seed_names)
        self._threads = threads_per_actor
        self._n_spans = len(workload.spans)
        self._workload_ref = ray.put(workload)
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(_Evaluator)
        self.actors: list[Any] = [self._new_actor() for _ in range(self.workers)]
        self.pids: list[int] = ray.get([actor.warm.remote(self._seed_names) for actor in self.actors])

    def _new_actor(self) -> Any:
        return self._actor_class.remote(self._workload_ref, self._threads)

    def _replace(self, index: int) -> None:
        """Replace lost actor ``index`` by a fresh one, warmed; a ``RayActorError`` if the fresh one is lost too."""
        self._ray.kill(self.actors[index], no_restart=True)
        self.replaced += 1
        WORKER_FAILURES.labels(backend=self.name).inc()
        self.actors[index] = self._new_actor()
        self.pids[index] = self._ray.get(self.actors[index].warm.remote(self._seed_names))

    def _rerun(self, index: int, seed_name: str, chunk: np.ndarray, attempts: dict[int, int], error: Exception) -> Any:
        """Re-submit ``chunk`` to a replacement of lost actor ``index`` (see the module doc); ``attempts`` counts the
        chunk's losses, a ``RuntimeError`` once they exceed ``max_retries``."""
        from ray.exceptions import RayActorError, WorkerCrashedError

        while True:
            attempts[index] += 1
            if attempts[index] > self.max_retries:
                raise RuntimeError(f"ray actor {index} failed {attempts[index]} times on {seed_name}") from error
            log.warning(
                "ray actor %d lost mid-generation (%s); replacing it and re-running its chunk",
                index,
                type(error).__name__,
            )
            try:
                self._replace(index)
            except (RayActorError, WorkerCrashedError) as exc:
                error = exc
                continue
            return self.actors[index].evaluate.remote(seed_name, chunk)

    def evaluate(self, seed_name: str, params: np.ndarray) -> np.ndarray:
        from ray.exceptions import RayActorError, WorkerCrashedError

        params = np.ascontiguousarray(params, dtype=np.float64)
        chunks = [c for c in np.array_split(np.arange(params.shape[0]), self.workers) if c.size]
        refs = {i: self.actors[i].evaluate.remote(seed_name, params[c]) for i, c in enumerate(chunks)}
        results: dict[int, np.ndarray] = {}
        attempts = dict.fromkeys(refs, 0)
        while refs:
            for i, ref in list(refs.items()):
                try:
                    results[i] = self._ray.get(ref)
                    del refs[i]
                except (RayActorError, WorkerCrashedError) as exc:
                    refs[i] = self._rerun(i, seed_name, params[chunks[i]], attempts, exc)
        if not chunks:
            return np.empty((0, self._n_spans, N_METRICS))
        return np.concatenate([results[i] for i in range(len(chunks))], axis=0)

    def close(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor, no_restart=True)
        self.actors = []
        if self._started_ray:
            self._ray.shutdown()
