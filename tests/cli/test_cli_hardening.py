"""Bad command-line input found by an outside probe (issue #17, item 11, and item 6's message): each gives exit 2
with a message (or exit 1 with one line), never a traceback, never a write outside the runs directory."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.settings import load_settings
from workloads.storage import StorageError, open_storage

runner = CliRunner()


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "bars.parquet"
    assert runner.invoke(app, ["data", "generate", "--bars", "400", "--out", str(path)]).exit_code == 0
    return path


def bad_input(args: list[str], *parts: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = " ".join(result.output.split())
    for part in parts:
        assert part in message, message
    return message


def test_a_huge_sweep_grid_is_refused_before_it_is_materialised(data):
    start = time.monotonic()
    bad_input(
        ["sweep", "--data", str(data), "--strategy", "ema_crossover", "--grid", "fast=1:100000000:1"],
        "100,000,000 values",
    )
    assert time.monotonic() - start < 10  # materialising it took 18-29 s and 4.95 GB


def test_a_sweep_grid_product_beyond_the_limit_is_refused(data):
    grid = ["--grid", "fast=2:50000:1", "--grid", "slow=3:60000:1"]
    bad_input(["sweep", "--data", str(data), "--strategy", "ema_crossover", *grid], "combinations")


def test_trades_out_naming_a_directory_is_exit_2(data, tmp_path):
    bad_input(
        ["backtest", "--data", str(data), "--strategy", "ema_crossover", "--trades-out", str(tmp_path)],
        "Invalid value for '--trades-out'",
    )


def test_a_metrics_port_outside_1_to_65535_is_exit_2(data):
    bad_input(["evolve", "--data", str(data), "--metrics-port", "99999", "--no-store"], "--metrics-port")


def test_a_run_id_with_a_path_is_refused_before_anything_is_written(data, tmp_path):
    runs = tmp_path / "runs" / "inner"
    args = ["--run-id", "../../etc", "--runs-dir", str(runs), "--no-store", "--population", "6", "--generations", "1"]
    bad_input(["evolve", "--data", str(data), *args], "run_id")
    assert not (tmp_path / "etc").exists()


def test_report_refuses_a_run_id_with_a_path(tmp_path):
    bad_input(["report", "../../etc", "--runs-dir", str(tmp_path)], "run_id")


def test_zero_workers_are_refused(data):
    bad_input(["evolve", "--data", str(data), "--workers", "0", "--no-store"], "--workers")


def test_strategies_naming_no_seed_are_refused(data):
    bad_input(["evolve", "--data", str(data), "--strategies", ",,,", "--no-store"], "names no seed")


def test_storage_errors_print_no_literal_markup(tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path))
    open_storage(load_settings()).close()  # a store exists: `data list` reads it

    def failing(*args, **kwargs):
        raise StorageError("duckdb:///x: list_symbols failed")

    monkeypatch.setattr("workloads.storage.base.Storage.symbol_summaries", failing)
    result = runner.invoke(app, ["data", "list"])
    assert result.exit_code == 1
    assert "[bold red]" not in result.output and "error: duckdb:///x: list_symbols failed" in result.output


def test_evolve_with_the_database_down_past_its_retry_budget_exits_1_with_one_line_and_the_resume_command(
    data, tmp_path, monkeypatch
):
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path))

    def down(self, state, stats):
        raise StorageError(
            "postgresql://genepool:***@db:5432/genepool: record_generation failed after retrying for 30 s:\n"
            "connection refused"
        )

    monkeypatch.setattr("workloads.evolution.recorder.RunRecorder.on_generation", down)
    result = runner.invoke(
        app, ["evolve", "--data", str(data), "--run-id", "down1", "--population", "6", "--generations", "2"]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "genepool:***@db:5432/genepool" in lines[0] and "genepool evolve --resume down1" in lines[0]
