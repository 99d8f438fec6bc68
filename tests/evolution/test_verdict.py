"""The promotion gate names every rule an entry fails; the verdict line says what passed or why nothing did;
robustness probes the neighbourhood of each entry."""

from __future__ import annotations

import math

import pytest

from workloads.evolution.config import EvolutionConfig
from workloads.evolution.records import DsrDetail, Robustness, ScoredEntry
from workloads.evolution.run import run_evolution
from workloads.evolution.summary import gate_reasons, verdict

CONFIG = EvolutionConfig(min_trades=3, promote_dsr=0.95, promote_max_drawdown=0.3)
GOOD_HOLDOUT = {"sharpe": 2.0, "trades": 5.0, "max_drawdown": 0.1}


def test_an_entry_passing_every_rule_has_an_empty_gate():
    assert gate_reasons(0.99, GOOD_HOLDOUT, CONFIG) == ()


def test_a_low_dsr_fails_the_gate():
    assert gate_reasons(0.5, GOOD_HOLDOUT, CONFIG) == ("dsr 0.5 < 0.95",)


def test_an_undefined_dsr_fails_the_gate():
    assert gate_reasons(math.nan, GOOD_HOLDOUT, CONFIG)[0].startswith("dsr nan")


def test_a_losing_holdout_fails_the_gate():
    assert gate_reasons(0.99, {**GOOD_HOLDOUT, "sharpe": -0.4}, CONFIG) == ("holdout sharpe -0.40 <= 0",)


def test_too_few_holdout_trades_fail_the_gate():
    assert gate_reasons(0.99, {**GOOD_HOLDOUT, "trades": 2.0}, CONFIG) == ("holdout trades 2 < 3",)


def test_a_deep_holdout_drawdown_fails_the_gate():
    assert gate_reasons(0.99, {**GOOD_HOLDOUT, "max_drawdown": 0.45}, CONFIG) == ("holdout drawdown 45.0% > 30%",)


def test_no_holdout_fails_the_gate():
    assert gate_reasons(0.99, None, CONFIG) == ("no holdout",)


def test_every_failed_rule_is_listed():
    assert len(gate_reasons(0.1, {"sharpe": None, "trades": 0.0, "max_drawdown": 0.9}, CONFIG)) == 4


def _entry(strategy: str, gate: tuple[str, ...]) -> ScoredEntry:
    detail = DsrDetail(0.0, 0.0, 3.0, 100, 10, 5.0, 0.1, 0.1, 0.1, 0.01)
    robust = Robustness(0, None, None, None, False, (), None)
    return ScoredEntry(strategy, {}, 1.0, 0, {}, None, 0.5, 0.0, 5.0, not gate, gate, detail, robust)


def test_the_verdict_names_the_promoted_entries():
    line = verdict([_entry("a", ()), _entry("b", ("dsr 0.5 < 0.95",))], {}).line
    assert line == "1 promoted: #1 a"


def test_the_verdict_says_why_nothing_passed():
    entries = [_entry("a", ("dsr 0.5 < 0.95", "holdout sharpe -1.00 <= 0")), _entry("b", ("dsr 0.2 < 0.95",))]
    assert verdict(entries, {}).line == "nothing passed — failed rules: dsr 2/2, holdout sharpe 1/2"


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    from tests.evolution.conftest import MomentumSeed, ReversalSeed, random_walk_bars

    seeds = {"fake_momentum": MomentumSeed(), "fake_reversal": ReversalSeed()}
    config = EvolutionConfig(population=10, generations=2, random_seed=1, hall_of_fame=4)
    return run_evolution(random_walk_bars(600, 3), config, runs_dir=tmp_path_factory.mktemp("runs"), registry=seeds)


def test_each_entry_is_probed_one_and_two_steps_along_each_gene(summary):
    for entry in summary.hall_of_fame:
        assert 0 < entry.robustness.neighbours <= 4 * len(entry.params)


def test_a_thin_peak_is_a_neighbourhood_keeping_less_than_the_ratio(summary):
    for entry in summary.hall_of_fame:
        retention = entry.robustness.retention
        assert entry.robustness.thin_peak is (retention is not None and retention < summary.config.thin_peak_ratio)


def test_walk_forward_efficiency_is_holdout_over_mean_segment_sharpe(summary):
    for entry in summary.hall_of_fame:
        segments = [s for s in entry.robustness.segment_sharpe if s is not None]
        mean = sum(segments) / len(segments)
        efficiency = entry.robustness.walk_forward_efficiency
        if mean > 0 and entry.holdout is not None:
            assert efficiency == pytest.approx(entry.holdout["sharpe"] / mean)
        else:
            assert efficiency is None


def test_block_sums_keep_the_total_and_bound_the_length():
    import numpy as np

    from workloads.evolution.summary import block_sums

    returns = np.random.default_rng(0).normal(size=10_001)
    sums = block_sums(returns, 100)
    assert sums.shape == (100,) and sums.sum() == pytest.approx(returns.sum())
    assert block_sums(returns[:50], 100).shape == (50,)
