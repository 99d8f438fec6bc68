"""Typed records of a scored run: what the summary, ``evolve --json``, the report and storage carry per
hall-of-fame entry.

Non-finite numbers (one convention, :mod:`workloads.jsonable`): a statistic that is not finite (NaN, ±inf) stays a
``float`` in these records, as the kernels and the deflation computed it, and becomes ``null`` only where a record
leaves for JSON (``as_json()``); the promotion gate refuses it as it would a missing one. ``None`` means "no value":
no holdout, a ratio that does not apply. Sharpe ratios in these records are annualised unless the name says
``per_bar``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

from workloads.evolution.config import EvolutionConfig
from workloads.jsonable import jsonable


@dataclass(frozen=True)
class DsrDetail:
    """The inputs of an entry's two deflations (workloads/evolution/dsr.py; per-bar units)."""

    sharpe_per_bar: float
    skewness: float
    kurtosis: float
    returns: int
    trials: int
    n_eff: float
    mean_correlation: float
    sr0_per_bar: float
    sr0_conservative_per_bar: float
    trial_sharpe_variance_per_bar: float


@dataclass(frozen=True)
class Robustness:
    """How the fitness holds up around an entry: ``neighbours`` perturbed genomes (each gene moved by ±1 and ±2
    ``robust_step`` in the unit box, one gene at a time), their mean and worst fitness, ``retention`` = mean / the
    entry's fitness (``None`` unless the fitness is positive) and ``thin_peak`` (a finite retention below
    ``thin_peak_ratio``); without neighbours the mean, worst and retention are ``None``. ``segment_sharpe``: the
    entry's Sharpe on each walk-forward segment (in-sample: the search saw them); ``walk_forward_efficiency`` =
    holdout Sharpe / mean segment Sharpe (``None`` without a holdout or when the mean segment Sharpe is not
    positive: the ratio does not apply)."""

    neighbours: int
    neighbour_fitness_mean: float | None
    neighbour_fitness_min: float | None
    retention: float | None
    thin_peak: bool
    segment_sharpe: tuple[float, ...]
    walk_forward_efficiency: float | None


@dataclass(frozen=True)
class ScoredEntry:
    """One hall-of-fame entry scored after the run: replayed on train and holdout, deflated, gated.

    ``train`` and ``holdout`` are the replays' metrics (``holdout`` ``None`` without a holdout); ``promoted`` is true
    exactly when ``gate`` (the reasons it failed) is empty."""

    strategy: str
    params: dict[str, Any]
    fitness: float
    generation: int
    train: dict[str, float]
    holdout: dict[str, float] | None
    dsr: float
    dsr_conservative: float
    n_eff: float
    promoted: bool
    gate: tuple[str, ...]
    dsr_detail: DsrDetail
    robustness: Robustness

    def as_json(self) -> dict[str, Any]:
        return _json_object(asdict(self))


@dataclass(frozen=True)
class SeedBest:
    """The best genome a seed reached (training fitness), whether or not it made the hall of fame, with the
    verdict it would get there (``dsr``, holdout Sharpe, ``promoted``, ``gate``): which seeds found something and
    which were refused. ``holdout_sharpe`` is ``None`` without a holdout."""

    strategy: str
    params: dict[str, Any]
    fitness: float
    sharpe: float
    generation: int
    in_hall_of_fame: bool
    dsr: float
    holdout_sharpe: float | None
    promoted: bool
    gate: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return _json_object(asdict(self))


@dataclass(frozen=True)
class Verdict:
    """What the run says users may act on: ``promoted`` entries and one ``line`` ("N promoted: …" or "nothing
    passed: why"); per seed, whether its best genome would pass (``seeds_passing``) or not (``seeds_refused``)."""

    promoted: int
    line: str
    seeds_passing: tuple[str, ...]
    seeds_refused: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return _json_object(asdict(self))


@dataclass(frozen=True)
class SeedGenerationStats:
    """One seed in one generation: ``best``/``mean``/``median`` fitness of its new population, its ``population``
    size, ``evaluated`` children, ``new_genomes`` (distinct genomes never evaluated before in the run),
    ``immigrants``, ``diversity`` (mean per-gene std of the unit genomes) and the ``budget`` it was given."""

    best: float
    mean: float
    median: float
    population: int
    evaluated: int
    new_genomes: int
    immigrants: int
    diversity: float
    budget: int


@dataclass(frozen=True)
class GenerationStats:
    """What one generation did: ``evaluations`` (rows evaluated, cache hits included), wall ``seconds`` and
    ``evaluation_seconds`` (inside the backend), ``distinct_genomes`` so far, the hall of fame's ``best`` fitness and
    per-seed stats."""

    generation: int
    evaluations: int
    seconds: float
    evaluation_seconds: float
    distinct_genomes: int
    best: float | None
    seeds: dict[str, SeedGenerationStats]

    def as_json(self) -> dict[str, Any]:
        """The stats as a mapping with their floats as they are (a checkpoint keeps them through Python's JSON, whose
        ``NaN``/``Infinity`` it reads back; :meth:`RunSummary.as_json` turns them into ``null``)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenerationStats:
        fields = {k: v for k, v in data.items() if k != "seeds"}
        return cls(**fields, seeds={name: SeedGenerationStats(**s) for name, s in data["seeds"].items()})


@dataclass(frozen=True)
class BackendUse:
    """Where a run evaluated: backend ``name``, ``workers``, wall ``seconds`` of the generations and the
    ``evaluation_seconds`` inside the backend."""

    name: str
    workers: int
    seconds: float
    evaluation_seconds: float


@dataclass(frozen=True)
class RunSummary:
    """A finished run (what ``genepool evolve --json`` prints, via :meth:`as_json`): its ``config``, the ``data`` (the
    cut: fingerprint, bars, train/holdout sizes, segments, ``bars_per_year``) as a JSON mapping, the searched
    ``seeds`` and ``skipped`` ones with the reason, ``trials`` (distinct genomes) and ``n_eff``, the per-generation
    stats, the scored hall of fame (best first), each seed's best, the verdict and the backend used."""

    run_id: str
    config: EvolutionConfig
    data: dict[str, Any]
    seeds: tuple[str, ...]
    skipped: dict[str, str]
    trials: int
    n_eff: float
    generations: tuple[GenerationStats, ...]
    hall_of_fame: tuple[ScoredEntry, ...]
    best_by_seed: dict[str, SeedBest]
    verdict: Verdict
    backend: BackendUse | None = None

    def as_document(self) -> dict[str, Any]:
        """The summary as one mapping with its floats as they are (non-finite ones included): what storage keeps."""
        return {
            "run_id": self.run_id,
            "config": self.config.as_dict(),
            "data": self.data,
            "seeds": list(self.seeds),
            "skipped": self.skipped,
            "trials": self.trials,
            "n_eff": self.n_eff,
            "generations": [asdict(g) for g in self.generations],
            "hall_of_fame": [asdict(e) for e in self.hall_of_fame],
            "best_by_seed": {name: asdict(best) for name, best in self.best_by_seed.items()},
            "verdict": asdict(self.verdict),
            "backend": asdict(self.backend) if self.backend is not None else None,
        }

    def as_json(self) -> dict[str, Any]:
        """:meth:`as_document` in its JSON form (non-finite numbers ``null``)."""
        return _json_object(self.as_document())


def _json_object(document: dict[str, Any]) -> dict[str, Any]:
    """A record's mapping through :func:`workloads.jsonable.jsonable` (tuples become lists, non-finite floats
    ``None``)."""
    return cast(dict[str, Any], jsonable(document))
