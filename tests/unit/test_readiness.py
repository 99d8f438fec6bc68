"""Readiness recommendations at the thresholds of docs/seeds.md#readiness (19/20, 49/50, 199/200, 499/500 bars)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workloads.readiness import assess


@dataclass(frozen=True)
class Requirements:
    name: str
    kind: str
    min_bars: int
    optimal_bars: int | None = None
    needs_funding: bool = False


MOMENTUM = Requirements("ema_crossover", "momentum", 20)
TREND = Requirements("sma_trend_filter", "trend", 50)
ML = Requirements("linear_svc_classifier", "ml", 200, 500)
CARRY = Requirements("funding_rate_carry", "carry", 20, needs_funding=True)


@pytest.mark.parametrize(
    ("seed", "bars", "recommendation", "ready"),
    [
        (MOMENTUM, 19, "INSUFFICIENT_DATA", False),
        (MOMENTUM, 20, "DEPLOY_IMMEDIATE", True),
        (TREND, 19, "INSUFFICIENT_DATA", False),
        (TREND, 20, "DEPLOY_CAUTIOUS", False),
        (TREND, 49, "DEPLOY_CAUTIOUS", False),
        (TREND, 50, "DEPLOY_RECOMMENDED", True),
        (ML, 199, "DELAY_DEPLOYMENT", False),
        (ML, 200, "DEPLOY_ACCEPTABLE", True),
        (ML, 499, "DEPLOY_ACCEPTABLE", True),
        (ML, 500, "DEPLOY_OPTIMAL", True),
    ],
)
def test_recommendation_at_threshold(seed, bars, recommendation, ready):
    result = assess(seed, bars, has_funding=False)
    assert (result.recommendation, result.ready) == (recommendation, ready)


def test_a_seed_that_needs_funding_is_not_ready_without_it():
    result = assess(CARRY, 10_000, has_funding=False)
    assert result.recommendation == "INSUFFICIENT_DATA" and not result.ready
    assert "funding_rate" in result.reason


def test_a_seed_that_needs_funding_is_ready_with_it():
    assert assess(CARRY, 20, has_funding=True).recommendation == "DEPLOY_IMMEDIATE"


def test_reason_names_the_floor_and_the_count():
    assert assess(TREND, 30, has_funding=False).reason == "30 bars < the 50-bar minimum of trend seeds"
