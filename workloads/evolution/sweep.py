"""Parameter sweeps: a grid over a seed's genes, evaluated in one parallel kernel call, ranked by a metric.

Grid syntax (one ``--grid`` per gene): ``name=start:stop:step`` (inclusive of ``stop`` when the step lands on it),
``name=v1,v2,...``, or ``name=value``; a choice gene takes its choices by name (``mode=reversion,breakout``) or
index. Genes without a grid keep their default. Combinations the gene space
forbids (e.g. ``fast >= slow``) are repaired as the evolution repairs them (``Seed.repair``) and counted; repaired
combinations that coincide with another are evaluated once.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workloads.data.bars import Bars
from workloads.kernels.metrics import METRIC_NAMES, N_METRICS
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import FusedSeed, Seed

MAX_GRID_VALUES = 100_000
"""Most values one ``--grid`` may give (checked before the range is materialised)."""
MAX_COMBINATIONS = 1_000_000
"""Most combinations a sweep may evaluate (checked before the product is materialised)."""


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--grid {name}: {text!r} is not a number") from None


def parse_grid(spec: str) -> tuple[str, list[float | str]]:
    """``"fast=5:50:1"`` → ``("fast", [5.0, 6.0, ..., 50.0])`` (see module doc for the forms)."""
    name, sep, values = spec.partition("=")
    name = name.strip()
    if not sep or not name or not values.strip():
        raise ValueError(f"--grid {spec!r}: expected name=start:stop:step, name=v1,v2,... or name=value")
    if ":" in values:
        parts = values.split(":")
        if len(parts) != 3:
            raise ValueError(f"--grid {spec!r}: a range is start:stop:step")
        start, stop, step = (_number(p, name) for p in parts)
        if step <= 0 or stop < start:
            raise ValueError(f"--grid {spec!r}: a range needs step > 0 and stop >= start")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_GRID_VALUES:
            raise ValueError(f"--grid {spec!r}: {count:,} values; at most {MAX_GRID_VALUES:,} per gene")
        return name, [start + i * step for i in range(count)]
    listed = values.split(",")
    if len(listed) > MAX_GRID_VALUES:
        raise ValueError(f"--grid {name}: {len(listed):,} values; at most {MAX_GRID_VALUES:,} per gene")
    return name, [_number_or_name(v.strip()) for v in listed]


def _number_or_name(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _resolve(name: str, gene: Any, value: float | str) -> float:
    """A grid value as a number: a choice gene's choice by name becomes its index."""
    if isinstance(value, float):
        return value
    if gene.kind == "choice" and value in gene.choices:
        return float(gene.choices.index(value))
    hint = f" or one of {', '.join(map(str, gene.choices))}" if gene.choices else ""
    raise ValueError(f"--grid {name}: {value!r} is not a number{hint}")


def grid_params(seed: Seed, grids: Sequence[tuple[str, list[float | str]]]) -> np.ndarray:
    """The cartesian product of the grids as a ``(n, g)`` parameter array (other genes at their default).
    Values outside a gene's bounds, or fractional values of an integer gene, are refused."""
    space = seed.genes
    names = [name for name, _ in grids]
    if len(set(names)) != len(names):
        raise ValueError(f"--grid names a gene twice: {', '.join(names)}")
    combinations = math.prod(len(values) for _, values in grids)
    if combinations > MAX_COMBINATIONS:
        raise ValueError(f"--grid: {combinations:,} combinations; at most {MAX_COMBINATIONS:,} per sweep")
    columns = []
    for name, values in grids:
        if name not in space.names:
            raise ValueError(f"--grid {name}: {seed.name} has no gene {name!r}; genes are {', '.join(space.names)}")
        gene = space.genes[space.index(name)]
        numbers = [_resolve(name, gene, value) for value in values]
        for value in numbers:
            if not gene.low <= value <= gene.high:
                raise ValueError(f"--grid {name}: {value:g} is outside the gene's bounds {gene.low:g}..{gene.high:g}")
            if gene.discrete and value != round(value):
                raise ValueError(f"--grid {name}: {value:g} is not a whole number ({gene.kind} gene)")
        columns.append((space.index(name), numbers))
    combos = list(itertools.product(*(values for _, values in columns)))
    params = np.tile(space.defaults(), (len(combos), 1))
    for j, (column, _) in enumerate(columns):
        params[:, column] = [combo[j] for combo in combos]
    return params


@dataclass(frozen=True)
class SweepResult:
    seed: str
    params: np.ndarray  # (n, g) evaluated (repaired, unique) parameters
    metrics: np.ndarray  # (n, len(METRIC_NAMES))
    requested: int  # grid combinations before repair and de-duplication
    repaired: int  # combinations the gene space repaired
    seconds: float  # wall time of the one kernel call
    n_bars: int

    @property
    def evaluated(self) -> int:
        return int(self.params.shape[0])

    @property
    def bar_evals_per_second(self) -> float:
        return self.evaluated * self.n_bars / self.seconds if self.seconds > 0 else math.inf

    def top(self, k: int, rank_by: str = "sharpe") -> list[int]:
        """Indices of the ``k`` best rows by ``rank_by`` (descending; ``max_drawdown`` ascending), NaN last."""
        column = self.metrics[:, METRIC_NAMES.index(rank_by)]
        key = column if rank_by == "max_drawdown" else -column
        return [int(i) for i in np.argsort(np.nan_to_num(key, nan=np.inf), kind="stable")[:k]]


def ema_grid_evaluate(bars: Bars, params: np.ndarray, sim: SimConfig) -> np.ndarray | None:
    """``ema_crossover``'s metrics for its ``(n, 2)`` (fast, slow) rows ``params``, bit-identical to its ``evaluate``,
    one block per slow period sharing that period's EMA (``workloads.kernels.ema_grid``); ``None`` unless the rows
    are every pair of their fast and slow values (a full grid) with at most one block of fast periods."""
    from workloads.kernels.driver import NO_RECORDER, one_span
    from workloads.kernels.ema_grid import ema_grid_kernel
    from workloads.kernels.simulate import BLOCK
    from workloads.seeds.base import bar_arrays

    fasts, slows = np.unique(params[:, 0]), np.unique(params[:, 1])
    if fasts.size > BLOCK or fasts.size * slows.size != np.unique(params, axis=0).shape[0]:
        return None
    # Blocks hold whole 8-lane vectors (``driver.block_lanes``): each slow period's fast periods are padded to a
    # multiple of 8 lanes by repeating the last one, so block b is exactly slow period b; the padding is not read.
    width = (fasts.size + 7) // 8 * 8
    lanes = np.concatenate([fasts, np.full(width - fasts.size, fasts[-1])])
    rows = np.column_stack([np.tile(lanes, slows.size), np.repeat(slows, width)])
    out = np.empty((rows.shape[0], 1, N_METRICS))
    ema_grid_kernel(bar_arrays(bars), rows, sim.kernel_args(), one_span(0, len(bars)), out, NO_RECORDER, slows.size)
    return out[np.searchsorted(slows, params[:, 1]) * width + np.searchsorted(fasts, params[:, 0]), 0, :]


GRID_EVALUATORS: dict[str, Callable[[Bars, np.ndarray, SimConfig], np.ndarray | None]] = {
    "ema_crossover": ema_grid_evaluate,
}
"""Seeds with a faster evaluation of a grid than their population kernel, giving the same metrics (``None`` for
grids it does not cover)."""


def evaluate_grid(seed: Seed, bars: Bars, params: np.ndarray, sim: SimConfig) -> np.ndarray:
    """``seed.evaluate(bars, params, sim)``, through the seed's grid evaluator when it has one for these rows."""
    evaluate = GRID_EVALUATORS.get(seed.name)
    metrics = None if evaluate is None else evaluate(bars, params, sim)
    return seed.evaluate(bars, params, sim) if metrics is None else metrics


def run_sweep(seed: Seed, bars: Bars, grids: Sequence[tuple[str, list[float | str]]], sim: SimConfig) -> SweepResult:
    """Repair and de-duplicate the grid, then evaluate it in one call. A fused kernel is warmed up on two bars first
    (loading it from Numba's cache), so ``seconds`` is the evaluation alone."""
    requested = grid_params(seed, grids)
    repaired, mask = seed.repair(requested)
    params = np.unique(repaired, axis=0)
    if isinstance(seed, FusedSeed):
        evaluate_grid(seed, bars.slice(0, min(len(bars), 2)), params[:1], sim)
    started = time.perf_counter()
    metrics = evaluate_grid(seed, bars, params, sim)
    seconds = time.perf_counter() - started
    return SweepResult(seed.name, params, metrics, int(requested.shape[0]), int(mask.sum()), seconds, len(bars))


def metrics_dict(row: np.ndarray) -> dict[str, float | None]:
    """A metrics row as ``{name: value}``; non-finite values (an ``inf`` profit factor) become ``None`` (JSON null)."""
    return {name: (float(v) if math.isfinite(v) else None) for name, v in zip(METRIC_NAMES, row, strict=True)}


def describe(seed: Seed, result: SweepResult, k: int, rank_by: str) -> dict[str, Any]:
    """The ``genepool sweep --json`` document."""
    return {
        "strategy": seed.name,
        "bars": result.n_bars,
        "requested": result.requested,
        "repaired": result.repaired,
        "evaluated": result.evaluated,
        "seconds": result.seconds,
        "bar_evals_per_second": result.bar_evals_per_second,
        "rank_by": rank_by,
        "top": [
            {"params": seed.genes.as_dict(result.params[i]), "metrics": metrics_dict(result.metrics[i])}
            for i in result.top(k, rank_by)
        ],
    }


@dataclass(frozen=True)
class Sensitivity:
    """``metric`` over two genes: ``values[j][i]`` at ``x = xs[i]``, ``y = ys[j]`` is the best ``metric`` (the
    highest; the lowest for ``max_drawdown``) among the evaluated combinations with those two values, whatever the
    other gridded genes are; ``None`` where no evaluated combination has them (the gene space repaired them to
    other values) or its metric is not finite. Axis values are the grid's values, choice genes by their choice."""

    x: str
    y: str
    metric: str
    xs: list[Any]
    ys: list[Any]
    values: list[list[float | None]]


def parse_heatmap(spec: str, seed: Seed, grids: Sequence[tuple[str, list[float | str]]]) -> tuple[str, str]:
    """``"fast,slow"`` → ``("fast", "slow")``: two different genes of ``seed``, each given a ``--grid``."""
    names = [name.strip() for name in spec.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise ValueError(f"--heatmap {spec!r}: expected two different gene names, e.g. --heatmap fast,slow")
    gridded = [name for name, _ in grids]
    for name in names:
        if name not in seed.genes.names:
            raise ValueError(
                f"--heatmap {name}: {seed.name} has no gene {name!r}; genes are {', '.join(seed.genes.names)}"
            )
        if name not in gridded:
            raise ValueError(f"--heatmap {name}: the gene has no --grid (gridded: {', '.join(gridded)})")
    return names[0], names[1]


def sensitivity(
    seed: Seed, result: SweepResult, grids: Sequence[tuple[str, list[float | str]]], x: str, y: str, metric: str
) -> Sensitivity:
    """The :class:`Sensitivity` of ``metric`` over genes ``x`` and ``y`` (both in ``grids``) in ``result``, the
    sweep of ``grids``. Combinations repaired off the grid are left out."""
    space = seed.genes
    ix, iy = space.index(x), space.index(y)
    requested = dict(grids)
    xs, ys = (
        np.unique([_resolve(name, space.genes[space.index(name)], v) for v in requested[name]]) for name in (x, y)
    )
    on_grid = np.isin(result.params[:, ix], xs) & np.isin(result.params[:, iy], ys)
    column = result.metrics[:, METRIC_NAMES.index(metric)]
    better = np.fmin if metric == "max_drawdown" else np.fmax
    grid = np.full((ys.shape[0], xs.shape[0]), np.nan)
    cols, rows = np.searchsorted(xs, result.params[:, ix]), np.searchsorted(ys, result.params[:, iy])
    keep = on_grid & np.isfinite(column)
    better.at(grid, (rows[keep], cols[keep]), column[keep])

    def label(gene_index: int, value: float) -> Any:
        gene = space.genes[gene_index]
        return gene.choices[int(value)] if gene.kind == "choice" else int(value) if gene.kind == "int" else float(value)

    return Sensitivity(
        x=x,
        y=y,
        metric=metric,
        xs=[label(ix, v) for v in xs],
        ys=[label(iy, v) for v in ys],
        values=[[float(v) if math.isfinite(v) else None for v in row] for row in grid],
    )


NEIGHBOURHOOD_POINTS = 7
"""Values per gene of :func:`neighbourhood`'s grid."""


def neighbourhood(
    seed: Seed, params_row: np.ndarray, bars: Bars, sim: SimConfig, step: float, metric: str = "sharpe"
) -> Sensitivity | None:
    """``metric`` on ``bars`` around one genome: its first two numeric (non-choice) genes each moved by up to ±2
    ``step`` in the unit box (:data:`NEIGHBOURHOOD_POINTS` values, the genome's own in the middle), the other genes
    at the genome's values; repaired like any sweep. ``None`` when the seed has fewer than two numeric genes."""
    numeric = [gene.name for gene in seed.genes.genes if gene.kind != "choice"][:2]
    if len(numeric) < 2:
        return None
    offsets = np.linspace(-2.0 * step, 2.0 * step, NEIGHBOURHOOD_POINTS)
    grids: list[tuple[str, list[float | str]]] = []
    for gene, value in zip(seed.genes.genes, np.asarray(params_row, dtype=np.float64), strict=True):
        if gene.name in numeric:
            values = np.clip(gene.decode(gene.encode(np.array([value])) + offsets), gene.low, gene.high)
            grids.append((gene.name, [float(v) for v in np.unique(values)]))
        else:
            grids.append((gene.name, [float(value)]))
    return sensitivity(seed, run_sweep(seed, bars, grids, sim), grids, numeric[0], numeric[1], metric)
