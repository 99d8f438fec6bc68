"""``genepool backtest`` and ``genepool sweep``: options, JSON shapes, the trade CSV, repairs and bad input."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.costs import sim_config
from workloads.data.calendar import infer_bars_per_year
from workloads.data.loaders import load_bars, write_bars
from workloads.data.synthetic import generate
from workloads.kernels.metrics import METRIC_NAMES
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

runner = CliRunner()


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bars") / "bars.parquet"
    write_bars(generate(3_000, 5), path)
    return path


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_backtest_json_is_exactly_the_metrics_of_the_seed_run(data_file):
    result = invoke(
        "backtest",
        "--data",
        data_file,
        "--strategy",
        "ema_crossover",
        "--param",
        "fast=8",
        "--param",
        "slow=40",
        "--fee-bps",
        "10",
        "--slippage-bps",
        "5",
        "--long-only",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == list(METRIC_NAMES)
    bars = load_bars(data_file)
    sim = SimConfig(0.001, 0.0005, True, 0.0, infer_bars_per_year(bars.timestamp))
    seed = get_seed("ema_crossover")
    expected = seed.run(bars, seed.genes.row({"fast": 8, "slow": 40}), sim).metrics
    assert document == pytest.approx(expected, rel=1e-12)


def test_backtest_without_params_runs_the_defaults_with_the_default_costs(data_file):
    result = invoke(
        "backtest", "--data", data_file, "--strategy", "sma_trend_filter", "--json", "--bars-per-year", "8766"
    )
    assert result.exit_code == 0, result.output
    seed = get_seed("sma_trend_filter")
    expected = seed.run(load_bars(data_file), seed.genes.defaults(), sim_config(8766)).metrics
    assert json.loads(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_backtest_table_lists_every_metric(data_file):
    result = invoke("backtest", "--data", data_file, "--strategy", "ema_crossover")
    assert result.exit_code == 0, result.output
    for name in METRIC_NAMES:
        assert name in result.stdout


def test_trades_out_writes_one_row_per_trade_with_the_documented_columns(data_file, tmp_path):
    out = tmp_path / "trades.csv"
    result = invoke(
        "backtest", "--data", data_file, "--strategy", "ema_crossover", "--fee-bps", "10", "--json", "--trades-out", out
    )
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "entry_time",
        "exit_time",
        "direction",
        "entry_price",
        "exit_price",
        "units",
        "pnl",
        "fees",
    ]
    assert len(rows) == json.loads(result.stdout)["trades"]
    assert rows[-1]["exit_time"] == "" and rows[-1]["exit_price"] == ""  # ema_crossover is always in
    assert all(row["exit_time"] for row in rows[:-1])
    assert {row["direction"] for row in rows} == {"long", "short"}
    assert all(float(row["fees"]) > 0 for row in rows)


def test_backtest_repairs_an_invalid_pair_and_says_so(data_file):
    result = invoke(
        "backtest",
        "--data",
        data_file,
        "--strategy",
        "ema_crossover",
        "--param",
        "fast=30",
        "--param",
        "slow=20",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert "repaired" in result.stderr
    seed = get_seed("ema_crossover")
    bars = load_bars(data_file)
    expected = seed.run(
        bars, seed.genes.row({"fast": 20, "slow": 30}), sim_config(infer_bars_per_year(bars.timestamp))
    ).metrics
    assert json.loads(result.stdout) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--strategy", "no_such_seed"], "unknown strategy"),
        (["--strategy", "ema_crossover", "--param", "speed=3"], "unknown gene"),
        (["--strategy", "ema_crossover", "--param", "fast=500"], "outside"),
        (["--strategy", "ema_crossover", "--param", "fast=2.5"], "whole number"),
        (["--strategy", "ema_crossover", "--param", "fast"], "name=value"),
        (["--strategy", "funding_rate_carry"], "funding_rate"),
    ],
)
def test_backtest_bad_input_exits_2_naming_the_problem(data_file, args, message):
    result = invoke("backtest", "--data", data_file, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_backtest_of_a_missing_file_exits_2(tmp_path):
    result = invoke("backtest", "--data", tmp_path / "missing.csv", "--strategy", "ema_crossover")
    assert result.exit_code == 2 and "missing.csv" in result.stderr


def test_sweep_json_reports_the_grid_evaluated_in_one_call(data_file):
    result = invoke(
        "sweep",
        "--data",
        data_file,
        "--strategy",
        "ema_crossover",
        "--grid",
        "fast=5:20:5",
        "--grid",
        "slow=10:30:10",
        "--top",
        "3",
        "--fee-bps",
        "10",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"evaluated", "seconds", "bar_evals_per_second", "top"} <= set(document)
    # 4 x 3 = 12 combinations; (10,10), (15,10), (20,10), (20,20) break fast < slow and are repaired to
    # (10,11), (10,15), (10,20), (20,21): (10,20) already exists, so 11 are distinct
    assert document["requested"] == 12 and document["repaired"] == 4 and document["evaluated"] == 11
    assert document["bar_evals_per_second"] == pytest.approx(11 * 3_000 / document["seconds"])
    assert len(document["top"]) == 3
    sharpes = [entry["metrics"]["sharpe"] for entry in document["top"]]
    assert sharpes == sorted(sharpes, reverse=True)
    assert all(entry["params"]["fast"] < entry["params"]["slow"] for entry in document["top"])
    assert "repaired" in result.stderr


def test_sweep_top_entry_matches_a_backtest_of_its_params(data_file):
    result = invoke(
        "sweep",
        "--data",
        data_file,
        "--strategy",
        "sma_trend_filter",
        "--grid",
        "fast=5,10",
        "--grid",
        "slow=30:60:15",
        "--top",
        "1",
        "--json",
    )
    best = json.loads(result.stdout)["top"][0]
    params = best["params"]
    again = invoke(
        "backtest",
        "--data",
        data_file,
        "--strategy",
        "sma_trend_filter",
        "--param",
        f"fast={params['fast']}",
        "--param",
        f"slow={params['slow']}",
        "--json",
    )
    assert json.loads(again.stdout) == best["metrics"]


@pytest.mark.parametrize(
    "grid, message",
    [
        ("fast=1:5:1", "outside"),
        ("foo=1:5:1", "no gene"),
        ("fast=5:2:1", "stop >= start"),
        ("fast", "expected name="),
        ("fast=a,b", "not a number"),
    ],
)
def test_sweep_bad_grid_exits_2(data_file, grid, message):
    result = invoke("sweep", "--data", data_file, "--strategy", "ema_crossover", "--grid", grid)
    assert result.exit_code == 2
    assert message in result.stderr


def test_sweep_rejects_an_unknown_rank_metric(data_file):
    result = invoke(
        "sweep", "--data", data_file, "--strategy", "ema_crossover", "--grid", "fast=5", "--rank-by", "alpha"
    )
    assert result.exit_code == 2 and "not a metric" in result.stderr


def test_sweep_takes_a_choice_gene_by_name(data_file):
    result = invoke(
        "sweep",
        "--data",
        data_file,
        "--strategy",
        "bollinger_bands",
        "--grid",
        "mode=reversion,breakout",
        "--top",
        "2",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert sorted(entry["params"]["mode"] for entry in json.loads(result.stdout)["top"]) == ["breakout", "reversion"]


def test_sweep_names_the_choices_of_a_choice_gene_on_a_bad_value(data_file):
    result = invoke("sweep", "--data", data_file, "--strategy", "bollinger_bands", "--grid", "mode=sideways")
    assert result.exit_code == 2
    assert "'sideways' is not a number or one of reversion, breakout" in " ".join(result.stderr.split())


def test_backtest_report_writes_a_self_contained_tear_sheet(data_file, tmp_path):
    from tests.tearsheet.html_checks import element_ids, external_references
    from workloads.tearsheet.page import TEAR_SHEET_IDS

    out = tmp_path / "sheet.html"
    result = invoke("backtest", "--data", data_file, "--strategy", "ema_crossover", "--report", out, "--json")
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)) == list(METRIC_NAMES)
    page = out.read_text()
    assert set(TEAR_SHEET_IDS) <= set(element_ids(page)) and external_references(page) == []


def test_sweep_heatmap_writes_the_sensitivity_chart(data_file, tmp_path):
    from tests.tearsheet.html_checks import element_ids, external_references

    out = tmp_path / "heat.html"
    result = invoke(
        "sweep",
        "--data",
        data_file,
        "--strategy",
        "ema_crossover",
        "--grid",
        "fast=4:10:2",
        "--grid",
        "slow=20:40:10",
        "--heatmap",
        "fast,slow",
        "--report",
        out,
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "sensitivity" in element_ids(page) and external_references(page) == []


@pytest.mark.parametrize(
    ("heatmap", "message"),
    [
        ("fast", "two different gene names"),
        ("fast,fast", "two different gene names"),
        ("fast,nope", "has no gene 'nope'"),
        ("fast,slow", "the gene has no --grid"),
    ],
)
def test_sweep_heatmap_names_two_gridded_genes(data_file, tmp_path, heatmap, message):
    result = invoke(
        "sweep",
        "--data",
        data_file,
        "--strategy",
        "ema_crossover",
        "--grid",
        "fast=4:10:2",
        "--heatmap",
        heatmap,
        "--report",
        tmp_path / "h.html",
    )
    assert result.exit_code == 2 and message in result.output


def test_sweep_heatmap_needs_a_report_file(data_file):
    result = invoke(
        "sweep", "--data", data_file, "--strategy", "ema_crossover", "--grid", "fast=4:10:2", "--heatmap", "fast,slow"
    )
    assert result.exit_code == 2 and "--heatmap and --report go together" in result.output
