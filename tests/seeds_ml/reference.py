"""Plain-Python references for the ML seeds, written from the rules in the seeds' docstrings (no NumPy vectorisation,
no code shared with ``workloads``): the features of one bar, the labels, and the walk-forward loop bar by bar."""

from __future__ import annotations

import math
import statistics

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeRegressor

RSI_N = 14
VOL_N = 20
FIRST_FEATURE_BAR = 20


def log_return(close, u: int) -> float:
    return math.log(close[u] / close[u - 1])


def wilder_rsi(close, t: int, n: int = RSI_N) -> float:
    """TA-Lib's RSI at bar ``t`` (``t >= n``): simple means of the first ``n`` gains/losses, then Wilder smoothing."""
    gains = [max(close[u] - close[u - 1], 0.0) for u in range(1, t + 1)]
    losses = [max(close[u - 1] - close[u], 0.0) for u in range(1, t + 1)]
    avg_gain = sum(gains[:n]) / n
    avg_loss = sum(losses[:n]) / n
    for gain, loss in zip(gains[n:], losses[n:], strict=True):
        avg_gain = (avg_gain * (n - 1) + gain) / n
        avg_loss = (avg_loss * (n - 1) + loss) / n
    total = avg_gain + avg_loss
    return 0.0 if total == 0.0 else 100.0 * avg_gain / total


def realised_vol(close, t: int, n: int = VOL_N) -> float:
    return statistics.stdev([log_return(close, u) for u in range(t - n + 1, t + 1)])


def features_at(close, t: int, n_lags: int) -> list[float]:
    """Lagged log returns r[t], .., r[t-n_lags+1], RSI(14), realised vol(20) — from closes 0..t only."""
    return [log_return(close, t - k) for k in range(n_lags)] + [wilder_rsi(close, t), realised_vol(close, t)]


def next_return(close, j: int) -> float:
    return close[j + 1] / close[j] - 1.0


def sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def walk_forward(close, train_window: int, retrain_every: int, n_lags: int, fit, predict_one) -> list[float]:
    """Bar by bar: on close t (from the first bar with a full window of samples, then every ``retrain_every``
    bars) fit on samples t-train_window .. t-1 (each label needs close[j+1] <= close[t]); every close from the
    first fit on predicts from its own features with the latest model."""
    first_fit = FIRST_FEATURE_BAR + train_window
    targets = []
    model = None
    for t in range(len(close)):
        if t >= first_fit and (t - first_fit) % retrain_every == 0:
            samples = range(t - train_window, t)
            assert all(j + 1 <= t for j in samples)
            model = fit([features_at(close, j, n_lags) for j in samples], [next_return(close, j) for j in samples])
        targets.append(0.0 if model is None else predict_one(model, features_at(close, t, n_lags)))
    return targets


def svc_targets(close, train_window: int, retrain_every: int, c: float, n_lags: int) -> list[float]:
    def fit(rows, returns):
        kept = [(row, sign(r)) for row, r in zip(rows, returns, strict=True) if r != 0.0]
        if len({label for _, label in kept}) < 2:
            return "flat"
        model = make_pipeline(StandardScaler(), LinearSVC(C=c, dual=False, random_state=0))
        return model.fit(np.array([row for row, _ in kept]), np.array([label for _, label in kept]))

    def predict_one(model, row):
        return 0.0 if model == "flat" else float(model.predict(np.array([row]))[0])

    return walk_forward(close, train_window, retrain_every, n_lags, fit, predict_one)


def tree_targets(
    close, train_window: int, retrain_every: int, n_components: int, max_depth: int, quantile: float
) -> list[float]:
    def fit(rows, returns):
        x = np.array(rows)
        model = make_pipeline(
            StandardScaler(),
            PCA(n_components=n_components, svd_solver="full"),
            DecisionTreeRegressor(max_depth=max_depth, random_state=0),
        ).fit(x, np.array(returns))
        in_sample = sorted(model.predict(x).tolist())
        return model, percentile(in_sample, quantile), percentile(in_sample, 1.0 - quantile)

    def predict_one(fitted, row):
        model, hi, lo = fitted
        p = float(model.predict(np.array([row]))[0])
        return 1.0 if p > hi else (-1.0 if p < lo else 0.0)

    return walk_forward(close, train_window, retrain_every, 10, fit, predict_one)


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (position ``q * (m - 1)``)."""
    position = q * (len(sorted_values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (position - below) * (sorted_values[above] - sorted_values[below])
