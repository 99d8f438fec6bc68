"""``genepool bench --only-search``: the search bench alone, its JSON, and its options' errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from workloads.cli import app

TINY = [
    "bench",
    "--only-search",
    "--search-landscapes",
    "reversion",
    "--search-bars",
    "800",
    "--search-budgets",
    "8,16",
    "--search-reference",
    "200",
    "--search-race-seconds",
    "0.01",
]


def test_only_search_prints_per_seed_paired_results_as_json(tmp_path):
    out = tmp_path / "search.json"
    result = CliRunner().invoke(app, [*TINY, "--search-variant", "survival=plus", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    search = json.loads(out.read_text())["search_quality"]
    assert set(search) >= {"setup", "load", "seed_runs", "plateaus", "summary"} and "kernels" not in json.loads(
        out.read_text()
    )
    assert set(search["summary"]["budgets"]) == {"8", "16"}
    assert "ga[survival=plus]" in search["summary"]["budgets"]["8"]["all"]["ga_vs"]
    assert set(search["summary"]["race"]["tpe-mv"]["all"]["ga_vs"]) >= {"wins", "losses", "p_value", "significant"}


def test_a_bad_variant_is_refused_naming_the_key():
    result = CliRunner().invoke(app, [*TINY, "--search-variant", "survival=comma"])
    assert result.exit_code == 2 and "survival" in result.output


def test_bad_budgets_are_refused():
    result = CliRunner().invoke(app, [*TINY[:-6], "--search-budgets", "8,x"])
    assert result.exit_code == 2 and "--search-budgets" in result.output
