"""``genepool demo`` (the README's first command) runs the main job on embedded defaults, on data with a planted
trend: the verdict must promote the trend followers and refuse the seeds that cannot use a trend."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workloads.cli import app


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GENEPOOL_HOME", str(tmp_path / "home"))
        for name in ("GENEPOOL_DATABASE_URL", "GENEPOOL_REDIS_URL", "GENEPOOL_RAY_ADDRESS", "RAY_ADDRESS"):
            patch.delenv(name, raising=False)
        result = CliRunner().invoke(app, ["demo", "--out-dir", str(tmp_path / "out")])
    return tmp_path, result


def test_demo_evolves_every_ready_seed_and_writes_the_report(demo):
    tmp_path, result = demo
    assert result.exit_code == 0, result.output
    assert "Hall of fame" in result.stdout
    assert (tmp_path / "out" / "synthetic.parquet").is_file()
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_demo_promotes_the_planted_trend_and_refuses_the_seeds_that_cannot_use_it(demo):
    tmp_path, result = demo
    assert result.exit_code == 0, result.output
    (run_file,) = (tmp_path / "home" / "runs").glob("*/run.json")
    verdict = json.loads(run_file.read_text())["verdict"]
    assert verdict["promoted"] > 0 and {"ema_crossover", "donchian_breakout"} <= set(verdict["seeds_passing"])
    assert {"rsi_filter", "vwap_reversion"} <= set(verdict["seeds_refused"])
    assert verdict["line"] in (tmp_path / "out" / "report.html").read_text()
    assert "verdict:" in result.stdout
