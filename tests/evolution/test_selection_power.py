"""The verdict as a statistical test: with fixed seeds, the pool promotes nothing on data without an edge and
promotes the best entry on data with a planted trend (docs/evolution.md#promotion).

Small runs (5 fast seeds, population 12, 3 generations, 3,000 hourly bars) keep the 30 runs to about 20 s."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.observers import PrometheusMetrics
from workloads.evolution.records import RunSummary
from workloads.evolution.run import run_evolution

SEEDS = ["ema_crossover", "sma_trend_filter", "donchian_breakout", "rsi_filter", "bollinger_bands"]
BARS = 3_000
TREND_STRENGTH = 0.3
"""Moderate: the best crossovers reach an annualised Sharpe of about 11-17 on these bars."""


def _summary(tmp_path, data_seed: int, edge: str, strength: float) -> RunSummary:
    bars = generate(BARS, 1000 + data_seed, edge=edge, edge_strength=strength)
    config = EvolutionConfig(population=12, generations=3, random_seed=data_seed)
    return run_evolution(
        bars, config, runs_dir=tmp_path / str(data_seed), strategies=SEEDS, observers=[PrometheusMetrics()]
    )


@pytest.mark.slow
def test_on_20_data_sets_without_an_edge_at_most_one_run_promotes_anything(tmp_path):
    promoting = [seed for seed in range(20) if _summary(tmp_path, seed, "none", 0.0).verdict.promoted > 0]
    assert len(promoting) <= 1, f"runs that promoted noise: {promoting}"


@pytest.mark.slow
def test_on_10_data_sets_with_a_planted_trend_the_best_entry_is_promoted_in_at_least_9(tmp_path):
    missed = [
        seed for seed in range(10) if not _summary(tmp_path, seed, "trend", TREND_STRENGTH).hall_of_fame[0].promoted
    ]
    assert len(missed) <= 1, f"runs whose best entry was not promoted: {missed}"


def test_each_promoted_entry_counts_once_in_the_promotions_metric(tmp_path):
    def promotions() -> dict[str, float]:
        return {s: REGISTRY.get_sample_value("genepool_promotions_total", {"strategy": s}) or 0.0 for s in SEEDS}

    before = promotions()
    summary = _summary(tmp_path, 0, "trend", TREND_STRENGTH)
    counted = {s: promotions()[s] - before[s] for s in SEEDS}
    expected = {s: float(sum(e.promoted and e.strategy == s for e in summary.hall_of_fame)) for s in SEEDS}
    assert summary.verdict.promoted > 0 and counted == expected
