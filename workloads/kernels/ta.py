"""Array-form indicators of docs/seeds.md#indicator-conventions, built on the streaming steps of
``workloads.kernels.windows`` (so each equals, value for value, what a fused seed kernel computes bar by bar).

Each function states the equivalent it matches and its warm-up: the outputs are NaN before the first index where the
indicator is defined. Where TA-Lib has the indicator the convention is TA-Lib's default (the tests hold these to
``talib`` on random data, warm-up included); where it has none, the convention is the one in
docs/seeds.md#indicator-conventions.

>>> import numpy as np
>>> from workloads.kernels.ta import donchian_1d
>>> upper, lower = donchian_1d(np.array([1.0, 3.0, 2.0, 5.0]), np.array([0.0, 1.0, 1.5, 4.0]), 2)
>>> upper
array([nan, nan,  3.,  3.])
>>> lower
array([nan, nan,  0.,  1.])
"""

from __future__ import annotations

import numpy as np
from numba import njit

from workloads.kernels.windows import (
    extreme_window,
    moments_mean,
    moments_push,
    moments_var,
    ring_sum,
    ring_swap,
    rolling_max_push,
    rolling_min_push,
    rsi_value,
    stoch_k,
    true_range,
    weighted_mean_std,
    weighted_moments_push,
    wilder_push,
)


@njit(cache=True)
def rsi_1d(close: np.ndarray, n: int) -> np.ndarray:
    """Wilder's RSI of period ``n``; equals ``talib.RSI(close, n)``. First value at index ``n`` (it needs ``n``
    price changes); a window with no change reads 0, as in TA-Lib."""
    out = np.full(close.shape[0], np.nan)
    gain = 0.0
    loss = 0.0
    for t in range(1, close.shape[0]):
        change = close[t] - close[t - 1]
        gain = wilder_push(gain, change if change > 0.0 else 0.0, t - 1, n)
        loss = wilder_push(loss, -change if change < 0.0 else 0.0, t - 1, n)
        if t >= n:
            out[t] = rsi_value(gain, loss)
    return out


@njit(cache=True)
def atr_1d(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> np.ndarray:
    """Wilder's average true range of period ``n``; equals ``talib.ATR(high, low, close, n)``. The true range starts
    at bar 1; the first ATR, at index ``n``, is the mean of the first ``n`` true ranges."""
    out = np.full(close.shape[0], np.nan)
    state = 0.0
    for t in range(1, close.shape[0]):
        state = wilder_push(state, true_range(high, low, close, t), t - 1, n)
        if t >= n:
            out[t] = state
    return out


@njit(cache=True)
def rolling_mean_std_1d(x: np.ndarray, n: int, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean and std (``ddof`` 0: population, 1: sample) of ``x`` over the ``n`` values ``t-n+1 .. t``; first
    value at index ``n-1``. The mean equals ``talib.SMA(x, n)``, the population std ``talib.STDDEV(x, n, 1)``, the
    sample std ``pandas.Series(x).rolling(n).std()``."""
    mean = np.full(x.shape[0], np.nan)
    std = np.full(x.shape[0], np.nan)
    buf = np.empty(n)
    s1, s2, shift = 0.0, 0.0, 0.0
    for t in range(x.shape[0]):
        s1, s2, shift = moments_push(buf, t, x[t], s1, s2, shift)
        if t >= n - 1:
            mean[t] = moments_mean(s1, shift, n)
            std[t] = np.sqrt(moments_var(s1, s2, n, ddof))
    return mean, std


@njit(cache=True)
def bollinger_1d(close: np.ndarray, n: int, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bollinger bands ``(upper, middle, lower)``: the SMA of ``n`` closes ± ``k`` population stds; equals
    ``talib.BBANDS(close, n, k, k, matype=0)``. First value at index ``n-1``."""
    middle, std = rolling_mean_std_1d(close, n, 0)
    return middle + k * std, middle, middle - k * std


@njit(cache=True)
def stochf_1d(high: np.ndarray, low: np.ndarray, close: np.ndarray, k: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Fast stochastic ``(%K, %D)``: %K over the ``k`` bars ``t-k+1 .. t`` (0 when the range is 0), %D the SMA of
    ``d`` %K values; equals ``talib.STOCHF(high, low, close, k, d, 0)``. Both outputs start at index ``k + d - 2``
    (TA-Lib blanks %K until %D exists)."""
    bars = close.shape[0]
    fast_k = np.full(bars, np.nan)
    fast_d = np.full(bars, np.nan)
    highs, lows = extreme_window(k), extreme_window(k)
    high_k, high_prefix, low_k, low_prefix = 0, 0.0, 0, 0.0
    ring = np.empty(d)
    for t in range(bars):
        highest, high_k, high_prefix = rolling_max_push(highs, high_k, high_prefix, high[t])
        lowest, low_k, low_prefix = rolling_min_push(lows, low_k, low_prefix, low[t])
        if t >= k - 1:
            value = stoch_k(close[t], highest, lowest)
            ring_swap(ring, t - (k - 1), value)
            if t >= k + d - 2:
                fast_k[t] = value
                fast_d[t] = ring_sum(ring) / d
    return fast_k, fast_d


@njit(cache=True)
def typical_price(high: float, low: float, close: float) -> float:
    """``(H + L + C) / 3``."""
    return (high + low + close) / 3.0


@njit(cache=True)
def vwap_1d(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rolling VWAP over the ``n`` bars ``t-n+1 .. t`` with the typical price ``tp = (H + L + C) / 3``
    (docs/seeds.md#indicator-conventions): ``vwap = sum(v tp) / sum(v)``, and the volume-weighted population std of
    ``tp`` around it, ``sqrt(sum(v (tp - vwap)^2) / sum(v))``. First value at index ``n-1``; NaN where no bar of the
    window has volume."""
    bars = close.shape[0]
    vwap = np.full(bars, np.nan)
    std = np.full(bars, np.nan)
    wbuf = np.empty(n)
    xbuf = np.empty(n)
    sw, s1, s2, shift = 0.0, 0.0, 0.0, 0.0
    traded = 0
    for t in range(bars):
        sw, s1, s2, shift = weighted_moments_push(
            wbuf, xbuf, t, volume[t], typical_price(high[t], low[t], close[t]), sw, s1, s2, shift
        )
        traded += volume_traded(volume, t, n)
        if t >= n - 1 and traded > 0:
            vwap[t], std[t] = weighted_mean_std(sw, s1, s2, shift)
    return vwap, std


@njit(cache=True, inline="always")
def volume_traded(volume: np.ndarray, t: int, n: int) -> int:
    """Change, on bar ``t``, in the count of bars with volume among the last ``n``: a window with none has no VWAP
    (counted exactly, so no rounding residue of the rolling volume sum can stand in for it)."""
    return int(volume[t] > 0.0) - int(t >= n and volume[t - n] > 0.0)


@njit(cache=True)
def donchian_1d(high: np.ndarray, low: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Donchian channel on the *previous* ``n`` bars (docs/seeds.md#indicator-conventions):
    ``upper[t] = max(H[t-n .. t-1])``, ``lower[t] = min(L[t-n .. t-1])`` — bar ``t`` is excluded, so a close can break
    it. First value at index ``n``."""
    bars = high.shape[0]
    upper = np.full(bars, np.nan)
    lower = np.full(bars, np.nan)
    highs, lows = extreme_window(n), extreme_window(n)
    high_k, high_prefix, low_k, low_prefix = 0, 0.0, 0, 0.0
    highest, lowest = np.nan, np.nan
    for t in range(bars):
        if t >= n:
            upper[t] = highest
            lower[t] = lowest
        highest, high_k, high_prefix = rolling_max_push(highs, high_k, high_prefix, high[t])
        lowest, low_k, low_prefix = rolling_min_push(lows, low_k, low_prefix, low[t])
    return upper, lower


@njit(cache=True)
def ichimoku_1d(
    high: np.ndarray, low: np.ndarray, tenkan: int, kijun: int, senkou_b: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ichimoku ``(tenkan_sen, kijun_sen, span_a, span_b)`` (docs/seeds.md#indicator-conventions).

    ``tenkan_sen[t] = (max H + min L) / 2`` over the ``tenkan`` bars ``t-tenkan+1 .. t`` (first at ``tenkan-1``);
    ``kijun_sen`` likewise over ``kijun`` bars. The spans are **displaced forward by kijun bars**: ``span_a[t] =
    (tenkan_sen + kijun_sen) / 2`` computed at ``t - kijun`` (first at ``2 kijun - 1`` when ``tenkan <= kijun``),
    ``span_b[t] = (max H + min L) / 2`` over the ``senkou_b`` bars ending at ``t - kijun`` (first at
    ``kijun + senkou_b - 1``). The chikou span (the close shifted back) is never computed: it looks ahead."""
    bars = high.shape[0]
    tenkan_sen = np.full(bars, np.nan)
    kijun_sen = np.full(bars, np.nan)
    span_a = np.full(bars, np.nan)
    span_b = np.full(bars, np.nan)
    windows = (tenkan, kijun, senkou_b)
    highs = (extreme_window(tenkan), extreme_window(kijun), extreme_window(senkou_b))
    lows = (extreme_window(tenkan), extreme_window(kijun), extreme_window(senkou_b))
    positions = np.zeros((3, 2), np.int64)
    prefixes = np.zeros((3, 2))
    mids = np.full(3, np.nan)
    for t in range(bars):
        for w in range(3):
            highest, positions[w, 0], prefixes[w, 0] = rolling_max_push(
                highs[w], positions[w, 0], prefixes[w, 0], high[t]
            )
            lowest, positions[w, 1], prefixes[w, 1] = rolling_min_push(lows[w], positions[w, 1], prefixes[w, 1], low[t])
            mids[w] = (highest + lowest) / 2.0 if t >= windows[w] - 1 else np.nan
        tenkan_sen[t] = mids[0]
        kijun_sen[t] = mids[1]
        if t + kijun < bars:
            span_a[t + kijun] = (mids[0] + mids[1]) / 2.0
            span_b[t + kijun] = mids[2]
    return tenkan_sen, kijun_sen, span_a, span_b


@njit(cache=True)
def realized_vol_1d(close: np.ndarray, n: int) -> np.ndarray:
    """Realised volatility per bar (not annualised): the std (ddof=1) of the ``n`` log returns
    ``log(C[u] / C[u-1])``, ``u = t-n+1 .. t`` (docs/seeds.md#indicator-conventions). First value at index ``n`` (the
    first return is at bar 1); multiply by ``sqrt(bars_per_year)`` to annualise."""
    out = np.full(close.shape[0], np.nan)
    buf = np.empty(n)
    s1, s2, shift = 0.0, 0.0, 0.0
    for t in range(1, close.shape[0]):
        s1, s2, shift = moments_push(buf, t - 1, np.log(close[t] / close[t - 1]), s1, s2, shift)
        if t >= n:
            out[t] = np.sqrt(moments_var(s1, s2, n, 1))
    return out
