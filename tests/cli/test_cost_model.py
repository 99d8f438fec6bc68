"""One cost model (docs/simulation.md#costs): backtest, sweep, the evolution's fitness and the API's signals start
from the same fees, slippage and funding, and print percentages the same way."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from workloads.cli import app
from workloads.cli.backtest import _sim
from workloads.costs import DEFAULT_FEE_BPS, DEFAULT_SLIPPAGE_BPS, sim_config
from workloads.data.calendar import infer_bars_per_year
from workloads.data.loaders import load_bars, write_bars
from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.seeds.registry import get_seed

runner = CliRunner()


@pytest.fixture(scope="module")
def bars():
    return generate(600, 11, funding=True)


def option_default(command: str, option: str) -> float:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    (param,) = [p for p in click_command.params if option in p.opts]
    return float(param.default)


def test_the_four_paths_build_the_same_simulation_settings_by_default(bars):
    per_year = infer_bars_per_year(bars.timestamp)
    expected = sim_config(per_year)
    assert (expected.fee_rate, expected.slippage) == (DEFAULT_FEE_BPS * 1e-4, DEFAULT_SLIPPAGE_BPS * 1e-4)
    assert EvolutionConfig().sim_config(bars.timestamp) == expected  # the evolution's fitness
    assert EvolutionConfig.from_stored(None).sim_config(bars.timestamp) == expected  # signals of a run gone
    for command in ("backtest", "sweep"):
        fee, slippage = option_default(command, "--fee-bps"), option_default(command, "--slippage-bps")
        assert _sim(bars, fee, slippage, False, 0.0, None) == expected


def test_signals_of_a_run_use_that_runs_costs(bars):
    config = EvolutionConfig(fee_bps=3.0, slippage_bps=1.0, long_only=True)
    stored = {**config.as_dict(), "symbol": "BTC"}  # as the recorder stores it
    assert EvolutionConfig.from_stored(stored) == config
    assert EvolutionConfig.from_stored(stored).sim_config(bars.timestamp) == config.sim_config(bars.timestamp)


def test_a_stored_config_holding_some_keys_reads_the_rest_as_defaults(bars):
    config = EvolutionConfig.from_stored({"fee_bps": 2.5, "symbol": "BTC", "dropped_key": 1})
    assert config == EvolutionConfig(fee_bps=2.5)


def test_a_stored_config_breaking_a_rule_is_refused_naming_the_run(bars):
    with pytest.raises(ValueError, match="config of run r7: config key 'fee_bps' = -1.0: must be a number of basis"):
        EvolutionConfig.from_stored({"fee_bps": -1.0}, source="config of run r7")


def test_bars_per_year_is_inferred_only_when_the_config_leaves_it_unset(bars):
    assert EvolutionConfig(bars_per_year=365.0).sim_config(bars.timestamp).bars_per_year == 365.0
    assert EvolutionConfig().sim_config(bars.timestamp).bars_per_year == infer_bars_per_year(bars.timestamp)
    with pytest.raises(ValueError, match="bars_per_year is not set"):
        sim_config(None)


def test_a_default_backtest_scores_as_the_evolution_would(bars, tmp_path):
    path = tmp_path / "bars.parquet"
    write_bars(bars, path)
    result = runner.invoke(app, ["backtest", "--data", str(path), "--strategy", "ema_crossover", "--json"])
    assert result.exit_code == 0, result.output
    seed = get_seed("ema_crossover")
    loaded = load_bars(path)
    expected = seed.run(loaded, seed.genes.defaults(), EvolutionConfig().sim_config(loaded.timestamp)).metrics
    assert json.loads(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_backtest_prints_fractions_as_percentages_like_the_hall_of_fame(bars, tmp_path):
    path = tmp_path / "bars.parquet"
    write_bars(bars, path)
    as_json = runner.invoke(app, ["backtest", "--data", str(path), "--strategy", "ema_crossover", "--json"])
    table = runner.invoke(app, ["backtest", "--data", str(path), "--strategy", "ema_crossover"])
    metrics = json.loads(as_json.stdout)
    lines = table.stdout.splitlines()
    assert f"total_return: {metrics['total_return']:,.1%}" in lines
    assert f"max_drawdown: {metrics['max_drawdown']:,.1%}" in lines
    assert f"sharpe: {metrics['sharpe']:,.2f}" in lines
    assert f"trades: {metrics['trades']:,.0f}" in lines
