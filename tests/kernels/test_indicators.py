"""EMA and SMA match TA-Lib (the industry reference) bit for bit, warm-up NaNs included."""

from __future__ import annotations

import numpy as np
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.kernels.indicators import ema_1d, sma_1d

series = st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=1, max_size=300).map(np.array)
periods = st.integers(1, 60)


@settings(max_examples=200, deadline=None)
@given(series, periods)
def test_ema_equals_talib_ema(x, n):
    np.testing.assert_array_equal(ema_1d(x, n), talib.EMA(x, n))


@settings(max_examples=200, deadline=None)
@given(series, periods)
def test_sma_equals_talib_sma(x, n):
    np.testing.assert_array_equal(sma_1d(x, n), talib.SMA(x, n))


def test_ema_first_value_is_the_sma_of_the_first_n_values():
    x = np.array([2.0, 4.0, 6.0, 8.0])
    out = ema_1d(x, 3)
    assert np.isnan(out[:2]).all()
    assert out[2] == 4.0
    assert out[3] == 4.0 + (8.0 - 4.0) * 2.0 / 4.0


def test_sma_is_undefined_before_a_full_window():
    out = sma_1d(np.arange(1.0, 6.0), 5)
    assert np.isnan(out[:4]).all() and out[4] == 3.0


def test_long_series_ema_stays_bit_exact_with_talib():
    rng = np.random.default_rng(7)
    x = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 50_000)))
    for n in (2, 12, 26, 200):
        np.testing.assert_array_equal(ema_1d(x, n), talib.EMA(x, n))
