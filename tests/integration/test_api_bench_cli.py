"""``genepool bench --only-api`` end to end over a real PostgreSQL: the uncached route measured on a served API
(``genepool serve`` in its own process) and reported against the target, as JSON and as text."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.integration.servers import free_port
from workloads.bench.api import UNCACHED_ROUTE, UNCACHED_TARGET_P99_MS, UNCACHED_TARGET_REQ_PER_S
from workloads.cli import app

pytestmark = pytest.mark.integration


def _argv(port: int) -> list[str]:
    return [
        "bench",
        "--only-api",
        "--api-bars",
        "300",
        "--api-strategies",
        "40",
        "--api-clients",
        "4",
        "--api-seconds",
        "0.5",
        "--api-rounds",
        "1",
        "--api-port",
        str(port),
    ]


def test_only_api_measures_the_uncached_route_over_every_stored_id_against_the_target(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", postgres.url)
    out = tmp_path / "api.json"
    result = CliRunner().invoke(app, [*_argv(free_port()), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    block = json.loads(out.read_text())["api"]["uncached"]
    assert (block["route"], block["ids"]) == (UNCACHED_ROUTE, 40)
    assert block["target"] == {"req_per_s": UNCACHED_TARGET_REQ_PER_S, "p99_ms": UNCACHED_TARGET_P99_MS}
    [run] = block["runs"]
    assert run["server"] == "after" and run["requests"] > 0 and run["errors"] == 0
    assert set(block["summary"]) == {"after"}
    costs = block["read_costs"]
    assert all(costs[path]["cpu_us"] > 0 and costs[path]["wall_us"] > 0 for path in ("sync", "async"))


def test_only_api_prints_the_figures_beside_the_load_average_and_the_verdict(postgres, monkeypatch):
    monkeypatch.setenv("GENEPOOL_DATABASE_URL", postgres.url)
    result = CliRunner().invoke(app, _argv(free_port()))
    assert result.exit_code == 0, result.output
    assert "/v1/strategies/{id} over 40 ids" in result.output
    assert "load average" in result.output and ("NOT met" in result.output or ": met" in result.output)
