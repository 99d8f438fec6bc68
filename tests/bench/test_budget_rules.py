"""The budget-rule comparison pairs every rule with the default on the same data and counts the sign test over the
pairs."""

from __future__ import annotations

import pytest

from workloads.bench.budget_rules import DEFAULT_RULE, EDGES, RULES, run_budget_comparison


@pytest.fixture(scope="module")
def result():
    return run_budget_comparison(repetitions=1, bars=1_200, population=6, generations=2)


def test_each_pair_runs_every_rule(result):
    assert len(result["pairs"]) == len(EDGES)
    for pair in result["pairs"]:
        assert set(RULES) <= set(pair)


@pytest.mark.parametrize("rule", [r for r in RULES if r != DEFAULT_RULE])
def test_each_rule_is_sign_tested_against_the_default(result, rule):
    pooled = result["vs_default"][rule]["all"]
    wins = sum(p[rule] > p[DEFAULT_RULE] for p in result["pairs"])
    assert pooled["wins"] == wins and pooled["wins"] + pooled["losses"] + pooled["ties"] == len(EDGES)
