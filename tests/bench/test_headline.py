"""The headline search: measured when every generation runs, extrapolated otherwise, generation times kept."""

from __future__ import annotations

import pytest

from workloads.bench.headline import HEADLINE_TARGET_SECONDS, HeadlineConfig, format_headline, run_headline


def test_a_headline_run_to_its_last_generation_is_measured_not_extrapolated():
    result = run_headline(HeadlineConfig(bars=1500, population=4, generations=2, target_generations=2))
    assert result["measured"] and result["basis"].startswith("measured")
    assert len(result["generation_seconds"]) == 2 and result["seconds"] == sum(result["generation_seconds"])
    assert result["target_seconds"] == HEADLINE_TARGET_SECONDS == 180.0
    assert result["met"] == (result["seconds"] < 180.0)
    assert "generation seconds: " in format_headline(result)


def test_a_shortened_headline_extrapolates_from_the_generations_after_the_first():
    result = run_headline(HeadlineConfig(bars=1500, population=4, generations=2, target_generations=5))
    first, second = result["generation_seconds"]
    assert not result["measured"] and result["seconds"] == pytest.approx(first + 4 * second)


@pytest.mark.parametrize(("generations", "target"), [(1, 50), (51, 50), (0, 1)])
def test_a_headline_needs_a_generation_to_extrapolate_from_and_no_more_than_its_target(generations, target):
    with pytest.raises(ValueError, match="headline"):
        HeadlineConfig(generations=generations, target_generations=target)
