"""``genepool bench`` runs end to end at small sizes and reports well-formed figures (never asserted on time)."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from workloads.bench import ema_pairs
from workloads.cli import app


def test_ema_pairs_are_distinct_valid_and_spread_over_the_box():
    pairs = ema_pairs(1_000)
    assert pairs.shape == (1_000, 2)
    assert len({tuple(p) for p in pairs}) == 1_000
    assert np.all(pairs[:, 0] < pairs[:, 1])
    assert pairs[:, 0].min() == 2 and pairs[:, 1].max() == 200 and pairs[:, 1].min() == 10


def test_bench_command_writes_the_figures_as_json(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, [
        "bench", "--out", str(out), "--bars", "400", "--population", "3", "--sweep-bars", "300",
        "--sweep-pairs", "4", "--repeats", "1", "--no-vectorbt", "--seed", "ema_crossover", "--seed",
        "sma_trend_filter", "--evolution-bars", "1500", "--evolution-population", "6",
        "--evolution-backends", "local"])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert [row["seed"] for row in figures["kernels"]] == ["ema_crossover", "sma_trend_filter"]
    for row in figures["kernels"]:
        assert row["bars"] == 400 and row["population"] == 3 and not row["reduced"]
        assert row["bar_evals_per_second"] > 0 and row["peak_rss_above_inputs_mb"] >= 0
    sweep = figures["sweep"]
    assert [run["engine"] for run in sweep["runs"]] == ["genepool"]
    assert sweep["genepool"]["median_seconds"] > 0 and sweep["genepool"]["max_peak_rss_mb"] > 0
    assert "speedup" not in sweep
    assert "genepool" in result.stdout and "ema_crossover" in result.stdout
    evolution = figures["evolution"]
    assert [r["backend"] for r in evolution["results"]] == ["local"]
    assert evolution["results"][0]["evaluations_per_second"] > 0 and 0 <= evolution["results"][0]["ga_overhead"] < 1
