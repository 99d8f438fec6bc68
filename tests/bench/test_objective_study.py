"""The objective study: each objective's pick scored out of sample (fresh paths of the same generator on synthetic
data, walk-forward folds on real data), paired against the median top-share genome (a tiny configuration: the
shape and the counting, not the figures)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workloads.bench.objective_study import (
    OBJECTIVES,
    ObjectiveStudyConfig,
    format_objective_study,
    markdown_table,
    merge_studies,
    picks,
    run_objective_study,
)
from workloads.evolution.config import EvolutionConfig
from workloads.kernels.metrics import MAX_DRAWDOWN, N_METRICS, SHARPE, TRADES, TURNOVER

SETUP = ObjectiveStudyConfig(
    landscapes=("trend", "goog"),
    repetitions=1,
    bars=1_200,
    sample=200,
    fresh_paths=2,
    top_share=0.05,
    smooth_candidates=3,
    folds=2,
    seeds=("ema_crossover", "rsi_filter"),
)


@pytest.fixture(scope="module")
def result():
    return run_objective_study(SETUP)


def test_every_seed_run_scores_every_objectives_pick_out_of_sample(result):
    assert result["seed_runs"]
    for row in result["seed_runs"]:
        assert set(row["out_of_sample"]) == set(OBJECTIVES)
        assert isinstance(row["top_median"], float)


def test_synthetic_data_is_scored_on_fresh_paths_and_real_data_walk_forward(result):
    measures = {row["landscape"]: row["measure"] for row in result["seed_runs"]}
    assert measures == {"trend": "fresh-paths", "goog": "walk-forward"}


def test_the_comparisons_count_the_non_plateau_seed_runs(result):
    live = [r for r in result["seed_runs"] if not r["plateau"]]
    block = result["summary"]["all"]
    assert block["seed_runs"] == len(live)
    for objective, test in block["vs_top_median"].items():
        wins = sum(r["out_of_sample"][objective] > r["top_median"] for r in live)
        assert test["wins"] == wins


def test_studies_of_disjoint_landscapes_merge_into_one_summary(result):
    parts = [
        {**result, "setup": {**result["setup"], "landscapes": [name]}, "seed_runs": rows}
        for name in ("trend", "goog")
        for rows in [[r for r in result["seed_runs"] if r["landscape"] == name]]
    ]
    assert merge_studies(parts)["summary"] == result["summary"]


def test_the_report_is_text_markdown_and_the_result_json(result):
    assert "vs top median" in format_objective_study(result)
    assert "| all |" in markdown_table(result)
    assert json.loads(json.dumps(result))["setup"]["folds"] == 2


def test_the_picks_follow_each_objectives_rule():
    # three genomes, two segments: 0 has the best mean but a bad segment; 1 is steady; 2 trades least
    metrics = np.zeros((3, 2, N_METRICS))
    metrics[:, :, SHARPE] = [(6.0, -1.0), (2.0, 2.0), (1.0, 1.5)]
    metrics[:, :, TRADES] = 10
    metrics[:, :, MAX_DRAWDOWN] = [(0.2, 0.2), (0.1, 0.1), (0.1, 0.1)]
    metrics[:, :, TURNOVER] = [(5.0, 5.0), (5.0, 5.0), (1.0, 1.0)]
    config = EvolutionConfig(consistency=0.5)
    neighbours = {0: metrics[[0, 0]], 1: metrics[[1, 2]], 2: metrics[[2, 2]]}
    chosen, order = picks(metrics, config, 2, neighbours.__getitem__)
    # fitness: 2.5 - 0.5·3.5 = 0.75, 2.0, 1.25 - 0.125 = 1.125
    assert order.tolist() == [1, 2, 0]
    assert chosen["fitness"] == 1 and chosen["worst-segment"] == 1 and chosen["mean-segment"] == 0
    # smoothed, among the best two by fitness (1, 2): neighbourhood means (2.0 + 1.125) / 2 and 1.125
    assert chosen["smoothed"] == 1
    # all three are non-dominated; scaled over the front (Sharpe, drawdown, turnover): 0 (1, 0, 0), 1 (0.6, 1, 0),
    # 2 (0, 1, 1); distances to (1, 1, 1): 1.41, 1.08, 1.00
    assert chosen["nsga2"] == 2
