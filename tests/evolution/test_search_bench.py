"""The search-quality bench compares the three methods at equal budgets and scores them the same way."""

from __future__ import annotations

import pytest

from workloads.evolution.search_bench import format_search_benchmark, run_search_benchmark


@pytest.fixture(scope="module")
def result():
    return run_search_benchmark(runs=1, bars=1_200, strength=0.3, population=6, generations=2)


def test_every_method_gets_the_budget_the_ga_used(result):
    # the GA's distinct evaluations, split evenly over the seeds (rounded down); a repeated genome counts once
    pair = result["pairs"][0]
    ga = pair["ga"]["evaluations"]
    for method in ("random", "tpe"):
        assert 0.9 * ga <= pair[method]["evaluations"] <= ga


def test_every_method_reports_its_pick(result):
    for outcome in result["pairs"][0].values():
        assert outcome["pick"] is not None and outcome["best_fitness"] is not None
        assert isinstance(outcome["promoted"], bool)


def test_the_table_names_the_methods_and_the_win_rate(result):
    text = format_search_benchmark(result)
    assert all(method in text for method in ("ga", "random", "tpe")) and "beats random search in" in text
