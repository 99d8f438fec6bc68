"""Plain-Python implementations of the eight rules of docs/seeds.md, written from its table and each seed's documented
decisions, on TA-Lib / NumPy indicators (nothing shared with the kernels). Each returns the target at every close."""

from __future__ import annotations

import numpy as np
import talib
from numpy.lib.stride_tricks import sliding_window_view

from workloads.data.bars import Bars


def _rolling(x: np.ndarray, n: int, reduce) -> np.ndarray:
    """``reduce`` over the windows ``x[t-n+1 .. t]``, NaN before ``n-1``."""
    out = np.full(x.shape[0], np.nan)
    out[n - 1 :] = reduce(sliding_window_view(x, n), axis=1)
    return out


def _previous(x: np.ndarray) -> np.ndarray:
    return np.concatenate([[np.nan], x[:-1]])


def stochastic_oscillator(bars: Bars, k: int, d: int, oversold: float, overbought: float) -> np.ndarray:
    fast_k, fast_d = talib.STOCHF(bars.high, bars.low, bars.close, k, d, 0)
    out = np.zeros(len(bars))
    position = 0.0
    diff = fast_k - fast_d  # equal within 1e-9 points (the seed's documented tie rule)
    for t in range(k + d - 1, len(bars)):
        up = diff[t] > 1e-9 and diff[t - 1] <= 1e-9
        down = diff[t] < -1e-9 and diff[t - 1] >= -1e-9
        if up and fast_d[t] < oversold:
            position = 1.0
        elif down and fast_d[t] > overbought:
            position = -1.0
        out[t] = position
    return out


def rsi_filter(bars: Bars, window: int, oversold: float, overbought: float) -> np.ndarray:
    rsi = talib.RSI(bars.close, window)
    out = np.zeros(len(bars))
    position = 0.0
    for t in range(window, len(bars)):
        if rsi[t] < oversold:
            position = 1.0
        elif rsi[t] > overbought:
            position = -1.0
        elif position == 1.0 and rsi[t] >= 50.0 or position == -1.0 and rsi[t] <= 50.0:
            position = 0.0
        out[t] = position
    return out


def vwap_reversion(bars: Bars, window: int, z_entry: float, z_exit: float) -> np.ndarray:
    tp = (bars.high + bars.low + bars.close) / 3.0
    out = np.zeros(len(bars))
    position = 0.0
    for t in range(window - 1, len(bars)):
        v, x = bars.volume[t - window + 1 : t + 1], tp[t - window + 1 : t + 1]
        if v.sum() <= 0.0:
            position = 0.0
        else:
            vwap = (v * x).sum() / v.sum()
            std = np.sqrt((v * (x - vwap) ** 2).sum() / v.sum())
            if std <= 0.0:
                position = 0.0
            else:
                z = (bars.close[t] - vwap) / std
                if z < -z_entry:
                    position = 1.0
                elif z > z_entry:
                    position = -1.0
                elif abs(z) < z_exit:
                    position = 0.0
        out[t] = position
    return out


def bollinger_bands(bars: Bars, window: int, k: float, mode: int) -> np.ndarray:
    upper, middle, lower = talib.BBANDS(bars.close, window, k, k, 0)
    out = np.zeros(len(bars))
    position = 0.0
    for t in range(window - 1, len(bars)):
        c = bars.close[t]
        if mode == 0:  # reversion
            if c < lower[t]:
                position = 1.0
            elif c > upper[t]:
                position = -1.0
            elif position == 1.0 and c >= middle[t] or position == -1.0 and c <= middle[t]:
                position = 0.0
        else:  # breakout
            if c > upper[t]:
                position = 1.0
            elif c < lower[t]:
                position = -1.0
            elif position == 1.0 and c <= middle[t] or position == -1.0 and c >= middle[t]:
                position = 0.0
        out[t] = position
    return out


def volatility_scaling(
    bars: Bars, vol_window: int, target_vol: float, trend: int, max_leverage: float, band: float, bars_per_year: float
) -> np.ndarray:
    sma = talib.SMA(bars.close, trend)
    returns = np.concatenate([[np.nan], np.diff(np.log(bars.close))])
    out = np.zeros(len(bars))
    previous = 0.0
    for t in range(max(trend - 1, vol_window), len(bars)):
        vol = np.std(returns[t - vol_window + 1 : t + 1], ddof=1) * np.sqrt(bars_per_year)
        size = max_leverage if vol == 0.0 else min(max_leverage, target_vol / vol)
        raw = float(np.sign(bars.close[t] - sma[t])) * size
        if np.sign(raw) != np.sign(previous) or abs(raw - previous) > band:
            previous = raw
        out[t] = previous
    return out


def ichimoku_cloud(bars: Bars, tenkan: int, kijun: int, senkou_b: int) -> np.ndarray:
    def midpoint(n):
        return (_rolling(bars.high, n, np.max) + _rolling(bars.low, n, np.min)) / 2.0

    tenkan_sen, kijun_sen, base = midpoint(tenkan), midpoint(kijun), midpoint(senkou_b)
    out = np.zeros(len(bars))
    for t in range(len(bars)):
        s = t - kijun
        if s < 0 or np.isnan(base[s]) or np.isnan(kijun_sen[s]):
            continue
        a, b = (tenkan_sen[s] + kijun_sen[s]) / 2.0, base[s]
        c = bars.close[t]
        if c > max(a, b) and tenkan_sen[t] > kijun_sen[t]:
            out[t] = 1.0
        elif c < min(a, b) and tenkan_sen[t] < kijun_sen[t]:
            out[t] = -1.0
    return out


def donchian_breakout(bars: Bars, entry: int, exit: int) -> np.ndarray:
    out = np.zeros(len(bars))
    position = 0.0
    for t in range(max(entry, exit), len(bars)):
        c = bars.close[t]
        if c > bars.high[t - entry : t].max():
            position = 1.0
        elif c < bars.low[t - entry : t].min():
            position = -1.0
        elif (position == 1.0 and c < bars.low[t - exit : t].min()) or (
            position == -1.0 and c > bars.high[t - exit : t].max()
        ):
            position = 0.0
        out[t] = position
    return out


def funding_rate_carry(bars: Bars, window: int, threshold: float) -> np.ndarray:
    mean = _rolling(bars.funding_rate, window, np.mean)
    out = np.zeros(len(bars))
    for t in range(window - 1, len(bars)):
        if abs(mean[t]) > threshold * (1 + 1e-9):  # equal within 1e-9 relative is not above
            out[t] = -np.sign(mean[t])
    return out


RULES = {
    "stochastic_oscillator": stochastic_oscillator,
    "rsi_filter": rsi_filter,
    "vwap_reversion": vwap_reversion,
    "bollinger_bands": bollinger_bands,
    "volatility_scaling": volatility_scaling,
    "ichimoku_cloud": ichimoku_cloud,
    "donchian_breakout": donchian_breakout,
    "funding_rate_carry": funding_rate_carry,
}
