"""``genepool demo`` (the README's first command) runs the main job on embedded defaults."""

from __future__ import annotations

from typer.testing import CliRunner

from workloads.cli import app


def test_demo_evolves_every_ready_seed_and_writes_the_report(tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_HOME", str(tmp_path / "home"))
    for name in ("GENEPOOL_DATABASE_URL", "GENEPOOL_REDIS_URL", "GENEPOOL_RAY_ADDRESS", "RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["demo", "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Hall of fame" in result.stdout
    assert (tmp_path / "out" / "synthetic.parquet").is_file()
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!DOCTYPE html>")
