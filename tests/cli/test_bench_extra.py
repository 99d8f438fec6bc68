"""``genepool bench`` without the bench extra says which extra to install, exit 2, no traceback."""

from __future__ import annotations

import importlib.util

from typer.testing import CliRunner

from workloads.cli import app


def test_bench_without_its_extra_names_the_extra_to_install(monkeypatch):
    real = importlib.util.find_spec

    def without_vectorbt(name, *args, **kwargs):
        return None if name == "vectorbt" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_vectorbt)
    result = CliRunner().invoke(app, ["bench"])
    assert result.exit_code == 2
    assert "genepool[bench]" in result.output and "vectorbt" in result.output
    assert "Traceback" not in result.output
