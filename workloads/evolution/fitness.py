"""Honest fitness: walk-forward segments of the training span, consistency, penalties; the holdout is never seen.

Data layout (``n`` bars): the last ``floor(holdout · n)`` bars are the **holdout**; bars ``0 .. n_train - 1`` are the
**training span**. The search only ever receives ``bars.slice(0, n_train)`` (so changing holdout bars cannot change
a search fitness; a test holds it to that), and infers ``bars_per_year`` from the training timestamps.

The training span is split into ``segments`` equal walk-forward segments ``[s_k, e_k)``. Segment ``k`` is evaluated
on bars ``0 .. e_k - 1`` with ``trade_start = s_k``: indicators warm up on all earlier bars, each segment starts flat
with fresh equity, so the segments are independent out-of-time tests of the same genome.

Per segment ``k`` the kernel's metrics give Sharpe ``S_k`` (annualised), entries ``N_k`` and max drawdown ``D_k``.
The fitness is::

    fitness = mean_k S_k − consistency · std_k S_k                       (reward consistency)
              − trade_penalty · mean_k max(0, min_trades − N_k) / min_trades   (too few trades)
              − drawdown_penalty · mean_k max(0, D_k − max_drawdown)           (deep drawdowns)

That is the default ``objective``, ``fitness``. The others change its first line: ``worst-segment`` scores
``min_k S_k`` (the worst walk-forward segment), ``mean-segment`` scores ``mean_k S_k`` (no consistency term); the
penalties are the same for all (docs/evolution.md#which-objective).

Non-finite metrics count as the worst case (Sharpe 0, drawdown 1). ``trial_sharpe`` (mean segment Sharpe) is the
searched statistic whose cross-trial variance the Deflated Sharpe Ratio uses.
"""

from __future__ import annotations

import numpy as np

from workloads.evolution.config import EvolutionConfig
from workloads.evolution.plan import Span, Split
from workloads.kernels.metrics import MAX_DRAWDOWN, SHARPE, TRADES


def split_data(n_bars: int, holdout: float, segments: int) -> Split:
    """Training/holdout cut and the walk-forward segments of the training span."""
    n_holdout = int(np.floor(holdout * n_bars))
    n_train = n_bars - n_holdout
    if n_train < 2 * segments:
        raise ValueError(
            f"{n_bars} bars leave {n_train} training bars after a {holdout} holdout: "
            f"too few for {segments} walk-forward segments"
        )
    if holdout > 0 and n_holdout < 2:
        raise ValueError(f"{n_bars} bars give a holdout of {n_holdout} bars (holdout {holdout}): need at least 2")
    edges = np.linspace(0, n_train, segments + 1).round().astype(int)
    spans = tuple(Span(int(edges[k]), int(edges[k + 1])) for k in range(segments))
    return Split(n_bars=n_bars, n_train=n_train, spans=spans)


def fitness_from_metrics(segment_metrics: np.ndarray, config: EvolutionConfig) -> np.ndarray:
    """``(n, segments, N_METRICS)`` per-segment metrics → ``(n,)`` fitness (see the module doc)."""
    sharpe = np.nan_to_num(segment_metrics[:, :, SHARPE], nan=0.0, posinf=0.0, neginf=0.0)
    trades = np.nan_to_num(segment_metrics[:, :, TRADES], nan=0.0)
    drawdown = np.nan_to_num(segment_metrics[:, :, MAX_DRAWDOWN], nan=1.0)
    if config.objective == "worst-segment":
        score = sharpe.min(axis=1)
    else:
        score = sharpe.mean(axis=1)
        if config.objective == "fitness" and sharpe.shape[1] > 1:
            score = score - config.consistency * sharpe.std(axis=1)
    if config.min_trades > 0:
        shortfall = np.maximum(0.0, config.min_trades - trades) / config.min_trades
        score = score - config.trade_penalty * shortfall.mean(axis=1)
    excess = np.maximum(0.0, drawdown - config.max_drawdown)
    fitness: np.ndarray = score - config.drawdown_penalty * excess.mean(axis=1)
    return fitness


def trial_sharpe(segment_metrics: np.ndarray) -> np.ndarray:
    """``(n,)`` mean annualised Sharpe over the segments (non-finite as 0)."""
    sharpe = np.nan_to_num(segment_metrics[:, :, SHARPE], nan=0.0, posinf=0.0, neginf=0.0)
    mean: np.ndarray = sharpe.mean(axis=1)
    return mean
