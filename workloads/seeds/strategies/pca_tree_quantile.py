"""``pca_tree_quantile`` (ml, 200 bars; 500 optimal): walk-forward PCA → regression tree on the next return, traded
only beyond the quantiles of its own in-sample predictions.

Features (``workloads.seeds.ml_features``): :data:`N_LAGS` = 10 lagged log returns, RSI(14) and realised vol(20),
known at close ``t`` (12 columns, so every ``n_components`` 1–8 is valid). Target of the sample of bar ``j``: the
next simple return ``close[j+1] / close[j] - 1``, known only at close ``j + 1``.

Walk-forward (``ml_features.walk_forward_blocks``): the first model is fitted at close ``20 + train_window``
(:meth:`lookback`, the warm-up), then every ``retrain_every`` closes; a model fitted at close ``t`` trains on samples
``j = t - train_window .. t - 1`` (every target known at close ``t``) and predicts on each later close of its block
from that close's features.

Model: ``StandardScaler`` → ``PCA(n_components, svd_solver="full")`` → ``DecisionTreeRegressor(max_depth,
random_state=0)``, all fitted on the training rows only (the features have different units, so they are
standardised before PCA). Deterministic: the same bars and genes give the same targets.

Rule at close ``t``: with ``p`` the model's prediction for bar ``t`` and ``P`` its predictions for its own training
rows, ``hi = quantile(P, quantile)`` and ``lo = quantile(P, 1 - quantile)`` (NumPy's default linear
interpolation): ``p > hi`` → +1, ``p < lo`` → -1, else 0 (strict inequalities: a prediction equal to a threshold,
e.g. a constant tree, stays flat). 0 in warm-up. A training window whose features have no variance at all (a flat
market) fits a constant tree, so it stays flat; PCA's 0/0 in its (unused) ``explained_variance_ratio_`` is not
reported.

Genes: ``train_window`` 100–1000 (default 150), ``retrain_every`` 10–200 (default 25), ``n_components`` 1–8
(default 3), ``max_depth`` 2–8 (default 4), ``quantile`` 0.5–0.95 (default 0.8). The default window is chosen so
that the default individual's warm-up (170 bars) fits in the 200-bar type floor.

Cost: one fit (and one in-sample prediction) per ``retrain_every`` bars and one vectorised prediction per block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from workloads.data.bars import Bars
from workloads.seeds.base import Seed
from workloads.seeds.genes import Gene, GeneSpace
from workloads.seeds.ml_features import feature_matrix, feature_start, next_return, walk_forward_targets

TRAIN_WINDOW, RETRAIN_EVERY, N_COMPONENTS, MAX_DEPTH, QUANTILE = 0, 1, 2, 3, 4
N_LAGS = 10
RANDOM_STATE = 0

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def regressor(n_components: int, max_depth: int) -> Pipeline:
    """A fresh, unfitted model of this seed (scikit-learn is imported here, on the first fit, so that listing seeds
    does not load it)."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    return make_pipeline(
        StandardScaler(),
        PCA(n_components=n_components, svd_solver="full"),
        DecisionTreeRegressor(max_depth=max_depth, random_state=RANDOM_STATE),
    )


def quantile_signal(predictions: np.ndarray, in_sample: np.ndarray, quantile: float) -> np.ndarray:
    """+1 where ``predictions > quantile(in_sample, quantile)``, -1 where ``< quantile(in_sample, 1 - quantile)``,
    else 0."""
    hi = np.quantile(in_sample, quantile)
    lo = np.quantile(in_sample, 1.0 - quantile)
    return np.where(predictions > hi, 1.0, np.where(predictions < lo, -1.0, 0.0))


class PcaTreeQuantile(Seed):
    name = "pca_tree_quantile"
    kind = "ml"
    min_bars = 200
    optimal_bars = 500
    genes = GeneSpace(
        [
            Gene("train_window", 100, 1000, "int", 150),
            Gene("retrain_every", 10, 200, "int", 25),
            Gene("n_components", 1, 8, "int", 3),
            Gene("max_depth", 2, 8, "int", 4),
            Gene("quantile", 0.5, 0.95, "float", 0.8),
        ]
    )
    description = (
        "walk-forward PCA -> decision tree on the next return; long above the quantile of in-sample "
        "predictions, short below 1 - quantile, else flat"
    )

    def lookback(self, params_row: np.ndarray) -> int:
        return feature_start(N_LAGS) + int(params_row[TRAIN_WINDOW])

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        """Target per close (0 in warm-up); with ``start`` > 0 the models whose predictions all fall before bar
        ``start`` are skipped (those targets read 0; ``targets[start:]`` is unchanged)."""
        n_components = int(params_row[N_COMPONENTS])
        max_depth = int(params_row[MAX_DEPTH])
        quantile = float(params_row[QUANTILE])

        def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_predict: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):  # PCA's unused explained_variance_ratio_ is 0/0
                model = regressor(n_components, max_depth).fit(x_train, y_train)  # on a window without variance
            return quantile_signal(model.predict(x_predict), model.predict(x_train), quantile)

        return walk_forward_targets(
            feature_matrix(bars.close, N_LAGS),
            next_return(bars.close),
            feature_start(N_LAGS),
            int(params_row[TRAIN_WINDOW]),
            int(params_row[RETRAIN_EVERY]),
            fit_predict,
            start,
        )


SEED = PcaTreeQuantile()
