"""``genepool demo`` (the README's first command) runs the main job on embedded defaults, on data with a planted
trend sized like a real edge: what it promotes has a believable holdout Sharpe, the seeds that cannot use a trend
are refused, and the README says exactly what the run gives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from workloads.cli import app, demo
from workloads.cli.demo_figures import demo_figures

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
FIGURES = re.compile(r"<!-- demo figures: begin -->\n(.*?)\n<!-- demo figures: end -->", re.DOTALL)
TREND_BLIND = {"rsi_filter", "vwap_reversion", "stochastic_oscillator", "funding_rate_carry"}
"""Seeds whose rule cannot earn a persistent drift (mean reversion, oscillators, carry)."""


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, Any, dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GENEPOOL_HOME", str(tmp_path / "home"))
        for name in ("GENEPOOL_DATABASE_URL", "GENEPOOL_REDIS_URL", "GENEPOOL_RAY_ADDRESS", "RAY_ADDRESS"):
            patch.delenv(name, raising=False)
        result = CliRunner().invoke(app, ["demo", "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (run_file,) = (tmp_path / "home" / "runs").glob("*/run.json")
    return tmp_path, result, json.loads(run_file.read_text())


def test_demo_evolves_every_ready_seed_and_writes_the_report(demo_run):
    tmp_path, result, run = demo_run
    assert "Hall of fame" in result.stdout and "verdict:" in result.stdout
    assert (tmp_path / "out" / "synthetic.parquet").is_file()
    report = (tmp_path / "out" / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>") and run["verdict"]["line"] in report


def test_demo_promotes_some_of_the_planted_trend_and_refuses_the_seeds_that_cannot_use_it(demo_run):
    _, _, run = demo_run
    assert run["verdict"]["promoted"] > 0
    assert set(run["verdict"]["seeds_refused"]) >= TREND_BLIND


def test_every_promoted_strategy_has_a_believable_holdout_sharpe(demo_run):
    _, _, run = demo_run
    sharpes = [entry["holdout"]["sharpe"] for entry in run["hall_of_fame"] if entry["promoted"]]
    sharpes += [best["holdout_sharpe"] for best in run["best_by_seed"].values() if best["promoted"]]
    assert sharpes and all(0.5 <= sharpe <= 5.0 for sharpe in sharpes), sharpes


def test_the_readme_quotes_the_figures_of_a_real_demo_run(demo_run):
    _, _, run = demo_run
    quoted = FIGURES.search(README)
    assert quoted is not None, "README: no demo figures block"
    assert quoted[1] == demo_figures(run)


def test_the_readme_describes_the_demos_data_and_search():
    assert f"{demo.DEMO_BARS:,} daily bars" in README and demo.DEMO_INTERVAL == "1d"
    flags = f"--interval {demo.DEMO_INTERVAL} --edge {demo.DEMO_EDGE} --edge-strength {demo.DEMO_EDGE_STRENGTH:g}"
    assert flags in README
    assert f"{demo.DEMO_GENERATIONS} generations of {demo.DEMO_POPULATION}" in README
