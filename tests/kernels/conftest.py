"""Shared strategies and helpers for the kernel tests: random bars and targets, and metric comparison at 1e-9."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from workloads.data.bars import Bars
from workloads.kernels.metrics import METRIC_NAMES

REL_TOL = 1e-9
ABS_TOL = 1e-12

HOUR_NS = 3_600_000_000_000


def bars_from_closes(close, open_=None) -> Bars:
    """Hourly bars with the given closes (opens default to the previous close; high/low envelope both)."""
    close = np.asarray(close, dtype=np.float64)
    if open_ is None:
        open_ = np.concatenate([close[:1], close[:-1]])
    open_ = np.asarray(open_, dtype=np.float64)
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    ts = 1_700_000_000 * 1_000_000_000 + np.arange(close.shape[0], dtype=np.int64) * HOUR_NS
    return Bars.from_arrays(ts, open_, high, low, close, np.ones_like(close))


@st.composite
def price_paths(draw, min_bars: int = 1, max_bars: int = 80, max_move: float = 0.2):
    """Opens and closes of a positive random walk; moves include exact zeros (flat stretches) and large jumps."""
    n = draw(st.integers(min_bars, max_bars))
    move = st.one_of(st.just(0.0), st.floats(-max_move, max_move, allow_nan=False, allow_infinity=False))
    close_moves = np.array(draw(st.lists(move, min_size=n, max_size=n)))
    gap_moves = np.array(draw(st.lists(move, min_size=n, max_size=n)))
    start = draw(st.floats(0.5, 500.0))
    close = start * np.exp(np.cumsum(close_moves))
    previous = np.concatenate([[start], close[:-1]])
    open_ = previous * np.exp(gap_moves)
    return open_, close


def ratio_close(value: float, want: float) -> bool:
    """A ratio of sums (the profit factor: gross profit over gross loss) whose denominator is rounding noise beside
    its numerator: the sums are each right to ``ABS_TOL``, so their quotient is compared through its reciprocal
    (gross loss over gross profit) to ``ABS_TOL``; an ordinary ratio still meets ``REL_TOL``."""
    if value == 0.0 or want == 0.0 or not (math.isfinite(value) and math.isfinite(want)):
        return False
    return math.isclose(1.0 / value, 1.0 / want, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def assert_metrics_close(actual: np.ndarray, expected: dict[str, float]) -> None:
    """Every metric equal to 1e-9 relative (infinities must match exactly); the profit factor by
    :func:`ratio_close`."""
    for name, value in zip(METRIC_NAMES, actual, strict=True):
        want = expected[name]
        close = (value == want) or math.isclose(value, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        if name == "profit_factor":
            close = close or ratio_close(value, want)
        assert close, f"{name}: kernel {value!r} != reference {want!r}"


def assert_curve_close(actual: np.ndarray, expected) -> None:
    np.testing.assert_allclose(actual, np.asarray(expected), rtol=REL_TOL, atol=ABS_TOL)
