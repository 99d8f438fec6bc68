"""The Deflated Sharpe Ratio against the paper's worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workloads.evolution.dsr import deflated_sharpe, expected_max_sharpe, return_moments


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
