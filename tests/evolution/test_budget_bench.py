"""The budget-rule comparison pairs the two rules on the same data and counts the sign test over the pairs."""

from __future__ import annotations

from workloads.evolution.budget_bench import EDGES, run_budget_comparison


def test_each_pair_runs_both_rules_and_the_tests_count_them():
    result = run_budget_comparison(repetitions=1, bars=1_200, population=6, generations=2)
    assert len(result["pairs"]) == len(EDGES)
    pooled = result["rank_vs_improvement"]["all"]
    wins = sum(p["rank"] > p["improvement"] for p in result["pairs"])
    assert pooled["wins"] == wins and pooled["wins"] + pooled["losses"] + pooled["ties"] == len(EDGES)
