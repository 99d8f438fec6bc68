"""The genetic strategy pool: one sub-population per seed, a cross-seed hall of fame, budget moving toward seeds
that improve. Reads like the textbook loop (DEAP's ``eaMuPlusLambda``), over population arrays; each line of
:meth:`Pool.step` is one named step::

    for generation in 0 .. generations - 1:                              Pool.run
        for each seed (budget n_s):                                      Pool.step
            offspring = breed(state, seed)      generation 0: [seed defaults] + uniform random;
                                                later: mutate(crossover(select parents(population)))
                                                (+ immigrants on collapse); params = seed.repair(decode(genomes)),
                                                genomes = encode(params) (the genome matches what is run);
                                                de-duplicated within the batch and against the elites
            scored    = evaluate(state, seed, offspring)   fitness cache first, the misses in one backend batch;
                                                           distinct trials counted
            select(state, seed, offspring, scored)         elites ∪ offspring, or the best n_s of both
        hall_of_fame.update(offspring of every seed)  (workloads.evolution.hall_of_fame: ranking, per-seed cap,
                                                       distance)
        move budget toward seeds whose best fitness improved;  record(stats)
        checkpoint; tell the observers (workloads.evolution.observers: metrics, progress, the database record)

The state (:class:`workloads.evolution.state.PoolState`) is explicit: each step takes it and updates it, the pool
itself holds only the seeds, the configuration, the backend and the fitness cache.

With ``survival = "plus"`` ((μ+λ)), a later generation's children come from parents drawn uniformly from the best
``truncation`` share of the population (truncation selection), and the next population is the best ``budget`` of
the old population and the children together. With ``survival = "nsga2"`` the same (μ+λ) scheme ranks by
NSGA-II (:mod:`workloads.evolution.nsga2`: non-dominated front over Sharpe, drawdown and turnover, then crowding
distance) instead of fitness, and parents are drawn by binary crowded tournaments; the hall of fame still ranks
every evaluated genome by fitness.

Determinism: every random draw of seed ``s`` in generation ``g`` comes from
``Generator(PCG64(SeedSequence([random_seed, g, crc32(s)])))``; evaluation is a pure function of the parameters.
Nothing depends on the backend, the worker count, the cache or a resume, so the same data, configuration and
random seed give the same hall of fame (the tests hold local vs Ray, worker counts and SIGKILL + resume to it).

Generation 0 is the initial population, so ``generations = 10`` evaluates 10 populations per seed.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workloads.cache.base import FitnessCache, InProcessCache
from workloads.cache.keys import fitness_keys
from workloads.evolution import nsga2
from workloads.evolution import operators as op
from workloads.evolution.backends import Backend
from workloads.evolution.checkpoints import CheckpointStore, state_to_bytes
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import fitness_from_metrics, trial_sharpe
from workloads.evolution.hall_of_fame import HallOfFameEntry
from workloads.evolution.observers import RunObserver
from workloads.evolution.records import GenerationStats, SeedGenerationStats
from workloads.evolution.state import PoolState, SubPopulation
from workloads.kernels import kernel_source_digest
from workloads.kernels.metrics import N_METRICS
from workloads.metrics import EVALUATION_DURATION, EVALUATIONS
from workloads.seeds.base import Seed

DEDUP_ROUNDS = 5


class EvaluationError(RuntimeError):
    """A seed's evaluation failed (a bug or a resource problem, not bad input): the run stops at its last
    checkpoint and can be resumed."""


def generator_for(random_seed: int, generation: int, seed_name: str) -> np.random.Generator:
    """The random generator of one seed's sub-population in one generation."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([random_seed, generation, zlib.crc32(seed_name.encode())]))
    )


def allocate_budget(improvement: dict[str, float], population: int, min_share: float) -> dict[str, int]:
    """Split ``population × seeds`` evaluations: every seed gets ``ceil(min_share · population)``, the rest goes in
    proportion to each seed's positive weight in ``improvement`` (the improvement of its best fitness, or its rank
    under ``budget_rule: rank``; equally when no weight is positive), rounded by largest remainder (ties to the
    earlier name). Always sums to ``population × seeds``."""
    names = sorted(improvement)
    total = population * len(names)
    floor = min(population, int(np.ceil(min_share * population)))
    free = total - floor * len(names)
    gains = np.array([max(0.0, improvement[n]) if np.isfinite(improvement[n]) else 0.0 for n in names])
    weights = gains / gains.sum() if gains.sum() > 0 else np.full(len(names), 1.0 / len(names))
    exact = weights * free
    shares = np.floor(exact).astype(int)
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: free - int(shares.sum())]:
        shares[i] += 1
    return {name: floor + int(share) for name, share in zip(names, shares, strict=True)}


def ucb_scores(best: dict[str, float], spread: dict[str, float], evaluated: dict[str, int]) -> dict[str, float]:
    """UCB1 over seeds as arms: ``best_s + spread_s · sqrt(2 · ln N / n_s)``, with ``best_s`` the seed's best
    fitness so far, ``spread_s`` the standard deviation of its current population's fitness (the scale of what a
    further draw of that seed can add), ``n_s`` the genomes it has evaluated and ``N`` their total over the seeds. A
    seed with few evaluations and a wide spread gets a large bonus; non-finite inputs count as no bonus."""
    total = sum(evaluated.values())
    scores = {}
    for name, value in best.items():
        n = max(1, evaluated[name])
        bonus = spread[name] * np.sqrt(2.0 * np.log(max(total, 1)) / n)
        scores[name] = float(value + (bonus if np.isfinite(bonus) else 0.0))
    return scores


@dataclass(frozen=True)
class Offspring:
    """What :meth:`Pool.breed` makes for one seed: the indices of the ``elites`` kept from its current population
    (none in generation 0), the new unit ``genomes`` (canonical: they encode what is run) and their ``params``, how
    many of them are random ``immigrants``, and the seed's ``budget`` (evaluations this generation)."""

    budget: int
    elites: np.ndarray
    genomes: np.ndarray
    params: np.ndarray
    immigrants: int


@dataclass(frozen=True)
class Scored:
    """What :meth:`Pool.evaluate` finds for the offspring's rows: ``fitness``, mean segment ``sharpe`` (annualised),
    NSGA-II ``objectives`` (``(n, 3)``) and how many rows were ``new_trials`` (genomes never evaluated before)."""

    fitness: np.ndarray
    sharpe: np.ndarray
    objectives: np.ndarray
    new_trials: int

    def hall_of_fame_entries(self, name: str, generation: int, offspring: Offspring) -> list[HallOfFameEntry]:
        """The offspring as hall-of-fame candidates of seed ``name``."""
        return [
            HallOfFameEntry(name, tuple(row.tolist()), tuple(unit.tolist()), float(f), float(s), generation)
            for row, unit, f, s in zip(offspring.params, offspring.genomes, self.fitness, self.sharpe, strict=True)
        ]


class Pool:
    """Runs the loop of the module doc over ``seeds`` with ``backend`` for evaluation. The run's state is explicit:
    every step takes the :class:`~workloads.evolution.state.PoolState` it reads and updates. ``eval_seconds``: the
    seconds spent in the backend by this pool, over all the states it stepped."""

    def __init__(
        self, seeds: dict[str, Seed], config: EvolutionConfig, backend: Backend, cache: FitnessCache | None = None
    ) -> None:
        self.seeds = seeds
        self.config = config
        self.backend = backend
        self.cache: FitnessCache = cache if cache is not None else InProcessCache()
        # A hash of the kernel and seed sources is part of the cache key: changed code never reads old fitness.
        self._fitness_config = dict(config.fitness_dict(), code_version=kernel_source_digest())
        self.eval_seconds = 0.0

    def new_state(self, run_id: str, data_fingerprint: str, train_fingerprint: str) -> PoolState:
        names = sorted(self.seeds)
        return PoolState(
            run_id=run_id,
            config=self.config,
            seed_names=names,
            data_fingerprint=data_fingerprint,
            train_fingerprint=train_fingerprint,
            budgets=dict.fromkeys(names, self.config.population),
        )

    # -- the run ------------------------------------------------------------------------------------------------
    def run(
        self,
        state: PoolState,
        checkpoints: CheckpointStore | None = None,
        observers: Sequence[RunObserver] = (),
        stop_after: int | None = None,
    ) -> PoolState:
        """Continue ``state`` to the configured number of generations; after each one, save its checkpoint, then
        tell the ``observers``. ``stop_after``: return after that many generations of this call (for benchmarks)."""
        for done, generation in enumerate(range(state.generation + 1, self.config.generations), start=1):
            stats = self.step(state, generation)
            if checkpoints is not None:
                checkpoints.save(state.run_id, generation, state_to_bytes(state))
            for observer in observers:
                observer.on_generation(state, stats)
            if stop_after is not None and done >= stop_after:
                break
        return state

    # -- one generation -----------------------------------------------------------------------------------------
    def step(self, state: PoolState, generation: int) -> GenerationStats:
        """One generation: breed, evaluate and select every seed's population, offer the new genomes to the hall
        of fame, move the budget, record the generation's stats. Updates ``state``; returns the stats."""
        started, eval_before = time.perf_counter(), self.eval_seconds
        per_seed: dict[str, SeedGenerationStats] = {}
        candidates: list[HallOfFameEntry] = []
        for name in state.seed_names:
            offspring = self.breed(state, name, generation)
            scored = self.evaluate(state, name, offspring)
            candidates += scored.hall_of_fame_entries(name, generation, offspring)
            per_seed[name] = self.select(state, name, offspring, scored)
        state.hall_of_fame.update(candidates)
        state.budgets = allocate_budget(
            self._budget_weights(state, per_seed), self.config.population, self.config.min_share
        )
        return self.record(state, generation, per_seed, time.perf_counter() - started, self.eval_seconds - eval_before)

    def breed(self, state: PoolState, name: str, generation: int) -> Offspring:
        """The next offspring of seed ``name``: in generation 0 its defaults and uniform random genomes; later
        children of parents selected from its population (by ``survival``), crossed over and mutated, with random
        immigrants when the population has collapsed, then de-duplicated against each other and the elites."""
        seed, cfg, budget = self.seeds[name], self.config, state.budgets[name]
        rng = generator_for(cfg.random_seed, generation, name)
        n_genes = len(seed.genes)
        if generation == 0:
            defaults = seed.genes.encode(seed.genes.defaults()[None, :])
            genomes, params = self._canonical(seed, np.vstack([defaults, op.random_genomes(rng, budget - 1, n_genes)]))
            return Offspring(budget, np.zeros(0, dtype=np.int64), genomes, params, 0)
        current = state.populations[name]
        elites, n_children, parents = self._parents(rng, current, budget)
        children = op.blend_crossover(rng, parents, cfg.crossover, cfg.blend_alpha)[:n_children]
        children = op.gaussian_mutation(rng, children, cfg.mutation, cfg.mutation_sigma)
        immigrants = 0
        if op.diversity(current.genomes) < cfg.diversity_threshold and n_children > 0:
            immigrants = max(1, int(round(cfg.immigrants * n_children)))
            children[n_children - immigrants :] = op.random_genomes(rng, immigrants, n_genes)
        genomes, params = self._canonical(seed, children)
        genomes, params = self._dedup(rng, seed, genomes, params, current.params[elites])
        return Offspring(budget, elites, genomes, params, immigrants)

    def evaluate(self, state: PoolState, name: str, offspring: Offspring) -> Scored:
        """Score the offspring of seed ``name`` (fitness cache first, the misses in one backend batch) and count
        its distinct trials."""
        metrics, keys = self.evaluate_params(state, name, offspring.params)
        sharpe = trial_sharpe(metrics)
        new_trials = self.count_trials(state, name, keys, offspring.params, sharpe)
        return Scored(
            fitness_from_metrics(metrics, self.config), sharpe, nsga2.strategy_objectives(metrics), new_trials
        )

    def select(self, state: PoolState, name: str, offspring: Offspring, scored: Scored) -> SeedGenerationStats:
        """The next population of seed ``name``: the elites and the offspring (``elitist``), or the best ``budget``
        of the old population and the offspring together (``plus``: by fitness; ``nsga2``: by front and crowding).
        Stores it in ``state`` and returns the seed's stats for the generation."""
        genomes, params = offspring.genomes, offspring.params
        fitness, sharpe, objectives = scored.fitness, scored.sharpe, scored.objectives
        previous = state.populations.get(name)
        history: list[float] = []
        if previous is not None:
            elites = offspring.elites
            genomes = np.vstack([previous.genomes[elites], genomes])
            params = np.vstack([previous.params[elites], params])
            fitness = np.concatenate([previous.fitness[elites], fitness])
            sharpe = np.concatenate([previous.sharpe[elites], sharpe])
            objectives = np.vstack([previous.objectives[elites], objectives])
            history = previous.best_history
            if self.config.survival in ("plus", "nsga2"):
                survivors = self._survivors(fitness, objectives, offspring.budget)
                genomes, params = genomes[survivors], params[survivors]
                fitness, sharpe, objectives = fitness[survivors], sharpe[survivors], objectives[survivors]
        best = float(np.max(fitness))
        history = [*history, max(best, history[-1]) if history else best]
        state.populations[name] = SubPopulation(genomes, params, fitness, sharpe, history, objectives)
        return SeedGenerationStats(
            best=best,
            mean=float(np.mean(fitness)),
            median=float(np.median(fitness)),
            population=int(fitness.shape[0]),
            evaluated=int(offspring.params.shape[0]),
            new_genomes=scored.new_trials,
            immigrants=offspring.immigrants,
            diversity=op.diversity(genomes),
            budget=offspring.budget,
        )

    def record(
        self,
        state: PoolState,
        generation: int,
        per_seed: dict[str, SeedGenerationStats],
        seconds: float,
        evaluation_seconds: float,
    ) -> GenerationStats:
        """The generation's stats (wall ``seconds``, ``evaluation_seconds`` in the backend), appended to the
        state's history; ``generation`` becomes the state's last completed one."""
        stats = GenerationStats(
            generation=generation,
            evaluations=sum(seed.evaluated for seed in per_seed.values()),
            seconds=seconds,
            evaluation_seconds=evaluation_seconds,
            distinct_genomes=state.n_trials,
            best=state.hall_of_fame.entries[0].fitness if len(state.hall_of_fame) else None,
            seeds=per_seed,
        )
        state.history.append(stats)
        state.generation = generation
        return stats

    # -- the steps' parts ---------------------------------------------------------------------------------------
    def _canonical(self, seed: Seed, genomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params, _ = seed.repair(seed.genes.decode(genomes))
        return seed.genes.encode(params), params

    def _parents(
        self, rng: np.random.Generator, current: SubPopulation, budget: int
    ) -> tuple[np.ndarray, int, np.ndarray]:
        """``(elite indices, children wanted, parent genomes)``: the parents come in pairs, one more than the
        children when they are odd."""
        cfg = self.config
        if cfg.survival in ("plus", "nsga2"):
            elites = np.arange(current.fitness.shape[0])
            n_pairs = budget + budget % 2
            if cfg.survival == "nsga2":
                chosen = nsga2.crowded_tournament(rng, current.objectives, n_pairs)
            else:
                chosen = op.truncation_select(rng, current.fitness, n_pairs, cfg.truncation)
            return elites, budget, current.genomes[chosen]
        n_elite = min(max(1, int(round(cfg.elite * budget))), current.fitness.shape[0])
        n_children = budget - n_elite
        chosen = op.tournament_select(rng, current.fitness, n_children + n_children % 2, cfg.tournament)
        return op.elite_indices(current.fitness, n_elite), n_children, current.genomes[chosen]

    def _survivors(self, fitness: np.ndarray, objectives: np.ndarray, budget: int) -> np.ndarray:
        """Indices of the ``budget`` survivors of a (μ+λ) population (``plus``: by fitness; ``nsga2``: NSGA-II)."""
        if self.config.survival == "nsga2":
            return nsga2.survivors(objectives, budget)
        return op.elite_indices(fitness, budget)

    def _dedup(
        self, rng: np.random.Generator, seed: Seed, genomes: np.ndarray, params: np.ndarray, elite_params: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Replace children that repeat an elite or an earlier child by random genomes (a few rounds; any still
        duplicated after that are dropped)."""
        n_elite = elite_params.shape[0]
        for _ in range(DEDUP_ROUNDS):
            keep = op.unique_rows(np.vstack([elite_params, params]))
            duplicate = np.ones(params.shape[0], dtype=bool)
            duplicate[keep[keep >= n_elite] - n_elite] = False
            if not duplicate.any():
                return genomes, params
            fresh_genomes, fresh_params = self._canonical(
                seed, op.random_genomes(rng, int(duplicate.sum()), genomes.shape[1])
            )
            genomes, params = genomes.copy(), params.copy()
            genomes[duplicate], params[duplicate] = fresh_genomes, fresh_params
        keep = op.unique_rows(np.vstack([elite_params, params]))
        rows = keep[keep >= n_elite] - n_elite
        return genomes[rows], params[rows]

    def evaluate_params(self, state: PoolState, name: str, params: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """``((n, segments, N_METRICS) metrics, cache keys)`` of parameter rows of seed ``name``: cache hits first,
        the misses in one backend batch (timed, and counted in the evaluation metrics)."""
        keys = fitness_keys(state.train_fingerprint, name, self._fitness_config, params)
        n_spans = self.config.segments
        metrics = np.empty((params.shape[0], n_spans, N_METRICS))
        cached = self.cache.get_many(keys) if keys else []
        missing = []
        for i, value in enumerate(cached):
            array = None if value is None else np.frombuffer(value, dtype=np.float64)
            if array is not None and array.size == n_spans * N_METRICS:
                metrics[i] = array.reshape(n_spans, N_METRICS)
            else:
                missing.append(i)
        if missing:
            fresh = self._evaluate_misses(name, params[missing])
            metrics[missing] = fresh
            self.cache.set_many({keys[i]: np.ascontiguousarray(fresh[j]).tobytes() for j, i in enumerate(missing)})
        return metrics, keys

    def _evaluate_misses(self, name: str, params: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        try:
            fresh = self.backend.evaluate(name, params)
        except Exception as exc:
            raise EvaluationError(
                f"evaluating {params.shape[0]} genomes of {name} on the {self.backend.name} "
                f"backend failed: {type(exc).__name__}: {exc}"
            ) from exc
        elapsed = time.perf_counter() - started
        self.eval_seconds += elapsed
        EVALUATION_DURATION.labels(backend=self.backend.name).observe(elapsed)
        EVALUATIONS.labels(strategy=name).inc(params.shape[0])
        return fresh

    def count_trials(self, state: PoolState, name: str, keys: list[str], params: np.ndarray, sharpe: np.ndarray) -> int:
        """Record the distinct trials among ``keys`` in ``state``: the count, the running variance of their Sharpe
        ratios and the bounded trial sample. Returns how many were new."""
        new = 0
        count, mean, m2 = state.trial_stats
        for key, row, value in zip(keys, params, sharpe, strict=True):
            if key in state.evaluated:
                continue
            state.evaluated.add(key)
            state.trial_sample.offer(key, name, row)
            new += 1
            count += 1
            delta = value - mean
            mean += delta / count
            m2 += delta * (value - mean)
        state.trial_stats = [count, mean, m2]
        return new

    def _budget_weights(self, state: PoolState, current: dict[str, SeedGenerationStats]) -> dict[str, float]:
        """Each seed's claim on the free budget: its last improvement of its best fitness (``budget_rule:
        improvement``); its rank by best fitness, the best seed ``n`` and the worst 1 (``rank``); or its rank by an
        upper confidence bound (``ucb``, :func:`ucb_scores`) on what more evaluations of it could reach.
        ``current``: this generation's per-seed stats (not yet in the history)."""
        histories = {name: state.populations[name].best_history for name in state.seed_names}
        if self.config.budget_rule == "ucb":
            evaluated = {
                name: current[name].evaluated + sum(h.seeds[name].evaluated for h in state.history if name in h.seeds)
                for name in state.seed_names
            }
            spread = {name: float(np.std(state.populations[name].fitness)) for name in state.seed_names}
            scores = ucb_scores({n: h[-1] for n, h in histories.items()}, spread, evaluated)
            order = sorted(scores, key=lambda n: (scores[n], n))
            return {name: float(rank) for rank, name in enumerate(order, start=1)}
        if self.config.budget_rule == "rank":
            order = sorted(histories, key=lambda n: (histories[n][-1], n))
            return {name: float(rank) for rank, name in enumerate(order, start=1)}
        return {name: h[-1] - h[-2] if len(h) > 1 else 0.0 for name, h in histories.items()}
