"""The streaming rolling max/min of ``workloads.kernels.windows`` equal NumPy's max/min over the last ``n`` values
(fewer while fewer were pushed), bit for bit, whatever the window, the values and their ties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from workloads.kernels.windows import (
    extreme_window,
    midpoints_by_length,
    midpoints_push,
    rolling_max_push,
    rolling_min_push,
    suffix_extremes_push,
)


@njit(cache=True)
def _streamed(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    highs, lows = extreme_window(n), extreme_window(n)
    high_k, high_prefix, low_k, low_prefix = 0, 0.0, 0, 0.0
    maxima, minima = np.empty(x.shape[0]), np.empty(x.shape[0])
    for t in range(x.shape[0]):
        maxima[t], high_k, high_prefix = rolling_max_push(highs, high_k, high_prefix, x[t])
        minima[t], low_k, low_prefix = rolling_min_push(lows, low_k, low_prefix, x[t])
    return maxima, minima


def _expected(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    maxima = np.array([x[max(0, t - n + 1) : t + 1].max() for t in range(len(x))])
    minima = np.array([x[max(0, t - n + 1) : t + 1].min() for t in range(len(x))])
    return maxima, minima


values = st.lists(
    st.sampled_from([-2.5, -1.0, 0.0, 1.0, 1.0000000000000002, 3.0]) | st.floats(-1e6, 1e6), min_size=1, max_size=120
)


@settings(max_examples=300, deadline=None)
@given(values, st.integers(1, 40))
def test_rolling_extremes_equal_numpy_over_the_last_n_values(xs, n):
    x = np.array(xs, dtype=np.float64)
    maxima, minima = _streamed(x, n)
    expected_max, expected_min = _expected(x, n)
    np.testing.assert_array_equal(maxima, expected_max)
    np.testing.assert_array_equal(minima, expected_min)


def test_a_window_of_one_is_the_series_itself():
    x = np.array([3.0, -1.0, 2.0, 2.0, 0.5])
    maxima, minima = _streamed(x, 1)
    np.testing.assert_array_equal(maxima, x)
    np.testing.assert_array_equal(minima, x)


def test_a_window_longer_than_the_series_is_the_running_extreme():
    x = np.array([1.0, 4.0, 2.0, 5.0, 3.0])
    maxima, minima = _streamed(x, 10)
    np.testing.assert_array_equal(maxima, np.maximum.accumulate(x))
    np.testing.assert_array_equal(minima, np.minimum.accumulate(x))


@njit(cache=True)
def _suffixes(x: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = lengths.max()
    highs, lows = np.full(size, -np.inf), np.full(size, np.inf)
    maxima, minima = np.empty((x.shape[0], lengths.shape[0])), np.empty((x.shape[0], lengths.shape[0]))
    for t in range(x.shape[0]):
        suffix_extremes_push(highs, lows, t % size, x[t], x[t])
        for w in range(lengths.shape[0]):
            at = (t + 1 - lengths[w]) % size
            maxima[t, w], minima[t, w] = highs[at], lows[at]
    return maxima, minima


@settings(max_examples=200, deadline=None)
@given(values, st.lists(st.integers(1, 40), min_size=1, max_size=5))
def test_shared_suffix_extremes_equal_the_rolling_extremes_of_every_window(xs, windows):
    x = np.array(xs, dtype=np.float64)
    maxima, minima = _suffixes(x, np.array(windows, dtype=np.int64))
    for w, n in enumerate(windows):
        expected_max, expected_min = _streamed(x, n)
        np.testing.assert_array_equal(maxima[:, w], expected_max)
        np.testing.assert_array_equal(minima[:, w], expected_min)


@njit(cache=True)
def _midpoints(high: np.ndarray, low: np.ndarray, longest: int) -> np.ndarray:
    highs, lows, mids = midpoints_by_length(longest)
    seen = np.empty((high.shape[0], longest + 1))
    for t in range(high.shape[0]):
        midpoints_push(highs, lows, mids, t, high[t], low[t])
        seen[t] = mids
    return seen


@settings(max_examples=200, deadline=None)
@given(values, st.integers(1, 40))
def test_midpoints_by_length_are_the_midpoints_of_the_rolling_extremes_of_every_length(xs, longest):
    high = np.array(xs, dtype=np.float64)
    low = high - np.abs(high[::-1]) / 3.0
    seen = _midpoints(high, low, longest)
    for n in range(1, longest + 1):
        highest, _ = _streamed(high, n)
        _, lowest = _streamed(low, n)
        np.testing.assert_array_equal(seen[:, n], (highest + lowest) / 2.0)
