"""``genepool strategies list`` and ``genepool readiness`` report every registered seed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.loaders import write_bars
from workloads.data.synthetic import generate
from workloads.seeds.registry import all_seeds

runner = CliRunner()


def test_strategies_list_json_describes_every_seed_with_bounded_genes():
    result = runner.invoke(app, ["strategies", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert set(listed) == set(all_seeds())
    for name, entry in listed.items():
        seed = all_seeds()[name]
        assert entry["type"] == seed.kind and entry["min_bars"] == seed.min_bars
        assert [g["name"] for g in entry["genes"]] == list(seed.genes.names)
        assert all(g["low"] <= g["default"] <= g["high"] for g in entry["genes"] if g["kind"] != "choice")


def test_strategies_list_table_names_every_seed():
    result = runner.invoke(app, ["strategies", "list"])
    assert result.exit_code == 0
    for name in all_seeds():
        assert name in result.stdout


def test_readiness_reports_each_seed_with_its_recommendation(tmp_path):
    path = tmp_path / "bars.csv"
    write_bars(generate(30, 1), path)
    result = runner.invoke(app, ["readiness", "--data", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {row["seed"]: row for row in report["seeds"]}
    assert set(rows) == set(all_seeds())
    assert report["bars"] == 30 and report["has_funding"] is False
    assert rows["ema_crossover"]["recommendation"] == "DEPLOY_CAUTIOUS"
    assert rows["ema_crossover"]["ready"] is True
    assert rows["sma_trend_filter"]["recommendation"] == "INSUFFICIENT_DATA"
    assert rows["sma_trend_filter"]["ready"] is False


def test_readiness_says_when_funding_is_missing(tmp_path):
    path = tmp_path / "bars.csv"
    write_bars(generate(100, 1), path)
    report = json.loads(runner.invoke(app, ["readiness", "--data", str(path), "--json"]).stdout)
    needing = [row for row in report["seeds"] if all_seeds()[row["seed"]].needs_funding]
    assert all("funding_rate" in row["reason"] and not row["ready"] for row in needing)


def test_readiness_of_a_bad_file_exits_2(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text("timestamp,open\n")
    assert runner.invoke(app, ["readiness", "--data", str(path)]).exit_code == 2
