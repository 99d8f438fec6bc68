"""Readiness recommendations (docs/seeds.md#readiness): the type floor, the bars the smallest and the largest
windows need, and ``ready`` exactly when the recommendation is a ``DEPLOY_`` one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workloads.seeds.readiness import assess, assess_all
from workloads.seeds.registry import all_seeds


@dataclass(frozen=True)
class Requirements:
    name: str
    kind: str
    min_bars: int
    smallest: int
    largest: int
    optimal_bars: int | None = None
    needs_funding: bool = False

    def bars_for_smallest_windows(self) -> int:
        return self.smallest

    def bars_for_largest_windows(self) -> int:
        return self.largest


MOMENTUM = Requirements("ema_crossover", "momentum", 20, smallest=20, largest=201)
TREND = Requirements("sma_trend_filter", "trend", 50, smallest=50, largest=251)
CLOUD = Requirements("ichimoku_cloud", "trend", 50, smallest=61, largest=181)
ML = Requirements("linear_svc_classifier", "ml", 200, smallest=200, largest=1022, optimal_bars=500)
CARRY = Requirements("funding_rate_carry", "carry", 20, smallest=20, largest=49, needs_funding=True)


@pytest.mark.parametrize(
    ("seed", "bars", "recommendation"),
    [
        (MOMENTUM, 19, "INSUFFICIENT_DATA"),
        (MOMENTUM, 20, "DEPLOY_CAUTIOUS"),
        (MOMENTUM, 200, "DEPLOY_CAUTIOUS"),
        (MOMENTUM, 201, "DEPLOY_IMMEDIATE"),
        (TREND, 49, "INSUFFICIENT_DATA"),
        (TREND, 50, "DEPLOY_CAUTIOUS"),
        (TREND, 251, "DEPLOY_RECOMMENDED"),
        (CLOUD, 60, "INSUFFICIENT_DATA"),
        (CLOUD, 61, "DEPLOY_CAUTIOUS"),
        (ML, 199, "DELAY_DEPLOYMENT"),
        (ML, 200, "DEPLOY_ACCEPTABLE"),
        (ML, 1021, "DEPLOY_ACCEPTABLE"),
        (ML, 1022, "DEPLOY_OPTIMAL"),
    ],
)
def test_recommendation_at_threshold(seed, bars, recommendation):
    assert assess(seed, bars, has_funding=False).recommendation == recommendation


@pytest.mark.parametrize("bars", [10, 19, 20, 49, 50, 60, 61, 199, 200, 201, 251, 499, 500, 1021, 1022, 5000])
@pytest.mark.parametrize("seed", [MOMENTUM, TREND, CLOUD, ML, CARRY])
def test_ready_exactly_when_the_recommendation_is_a_deploy_label(seed, bars):
    for funding in (False, True):
        result = assess(seed, bars, has_funding=funding)
        assert result.ready == result.recommendation.startswith("DEPLOY_")


def test_on_a_30_bar_file_ema_crossover_is_cautious_because_its_slow_gene_reaches_200():
    result = assess_all([all_seeds()["ema_crossover"]], 30, has_funding=False)[0]
    assert result.recommendation == "DEPLOY_CAUTIOUS" and result.ready
    assert result.largest_windows_bars > 200
    assert f"largest windows need {result.largest_windows_bars}" in result.reason


def test_no_real_seed_is_labelled_for_immediate_deployment_below_its_largest_windows():
    for seed in all_seeds().values():
        for bars in (30, 60, 120, 250, 600):
            result = assess(seed, bars, has_funding=True)
            if result.recommendation in ("DEPLOY_IMMEDIATE", "DEPLOY_RECOMMENDED", "DEPLOY_OPTIMAL"):
                assert bars >= seed.bars_for_largest_windows(), (seed.name, bars)


def test_a_seed_that_needs_funding_is_not_ready_without_it():
    result = assess(CARRY, 10_000, has_funding=False)
    assert result.recommendation == "INSUFFICIENT_DATA" and not result.ready
    assert "funding_rate" in result.reason


def test_a_seed_that_needs_funding_is_ready_with_it():
    assert assess(CARRY, 49, has_funding=True).recommendation == "DEPLOY_IMMEDIATE"


def test_reason_names_the_floor_and_the_count():
    assert assess(TREND, 30, has_funding=False).reason == "30 bars < the 50-bar minimum of trend seeds"


def test_reason_names_the_smallest_windows_when_they_exceed_the_floor():
    assert assess(CLOUD, 55, has_funding=False).reason == "55 bars < the 61 its smallest windows need"
