"""``sweep --heatmap``'s grid (each cell the best metric over the other gridded genes, checked by brute force) and the
report's neighbourhood map around the best genome."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workloads.data.synthetic import generate
from workloads.evolution.sweep import NEIGHBOURHOOD_POINTS, neighbourhood, run_sweep, sensitivity
from workloads.kernels.metrics import METRIC_NAMES
from workloads.kernels.simulate import SimConfig
from workloads.seeds.genes import GeneSpace
from workloads.seeds.registry import get_seed


@pytest.fixture(scope="module")
def swept():
    seed = get_seed("bollinger_bands")
    grids = [(seed.genes.names[0], [10.0, 20.0, 30.0]), (seed.genes.names[1], [1.5, 2.0, 2.5])]
    if len(seed.genes.names) > 2:
        gene = seed.genes.genes[2]
        grids.append((gene.name, [gene.low, gene.high]))
    result = run_sweep(seed, generate(1_500, 2), grids, SimConfig(0.0005, 0.0, False, 0.0, 8760.0))
    return seed, result, grids


@pytest.mark.parametrize("metric", ["sharpe", "max_drawdown"])
def test_each_cell_is_the_best_metric_among_its_combinations(swept, metric):
    seed, result, grids = swept
    x, y = seed.genes.names[0], seed.genes.names[1]
    grid = sensitivity(seed, result, grids, x, y, metric)
    column = result.metrics[:, METRIC_NAMES.index(metric)]
    pick = min if metric == "max_drawdown" else max
    ix, iy = seed.genes.index(x), seed.genes.index(y)
    for j, yv in enumerate(grid.ys):
        for i, xv in enumerate(grid.xs):
            rows = (result.params[:, ix] == float(xv)) & (result.params[:, iy] == float(yv))
            finite = [v for v in column[rows] if math.isfinite(v)]
            assert grid.values[j][i] == (pick(finite) if finite else None)


def test_the_axes_are_the_grid_values(swept):
    seed, result, grids = swept
    grid = sensitivity(seed, result, grids, seed.genes.names[0], seed.genes.names[1], "sharpe")
    assert grid.xs == [10, 20, 30] and grid.ys == [1.5, 2.0, 2.5]


def test_combinations_repaired_off_the_grid_leave_their_cells_blank():
    seed = get_seed("ema_crossover")
    grids = [("fast", [10.0, 20.0, 30.0]), ("slow", [15.0, 25.0, 35.0])]
    result = run_sweep(seed, generate(800, 3), grids, SimConfig(0.0, 0.0, False, 0.0, 8760.0))
    grid = sensitivity(seed, result, grids, "fast", "slow", "sharpe")
    assert grid.xs == [10, 20, 30] and grid.ys == [15, 25, 35]
    blank = {(x, y) for j, y in enumerate(grid.ys) for i, x in enumerate(grid.xs) if grid.values[j][i] is None}
    assert blank == {(x, y) for x in grid.xs for y in grid.ys if x >= y}


def test_the_neighbourhood_map_is_centred_on_the_genome_with_its_other_genes_kept():
    seed = get_seed("bollinger_bands")
    bars = generate(1_500, 4)
    sim = SimConfig(0.0005, 0.0, False, 0.0, 8760.0)
    row = seed.genes.row({"window": 40, "k": 2.0, "mode": seed.genes.genes[2].choices[1]})
    grid = neighbourhood(seed, row, bars, sim, 0.05)
    assert (grid.x, grid.y) == ("window", "k")
    assert len(grid.xs) == len(grid.ys) == NEIGHBOURHOOD_POINTS
    assert min(grid.xs) < 40 < max(grid.xs) and min(grid.ys) < 2.0 < max(grid.ys)
    centre = grid.values[grid.ys.index(pytest.approx(2.0))][grid.xs.index(40)]
    assert centre == pytest.approx(seed.evaluate(bars, row[None, :], sim)[0, METRIC_NAMES.index("sharpe")], rel=1e-12)


def test_a_seed_with_one_numeric_gene_has_no_neighbourhood_map():
    seed = get_seed("bollinger_bands")
    bars = generate(300, 4)

    class OneGene(type(seed)):
        genes = GeneSpace([seed.genes.genes[0], seed.genes.genes[2]])

    assert neighbourhood(OneGene(), np.array([40.0, 1.0]), bars, SimConfig(0.0, 0.0, False, 0.0, 8760.0), 0.05) is None
