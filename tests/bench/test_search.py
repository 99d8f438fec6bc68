"""The search-quality bench: every method per seed-run against a dense reference, paired comparisons per landscape
and pooled, and an equal-time race; a tiny configuration (figures are not checked, only their shape and logic)."""

from __future__ import annotations

import json

import pytest

from workloads.bench.search import format_search_benchmark, run_search_benchmark
from workloads.bench.search_setup import BASELINES, SearchBenchConfig

SETUP = SearchBenchConfig(
    landscapes=("trend", "goog"),
    repetitions=1,
    bars=1_200,
    budgets=(16, 32),
    reference_size=400,
    population=8,
    race_seconds=0.02,
    variants=(("ga-plus", (("survival", "plus"),)),),
)


@pytest.fixture(scope="module")
def result():
    return run_search_benchmark(SETUP)


def test_the_result_is_json(result):
    assert json.loads(json.dumps(result))["setup"]["budgets"] == [16, 32]


def test_every_seed_run_has_every_method_at_every_budget(result):
    methods = {"ga", "ga-plus", *BASELINES}
    for row in result["seed_runs"]:
        assert set(row["methods"]) == methods
        for outcome in row["methods"].values():
            assert set(outcome["best"]) == set(outcome["regret"]) == {"16", "32"}


def test_a_longer_budget_is_never_worse(result):
    for row in result["seed_runs"]:
        for outcome in row["methods"].values():
            assert outcome["best"]["32"] >= outcome["best"]["16"]


def test_regret_is_placed_against_the_seed_runs_reference(result):
    for row in result["seed_runs"]:
        for outcome in row["methods"].values():
            regret = outcome["regret"]["32"]
            assert 0.0 <= regret["share"] <= 1.0
            assert regret["gap"] == pytest.approx(row["reference_max"] - outcome["best"]["32"])
            assert regret["hit"] == (outcome["best"]["32"] >= row["reference_max"])


def test_both_landscapes_are_searched_seed_by_seed(result):
    assert {row["landscape"] for row in result["seed_runs"]} == {"trend", "goog"}
    # real data has no funding column: the funding seed is not ready there
    assert "funding_rate_carry" not in {r["seed"] for r in result["seed_runs"] if r["landscape"] == "goog"}


def test_the_sign_tests_count_the_non_plateau_seed_runs(result):
    live = [r for r in result["seed_runs"] if not r["plateau"]]
    for budget, per in result["summary"]["budgets"].items():
        assert per["all"]["seed_runs"] == len(live)
        for method, test in per["all"]["ga_vs"].items():
            wins = sum(r["methods"]["ga"]["best"][budget] > r["methods"][method]["best"][budget] for r in live)
            assert test["wins"] == wins and test["wins"] + test["losses"] + test["ties"] == len(live)
            assert 0.0 < test["p_value"] <= 1.0


def test_the_race_gives_both_sides_the_time(result):
    for row in result["seed_runs"]:
        sides = row["race"]["tpe-mv"]
        assert all(side["seconds"] >= SETUP.race_seconds and side["evaluations"] > 0 for side in sides.values())


def test_the_load_is_recorded_beside_the_times(result):
    assert len(result["load"]["loadavg_before"]) == 3 and result["load"]["cpus"] >= 1


def test_the_report_says_which_differences_are_significant(result):
    text = format_search_benchmark(result)
    assert "ga vs random" in text and "significant" in text and "equal wall time" in text


def test_an_unknown_landscape_is_refused():
    with pytest.raises(ValueError, match="unknown nowhere"):
        SearchBenchConfig(landscapes=("nowhere",))


def test_one_result_merged_alone_keeps_its_summary(result):
    from workloads.bench.search import merge_results

    assert merge_results([result])["summary"] == json.loads(json.dumps(result["summary"]))


def test_the_markdown_tables_have_a_pooled_row_per_budget_and_the_race(result):
    from workloads.bench.search import markdown_tables

    text = markdown_tables(result)
    assert text.count("| all |") == len(SETUP.budgets) + 1 and "Equal wall time" in text
