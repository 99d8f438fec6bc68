"""The run browser and replays (docs/cli.md#browsing-runs, #replaying-a-hall-of-fame-entry): ``runs list|show|
compare``, ``latest`` wherever a run id is, ``report`` and ``backtest --run`` from another directory, and commands
that only read creating nothing."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.loaders import load_bars, write_bars
from workloads.data.synthetic import generate

runner = CliRunner()
STRATEGIES = "ema_crossover,sma_trend_filter,rsi_filter"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two finished runs on the same file, differing only in their random seed (``b-second`` finished last)."""
    root = tmp_path_factory.mktemp("runs")
    data = root / "bars.parquet"
    write_bars(generate(900, 3), data)
    env = {"GENEPOOL_HOME": str(root / "home")}
    for run_id, random_seed in (("a-first", "1"), ("b-second", "2")):
        result = runner.invoke(
            app,
            [
                "evolve",
                "--data",
                str(data),
                "--strategies",
                STRATEGIES,
                "--population",
                "8",
                "--generations",
                "2",
                "--random-seed",
                random_seed,
                "--run-id",
                run_id,
                "--no-store",
                "--json",
            ],
            env=env,
        )
        assert result.exit_code == 0, result.output
    documents = {p.parent.name: json.loads(p.read_text()) for p in (root / "home" / "runs").glob("*/run.json")}
    return root, data, env, documents


def invoke(env: dict[str, str], *args: str):
    return runner.invoke(app, list(args), env=env)


def cli_elsewhere(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, from a directory that is neither the repository nor the state home."""
    elsewhere = root / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "workloads.cli", *args],
        env={**os.environ, **env, "PYTHONPATH": str(Path.cwd())},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=600,
    )


def assert_same_metrics(replayed: dict, stored: dict) -> None:
    assert set(replayed) == set(stored)
    for name, value in stored.items():
        if value is None:
            assert replayed[name] is None, name
        else:
            assert math.isclose(replayed[name], value, rel_tol=1e-9, abs_tol=1e-9), (name, replayed[name], value)


def test_runs_list_shows_every_finished_run_newest_first(runs):
    _, data, env, documents = runs
    result = invoke(env, "runs", "list", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["run_id"] for r in records] == ["b-second", "a-first"]
    for record in records:
        document = documents[record["run_id"]]
        assert record["data"] == str(data.resolve()) and record["bars"] == 900
        assert record["data_fingerprint"] == document["data"]["fingerprint"]
        assert record["seeds"] == document["seeds"] and record["duration_seconds"] > 0
        assert record["promoted"] == sum(e["promoted"] for e in document["hall_of_fame"])
        assert record["best_strategy"] == document["hall_of_fame"][0]["strategy"]


def test_runs_list_as_text_names_each_run_with_its_data_hash(runs):
    _, _, env, documents = runs
    result = invoke(env, "runs", "list")
    assert result.exit_code == 0, result.output
    for run_id, document in documents.items():
        assert f"run: {run_id}" in result.stdout and document["data"]["fingerprint"] in result.stdout


def test_runs_show_latest_is_the_newest_run(runs):
    _, _, env, documents = runs
    result = invoke(env, "runs", "show", "latest", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["run"]["run_id"] == "b-second"
    assert shown["hall_of_fame"] == documents["b-second"]["hall_of_fame"]


def test_runs_compare_says_the_data_is_the_same_and_which_settings_differ(runs):
    _, _, env, _ = runs
    result = invoke(env, "runs", "compare", "a-first", "latest", "--json")
    assert result.exit_code == 0, result.output
    compared = json.loads(result.stdout)
    assert [r["run_id"] for r in compared["runs"]] == ["a-first", "b-second"]
    assert compared["same_data"] is True
    assert compared["config_differences"] == {"random_seed": [1, 2]}


def test_runs_compare_needs_two_runs(runs):
    result = invoke(runs[2], "runs", "compare", "latest")
    assert result.exit_code == 2 and "two or more" in result.output


def test_report_latest_works_from_another_directory(runs):
    root, _, env, _ = runs
    done = cli_elsewhere(root, env, "report", "latest", "--out", "r.html")
    assert done.returncode == 0, done.stderr
    assert "b-second" in done.stdout
    assert (root / "elsewhere" / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_backtest_of_the_latest_runs_best_entry_from_another_directory_matches_its_stored_holdout(runs):
    root, _, env, documents = runs
    done = cli_elsewhere(root, env, "backtest", "--run", "latest", "--rank", "1", "--json")
    assert done.returncode == 0, done.stderr
    replayed = json.loads(done.stdout)
    assert replayed["run_id"] == "b-second" and replayed["span"] == "holdout"
    assert_same_metrics(replayed["metrics"], documents["b-second"]["hall_of_fame"][0]["holdout"])


def test_backtest_replays_every_entry_on_either_span_as_the_run_stored_it(runs):
    _, _, env, documents = runs
    entries = documents["a-first"]["hall_of_fame"]
    for rank, entry in enumerate(entries, 1):
        for span in ("holdout", "train"):
            result = invoke(env, "backtest", "--run", "a-first", "--rank", str(rank), "--span", span, "--json")
            assert result.exit_code == 0, result.output
            assert_same_metrics(json.loads(result.stdout)["metrics"], entry[span])


def test_backtest_of_a_run_refuses_data_that_changed(runs, tmp_path):
    _, data, env, _ = runs
    bars = load_bars(data)
    changed = tmp_path / "bars.parquet"
    bars.close[-1] *= 1.01
    bars.high[-1] = max(bars.high[-1], bars.close[-1])
    write_bars(bars, changed)
    result = invoke(env, "backtest", "--run", "latest", "--data", str(changed), "--json")
    assert result.exit_code == 2 and "fingerprint" in result.output


def test_backtest_of_a_run_refuses_its_own_strategy_and_params(runs):
    result = invoke(runs[2], "backtest", "--run", "latest", "--strategy", "ema_crossover")
    assert result.exit_code == 2 and "--strategy" in result.output


def test_backtest_of_a_rank_beyond_the_hall_of_fame_says_how_many_there_are(runs):
    _, _, env, documents = runs
    size = len(documents["b-second"]["hall_of_fame"])
    result = invoke(env, "backtest", "--run", "latest", "--rank", str(size + 1))
    assert result.exit_code == 2 and f"has {size} hall-of-fame entries" in result.output


def test_latest_without_any_run_names_the_runs_directory(tmp_path):
    result = invoke({"GENEPOOL_HOME": str(tmp_path / "home")}, "report", "latest")
    assert result.exit_code == 2 and str(tmp_path / "home" / "runs") in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["data", "list"],
        ["data", "list", "--json"],
        ["runs", "list"],
        ["runs", "list", "--json"],
        ["runs", "show", "latest"],
        ["report", "latest"],
        ["backtest", "--run", "latest"],
    ],
)
def test_commands_that_only_read_create_nothing(tmp_path, args):
    home = tmp_path / "home"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "workloads.cli", *args],
        env={**os.environ, "GENEPOOL_HOME": str(home), "PYTHONPATH": str(Path.cwd())},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 2), done.stderr
    assert not home.exists()
    assert list(elsewhere.iterdir()) == []
    assert str(home) in done.stderr


def test_data_list_without_state_says_so_and_answers_an_empty_list(tmp_path):
    result = invoke({"GENEPOOL_HOME": str(tmp_path / "home")}, "data", "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert f"no state yet: {tmp_path / 'home' / 'genepool.duckdb'} does not exist" in result.stderr
