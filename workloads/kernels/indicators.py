"""Indicators as flat Numba functions: streaming steps (the fused seed kernels call these bar by bar, keeping the
state in scalars) and ``*_1d`` array versions built on the same steps, so both give bit-identical values.

Every function states the equivalent it matches. Where TA-Lib has the indicator, ours reproduces TA-Lib's default
convention to the last bit (the tests hold them to ``talib``), including the warm-up: the first defined value and
the NaNs before it.

>>> import numpy as np
>>> from workloads.kernels.indicators import ema_1d, sma_1d
>>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
>>> sma_1d(x, 3)
array([nan, nan,  2.,  3.,  4.])
>>> ema_1d(x, 3)
array([nan, nan,  2.,  3.,  4.])
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (LLVM's ``llvm.fma``: the CPU's FMA instruction, or an exact software
    fallback where it has none), so results do not depend on the CPU or on compiler flags."""
    if not all(isinstance(x, types.Float) for x in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(cache=True, inline="always")
def ema_alpha(n: int) -> float:
    """TA-Lib's EMA smoothing factor ``2 / (n + 1)``."""
    return 2.0 / (n + 1.0)


@njit(cache=True, inline="always")
def ema_step(state: float, x: float, t: int, n: int, alpha: float) -> float:
    """Advance an EMA of period ``n`` by the value ``x`` of bar ``t`` (bars counted from 0).

    Matches ``talib.EMA(x, n)``: for ``t < n-1`` the state is the running sum (not yet defined); at ``t = n-1`` it is
    the SMA of the first ``n`` values; after that ``(x - state) * alpha + state`` with the multiply-add fused
    (one rounding, as TA-Lib's build computes it); a period of 1 is the series itself. Start with ``state = 0.0``.
    """
    if t < n - 1:
        return state + x
    if t == n - 1:
        return (state + x) / n
    return ema_next(state, x, n, alpha)


@njit(cache=True, inline="always")
def ema_next(state: float, x: float, n: int, alpha: float) -> float:
    """:func:`ema_step` after the warm-up (bars ``t > n - 1``), where it needs no bar index: a loop over lanes
    that are all past their warm-up runs it without the warm-up's branches and division."""
    if n == 1:
        return x
    return fma(x - state, alpha, state)  # type: ignore[call-arg]  # stub wants typingctx; jitted calls omit it


@njit(cache=True, inline="always")
def sma_step(total: float, x: np.ndarray, t: int, n: int) -> tuple[float, float]:
    """Advance a simple moving average of period ``n`` over the array ``x`` to bar ``t``: ``(sma_t, new_total)``.

    Matches ``talib.SMA(x, n)`` (running sum, same order of additions): ``sma_t`` is NaN for ``t < n-1``.
    Start with ``total = 0.0``.
    """
    total += x[t]
    if t < n - 1:
        return np.nan, total
    return total / n, total - x[t - n + 1]


# -- per-lane steps (a block's loop over lanes; window lengths are float lanes) -----------------------------------
# Over one series shared by the block, a window needs no ring of its own: the value leaving it is read back from the
# series (a gather, :func:`window_tail`, in a plain loop of its own, so that the loop doing the arithmetic reads no
# array at unknown indices and LLVM vectorizes it: it cannot prove such loads independent of the stores to the
# lanes), and a re-sum when ``workloads.kernels.windows`` re-sums its ring is a re-sum of the series' last ``n``
# values in time order, which is the ring's slot order at that moment: bit-identical results.


@njit(cache=True, inline="always")
def window_tail(x: np.ndarray, t: int, n: float) -> float:
    """The oldest value ``x[t-n+1]`` of the window of ``n`` values ending at ``t`` (``n`` a float lane), or 0.0
    before that window is full."""
    lag = t + 1 - np.int64(n)
    return x[np.uint64(lag)] if lag >= 0 else 0.0  # an unsigned index: no wraparound code for negative ones


@njit(cache=True, inline="always")
def sma_lane(total: float, x: float, leaving: float, n: float) -> tuple[float, float]:
    """:func:`sma_step` for one lane: ``x`` the value of bar ``t`` and ``leaving`` :func:`window_tail` at ``t``;
    returns ``(total_with_x / n, new_total)``, the same additions in the same order (bit-identical). Unlike
    :func:`sma_step`, the value before ``t = n-1`` is the partial sum over ``n``, not NaN: mask it with the warm-up."""
    total += x
    return total / n, total - leaving


@njit(cache=True, inline="always")
def next_phase(phase: float, n: float) -> float:
    """``(k + 1) % n`` from ``phase = k % n``, kept as a lane (no integer division). It comes back to 0 on the push
    on which ``workloads.kernels.windows`` re-sums a window of ``n`` (``k % n == n - 1``)."""
    return 0.0 if phase == n - 1.0 else phase + 1.0


@njit(cache=True, inline="always")
def window_sum(x: np.ndarray, t: int, n: int) -> float:
    """``x[t-n+1] + ... + x[t]`` added in that order from 0.0: ``windows.ring_sum`` of a ring that has just wrapped."""
    total = 0.0
    for i in range(t - n + 1, t + 1):
        total += x[i]
    return total


@njit(cache=True, inline="always")
def moments_lane(
    x: float, leaving: float, k: int, n: float, s1: float, s2: float, shift: float
) -> tuple[float, float, float]:
    """``windows.moments_push`` of the ``k``-th value ``x`` for one lane, except on a re-sum (:func:`next_phase`
    back at 0; then :func:`moments_resum` replaces the result): ``leaving`` is the ``(k-n)``-th value (any value
    while ``k < n``)."""
    if k == 0:
        shift = x
    d = x - shift
    s1 += d
    s2 += d * d
    e = leaving - shift
    if k >= n:
        s1 -= e
        s2 -= e * e
    return s1, s2, shift


@njit(cache=True, inline="always")
def moments_resum(x: np.ndarray, t: int, n: int) -> tuple[float, float, float]:
    """``windows.moments_push`` on a re-sum: the moments of ``x[t-n+1 .. t]`` around ``shift = x[t]``."""
    shift = x[t]
    s1 = 0.0
    s2 = 0.0
    for i in range(t - n + 1, t + 1):
        d = x[i] - shift
        s1 += d
        s2 += d * d
    return s1, s2, shift


@njit(cache=True)
def ema_1d(x: np.ndarray, n: int) -> np.ndarray:
    """EMA of period ``n`` over ``x`` (shape ``(bars,)``), NaN before index ``n-1``; equals ``talib.EMA(x, n)``."""
    out = np.full(x.shape[0], np.nan)
    alpha = ema_alpha(n)
    state = 0.0
    for t in range(x.shape[0]):
        state = ema_step(state, x[t], t, n, alpha)
        if t >= n - 1:
            out[t] = state
    return out


@njit(cache=True)
def sma_1d(x: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average of period ``n`` over ``x``, NaN before index ``n-1``; equals ``talib.SMA(x, n)``."""
    out = np.empty(x.shape[0])
    total = 0.0
    for t in range(x.shape[0]):
        out[t], total = sma_step(total, x, t, n)
    return out
