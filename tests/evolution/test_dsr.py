"""The Deflated Sharpe Ratio against the paper's worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workloads.evolution.dsr import (
    average_correlation,
    deflated_sharpe,
    effective_trials,
    expected_max_normal,
    expected_max_sharpe,
    null_deflated_sharpe,
    null_sharpe_variance,
    return_moments,
)


def test_worked_example_gives_sr0_0_11317_per_day_and_dsr_0_9004():
    days = 250
    sharpe = 2.5 / math.sqrt(days)
    dsr, sr0 = deflated_sharpe(
        sharpe, n_returns=1250, skewness=-3.0, kurtosis=10.0, n_trials=100, sharpe_variance=0.5 / days
    )
    assert sr0 == pytest.approx(0.11317, abs=5e-6)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_more_trials_raise_the_bar():
    assert expected_max_sharpe(1000, 0.01) > expected_max_sharpe(100, 0.01) > expected_max_sharpe(10, 0.01) > 0


def test_one_trial_has_no_selection_bias():
    assert expected_max_sharpe(1, 0.5) == 0.0


def test_return_moments_use_raw_kurtosis():
    normal = np.random.default_rng(0).normal(0.001, 0.01, 200_000)
    sharpe, skew, kurt, t = return_moments(normal)
    assert t == 200_000
    assert sharpe == pytest.approx(0.1, abs=0.01)
    assert skew == pytest.approx(0.0, abs=0.03)
    assert kurt == pytest.approx(3.0, abs=0.05)


def test_null_sharpe_variance_is_one_over_t_minus_one():
    assert null_sharpe_variance(1001) == pytest.approx(1e-3)


def test_null_sr0_is_the_standard_error_times_the_expected_maximum():
    _, sr0 = null_deflated_sharpe(0.1, n_returns=2001, skewness=0.0, kurtosis=3.0, n_effective=50)
    assert sr0 == pytest.approx(math.sqrt(1 / 2000) * expected_max_normal(50))


def test_a_sharpe_15_edge_on_hourly_data_deflates_to_about_one():
    per_bar = 15 / math.sqrt(8766)
    dsr, _ = null_deflated_sharpe(per_bar, n_returns=2100, skewness=0.0, kurtosis=4.0, n_effective=2000)
    assert dsr > 0.999


def test_a_zero_skill_best_of_many_is_not_deflated_to_significance():
    n_eff, t = 200, 2000
    typical_max = math.sqrt(1 / (t - 1)) * expected_max_normal(n_eff)
    dsr, _ = null_deflated_sharpe(typical_max, n_returns=t, skewness=0.0, kurtosis=3.0, n_effective=n_eff)
    assert dsr == pytest.approx(0.5, abs=0.01)


def test_effective_trials_interpolate_between_one_and_all_by_average_correlation():
    assert effective_trials(0.0, 100) == 100
    assert effective_trials(1.0, 100) == 1
    assert effective_trials(0.5, 100) == pytest.approx(50.5)


def test_effective_trials_stay_within_the_seed_count_and_the_trial_count():
    assert effective_trials(1.0, 100, n_lower=12) == 12
    assert effective_trials(-0.3, 100, n_lower=12) == 100
    assert effective_trials(math.nan, 40, n_lower=3) == 40


def test_average_correlation_ignores_flat_series_and_counts_anticorrelation_as_zero():
    rng = np.random.default_rng(1)
    base = rng.normal(size=500)
    rows = np.vstack([base, base + 0.01 * rng.normal(size=500), -base, np.zeros(500)])
    # pairs: (0,1) ~1, (0,2) -1 -> 0, (1,2) ~-1 -> 0; the flat row is left out
    assert average_correlation(rows) == pytest.approx(1 / 3, abs=1e-3)


def test_independent_series_have_average_correlation_near_zero():
    rows = np.random.default_rng(2).normal(size=(30, 2000))
    assert average_correlation(rows) < 0.03


def test_conservative_dsr_agrees_with_ffn_on_the_same_inputs():
    import ffn
    import pandas as pd

    rng = np.random.default_rng(5)
    returns = rng.standard_t(6, size=3000) * 0.01 + 0.001
    trials = rng.normal(0.5, 0.8, size=400)  # annualised, like ffn's calc_sharpe
    periods = 252
    index = pd.date_range("2000-01-03", periods=returns.size, freq="B")
    expected = ffn.core.calc_deflated_sharpe_ratio(
        pd.Series(returns, index=index), trials, nperiods=periods, annualized_trials=True
    )
    sharpe, skew, kurt, t = return_moments(returns)
    ours, _ = deflated_sharpe(sharpe, t, skew, kurt, trials.size, float(np.var(trials / math.sqrt(periods), ddof=1)))
    # ffn takes bias-corrected sample skew/kurtosis (pandas), this module the population moments the paper uses
    assert ours == pytest.approx(expected, abs=2e-3)


def test_null_sr0_agrees_with_ffn_expected_maximum():
    import ffn

    t, n_eff = 1500, 37
    expected = ffn.core.calc_expected_max_sharpe(n_eff, math.sqrt(1 / (t - 1)))
    _, sr0 = null_deflated_sharpe(0.05, n_returns=t, skewness=0.0, kurtosis=3.0, n_effective=n_eff)
    assert sr0 == pytest.approx(expected, rel=1e-12)


def test_average_correlation_is_the_mean_positive_pearson_correlation():
    rows = np.random.default_rng(3).normal(size=(12, 300)) + np.random.default_rng(4).normal(size=300)
    corr = np.corrcoef(rows)[np.triu_indices(12, 1)]
    assert average_correlation(rows) == pytest.approx(float(np.mean(np.maximum(corr, 0.0))), rel=1e-12)
