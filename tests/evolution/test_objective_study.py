"""The objective study: each objective's pick scored on fresh paths of the same generator, paired against the median
top-share genome (a tiny configuration: the shape and the counting, not the figures)."""

from __future__ import annotations

import json

import pytest

from workloads.evolution.objective_study import (
    OBJECTIVES,
    ObjectiveStudyConfig,
    format_objective_study,
    run_objective_study,
)

SETUP = ObjectiveStudyConfig(
    landscapes=("trend",), repetitions=1, bars=1_200, sample=200, fresh_paths=2, top_share=0.05, smooth_candidates=3
)


@pytest.fixture(scope="module")
def result():
    return run_objective_study(SETUP)


def test_every_seed_run_scores_every_objectives_pick_out_of_sample(result):
    assert result["seed_runs"]
    for row in result["seed_runs"]:
        assert set(row["fresh"]) == set(OBJECTIVES)
        assert isinstance(row["fresh_top_median"], float)


def test_the_comparisons_count_the_non_plateau_seed_runs(result):
    live = [r for r in result["seed_runs"] if not r["plateau"]]
    block = result["summary"]["all"]
    assert block["seed_runs"] == len(live)
    for objective, test in block["vs_top_median"].items():
        wins = sum(r["fresh"][objective] > r["fresh_top_median"] for r in live)
        assert test["wins"] == wins


def test_the_report_is_text_and_the_result_json(result):
    assert "vs top median" in format_objective_study(result)
    assert json.loads(json.dumps(result))["setup"]["fresh_paths"] == 2
