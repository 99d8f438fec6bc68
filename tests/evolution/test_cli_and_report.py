"""``genepool evolve --json`` prints the documented summary; ``genepool report`` writes one self-contained file."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from tests.tearsheet.html_checks import element_ids, external_references
from workloads.cli import app
from workloads.evolution.summary import CURVES_FOR
from workloads.tearsheet.report import FIGURE_IDS

METRICS = {
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "trades",
    "win_rate",
    "profit_factor",
    "exposure",
    "turnover",
    "final_equity",
    "bars",
    "funding_pnl",
}


@pytest.fixture(scope="module")
def evolved(tmp_path_factory):
    # Module scope runs before the per-test GENEPOOL_HOME isolation: this run stays out of the database.
    runs = tmp_path_factory.mktemp("runs")
    result = CliRunner().invoke(
        app,
        [
            "evolve",
            "--synthetic",
            "1500",
            "--strategies",
            "ema_crossover,donchian_breakout",
            "--population",
            "10",
            "--generations",
            "2",
            "--hall-of-fame",
            "4",
            "--run-id",
            "cli-run",
            "--runs-dir",
            str(runs),
            "--no-store",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return runs, json.loads(result.stdout)


def test_json_summary_has_the_documented_shape(evolved):
    _, summary = evolved
    assert summary["run_id"] == "cli-run"
    assert summary["config"]["population"] == 10 and summary["config"]["generations"] == 2
    assert [g["generation"] for g in summary["generations"]] == [0, 1]
    assert set(summary["generations"][0]["seeds"]) == {"ema_crossover", "donchian_breakout"}
    hof = summary["hall_of_fame"]
    assert len(hof) == 4
    assert [e["fitness"] for e in hof] == sorted((e["fitness"] for e in hof), reverse=True)
    for entry in hof:
        assert {"strategy", "params", "fitness", "train", "holdout", "dsr"} <= set(entry)
        assert set(entry["train"]) == METRICS and set(entry["holdout"]) == METRICS
        assert entry["holdout"]["bars"] == summary["data"]["holdout_bars"] == 450
        assert 0.0 <= entry["dsr"] <= 1.0


def test_every_entry_carries_its_verdict_and_both_deflations(evolved):
    _, summary = evolved
    for entry in summary["hall_of_fame"]:
        assert {"promoted", "gate", "dsr", "dsr_conservative", "n_eff", "robustness"} <= set(entry)
        assert entry["promoted"] is (entry["gate"] == [])
        assert entry["n_eff"] == summary["n_eff"]
    assert summary["verdict"]["promoted"] == sum(e["promoted"] for e in summary["hall_of_fame"])


def test_n_eff_lies_between_the_seed_count_and_the_distinct_genomes(evolved):
    _, summary = evolved
    assert len(summary["seeds"]) <= summary["n_eff"] <= summary["trials"]


def test_best_by_seed_names_every_evaluated_seed(evolved):
    _, summary = evolved
    assert set(summary["best_by_seed"]) == {"ema_crossover", "donchian_breakout"}
    best = max(summary["hall_of_fame"], key=lambda e: e["fitness"])
    assert summary["best_by_seed"][best["strategy"]]["fitness"] == best["fitness"]


def test_no_seed_fills_more_than_hof_per_seed_places(evolved):
    _, summary = evolved
    strategies = [e["strategy"] for e in summary["hall_of_fame"]]
    assert max(strategies.count(s) for s in set(strategies)) <= summary["config"]["hof_per_seed"]


def test_the_report_states_the_verdict(evolved, tmp_path):
    runs, summary = evolved
    out = tmp_path / "report.html"
    CliRunner().invoke(app, ["report", "cli-run", "--out", str(out), "--runs-dir", str(runs)])
    assert summary["verdict"]["line"].split(" ")[0] in out.read_text()


@pytest.fixture(scope="module")
def report_page(evolved, tmp_path_factory):
    runs, _ = evolved
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", "cli-run", "--out", str(out), "--runs-dir", str(runs)])
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_report_is_one_self_contained_html_file(report_page):
    assert external_references(report_page) == []
    assert "buy and hold" in report_page and "Hall of fame" in report_page


def test_report_has_every_chart_of_its_figure_list(report_page, evolved):
    _, summary = evolved
    ids = element_ids(report_page)
    assert [i for i in ids if i in FIGURE_IDS] == list(FIGURE_IDS)
    assert {f"genes-{name}" for name in summary["seeds"]} <= set(ids)


def test_report_says_which_deflated_sharpe_the_gate_uses(report_page):
    text = re.sub(r"\s+", " ", report_page)
    assert "The promotion gate uses <em>DSR</em>" in text
    assert "<em>DSR (conservative)</em> is shown for reference and does not decide" in text


def test_report_draws_the_top_strategies_on_one_curve_each(evolved):
    runs, summary = evolved
    drawn = json.loads((runs / "cli-run" / "run.json").read_text())["report"]["curves"]
    top = summary["hall_of_fame"][:CURVES_FOR]
    assert [d["label"] for d in drawn] == [f"#{i + 1} {e['strategy']}" for i, e in enumerate(top)]
    for document in drawn:
        assert document["equity"]["t"][0] < document["holdout_start"] < document["equity"]["t"][-1]
        assert set(document["stats"]) == {"train", "holdout"}


def test_report_of_an_unknown_run_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["report", "nope", "--out", str(tmp_path / "r.html"), "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2


def test_unready_strategy_is_refused_with_the_reason(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "evolve",
            "--synthetic",
            "100",
            "--strategies",
            "sma_trend_filter",
            "--holdout",
            "0.6",
            "--runs-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "sma_trend_filter" in result.output and "50-bar minimum" in result.output


def test_evolve_records_the_run_and_hall_of_fame_in_the_database(isolated_home, tmp_path):
    from workloads.settings import load_settings
    from workloads.storage import open_storage

    args = [
        "evolve",
        "--synthetic",
        "1200",
        "--strategies",
        "ema_crossover",
        "--population",
        "8",
        "--generations",
        "2",
        "--hall-of-fame",
        "3",
        "--run-id",
        "db-run",
        "--checkpoints",
        "database",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with open_storage(load_settings()) as storage:
        assert storage.get_run("db-run").status != "running"
        assert [g.generation for g in storage.generations("db-run")] == [0, 1]
        assert storage.load_checkpoint("db-run")[0] == 1
        assert len(storage.list_strategies(limit=10)) == 3
    assert not (isolated_home / "runs" / "db-run" / "checkpoints").exists()


def test_a_run_recorded_without_tear_sheet_data_is_refused_with_the_reason(evolved, tmp_path):
    runs, _ = evolved
    document = json.loads((runs / "cli-run" / "run.json").read_text())
    del document["report"]["price"]
    (tmp_path / "old-run").mkdir()
    (tmp_path / "old-run" / "run.json").write_text(json.dumps(document))
    result = CliRunner().invoke(
        app, ["report", "old-run", "--out", str(tmp_path / "r.html"), "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "without the tear sheet's data" in result.output
