"""The array-form indicators of ``workloads.kernels.ta`` (built on the streaming steps the seed kernels use) against
TA-Lib where TA-Lib has the indicator, and against an independent NumPy formula where it does not — on random data,
warm-up (the NaN prefix) included."""

from __future__ import annotations

import numpy as np
import pytest
import talib
from numpy.lib.stride_tricks import sliding_window_view

from tests.seeds.conftest import random_bars
from workloads.kernels import ta

RTOL = 1e-10
BARS = random_bars(300, 11)
H, L, C, V = BARS.high, BARS.low, BARS.close, BARS.volume


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal to 1e-10 relative, and NaN exactly where the reference is NaN (the warm-up)."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-12, equal_nan=True)


def windows(x: np.ndarray, n: int) -> np.ndarray:
    """``(len(x) - n + 1, n)`` windows ending at ``n-1 .. len(x)-1``."""
    return sliding_window_view(x, n)


def nan_prefix(values: np.ndarray, first: int, length: int) -> np.ndarray:
    out = np.full(length, np.nan)
    out[first : first + values.shape[0]] = values
    return out


@pytest.mark.parametrize("n", [2, 14, 50])
def test_rsi_is_talib_wilder_rsi(n):
    assert_same(ta.rsi_1d(C, n), talib.RSI(C, n))


def test_rsi_of_a_flat_window_is_zero_as_in_talib():
    flat = np.full(20, 100.0)
    assert_same(ta.rsi_1d(flat, 5), talib.RSI(flat, 5))


@pytest.mark.parametrize("n", [1, 14, 50])
def test_atr_is_talib_wilder_atr(n):
    assert_same(ta.atr_1d(H, L, C, n), talib.ATR(H, L, C, n))


@pytest.mark.parametrize("n,k", [(10, 1.0), (20, 2.0), (100, 3.5)])
def test_bollinger_is_talib_bbands_sma_population_std(n, k):
    for ours, theirs in zip(ta.bollinger_1d(C, n, k), talib.BBANDS(C, n, k, k, 0), strict=True):
        assert_same(ours, theirs)


@pytest.mark.parametrize("k,d", [(5, 2), (14, 3), (50, 10)])
def test_stochastic_is_talib_stochf(k, d):
    fast_k, fast_d = talib.STOCHF(H, L, C, k, d, 0)
    ours_k, ours_d = ta.stochf_1d(H, L, C, k, d)
    assert_same(ours_k, fast_k)
    assert_same(ours_d, fast_d)


def test_stochastic_of_a_zero_range_is_zero_as_in_talib():
    flat = np.full(12, 3.0)
    for ours, theirs in zip(ta.stochf_1d(flat, flat, flat, 4, 3), talib.STOCHF(flat, flat, flat, 4, 3, 0), strict=True):
        assert_same(ours, theirs)


@pytest.mark.parametrize("n", [2, 20, 100])
def test_rolling_mean_and_std_are_talib_sma_stddev_and_numpy_sample_std(n):
    mean, population = ta.rolling_mean_std_1d(C, n, 0)
    _, sample = ta.rolling_mean_std_1d(C, n, 1)
    assert_same(mean, talib.SMA(C, n))
    assert_same(population, talib.STDDEV(C, n, 1))
    assert_same(sample, nan_prefix(windows(C, n).std(axis=1, ddof=1), n - 1, C.shape[0]))


@pytest.mark.parametrize("level", [1e-4, 5e4])
def test_rolling_std_keeps_its_digits_at_any_price_level(level):
    """A tiny spread on a large (or tiny) level: the shifted sums lose nothing to cancellation."""
    x = level * (1.0 + 1e-7 * np.random.default_rng(3).standard_normal(500))
    _, std = ta.rolling_mean_std_1d(x, 30, 0)
    np.testing.assert_allclose(std[29:], windows(x, 30).std(axis=1), rtol=1e-6)


@pytest.mark.parametrize("n", [10, 48, 200])
def test_vwap_is_the_volume_weighted_typical_price_and_its_weighted_std(n):
    tp = (H + L + C) / 3.0
    w, x = windows(V, n), windows(tp, n)
    vwap = (w * x).sum(axis=1) / w.sum(axis=1)
    std = np.sqrt((w * (x - vwap[:, None]) ** 2).sum(axis=1) / w.sum(axis=1))
    ours_vwap, ours_std = ta.vwap_1d(H, L, C, V, n)
    assert_same(ours_vwap, nan_prefix(vwap, n - 1, C.shape[0]))
    assert_same(ours_std, nan_prefix(std, n - 1, C.shape[0]))


def test_vwap_is_undefined_where_no_bar_of_the_window_has_volume():
    """Even when the rolling sums reach the gap by subtraction (it starts mid-ring) and leave a rounding residue."""
    volume = V.copy()
    volume[103:140] = 0.0
    vwap, std = ta.vwap_1d(H, L, C, volume, 5)
    assert np.isnan(vwap[107:140]).all() and np.isnan(std[107:140]).all()
    assert not np.isnan(vwap[106]) and not np.isnan(vwap[140])


@pytest.mark.parametrize("n", [1, 10, 100])
def test_donchian_uses_the_previous_n_bars(n):
    high, low = np.round(H), np.round(L)  # plateaus: ties in the windows
    upper, lower = ta.donchian_1d(high, low, n)
    assert_same(upper, nan_prefix(windows(high, n).max(axis=1)[:-1], n, C.shape[0]))
    assert_same(lower, nan_prefix(windows(low, n).min(axis=1)[:-1], n, C.shape[0]))


@pytest.mark.parametrize("tenkan,kijun,senkou_b", [(9, 26, 52), (5, 20, 40), (20, 60, 120)])
def test_ichimoku_spans_are_displaced_forward_by_kijun(tenkan, kijun, senkou_b):
    bars = C.shape[0]

    def midpoint(n):
        return nan_prefix((windows(H, n).max(axis=1) + windows(L, n).min(axis=1)) / 2.0, n - 1, bars)

    def displaced(x):
        return np.concatenate([np.full(kijun, np.nan), x[: bars - kijun]])

    tenkan_sen, kijun_sen, span_a, span_b = ta.ichimoku_1d(H, L, tenkan, kijun, senkou_b)
    assert_same(tenkan_sen, midpoint(tenkan))
    assert_same(kijun_sen, midpoint(kijun))
    assert_same(span_a, displaced((midpoint(tenkan) + midpoint(kijun)) / 2.0))
    assert_same(span_b, displaced(midpoint(senkou_b)))


@pytest.mark.parametrize("n", [2, 20, 100])
def test_realized_vol_is_the_sample_std_of_log_returns(n):
    returns = np.diff(np.log(C))
    assert_same(ta.realized_vol_1d(C, n), nan_prefix(windows(returns, n).std(axis=1, ddof=1), n, C.shape[0]))
