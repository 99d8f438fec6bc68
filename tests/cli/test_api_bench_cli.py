"""``genepool bench --only-api`` refuses what it cannot measure, with the reason."""

from __future__ import annotations

from typer.testing import CliRunner

from workloads.cli import app


def test_only_api_on_duckdb_exits_2_saying_it_needs_postgresql(tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", f"duckdb://{tmp_path}/x.duckdb")
    result = CliRunner().invoke(app, ["bench", "--only-api"])
    assert result.exit_code == 2
    assert "needs GENEPOOL_DATABASE_URL=postgresql://" in result.output
