"""Scoring a finished run: the hall of fame replayed on train and holdout, deflated, gated for promotion and probed
for robustness, plus the tear-sheet paths the HTML report draws.

- **Replay**: each entry runs with ``Seed.run`` on the training span (``trade_start = 0``) and on the holdout (all
  bars, ``trade_start = n_train``: indicators see the training bars as history, decisions and the equity curve cover
  only the holdout).
- **Deflation** (:mod:`workloads.evolution.dsr`, per-bar units): ``SR*``, skewness, raw kurtosis and ``T`` from the
  entry's per-bar training returns. ``dsr`` tests them against ``SR0 = sqrt(1/(T−1)) · E[max_N_eff]``, where
  ``N_eff = ρ̄ + (1 − ρ̄)·M`` is clipped to [seeds searched, ``M``], ``M`` = distinct genomes evaluated and ``ρ̄``
  the average pairwise (negative → 0) correlation of the training returns of the run's trial sample
  (:mod:`workloads.evolution.trials`: up to ``dsr_sample`` distinct trials, uniform over all of them, replayed once
  here; on spans longer than :data:`CORRELATION_POINTS` bars their returns are summed into that many blocks
  first). ``dsr_conservative`` uses ``SR0 = sqrt(V) · E[max_M]`` with ``V`` the cross-trial variance of the
  searched Sharpe (mean walk-forward-segment Sharpe, annualised) / ``bars_per_year``.
- **Promotion**: an entry is promoted when ``dsr ≥ promote_dsr``, the holdout Sharpe is positive, the holdout has at
  least ``min_trades`` entries and its drawdown is at most ``promote_max_drawdown``; ``gate`` lists every rule it
  failed, in that order.
- **Robustness** (:class:`workloads.evolution.records.Robustness`): each gene moved by ±1 and ±2 ``robust_step`` in
  the unit box (one gene at a time, repaired like any child), scored by the search's own fitness; and the
  walk-forward efficiency, holdout Sharpe over the mean walk-forward-segment Sharpe.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from workloads.data.bars import Bars
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.dsr import (
    average_correlation,
    deflated_sharpe,
    effective_trials,
    null_deflated_sharpe,
    return_moments,
)
from workloads.evolution.fitness import fitness_from_metrics
from workloads.evolution.hall_of_fame import HallOfFameEntry
from workloads.evolution.plan import Split, Workload, evaluate_spans
from workloads.evolution.records import DsrDetail, Robustness, ScoredEntry, SeedBest, Verdict
from workloads.evolution.state import PoolState
from workloads.kernels.metrics import SHARPE
from workloads.seeds.base import BacktestResult, Seed
from workloads.tearsheet.paths import strategy_path
from workloads.tearsheet.stats import bar_returns

CURVES_FOR = 5
NEIGHBOUR_STEPS = (-2, -1, 1, 2)
"""Multiples of ``robust_step`` each gene is moved by."""
CORRELATION_POINTS = 4096
"""A sampled trial's training returns are summed into at most this many equal blocks before correlating (exact for
shorter spans; bounds the sample's matrix to ``dsr_sample × 4096`` numbers however many bars there are)."""


def _metrics(result: BacktestResult) -> dict[str, float]:
    return {name: float(value) for name, value in result.metrics.items()}


def block_sums(returns: np.ndarray, blocks: int = CORRELATION_POINTS) -> np.ndarray:
    """``returns`` summed over at most ``blocks`` contiguous, (nearly) equal blocks; unchanged when shorter."""
    if returns.shape[0] <= blocks:
        return returns
    edges = np.linspace(0, returns.shape[0], blocks + 1).astype(np.int64)[:-1]
    sums: np.ndarray = np.add.reduceat(returns, edges)
    return sums


def trial_correlation(state: PoolState, seeds: dict[str, Seed], train: Bars, workload: Workload) -> float:
    """``ρ̄`` of the run's trial sample: each sampled trial replayed once on the training span, its returns
    summed into at most :data:`CORRELATION_POINTS` blocks."""
    rows = [
        block_sums(bar_returns(seeds[t.strategy].run(train, np.asarray(t.params), workload.sim, 0).equity))
        for t in state.trial_sample.trials
        if t.strategy in seeds
    ]
    return average_correlation(np.vstack(rows)) if len(rows) > 1 else math.nan


def gate_reasons(dsr: float, holdout: Mapping[str, float | None] | None, config: EvolutionConfig) -> tuple[str, ...]:
    """Every promotion rule the entry fails (empty: promoted). A statistic that is missing or not finite fails the
    rule that reads it, shown as ``n/a`` (the DSR as its value: ``dsr nan < 0.95``)."""
    reasons = []
    if not (math.isfinite(dsr) and dsr >= config.promote_dsr):
        reasons.append(f"dsr {dsr:.3g} < {config.promote_dsr:g}")
    if holdout is None:
        return (*reasons, "no holdout")
    sharpe, trades, drawdown = (_finite(holdout.get(name)) for name in ("sharpe", "trades", "max_drawdown"))
    if sharpe is None or sharpe <= 0:
        reasons.append(f"holdout sharpe {_show(sharpe)} <= 0")
    if trades is None or trades < config.min_trades:
        reasons.append(f"holdout trades {_show(trades, '{:.0f}')} < {config.min_trades}")
    if drawdown is None or drawdown > config.promote_max_drawdown:
        reasons.append(f"holdout drawdown {_show(drawdown, '{:.1%}')} > {config.promote_max_drawdown:.0%}")
    return tuple(reasons)


def _finite(value: float | None) -> float | None:
    """``value`` when it is a finite number, else ``None``."""
    return value if value is not None and math.isfinite(value) else None


def _show(value: float | None, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def robustness(
    entry: HallOfFameEntry,
    seed: Seed,
    workload: Workload,
    config: EvolutionConfig,
    holdout_sharpe: float | None,
) -> Robustness:
    """The entry's neighbourhood and walk-forward efficiency (see the module doc), in one batched evaluation."""
    genome = np.asarray(entry.genome, dtype=np.float64)
    rows = [genome]
    for gene in range(genome.shape[0]):
        for step in NEIGHBOUR_STEPS:
            moved = genome.copy()
            moved[gene] = min(1.0, max(0.0, moved[gene] + step * config.robust_step))
            if moved[gene] != genome[gene]:
                rows.append(moved)
    params, _ = seed.repair(seed.genes.decode(np.vstack(rows)))
    metrics = evaluate_spans(seed, workload, params)
    fitness = fitness_from_metrics(metrics, config)
    own = params[0]
    neighbours = fitness[1:][np.any(params[1:] != own, axis=1)]
    mean = float(neighbours.mean()) if neighbours.size else None
    retention = mean / entry.fitness if mean is not None and entry.fitness > 0 else None
    segment_sharpe = metrics[0, :, SHARPE]
    mean_segment = float(np.nanmean(segment_sharpe)) if segment_sharpe.size else math.nan
    efficiency = holdout_sharpe / mean_segment if holdout_sharpe is not None and mean_segment > 0 else None
    return Robustness(
        neighbours=int(neighbours.size),
        neighbour_fitness_mean=mean,
        neighbour_fitness_min=float(neighbours.min()) if neighbours.size else None,
        retention=retention,
        thin_peak=retention is not None and math.isfinite(retention) and retention < config.thin_peak_ratio,
        segment_sharpe=tuple(float(v) for v in segment_sharpe),
        walk_forward_efficiency=efficiency,
    )


@dataclass(frozen=True)
class Deflation:
    """What every entry is deflated against: the run's ``N_eff`` (and the ``ρ̄`` behind it) and the conservative
    cross-sectional per-bar variance."""

    n_eff: float
    mean_correlation: float
    variance_per_bar: float


def deflation(state: PoolState, seeds: dict[str, Seed], workload: Workload) -> Deflation:
    rho = trial_correlation(state, seeds, workload.train, workload)
    return Deflation(
        n_eff=effective_trials(rho, state.n_trials, n_lower=len(state.seed_names)),
        mean_correlation=rho,
        variance_per_bar=state.trial_sharpe_variance / workload.sim.bars_per_year,
    )


@dataclass(frozen=True)
class Replay:
    """One genome replayed on train and holdout, deflated and gated."""

    train_run: BacktestResult
    holdout_run: BacktestResult | None
    holdout: dict[str, float] | None
    moments: tuple[float, float, float, int]
    dsr: float
    sr0: float
    gate: tuple[str, ...]


def replay(
    entry: HallOfFameEntry,
    seed: Seed,
    bars: Bars,
    split: Split,
    workload: Workload,
    basis: Deflation,
    config: EvolutionConfig,
) -> Replay:
    row = np.asarray(entry.params, dtype=np.float64)
    train_run = seed.run(workload.train, row, workload.sim, 0)
    moments = return_moments(bar_returns(train_run.equity))
    sharpe, skew, kurt, n_returns = moments
    dsr, sr0 = null_deflated_sharpe(sharpe, n_returns, skew, kurt, basis.n_eff)
    holdout_run = seed.run(bars, row, workload.sim, split.n_train) if split.n_holdout > 0 else None
    holdout = _metrics(holdout_run) if holdout_run is not None else None
    return Replay(train_run, holdout_run, holdout, moments, dsr, sr0, gate_reasons(dsr, holdout, config))


def score_hall_of_fame(
    state: PoolState, seeds: dict[str, Seed], bars: Bars, split: Split, workload: Workload, basis: Deflation
) -> tuple[list[ScoredEntry], list[dict[str, Any]]]:
    """``(entries, paths)``: the scored entries best first, and the tear-sheet paths
    (``workloads.tearsheet.paths.strategy_path``) of the top ``CURVES_FOR``."""
    config = state.config
    entries, curves = [], []
    for rank, entry in enumerate(state.hall_of_fame.entries):
        seed = seeds[entry.strategy]
        done = replay(entry, seed, bars, split, workload, basis, config)
        sharpe, skew, kurt, n_returns = done.moments
        dsr_conservative, sr0_conservative = deflated_sharpe(
            sharpe, n_returns, skew, kurt, state.n_trials, basis.variance_per_bar
        )
        holdout_sharpe = done.holdout.get("sharpe") if done.holdout else None
        entries.append(
            ScoredEntry(
                strategy=entry.strategy,
                params=seed.genes.as_dict(np.asarray(entry.params)),
                fitness=float(entry.fitness),
                generation=entry.generation,
                train=_metrics(done.train_run),
                holdout=done.holdout,
                dsr=float(done.dsr),
                dsr_conservative=float(dsr_conservative),
                n_eff=basis.n_eff,
                promoted=not done.gate,
                gate=done.gate,
                dsr_detail=DsrDetail(
                    sharpe_per_bar=float(sharpe),
                    skewness=float(skew),
                    kurtosis=float(kurt),
                    returns=n_returns,
                    trials=state.n_trials,
                    n_eff=basis.n_eff,
                    mean_correlation=float(basis.mean_correlation),
                    sr0_per_bar=float(done.sr0),
                    sr0_conservative_per_bar=float(sr0_conservative),
                    trial_sharpe_variance_per_bar=float(basis.variance_per_bar),
                ),
                robustness=robustness(entry, seed, workload, config, holdout_sharpe),
            )
        )
        if rank < CURVES_FOR:
            label = f"#{rank + 1} {entry.strategy}"
            curves.append(strategy_path(label, done.train_run, done.holdout_run, workload.sim.bars_per_year))
    return entries, curves


def best_by_seed(
    state: PoolState, seeds: dict[str, Seed], bars: Bars, split: Split, workload: Workload, basis: Deflation
) -> dict[str, SeedBest]:
    """Each evaluated seed's best genome, whether it is in the hall of fame, and its verdict."""
    kept = set(state.hall_of_fame.entries)
    out = {}
    for name, best in state.hall_of_fame.best_by_seed.items():
        done = replay(best, seeds[name], bars, split, workload, basis, state.config)
        out[name] = SeedBest(
            strategy=name,
            params=seeds[name].genes.as_dict(np.asarray(best.params)),
            fitness=float(best.fitness),
            sharpe=float(best.sharpe),
            generation=best.generation,
            in_hall_of_fame=best in kept,
            dsr=float(done.dsr),
            holdout_sharpe=done.holdout.get("sharpe") if done.holdout else None,
            promoted=not done.gate,
            gate=done.gate,
        )
    return out


def verdict(entries: list[ScoredEntry], seeds: dict[str, SeedBest]) -> Verdict:
    """ "N promoted: …" naming them, or "nothing passed — …" with how many entries failed each rule; and which
    seeds' best genomes pass."""
    passing = tuple(name for name, best in seeds.items() if best.promoted)
    refused = tuple(name for name, best in seeds.items() if not best.promoted)
    promoted = [e for e in entries if e.promoted]
    if promoted:
        names = ", ".join(f"#{entries.index(e) + 1} {e.strategy}" for e in promoted)
        return Verdict(len(promoted), f"{len(promoted)} promoted: {names}", passing, refused)
    if not entries:
        return Verdict(0, "nothing passed: the hall of fame is empty", passing, refused)
    failures = Counter(_rule(reason) for e in entries for reason in e.gate)
    why = ", ".join(f"{rule} {count}/{len(entries)}" for rule, count in failures.most_common())
    return Verdict(0, f"nothing passed — failed rules: {why}", passing, refused)


def _rule(reason: str) -> str:
    """The rule a gate reason names (``"holdout sharpe -0.31 <= 0"`` → ``"holdout sharpe"``)."""
    match = re.match(r"[a-z ]*[a-z]", reason)
    return match.group(0) if match else reason


def gene_distributions(state: PoolState, seeds: dict[str, Seed]) -> dict[str, dict[str, Any]]:
    """Final population of each seed: gene names, bounds and decoded values (for histograms)."""
    out = {}
    for name, population in state.populations.items():
        low, high = seeds[name].genes.bounds()
        out[name] = {
            "genes": list(seeds[name].genes.names),
            "low": low.tolist(),
            "high": high.tolist(),
            "values": population.params.T.tolist(),
        }
    return out
