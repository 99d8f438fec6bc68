"""The evolution's configuration: one typed, validated dataclass with the GA defaults (docs/evolution.md#configuration).

Defaults (docs/evolution.md#configuration): population 50 per seed, 10 generations, mutation rate 0.1, crossover rate
0.8, elite ratio 0.2. Every field can be set from a YAML/JSON config file (:func:`load_config_file`, keys are the field
names) and then overridden one by one from the command line. Invalid values raise :class:`ConfigError`, whose message
names the key and the rule it breaks (the CLI turns it into exit code 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from workloads.costs import DEFAULT_FEE_BPS, DEFAULT_SLIPPAGE_BPS, sim_config

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np

    from workloads.kernels.simulate import SimConfig


class ConfigError(ValueError):
    """An invalid configuration value: ``key`` and the ``rule`` it breaks (``source`` is the file, if any)."""

    def __init__(self, key: str, rule: str, value: Any = None, source: str = "") -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}config key {key!r} = {value!r}: {rule}")
        self.key, self.rule, self.source = key, rule, source


@dataclass(frozen=True)
class EvolutionConfig:
    """What the search does. Rates are probabilities; fractions are of the data or of a sub-population.

    - GA: ``population`` (individuals per seed per generation, the budget unit), ``generations``,
      ``mutation`` (per-gene probability of a gaussian step of ``mutation_sigma`` in the unit box; at least one
      gene of every child moves),
      ``crossover`` (per-pair probability of BLX-``blend_alpha``), ``elite`` (fraction copied unchanged),
      ``tournament`` (tournament size), ``diversity_threshold`` (mean per-gene std of the unit genomes under which
      the population has collapsed) and ``immigrants`` (fraction of the worst replaced by uniform random genomes
      then), ``min_share`` (a seed's smallest budget, as a fraction of ``population``);
      ``survival``: ``elitist`` (the elites plus the children of tournament winners) or ``plus`` ((μ+λ): the
      parents are drawn uniformly from the best ``truncation`` share of the population, and the next population is
      the best ``population`` of the old one and the children together) or ``nsga2`` ((μ+λ) ranked by NSGA-II
      over Sharpe, drawdown and turnover, :mod:`workloads.evolution.nsga2`); ``budget_rule``: how the budget
      above ``min_share`` is shared between seeds, ``improvement`` (by the last improvement of each seed's best
      fitness), ``rank`` (by each seed's rank by best fitness: the best seed ``n`` shares, the worst 1) or ``ucb``
      (by each seed's rank by an upper confidence bound, :func:`workloads.evolution.pool.ucb_scores`).
    - Fitness: ``objective`` (``fitness``, ``worst-segment`` or ``mean-segment``, see
      :mod:`workloads.evolution.fitness`), ``holdout`` (last fraction of the bars, never seen by the search),
      ``segments`` (walk-forward segments of the training span), ``consistency`` (weight of the across-segment std
      of Sharpe subtracted from its mean), ``min_trades`` (entries wanted per segment), ``trade_penalty``,
      ``max_drawdown`` (tolerated drawdown per segment), ``drawdown_penalty``.
    - Costs: ``fee_bps``, ``slippage_bps`` (basis points), ``long_only``, ``rebalance_band``; ``bars_per_year``
      (``None``: inferred from the training timestamps).
    - Hall of fame: ``hall_of_fame`` (entries kept across seeds), ``hof_per_seed`` (at most this many of one
      seed), ``hof_min_distance`` (no two entries of a seed closer than this root-mean-square per-gene distance in
      the unit box).
    - Verdict: ``promote_dsr`` (the Deflated Sharpe Ratio an entry needs), ``promote_max_drawdown`` (the holdout
      drawdown it may not exceed; it also needs a positive holdout Sharpe and ``min_trades`` holdout entries),
      ``dsr_sample`` (trials replayed to measure their average return correlation, hence ``N_eff``),
      ``robust_step`` (the neighbourhood step in the unit box) and ``thin_peak_ratio`` (an entry whose neighbours'
      mean fitness is below this fraction of its own is a thin peak).
    - ``random_seed``: the root of every random draw.
    """

    population: int = 50
    generations: int = 10
    mutation: float = 0.1
    crossover: float = 0.8
    elite: float = 0.2
    tournament: int = 3
    blend_alpha: float = 0.5
    mutation_sigma: float = 0.1
    diversity_threshold: float = 0.02
    immigrants: float = 0.2
    min_share: float = 0.5
    survival: str = "elitist"
    budget_rule: str = "improvement"
    truncation: float = 0.25
    objective: str = "fitness"
    holdout: float = 0.3
    segments: int = 3
    consistency: float = 0.5
    min_trades: int = 3
    trade_penalty: float = 1.0
    max_drawdown: float = 0.5
    drawdown_penalty: float = 2.0
    fee_bps: float = DEFAULT_FEE_BPS
    slippage_bps: float = DEFAULT_SLIPPAGE_BPS
    long_only: bool = False
    rebalance_band: float = 0.0
    bars_per_year: float | None = None
    hall_of_fame: int = 10
    hof_per_seed: int = 3
    hof_min_distance: float = 0.05
    promote_dsr: float = 0.95
    promote_max_drawdown: float = 0.3
    dsr_sample: int = 64
    robust_step: float = 0.05
    thin_peak_ratio: float = 0.5
    random_seed: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            check = _RULES.get(f.name)
            if check is not None:
                ok, rule = check
                if not _is_type(f.name, value) or not ok(value):
                    raise ConfigError(f.name, rule, value)

    def fitness_dict(self) -> dict[str, Any]:
        """The fields that determine a genome's fitness (the fitness-cache key includes their hash)."""
        keys = (
            "objective",
            "holdout",
            "segments",
            "consistency",
            "min_trades",
            "trade_penalty",
            "max_drawdown",
            "drawdown_penalty",
            "fee_bps",
            "slippage_bps",
            "long_only",
            "rebalance_band",
            "bars_per_year",
        )
        return {key: getattr(self, key) for key in keys}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, document: Mapping[str, object] | None, source: str = "") -> EvolutionConfig:
        """The config of a recorded run (``runs.config`` in storage, ``config`` of a ``run.json``): the keys it
        holds over the defaults. Keys that are not config fields are ignored (the ``symbol`` the recorder adds, a
        key a later version dropped); a value that breaks its rule raises :class:`ConfigError` naming ``source``.
        ``None`` (a strategy whose run is gone) gives the defaults."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in (document or {}).items() if key in known}
        return cls().with_overrides(values, source=source)

    def sim_config(self, timestamps: np.ndarray) -> SimConfig:
        """The simulation settings of these costs, with ``bars_per_year`` inferred from ``timestamps`` (int64 ns UTC:
        the bars simulated) unless set."""
        return sim_config(
            self.bars_per_year,
            fee_bps=self.fee_bps,
            slippage_bps=self.slippage_bps,
            long_only=self.long_only,
            rebalance_band=self.rebalance_band,
            timestamps=timestamps,
        )

    def with_overrides(self, overrides: dict[str, Any], source: str = "") -> EvolutionConfig:
        """A copy with ``overrides`` applied (``None`` values are ignored); unknown keys are refused."""
        known = {f.name for f in fields(self)}
        for key in overrides:
            if key not in known:
                raise ConfigError(
                    key, f"unknown key; known keys are {', '.join(sorted(known))}", overrides[key], source
                )
        try:
            return replace(self, **{k: v for k, v in overrides.items() if v is not None})
        except ConfigError as exc:
            raise ConfigError(exc.key, exc.rule, overrides.get(exc.key), source) from None


_INT_KEYS = {
    "population",
    "generations",
    "tournament",
    "segments",
    "min_trades",
    "hall_of_fame",
    "hof_per_seed",
    "dsr_sample",
    "random_seed",
}


_STR_KEYS = {"survival", "objective", "budget_rule"}


def _is_type(name: str, value: Any) -> bool:
    if name in _STR_KEYS:
        return isinstance(value, str)
    if name == "long_only":
        return isinstance(value, bool)
    if name == "bars_per_year" and value is None:
        return True
    if isinstance(value, bool):
        return False
    if name in _INT_KEYS:
        return isinstance(value, int)
    return isinstance(value, (int, float)) and math.isfinite(value)


def _fraction(low_open: bool = False, high_open: bool = False) -> tuple[Callable[[Any], bool], str]:
    def ok(v: float) -> bool:
        return (v > 0 if low_open else v >= 0) and (v < 1 if high_open else v <= 1)

    return ok, f"must be a number in {'(' if low_open else '['}0, 1{')' if high_open else ']'}"


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "population": (lambda v: v >= 4, "must be an integer >= 4"),
    "generations": (lambda v: v >= 1, "must be an integer >= 1"),
    "mutation": _fraction(),
    "crossover": _fraction(),
    "elite": _fraction(high_open=True),
    "tournament": (lambda v: v >= 1, "must be an integer >= 1"),
    "blend_alpha": (lambda v: v >= 0, "must be a number >= 0"),
    "mutation_sigma": (lambda v: 0 < v <= 1, "must be a number in (0, 1]"),
    "diversity_threshold": (lambda v: 0 <= v < 0.5, "must be a number in [0, 0.5)"),
    "immigrants": _fraction(high_open=True),
    "min_share": (lambda v: 0 < v <= 1, "must be a number in (0, 1]"),
    "survival": (lambda v: v in ("elitist", "plus", "nsga2"), "must be elitist, plus or nsga2"),
    "truncation": (lambda v: 0 < v <= 1, "must be a number in (0, 1]"),
    "budget_rule": (lambda v: v in ("improvement", "rank", "ucb"), "must be improvement, rank or ucb"),
    "objective": (
        lambda v: v in ("fitness", "worst-segment", "mean-segment"),
        "must be fitness, worst-segment or mean-segment",
    ),
    "holdout": (lambda v: 0 <= v < 0.9, "must be a number in [0, 0.9)"),
    "segments": (lambda v: 1 <= v <= 20, "must be an integer in 1..20"),
    "consistency": (lambda v: v >= 0, "must be a number >= 0"),
    "min_trades": (lambda v: v >= 0, "must be an integer >= 0"),
    "trade_penalty": (lambda v: v >= 0, "must be a number >= 0"),
    "max_drawdown": (lambda v: 0 < v <= 1, "must be a number in (0, 1]"),
    "drawdown_penalty": (lambda v: v >= 0, "must be a number >= 0"),
    "fee_bps": (lambda v: 0 <= v < 10_000, "must be a number of basis points in [0, 10000)"),
    "slippage_bps": (lambda v: 0 <= v < 10_000, "must be a number of basis points in [0, 10000)"),
    "long_only": (lambda v: True, "must be true or false"),
    "rebalance_band": (lambda v: v >= 0, "must be a number >= 0"),
    "bars_per_year": (lambda v: v is None or v > 0, "must be a number > 0 (or null to infer it)"),
    "hall_of_fame": (lambda v: v >= 1, "must be an integer >= 1"),
    "hof_per_seed": (lambda v: v >= 1, "must be an integer >= 1"),
    "hof_min_distance": (lambda v: 0 <= v <= 1, "must be a number in [0, 1]"),
    "promote_dsr": (lambda v: 0 <= v <= 1, "must be a probability in [0, 1]"),
    "promote_max_drawdown": (lambda v: 0 < v <= 1, "must be a number in (0, 1]"),
    "dsr_sample": (lambda v: 2 <= v <= 4096, "must be an integer in 2..4096"),
    "robust_step": (lambda v: 0 < v <= 0.5, "must be a number in (0, 0.5]"),
    "thin_peak_ratio": (lambda v: 0 <= v <= 1, "must be a number in [0, 1]"),
    "random_seed": (lambda v: 0 <= v < 2**63, "must be an integer in [0, 2**63)"),
}


def load_config_file(path: str | Path, base: EvolutionConfig | None = None) -> EvolutionConfig:
    """Read a YAML or JSON mapping of config keys (JSON is YAML, so one parser reads both) over ``base``."""
    source = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError("config", f"cannot read the file ({exc.strerror})", source, source) from None
    try:
        data = yaml.safe_load(text) if not source.endswith(".json") else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ConfigError("config", f"not valid YAML/JSON ({exc})", source, source) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("config", "must be a mapping of keys to values", type(data).__name__, source)
    return (base or EvolutionConfig()).with_overrides(data, source=source)
