"""The genetic strategy pool: one sub-population per seed, a cross-seed hall of fame, budget moving toward seeds
that improve. Reads like the textbook loop (DEAP's ``eaMuPlusLambda``), over population arrays::

    for generation in 0 .. generations - 1:
        for each seed (budget n_s):
            if generation == 0: genomes = [seed defaults] + uniform random
            else:               genomes = elites ∪ mutate(crossover(tournament(population)))   (+ immigrants
                                                                                               on collapse)
            params  = seed.repair(decode(genomes));  genomes = encode(params)   (genome matches what is run)
            de-duplicate (within the batch and against the elites), then evaluate the new rows (fitness cache first)
        hall_of_fame.update(new rows)   (workloads.evolution.hall_of_fame: ranking, per-seed cap, distance)
        move budget toward seeds whose best fitness improved; checkpoint

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

import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from workloads.cache.base import FitnessCache, InProcessCache
from workloads.cache.keys import fitness_keys
from workloads.evolution import nsga2
from workloads.evolution import operators as op
from workloads.evolution.backends import Backend
from workloads.evolution.checkpoints import CheckpointStore
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import fitness_from_metrics, trial_sharpe
from workloads.evolution.hall_of_fame import HallOfFame, HallOfFameEntry
from workloads.evolution.records import GenerationStats, SeedGenerationStats
from workloads.evolution.trials import TrialSample
from workloads.kernels import kernel_source_digest
from workloads.kernels.metrics import N_METRICS
from workloads.metrics import BEST_FITNESS, EVALUATION_DURATION, EVALUATIONS, GENERATIONS, LAST_GENERATION
from workloads.seeds.base import Seed

CHECKPOINT_FORMAT = 2
DEDUP_ROUNDS = 5


class EvaluationError(RuntimeError):
    """A seed's evaluation failed (a bug or a resource problem, not bad input): the run stops at its last
    checkpoint and can be resumed."""


def generator_for(random_seed: int, generation: int, seed_name: str) -> np.random.Generator:
    """The random generator of one seed's sub-population in one generation."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([random_seed, generation, zlib.crc32(seed_name.encode())]))
    )


@dataclass
class SubPopulation:
    """One seed's current population: unit genomes, decoded parameters, fitness, mean segment Sharpe, and the
    NSGA-II objectives (:func:`workloads.evolution.nsga2.strategy_objectives`, ``(n, 3)``; NaN when restored from
    a checkpoint written before they were kept)."""

    genomes: np.ndarray
    params: np.ndarray
    fitness: np.ndarray
    sharpe: np.ndarray
    best_history: list[float] = field(default_factory=list)
    objectives: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))


@dataclass
class PoolState:
    """Everything a resumed run needs (serialised as the checkpoint payload)."""

    run_id: str
    config: EvolutionConfig
    seed_names: list[str]
    data_fingerprint: str
    train_fingerprint: str
    generation: int = -1
    symbol: str = ""
    data_end: int | None = None
    """The run's data pin (see :mod:`workloads.evolution.run`): the symbol and the timestamp (ns) of the last bar
    of the data the run started on; ``None`` in checkpoints written before runs were pinned."""
    budgets: dict[str, int] = field(default_factory=dict)
    populations: dict[str, SubPopulation] = field(default_factory=dict)
    hall_of_fame: HallOfFame = field(init=False)
    trial_sample: TrialSample = field(init=False)
    evaluated: set[str] = field(default_factory=set)
    trial_stats: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    history: list[GenerationStats] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hall_of_fame = HallOfFame(self.config.hall_of_fame, self.config.hof_per_seed, self.config.hof_min_distance)
        self.trial_sample = TrialSample(self.config.dsr_sample)

    @property
    def n_trials(self) -> int:
        return len(self.evaluated)

    @property
    def trial_sharpe_variance(self) -> float:
        """Sample variance of the mean-segment Sharpe (annualised) over the distinct genomes evaluated."""
        count, _, m2 = self.trial_stats
        return m2 / (count - 1) if count > 1 else 0.0

    def to_bytes(self) -> bytes:
        payload = {
            "format": CHECKPOINT_FORMAT,
            "run_id": self.run_id,
            "config": self.config.as_dict(),
            "seed_names": self.seed_names,
            "data_fingerprint": self.data_fingerprint,
            "train_fingerprint": self.train_fingerprint,
            "symbol": self.symbol,
            "data_end": self.data_end,
            "generation": self.generation,
            "budgets": self.budgets,
            "populations": {
                name: {
                    "genomes": p.genomes.tolist(),
                    "params": p.params.tolist(),
                    "fitness": p.fitness.tolist(),
                    "sharpe": p.sharpe.tolist(),
                    "best_history": p.best_history,
                    "objectives": p.objectives.tolist(),
                }
                for name, p in self.populations.items()
            },
            "hall_of_fame": self.hall_of_fame.to_dict(),
            "trial_sample": self.trial_sample.to_list(),
            "evaluated": sorted(self.evaluated),
            "trial_stats": self.trial_stats,
            "history": [g.as_json() for g in self.history],
        }
        return json.dumps(payload).encode()

    @classmethod
    def from_bytes(cls, payload: bytes) -> PoolState:
        data = json.loads(payload)
        if data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint format {data.get('format')!r} is not {CHECKPOINT_FORMAT}")

        def array(values: list, width: int) -> np.ndarray:
            return np.asarray(values, dtype=np.float64).reshape(-1, width) if width else np.asarray(values, float)

        populations = {}
        for name, p in data["populations"].items():
            params = np.asarray(p["params"], dtype=np.float64)
            width = params.shape[1] if params.ndim == 2 else 0
            populations[name] = SubPopulation(
                array(p["genomes"], width),
                params,
                np.asarray(p["fitness"], float),
                np.asarray(p["sharpe"], float),
                list(p["best_history"]),
                np.asarray(p.get("objectives", np.full((params.shape[0], 3), np.nan)), float).reshape(-1, 3),
            )
        state = cls(
            run_id=data["run_id"],
            config=EvolutionConfig(**data["config"]),
            seed_names=data["seed_names"],
            data_fingerprint=data["data_fingerprint"],
            train_fingerprint=data["train_fingerprint"],
            symbol=data.get("symbol", ""),
            data_end=data.get("data_end"),
            generation=data["generation"],
            budgets={k: int(v) for k, v in data["budgets"].items()},
            populations=populations,
            evaluated=set(data["evaluated"]),
            trial_stats=list(data["trial_stats"]),
            history=[GenerationStats.from_json(g) for g in data["history"]],
        )
        state.hall_of_fame.restore(data["hall_of_fame"])
        state.trial_sample.restore(data["trial_sample"])
        return state


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
class GenerationReport:
    """What one generation did (for progress displays and run records): per-seed stats and timings."""

    generation: int
    stats: GenerationStats


class Pool:
    """Runs the loop of the module doc over ``seeds`` with ``backend`` for evaluation."""

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

    # -- one generation -----------------------------------------------------------------------------------------
    def _canonical(self, seed: Seed, genomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params, _ = seed.repair(seed.genes.decode(genomes))
        return seed.genes.encode(params), params

    def _breed(self, name: str, generation: int, budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """``(elite indices, child genomes, child params, immigrants)`` for the next population of ``name``."""
        seed, cfg = self.seeds[name], self.config
        rng = generator_for(cfg.random_seed, generation, name)
        n_genes = len(seed.genes)
        if generation == 0:
            defaults = seed.genes.encode(seed.genes.defaults()[None, :])
            raw = np.vstack([defaults, op.random_genomes(rng, budget - 1, n_genes)])
            genomes, params = self._canonical(seed, raw)
            return np.zeros(0, dtype=np.int64), genomes, params, 0
        current = self.state.populations[name]
        if cfg.survival == "nsga2":
            elites = np.arange(current.fitness.shape[0])
            n_children = budget
            parents = current.genomes[nsga2.crowded_tournament(rng, current.objectives, n_children + n_children % 2)]
        elif cfg.survival == "plus":
            elites = np.arange(current.fitness.shape[0])
            n_children = budget
            parents = current.genomes[
                op.truncation_select(rng, current.fitness, n_children + n_children % 2, cfg.truncation)
            ]
        else:
            n_elite = min(max(1, int(round(cfg.elite * budget))), current.fitness.shape[0])
            elites = op.elite_indices(current.fitness, n_elite)
            n_children = budget - n_elite
            parents = current.genomes[
                op.tournament_select(rng, current.fitness, n_children + n_children % 2, cfg.tournament)
            ]
        children = op.blend_crossover(rng, parents, cfg.crossover, cfg.blend_alpha)[:n_children]
        children = op.gaussian_mutation(rng, children, cfg.mutation, cfg.mutation_sigma)
        immigrants = 0
        if op.diversity(current.genomes) < cfg.diversity_threshold and n_children > 0:
            immigrants = max(1, int(round(cfg.immigrants * n_children)))
            children[n_children - immigrants :] = op.random_genomes(rng, immigrants, n_genes)
        genomes, params = self._canonical(seed, children)
        genomes, params = self._dedup(rng, seed, genomes, params, current.params[elites])
        return elites, genomes, params, immigrants

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

    def evaluate(self, name: str, params: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """``((n, segments, N_METRICS) metrics, cache keys)``: cache hits first, the misses in one backend batch."""
        keys = fitness_keys(self.state.train_fingerprint, name, self._fitness_config, params)
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
            started = time.perf_counter()
            try:
                fresh = self.backend.evaluate(name, params[missing])
            except Exception as exc:
                raise EvaluationError(
                    f"evaluating {len(missing)} genomes of {name} on the {self.backend.name} "
                    f"backend failed: {type(exc).__name__}: {exc}"
                ) from exc
            elapsed = time.perf_counter() - started
            self.eval_seconds += elapsed
            EVALUATION_DURATION.labels(backend=self.backend.name).observe(elapsed)
            EVALUATIONS.labels(strategy=name).inc(len(missing))
            metrics[missing] = fresh
            self.cache.set_many({keys[i]: np.ascontiguousarray(fresh[j]).tobytes() for j, i in enumerate(missing)})
        return metrics, keys

    def count_trials(self, name: str, keys: list[str], params: np.ndarray, sharpe: np.ndarray) -> int:
        """Record the distinct trials among ``keys``: the count, the running variance of their Sharpe ratios and
        the bounded trial sample."""
        new = 0
        count, mean, m2 = self.state.trial_stats
        for key, row, value in zip(keys, params, sharpe, strict=True):
            if key in self.state.evaluated:
                continue
            self.state.evaluated.add(key)
            self.state.trial_sample.offer(key, name, row)
            new += 1
            count += 1
            delta = value - mean
            mean += delta / count
            m2 += delta * (value - mean)
        self.state.trial_stats = [count, mean, m2]
        return new

    def step(self, generation: int) -> GenerationReport:
        """Breed, evaluate and select one generation of every seed; update hall of fame and budgets."""
        started = time.perf_counter()
        eval_before = self.eval_seconds
        per_seed: dict[str, SeedGenerationStats] = {}
        candidates: list[HallOfFameEntry] = []
        evaluations = 0
        for name in self.state.seed_names:
            budget = self.state.budgets[name]
            elites, genomes, params, immigrants = self._breed(name, generation, budget)
            metrics, keys = self.evaluate(name, params)
            evaluations += params.shape[0]
            fitness = fitness_from_metrics(metrics, self.config)
            sharpe = trial_sharpe(metrics)
            objectives = nsga2.strategy_objectives(metrics)
            new_trials = self.count_trials(name, keys, params, sharpe)
            candidates += [
                HallOfFameEntry(name, tuple(row.tolist()), tuple(unit.tolist()), float(f), float(s), generation)
                for row, unit, f, s in zip(params, genomes, fitness, sharpe, strict=True)
            ]
            n_evaluated = int(params.shape[0])
            previous = self.state.populations.get(name)
            if previous is not None:
                genomes = np.vstack([previous.genomes[elites], genomes])
                params = np.vstack([previous.params[elites], params])
                fitness = np.concatenate([previous.fitness[elites], fitness])
                sharpe = np.concatenate([previous.sharpe[elites], sharpe])
                objectives = np.vstack([previous.objectives[elites], objectives])
                history = previous.best_history
                if self.config.survival in ("plus", "nsga2"):
                    survivors = (
                        nsga2.survivors(objectives, budget)
                        if self.config.survival == "nsga2"
                        else op.elite_indices(fitness, budget)
                    )
                    genomes, params = genomes[survivors], params[survivors]
                    fitness, sharpe, objectives = fitness[survivors], sharpe[survivors], objectives[survivors]
            else:
                history = []
            best = float(np.max(fitness))
            history = [*history, max(best, history[-1]) if history else best]
            self.state.populations[name] = SubPopulation(genomes, params, fitness, sharpe, history, objectives)
            GENERATIONS.labels(strategy=name).inc()
            BEST_FITNESS.labels(strategy=name).set(history[-1])
            per_seed[name] = SeedGenerationStats(
                best=best,
                mean=float(np.mean(fitness)),
                median=float(np.median(fitness)),
                population=int(fitness.shape[0]),
                evaluated=n_evaluated,
                new_genomes=new_trials,
                immigrants=immigrants,
                diversity=op.diversity(genomes),
                budget=budget,
            )
        self.state.hall_of_fame.update(candidates)
        self.state.budgets = allocate_budget(
            self._budget_weights(per_seed), self.config.population, self.config.min_share
        )
        seconds = time.perf_counter() - started
        stats = GenerationStats(
            generation=generation,
            evaluations=evaluations,
            seconds=seconds,
            evaluation_seconds=self.eval_seconds - eval_before,
            distinct_genomes=self.state.n_trials,
            best=self.state.hall_of_fame.entries[0].fitness if len(self.state.hall_of_fame) else None,
            seeds=per_seed,
        )
        self.state.history.append(stats)
        LAST_GENERATION.set(time.time())
        self.state.generation = generation
        return GenerationReport(generation, stats)

    def _budget_weights(self, current: dict[str, SeedGenerationStats]) -> dict[str, float]:
        """Each seed's claim on the free budget: its last improvement of its best fitness (``budget_rule:
        improvement``); its rank by best fitness, the best seed ``n`` and the worst 1 (``rank``); or its rank by an
        upper confidence bound (``ucb``, :func:`ucb_scores`) on what more evaluations of it could reach.
        ``current``: this generation's per-seed stats (not yet in the history)."""
        histories = {name: self.state.populations[name].best_history for name in self.state.seed_names}
        if self.config.budget_rule == "ucb":
            evaluated = {
                name: current[name].evaluated
                + sum(h.seeds[name].evaluated for h in self.state.history if name in h.seeds)
                for name in self.state.seed_names
            }
            spread = {name: float(np.std(self.state.populations[name].fitness)) for name in self.state.seed_names}
            scores = ucb_scores({n: h[-1] for n, h in histories.items()}, spread, evaluated)
            order = sorted(scores, key=lambda n: (scores[n], n))
            return {name: float(rank) for rank, name in enumerate(order, start=1)}
        if self.config.budget_rule == "rank":
            order = sorted(histories, key=lambda n: (histories[n][-1], n))
            return {name: float(rank) for rank, name in enumerate(order, start=1)}
        return {name: h[-1] - h[-2] if len(h) > 1 else 0.0 for name, h in histories.items()}

    # -- the run ------------------------------------------------------------------------------------------------
    def run(
        self,
        state: PoolState,
        checkpoints: CheckpointStore | None = None,
        on_generation: Callable[[GenerationReport], None] | None = None,
        stop_after: int | None = None,
    ) -> PoolState:
        """Continue ``state`` to the configured number of generations, checkpointing after each one.
        ``stop_after``: return after that many generations of this call (for benchmarks)."""
        self.state = state
        for done, generation in enumerate(range(state.generation + 1, self.config.generations), start=1):
            report = self.step(generation)
            if checkpoints is not None:
                checkpoints.save(state.run_id, generation, state.to_bytes())
            if on_generation is not None:
                on_generation(report)
            if stop_after is not None and done >= stop_after:
                break
        return state
