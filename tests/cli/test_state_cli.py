"""``genepool data import|list``, ``genepool health`` and ``genepool serve`` on the embedded defaults."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.loaders import write_bars
from workloads.data.synthetic import generate

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path / "home"))
    for name in ("DATABASE_URL", "REDIS_URL", "RAY_ADDRESS", "API_TOKEN"):
        monkeypatch.delenv(f"GENEPOOL_{name}", raising=False)
    return tmp_path / "home"


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "btc.csv"
    write_bars(generate(250, 9, funding=True), path)
    return path


def import_json(*args: str) -> dict:
    result = runner.invoke(app, ["data", "import", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_is_idempotent(data_file, home):
    first = import_json(str(data_file), "--symbol", "BTC")
    again = import_json(str(data_file), "--symbol", "BTC")
    assert (first["inserted"], first["already_stored"]) == (250, 0)
    assert (again["inserted"], again["already_stored"]) == (0, 250)
    assert first["database"] == f"duckdb://{home}/genepool.duckdb"


def test_list_shows_imported_symbols(data_file):
    import_json(str(data_file), "--symbol", "BTC")
    result = runner.invoke(app, ["data", "list", "--json"])
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.stdout)
    assert listed["symbol"] == "BTC" and listed["bars"] == 250 and listed["has_funding"] is True


def test_import_of_a_bad_file_exits_2_naming_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close\n2024-01-01,1,1,1,1\n")
    result = runner.invoke(app, ["data", "import", str(bad), "--symbol", "BTC"])
    assert result.exit_code == 2 and "bad.csv" in result.output


def test_import_with_a_bad_symbol_exits_2(data_file):
    result = runner.invoke(app, ["data", "import", str(data_file), "--symbol", "BTC USD"])
    assert result.exit_code == 2 and "symbol 'BTC USD'" in result.output


def test_import_conflicting_with_stored_bars_exits_2(data_file, tmp_path):
    import_json(str(data_file), "--symbol", "BTC")
    other = tmp_path / "other.csv"
    write_bars(generate(250, 10, funding=True), other)
    result = runner.invoke(app, ["data", "import", str(other), "--symbol", "BTC"])
    assert result.exit_code == 2 and "already stored with different values" in result.output
    assert import_json(str(other), "--symbol", "BTC", "--replace")["inserted"] == 250


def test_stack_outputs_without_revealed_secrets_exit_2(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"database_url": "[secret]"}))
    result = runner.invoke(app, ["data", "list", "--stack-outputs", str(outputs)])
    assert result.exit_code == 2 and "--show-secrets" in result.output


def test_health_json_on_embedded_defaults_is_healthy():
    result = runner.invoke(app, ["health", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "healthy"
    assert {name: check["status"] for name, check in report["checks"].items()} == {
        "storage": "healthy",
        "cache": "healthy",
        "ray": "healthy",
    }


def test_health_on_a_fresh_home_is_healthy_and_creates_nothing(home):
    result = runner.invoke(app, ["health", "--json"])
    assert result.exit_code == 0, result.output
    storage = json.loads(result.stdout)["checks"]["storage"]
    assert (storage["status"], storage["state"]) == ("healthy", "none yet")
    assert not home.exists()


def test_health_where_the_store_cannot_be_created_is_unhealthy(tmp_path, monkeypatch):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a directory")
    monkeypatch.setenv("GENEPOOL_HOME", str(in_the_way / "home"))
    result = runner.invoke(app, ["health", "--json"])
    storage = json.loads(result.stdout)["checks"]["storage"]
    assert result.exit_code == 1
    assert storage["status"] == "unhealthy" and f"{in_the_way} is not a writable directory" in storage["error"]


def test_health_reports_an_unreachable_ray_address_as_degraded(monkeypatch):
    from tests.integration.servers import free_port

    monkeypatch.setenv("GENEPOOL_RAY_ADDRESS", f"ray://127.0.0.1:{free_port()}")
    result = runner.invoke(app, ["health", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["status"] == "degraded" and report["checks"]["ray"]["error"]


def test_serve_refuses_to_start_without_an_api_token():
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "GENEPOOL_API_TOKEN" in result.output


def test_serve_refuses_several_workers_on_a_duckdb_file(monkeypatch, tmp_path):
    monkeypatch.setenv("GENEPOOL_API_TOKEN", "t")
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", f"duckdb://{tmp_path}/api.duckdb")
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2 and "PostgreSQL" in result.output


def test_rename_migrates_a_stored_symbol_to_its_instrument_name_keeping_every_bar(data_file):
    import_json(str(data_file), "--symbol", "BTCUSDT")
    result = runner.invoke(app, ["data", "rename", "BTCUSDT", "binance:BTCUSDT-PERP"])
    assert result.exit_code == 0, result.output
    assert "renamed BTCUSDT to binance:BTCUSDT-PERP: 250 bars" in result.output
    [listed] = json.loads(runner.invoke(app, ["data", "list", "--json"]).stdout)
    assert (listed["symbol"], listed["bars"], listed["instrument"]["kind"]) == (
        "binance:BTCUSDT-PERP",
        250,
        "perpetual",
    )


def test_rename_of_a_symbol_with_no_bars_exits_2_naming_it():
    result = runner.invoke(app, ["data", "rename", "BTCUSDT", "binance:BTCUSDT"])
    assert result.exit_code == 2 and "'BTCUSDT': no bars are stored under it" in result.output
