"""Genetic operators over whole populations in the unit box ``[0, 1]^g`` (rows = genomes, columns = genes).

Every operator takes an explicit ``numpy.random.Generator`` (never a global RNG) and returns new arrays; genomes
always stay inside ``[0, 1]``. Fitness is "higher is better"; ties are broken by position (stable sorts), so a
given generator state always gives the same result.

- :func:`tournament_select`: ``k``-way tournament with replacement; each winner is the fittest of ``k`` uniform draws.
- :func:`truncation_select`: ``n`` uniform draws (with replacement) among the ``max(2, ceil(share · size))`` fittest.
- :func:`blend_crossover`: BLX-α on consecutive parent pairs: with probability ``rate`` a pair's children are drawn
  gene-wise uniformly from ``[min - α·d, max + α·d]`` (``d = |a - b|``), clipped to the box; otherwise copied.
- :func:`gaussian_mutation`: each gene, with probability ``rate``, moves by ``N(0, sigma)`` and is reflected back
  into ``[0, 1]`` (reflection keeps the step distribution symmetric near the bounds, unlike clipping, which piles
  mass on them); a child none of whose genes was drawn gets one uniformly chosen gene moved, so every child
  explores (otherwise, with few genes, most children of close parents are copies).
- :func:`elite_indices`: the ``n`` fittest, best first.
- :func:`diversity`: mean over genes of the population's standard deviation (0 = every genome identical;
  a uniform population has about 0.29).
- :func:`random_genomes`: uniform immigrants.
- :func:`unique_rows`: first occurrence of each distinct row (de-duplication before evaluation).
"""

from __future__ import annotations

import numpy as np


def tournament_select(rng: np.random.Generator, fitness: np.ndarray, n: int, k: int) -> np.ndarray:
    """Indices of ``n`` tournament winners, shape ``(n,)``."""
    contenders = rng.integers(0, fitness.shape[0], size=(n, k))
    best = np.argmax(fitness[contenders], axis=1)
    winners: np.ndarray = contenders[np.arange(n), best]
    return winners


def truncation_select(rng: np.random.Generator, fitness: np.ndarray, n: int, share: float) -> np.ndarray:
    """Indices of ``n`` parents drawn uniformly from the fittest ``max(2, ceil(share · len(fitness)))``."""
    top = elite_indices(fitness, max(2, int(np.ceil(share * fitness.shape[0]))))
    chosen: np.ndarray = top[rng.integers(0, top.shape[0], size=n)]
    return chosen


def blend_crossover(rng: np.random.Generator, parents: np.ndarray, rate: float, alpha: float) -> np.ndarray:
    """Children of consecutive pairs ``(0, 1), (2, 3), …`` (an odd last parent is copied), same shape as ``parents``."""
    children = parents.copy()
    n_pairs = parents.shape[0] // 2
    if n_pairs == 0:
        return children
    a, b = parents[0 : 2 * n_pairs : 2], parents[1 : 2 * n_pairs : 2]
    low, high = np.minimum(a, b), np.maximum(a, b)
    spread = alpha * (high - low)
    draws = rng.uniform(size=(2, n_pairs, parents.shape[1]))
    lo, hi = low - spread, high + spread
    blended = np.clip(lo + draws * (hi - lo), 0.0, 1.0)
    crossed = rng.uniform(size=n_pairs) < rate
    children[0 : 2 * n_pairs : 2][crossed] = blended[0][crossed]
    children[1 : 2 * n_pairs : 2][crossed] = blended[1][crossed]
    return children


def reflect_into_unit(values: np.ndarray) -> np.ndarray:
    """Fold values back into ``[0, 1]`` by reflection at the bounds (period 2)."""
    folded = np.mod(values, 2.0)
    reflected: np.ndarray = np.where(folded > 1.0, 2.0 - folded, folded)
    return reflected


def gaussian_mutation(rng: np.random.Generator, genomes: np.ndarray, rate: float, sigma: float) -> np.ndarray:
    """Each gene mutated with probability ``rate`` (at least one gene per row) by a bounded (reflected) gaussian
    step of std ``sigma``."""
    mask = rng.uniform(size=genomes.shape) < rate
    forced = rng.integers(0, max(1, genomes.shape[1]), size=genomes.shape[0])
    if genomes.shape[1] > 0:
        idle = ~mask.any(axis=1)
        mask[idle, forced[idle]] = True
    steps = rng.normal(0.0, sigma, size=genomes.shape)
    return np.where(mask, reflect_into_unit(genomes + steps), genomes)


def elite_indices(fitness: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` fittest indices, best first (ties: earlier index first)."""
    order = np.argsort(-fitness, kind="stable")
    return order[:n]


def diversity(genomes: np.ndarray) -> float:
    """Mean per-gene standard deviation of a population (0 when fewer than two genomes)."""
    if genomes.shape[0] < 2 or genomes.shape[1] == 0:
        return 0.0
    return float(np.mean(np.std(genomes, axis=0)))


def random_genomes(rng: np.random.Generator, n: int, n_genes: int) -> np.ndarray:
    """``n`` uniform genomes in the unit box."""
    return rng.uniform(size=(n, n_genes))


def unique_rows(rows: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row, in their original order."""
    if rows.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(np.ascontiguousarray(rows), axis=0, return_index=True)
    return np.sort(first)
