"""``genepool bench`` runs end to end at small sizes and reports well-formed figures (never asserted on time)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workloads.bench.sweep import sweep_pairs
from workloads.cli import app


def test_sweep_pairs_are_the_cartesian_grid_in_sweep_order():
    pairs = sweep_pairs("5:44:1", "50:170:5")
    assert pairs.shape == (1_000, 2)
    assert len({tuple(p) for p in pairs}) == 1_000
    assert pairs[0].tolist() == [5, 50] and pairs[1].tolist() == [5, 55] and pairs[-1].tolist() == [44, 170]


def test_sweep_pairs_refuse_a_fast_period_not_below_every_slow_one():
    with pytest.raises(ValueError, match="every fast must be below every slow"):
        sweep_pairs("5:60:1", "50:170:5")


def test_bench_command_writes_the_figures_as_json(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--out",
            str(out),
            "--bars",
            "400",
            "--population",
            "3",
            "--sweep-bars",
            "300",
            "--sweep-fast",
            "2,3",
            "--sweep-slow",
            "10,11",
            "--repeats",
            "1",
            "--no-vectorbt",
            "--seed",
            "ema_crossover",
            "--seed",
            "sma_trend_filter",
            "--evolution-bars",
            "1500",
            "--evolution-population",
            "6",
            "--evolution-backends",
            "local",
            "--layout-bars",
            "500",
            "--layout-population",
            "70",
            "--headline-bars",
            "1500",
            "--headline-population",
            "4",
            "--headline-generations",
            "2",
            "--no-search",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert [row["seed"] for row in figures["kernels"]] == ["ema_crossover", "sma_trend_filter"]
    for row in figures["kernels"]:
        assert row["bars"] == 400 and row["population"] == 3 and not row["reduced"]
        assert row["bar_evals_per_second"] > 0 and row["peak_rss_above_inputs_mb"] >= 0
    sweep = figures["sweep"]
    assert [run["engine"] for run in sweep["runs"]] == ["genepool"]
    assert sweep["pairs"] == 4 and sweep["genepool"]["max_peak_rss_mb"] > 0
    assert 0 < sweep["genepool"]["median_compute_seconds"] < sweep["genepool"]["median_seconds"]
    assert "speedup" not in sweep and "speedup_ceiling" not in sweep
    assert sweep["numba_floor_seconds"] > 0
    assert sweep["one_thread_compute_seconds"] > 0 and sweep["threads"] >= 1
    assert sweep["ns_per_pair_bar_per_thread"] == pytest.approx(sweep["one_thread_compute_seconds"] / (4 * 300) * 1e9)
    assert "genepool" in result.stdout and "ema_crossover" in result.stdout
    evolution = figures["evolution"]
    assert [r["backend"] for r in evolution["results"]] == ["local"]
    assert evolution["results"][0]["evaluations_per_second"] > 0 and 0 <= evolution["results"][0]["ga_overhead"] < 1
    layout = figures["layout"]
    assert [row["seed"] for row in layout] == ["ema_crossover", "sma_trend_filter"]
    for row in layout:
        assert row["identical"] and row["population"] == 70 and row["ratio"] > 0
        assert row["ratio_target"] == (2.0 if row["seed"] == "ema_crossover" else 1.5)
    headline = figures["headline"]
    assert headline["generations_run"] == 2 and len(headline["generation_seconds"]) == 2
    assert headline["target_generations"] == 50 and headline["seconds"] > 0 and not headline["measured"]
    assert "headline search" in result.stdout and "generation seconds" in result.stdout
    overhead = sweep["process_overhead"]
    assert overhead["floor_seconds"] == sweep["numba_floor_seconds"] > 0
    assert (
        sweep["process_overhead_seconds"]
        == overhead["seconds"]
        == pytest.approx(overhead["process_seconds"] - overhead["floor_seconds"] - overhead["compute_seconds"])
    )
    assert figures["accounts"]["bars"] == 500 and figures["accounts"]["population"] == 70
    targets = [row["target"] for row in figures["verdict"]]
    assert targets[0].startswith("accounts pass") and targets[-1].startswith("headline search (extrapolated")
    assert sum(t.startswith(("ema_crossover,", "sma_trend_filter,")) for t in targets) == 2
    assert "sweep compute per pair-bar per thread vs the accounts pass" in targets
    assert set(figures["load_average"]) == {"before", "after"}
    assert "kernel targets (load average before: " in result.stdout


def test_piped_figures_print_whole_at_80_columns(monkeypatch):
    import io

    from rich.console import Console

    from workloads.cli import bench as bench_cli

    piped = Console(file=io.StringIO(), width=80)
    monkeypatch.setattr(bench_cli, "console", piped)
    seed = "stochastic_oscillator"
    kernel = {"threads": 2, "seed": seed, "bars": 1_000_000, "population": 1_000, "reduced": False, "seconds": 4.32}
    kernel |= {"bar_evals_per_second": 2.31e8, "bar_evals_per_second_per_thread": 1.16e8, "peak_rss_above_inputs_mb": 0}
    layout = {"seed": seed, "bars": 100_000, "population": 200, "simd_bar_evals_per_second": 1.17e8}
    layout |= {"per_thread_met": True, "per_individual_bar_evals_per_second": 9.7e6, "ratio": 12.06}
    layout |= {"ratio_target": 1.5, "ratio_met": True, "identical": True}
    target = f"{seed}, bar-evals/s per thread (100,000 bars x 200)"
    verdict = {"target": target, "figure": "1.17e+08", "goal": ">= 1e+08", "met": True, "full_size": True}
    bench_cli._print_results(
        {"kernels": [kernel], "layout": [layout], "verdict": [verdict], "load_average": {"before": [2.43, 2.73, 4.49]}}
    )
    printed = piped.file.getvalue()
    assert "…" not in printed
    for figure in ("1,000,000 × 1,000", "2.31e+08", "1.16e+08", "1.17e+08", "9.7e+06", "12.06×", target, "met"):
        assert figure in printed
