"""The run summary: the hall of fame scored on train and holdout, with the Deflated Sharpe Ratio, plus the curves
the HTML report draws.

Each hall-of-fame entry is replayed with ``Seed.run`` on the training span (``trade_start = 0``) and on the holdout
(all bars, ``trade_start = n_train``: indicators see the training bars as history, decisions and the equity curve
cover only the holdout). The DSR uses the entry's per-bar training returns (``SR*``, skewness, raw kurtosis, ``T``),
``N`` = distinct genomes evaluated by the run, and ``V`` = the variance across those genomes of the searched Sharpe
(mean walk-forward-segment Sharpe, annualised) divided by ``bars_per_year`` (per-bar units). See
:mod:`workloads.evolution.dsr`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workloads.data.bars import Bars
from workloads.evolution.dsr import deflated_sharpe, return_moments
from workloads.evolution.fitness import Split
from workloads.evolution.pool import PoolState
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import BacktestResult, Seed

CURVE_POINTS = 600
CURVES_FOR = 5


def _clean(value: float) -> float | None:
    """JSON-safe number (non-finite → ``None``)."""
    return float(value) if math.isfinite(value) else None


def _metrics(result: BacktestResult) -> dict[str, float | None]:
    return {name: _clean(value) for name, value in result.metrics.items()}


def _returns(equity: np.ndarray) -> np.ndarray:
    previous = equity[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.where(previous > 0, equity[1:] / np.where(previous > 0, previous, 1.0) - 1.0, 0.0)
    return returns


def _downsample(timestamp: np.ndarray, values: np.ndarray) -> dict[str, list]:
    step = max(1, int(np.ceil(values.shape[0] / CURVE_POINTS)))
    index = np.unique(np.r_[np.arange(0, values.shape[0], step), values.shape[0] - 1])
    return {"t": (timestamp[index] // 1_000_000).tolist(), "v": [float(v) for v in values[index]]}


def hall_of_fame_entries(
    state: PoolState, seeds: dict[str, Seed], bars: Bars, split: Split, sim: SimConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(entries, curves)``: the summary entries best first, and equity curves of the top ``CURVES_FOR``."""
    train = bars.slice(0, split.n_train)
    variance = state.trial_sharpe_variance / sim.bars_per_year
    entries, curves = [], []
    for rank, entry in enumerate(state.hall_of_fame):
        seed = seeds[entry["strategy"]]
        row = np.asarray(entry["params"], dtype=np.float64)
        train_run = seed.run(train, row, sim, 0)
        sharpe, skew, kurt, n_returns = return_moments(_returns(train_run.equity))
        dsr, sr0 = deflated_sharpe(sharpe, n_returns, skew, kurt, state.n_trials, variance)
        holdout_run = seed.run(bars, row, sim, split.n_train) if split.n_holdout > 0 else None
        entries.append(
            {
                "strategy": entry["strategy"],
                "params": seed.genes.as_dict(row),
                "fitness": _clean(entry["fitness"]),
                "generation": entry["generation"],
                "train": _metrics(train_run),
                "holdout": _metrics(holdout_run) if holdout_run is not None else None,
                "dsr": _clean(dsr),
                "dsr_detail": {
                    "sharpe_per_bar": _clean(sharpe),
                    "skewness": _clean(skew),
                    "kurtosis": _clean(kurt),
                    "returns": n_returns,
                    "trials": state.n_trials,
                    "sr0_per_bar": _clean(sr0),
                    "trial_sharpe_variance_per_bar": _clean(variance),
                },
            }
        )
        if rank < CURVES_FOR:
            curve = {
                "label": f"#{rank + 1} {entry['strategy']}",
                "train": _downsample(train_run.timestamp, train_run.equity),
            }
            if holdout_run is not None:
                curve["holdout"] = _downsample(holdout_run.timestamp, holdout_run.equity)
            curves.append(curve)
    return entries, curves


def buy_and_hold(bars: Bars, split: Split) -> dict[str, Any]:
    """Close-to-close buy-and-hold equity on the training span and on the holdout (each starting at 1)."""
    out = {"train": _downsample(bars.timestamp[: split.n_train], bars.close[: split.n_train] / bars.close[0])}
    if split.n_holdout > 0:
        start = split.n_train
        out["holdout"] = _downsample(bars.timestamp[start:], bars.close[start:] / bars.close[start])
    return out


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
