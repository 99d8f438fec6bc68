"""The searches the search bench compares, over one seed's unit box, each as a stepper of one batch at a time.

Every method evaluates through the same :class:`TracingPool` (canonical genomes, fitness cache, trial count, the
search's fitness), which logs each evaluated row's cache key and fitness in order; a method's **trace** is the
fitness of its distinct genomes in the order first evaluated, so "the best after ``B`` evaluations" is the maximum
of the trace's first ``B`` entries — the same for a run stopped at ``B`` and for the prefix of a longer run, since
no method's early batches depend on how long it will run.

- ``ga``: the pool (:class:`workloads.evolution.pool.Pool`) over the one seed, one generation per step;
- ``random``: ``batch`` uniform genomes per step;
- ``tpe``, ``tpe-mv``, ``cmaes``: an Optuna study over the unit genes with ``TPESampler(multivariate=False)``
  (independent), ``TPESampler(multivariate=True)`` and ``CmaEsSampler``, asked ``batch`` trials per step and told
  their fitness. ``multivariate`` is always given: since Optuna 5 it defaults to true for one objective.

A batch's genomes go through the kernels in one call whatever the method, so per-evaluation costs differ only by
what each method does between batches.
"""

from __future__ import annotations

import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from workloads.bench.search_setup import BASELINES
from workloads.evolution.fitness import fitness_from_metrics, trial_sharpe
from workloads.evolution.hall_of_fame import HallOfFameEntry
from workloads.evolution.pool import Pool, generator_for
from workloads.evolution.state import PoolState

METHODS = ("ga", *BASELINES)


class TracingPool(Pool):
    """A pool that logs ``(cache key, fitness)`` of every row it evaluates, cache hits included; ``state``: the one
    search state its methods step (set by the caller)."""

    state: PoolState

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, float]] = []

    def evaluate_params(self, state: PoolState, name: str, params: np.ndarray) -> tuple[np.ndarray, list[str]]:
        metrics, keys = super().evaluate_params(state, name, params)
        self.log.extend(zip(keys, fitness_from_metrics(metrics, self.config).tolist(), strict=True))
        return metrics, keys

    def trace(self) -> list[float]:
        """Fitness of the distinct genomes evaluated, in the order first evaluated."""
        seen: set[str] = set()
        out = []
        for key, value in self.log:
            if key not in seen:
                seen.add(key)
                out.append(value)
        return out


def record_batch(pool: TracingPool, name: str, genomes: np.ndarray, generation: int) -> np.ndarray:
    """Evaluate unit ``genomes`` of seed ``name`` as one batch of an external search: canonicalise, evaluate, count
    the distinct trials and offer them to the hall of fame. Returns their fitness (row order of ``genomes``)."""
    seed = pool.seeds[name]
    params, _ = seed.repair(seed.genes.decode(genomes))
    canonical = seed.genes.encode(params)
    metrics, keys = pool.evaluate_params(pool.state, name, params)
    fitness = fitness_from_metrics(metrics, pool.config)
    sharpe = trial_sharpe(metrics)
    pool.count_trials(pool.state, name, keys, params, sharpe)
    pool.state.hall_of_fame.update(
        HallOfFameEntry(name, tuple(p.tolist()), tuple(g.tolist()), float(f), float(s), generation)
        for p, g, f, s in zip(params, canonical, fitness, sharpe, strict=True)
    )
    return fitness


class Stepper(Protocol):
    def step(self) -> None:
        """Propose, evaluate and learn from one batch."""


@dataclass
class GeneticSearch:
    pool: TracingPool
    generation: int = 0

    def step(self) -> None:
        self.pool.step(self.pool.state, self.generation)
        self.generation += 1


@dataclass
class RandomSearch:
    pool: TracingPool
    name: str
    batch: int
    calls: int = 0

    def step(self) -> None:
        rng = generator_for(self.pool.config.random_seed, self.calls, self.name)
        record_batch(self.pool, self.name, rng.uniform(size=(self.batch, len(self.pool.seeds[self.name].genes))), 0)
        self.calls += 1


@dataclass
class OptunaSearch:
    pool: TracingPool
    name: str
    batch: int
    sampler: Any
    study: Any = field(init=False)
    calls: int = 0

    def __post_init__(self) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(direction="maximize", sampler=self.sampler)

    def step(self) -> None:
        n_genes = len(self.pool.seeds[self.name].genes)
        trials = [self.study.ask() for _ in range(self.batch)]
        genomes = np.array([[t.suggest_float(f"g{i}", 0.0, 1.0) for i in range(n_genes)] for t in trials])
        for trial, value in zip(trials, record_batch(self.pool, self.name, genomes, self.calls), strict=True):
            self.study.tell(trial, float(value))
        self.calls += 1


def optuna_seed(random_seed: int, name: str) -> int:
    """The Optuna sampler seed of one seed's study (differs per seed and repetition)."""
    return int(np.random.SeedSequence([random_seed, zlib.crc32(name.encode())]).generate_state(1)[0])


def _sampler(method: str, seed: int) -> Any:
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if method == "tpe":
            return optuna.samplers.TPESampler(seed=seed, multivariate=False)
        if method == "tpe-mv":
            return optuna.samplers.TPESampler(seed=seed, multivariate=True)
        if method == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    raise ValueError(f"unknown search method {method!r}; known: {', '.join(METHODS)}")


def make_search(method: str, pool: TracingPool, name: str, batch: int) -> Stepper:
    """The stepper of ``method`` over seed ``name`` (``pool.state`` must be set)."""
    if method == "ga":
        return GeneticSearch(pool)
    if method == "random":
        return RandomSearch(pool, name, batch)
    return OptunaSearch(pool, name, batch, _sampler(method, optuna_seed(pool.config.random_seed, name)))


def run_to_budget(search: Stepper, pool: TracingPool, budget: int, max_steps: int) -> None:
    """Step until ``budget`` distinct genomes are evaluated (or ``max_steps`` steps: a small discrete space may
    hold fewer distinct genomes than the budget)."""
    for _ in range(max_steps):
        if pool.state.n_trials >= budget:
            return
        search.step()


@dataclass
class Racer:
    """One side of an equal wall-clock race: its stepper, its pool and the seconds its steps took."""

    search: Stepper
    pool: TracingPool
    seconds: float = 0.0
    steps: int = 0


def race(racers: list[Racer], seconds: float, max_steps: int, clock: Callable[[], float] = time.perf_counter) -> None:
    """Interleave the racers' steps, always stepping the one with the least time used, until each has used
    ``seconds`` (its last step may overrun) or ``max_steps``. In one process, one step at a time: machine load
    during the race falls on both sides alike."""
    while True:
        running = [r for r in racers if r.seconds < seconds and r.steps < max_steps]
        if not running:
            return
        racer = min(running, key=lambda r: r.seconds)
        started = clock()
        racer.search.step()
        racer.seconds += clock() - started
        racer.steps += 1
