"""NSGA-II over three objectives of a strategy: Sharpe, drawdown and turnover (Deb et al., 2002).

Conventions: an objective array is ``(n, m)`` with every column **higher-is-better** (a cost enters negated). Row
``a`` **dominates** row ``b`` when it is at least as good in every column and strictly better in one. Non-finite
values count as the worst case (``-inf``).

- :func:`strategy_objectives`: per genome, from its ``(n, segments, N_METRICS)`` walk-forward metrics, the columns
  ``(mean_k S_k, −mean_k D_k, −mean_k T_k)``: mean segment Sharpe (annualised), mean segment max drawdown (a
  fraction) and mean segment turnover (traded notional / equity, summed over the segment's fills);
- :func:`non_dominated_fronts`: the fast non-dominated sort: front 0 is the rows no row dominates, front ``k`` the
  rows dominated only by rows of fronts ``< k``;
- :func:`crowding_distance`: within one front, per row the sum over objectives of the gap between its two
  neighbours in that objective, divided by the front's range in it; the extremes of every objective get ``inf``;
- :func:`survivors`: NSGA-II survival, the ``n`` best by (front, larger crowding distance), ties to the earlier row;
- :func:`crowded_tournament`: binary tournaments under the same order (parent selection);
- :func:`compromise`: the member of front 0 that is **promoted** — the one closest (Euclidean) to the front's ideal
  point after scaling each objective to ``[0, 1]`` over the front (0 the front's worst, 1 its best; an objective
  constant over the front counts as 1). With no stated preference between the three objectives, it is the member
  that gives up least of each; ties go to the higher Sharpe, then the earlier row.
"""

from __future__ import annotations

import numpy as np

from workloads.kernels.metrics import MAX_DRAWDOWN, SHARPE, TURNOVER


def strategy_objectives(segment_metrics: np.ndarray) -> np.ndarray:
    """``(n, segments, N_METRICS)`` → ``(n, 3)``: mean Sharpe, −mean drawdown, −mean turnover (see the module doc)."""
    sharpe = np.nan_to_num(segment_metrics[:, :, SHARPE], nan=0.0, posinf=0.0, neginf=0.0).mean(axis=1)
    drawdown = np.nan_to_num(segment_metrics[:, :, MAX_DRAWDOWN], nan=1.0).mean(axis=1)
    turnover = np.nan_to_num(segment_metrics[:, :, TURNOVER], nan=np.inf, posinf=np.inf).mean(axis=1)
    return np.column_stack([sharpe, -drawdown, -turnover])


def _clean(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"objective values must be (n, m), got shape {array.shape}")
    return np.where(np.isfinite(array), array, -np.inf)


def dominance_matrix(values: np.ndarray) -> np.ndarray:
    """``(n, n)`` booleans: ``[a, b]`` is true when row ``a`` dominates row ``b``."""
    v = _clean(values)
    at_least = (v[:, None, :] >= v[None, :, :]).all(axis=2)
    better = (v[:, None, :] > v[None, :, :]).any(axis=2)
    return np.asarray(at_least & better, dtype=bool)


def non_dominated_fronts(values: np.ndarray) -> list[np.ndarray]:
    """The fronts, best first, each an ascending array of row indices; together they cover every row once."""
    dominates = dominance_matrix(values)
    remaining = dominates.sum(axis=0)
    fronts: list[np.ndarray] = []
    current = np.flatnonzero(remaining == 0)
    assigned = np.zeros(dominates.shape[0], dtype=bool)
    while current.size:
        fronts.append(current)
        assigned[current] = True
        remaining = remaining - dominates[current].sum(axis=0)
        current = np.flatnonzero((remaining == 0) & ~assigned)
    return fronts


def front_ranks(values: np.ndarray) -> np.ndarray:
    """``(n,)`` the front of each row (0 = non-dominated)."""
    ranks = np.empty(np.asarray(values).shape[0], dtype=np.int64)
    for k, front in enumerate(non_dominated_fronts(values)):
        ranks[front] = k
    return ranks


def crowding_distance(values: np.ndarray) -> np.ndarray:
    """``(n,)`` crowding distance of every row of ``values``, taken as one front (see the module doc)."""
    v = _clean(values)
    n, m = v.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(v[:, j], kind="stable")
        column = v[order, j]
        distance[order[0]] = distance[order[-1]] = np.inf
        span = column[-1] - column[0]
        if not np.isfinite(span) or span <= 0:
            continue
        gaps = (column[2:] - column[:-2]) / span
        inner = order[1:-1]
        distance[inner] += np.where(np.isfinite(gaps), gaps, np.inf)
    return distance


def rank_and_crowding(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(front rank, crowding distance within the front)`` of every row."""
    n = np.asarray(values).shape[0]
    ranks, crowding = np.empty(n, dtype=np.int64), np.empty(n)
    for k, front in enumerate(non_dominated_fronts(values)):
        ranks[front] = k
        crowding[front] = crowding_distance(np.asarray(values)[front])
    return ranks, crowding


def survivors(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` rows NSGA-II keeps: by front, then by larger crowding distance, ties to the earlier row;
    in that order."""
    ranks, crowding = rank_and_crowding(values)
    order = np.lexsort((np.arange(ranks.shape[0]), -crowding, ranks))
    kept: np.ndarray = order[:n]
    return kept


def crowded_tournament(rng: np.random.Generator, values: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` winners of binary tournaments (two uniform draws with replacement): the lower front wins,
    then the larger crowding distance, then the earlier row."""
    ranks, crowding = rank_and_crowding(values)
    pairs = rng.integers(0, ranks.shape[0], size=(n, 2))
    a, b = pairs[:, 0], pairs[:, 1]
    first_wins = (ranks[a] < ranks[b]) | (
        (ranks[a] == ranks[b]) & ((crowding[a] > crowding[b]) | ((crowding[a] == crowding[b]) & (a <= b)))
    )
    winners: np.ndarray = np.where(first_wins, a, b)
    return winners


def compromise(values: np.ndarray) -> int:
    """The promoted member of front 0: the index of the row closest to the front's ideal point (module doc)."""
    v = _clean(values)
    front = np.flatnonzero(~dominance_matrix(v).any(axis=0))
    members = v[front]
    low, high = members.min(axis=0), members.max(axis=0)
    span = high - low
    finite = np.isfinite(span) & (span > 0)
    scaled = np.ones_like(members)
    scaled[:, finite] = (members[:, finite] - low[finite]) / span[finite]
    distance = np.sqrt(((1.0 - scaled) ** 2).sum(axis=1))
    order = np.lexsort((front, -members[:, 0], distance))
    return int(front[order[0]])
