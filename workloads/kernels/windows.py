"""Streaming rolling-window state for fused seed kernels: ring buffers, rolling moments, rolling extremes, Wilder.

A fused kernel walks the bars once per individual and keeps, per individual, only **window-sized** state: a ring
buffer of the last ``n`` values of a derived series, a few running sums, or the block maxima of a rolling extreme.
Every function here is a flat ``@njit`` step the kernel calls once per bar; state that is a scalar is passed in and
returned (Numba scalars cannot be updated by reference), state that is an array (allocated once per individual) is
updated in place. ``workloads.kernels.ta`` builds the array-form indicators from these same steps, so an
indicator checked there against TA-Lib is the value a kernel sees.

Counting convention: ``k`` is the 0-based count of the value being pushed into a window of length ``n`` (the
``k``-th value ever pushed). The window is full from ``k = n - 1`` on.

Rounding: running sums are **re-summed from the ring every time it wraps** (``k % n == n - 1``), so the rounding
drift of add-new/subtract-old updates never outlives one window, and moments are accumulated around a *shift*
(the newest value at the last re-sum), so a variance of prices near 50 000 or near 0.0001 loses no digits to
cancellation. Results agree with TA-Lib / NumPy to ~1e-12 relative (see ``tests/seeds``).

>>> import numpy as np
>>> from workloads.kernels.windows import extreme_window, rolling_max_push
>>> window, k, prefix = extreme_window(2), 0, 0.0
>>> for x in [3.0, 1.0, 2.0, 0.5]:
...     highest, k, prefix = rolling_max_push(window, k, prefix, x)
>>> highest
2.0
"""

from __future__ import annotations

import numpy as np
from numba import njit


# -- ring buffers -----------------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def ring_swap(buf: np.ndarray, k: int, x: float) -> float:
    """Store ``x`` as the ``k``-th value pushed into the ring ``buf`` (length ``n``); return the value it evicts
    (the ``(k - n)``-th), or 0.0 while ``k < n``."""
    n = buf.shape[0]
    slot = k % n
    old = buf[slot] if k >= n else 0.0
    buf[slot] = x
    return old


@njit(cache=True, inline="always")
def ring_sum(buf: np.ndarray) -> float:
    """Sum of a full ring, added slot by slot (exact for repeated values such as a run of 0s or 100s)."""
    total = 0.0
    for j in range(buf.shape[0]):
        total += buf[j]
    return total


# -- rolling moments --------------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def moments_push(buf: np.ndarray, k: int, x: float, s1: float, s2: float, shift: float) -> tuple[float, float, float]:
    """Push ``x`` (the ``k``-th value) into the ring ``buf``; return ``(s1, s2, shift)`` with ``s1 = sum(x - shift)``
    and ``s2 = sum((x - shift) ** 2)`` over the last ``min(k + 1, n)`` values. On every wrap the shift moves to the
    newest value and both sums are re-summed from the ring. Start with ``0.0, 0.0, 0.0``.
    Read them with :func:`moments_mean` and :func:`moments_var`."""
    n = buf.shape[0]
    if k == 0:
        shift = x
    old = ring_swap(buf, k, x)
    if k % n == n - 1:
        shift = x
        s1 = 0.0
        s2 = 0.0
        for j in range(n):
            d = buf[j] - shift
            s1 += d
            s2 += d * d
        return s1, s2, shift
    d = x - shift
    s1 += d
    s2 += d * d
    if k >= n:
        e = old - shift
        s1 -= e
        s2 -= e * e
    return s1, s2, shift


@njit(cache=True, inline="always")
def moments_mean(s1: float, shift: float, n: int) -> float:
    """Mean of a full window of ``n`` values from :func:`moments_push` state."""
    return shift + s1 / n


@njit(cache=True, inline="always")
def moments_var(s1: float, s2: float, n: int, ddof: int) -> float:
    """Variance of a full window of ``n`` values, ``sum((x - mean) ** 2) / (n - ddof)`` (``ddof = 0``: population,
    as TA-Lib's BBANDS/STDDEV; ``ddof = 1``: sample, as ``np.std(ddof=1)``). Never negative."""
    v = (s2 - s1 * s1 / n) / (n - ddof)
    return v if v > 0.0 else 0.0


@njit(cache=True, inline="always")
def weighted_moments_push(
    wbuf: np.ndarray, xbuf: np.ndarray, k: int, w: float, x: float, sw: float, s1: float, s2: float, shift: float
) -> tuple[float, float, float, float]:
    """Push the ``k``-th pair (weight ``w``, value ``x``) into the rings ``wbuf``/``xbuf``; return
    ``(sw, s1, s2, shift)``: ``sw = sum(w)``, ``s1 = sum(w * (x - shift))``, ``s2 = sum(w * (x - shift) ** 2)``
    over the last ``min(k + 1, n)`` pairs; re-summed around the newest value on every wrap. Start with zeros.
    Read them with :func:`weighted_mean_std`."""
    n = xbuf.shape[0]
    if k == 0:
        shift = x
    old_w = ring_swap(wbuf, k, w)
    old_x = ring_swap(xbuf, k, x)
    if k % n == n - 1:
        shift = x
        sw = 0.0
        s1 = 0.0
        s2 = 0.0
        for j in range(n):
            d = xbuf[j] - shift
            sw += wbuf[j]
            s1 += wbuf[j] * d
            s2 += wbuf[j] * d * d
        return sw, s1, s2, shift
    d = x - shift
    sw += w
    s1 += w * d
    s2 += w * d * d
    if k >= n:
        e = old_x - shift
        sw -= old_w
        s1 -= old_w * e
        s2 -= old_w * e * e
    return sw, s1, s2, shift


@njit(cache=True, inline="always")
def weighted_mean_std(sw: float, s1: float, s2: float, shift: float) -> tuple[float, float]:
    """Weighted mean ``sum(w x) / sum(w)`` and weighted population std ``sqrt(sum(w (x - mean)^2) / sum(w))`` of a
    full window from :func:`weighted_moments_push` state; ``(nan, nan)`` when the weights sum to 0 (or less)."""
    if not sw > 0.0:
        return np.nan, np.nan
    m = s1 / sw
    v = s2 / sw - m * m
    return shift + m, np.sqrt(v) if v > 0.0 else 0.0


# -- rolling extremes -------------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def extreme_window(n: int) -> np.ndarray:
    """The state array of a rolling max or min over ``n`` values (start :func:`rolling_max_push` /
    :func:`rolling_min_push` with it, ``k = 0`` and ``prefix = 0.0``)."""
    return np.full(n, -np.inf)


@njit(cache=True, inline="always")
def rolling_max_push(buf: np.ndarray, k: int, prefix: float, x: float) -> tuple[float, int, float]:
    """Push ``x``; return ``(max of the last min(count, n) values pushed, k, prefix)`` for the next push.

    Van Herk / Gil-Werman blocks: values arrive in blocks of ``n = len(buf)``; ``k`` is the position in the current
    block and ``prefix`` the max of the block so far. ``buf[j]`` for ``j > k`` holds the max of the previous block
    from position ``j`` to its end (``-inf`` before any block has completed), so the window ending at ``x`` is
    ``max(prefix, buf[k + 1])``; the block's own value overwrites ``buf[k]``, which is no longer needed, and when a
    block completes ``buf`` is turned into its suffix maxima in one backward pass. Per push: two ``max`` and one
    store, plus ``n`` ``max`` once every ``n`` pushes; no data-dependent branch, no integer division. Exact (only
    comparisons), so equal to ``np.max`` over the window bit for bit."""
    n = buf.shape[0]
    prefix = x if k == 0 else max(prefix, x)
    if k == n - 1:
        buf[k] = x
        for j in range(n - 2, -1, -1):
            buf[j] = max(buf[j], buf[j + 1])
        return prefix, 0, prefix
    current = max(prefix, buf[k + 1])
    buf[k] = x
    return current, k + 1, prefix


@njit(cache=True, inline="always")
def rolling_min_push(buf: np.ndarray, k: int, prefix: float, x: float) -> tuple[float, int, float]:
    """As :func:`rolling_max_push`, for the rolling min: the max of the negated values, negated (exact)."""
    negated, k, prefix = rolling_max_push(buf, k, prefix, -x)
    return -negated, k, prefix


@njit(cache=True, inline="always")
def ring_back(slot: int, back: int, size: int) -> int:
    """The slot ``back`` positions before ``slot`` in a ring of ``size`` slots (``0 <= back <= size``): the value
    pushed ``back`` pushes earlier. Branch-free (a select), so a loop over lanes computing it can vectorise."""
    at = slot - back
    return at + size if at < 0 else at


@njit(cache=True, inline="always")
def suffix_extremes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The two empty rings ``(highs, lows)`` of :func:`suffix_extremes_push` for windows of up to ``n`` bars."""
    return np.full(n, -np.inf), np.full(n, np.inf)


@njit(cache=True, inline="always")
def suffix_extremes_push(highs: np.ndarray, lows: np.ndarray, slot: int, high: float, low: float) -> None:
    """Push the ``t``-th high and low into two rings of suffix extremes shared by windows of any length up to
    ``N = len(highs)`` (``slot = t % N``): afterwards ``highs[u % N] = max(high[u .. t])`` and ``lows[u % N] =
    min(low[u .. t])`` for every ``u`` in ``t-N+1 .. t``. So, until the next push, the extremes of the last ``n <= N``
    values (bars ``t-n+1 .. t``, which are also the ``n`` bars before bar ``t + 1``) are at slot ``(t + 1 - n) % N``.

    Start with :func:`suffix_extremes`. One branch-free pass of ``N`` max/min per push (SIMD), whatever
    the number of windows read, where each window of :func:`rolling_max_push` costs its own pushes. Exact (comparisons
    only): for finite values, equal bit for bit to :func:`rolling_max_push` / :func:`rolling_min_push` (with NaN,
    whose max depends on the order of the operands, they may differ; bars are validated finite)."""
    for i in range(highs.shape[0]):
        h = highs[i]
        highs[i] = high if high > h else h
        lo = lows[i]
        lows[i] = low if low < lo else lo
    highs[slot] = high
    lows[slot] = low


@njit(cache=True, inline="always")
def midpoints_by_length(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The state ``(highs, lows, mids)`` of :func:`midpoints_push` for windows of up to ``n`` bars: two rows of
    ``n + 1`` extremes each (column ``0`` stays the empty window, ``-inf`` / ``+inf``) and ``n + 1`` midpoints."""
    return np.full((2, n + 1), -np.inf), np.full((2, n + 1), np.inf), np.zeros(n + 1)


@njit(cache=True, inline="always")
def midpoints_push(highs: np.ndarray, lows: np.ndarray, mids: np.ndarray, t: int, high: float, low: float) -> None:
    """Push the ``t``-th high and low (``t = 0, 1, ...``); afterwards ``mids[n] = (max(high[t-n+1 .. t]) +
    min(low[t-n+1 .. t])) / 2`` for every window length ``n`` in ``1 .. N`` (``N = len(mids) - 1``; over the ``t + 1``
    values pushed while ``t < n - 1``): the midpoint of every window **indexed by its length**, so a lane reads its
    own window as ``mids[n]``, with no ring arithmetic.

    Row ``t % 2`` of ``highs``/``lows`` holds the extremes by length after push ``t``, each the extreme of the
    previous row one length shorter and the new value; the rows alternate so the pass never reads what it wrote.
    Two branch-free passes of ``N`` per push (SIMD; in one pass, five arrays would need more runtime alias checks
    than LLVM vectorises with), whatever the number of windows read. Exact (comparisons, then
    ``(max + min) / 2``): for finite values, equal bit for bit to the midpoints of :func:`suffix_extremes_push` or
    :func:`rolling_max_push` / :func:`rolling_min_push` (bars are validated finite)."""
    now = t & 1
    before = now ^ 1
    for n in range(1, mids.shape[0]):
        h = highs[before, n - 1]
        lo = lows[before, n - 1]
        highs[now, n] = high if high > h else h
        lows[now, n] = low if low < lo else lo
    for n in range(1, mids.shape[0]):
        mids[n] = (highs[now, n] + lows[now, n]) / 2.0


# -- Wilder smoothing -------------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def wilder_push(state: float, x: float, k: int, n: int) -> float:
    """Wilder's smoothing of period ``n`` with the ``k``-th sample ``x``: a running sum for ``k < n-1``, the simple
    mean of the first ``n`` samples at ``k = n-1``, then ``(state * (n-1) + x) / n`` — TA-Lib's order of operations
    in RSI and ATR (bit-identical). Defined from ``k = n-1``. Start with ``state = 0.0``."""
    if k < n - 1:
        return state + x
    if k == n - 1:
        return (state + x) / n
    return (state * (n - 1) + x) / n


@njit(cache=True, inline="always")
def rsi_value(avg_gain: float, avg_loss: float) -> float:
    """TA-Lib's RSI from Wilder-smoothed gains and losses: ``100 * gain / (gain + loss)``, and 0 when both are 0
    (a window with no price change reads 0, as in ``talib.RSI``)."""
    total = avg_gain + avg_loss
    return 100.0 * (avg_gain / total) if total != 0.0 else 0.0


@njit(cache=True, inline="always")
def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray, t: int) -> float:
    """TA-Lib's TRANGE at bar ``t >= 1``: ``max(H - L, |C[t-1] - H|, |C[t-1] - L|)``."""
    greatest = high[t] - low[t]
    up = abs(close[t - 1] - high[t])
    if up > greatest:
        greatest = up
    down = abs(close[t - 1] - low[t])
    if down > greatest:
        greatest = down
    return greatest


@njit(cache=True, inline="always")
def stoch_k(close: float, highest: float, lowest: float) -> float:
    """TA-Lib's fast %K from the period's highest high and lowest low: ``(C - LL) / ((HH - LL) / 100)``, 0 when
    ``HH == LL``."""
    diff = (highest - lowest) / 100.0
    return (close - lowest) / diff if diff != 0.0 else 0.0
