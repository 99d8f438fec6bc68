"""Features, labels and the walk-forward schedule shared by the ML seeds (docs/seeds.md#ml-seeds, ``kind = "ml"``).

Time convention (docs/simulation.md#execution): a value "known at close ``t``" depends on ``close[0..t]`` only.

Features of bar ``t`` (row ``t`` of :func:`feature_matrix`, all known at close ``t``):

- ``n_lags`` lagged log returns ``r[t], r[t-1], .., r[t-n_lags+1]`` with ``r[u] = log(close[u] / close[u-1])``
  (column ``k`` is ``r[t-k]``; defined from bar ``n_lags``);
- Wilder's RSI over :data:`RSI_WINDOW` closes, ``workloads.kernels.ta.rsi_1d`` (= ``talib.RSI``; 0..100, defined
  from bar ``RSI_WINDOW``);
- realised volatility over :data:`VOL_WINDOW` log returns, ``workloads.kernels.ta.realized_vol_1d`` (std, ddof=1,
  per bar, not annualised; defined from bar ``VOL_WINDOW``).

Rows before :func:`feature_start` hold NaN; every later row is finite, because closes must be positive and finite
(:func:`feature_matrix` refuses others, naming the bar). That is why :func:`walk_forward_targets` runs
scikit-learn with ``assume_finite=True`` (no re-check of the same rows at every fit). The features are raw: each
seed standardises them inside its scikit-learn pipeline, with the scaler fitted on the training rows only.

Labels: the sample of bar ``j`` is ``(features[j], next_return[j])`` with ``next_return[j] = close[j+1] / close[j] - 1``
(simple return of the bar after ``j``; NaN for the last bar). Its label is known only at close ``j + 1``.

Walk-forward schedule (:func:`walk_forward_blocks`): with ``s = feature_start`` and window ``w``, models are fitted at
closes ``t = s + w, s + w + e, s + w + 2e, ..`` (``e = retrain_every``). The model fitted at close ``t`` trains on the
``w`` samples ``j = t-w .. t-1`` — the newest, ``j = t-1``, has its label from ``close[t]``, so no label needs a
close after ``t`` — and predicts from the features of bars ``t .. min(t+e, n)-1`` (one call per block). Bars before
the first fit (``s + w``, the warm-up: the first bar with a full training window) get exposure 0.

Threads: the fits run with BLAS/OpenMP limited to **one thread** (``threadpoolctl``). The matrices are small (at most
1000 x 22), so threads only add overhead — on two busy cores a threaded 1000 x 12 SVD took ~95 ms against 0.5 ms
single-threaded — and a thread-count-dependent reduction order would make targets depend on the machine. Parallelism
belongs across individuals (backends), not inside one fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workloads.kernels.ta import realized_vol_1d, rsi_1d

RSI_WINDOW = 14
VOL_WINDOW = 20


def log_returns(close: np.ndarray) -> np.ndarray:
    """``r[t] = log(close[t] / close[t-1])``; ``r[0]`` is NaN."""
    out = np.full(close.shape[0], np.nan)
    out[1:] = np.log(close[1:] / close[:-1])
    return out


def lagged_returns(close: np.ndarray, n_lags: int) -> np.ndarray:
    """``(n, n_lags)``: column ``k`` holds ``r[t-k]`` at row ``t`` (NaN where undefined, i.e. ``t < k + 1``)."""
    r = log_returns(close)
    out = np.full((close.shape[0], n_lags), np.nan)
    for k in range(n_lags):
        out[k:, k] = r[: close.shape[0] - k]
    return out


def feature_start(n_lags: int) -> int:
    """First bar whose feature row is fully defined: ``max(n_lags, RSI_WINDOW, VOL_WINDOW)``."""
    return max(int(n_lags), RSI_WINDOW, VOL_WINDOW)


def feature_matrix(close: np.ndarray, n_lags: int) -> np.ndarray:
    """``(n, n_lags + 2)`` C-contiguous float64: the lagged log returns, then RSI, then realised vol (module doc).
    Row ``t`` depends on ``close[0..t]`` only; rows before :func:`feature_start` contain NaN."""
    close = np.ascontiguousarray(close, dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(close) & (close > 0.0)))
    if bad.size:
        raise ValueError(
            f"ML features need positive, finite closes (log returns); bar {bad[0]} has close {close[bad[0]]!r}"
        )
    return np.ascontiguousarray(
        np.column_stack(
            [
                lagged_returns(close, n_lags),
                rsi_1d(close, RSI_WINDOW),
                realized_vol_1d(close, VOL_WINDOW),
            ]
        )
    )


def next_return(close: np.ndarray) -> np.ndarray:
    """``close[j+1] / close[j] - 1`` at index ``j`` (known at close ``j + 1``); NaN at the last bar."""
    out = np.full(close.shape[0], np.nan)
    out[:-1] = close[1:] / close[:-1] - 1.0
    return out


@dataclass(frozen=True)
class Block:
    """One walk-forward step: fit at close ``fit_at`` on samples ``train_start .. fit_at-1``, then predict the
    targets of closes ``fit_at .. predict_stop-1``."""

    fit_at: int
    train_start: int
    predict_stop: int


def walk_forward_blocks(n_bars: int, first_sample: int, train_window: int, retrain_every: int) -> list[Block]:
    """The retraining schedule of the module doc over ``n_bars`` bars (empty when the first fit is past the data)."""
    if train_window < 1 or retrain_every < 1:
        raise ValueError(f"train_window ({train_window}) and retrain_every ({retrain_every}) must be >= 1")
    first_fit = first_sample + train_window
    return [Block(t, t - train_window, min(t + retrain_every, n_bars)) for t in range(first_fit, n_bars, retrain_every)]


FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def walk_forward_targets(
    features: np.ndarray,
    labels: np.ndarray,
    first_sample: int,
    train_window: int,
    retrain_every: int,
    fit_predict: FitPredict,
    start: int = 0,
) -> np.ndarray:
    """Target exposure ``(n,)``: 0 in warm-up, then for each :class:`Block` the output of
    ``fit_predict(X_train, y_train, X_predict)`` over the block's prediction rows (one call per block).

    ``labels[j]`` must be the label of the sample of bar ``j`` (known at close ``j + 1``, e.g. :func:`next_return`
    or its sign); only ``labels[train_start .. fit_at-1]`` are read for the fit at ``fit_at``. Rows from
    ``first_sample`` on must be finite (see the module doc): scikit-learn runs with ``assume_finite=True``.

    ``start``: only targets from bar ``start`` on are wanted (``trade_start``); blocks that end before it are not
    fitted and read 0. The schedule stays anchored at the first fit, so ``targets[start:]`` is the same for every
    ``start``."""
    from sklearn import config_context  # imported here, not at module level: listing seeds loads no scikit-learn
    from threadpoolctl import threadpool_limits

    n = features.shape[0]
    targets = np.zeros(n)
    with config_context(assume_finite=True), threadpool_limits(limits=1):
        for block in walk_forward_blocks(n, first_sample, train_window, retrain_every):
            if block.predict_stop <= start:
                continue
            train = slice(block.train_start, block.fit_at)
            targets[block.fit_at : block.predict_stop] = fit_predict(
                features[train], labels[train], features[block.fit_at : block.predict_stop]
            )
    return targets
