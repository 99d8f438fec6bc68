"""``genepool evolve`` reads stored bars (``--symbol``), settings from stack outputs, reports cache counts and serves
metrics during a run."""

from __future__ import annotations

import json
import logging
import socket
import urllib.request

from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.loaders import write_bars
from workloads.data.synthetic import generate

SHORT_RUN = ["--strategies", "ema_crossover", "--population", "8", "--generations", "2", "--json"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_evolve_symbol_reads_the_bars_stored_by_data_import(tmp_path):
    path = tmp_path / "btc.parquet"
    write_bars(generate(1200, 3), path)
    runner = CliRunner()
    assert runner.invoke(app, ["data", "import", str(path), "--symbol", "BTC"]).exit_code == 0
    result = runner.invoke(app, ["evolve", "--symbol", "BTC", *SHORT_RUN])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["data"]["symbol"] == "BTC" and summary["data"]["bars"] == 1200


def test_evolve_json_reports_cache_hits_misses_and_errors(tmp_path):
    result = CliRunner().invoke(app, ["evolve", "--synthetic", "1200", "--no-store", *SHORT_RUN])
    cache = json.loads(result.stdout)["cache"]
    assert set(cache) == {"hits", "misses", "errors"}
    assert cache["misses"] > 0 and cache["errors"] == 0


def test_evolve_refuses_two_data_sources():
    result = CliRunner().invoke(app, ["evolve", "--synthetic", "1200", "--symbol", "BTC", *SHORT_RUN])
    assert result.exit_code == 2
    assert "exactly one of --data FILE, --synthetic N_BARS or --symbol S" in " ".join(result.stderr.split())


def test_evolve_takes_the_database_from_stack_outputs(tmp_path):
    database = tmp_path / "from-stack.duckdb"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"database_url": f"duckdb:///{database}"}))
    result = CliRunner().invoke(app, ["evolve", "--synthetic", "1200", "--stack-outputs", str(outputs), *SHORT_RUN])
    assert result.exit_code == 0, result.output
    assert database.exists()


def test_evolve_serves_prometheus_metrics_on_the_metrics_port():
    port = _free_port()
    result = CliRunner().invoke(
        app, ["evolve", "--synthetic", "1200", "--no-store", "--metrics-port", str(port), *SHORT_RUN]
    )
    assert result.exit_code == 0, result.output
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'genepool_generations_total{strategy="ema_crossover"}' in text


def test_evolve_completes_with_one_warning_when_the_metrics_port_is_taken(caplog):
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="workloads.cli.evolve"):
            result = CliRunner().invoke(
                app, ["evolve", "--synthetic", "1200", "--no-store", "--metrics-port", str(port), *SHORT_RUN]
            )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data"]["bars"] == 1200
    warnings = [r for r in caplog.records if f"cannot serve on port {port}" in r.getMessage()]
    assert len(warnings) == 1
