"""``genepool backtest`` and ``genepool sweep`` run every one of the eight seeds on a generated data set with funding:
the backtest prints exactly ``SEED.run``'s metrics, and the sweep's rows are ``SEED.evaluate``'s."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.seeds.conftest import SEED_NAMES
from workloads.cli import app
from workloads.costs import sim_config
from workloads.data.loaders import load_bars, write_bars
from workloads.data.synthetic import generate
from workloads.kernels.metrics import METRIC_NAMES
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

runner = CliRunner()
BARS_PER_YEAR = 252.0  # not the data's own: the seeds must use the sim's


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bars") / "bars.parquet"
    write_bars(generate(1_500, 9, funding=True), path)
    return path


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def grid_of(seed) -> tuple[list[str], int]:
    """Two values of every gene (the defaults and a step towards the upper bound); the grid's size."""
    args = []
    for gene, value in zip(seed.genes.genes, seed.genes.defaults(), strict=True):
        other = gene.high if gene.kind == "choice" else value + (gene.high - value) / 4
        if gene.discrete:
            other = float(np.round(other))
        args += ["--grid", f"{gene.name}={value:g},{other:g}"]
    return args, 2 ** len(seed.genes)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_backtest_prints_the_seeds_run(name, data_file):
    seed = get_seed(name)
    document = invoke(
        "backtest",
        "--data",
        data_file,
        "--strategy",
        name,
        "--fee-bps",
        "10",
        "--slippage-bps",
        "0",
        "--json",
        "--bars-per-year",
        BARS_PER_YEAR,
    )
    expected = seed.run(
        load_bars(data_file), seed.genes.defaults(), SimConfig(0.001, 0.0, False, 0.0, BARS_PER_YEAR)
    ).metrics
    assert document == pytest.approx(expected, rel=1e-12)
    assert document["trades"] > 0


@pytest.mark.parametrize("name", SEED_NAMES)
def test_sweep_ranks_the_seeds_evaluated_grid(name, data_file):
    seed = get_seed(name)
    grid, size = grid_of(seed)
    document = invoke(
        "sweep",
        "--data",
        data_file,
        "--strategy",
        name,
        *grid,
        "--top",
        size,
        "--json",
        "--bars-per-year",
        BARS_PER_YEAR,
    )
    assert document["requested"] == size and len(document["top"]) == document["evaluated"]
    bars = load_bars(data_file)
    sim = sim_config(BARS_PER_YEAR)  # the default costs of every path
    for entry in document["top"]:
        row = seed.genes.row(entry["params"])
        expected = dict(zip(METRIC_NAMES, seed.evaluate(bars, row, sim)[0], strict=True))
        assert entry["metrics"] and set(entry["metrics"]) <= set(METRIC_NAMES)
        assert entry["metrics"] == pytest.approx({k: expected[k] for k in entry["metrics"]}, rel=1e-12)
